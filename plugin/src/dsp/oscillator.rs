//! Placeholder voice source: a band-limited harmonic oscillator with a fixed sawtooth-like
//! spectrum (harmonic k at amplitude 1/k). The DDSP synthesizer replaces it; until then it gives
//! the instrument a pitched, alias-free sound to test the plugin plumbing with.

/// Highest harmonic the fixed spectrum uses; fewer play where k * f0 would reach Nyquist.
pub const MAX_HARMONICS: usize = 24;

/// Keeps the summed spectrum's peak (about 1.8 for 24 harmonics of 1/k) below full scale.
const SPECTRUM_SCALE: f32 = 0.5;

#[derive(Debug, Clone, Default)]
pub struct HarmonicOscillator {
    /// Phase of the fundamental in cycles, in [0, 1). f64 so that an hour of playing does not
    /// drift: f32 would lose the increment's low bits once the phase nears 1.
    phase: f64,
    increment: f64,
    harmonics: usize,
}

impl HarmonicOscillator {
    /// Number of harmonics with k * f0 strictly below Nyquist, capped at [`MAX_HARMONICS`].
    pub fn harmonics_below_nyquist(f0: f32, sample_rate: f32) -> usize {
        if !(f0 > 0.0) || !f0.is_finite() {
            return 0;
        }
        let nyquist = 0.5 * sample_rate;
        // Strictly below: a harmonic exactly at Nyquist would alias onto DC-like garbage.
        let k = ((nyquist / f0).ceil() as usize).saturating_sub(1);
        k.min(MAX_HARMONICS)
    }

    /// Sets the fundamental; the phase carries on so that a change of pitch does not click.
    pub fn set_frequency(&mut self, f0: f32, sample_rate: f32) {
        self.harmonics = Self::harmonics_below_nyquist(f0, sample_rate);
        self.increment = if self.harmonics == 0 {
            0.0
        } else {
            f0 as f64 / sample_rate as f64
        };
    }

    /// Restarts at phase zero: a voice that starts from silence begins at a zero crossing.
    pub fn reset_phase(&mut self) {
        self.phase = 0.0;
    }

    pub fn harmonics(&self) -> usize {
        self.harmonics
    }

    #[inline]
    pub fn next_sample(&mut self) -> f32 {
        let (s1, c1) = (std::f64::consts::TAU * self.phase).sin_cos();
        self.phase += self.increment;
        self.phase -= self.phase.floor();
        // sin(k x) by the Chebyshev recurrence: one sin/cos per sample instead of one per harmonic.
        let two_cos = 2.0 * c1 as f32;
        let (mut prev, mut cur) = (0.0f32, s1 as f32);
        let mut sum = 0.0f32;
        for k in 1..=self.harmonics {
            sum += cur / k as f32;
            let next = two_cos * cur - prev;
            prev = cur;
            cur = next;
        }
        sum * SPECTRUM_SCALE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmonic_count_stops_below_nyquist() {
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(1000.0, 48_000.0),
            23
        );
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(1001.0, 48_000.0),
            23
        );
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(999.0, 48_000.0),
            24
        );
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(12_000.0, 22_050.0),
            0
        );
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(f32::NAN, 48_000.0),
            0
        );
        assert_eq!(
            HarmonicOscillator::harmonics_below_nyquist(-5.0, 48_000.0),
            0
        );
    }

    #[test]
    fn matches_direct_sum_of_sines() {
        let (f0, sr) = (440.0f32, 44_100.0f32);
        let mut osc = HarmonicOscillator::default();
        osc.set_frequency(f0, sr);
        let n = osc.harmonics();
        for i in 0..2000 {
            let got = osc.next_sample();
            let t = i as f64 * f0 as f64 / sr as f64;
            let want: f64 = (1..=n)
                .map(|k| (std::f64::consts::TAU * k as f64 * t).sin() / k as f64)
                .sum::<f64>()
                * SPECTRUM_SCALE as f64;
            assert!(
                (got as f64 - want).abs() < 2e-5,
                "sample {i}: {got} vs {want}"
            );
        }
    }
}
