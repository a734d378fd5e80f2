//! The timbre knobs both plugins share, on the planning side: what the decoder is told (its pitch
//! and loudness shift, compensated in the played level so that only the timbre changes) and the
//! controls applied after it (harmonic and noise gain, tilt). Each moves smoothly, one step per
//! frame over `RAMP_SECONDS`; the synth interpolates between frames, so no knob steps the sound.

use super::output::db_to_gain;
use super::params::{ParamChange, Params};
use crate::control::adsr::SILENCE_DB;
use crate::dsp::shape::Shape;
use crate::dsp::smoother::LinearSmoother;
use crate::limits::FRAME_RATE_HZ;

const RAMP_SECONDS: f32 = 0.02;
/// A gain knob at its bottom is off.
const OFF_DB: f32 = -60.0;

fn knob_gain(db: f32) -> f32 {
    if db <= OFF_DB {
        0.0
    } else {
        db_to_gain(db)
    }
}

pub struct Tone {
    harmonic_gain: LinearSmoother,
    noise_gain: LinearSmoother,
    tilt: LinearSmoother,
    pitch_shift: LinearSmoother,
    loudness_shift: LinearSmoother,
}

fn smoother(value: f32) -> LinearSmoother {
    LinearSmoother::new(value, RAMP_SECONDS, FRAME_RATE_HZ as f32)
}

impl Tone {
    pub fn new(p: &Params) -> Self {
        Self {
            harmonic_gain: smoother(knob_gain(p.harmonic_gain_db)),
            noise_gain: smoother(knob_gain(p.noise_gain_db)),
            tilt: smoother(p.tilt_db_per_octave),
            pitch_shift: smoother(p.decoder_pitch_semitones),
            loudness_shift: smoother(p.decoder_loudness_db),
        }
    }

    /// Takes a knob of its own; false for any other.
    pub fn set(&mut self, change: ParamChange) -> bool {
        let finite = |v: f32| v.is_finite().then_some(v);
        let (smoother, value) = match change {
            ParamChange::HarmonicGainDb(db) => (&mut self.harmonic_gain, finite(db).map(knob_gain)),
            ParamChange::NoiseGainDb(db) => (&mut self.noise_gain, finite(db).map(knob_gain)),
            ParamChange::TiltDbPerOctave(v) => (&mut self.tilt, finite(v)),
            ParamChange::DecoderPitchSemitones(v) => (&mut self.pitch_shift, finite(v)),
            ParamChange::DecoderLoudnessDb(v) => (&mut self.loudness_shift, finite(v)),
            _ => return false,
        };
        if let Some(v) = value {
            smoother.set_target(v);
        }
        true
    }

    pub fn reset(&mut self, p: &Params) {
        *self = Self::new(p);
    }

    /// One frame on.
    pub fn next_frame(&mut self) {
        self.harmonic_gain.next();
        self.noise_gain.next();
        self.tilt.next();
        self.pitch_shift.next();
        self.loudness_shift.next();
    }

    /// The pitch the decoder is told for a played `f0_hz`.
    pub fn decoder_f0(&self, f0_hz: f32) -> f32 {
        f0_hz * 2f32.powf(self.pitch_shift.value() / 12.0)
    }

    /// The loudness the decoder is told for `loudness_db`.
    pub fn decoder_loudness(&self, loudness_db: f32) -> f32 {
        (loudness_db + self.loudness_shift.value()).max(SILENCE_DB)
    }

    /// The factor on the decoder's amplitude that undoes its loudness shift.
    pub fn level(&self) -> f32 {
        db_to_gain(-self.loudness_shift.value())
    }

    /// The controls after the decoder, with a note's own brightness and noise factors.
    pub fn shape(&self, brightness: f32, noise_gain: f32) -> Shape {
        Shape {
            harmonic_gain: self.harmonic_gain.value(),
            noise_gain: self.noise_gain.value() * noise_gain,
            tilt_db_per_octave: self.tilt.value(),
            brightness,
            told_ratio: self.decoder_f0(1.0),
        }
    }
}
