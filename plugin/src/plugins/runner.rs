//! What both plugins do with their engine: build it at activation, feed it each block with its
//! events and its knobs, each at its own sample.

use super::events::EventQueue;
use super::model_choice::{ModelChoice, Switcher, Task};
use super::shell::EngineParams;
use crate::control::transcribe::{NoteOut, BEND_RANGE_RPN, BEND_RANGE_SEMITONES};
use crate::engine::{self, scope, Engine, Mode, Rendering, Setup, Telemetry};
use crate::limits;
use crate::model::decoder::Decoder;
use crate::model::inference::Link;
use crate::model::library;
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use std::sync::Arc;

pub struct Runner {
    mode: Mode,
    engine: Option<Engine>,
    switcher: Switcher,
    events: EventQueue,
    input_channels: usize,
    /// The knobs as the engine had them at the end of the last block: where in-block automation
    /// starts from.
    applied: engine::Params,
    /// How the host said it renders, at activation.
    rendering: Rendering,
    /// A restart is asked for once per change, not every block until the host acts.
    restart_requested: bool,
    /// Whether the host's transport was playing at the last block: when it stops, every note
    /// is let go.
    was_playing: bool,
    telemetry: Arc<Telemetry>,
    /// The editor's live views' queue, between engines (each engine borrows it while it lives).
    scope: Option<rtrb::Producer<scope::Frame>>,
    /// The effect says its pitch bend range (RPN 0) before its first note after activation.
    announce_bend_range: bool,
    /// Whether the editor is open (nice-plug-egui keeps the flag; the engine fills the live
    /// views only then).
    window: Arc<nice_plug_egui::EguiEditorState>,
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
    pub fn new<P: Plugin>(
        mode: Mode,
        switcher: Switcher,
        telemetry: Arc<Telemetry>,
        scope: rtrb::Producer<scope::Frame>,
        window: Arc<nice_plug_egui::EguiEditorState>,
    ) -> Self {
        Self {
            mode,
            engine: None,
            switcher,
            events: EventQueue::with_capacity(P::INPUT_EVENT_CAPACITY),
            input_channels: 0,
            applied: engine::Params::default(),
            rendering: Rendering::Realtime,
            restart_requested: false,
            was_playing: false,
            telemetry,
            scope: Some(scope),
            announce_bend_range: false,
            window,
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
        if !limits::supports_sample_rate(rate) {
            nice_log!(
                "{}: sample rate {rate} Hz is outside the supported {}..{} Hz",
                P::NAME,
                limits::MIN_SAMPLE_RATE,
                limits::MAX_SAMPLE_RATE
            );
            return false;
        }
        self.switcher.activated(model.index.value());
        let rendering = match config.process_mode {
            ProcessMode::Offline => Rendering::Offline,
            ProcessMode::Realtime | ProcessMode::Buffered => Rendering::Realtime,
        };
        let decoder = match load_decoder(model) {
            Ok(Some(link)) => {
                model.report(
                    P::NAME,
                    format!(
                        "playing model '{}'{}",
                        link.card().name,
                        if rendering == Rendering::Offline {
                            " (offline)"
                        } else {
                            ""
                        }
                    ),
                );
                Some(link)
            }
            Ok(None) => {
                model.report(P::NAME, library::why_none());
                None
            }
            Err(why) => {
                // Keep playing (the fixed spectrum) and say why.
                model.report(P::NAME, format!("no model loaded: {why}"));
                None
            }
        };
        let mut engine = Engine::build(Setup {
            mode: self.mode,
            sample_rate: rate,
            params,
            decoder,
            rendering,
            telemetry: self.telemetry.clone(),
        });
        self.applied = params;
        self.rendering = rendering;
        self.restart_requested = false;
        context.set_latency_samples(engine.latency_samples());
        self.input_channels = layout.main_input_channels.map_or(0, |c| c.get() as usize);
        if let Some(old) = self.engine.as_mut() {
            self.scope = self.scope.take().or_else(|| old.detach_scope());
        }
        engine.attach_scope(self.scope.take());
        self.engine = Some(engine);
        self.announce_bend_range = self.mode == Mode::Effect;
        #[cfg(feature = "assert_process_allocs")]
        {
            self.alloc_canary = std::env::var_os("LUTHIER_ALLOC_CANARY").is_some();
        }
        true
    }

    /// Says, in the log, how the decoder kept up while the plugin was active (off the audio
    /// thread: the host deactivates from its main thread).
    pub fn deactivate<P: Plugin>(&mut self) {
        let Some(engine) = &self.engine else {
            return;
        };
        if let Some(model) = engine.model_name() {
            let stats = engine.stats();
            nice_log!(
                "{}: model '{model}' decoded {} frames with {} decoder underruns{}",
                P::NAME,
                stats.decoded_frames,
                stats.decoder_underruns,
                if stats.decoder_underruns > 0 {
                    " (replies too late: those frames held the previous sound)"
                } else {
                    ""
                }
            );
        }
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
        params: &impl EngineParams,
    ) -> ProcessStatus {
        #[cfg(feature = "assert_process_allocs")]
        if self.alloc_canary {
            std::hint::black_box(Vec::<u8>::with_capacity(16));
        }
        self.events
            .collect(context, |hash, normalized| params.change(hash, normalized));
        let playing = context.transport().playing;
        if self.was_playing && !playing {
            self.events.release_all_first();
        }
        self.was_playing = playing;
        let requests = self
            .switcher
            .poll(params.model().index.value(), self.engine.as_mut());
        if let Some(index) = requests.load {
            context.execute_background(Task::Load(index));
        }
        if requests.collect {
            context.execute_background(Task::Collect);
        }
        // A model the engine cannot swap in needs a new engine, which allocates: ask the host
        // to restart the plugin (activate builds it), and play on with the old one.
        if requests.restart && !self.restart_requested {
            context.request_restart();
            self.restart_requested = true;
        }
        // The knobs hold their values after this block's automation; a knob automated inside
        // the block starts it where the last block left it, and moves at its points.
        let now = params.engine_params();
        let mut start = now;
        for event in self.events.events() {
            if let engine::Event::Param { change, .. } = event {
                start.apply(change.with_value_from(&self.applied));
            }
        }
        // A VST3 host says per block whether it renders offline (Ardour's export does so in a
        // plugin set up for real time); other hosts say it at activation.
        let rendering = match nice_plug::wrapper::block_process_mode() {
            Some(ProcessMode::Offline) => Rendering::Offline,
            Some(_) => Rendering::Realtime,
            None => self.rendering,
        };
        self.telemetry.set_watching(self.window.is_open());
        let channels = buffer.as_slice();
        // A look-ahead other than the engine's changes the latency, which hosts take only at
        // activation: restart as for a model swap, playing on meanwhile.
        let rebuild = self.engine.as_ref().is_some_and(|e| e.needs_rebuild(&now));
        if rebuild && !self.restart_requested {
            context.request_restart();
            self.restart_requested = true;
        }
        match &mut self.engine {
            Some(engine) => {
                engine.set_rendering(rendering);
                engine.set_params(start);
                engine.process(channels, self.input_channels, self.events.events());
                if std::mem::take(&mut self.announce_bend_range) {
                    announce_bend_range(context);
                }
                for &(timing, note) in engine.heard() {
                    // A full output queue drops the event; the host sized it, nothing here can wait.
                    let _ = context.try_send_event(heard_event(timing, note));
                }
            }
            None => channels.iter_mut().for_each(|c| c.fill(0.0)),
        }
        self.applied = now;
        ProcessStatus::Normal
    }
}

/// What the effect heard, as the host's MIDI: channel 1, notes on their keys.
fn heard_event<S>(timing: u32, note: NoteOut) -> NoteEvent<S> {
    let (channel, voice_id) = (Channel::Number(0), VoiceID::Wildcard);
    match note {
        NoteOut::On { key, velocity } => NoteEvent::NoteOn {
            timing,
            voice_id,
            channel,
            key: Key::Number(key),
            velocity: velocity as f32 / 127.0,
        },
        NoteOut::Off { key } => NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key: Key::Number(key),
            velocity: 0.0,
        },
        NoteOut::Bend { semitones } => NoteEvent::MidiPitchBend {
            timing,
            channel: 0,
            value: (0.5 + 0.5 * semitones / BEND_RANGE_SEMITONES).clamp(0.0, 1.0),
        },
    }
}

/// RPN 0 (pitch bend sensitivity) to the range the bends are sent for, so that a receiving
/// instrument bends as far.
fn announce_bend_range<P: Plugin>(context: &mut impl ProcessContext<P>) {
    for (cc, value) in BEND_RANGE_RPN {
        let _ = context.try_send_event(NoteEvent::MidiCC {
            timing: 0,
            channel: 0,
            cc,
            value: value as f32 / 127.0,
        });
    }
}
