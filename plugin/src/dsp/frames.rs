//! The controls of one frame, as the synth takes them: pitch, amplitude, harmonic distribution
//! and noise-filter magnitudes. The frames sit on the grid of `crate::grid`.

/// The controls of one frame, as the decoder produces them (after its output nonlinearities).
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub f0_hz: f32,
    /// Overall linear amplitude of the harmonic part.
    pub amplitude: f32,
    /// Weights of harmonics 1..=K; non-negative, normalised by the synth.
    pub harmonics: &'a [f32],
    /// Linear filter magnitudes on the noise grid (band b at b * spacing Hz).
    pub noise: &'a [f32],
}
