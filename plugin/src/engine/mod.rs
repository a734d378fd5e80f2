//! The framework-free core that both plugins, the tests and the command-line tool drive.
//!
//! `Engine::process` works in place on the host's channel buffers: inputs arrive in the first
//! channels and are replaced by the output, which is how plugin hosts hand audio over. Events
//! (notes, knob changes) act at their sample offsets.
//!
//! The path, one concept a file:
//! - a performer plans frames: the `instrument` from MIDI notes, the `effect` from the analysed
//!   input (`voicing` is its rule for when it sounds). At every boundary of the 4 ms frame grid
//!   it writes each voice's `plan` (pitch, level, where the controls come from); note actions go
//!   on the `schedule`.
//! - the `timbre` gives each planned frame its synthesis controls: a model's decoder (one
//!   batched call per block, on its own thread) or a fixed spectrum.
//! - the `voice`s play the plan a latency later, and the `output` stage adds reverb, gain and
//!   the host's bypass. `telemetry` tells the world how it went.
//!
//! The latency is one frame with a model (the decoder's reply for a frame planned at a boundary
//! is played from the next one) and none without: it does not depend on the host's block size.
//! A block is planned first and played after, so all of a block's frames go to the decoder in
//! one job, and the audio thread waits for the reply only as long as `Wait` allows (a share of
//! the block's duration in real time). Wherever the decoder keeps up, the audio does not depend
//! on how fast the host calls `process`: paced live, back to back, or offline.

pub mod effect;
pub mod events;
pub mod instrument;
pub mod output;
pub mod params;
mod plan;
mod schedule;
pub mod scope;
pub mod telemetry;
pub mod timbre;
mod tone;
mod voice;
pub mod voicing;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use events::Event;
pub use instrument::midi_key_to_hz;
pub use output::db_to_gain;
pub use params::{ParamChange, Params};
pub use telemetry::{Stats, Telemetry};
pub use timbre::SwapRefused;

use crate::analysis::features::Features;
use crate::control::transcribe::NoteOut;
use crate::dsp::synth::SynthConfig;
use crate::limits::{FRAME_RATE_HZ, MAX_SAMPLE_RATE, MAX_VOICES, MIN_SAMPLE_RATE};
use crate::model::inference::{Link, JOB_FRAMES};
use effect::Effect;
use instrument::Instrument;
use output::Output;
use plan::{Counts, Cursor, FramePlan, Planning, Plans};
use schedule::{Action, Schedule};
use timbre::{Decoding, FixedSpectrum, Timbre, Wait};
use tone::Tone;
use voice::Voices;

/// Longest stretch rendered at once: the scratch buffers' length.
const RENDER_CHUNK: usize = 1024;

/// In real time the audio thread waits for the decoder at most this share of the block's own
/// duration; past it the previous controls hold and the frame counts as an underrun. Half of
/// the block, measured by `benches/handoff.rs` with another core busy: a reply takes 0.3-0.7 ms
/// (median) and 0.7-2.7 ms at the 99th percentile, so half of a 512-sample block (5.3 ms) is
/// reached by 0.1-0.2 % of replies; the host keeps the other half of its time for itself.
pub const WAIT_SHARE: f64 = 0.5;

/// Note actions in flight between planning and playing. A block brings at most the host's
/// event capacity (1024) of events, each at most eight actions (all notes off).
const SCHEDULE_CAPACITY: usize = 16_384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// MIDI in, audio out.
    Instrument,
    /// Audio in, audio out (tone transfer).
    Effect,
}

/// How the host runs the plugin, as far as waiting for the decoder goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// Live or rendering ahead: waits are bounded by the block's duration.
    Realtime,
    /// An offline export: every reply is waited for, so renders repeat bit for bit.
    Offline,
}

/// What differs between the two plugins: how frames are planned.
// One per engine, never moved once built: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Performer {
    Instrument(Instrument),
    Effect(Effect),
}

pub struct Engine {
    performer: Performer,
    timbre: Timbre,
    tone: Tone,
    plans: Plans,
    schedule: Schedule,
    voices: Voices,
    output: Output,
    /// Where planning is, and where playing is (a latency behind).
    planned: Cursor,
    played: Cursor,
    sample_rate: f32,
    params: Params,
    rendering: Rendering,
    counts: Counts,
    telemetry: Arc<Telemetry>,
    /// Where the live views go, while someone watches; the owner lends it (`attach_scope`).
    scope: Option<rtrb::Producer<scope::Frame>>,
    /// Someone watches the live views this block (the queue is lent and the editor open).
    watched: bool,
    /// The output's peak since the last scope frame.
    scope_peak: f32,
    /// The effect: what it heard in the last block, as MIDI, at samples of the block.
    heard: Vec<(u32, NoteOut)>,
    /// A note-off a reset left, for the next block.
    heard_after_reset: Option<NoteOut>,
}

/// The MIDI the effect can send in one block: three messages a frame, for the longest block the
/// engine plans in one piece many times over (a host block of any size is cut into pieces).
const HEARD_CAPACITY: usize = 4096;

/// Everything an engine is built from.
pub struct Setup {
    pub mode: Mode,
    pub sample_rate: f32,
    pub params: Params,
    /// The model to play, if any; without one, the fixed spectrum.
    pub decoder: Option<Link>,
    pub rendering: Rendering,
    /// Where the engine reports; a plugin keeps one across activations.
    pub telemetry: Arc<Telemetry>,
}

impl Setup {
    pub fn new(mode: Mode, sample_rate: f32) -> Self {
        Self {
            mode,
            sample_rate,
            params: Params::default(),
            decoder: None,
            rendering: Rendering::Realtime,
            telemetry: Arc::default(),
        }
    }
}

impl Engine {
    /// The fixed spectrum, default knobs, in real time.
    pub fn new(mode: Mode, sample_rate: f32) -> Self {
        Self::build(Setup::new(mode, sample_rate))
    }

    /// As `new`, with the knobs set from the start.
    pub fn with_params(mode: Mode, sample_rate: f32, params: Params) -> Self {
        Self::build(Setup {
            params,
            ..Setup::new(mode, sample_rate)
        })
    }

    /// As `with_params`, with the synthesis controls coming from `link`'s model.
    pub fn with_decoder(
        mode: Mode,
        sample_rate: f32,
        params: Params,
        link: Link,
        rendering: Rendering,
    ) -> Self {
        Self::build(Setup {
            params,
            decoder: Some(link),
            rendering,
            ..Setup::new(mode, sample_rate)
        })
    }

    /// Allocates everything `process` will need; any block size works afterwards.
    pub fn build(setup: Setup) -> Self {
        let sample_rate = if setup.sample_rate.is_finite() {
            setup.sample_rate.clamp(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
        } else {
            48_000.0
        };
        let mut config = SynthConfig::standard(sample_rate.round() as u32);
        let timbre = match setup.decoder {
            Some(link) => {
                config.harmonics = link.card().harmonics;
                config.noise_bands = link.card().noise_bands;
                config.noise_spacing_hz = link.card().noise_band_hz as f32;
                Timbre::Model(Decoding::new(link))
            }
            None => Timbre::Fixed(FixedSpectrum::new(config.harmonics)),
        };
        let params = setup.params;
        let (performer, voice_count, dry_channels) = match setup.mode {
            Mode::Instrument => (
                Performer::Instrument(Instrument::new(params.performance())),
                MAX_VOICES,
                0,
            ),
            Mode::Effect => (
                Performer::Effect(Effect::new(sample_rate, &params, RENDER_CHUNK)),
                1,
                2,
            ),
        };
        let latency = latency_samples(&performer, sample_rate, timbre.latency_frames());
        let mut engine = Self {
            performer,
            plans: Plans::new(2 * JOB_FRAMES + 4),
            schedule: Schedule::with_capacity(SCHEDULE_CAPACITY),
            voices: Voices::new(voice_count, &config, RENDER_CHUNK),
            output: Output::new(sample_rate, dry_channels, latency as usize, RENDER_CHUNK),
            tone: Tone::new(&params),
            planned: Cursor::new(config.sample_rate, FRAME_RATE_HZ),
            played: Cursor::new(config.sample_rate, FRAME_RATE_HZ),
            timbre,
            sample_rate,
            params,
            rendering: setup.rendering,
            counts: Counts::default(),
            telemetry: setup.telemetry,
            scope: None,
            watched: false,
            scope_peak: 0.0,
            heard: Vec::with_capacity(HEARD_CAPACITY),
            heard_after_reset: None,
        };
        engine.reset();
        engine.publish();
        engine
    }

    pub fn mode(&self) -> Mode {
        match self.performer {
            Performer::Instrument(_) => Mode::Instrument,
            Performer::Effect(_) => Mode::Effect,
        }
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Samples between an input (or note-on) and its effect on the output.
    pub fn latency_samples(&self) -> u32 {
        latency_samples(
            &self.performer,
            self.sample_rate,
            self.timbre.latency_frames(),
        )
    }

    /// Whether `params` need another engine: the effect's look-ahead sets the latency, which a
    /// host takes only at activation.
    pub fn needs_rebuild(&self, params: &Params) -> bool {
        match &self.performer {
            Performer::Effect(e) => e.look_ahead_differs(params),
            Performer::Instrument(_) => false,
        }
    }

    /// The features the effect analysed at the last frame boundary.
    pub fn last_features(&self) -> Option<Features> {
        match &self.performer {
            Performer::Effect(e) => e.last_features(),
            Performer::Instrument(_) => None,
        }
    }

    /// Notes the instrument is sounding (held or releasing).
    pub fn active_voices(&self) -> usize {
        match &self.performer {
            Performer::Instrument(i) => i.active_voices(),
            Performer::Effect(_) => 0,
        }
    }

    /// How the following blocks are rendered (a host may start an offline export without a new
    /// activation).
    pub fn set_rendering(&mut self, rendering: Rendering) {
        self.rendering = rendering;
    }

    pub fn stats(&self) -> Stats {
        self.telemetry.stats()
    }

    pub fn telemetry(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    /// The name of the model playing, if any.
    pub fn model_name(&self) -> Option<&str> {
        match &self.timbre {
            Timbre::Model(d) => Some(d.card().name.as_str()),
            Timbre::Fixed(_) => None,
        }
    }

    /// Plays `link`'s model from the next block on, with no gap: frames already sent to the
    /// old model still play from it, then it retires (`take_retired_decoder`). Real-time safe.
    pub fn swap_decoder(&mut self, link: Link) -> Result<(), (Link, SwapRefused)> {
        match &mut self.timbre {
            Timbre::Model(d) => d.swap(link),
            Timbre::Fixed(_) => Err((link, SwapRefused::NoDecoder)),
        }
    }

    /// A model `swap_decoder` replaced, once it has played its last frame: the caller drops it
    /// off the audio thread (dropping a model joins its thread).
    pub fn take_retired_decoder(&mut self) -> Option<Link> {
        match &mut self.timbre {
            Timbre::Model(d) => d.take_retired(),
            Timbre::Fixed(_) => None,
        }
    }

    /// Takes new knob values (those set outside the audio stream), from the current sample on;
    /// cheap enough to call every block.
    pub fn set_params(&mut self, params: Params) {
        if params == self.params {
            return;
        }
        for change in self.params.changes_to(&params) {
            if change.acts_on_output() {
                self.params.apply(change);
                self.play_param(change);
            } else {
                self.plan_event(&Event::Param { time: 0, change });
            }
        }
    }

    /// Silences everything at once and settles the knobs (host reset, transport jump).
    pub fn reset(&mut self) {
        match &mut self.performer {
            Performer::Instrument(i) => i.reset(),
            Performer::Effect(e) => {
                e.reset(self.params.input_gain_db);
                self.heard_after_reset = e.heard().next();
            }
        }
        self.timbre.reset();
        self.tone.reset(&self.params);
        self.plans.clear();
        self.schedule.clear();
        self.voices.kill_all();
        if let Performer::Effect(_) = self.performer {
            // The effect's voice plays what its frames say; it starts silent.
            self.voices.open(0, self.played.segment);
        }
        self.output.reset(&self.params);
    }

    /// Processes one block in place. `channels` all have the same length; the first
    /// `input_channels` of them hold the input. `events` must be sorted by time; times past the
    /// block's end act at its end.
    pub fn process(
        &mut self,
        channels: &mut [&mut [f32]],
        input_channels: usize,
        events: &[Event],
    ) {
        self.watched = self.scope.is_some() && self.telemetry.is_watching();
        self.heard.clear();
        if let Some(off) = self.heard_after_reset.take() {
            self.heard.push((0, off));
        }
        let Some(len) = channels.first().map(|c| c.len()) else {
            return;
        };
        let input_channels = input_channels.min(channels.len());
        let wait = self.wait_for(len);
        self.timbre
            .keep_pace(wait, self.planned.sample, self.sample_rate);
        let piece = self.max_piece();
        let (mut from, mut next) = (0, 0);
        loop {
            let to = (from + piece).min(len);
            // The events of this piece; the last piece takes the ones past the block's end too.
            let count = events[next..]
                .iter()
                .take_while(|e| (e.time() as usize) < to || to == len)
                .count();
            let here = &events[next..next + count];
            self.plan_piece(channels, input_channels, from, to, here);
            self.timbre.send(self.planned.sample);
            self.play_piece(channels, input_channels, from, to, here, wait);
            next += count;
            from = to;
            if from >= len {
                break;
            }
        }
        self.publish();
    }

    /// How long replies may be waited for in a block of `len` samples.
    fn wait_for(&self, len: usize) -> Wait {
        let deadline = match self.rendering {
            Rendering::Offline => None,
            Rendering::Realtime => {
                let block = len as f64 / self.sample_rate as f64;
                Some(Instant::now() + Duration::from_secs_f64(block * WAIT_SHARE))
            }
        };
        Wait { deadline }
    }

    /// The longest stretch planned in one go: its frames fit one decoder job.
    fn max_piece(&self) -> usize {
        let shortest = self.planned.segment.sample_rate / FRAME_RATE_HZ;
        (JOB_FRAMES - 1) * shortest as usize
    }

    /// Plans samples `from..to`: the input (effect) is heard, events act at their samples, and
    /// every frame boundary on the way gets its plan.
    fn plan_piece(
        &mut self,
        channels: &[&mut [f32]],
        input_channels: usize,
        from: usize,
        to: usize,
        events: &[Event],
    ) {
        let mut at = from;
        let mut events = events.iter().filter(|e| !e.acts_on_output()).peekable();
        loop {
            // Events at this sample first: one at a boundary belongs to the segment it ends.
            while let Some(e) = events.next_if(|e| (e.time() as usize).clamp(from, to) <= at) {
                self.plan_event(e);
            }
            if at == to {
                break;
            }
            if self.planned.left() == 0 {
                self.planned.next_segment();
                self.plan_frame();
                if let Performer::Effect(e) = &self.performer {
                    for note in e.heard() {
                        if self.heard.len() < HEARD_CAPACITY {
                            self.heard.push((at as u32, note));
                        }
                    }
                }
            }
            let until = events
                .peek()
                .map_or(to, |e| (e.time() as usize).clamp(at, to));
            let n = (until - at).min(self.planned.left());
            if let Performer::Effect(effect) = &mut self.performer {
                for start in (at..at + n).step_by(RENDER_CHUNK) {
                    let end = (start + RENDER_CHUNK).min(at + n);
                    effect.listen(channels, input_channels, start, end, &mut self.counts);
                }
            }
            self.planned.advance(n);
            at += n;
        }
    }

    /// The performer, and what it plans with where planning is now.
    fn planner(&mut self) -> (&mut Performer, Planning<'_>) {
        let planning = Planning {
            cursor: self.planned,
            sample_rate: self.sample_rate,
            latency: self.timbre.latency_frames(),
            timbre: &mut self.timbre,
            tone: &self.tone,
            schedule: &mut self.schedule,
            counts: &mut self.counts,
        };
        (&mut self.performer, planning)
    }

    fn plan_event(&mut self, event: &Event) {
        if let Event::Param { change, .. } = *event {
            self.params.apply(change);
            self.tone.set(change);
            match &mut self.performer {
                Performer::Instrument(i) => i.set_settings(self.params.performance()),
                Performer::Effect(e) => e.set_retune(self.params.retune()),
            }
        }
        let (performer, mut planning) = self.planner();
        match performer {
            Performer::Instrument(i) => i.event(event, &mut planning),
            Performer::Effect(e) => e.event(event, &mut planning),
        }
    }

    fn plan_frame(&mut self) {
        let index = self.planned.index;
        self.tone.next_frame();
        let (performer, mut planning) = self.planner();
        let plan = match performer {
            Performer::Instrument(i) => i.plan(&mut planning),
            Performer::Effect(e) => e.plan(&mut planning),
        };
        self.plans.set(index, plan);
    }

    /// Plays samples `from..to`: each boundary's frames (planned a latency earlier), the note
    /// actions due, the output's knobs at their samples, then the output stage.
    fn play_piece(
        &mut self,
        channels: &mut [&mut [f32]],
        input_channels: usize,
        from: usize,
        to: usize,
        events: &[Event],
        wait: Wait,
    ) {
        let mut at = from;
        let mut events = events.iter().filter(|e| e.acts_on_output()).peekable();
        loop {
            while let Some(e) = events.next_if(|e| (e.time() as usize).clamp(from, to) <= at) {
                if let Event::Param { change, .. } = *e {
                    self.params.apply(change);
                    self.play_param(change);
                }
            }
            self.play_actions(wait);
            if at == to {
                break;
            }
            if self.played.left() == 0 {
                self.played.next_segment();
                self.play_frame(wait);
                self.play_actions(wait);
            }
            let until = events
                .peek()
                .map_or(to, |e| (e.time() as usize).clamp(at, to));
            let action = self.schedule.next_offset(self.played.index);
            let n = (until - at)
                .min(self.played.left())
                .min(RENDER_CHUNK)
                .min(action.map_or(usize::MAX, |o| o.saturating_sub(self.played.pos).max(1)));
            let end = at + n;
            // The dry path takes the input before the output replaces it.
            self.output.take_dry(&channels[..input_channels], at, end);
            self.voices.render(&mut channels[0][at..end]);
            self.output.spread(channels, at, end);
            self.output.process(channels, at, end);
            if self.watched {
                for c in channels.iter() {
                    let peak = c[at..end].iter().fold(0.0f32, |m, x| m.max(x.abs()));
                    self.scope_peak = self.scope_peak.max(peak);
                }
            }
            self.played.advance(n);
            at = end;
        }
    }

    fn play_param(&mut self, change: ParamChange) {
        match change {
            ParamChange::OutputGainDb(db) => self.output.set_output_gain(db),
            ParamChange::ReverbMix(mix) => self.output.set_reverb_mix(mix),
            ParamChange::Width(width) => self.output.set_width(width),
            ParamChange::ReverbSize(seconds) => self.output.set_reverb_size(seconds),
            ParamChange::Bypass(bypass) => self.output.set_bypass(bypass),
            ParamChange::DryWet(wet) => self.output.set_dry_wet(wet),
            _ => {}
        }
    }

    /// The note actions due where playing is now.
    fn play_actions(&mut self, wait: Wait) {
        let (segment, pos) = (self.played.segment, self.played.pos);
        // At a segment's end every action left in it is due: one planned at the end of a
        // segment a sample longer lands past this one's end.
        let due = if pos == segment.len() {
            usize::MAX
        } else {
            pos
        };
        while let Some(action) = self.schedule.pop_due(self.played.index, due) {
            match action {
                Action::Start {
                    voice,
                    attack_seconds,
                    start: Some(start),
                } => {
                    let controls = self.voices.controls_mut(voice);
                    if !self.timbre.resolve(start.source, wait, controls) {
                        // Too late: start silent and fade in on the next frame's controls.
                        controls.amplitude = 0.0;
                    }
                    self.voices.start(
                        voice,
                        segment,
                        pos,
                        start.f0_hz,
                        start.gain,
                        start.shape,
                        attack_seconds,
                    );
                }
                Action::Start {
                    voice,
                    attack_seconds,
                    start: None,
                } => self.voices.trigger(voice, attack_seconds),
                Action::Release {
                    voice,
                    hold_seconds,
                    fade_seconds,
                } => self.voices.release(voice, hold_seconds, fade_seconds),
                Action::Kill { voice } => self.voices.kill(voice),
            }
        }
    }

    /// At a boundary: every voice's frame from the plan a latency back.
    fn play_frame(&mut self, wait: Wait) {
        let Some(index) = self.played.index.checked_sub(self.timbre.latency_frames()) else {
            return;
        };
        let plan = self.plans.get(index).copied();
        let segment = self.played.segment;
        for voice in 0..self.voices.count() {
            let planned = plan.and_then(|p| p[voice]);
            match planned {
                Some(p) if self.voices.is_sounding(voice) => {
                    if let Some(source) = p.source {
                        // On an underrun the previous controls hold.
                        self.timbre
                            .resolve(source, wait, self.voices.controls_mut(voice));
                    }
                    self.voices
                        .push(voice, segment, p.f0_hz, p.gain, p.shape, p.from_silence);
                }
                _ if self.voices.is_sounding(voice) => self.voices.hold(voice, segment),
                _ => {}
            }
        }
        if self.watched {
            self.show(plan);
        }
    }

    /// The live views' frame, to the editor (dropped if its queue is full).
    fn show(&mut self, plan: Option<FramePlan>) {
        let mut frame = scope::Frame {
            peak: std::mem::take(&mut self.scope_peak),
            input: self.last_features().map(|f| scope::Trace {
                f0_hz: if f.confidence >= voicing::VOICED_CONFIDENCE {
                    f.f0_hz
                } else {
                    0.0
                },
                loudness_db: f.loudness_db,
            }),
            ..scope::Frame::default()
        };
        let mut loudest = (0.0f32, None);
        for voice in 0..self.voices.count() {
            let Some(p) = plan
                .and_then(|p| p[voice])
                .filter(|_| self.voices.is_sounding(voice))
            else {
                continue;
            };
            frame.voices[voice] = scope::Trace {
                f0_hz: p.f0_hz,
                loudness_db: p.loudness_db,
            };
            let level = self.voices.controls(voice).amplitude * p.gain;
            if level > loudest.0 {
                loudest = (level, Some(voice));
            }
        }
        if let Some(voice) = loudest.1 {
            let c = self.voices.controls(voice);
            frame.amplitude = loudest.0;
            frame.harmonic_count = c.harmonics.len().min(frame.harmonics.len());
            frame.harmonics[..frame.harmonic_count]
                .copy_from_slice(&c.harmonics[..frame.harmonic_count]);
            frame.noise_count = c.noise.len().min(frame.noise.len());
            frame.noise[..frame.noise_count].copy_from_slice(&c.noise[..frame.noise_count]);
        }
        if let Some(scope) = self.scope.as_mut() {
            let _ = scope.push(frame);
        }
    }

    /// What the effect heard in the last block, as MIDI (note ons and offs, pitch bends for
    /// the fine pitch over +-`control::transcribe::BEND_RANGE_SEMITONES`), each at its sample.
    pub fn heard(&self) -> &[(u32, NoteOut)] {
        &self.heard
    }

    /// Lends the engine the live views' queue (the owner keeps it across engines).
    pub fn attach_scope(&mut self, scope: Option<rtrb::Producer<scope::Frame>>) {
        self.scope = scope;
    }

    /// Gives the live views' queue back (before the engine is dropped).
    pub fn detach_scope(&mut self) -> Option<rtrb::Producer<scope::Frame>> {
        self.scope.take()
    }

    /// The counters, to the telemetry.
    fn publish(&mut self) {
        let (decoded_frames, decoder_cpu_ns, underruns, waited_ns) = match &self.timbre {
            Timbre::Model(d) => {
                let (frames, cpu) = d.decoder_work();
                (frames, cpu, d.underruns, d.waited_ns)
            }
            Timbre::Fixed(_) => (0, 0, 0, 0),
        };
        self.telemetry.publish(&Stats {
            non_finite_input: self.counts.non_finite_input,
            rejected_events: self.counts.rejected_events,
            rejected_frames: self.voices.rejected_frames(),
            decoder_underruns: underruns,
            decoded_frames,
            decoder_cpu_ns,
            waited_ns,
            latency_samples: self.latency_samples(),
            sample_rate_hz: self.sample_rate.round() as u32,
        });
    }
}

/// The latency of `performer` at `sample_rate` with `frames` of decoder latency.
fn latency_samples(performer: &Performer, sample_rate: f32, frames: u64) -> u32 {
    let decoder = frames as f32 * sample_rate / FRAME_RATE_HZ as f32;
    let analysis = match performer {
        Performer::Instrument(_) => 0.0,
        Performer::Effect(e) => e.latency_seconds() * sample_rate,
    };
    (analysis + decoder).round() as u32
}
