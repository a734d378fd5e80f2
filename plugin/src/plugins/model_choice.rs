//! Which model a plugin instance plays, and switching it while playing.
//!
//! The "Model" parameter picks from the model library, listed alphabetically when the instance
//! is created; the chosen model's name is saved with the project (`model-name`), so a project
//! reopens with its model even after models were added (which can shift the list). The
//! parameter is not automatable: a model loads on a background thread, which takes a while.
//!
//! Switching: the audio thread sees the parameter change and asks the background thread to
//! load the model; the loaded model comes back through a lock-free queue and the engine swaps
//! to it at a frame boundary (no gap, no click); the replaced model goes back through another
//! queue to be dropped off the audio thread.

use crate::engine::{Engine, SwapRefused, Telemetry};
use crate::model::decoder::Decoder;
use crate::model::inference::Link;
use crate::model::library;
use nice_plug::prelude::*;
use rtrb::{Consumer, Producer, RingBuffer};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Models the parameter can list.
pub const MAX_LISTED: usize = 64;
/// Models in flight each way; a few is plenty (a switch takes many blocks).
const QUEUE: usize = 4;

#[derive(Params)]
pub struct ModelChoice {
    #[id = "model"]
    pub index: IntParam,
    /// The name of the model the user chose, saved with the project; empty until they choose.
    #[persist = "model-name"]
    pub name: RwLock<String>,
    /// The library as listed for `index`.
    pub listed: Arc<Vec<(String, PathBuf)>>,
    /// Where what plays, or why no model does, is told (written off the audio thread).
    pub telemetry: Arc<Telemetry>,
}

impl Default for ModelChoice {
    fn default() -> Self {
        let listed: Arc<Vec<(String, PathBuf)>> =
            Arc::new(library::list().into_iter().take(MAX_LISTED).collect());
        let default = listed
            .iter()
            .position(|(n, _)| n == library::DEFAULT_MODEL)
            .unwrap_or(0);
        let (shown, parsed) = (listed.clone(), listed.clone());
        let index = IntParam::new(
            "Model",
            default as i32,
            IntRange::Linear {
                min: 0,
                max: MAX_LISTED as i32 - 1,
            },
        )
        .with_value_to_string(Arc::new(move |i| {
            shown
                .get(i as usize)
                .map_or_else(|| "(none)".to_string(), |(n, _)| n.clone())
        }))
        .with_string_to_value(Arc::new(move |s| {
            parsed
                .iter()
                .position(|(n, _)| n == s.trim())
                .map(|i| i as i32)
        }))
        .non_automatable();
        Self {
            index,
            name: RwLock::new(String::new()),
            listed,
            telemetry: Arc::default(),
        }
    }
}

impl ModelChoice {
    /// The model to build the engine with: `LUTHIER_MODEL`, else the saved name, else the
    /// parameter's pick.
    pub fn path(&self) -> Option<PathBuf> {
        let saved = self.name.read().map(|n| n.clone()).unwrap_or_default();
        let chosen = if saved.is_empty() {
            self.picked().map(|(name, _)| name.clone())
        } else {
            Some(saved)
        };
        library::resolve(chosen.as_deref())
    }

    /// Records what plays (or why nothing does) for the editor, and logs it.
    pub fn report(&self, plugin: &str, status: String) {
        nice_log!("{plugin}: {status}");
        self.telemetry.set_status(status);
    }

    fn picked(&self) -> Option<&(String, PathBuf)> {
        self.listed.get(self.index.value() as usize)
    }
}

/// Work for the background thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Load the model at this index of the list.
    Load(usize),
    /// Drop the models the audio thread handed back.
    Collect,
}

/// The audio thread's end.
pub struct Switcher {
    loaded: Consumer<Link>,
    spent: Producer<Link>,
    /// The parameter value last acted on (None: not yet looked at since activation).
    applied: Option<i32>,
    /// A model that could not be handed on yet (the engine was busy, or the queue full).
    waiting: Option<Link>,
    leftover: Option<Link>,
}

/// The background thread's end.
pub struct Loader {
    loaded: Mutex<Producer<Link>>,
    spent: Mutex<Consumer<Link>>,
}

pub fn channel() -> (Switcher, Loader) {
    let (loaded_tx, loaded_rx) = RingBuffer::new(QUEUE);
    let (spent_tx, spent_rx) = RingBuffer::new(QUEUE);
    (
        Switcher {
            loaded: loaded_rx,
            spent: spent_tx,
            applied: None,
            waiting: None,
            leftover: None,
        },
        Loader {
            loaded: Mutex::new(loaded_tx),
            spent: Mutex::new(spent_rx),
        },
    )
}

impl Loader {
    /// Runs a task on the background thread.
    pub fn run(&self, task: Task, choice: &ModelChoice, plugin: &str) {
        match task {
            Task::Collect => {
                let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
                while let Ok(link) = spent.pop() {
                    drop(link);
                }
            }
            Task::Load(index) => {
                let Some((name, path)) = choice.listed.get(index) else {
                    nice_log!("{plugin}: no model at position {index} of the list");
                    return;
                };
                let link = Decoder::load(path, None)
                    .map_err(|e| e.to_string())
                    .and_then(|d| Link::start(d).map_err(|e| e.to_string()));
                match link {
                    Ok(link) => {
                        if let Ok(mut saved) = choice.name.write() {
                            saved.clone_from(name);
                        }
                        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
                        if loaded.push(link).is_ok() {
                            choice.report(plugin, format!("switching to model '{name}'"));
                        }
                    }
                    Err(why) => {
                        choice.report(plugin, format!("cannot switch to model '{name}': {why}"))
                    }
                }
            }
        }
    }
}

/// What the audio thread must ask of the host after `poll`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Requests {
    pub load: Option<usize>,
    pub collect: bool,
    pub restart: bool,
}

impl Switcher {
    /// Forgets what was acted on: a new engine starts from what the parameters say now.
    pub fn activated(&mut self, index: i32) {
        self.applied = Some(index);
    }

    /// Once per block, on the audio thread: acts on a new pick, hands a loaded model to the
    /// engine, and passes replaced models back. Real-time safe.
    pub fn poll(&mut self, index: i32, engine: Option<&mut Engine>) -> Requests {
        let mut requests = Requests::default();
        if self.applied != Some(index) {
            self.applied = Some(index);
            requests.load = Some(index.max(0) as usize);
        }
        let Some(engine) = engine else {
            return requests;
        };
        if self.waiting.is_none() {
            self.waiting = self.loaded.pop().ok();
        }
        if let Some(link) = self.waiting.take() {
            match engine.swap_decoder(link) {
                Ok(()) => {}
                Err((link, SwapRefused::Busy)) => self.waiting = Some(link),
                Err((link, _)) => {
                    // This engine cannot take it in place: the model's name is saved, so a
                    // restart builds the engine around it.
                    self.leftover = Some(link);
                    requests.restart = true;
                }
            }
        }
        if self.leftover.is_none() {
            self.leftover = engine.take_retired_decoder();
        }
        if let Some(link) = self.leftover.take() {
            match self.spent.push(link) {
                Ok(()) => requests.collect = true,
                Err(rtrb::PushError::Full(link)) => self.leftover = Some(link),
            }
        }
        requests
    }
}
