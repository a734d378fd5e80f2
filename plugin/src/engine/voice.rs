//! The voices that play: each a DDSP synth voice (harmonic bank plus filtered noise) fed one
//! control frame per segment of the frame grid, times a sample-accurate gate envelope, so that
//! note timing does not depend on the 4 ms frames. The instrument has eight; the effect one,
//! whose gate stays open (its level is in its frames). Both plugins share this stage.
//!
//! The instrument's note envelope shapes the loudness the decoder is asked for
//! (`control::adsr`); the gate here only guards a note's ends against clicks: it opens over at
//! most `GATE_ATTACK_SECONDS` and closes over the last `GATE_FADE_SECONDS` of the release.
//! The timbre knobs after the decoder (`dsp::shape`) are applied here, frame by frame.

use crate::analysis::loudness::a_weighting_gain;
use crate::dsp::envelope::Envelope;
use crate::dsp::frames::Frame;
use crate::dsp::harmonic::harmonics_below_nyquist;
use crate::dsp::shape::{Shape, Shaper};
use crate::dsp::synth::{SynthConfig, VoiceSynth};
use crate::grid::Segment;

/// The gate opens over at most this long (less when the note's attack is shorter).
pub const GATE_ATTACK_SECONDS: f32 = 0.002;
/// The gate closes over the last this long of a release (all of it when it is shorter).
pub const GATE_FADE_SECONDS: f32 = 0.01;

/// One frame's synthesis controls, as a decoder makes them (or the fixed spectrum).
#[derive(Debug, Clone)]
pub struct Controls {
    pub amplitude: f32,
    pub harmonics: Vec<f32>,
    pub noise: Vec<f32>,
}

impl Controls {
    pub fn silent(harmonics: usize, noise_bands: usize) -> Self {
        Self {
            amplitude: 0.0,
            harmonics: vec![0.0; harmonics],
            noise: vec![0.0; noise_bands],
        }
    }
}

struct Voice {
    synth: VoiceSynth,
    gate: Envelope,
    /// The latest controls (held through an underrun) and the pitch they play at.
    controls: Controls,
    f0_hz: f32,
    /// `controls` shaped and times the frame's gain, as played.
    noise: Vec<f32>,
    harmonics: Vec<f32>,
    /// The gain and shape of the frame last pushed, for a frame that is held.
    gain: f32,
    shape: Shape,
}

impl Voice {
    /// The synth, and the frame the voice's controls make at `gain` with `shape`.
    fn synth_and_frame(
        &mut self,
        gain: f32,
        shape: Shape,
        shaper: &Shaper,
        sample_rate: f32,
    ) -> (&mut VoiceSynth, Frame<'_>) {
        let noise_gain = gain * shape.noise_gain;
        for (played, n) in self.noise.iter_mut().zip(&self.controls.noise) {
            *played = n * noise_gain;
        }
        let count = self.harmonics.len();
        let below = |f0: f32| harmonics_below_nyquist(f0 as f64, sample_rate as f64, count);
        let audible = below(self.f0_hz);
        shaper.apply(
            &self.controls.harmonics,
            audible,
            &shape,
            &mut self.harmonics,
        );
        let mut level = 1.0;
        if shape.told_ratio != 1.0 && shape.told_ratio.is_finite() {
            let told = self.f0_hz * shape.told_ratio;
            if shape.told_ratio > 1.0 {
                // Played lower than the decoder was told: what it put above Nyquist stays
                // silent.
                self.harmonics[below(told)..].fill(0.0);
            }
            level = same_loudness(&self.harmonics, told, self.f0_hz, below(told), audible);
        }
        self.gain = gain;
        self.shape = shape;
        let frame = Frame {
            f0_hz: self.f0_hz,
            amplitude: self.controls.amplitude * gain * shape.harmonic_gain * level,
            harmonics: &self.harmonics,
            noise: &self.noise,
        };
        (&mut self.synth, frame)
    }
}

/// The factor that gives `weights` played at `played` Hz the A-weighted loudness (the measure
/// the decoder is conditioned on) they have at `told` Hz, each normalised over its audible
/// harmonics as the synth does: a decoder told another pitch chose its amplitude for that
/// pitch's loudness, and the played level must not move with the timbre.
fn same_loudness(
    weights: &[f32],
    told: f32,
    played: f32,
    told_audible: usize,
    audible: usize,
) -> f32 {
    let power = |f0: f32, count: usize| {
        let w = &weights[..count.min(weights.len())];
        let sum: f64 = w.iter().map(|&x| x as f64).sum();
        if sum <= 0.0 {
            return 0.0;
        }
        w.iter()
            .enumerate()
            .map(|(k, &x)| {
                let a = x as f64 / sum * a_weighting_gain(f0 as f64 * (k + 1) as f64);
                a * a
            })
            .sum::<f64>()
    };
    let (at_told, at_played) = (power(told, told_audible), power(played, audible));
    if at_told > 0.0 && at_played > 0.0 {
        ((at_told / at_played).sqrt() as f32).clamp(0.01, 100.0)
    } else {
        1.0
    }
}

pub struct Voices {
    voices: Vec<Voice>,
    sample_rate: f32,
    shaper: Shaper,
    scratch: Vec<f32>,
}

impl Voices {
    /// `count` voices of this synth shape; `chunk` is the longest stretch `render` is given.
    pub fn new(count: usize, config: &SynthConfig, chunk: usize) -> Self {
        let sample_rate = config.sample_rate as f32;
        let voices = (0..count)
            .map(|i| Voice {
                // A seed per voice, so that chords do not play the same noise in unison.
                synth: VoiceSynth::new(&SynthConfig {
                    seed: config.seed + i as u64,
                    ..*config
                }),
                gate: Envelope::new(0.005, 0.08, sample_rate),
                controls: Controls::silent(config.harmonics, config.noise_bands),
                f0_hz: 0.0,
                noise: vec![0.0; config.noise_bands],
                harmonics: vec![0.0; config.harmonics],
                gain: 0.0,
                shape: Shape::NEUTRAL,
            })
            .collect();
        Self {
            voices,
            sample_rate,
            shaper: Shaper::new(config.harmonics),
            scratch: vec![0.0; chunk],
        }
    }

    pub fn count(&self) -> usize {
        self.voices.len()
    }

    /// The controls a voice's next frame takes, to be written by the timbre.
    pub fn controls(&self, voice: usize) -> &Controls {
        &self.voices[voice].controls
    }

    pub fn controls_mut(&mut self, voice: usize) -> &mut Controls {
        &mut self.voices[voice].controls
    }

    pub fn is_sounding(&self, voice: usize) -> bool {
        self.voices[voice].gate.is_active()
    }

    /// At a segment's start: the frame `voice` moves towards over it, at `f0_hz`, its controls
    /// shaped and times `gain`. `from_silence`: the voice starts there at phase zero, fading
    /// in over the segment.
    pub fn push(
        &mut self,
        voice: usize,
        segment: Segment,
        f0_hz: f32,
        gain: f32,
        shape: Shape,
        from_silence: bool,
    ) {
        let v = &mut self.voices[voice];
        v.f0_hz = f0_hz;
        if from_silence {
            let (synth, frame) = v.synth_and_frame(0.0, shape, &self.shaper, self.sample_rate);
            synth.reset(&frame, segment);
        }
        let (synth, frame) = v.synth_and_frame(gain, shape, &self.shaper, self.sample_rate);
        synth.push(&frame, segment);
    }

    /// At a segment's start, for a sounding voice that has no new frame (the last of a release
    /// the frame plan no longer covers): it keeps its controls.
    pub fn hold(&mut self, voice: usize, segment: Segment) {
        let v = &mut self.voices[voice];
        let (gain, shape) = (v.gain, v.shape);
        let (synth, frame) = v.synth_and_frame(gain, shape, &self.shaper, self.sample_rate);
        synth.push(&frame, segment);
    }

    /// A silent voice starts `offset` samples into `segment`, on that very sample, at phase zero,
    /// with its controls as they are (shaped, times `gain`); its gate opens with this attack.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        voice: usize,
        segment: Segment,
        offset: usize,
        f0_hz: f32,
        gain: f32,
        shape: Shape,
        attack: f32,
    ) {
        let v = &mut self.voices[voice];
        v.f0_hz = f0_hz;
        let (synth, frame) = v.synth_and_frame(gain, shape, &self.shaper, self.sample_rate);
        synth.reset(&frame, segment);
        synth.push(&frame, segment);
        synth.start_at(offset);
        self.trigger(voice, attack);
    }

    /// Opens a sounding voice's gate again (a retriggered or stolen note): no jump, no new phase.
    pub fn trigger(&mut self, voice: usize, attack: f32) {
        let v = &mut self.voices[voice];
        v.gate
            .set_times(attack.min(GATE_ATTACK_SECONDS), 1.0, self.sample_rate);
        v.gate.trigger();
    }

    /// Closes the gate: it holds for `hold` seconds, then fades over `fade`.
    pub fn release(&mut self, voice: usize, hold: f32, fade: f32) {
        let v = &mut self.voices[voice];
        v.gate.set_times(1.0, fade, self.sample_rate);
        v.gate
            .release_after((hold.max(0.0) * self.sample_rate).round() as u32);
    }

    pub fn kill(&mut self, voice: usize) {
        self.voices[voice].gate.kill();
    }

    /// The effect's voice: its gate stays open, its frames carry its level; it starts silent
    /// in `segment`.
    pub fn open(&mut self, voice: usize, segment: Segment) {
        let v = &mut self.voices[voice];
        v.gate.open();
        v.controls.amplitude = 0.0;
        let (synth, frame) = v.synth_and_frame(0.0, Shape::NEUTRAL, &self.shaper, self.sample_rate);
        synth.reset(&frame, segment);
        synth.push(&frame, segment);
    }

    pub fn kill_all(&mut self) {
        self.voices.iter_mut().for_each(|v| v.gate.kill());
    }

    /// Writes the sum of the sounding voices into `out` (at most `chunk` samples).
    pub fn render(&mut self, out: &mut [f32]) {
        out.fill(0.0);
        let buf = &mut self.scratch[..out.len()];
        for voice in self.voices.iter_mut().filter(|v| v.gate.is_active()) {
            voice.synth.render(buf);
            for (o, x) in out.iter_mut().zip(buf.iter()) {
                *o += voice.gate.next() * x;
            }
        }
    }

    /// Frames the synths refused (NaN, infinite or negative values).
    pub fn rejected_frames(&self) -> u64 {
        self.voices.iter().map(|v| v.synth.invalid_frames()).sum()
    }
}
