//! The framework-free core that both plugins, the tests and the command-line tool drive.
//!
//! `Engine::process` works in place on the host's channel buffers: inputs arrive in the first
//! channels and are replaced by the output, which is how plugin hosts hand audio over and saves
//! a copy. Events are applied at their sample offsets by splitting the block there.
//!
//! Instrument: each voice is a DDSP synth voice fed one control frame per segment of a single
//! frame grid shared by all voices (so a batched decoder can serve them together), times a
//! sample-accurate gate envelope, so note timing does not depend on the 4 ms frames. Until the
//! decoder lands, a voice's frames carry a fixed spectrum. Effect: the input (after its gain,
//! mixed to mono) is analysed at every frame boundary and one synth voice plays what it hears.
//! Both: reverb (wet/dry) and output gain.
//!
//! Effect policy for unvoiced or silent input (confidence under 0.55 to start a note or under 0.4
//! once sounding, or loudness under -60 dB):
//! the pitch holds where it was (no jumps to a noise estimate), the amplitude fades by 4.4 dB
//! per frame (60 dB in 55 ms) and then is exactly zero, and the octave memory is cleared. When
//! the input is voiced again, a silent voice restarts at the new pitch with no glide from the
//! old one; a still-sounding voice glides to it over one frame. With a model a note starts the
//! same way, but then the level is the model's: the voice plays (at the held pitch when
//! unvoiced) until the input is silent, under -79 dB, then fades the same way.

use crate::analysis::features::{Analyzer, Features};
use crate::analysis::loudness::full_scale_sine_db;
use crate::analysis::pitch::PitchConfig;
use crate::control::voices::{SlotState, Start, VoiceAllocator, MAX_VOICES};
use crate::dsp::envelope::Envelope;
use crate::dsp::frames::{Frame, Segment};
use crate::dsp::reverb::{builtin_room_ir, Reverb};
use crate::dsp::smoother::LinearSmoother;
use crate::dsp::synth::{SynthConfig, VoiceSynth};
use crate::model::inference::{Link, Reply, Request, VoiceRequest};

mod delayed;
use delayed::{DelayLine, Delayed};

/// Lowest and highest host rates the engine is built and tested for.
pub const MIN_SAMPLE_RATE: f32 = 22_050.0;
pub const MAX_SAMPLE_RATE: f32 = 192_000.0;

/// Gain knobs take this long to reach a new value, so that automation does not zipper.
const GAIN_RAMP_SECONDS: f32 = 0.02;

/// Velocity 0..1 maps linearly in dB onto this range below full level.
const VELOCITY_RANGE_DB: f32 = 36.0;

/// The placeholder timbre's noise floor relative to the harmonic amplitude: a little breath.
const PLACEHOLDER_NOISE: f32 = 0.003;

/// Longest stretch rendered at once; longer host blocks are cut into pieces this long.
const RENDER_CHUNK: usize = 1024;

/// Effect: voicing starts at this confidence and holds down to the lower one (hysteresis: a note
/// starts as soon as its pitch is fairly sure, about two periods in, and does not flutter in
/// and out); under the loudness gate the input is silent.
const VOICED_CONFIDENCE: f32 = 0.55;
const HOLD_CONFIDENCE: f32 = 0.4;
const GATE_DB: f32 = -60.0;
/// Effect: the delay from an input onset to the output's -6 dB point, measured for a 440 Hz tone
/// (`tests/clap_plugins.rs` holds the report to the measurement). Lower notes need more signal
/// before their pitch is sure (about 1.3 periods): measured with
/// `cargo run --release -p luthier --example onset_latency`, 82 Hz 15.5 ms, 110 Hz 12.7 ms,
/// 220 Hz 10.2 ms, 440 Hz 4.9 ms, 880 Hz 5.6 ms.
const EFFECT_LATENCY_SECONDS: f32 = 0.005;

/// Effect with a model: the input is silent under this loudness (the tracker's floor is -80 dB)
/// and the voice fades out; above it the decoder plays, at the held pitch when unvoiced. The
/// model follows the input's level down, so a tail at -75 dB stays a quiet tail instead of a
/// cut: on the cello's validation phrases, gating by the fixed spectrum's rule (voiced and over
/// -60 dB) raised the spectral distance to the original from 5.16 to 6.78 (the same model).
const MODEL_SILENCE_DB: f32 = -79.0;

/// Effect: amplitude factor per frame while unvoiced (-4.4 dB), and where it becomes zero.
const UNVOICED_DECAY: f32 = 0.6;
const SILENT_AMPLITUDE: f32 = 1e-4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// MIDI in, audio out.
    Instrument,
    /// Audio in, audio out (tone transfer).
    Effect,
}

/// A note event at a sample offset within the block being processed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    NoteOn {
        time: u32,
        channel: u8,
        key: u8,
        velocity: f32,
    },
    NoteOff {
        time: u32,
        channel: u8,
        key: u8,
    },
    /// Silence one note at once (host voice choke).
    Choke {
        time: u32,
        channel: u8,
        key: u8,
    },
    /// Release every note (MIDI "all notes off", transport stop).
    AllNotesOff {
        time: u32,
    },
}

impl Event {
    /// The same event at sample offset `time` (events move between blocks).
    pub fn at(self, time: u32) -> Self {
        match self {
            Event::NoteOn {
                channel,
                key,
                velocity,
                ..
            } => Event::NoteOn {
                time,
                channel,
                key,
                velocity,
            },
            Event::NoteOff { channel, key, .. } => Event::NoteOff { time, channel, key },
            Event::Choke { channel, key, .. } => Event::Choke { time, channel, key },
            Event::AllNotesOff { .. } => Event::AllNotesOff { time },
        }
    }

    pub fn time(&self) -> u32 {
        match *self {
            Event::NoteOn { time, .. }
            | Event::NoteOff { time, .. }
            | Event::Choke { time, .. }
            | Event::AllNotesOff { time } => time,
        }
    }
}

/// Knob values, in user units; the engine smooths what needs smoothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub input_gain_db: f32,
    pub output_gain_db: f32,
    pub attack_seconds: f32,
    pub release_seconds: f32,
    /// Reverb wet/dry, 0..1.
    pub reverb_mix: f32,
    /// Effect: where the tracker looks for pitch. Takes effect when the engine is built (it
    /// sizes the tracker's windows): see `needs_rebuild`.
    pub pitch: PitchConfig,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            attack_seconds: 0.005,
            release_seconds: 0.08,
            reverb_mix: 0.0,
            pitch: PitchConfig::default(),
        }
    }
}

/// Counters of what the engine had to repair, for the editor and the tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Input samples that were NaN or infinite and were replaced by silence.
    pub non_finite_input: u64,
    /// Events that could not be applied (key out of range, non-finite velocity).
    pub rejected_events: u64,
    /// Control frames the synth refused (NaN, infinite or negative values).
    pub rejected_frames: u64,
    /// Frames whose decoder reply came too late; the previous controls were held.
    pub decoder_underruns: u64,
}

/// Why `Engine::swap_decoder` handed a model back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapRefused {
    /// This engine was built without a decoder: build one with the model.
    NoDecoder,
    /// The model makes other controls than the synth was built for: build anew.
    OtherShape,
    /// The previous swap has not finished: try again next block.
    Busy,
}

/// How the engine runs a decoder: what it takes from the host's setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Frames between a request and the frame it becomes audible in. A host block is analysed
    /// and synthesised in one burst, so a reply can only be ready for a later block: the slack
    /// must span the host's largest block (`slack_for_block`).
    pub slack_frames: u32,
    /// The host renders offline: wait for every reply, so renders are repeatable.
    pub offline: bool,
}

/// The smallest slack that spans a host block of `max_block` samples (at least one frame).
pub fn slack_for_block(max_block: u32, sample_rate: f32) -> u32 {
    let hop = sample_rate / crate::model::card::FRAME_RATE_HZ as f32;
    ((max_block as f32 / hop).ceil() as u32).max(1)
}

/// Longest slack the engine keeps conditioning for (1 s of frames).
const MAX_SLACK: usize = 250;

/// What the effect decided for a frame it sent to the decoder, kept until the reply plays.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    f0_hz: f32,
    /// The voicing policy's factor (1 voiced, decaying when not, 0 silent).
    gain: f32,
    from_silence: bool,
}

/// What a note event does to one voice, as the allocator decided it when the event arrived.
#[derive(Debug, Clone, Copy)]
enum Action {
    Start {
        voice: usize,
        key: u8,
        velocity: f32,
        /// The voice was silent: it starts at phase zero on its first sample.
        fresh: bool,
    },
    Release {
        voice: usize,
    },
    Kill {
        voice: usize,
    },
}

/// Note events in flight through the slack (a few per frame is plenty).
const DELAYED_EVENTS: usize = 4096;

/// One voice's latest controls from the decoder (held through an underrun).
struct Decoded {
    amplitude: f32,
    harmonics: Vec<f32>,
    noise: Vec<f32>,
}

impl Decoded {
    fn new(harmonics: usize, noise: usize) -> Self {
        Self {
            amplitude: 0.0,
            harmonics: vec![0.0; harmonics],
            noise: vec![0.0; noise],
        }
    }

    fn take_row(&mut self, reply: &Reply, voice: usize) {
        self.amplitude = reply.amplitude[voice];
        let (k, b) = (self.harmonics.len(), self.noise.len());
        self.harmonics.copy_from_slice(&reply.harmonics[voice][..k]);
        self.noise.copy_from_slice(&reply.noise[voice][..b]);
    }

    fn frame(&self, f0_hz: f32) -> Frame<'_> {
        Frame {
            f0_hz,
            amplitude: self.amplitude,
            harmonics: &self.harmonics,
            noise: &self.noise,
        }
    }
}

/// The models requests go to: the current one and, during a swap, the one it replaces.
struct Links {
    link: Link,
    /// The model being replaced (`swap_decoder`): replies to requests it was sent, numbered
    /// before `switch_seq`, still come from it.
    retiring: Option<Link>,
    switch_seq: u64,
    /// A replaced model with nothing left to give, waiting to be dropped off the audio thread.
    retired: Option<Link>,
    /// The next request's sequence number.
    seq: u64,
    offline: bool,
}

impl Links {
    /// Sends `request` to the current model, numbered; returns its number.
    fn send(&mut self, mut request: Request) -> u64 {
        request.seq = self.seq;
        self.link.send(request);
        self.seq += 1;
        request.seq
    }

    /// The reply to request `seq`, from whichever model it was sent to.
    fn take(&mut self, seq: u64) -> Option<&Reply> {
        let offline = self.offline;
        if self.retiring.is_some() && seq < self.switch_seq {
            return self
                .retiring
                .as_mut()
                .and_then(|old| old.take(seq, offline));
        }
        // A reply from the new model: the old one has nothing left to give.
        if self.retired.is_none() {
            self.retired = self.retiring.take();
        }
        self.link.take(seq, offline)
    }

    fn card(&self) -> &crate::model::card::ModelCard {
        self.link.card()
    }

    fn underruns(&self) -> u64 {
        self.link.underruns() + self.retiring.as_ref().map_or(0, |l| l.underruns())
    }
}

/// The path through the decoder: frames go out as requests and come back `slack` frames later.
struct DecoderPath {
    links: Links,
    options: DecoderOptions,
    /// The next grid frame's index.
    frame: u64,
    /// Each grid frame's request, by frame index modulo the ring's length.
    grid: Vec<u64>,
    /// Instrument: the note events the listener hears `slack` frames late.
    delayed: DelayLine,
    /// Instrument: each voice's controls.
    decoded: Vec<Decoded>,
    /// Instrument: starts queued per voice and not yet heard (its slot is not free till then).
    pending_starts: [u32; MAX_VOICES],
    /// Effect: what was decided for each frame in flight.
    pending: Vec<Pending>,
    /// The voicing policy's running factor.
    gain: f32,
    /// The last controls that arrived (held through an underrun).
    amplitude: f32,
    harmonics: Vec<f32>,
    noise: Vec<f32>,
    /// `noise` times the policy's factor, as played.
    noise_played: Vec<f32>,
}

/// The fixed spectrum voices play until the decoder provides one: harmonic k at 1/k.
struct PlaceholderTimbre {
    harmonics: Vec<f32>,
}

/// What a voice is asked to play, frame by frame.
struct VoiceControls {
    f0_hz: f32,
    amplitude: f32,
    /// Noise-band magnitudes; the placeholder's breath follows the velocity.
    noise: Vec<f32>,
}

struct Voice {
    synth: VoiceSynth,
    gate: Envelope,
    controls: VoiceControls,
}

pub struct Engine {
    mode: Mode,
    sample_rate: f32,
    params: Params,
    allocator: VoiceAllocator,
    voices: Vec<Voice>,
    timbre: PlaceholderTimbre,
    /// The frame grid's current segment and how much of it has been rendered.
    segment: Segment,
    segment_pos: usize,
    /// How many segments have begun (the delayed events' clock).
    segment_index: u64,
    input_gain: LinearSmoother,
    output_gain: LinearSmoother,
    reverb_mix: LinearSmoother,
    reverb: Reverb,
    /// The reverb was skipped while dry and must be cleared before it is heard again.
    reverb_idle: bool,
    voice_buf: Vec<f32>,
    mono: Vec<f32>,
    wet: Vec<f32>,
    /// Effect only: what the input sounds like, frame by frame.
    analyzer: Option<Analyzer>,
    last_features: Option<Features>,
    effect_voiced: bool,
    decoder: Option<DecoderPath>,
    stats: Stats,
}

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

pub fn midi_key_to_hz(key: f32) -> f32 {
    440.0 * 2f32.powf((key - 69.0) / 12.0)
}

impl Engine {
    /// Allocates everything `process` will need. Any block size works afterwards: longer
    /// blocks are rendered in pieces of `RENDER_CHUNK`, so the host's maximum does not matter.
    pub fn new(mode: Mode, sample_rate: f32) -> Self {
        Self::with_params(mode, sample_rate, Params::default())
    }

    /// As `new`, with the knobs (and the effect's pitch range) set from the start.
    pub fn with_params(mode: Mode, sample_rate: f32, initial: Params) -> Self {
        Self::build(mode, sample_rate, initial, None)
    }

    /// As `with_params`, with the synthesis controls coming from a decoder (so far the effect
    /// only; the instrument keeps its fixed spectrum). The synth takes the model's harmonics
    /// and noise bands.
    pub fn with_decoder(
        mode: Mode,
        sample_rate: f32,
        initial: Params,
        link: Link,
        options: DecoderOptions,
    ) -> Self {
        Self::build(mode, sample_rate, initial, Some((link, options)))
    }

    fn build(
        mode: Mode,
        sample_rate: f32,
        initial: Params,
        decoder: Option<(Link, DecoderOptions)>,
    ) -> Self {
        let sample_rate = if sample_rate.is_finite() {
            sample_rate.clamp(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
        } else {
            48_000.0
        };
        let params = Params::default();
        let mut config = SynthConfig::standard(sample_rate.round() as u32);
        if let Some((link, _)) = &decoder {
            config.harmonics = link.card().harmonics;
            config.noise_bands = link.card().noise_bands;
            config.noise_spacing_hz = link.card().noise_band_hz as f32;
        }
        let decoder = decoder.map(|(link, options)| DecoderPath {
            links: Links {
                link,
                retiring: None,
                switch_seq: 0,
                retired: None,
                seq: 0,
                offline: options.offline,
            },
            options: DecoderOptions {
                slack_frames: options.slack_frames.clamp(1, MAX_SLACK as u32),
                ..options
            },
            frame: 0,
            grid: vec![0; MAX_SLACK + 1],
            delayed: DelayLine::with_capacity(DELAYED_EVENTS),
            decoded: (0..MAX_VOICES)
                .map(|_| Decoded::new(config.harmonics, config.noise_bands))
                .collect(),
            pending_starts: [0; MAX_VOICES],
            pending: vec![Pending::default(); MAX_SLACK + 1],
            gain: 0.0,
            amplitude: 0.0,
            harmonics: vec![0.0; config.harmonics],
            noise: vec![0.0; config.noise_bands],
            noise_played: vec![0.0; config.noise_bands],
        });
        let voices = (0..MAX_VOICES)
            .map(|i| Voice {
                // A seed per voice, so that chords do not play the same noise in unison.
                synth: VoiceSynth::new(&SynthConfig {
                    seed: config.seed + i as u64,
                    ..config
                }),
                gate: Envelope::new(params.attack_seconds, params.release_seconds, sample_rate),
                controls: VoiceControls {
                    f0_hz: 0.0,
                    amplitude: 0.0,
                    noise: vec![0.0; config.noise_bands],
                },
            })
            .collect();
        let mut reverb = Reverb::with_mix(&builtin_room_ir(sample_rate), sample_rate, 1.0);
        reverb.reset();
        Self {
            mode,
            sample_rate,
            params,
            allocator: VoiceAllocator::default(),
            voices,
            timbre: PlaceholderTimbre {
                harmonics: (1..=config.harmonics).map(|k| 1.0 / k as f32).collect(),
            },
            segment: Segment::first(config.sample_rate, config.frame_rate),
            segment_pos: 0,
            segment_index: 0,
            input_gain: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            output_gain: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb_mix: LinearSmoother::new(0.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb,
            reverb_idle: true,
            voice_buf: vec![0.0; RENDER_CHUNK],
            mono: vec![0.0; RENDER_CHUNK],
            wet: vec![0.0; RENDER_CHUNK],
            analyzer: (mode == Mode::Effect).then(|| Analyzer::new(sample_rate, initial.pitch)),
            last_features: None,
            effect_voiced: false,
            decoder,
            stats: Stats::default(),
        }
        .with_effect_voice_silent()
        .with_initial_params(initial)
    }

    fn with_initial_params(mut self, params: Params) -> Self {
        self.set_params(params);
        self.reset();
        self
    }

    /// Whether `params` ask for a pitch range this engine was not built with: the caller must
    /// build a new engine (off the audio thread), as it sizes the tracker's buffers.
    pub fn needs_rebuild(&self, params: &Params) -> bool {
        let built = self.analyzer.as_ref().map(|a| a.pitch_config());
        built.is_some_and(|b| b.min_hz != params.pitch.min_hz || b.max_hz != params.pitch.max_hz)
    }

    /// The effect's single voice starts silent on the first segment.
    fn with_effect_voice_silent(mut self) -> Self {
        if self.mode == Mode::Effect {
            let voice = &mut self.voices[0];
            let frame = voice_frame(&voice.controls, &self.timbre);
            voice.synth.reset(&frame, self.segment);
            voice.synth.push(&frame, self.segment);
        }
        self
    }

    /// The features the effect analysed at the last frame boundary.
    pub fn last_features(&self) -> Option<Features> {
        self.last_features
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Samples between an input (or note-on) and its effect on the output.
    pub fn latency_samples(&self) -> u32 {
        let slack = self.decoder.as_ref().map_or(0.0, |d| {
            d.options.slack_frames as f32 * self.sample_rate
                / crate::model::card::FRAME_RATE_HZ as f32
        });
        match self.mode {
            Mode::Instrument => slack.round() as u32,
            Mode::Effect => (EFFECT_LATENCY_SECONDS * self.sample_rate + slack).round() as u32,
        }
    }

    pub fn stats(&self) -> Stats {
        let rejected_frames = self.voices.iter().map(|v| v.synth.invalid_frames()).sum();
        Stats {
            rejected_frames,
            decoder_underruns: self.decoder.as_ref().map_or(0, |d| d.links.underruns()),
            ..self.stats
        }
    }

    /// Plays `link`'s model from the next frame on, with no gap: frames already sent to the old
    /// model still play from it, then it retires (`take_retired_decoder`). Real-time safe. The
    /// new model must make the same controls (harmonics, noise bands) as the old; a swap still
    /// under way must finish first. Either refusal hands `link` back.
    pub fn swap_decoder(&mut self, link: Link) -> Result<(), (Link, SwapRefused)> {
        let Some(path) = &mut self.decoder else {
            return Err((link, SwapRefused::NoDecoder));
        };
        let links = &mut path.links;
        let (old, new) = (links.card(), link.card());
        let same_shape = old.harmonics == new.harmonics
            && old.noise_bands == new.noise_bands
            && old.noise_band_hz == new.noise_band_hz;
        if !same_shape {
            return Err((link, SwapRefused::OtherShape));
        }
        if links.retiring.is_some() || links.retired.is_some() {
            return Err((link, SwapRefused::Busy));
        }
        links.switch_seq = links.seq;
        links.retiring = Some(std::mem::replace(&mut links.link, link));
        Ok(())
    }

    /// A model `swap_decoder` replaced, once it has played its last frame: the caller drops it
    /// off the audio thread (dropping a model joins its thread).
    pub fn take_retired_decoder(&mut self) -> Option<Link> {
        self.decoder.as_mut()?.links.retired.take()
    }

    /// The name of the model playing, if any.
    pub fn model_name(&self) -> Option<&str> {
        self.decoder.as_ref().map(|d| d.links.card().name.as_str())
    }

    /// With a decoder: nanoseconds this engine waited for replies (offline) and the decoder
    /// thread spent decoding, so far. For the CPU benchmark.
    pub fn decoder_timing(&self) -> Option<(u64, u64)> {
        let path = self.decoder.as_ref()?;
        let busy = path
            .links
            .link
            .counters()
            .busy_ns
            .load(std::sync::atomic::Ordering::Relaxed);
        Some((path.links.link.waited_ns(), busy))
    }

    pub fn active_voices(&self) -> usize {
        self.allocator.active_count()
    }

    /// Takes new knob values; cheap enough to call every block.
    pub fn set_params(&mut self, params: Params) {
        if params == self.params {
            return;
        }
        self.params = params;
        self.input_gain.set_target(db_to_gain(params.input_gain_db));
        self.output_gain
            .set_target(db_to_gain(params.output_gain_db));
        self.reverb_mix
            .set_target(params.reverb_mix.clamp(0.0, 1.0));
        let (attack, release) = (params.attack_seconds, params.release_seconds);
        if attack.is_finite() && release.is_finite() {
            for v in &mut self.voices {
                v.gate.set_times(attack, release, self.sample_rate);
            }
        }
    }

    /// Silences everything at once and settles the smoothers (host reset, transport jump).
    pub fn reset(&mut self) {
        self.allocator.free_all();
        for v in &mut self.voices {
            v.gate.kill();
        }
        if let Some(analyzer) = &mut self.analyzer {
            analyzer.reset();
            self.voices[0].controls.amplitude = 0.0;
        }
        if let Some(path) = &mut self.decoder {
            // Frames already requested still come back and are skipped by number; what they
            // would play is forgotten.
            path.gain = 0.0;
            path.amplitude = 0.0;
            path.pending.fill(Pending::default());
            path.delayed.clear();
            path.pending_starts = [0; MAX_VOICES];
        }
        self.reverb.reset();
        self.input_gain.reset(db_to_gain(self.params.input_gain_db));
        self.output_gain
            .reset(db_to_gain(self.params.output_gain_db));
        self.reverb_mix
            .reset(self.params.reverb_mix.clamp(0.0, 1.0));
    }

    /// Processes one block in place. `channels` all have the same length; the first
    /// `input_channels` of them hold the input. `events` must be sorted by time; times past the
    /// block's end are applied at its end.
    pub fn process(
        &mut self,
        channels: &mut [&mut [f32]],
        input_channels: usize,
        events: &[Event],
    ) {
        let Some(len) = channels.first().map(|c| c.len()) else {
            return;
        };
        let input_channels = input_channels.min(channels.len());
        let mut start = 0;
        for event in events {
            let at = (event.time() as usize).clamp(start, len);
            self.render(channels, input_channels, start, at);
            self.apply(event);
            start = at;
        }
        self.render(channels, input_channels, start, len);
    }

    /// A note event as the allocator decides it on arrival; each voice it touches then acts,
    /// at once or, with a decoder, a slack later (`act`).
    fn apply(&mut self, event: &Event) {
        match *event {
            Event::NoteOn {
                channel,
                key,
                velocity,
                ..
            } => {
                if key > 127 || !velocity.is_finite() {
                    self.stats.rejected_events += 1;
                    return;
                }
                let velocity = velocity.clamp(0.0, 1.0);
                let (voice, fresh) = match self.allocator.note_on(channel, key, velocity) {
                    Start::Fresh(i) => (i, true),
                    Start::Retrigger(i) => (i, false),
                };
                self.act(Action::Start {
                    voice,
                    key,
                    velocity,
                    fresh,
                });
            }
            Event::NoteOff { channel, key, .. } => {
                if let Some(voice) = self.allocator.note_off(channel, key) {
                    self.act(Action::Release { voice });
                }
            }
            Event::Choke { channel, key, .. } => {
                if let Some(voice) = self.allocator.find(channel, key) {
                    self.allocator.free(voice);
                    self.act(Action::Kill { voice });
                }
            }
            Event::AllNotesOff { .. } => {
                for voice in 0..MAX_VOICES {
                    let slot = *self.allocator.slot(voice);
                    if slot.state == SlotState::Held {
                        self.allocator.note_off(slot.channel, slot.key);
                        self.act(Action::Release { voice });
                    }
                }
            }
        }
    }

    fn act(&mut self, action: Action) {
        if self.mode == Mode::Instrument && self.decoder.is_some() {
            self.act_later(action);
        } else {
            self.act_now(action);
        }
    }

    /// Without a decoder: the fixed spectrum at the note's level, heard on this very sample.
    fn act_now(&mut self, action: Action) {
        match action {
            Action::Start {
                voice,
                key,
                velocity,
                fresh,
            } => {
                let voice = &mut self.voices[voice];
                let controls = &mut voice.controls;
                controls.f0_hz = midi_key_to_hz(key as f32);
                controls.amplitude = db_to_gain(-VELOCITY_RANGE_DB * (1.0 - velocity));
                let breath = PLACEHOLDER_NOISE * controls.amplitude;
                controls.noise.iter_mut().for_each(|m| *m = breath);
                if fresh {
                    // From silence: start on this very sample at phase zero. A sounding voice
                    // (same key again, or stolen) glides to its new frame instead: no click.
                    let frame = voice_frame(&voice.controls, &self.timbre);
                    voice.synth.reset(&frame, self.segment);
                    voice.synth.push(&frame, self.segment);
                    voice.synth.start_at(self.segment_pos);
                }
                voice.gate.trigger();
            }
            Action::Release { voice } => self.voices[voice].gate.release(),
            Action::Kill { voice } => self.voices[voice].gate.kill(),
        }
    }

    /// Renders samples `start..end` of every channel, in pieces that end at frame boundaries
    /// and fit the scratch buffers.
    fn render(
        &mut self,
        channels: &mut [&mut [f32]],
        input_channels: usize,
        start: usize,
        end: usize,
    ) {
        let mut from = start;
        while from < end {
            if self.segment_pos == self.segment.len() {
                // Delayed events at the segment's end come before the boundary's frame.
                if self.mode == Mode::Instrument {
                    self.apply_due_events();
                }
                self.next_segment();
            }
            let mut n = (end - from)
                .min(RENDER_CHUNK)
                .min(self.segment.len() - self.segment_pos);
            if self.mode == Mode::Instrument {
                if let Some(at) = self.apply_due_events() {
                    n = n.min(at - self.segment_pos);
                }
            }
            let to = from + n;
            match self.mode {
                Mode::Effect => {
                    self.listen(channels, input_channels, from, to);
                    self.voices[0].synth.render(&mut channels[0][from..to]);
                    copy_first_to_rest(channels, from, to);
                }
                Mode::Instrument => {
                    self.synthesize(&mut channels[0][from..to]);
                    copy_first_to_rest(channels, from, to);
                }
            }
            self.output_stage(channels, from, to);
            self.segment_pos += n;
            from = to;
        }
    }

    /// A new segment of the grid: every sounding voice gets the frame it moves towards.
    fn next_segment(&mut self) {
        self.segment = self.segment.next();
        self.segment_pos = 0;
        self.segment_index += 1;
        if self.decoder.is_some() {
            match self.mode {
                Mode::Effect => self.next_decoded_frame(),
                Mode::Instrument => self.next_decoded_voices(),
            }
            return;
        }
        if let Some(analyzer) = &mut self.analyzer {
            let features = analyzer.analyze();
            self.last_features = Some(features);
            let voice = &mut self.voices[0];
            let controls = &mut voice.controls;
            let was_silent = controls.amplitude == 0.0;
            let voiced = Self::voicing(&mut self.effect_voiced, &features);
            if voiced {
                controls.f0_hz = features.f0_hz;
                controls.amplitude = db_to_gain(features.loudness_db - full_scale_sine_db());
            } else {
                controls.amplitude *= UNVOICED_DECAY;
                if controls.amplitude < SILENT_AMPLITUDE {
                    controls.amplitude = 0.0;
                    analyzer.forget_octave();
                }
            }
            let breath = PLACEHOLDER_NOISE * controls.amplitude;
            controls.noise.iter_mut().for_each(|m| *m = breath);
            if voiced && was_silent {
                // From silence: start at the new pitch, phase zero, fading in over the frame.
                let amplitude = controls.amplitude;
                controls.amplitude = 0.0;
                voice
                    .synth
                    .reset(&voice_frame(controls, &self.timbre), self.segment);
                controls.amplitude = amplitude;
            }
            voice
                .synth
                .push(&voice_frame(&voice.controls, &self.timbre), self.segment);
            return;
        }
        for (i, voice) in self.voices.iter_mut().enumerate() {
            if self.allocator.slot(i).state != SlotState::Free {
                let frame = voice_frame(&voice.controls, &self.timbre);
                voice.synth.push(&frame, self.segment);
            }
        }
    }

    /// The effect's voicing, with hysteresis: a note starts at VOICED_CONFIDENCE and holds down
    /// to HOLD_CONFIDENCE; under the gate the input is silent. `voiced` is the last frame's.
    fn voicing(voiced: &mut bool, features: &Features) -> bool {
        let needed = if *voiced {
            HOLD_CONFIDENCE
        } else {
            VOICED_CONFIDENCE
        };
        *voiced = features.confidence >= needed && features.loudness_db > GATE_DB;
        *voiced
    }

    /// Effect through the decoder: this frame's features go out as a request, and the reply
    /// for the frame `slack` frames back plays, with the voicing policy decided for it then.
    fn next_decoded_frame(&mut self) {
        let (Some(analyzer), Some(path)) = (&mut self.analyzer, &mut self.decoder) else {
            return;
        };
        let features = analyzer.analyze();
        self.last_features = Some(features);
        // The pitch follows the voicing rule. A note starts when its pitch is sure, as without
        // a model (so it starts on its own pitch); from then on the level is the decoder's to
        // follow, down to silence (see MODEL_SILENCE_DB).
        let voiced = Self::voicing(&mut self.effect_voiced, &features);
        if voiced {
            self.voices[0].controls.f0_hz = features.f0_hz;
        }
        let f0_hz = self.voices[0].controls.f0_hz;
        let slot = (path.frame % path.pending.len() as u64) as usize;
        let sounding = if path.gain > 0.0 {
            features.loudness_db > MODEL_SILENCE_DB
        } else {
            voiced
        };
        let from_silence = sounding && path.gain == 0.0;
        if sounding {
            path.gain = 1.0;
        } else {
            path.gain *= UNVOICED_DECAY;
            if path.gain < SILENT_AMPLITUDE {
                path.gain = 0.0;
                analyzer.forget_octave();
            }
        }
        path.pending[slot] = Pending {
            f0_hz,
            gain: path.gain,
            from_silence,
        };
        let mut request = Request::default();
        request.voices[0] = VoiceRequest {
            // A silent voice needs no decoding: its reply is zero, and so is its gain.
            active: path.gain > 0.0,
            reset: from_silence,
            f0_hz,
            loudness_db: features.loudness_db,
        };
        path.grid[slot] = path.links.send(request);
        path.frame += 1;

        let slack = path.options.slack_frames as u64;
        let Some(playing) = path.frame.checked_sub(1 + slack) else {
            // Nothing has had time to come back yet: silence.
            return;
        };
        let played = (playing % path.pending.len() as u64) as usize;
        let pending = path.pending[played];
        let seq = path.grid[played];
        if let Some(reply) = path.links.take(seq) {
            path.amplitude = reply.amplitude[0];
            let (k, b) = (path.harmonics.len(), path.noise.len());
            path.harmonics.copy_from_slice(&reply.harmonics[0][..k]);
            path.noise.copy_from_slice(&reply.noise[0][..b]);
        }
        for (played, n) in path.noise_played.iter_mut().zip(&path.noise) {
            *played = n * pending.gain;
        }
        let voice = &mut self.voices[0];
        let mut frame = Frame {
            f0_hz: pending.f0_hz,
            amplitude: 0.0,
            harmonics: &path.harmonics,
            noise: &path.noise_played,
        };
        if pending.from_silence {
            // From silence: start at the new pitch, phase zero, fading in over the frame.
            voice.synth.reset(&frame, self.segment);
        }
        frame.amplitude = path.amplitude * pending.gain;
        voice.synth.push(&frame, self.segment);
    }

    /// Instrument with a decoder: the decoder is asked for the voice's controls now, and the
    /// listener hears the action `slack` frames later.
    fn act_later(&mut self, action: Action) {
        let Some(path) = &mut self.decoder else {
            return;
        };
        let delayed = match action {
            Action::Start {
                voice,
                key,
                velocity,
                fresh,
            } => {
                self.voices[voice].controls.f0_hz = midi_key_to_hz(key as f32);
                // A voice from silence needs controls at its very first sample: ask for them
                // now, out of the frame grid, with its GRU state reset.
                let start = fresh.then(|| {
                    let mut request = Request::default();
                    request.voices[voice] = VoiceRequest {
                        active: true,
                        reset: true,
                        f0_hz: midi_key_to_hz(key as f32),
                        loudness_db: velocity_loudness(velocity, path.links.card()),
                    };
                    path.links.send(request)
                });
                path.pending_starts[voice] += 1;
                Delayed::Start { voice, start }
            }
            Action::Release { voice } => Delayed::Release { voice },
            Action::Kill { voice } => Delayed::Kill { voice },
        };
        // An event at a segment's very end (pos == len) stays there: it is heard before the
        // next boundary's frame, in the order the decoder was asked (`render`).
        let when = self.segment_index + path.options.slack_frames as u64;
        if let Err(now) = path.delayed.push(when, self.segment_pos, delayed) {
            Self::hear(&mut self.voices, path, self.segment, self.segment_pos, now);
        }
    }

    /// Applies the delayed events due now; returns the offset of the next one due in this
    /// segment, where rendering must stop.
    fn apply_due_events(&mut self) -> Option<usize> {
        let path = self.decoder.as_mut()?;
        while let Some(event) = path.delayed.pop_due(self.segment_index, self.segment_pos) {
            Self::hear(
                &mut self.voices,
                path,
                self.segment,
                self.segment_pos,
                event,
            );
        }
        path.delayed.next_offset(self.segment_index)
    }

    /// A delayed event reaches the listener.
    fn hear(
        voices: &mut [Voice],
        path: &mut DecoderPath,
        segment: Segment,
        segment_pos: usize,
        event: Delayed,
    ) {
        match event {
            Delayed::Start { voice, start } => {
                path.pending_starts[voice] = path.pending_starts[voice].saturating_sub(1);
                let v = &mut voices[voice];
                if let Some(seq) = start {
                    let decoded = &mut path.decoded[voice];
                    match path.links.take(seq) {
                        Some(reply) => decoded.take_row(reply, voice),
                        // Too late: start silent and fade in on the next frame's controls.
                        None => decoded.amplitude = 0.0,
                    }
                    let frame = decoded.frame(v.controls.f0_hz);
                    v.synth.reset(&frame, segment);
                    v.synth.push(&frame, segment);
                    v.synth.start_at(segment_pos);
                }
                v.gate.trigger();
            }
            Delayed::Release { voice } => voices[voice].gate.release(),
            Delayed::Kill { voice } => voices[voice].gate.kill(),
        }
    }

    /// Instrument with a decoder, at a frame boundary: every sounding slot's conditioning goes
    /// out, and the reply from `slack` frames back becomes the voices' next frame.
    fn next_decoded_voices(&mut self) {
        let Some(path) = &mut self.decoder else {
            return;
        };
        let mut request = Request::default();
        for (i, voice) in self.voices.iter().enumerate() {
            let slot = self.allocator.slot(i);
            if slot.state != SlotState::Free {
                request.voices[i] = VoiceRequest {
                    active: true,
                    reset: false,
                    f0_hz: voice.controls.f0_hz,
                    loudness_db: velocity_loudness(slot.velocity, path.links.card()),
                };
            }
        }
        let slot = (path.frame % path.grid.len() as u64) as usize;
        // Frames with no voice need no decoding: the reply would be empty.
        if request.voices.iter().any(|v| v.active) {
            path.grid[slot] = path.links.send(request);
        } else {
            path.grid[slot] = u64::MAX;
        }
        path.frame += 1;
        let Some(playing) = path.frame.checked_sub(1 + path.options.slack_frames as u64) else {
            return;
        };
        let seq = path.grid[(playing % path.grid.len() as u64) as usize];
        let reply = if seq != u64::MAX {
            path.links.take(seq)
        } else {
            None
        };
        if let Some(reply) = reply {
            for (i, decoded) in path.decoded.iter_mut().enumerate() {
                if reply.active[i] {
                    decoded.take_row(reply, i);
                }
            }
        }
        for (i, voice) in self.voices.iter_mut().enumerate() {
            if voice.gate.is_active() {
                voice
                    .synth
                    .push(&path.decoded[i].frame(voice.controls.f0_hz), self.segment);
            }
        }
    }

    fn synthesize(&mut self, out: &mut [f32]) {
        out.fill(0.0);
        let buf = &mut self.voice_buf[..out.len()];
        for (i, voice) in self.voices.iter_mut().enumerate() {
            if !voice.gate.is_active() {
                continue;
            }
            voice.synth.render(buf);
            for (o, x) in out.iter_mut().zip(buf.iter()) {
                *o += voice.gate.next() * x;
            }
            let starting = self
                .decoder
                .as_ref()
                .is_some_and(|d| d.pending_starts[i] > 0);
            if !voice.gate.is_active() && !starting {
                self.allocator.free(i);
            }
        }
    }

    /// Effect: the input, after its gain and mixed to mono, goes to the analyser.
    fn listen(&mut self, channels: &[&mut [f32]], input_channels: usize, from: usize, to: usize) {
        let mono = &mut self.mono[..to - from];
        mono.fill(0.0);
        let share = 1.0 / input_channels.max(1) as f32;
        for channel in channels.iter().take(input_channels) {
            for (m, x) in mono.iter_mut().zip(&channel[from..to]) {
                if x.is_finite() {
                    *m += share * x;
                } else {
                    self.stats.non_finite_input += 1;
                }
            }
        }
        for m in mono.iter_mut() {
            *m *= self.input_gain.next();
        }
        if let Some(analyzer) = &mut self.analyzer {
            analyzer.push(mono);
        }
    }

    /// Reverb of the channels' mono sum, mixed into each channel; then the output gain.
    fn output_stage(&mut self, channels: &mut [&mut [f32]], from: usize, to: usize) {
        let n = to - from;
        if self.reverb_mix.is_settled() && self.reverb_mix.value() == 0.0 {
            // Dry: skip the convolution (about half a percent of a core) and start it clean
            // when the mix comes back up, so no stale tail plays.
            self.reverb_idle = true;
            let gains = &mut self.mono[..n];
            for g in gains.iter_mut() {
                *g = self.output_gain.next();
            }
            for channel in channels.iter_mut() {
                channel[from..to]
                    .iter_mut()
                    .zip(gains.iter())
                    .for_each(|(x, g)| *x *= g);
            }
            return;
        }
        if self.reverb_idle {
            self.reverb.reset();
            self.reverb_idle = false;
        }
        let wet = &mut self.wet[..n];
        wet.fill(0.0);
        let share = 1.0 / channels.len() as f32;
        for channel in channels.iter() {
            for (w, x) in wet.iter_mut().zip(&channel[from..to]) {
                *w += share * x;
            }
        }
        self.reverb.process(wet);
        let gains = &mut self.mono[..n];
        for (g, w) in gains.iter_mut().zip(wet.iter_mut()) {
            let mix = self.reverb_mix.next();
            let out = self.output_gain.next();
            // gains becomes the dry factor, wet the wet part, both with the output gain in.
            *g = (1.0 - mix) * out;
            *w *= mix * out;
        }
        for channel in channels.iter_mut() {
            for ((x, g), w) in channel[from..to]
                .iter_mut()
                .zip(gains.iter())
                .zip(wet.iter())
            {
                *x = *x * g + w;
            }
        }
    }
}

/// The loudness a note of `velocity` asks a model for: the top of the range it was trained on,
/// minus up to VELOCITY_RANGE_DB.
fn velocity_loudness(velocity: f32, card: &crate::model::card::ModelCard) -> f32 {
    let [lo, hi] = card.loudness_range_db;
    let span = (hi - lo).clamp(0.0, VELOCITY_RANGE_DB as f64) as f32;
    hi as f32 - span * (1.0 - velocity)
}

fn voice_frame<'a>(controls: &'a VoiceControls, timbre: &'a PlaceholderTimbre) -> Frame<'a> {
    Frame {
        f0_hz: controls.f0_hz,
        amplitude: controls.amplitude,
        harmonics: &timbre.harmonics,
        noise: &controls.noise,
    }
}

/// Copies channel 0 (the mono synth) into every other channel of the bus.
fn copy_first_to_rest(channels: &mut [&mut [f32]], from: usize, to: usize) {
    let Some((head, rest)) = channels.split_first_mut() else {
        return;
    };
    for channel in rest.iter_mut() {
        channel[from..to].copy_from_slice(&head[from..to]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::noise::WhiteNoise;

    fn render(
        engine: &mut Engine,
        len: usize,
        channels: usize,
        inputs: usize,
        events: &[Event],
        block: &mut dyn FnMut() -> usize,
        input: &dyn Fn(usize, usize) -> f32,
    ) -> Vec<Vec<f32>> {
        let mut out = vec![vec![0.0f32; len]; channels];
        let mut pos = 0;
        while pos < len {
            let n = block().min(len - pos);
            let mut bufs: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    (pos..pos + n)
                        .map(|i| if c < inputs { input(c, i) } else { 0.0 })
                        .collect()
                })
                .collect();
            let block_events: Vec<Event> = events
                .iter()
                .filter(|e| (pos..pos + n).contains(&(e.time() as usize)))
                .map(|e| e.at(e.time() - pos as u32))
                .collect();
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
            engine.process(&mut refs, inputs, &block_events);
            for c in 0..channels {
                out[c][pos..pos + n].copy_from_slice(&bufs[c]);
            }
            pos += n;
        }
        out
    }

    fn silence(_: usize, _: usize) -> f32 {
        0.0
    }

    fn notes() -> Vec<Event> {
        vec![
            Event::NoteOn {
                time: 37,
                channel: 0,
                key: 60,
                velocity: 0.9,
            },
            Event::NoteOn {
                time: 2000,
                channel: 0,
                key: 67,
                velocity: 0.5,
            },
            Event::NoteOff {
                time: 6000,
                channel: 0,
                key: 60,
            },
            Event::AllNotesOff { time: 9000 },
        ]
    }

    #[test]
    fn instrument_output_does_not_depend_on_block_size() {
        let mut rng = WhiteNoise::new(5);
        let mut random = move || 1 + (rng.next_u64() % 700) as usize;
        let mut reference = None;
        let (mut one, mut small, mut big) = (|| 1usize, || 64usize, || 4096usize);
        let patterns: [&mut dyn FnMut() -> usize; 4] =
            [&mut one, &mut small, &mut big, &mut random];
        for pattern in patterns {
            let mut engine = Engine::new(Mode::Instrument, 44_100.0);
            let out = render(&mut engine, 20_000, 2, 0, &notes(), pattern, &silence);
            assert_eq!(out[0], out[1]);
            match &reference {
                None => reference = Some(out),
                Some(r) => assert_eq!(r, &out),
            }
        }
    }

    #[test]
    fn note_starts_on_its_sample_and_all_notes_off_silences() {
        let mut engine = Engine::new(Mode::Instrument, 48_000.0);
        let out = render(&mut engine, 20_000, 1, 0, &notes(), &mut || 512, &silence);
        let x = &out[0];
        assert!(x[..37].iter().all(|&v| v == 0.0));
        assert!(x[37] != 0.0, "the note sounds from its own sample");
        let release = (Params::default().release_seconds * 48_000.0) as usize;
        assert!(x[9000 + release + 1..].iter().all(|&v| v == 0.0));
        assert_eq!(engine.active_voices(), 0);
    }

    /// f0 from rising crossings of +h after dips below -h (h a third of the RMS), interpolated
    /// between samples: noise near zero cannot add crossings.
    fn zero_crossing_hz(x: &[f32], sr: f32) -> f32 {
        let h = (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt() / 3.0;
        let (mut armed, mut crossings) = (false, Vec::new());
        for (i, w) in x.windows(2).enumerate() {
            armed |= w[0] < -h;
            if armed && w[0] < h && w[1] >= h {
                crossings.push(i as f32 + (h - w[0]) / (w[1] - w[0]));
                armed = false;
            }
        }
        let periods = crossings.len() - 1;
        sr * periods as f32 / (crossings[periods] - crossings[0])
    }

    fn effect_render(
        input: &dyn Fn(usize) -> f32,
        len: usize,
        block: usize,
    ) -> (Engine, Vec<Vec<f32>>) {
        let mut engine = Engine::new(Mode::Effect, 48_000.0);
        let out = render(&mut engine, len, 2, 1, &[], &mut || block, &|_, i| input(i));
        (engine, out)
    }

    fn sine_at(hz: f32, amp: f32, onset: usize) -> impl Fn(usize) -> f32 {
        move |i| {
            if i < onset {
                0.0
            } else {
                amp * (std::f32::consts::TAU * hz * (i - onset) as f32 / 48_000.0).sin()
            }
        }
    }

    #[test]
    fn effect_plays_the_pitch_it_hears_on_both_outputs() {
        for hz in [110.0, 220.0, 440.0, 880.0] {
            let (_, out) = effect_render(&sine_at(hz, 0.5, 0), 24_000, 256);
            assert_eq!(out[0], out[1]);
            let f0 = zero_crossing_hz(&out[0][9600..], 48_000.0);
            let cents = 1200.0 * (f0 / hz).log2();
            assert!(cents.abs() < 10.0, "{hz} Hz in, {f0} Hz out");
        }
    }

    #[test]
    fn effect_level_follows_the_input_in_db() {
        let level = |amp: f32| {
            let (_, out) = effect_render(&sine_at(330.0, amp, 0), 24_000, 512);
            let tail = &out[0][12_000..];
            (tail.iter().map(|x| x * x).sum::<f32>() / tail.len() as f32).sqrt()
        };
        let db = 20.0 * (level(0.05) / level(0.5)).log10();
        assert!(
            (db + 20.0).abs() < 0.5,
            "20 dB quieter input gives {db:.2} dB"
        );
    }

    #[test]
    fn effect_falls_silent_after_the_input_stops_and_counts_bad_samples() {
        let input = |i: usize| match i {
            100 => f32::NAN,
            200 => f32::INFINITY,
            i if i < 12_000 => 0.4 * (std::f32::consts::TAU * 262.0 * i as f32 / 48_000.0).sin(),
            _ => 0.0,
        };
        let (engine, out) = effect_render(&input, 30_000, 128);
        assert!(out[0].iter().all(|v| v.is_finite()));
        assert!(
            out[0][6000..12_000].iter().any(|v| v.abs() > 0.01),
            "no sound while playing"
        );
        // The fade takes about 55 ms after the 32 ms loudness window has emptied.
        assert!(
            out[0][12_000 + 6000..].iter().all(|&v| v == 0.0),
            "still sounding 125 ms after the input stopped"
        );
        assert_eq!(engine.stats().non_finite_input, 2);
    }

    #[test]
    fn effect_without_input_is_silent() {
        let mut engine = Engine::new(Mode::Effect, 48_000.0);
        let out = render(&mut engine, 300, 2, 0, &[], &mut || 256, &|_, _| 1.0);
        assert!(out.iter().flatten().all(|&v| v == 0.0));
    }

    #[test]
    fn invalid_events_are_rejected_and_counted() {
        let mut engine = Engine::new(Mode::Instrument, 48_000.0);
        let bad = [
            Event::NoteOn {
                time: 0,
                channel: 0,
                key: 200,
                velocity: 1.0,
            },
            Event::NoteOn {
                time: 1,
                channel: 0,
                key: 60,
                velocity: f32::NAN,
            },
            Event::NoteOff {
                time: 2,
                channel: 3,
                key: 99,
            },
        ];
        let out = render(&mut engine, 256, 1, 0, &bad, &mut || 256, &silence);
        assert!(out[0].iter().all(|&v| v == 0.0));
        assert_eq!(engine.stats().rejected_events, 2);
    }

    #[test]
    fn events_past_the_block_end_apply_at_its_end() {
        let mut engine = Engine::new(Mode::Instrument, 48_000.0);
        let mut buf = vec![0.0f32; 64];
        engine.process(
            &mut [&mut buf[..]],
            0,
            &[Event::NoteOn {
                time: 1000,
                channel: 0,
                key: 60,
                velocity: 1.0,
            }],
        );
        assert!(buf.iter().all(|&v| v == 0.0));
        assert_eq!(engine.active_voices(), 1);
    }

    #[test]
    fn out_of_range_sample_rates_are_clamped() {
        assert_eq!(
            Engine::new(Mode::Effect, 1.0).sample_rate(),
            MIN_SAMPLE_RATE
        );
        assert_eq!(
            Engine::new(Mode::Effect, 1e9).sample_rate(),
            MAX_SAMPLE_RATE
        );
        assert_eq!(Engine::new(Mode::Effect, f32::NAN).sample_rate(), 48_000.0);
    }
}
