//! Timbre controls applied to the decoder's output, frame by frame: the harmonic and noise gains,
//! a spectral tilt in dB per octave, and a brightness that moves the harmonic centroid (MIDI-DDSP's
//! brightness: the mean harmonic number weighted by the harmonic distribution) by a factor.
//!
//! Both tilt and brightness multiply harmonic k by k^e, which keeps the spectrum's shape and only
//! leans it: e = tilt / (20 log10 2) for the tilt, and for the brightness the e that takes the
//! centroid to the factor times where the tilt left it, found by Newton's method (the centroid
//! of k under weights w_k k^e rises monotonically with e: its derivative is the covariance of k
//! and ln k, which is positive). The synth renormalises the distribution, so neither changes the
//! level; only the harmonics below Nyquist count, as only they are played.

/// A frame's timbre controls. `NEUTRAL` changes nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub harmonic_gain: f32,
    pub noise_gain: f32,
    pub tilt_db_per_octave: f32,
    /// Harmonic centroid factor.
    pub brightness: f32,
    /// The pitch the decoder was told, over the one played: harmonics the decoder meant to be
    /// above Nyquist stay silent when it plays lower, so the sound keeps its spectrum and level.
    pub told_ratio: f32,
}

impl Shape {
    pub const NEUTRAL: Shape = Shape {
        harmonic_gain: 1.0,
        noise_gain: 1.0,
        tilt_db_per_octave: 0.0,
        brightness: 1.0,
        told_ratio: 1.0,
    };

    fn leans(&self) -> bool {
        self.tilt_db_per_octave != 0.0 || self.brightness != 1.0
    }
}

/// dB per octave of a k^1 lean.
const DB_PER_OCTAVE: f32 = 6.020_6;
/// Brightness exponents are searched in this range: k^8 or k^-8 is as far as leaning goes.
const MAX_EXPONENT: f32 = 8.0;

/// The centroid (in harmonic numbers, from 1) of `weights` leant by k^e, and its derivative in e.
fn centroid(weights: &[f32], ln_k: &[f32], e: f32) -> (f32, f32) {
    let (mut sum, mut k_sum, mut ln_sum, mut k_ln_sum) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (i, (&w, &l)) in weights.iter().zip(ln_k).enumerate() {
        let w = (w * (e * l).exp()) as f64;
        let k = (i + 1) as f64;
        sum += w;
        k_sum += w * k;
        ln_sum += w * l as f64;
        k_ln_sum += w * k * l as f64;
    }
    if sum <= 0.0 || !sum.is_finite() {
        return (0.0, 0.0);
    }
    let mean_k = k_sum / sum;
    let slope = k_ln_sum / sum - mean_k * ln_sum / sum;
    (mean_k as f32, slope as f32)
}

/// Leans harmonic distributions; holds ln k for every harmonic (allocated once).
#[derive(Debug, Clone)]
pub struct Shaper {
    ln_k: Vec<f32>,
}

impl Shaper {
    pub fn new(harmonics: usize) -> Self {
        Self {
            ln_k: (1..=harmonics).map(|k| (k as f32).ln()).collect(),
        }
    }

    /// The exponent that leans `weights` (the audible ones) as `shape` says.
    pub fn exponent(&self, weights: &[f32], shape: &Shape) -> f32 {
        let tilt = if shape.tilt_db_per_octave.is_finite() {
            shape.tilt_db_per_octave / DB_PER_OCTAVE
        } else {
            0.0
        };
        let factor = shape.brightness;
        if factor == 1.0 || !factor.is_finite() || factor <= 0.0 || weights.len() < 2 {
            return tilt;
        }
        let ln_k = &self.ln_k[..weights.len()];
        let (start, _) = centroid(weights, ln_k, tilt);
        if start <= 0.0 {
            return tilt;
        }
        let target = (start * factor).clamp(1.0, weights.len() as f32);
        let (mut lo, mut hi) = (tilt - MAX_EXPONENT, tilt + MAX_EXPONENT);
        let mut e = tilt;
        for _ in 0..24 {
            let (c, slope) = centroid(weights, ln_k, e);
            let error = c - target;
            if error.abs() <= 1e-3 * target {
                break;
            }
            if error > 0.0 {
                hi = e;
            } else {
                lo = e;
            }
            // Newton's step where it stays inside the bracket, else bisection.
            let next = e - error / slope;
            e = if slope > 0.0 && next > lo && next < hi {
                next
            } else {
                0.5 * (lo + hi)
            };
        }
        e
    }

    /// `out` = `weights` leant by `shape` over the first `audible` harmonics; the rest copied.
    pub fn apply(&self, weights: &[f32], audible: usize, shape: &Shape, out: &mut [f32]) {
        out.copy_from_slice(weights);
        if !shape.leans() {
            return;
        }
        let audible = audible.min(weights.len());
        if weights[..audible]
            .iter()
            .any(|w| !w.is_finite() || *w < 0.0)
        {
            // An invalid frame goes on as it is: the synth counts it and plays silence.
            return;
        }
        let e = self.exponent(&weights[..audible], shape);
        for (o, &l) in out[..audible].iter_mut().zip(&self.ln_k) {
            *o *= (e * l).exp();
        }
    }
}

/// The centroid of a distribution (its first `audible` harmonics), as MIDI-DDSP's brightness
/// measures it before its scaling: mean harmonic number, weighted.
pub fn harmonic_centroid(weights: &[f32]) -> f32 {
    let ln_k: Vec<f32> = (1..=weights.len()).map(|k| (k as f32).ln()).collect();
    centroid(weights, &ln_k, 0.0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_like(n: usize) -> Vec<f32> {
        (1..=n).map(|k| 1.0 / (k as f32).powf(1.3)).collect()
    }

    #[test]
    fn brightness_moves_the_centroid_by_its_factor_and_tilt_leans_by_its_slope() {
        let shaper = Shaper::new(100);
        let w = model_like(60);
        let base = harmonic_centroid(&w);
        let mut out = vec![0.0; 60];
        for factor in [0.5, 0.8, 1.25, 2.0, 3.0] {
            let shape = Shape {
                brightness: factor,
                ..Shape::NEUTRAL
            };
            shaper.apply(&w, 60, &shape, &mut out);
            let c = harmonic_centroid(&out);
            assert!(
                (c / base - factor).abs() < 2e-3 * factor,
                "{factor}: {}",
                c / base
            );
        }
        let shape = Shape {
            tilt_db_per_octave: -6.0,
            ..Shape::NEUTRAL
        };
        shaper.apply(&w, 60, &shape, &mut out);
        // Harmonic 8 is three octaves above 1: 18 dB lower than it was, relative to harmonic 1.
        let db = |x: &[f32]| 20.0 * (x[7] / x[0]).log10();
        assert!(
            (db(&out) - db(&w) + 18.0).abs() < 0.05,
            "{}",
            db(&out) - db(&w)
        );
        // Above the audible harmonics nothing changes.
        shaper.apply(&w, 10, &shape, &mut out);
        assert_eq!(out[10..], w[10..]);
    }

    #[test]
    fn an_unreachable_centroid_stops_at_the_edge_and_bad_frames_pass_through() {
        let shaper = Shaper::new(100);
        let w = model_like(8);
        let mut out = vec![0.0; 8];
        let shape = Shape {
            brightness: 100.0,
            ..Shape::NEUTRAL
        };
        shaper.apply(&w, 8, &shape, &mut out);
        assert!(out.iter().all(|x| x.is_finite()));
        assert!(harmonic_centroid(&out) > 7.0);
        let mut bad = w.clone();
        bad[3] = f32::NAN;
        shaper.apply(&bad, 8, &shape, &mut out);
        assert!(out[3].is_nan() && out[0] == w[0]);
    }
}
