//! Stereo width for a mono synth: the side signal is a decorrelated copy of the mono one (a chain
//! of Schroeder all-passes, flat in magnitude), added to the left and taken from the right:
//! L = (m + w d) / n, R = (m - w d) / n with n = sqrt(1 + w^2). The sum L + R is the mono signal
//! at every width (nothing cancels when a mix is folded to mono), and since d is nearly
//! uncorrelated with m, the channels' correlation is about (1 - w^2) / (1 + w^2): 1 at width 0,
//! 0 at width 1.

use super::smoother::LinearSmoother;

/// Delays of the all-passes, in seconds, and their gain: mutually prime in samples at common
/// rates, short enough not to be heard as echoes.
const STAGES: [f32; 3] = [0.0031, 0.0047, 0.0071];
const GAIN: f32 = 0.6;
const RAMP_SECONDS: f32 = 0.02;

#[derive(Debug, Clone)]
struct Allpass {
    buffer: Vec<f32>,
    pos: usize,
}

impl Allpass {
    fn new(delay: usize) -> Self {
        Self {
            buffer: vec![0.0; delay.max(1)],
            pos: 0,
        }
    }

    /// y[n] = -g x[n] + v[n - D], v[n] = x[n] + g y[n]: the delay line holds v.
    #[inline]
    fn next(&mut self, x: f32) -> f32 {
        let delayed = self.buffer[self.pos];
        let y = delayed - GAIN * x;
        self.buffer[self.pos] = x + GAIN * y;
        self.pos = (self.pos + 1) % self.buffer.len();
        y
    }

    fn clear(&mut self) {
        self.buffer.fill(0.0);
    }
}

#[derive(Debug, Clone)]
pub struct Width {
    stages: Vec<Allpass>,
    width: LinearSmoother,
}

impl Width {
    pub fn new(width: f32, sample_rate: f32) -> Self {
        Self {
            stages: STAGES
                .iter()
                .map(|s| Allpass::new((s * sample_rate).round() as usize))
                .collect(),
            width: LinearSmoother::new(width.clamp(0.0, 1.0), RAMP_SECONDS, sample_rate),
        }
    }

    pub fn set_width(&mut self, width: f32) {
        self.width.set_target(width.clamp(0.0, 1.0));
    }

    pub fn reset(&mut self, width: f32) {
        self.stages.iter_mut().for_each(Allpass::clear);
        self.width.reset(width.clamp(0.0, 1.0));
    }

    /// Whether it would change nothing (width 0, settled): the caller may skip it.
    pub fn is_mono(&self) -> bool {
        self.width.is_settled() && self.width.value() == 0.0
    }

    /// `left` holds the mono signal; it becomes the left channel and `right` the right.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let settled = self.width.is_settled();
        let still = self.width.value();
        let still_norm = 1.0 / (1.0 + still * still).sqrt();
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let m = *l;
            let mut d = m;
            for stage in self.stages.iter_mut() {
                d = stage.next(d);
            }
            // A settled width needs no square root per sample.
            let (w, norm) = if settled {
                (still, still_norm)
            } else {
                let w = self.width.next();
                (w, 1.0 / (1.0 + w * w).sqrt())
            };
            *l = (m + w * d) * norm;
            *r = (m - w * d) * norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correlation(a: &[f32], b: &[f32]) -> f32 {
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p * q) as f64).sum::<f64>();
        (dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()) as f32
    }

    #[test]
    fn width_decorrelates_by_the_formula_and_folds_back_to_mono() {
        let rate = 48_000.0;
        let mut rng = crate::dsp::noise::WhiteNoise::new(7);
        let mono: Vec<f32> = (0..48_000).map(|_| rng.next_sample()).collect();
        for w in [0.0f32, 0.25, 0.5, 0.75, 1.0] {
            let mut width = Width::new(w, rate);
            let (mut l, mut r) = (mono.clone(), vec![0.0; mono.len()]);
            width.process(&mut l, &mut r);
            let expected = (1.0 - w * w) / (1.0 + w * w);
            let measured = correlation(&l[4800..], &r[4800..]);
            assert!(
                (measured - expected).abs() < 0.08,
                "{w}: {measured} vs {expected}"
            );
            let norm = (1.0 + w * w).sqrt();
            for i in 0..mono.len() {
                assert!(((l[i] + r[i]) * norm / 2.0 - mono[i]).abs() < 1e-5);
            }
        }
    }
}
