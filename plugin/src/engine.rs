//! The framework-free core that both plugins, the tests and the command-line tool drive.
//!
//! `Engine::process` works in place on the host's channel buffers: inputs arrive in the first
//! channels and are replaced by the output, which is how plugin hosts hand audio over and saves
//! a copy. Events are applied at their sample offsets by splitting the block there.
//!
//! Instrument: each voice is a DDSP synth voice fed one control frame per segment of a single
//! frame grid shared by all voices (so a batched decoder can serve them together), times a
//! sample-accurate gate envelope, so note timing does not depend on the 4 ms frames. Until the
//! decoder lands, a voice's frames carry a fixed spectrum. Effect: input gain and pass-through
//! until analysis lands. Both: reverb (wet/dry) and output gain.

use crate::control::voices::{SlotState, Start, VoiceAllocator, MAX_VOICES};
use crate::dsp::envelope::Envelope;
use crate::dsp::frames::{Frame, Segment};
use crate::dsp::reverb::{builtin_room_ir, Reverb};
use crate::dsp::smoother::LinearSmoother;
use crate::dsp::synth::{SynthConfig, VoiceSynth};

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
}

impl Default for Params {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            attack_seconds: 0.005,
            release_seconds: 0.08,
            reverb_mix: 0.0,
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
    input_gain: LinearSmoother,
    output_gain: LinearSmoother,
    reverb_mix: LinearSmoother,
    reverb: Reverb,
    /// The reverb was skipped while dry and must be cleared before it is heard again.
    reverb_idle: bool,
    voice_buf: Vec<f32>,
    mono: Vec<f32>,
    wet: Vec<f32>,
    stats: Stats,
}

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

pub fn midi_key_to_hz(key: f32) -> f32 {
    440.0 * 2f32.powf((key - 69.0) / 12.0)
}

impl Engine {
    /// Allocates everything `process` will need; any block size works afterwards.
    pub fn new(mode: Mode, sample_rate: f32, _max_block_size: usize) -> Self {
        let sample_rate = if sample_rate.is_finite() {
            sample_rate.clamp(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
        } else {
            48_000.0
        };
        let params = Params::default();
        let config = SynthConfig::standard(sample_rate.round() as u32);
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
            input_gain: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            output_gain: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb_mix: LinearSmoother::new(0.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb,
            reverb_idle: true,
            voice_buf: vec![0.0; RENDER_CHUNK],
            mono: vec![0.0; RENDER_CHUNK],
            wet: vec![0.0; RENDER_CHUNK],
            stats: Stats::default(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Samples between an input (or note-on) and its effect on the output.
    pub fn latency_samples(&self) -> u32 {
        0
    }

    pub fn stats(&self) -> Stats {
        let rejected_frames = self.voices.iter().map(|v| v.synth.invalid_frames()).sum();
        Stats {
            rejected_frames,
            ..self.stats
        }
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
                let (index, fresh) = match self.allocator.note_on(channel, key, velocity) {
                    Start::Fresh(i) => (i, true),
                    Start::Retrigger(i) => (i, false),
                };
                let voice = &mut self.voices[index];
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
            Event::NoteOff { channel, key, .. } => {
                if let Some(i) = self.allocator.note_off(channel, key) {
                    self.voices[i].gate.release();
                }
            }
            Event::Choke { channel, key, .. } => {
                if let Some(i) = self.allocator.find(channel, key) {
                    self.voices[i].gate.kill();
                    self.allocator.free(i);
                }
            }
            Event::AllNotesOff { .. } => {
                for i in 0..MAX_VOICES {
                    let slot = *self.allocator.slot(i);
                    if slot.state == SlotState::Held {
                        self.allocator.note_off(slot.channel, slot.key);
                        self.voices[i].gate.release();
                    }
                }
            }
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
                self.next_segment();
            }
            let n = (end - from)
                .min(RENDER_CHUNK)
                .min(self.segment.len() - self.segment_pos);
            let to = from + n;
            match self.mode {
                Mode::Effect => self.pass_through(channels, input_channels, from, to),
                Mode::Instrument => {
                    self.synthesize(&mut channels[0][from..to]);
                    fill_from_first(channels, 1, from, to, false);
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
        for (i, voice) in self.voices.iter_mut().enumerate() {
            if self.allocator.slot(i).state != SlotState::Free {
                let frame = voice_frame(&voice.controls, &self.timbre);
                voice.synth.push(&frame, self.segment);
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
            if !voice.gate.is_active() {
                self.allocator.free(i);
            }
        }
    }

    /// Effect until analysis lands: input gain; a mono input feeds every output.
    fn pass_through(
        &mut self,
        channels: &mut [&mut [f32]],
        input_channels: usize,
        from: usize,
        to: usize,
    ) {
        let gains = &mut self.mono[..to - from];
        for g in gains.iter_mut() {
            *g = self.input_gain.next();
        }
        for channel in channels.iter_mut().take(input_channels) {
            for (x, g) in channel[from..to].iter_mut().zip(gains.iter()) {
                if !x.is_finite() {
                    *x = 0.0;
                    self.stats.non_finite_input += 1;
                }
                *x *= g;
            }
        }
        fill_from_first(
            channels,
            input_channels.max(1),
            from,
            to,
            input_channels == 0,
        );
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

fn voice_frame<'a>(controls: &'a VoiceControls, timbre: &'a PlaceholderTimbre) -> Frame<'a> {
    Frame {
        f0_hz: controls.f0_hz,
        amplitude: controls.amplitude,
        harmonics: &timbre.harmonics,
        noise: &controls.noise,
    }
}

/// Copies channel 0 into the channels from `first_copy` on (a mono source on a stereo bus), or
/// silences them all when there was no source.
fn fill_from_first(
    channels: &mut [&mut [f32]],
    first_copy: usize,
    from: usize,
    to: usize,
    silence: bool,
) {
    let Some((head, rest)) = channels.split_first_mut() else {
        return;
    };
    if silence {
        head[from..to].fill(0.0);
    }
    for channel in rest.iter_mut().skip(first_copy - 1) {
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
                .map(|e| shift(*e, pos as u32))
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

    fn shift(e: Event, by: u32) -> Event {
        match e {
            Event::NoteOn {
                time,
                channel,
                key,
                velocity,
            } => Event::NoteOn {
                time: time - by,
                channel,
                key,
                velocity,
            },
            Event::NoteOff { time, channel, key } => Event::NoteOff {
                time: time - by,
                channel,
                key,
            },
            Event::Choke { time, channel, key } => Event::Choke {
                time: time - by,
                channel,
                key,
            },
            Event::AllNotesOff { time } => Event::AllNotesOff { time: time - by },
        }
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
            let mut engine = Engine::new(Mode::Instrument, 44_100.0, 4096);
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
        let mut engine = Engine::new(Mode::Instrument, 48_000.0, 512);
        let out = render(&mut engine, 20_000, 1, 0, &notes(), &mut || 512, &silence);
        let x = &out[0];
        assert!(x[..37].iter().all(|&v| v == 0.0));
        assert!(x[37] != 0.0, "the note sounds from its own sample");
        let release = (Params::default().release_seconds * 48_000.0) as usize;
        assert!(x[9000 + release + 1..].iter().all(|&v| v == 0.0));
        assert_eq!(engine.active_voices(), 0);
    }

    #[test]
    fn effect_feeds_a_mono_input_to_both_outputs_and_counts_bad_samples() {
        let mut engine = Engine::new(Mode::Effect, 48_000.0, 256);
        let input = |_c: usize, i: usize| {
            if i == 10 {
                f32::NAN
            } else {
                (i as f32 * 0.01).sin()
            }
        };
        let out = render(&mut engine, 1000, 2, 1, &[], &mut || 100, &input);
        assert_eq!(out[0], out[1]);
        assert_eq!(out[0][10], 0.0);
        assert_eq!(out[0][11], input(0, 11));
        assert_eq!(engine.stats().non_finite_input, 1);
    }

    #[test]
    fn effect_without_input_is_silent() {
        let mut engine = Engine::new(Mode::Effect, 48_000.0, 256);
        let out = render(&mut engine, 300, 2, 0, &[], &mut || 256, &|_, _| 1.0);
        assert!(out.iter().flatten().all(|&v| v == 0.0));
    }

    #[test]
    fn invalid_events_are_rejected_and_counted() {
        let mut engine = Engine::new(Mode::Instrument, 48_000.0, 256);
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
        let mut engine = Engine::new(Mode::Instrument, 48_000.0, 64);
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
    fn blocks_longer_than_the_prepared_maximum_are_still_rendered() {
        let mut a = Engine::new(Mode::Instrument, 48_000.0, 16);
        let mut b = Engine::new(Mode::Instrument, 48_000.0, 4096);
        let on = [Event::NoteOn {
            time: 3,
            channel: 0,
            key: 72,
            velocity: 1.0,
        }];
        let (mut x, mut y) = (vec![0.0f32; 1000], vec![0.0f32; 1000]);
        a.process(&mut [&mut x[..]], 0, &on);
        b.process(&mut [&mut y[..]], 0, &on);
        assert_eq!(x, y);
    }

    #[test]
    fn out_of_range_sample_rates_are_clamped() {
        assert_eq!(
            Engine::new(Mode::Effect, 1.0, 64).sample_rate(),
            MIN_SAMPLE_RATE
        );
        assert_eq!(
            Engine::new(Mode::Effect, 1e9, 64).sample_rate(),
            MAX_SAMPLE_RATE
        );
        assert_eq!(
            Engine::new(Mode::Effect, f32::NAN, 64).sample_rate(),
            48_000.0
        );
    }
}
