//! The constants every part of Luthier shares: the control-frame rate the models are trained at
//! and the limits the engine allocates for. One leaf module that anything may use, so that the
//! synthesis, the analysis and the decoder never import each other for a number.

/// Control frames per second: a model's frame rate, the analysis rate and the synth's grid.
/// Frames are defined in seconds, so any host rate runs on the same grid (`crate::grid`).
pub const FRAME_RATE_HZ: u32 = 250;

/// Voices the instrument sounds at once (the effect plays one).
pub const MAX_VOICES: usize = 8;

/// Harmonics a synth voice (and so a model) can have.
pub const MAX_HARMONICS: usize = 128;

/// Noise-filter bands a synth voice (and so a model) can have.
pub const MAX_NOISE_BANDS: usize = 256;

/// Host sample rates the plugins play at, in Hz: every common rate from 8 kHz to 384 kHz.
pub const MIN_SAMPLE_RATE: f32 = 8_000.0;
pub const MAX_SAMPLE_RATE: f32 = 384_000.0;

/// The sample rates the plugins play at.
pub fn supports_sample_rate(rate: f32) -> bool {
    (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate)
}
