//! What both plugins do with their engine: build it at activation, feed it each block.

use super::events::EventQueue;
use super::model_choice::{ModelChoice, Switcher, Task};
use crate::engine::{self, DecoderOptions, Engine, Mode};
use crate::model::decoder::Decoder;
use crate::model::inference::Link;
use nice_plug::prelude::*;

pub struct Runner {
    mode: Mode,
    engine: Option<Engine>,
    switcher: Switcher,
    events: EventQueue,
    input_channels: usize,
    /// A restart is asked for once per change, not every block until the host acts.
    restart_requested: bool,
    /// Alloc-check builds only: allocate in every `process()` when `LUTHIER_ALLOC_CANARY` is set
    /// at activation, so the real-time test can prove that its guard fires.
    #[cfg(feature = "assert_process_allocs")]
    alloc_canary: bool,
}

/// The decoder for this instance, when a model is found; its thread starts here, off the audio
/// thread.
fn load_decoder(choice: &ModelChoice) -> Result<Option<Link>, String> {
    let Some(path) = choice.path() else {
        return Ok(None);
    };
    let decoder = Decoder::load(&path, None).map_err(|e| e.to_string())?;
    Link::start(decoder)
        .map(Some)
        .map_err(|e| format!("cannot start the decoder thread: {e}"))
}

impl Runner {
    pub fn new<P: Plugin>(mode: Mode, switcher: Switcher) -> Self {
        Self {
            mode,
            engine: None,
            switcher,
            events: EventQueue::with_capacity(P::INPUT_EVENT_CAPACITY),
            input_channels: 0,
            restart_requested: false,
            #[cfg(feature = "assert_process_allocs")]
            alloc_canary: false,
        }
    }

    /// Allocates for the host's worst case; refuses rates outside what the engine supports.
    pub fn activate<P: Plugin>(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<P>,
        params: engine::Params,
        model: &ModelChoice,
    ) -> bool {
        let rate = config.sample_rate;
        if !(engine::MIN_SAMPLE_RATE..=engine::MAX_SAMPLE_RATE).contains(&rate) {
            nice_log!(
                "{}: sample rate {rate} Hz is outside the supported {}..{} Hz",
                P::NAME,
                engine::MIN_SAMPLE_RATE,
                engine::MAX_SAMPLE_RATE
            );
            return false;
        }
        self.switcher.activated(model.index.value());
        let engine = match load_decoder(model) {
            Ok(Some(link)) => {
                let options = DecoderOptions {
                    slack_frames: engine::slack_for_block(config.max_buffer_size, rate),
                    offline: config.process_mode == ProcessMode::Offline,
                };
                model.report(
                    P::NAME,
                    format!(
                        "playing model '{}' ({} frames of slack{})",
                        link.card().name,
                        options.slack_frames,
                        if options.offline { ", offline" } else { "" }
                    ),
                );
                Engine::with_decoder(self.mode, rate, params, link, options)
            }
            Ok(None) => {
                model.report(
                    P::NAME,
                    "no model installed: playing the fixed spectrum".to_string(),
                );
                Engine::with_params(self.mode, rate, params)
            }
            Err(why) => {
                // Keep playing (the fixed spectrum) and say why.
                model.report(P::NAME, format!("no model loaded: {why}"));
                Engine::with_params(self.mode, rate, params)
            }
        };
        self.restart_requested = false;
        context.set_latency_samples(engine.latency_samples());
        self.input_channels = layout.main_input_channels.map_or(0, |c| c.get() as usize);
        self.engine = Some(engine);
        #[cfg(feature = "assert_process_allocs")]
        {
            self.alloc_canary = std::env::var_os("LUTHIER_ALLOC_CANARY").is_some();
        }
        true
    }

    pub fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset();
        }
    }

    pub fn process<P: Plugin<BackgroundTask = Task>>(
        &mut self,
        buffer: &mut Buffer,
        context: &mut impl ProcessContext<P>,
        params: engine::Params,
        model_index: i32,
    ) -> ProcessStatus {
        #[cfg(feature = "assert_process_allocs")]
        if self.alloc_canary {
            std::hint::black_box(Vec::<u8>::with_capacity(16));
        }
        self.events.collect(context);
        let requests = self.switcher.poll(model_index, self.engine.as_mut());
        if let Some(index) = requests.load {
            context.execute_background(Task::Load(index));
        }
        if requests.collect {
            context.execute_background(Task::Collect);
        }
        // A model the engine cannot swap in, or a new pitch range (a new tracker), needs a new
        // engine, which allocates: ask the host to restart the plugin (activate builds it), and
        // play on with the old one.
        let rebuild = self
            .engine
            .as_ref()
            .is_some_and(|e| e.needs_rebuild(&params));
        if (requests.restart || rebuild) && !self.restart_requested {
            context.request_restart();
            self.restart_requested = true;
        }
        let channels = buffer.as_slice();
        match &mut self.engine {
            Some(engine) => {
                engine.set_params(params);
                engine.process(channels, self.input_channels, self.events.events());
            }
            None => channels.iter_mut().for_each(|c| c.fill(0.0)),
        }
        ProcessStatus::Normal
    }
}
