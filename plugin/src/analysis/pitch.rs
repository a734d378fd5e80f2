//! Streaming f0 estimation, one estimate per call on the most recent samples: YIN's
//! cumulative-mean-normalised difference (CMNDF), computed through an FFT cross-correlation.
//!
//! Latency is set by how much signal the estimate needs. The window runs backwards in time (YIN's
//! difference function does not change under reversal), so its integration part covers the
//! newest samples: at an onset, the silence before it adds nothing, and a dip appears once about
//! two periods have arrived. Two resolutions are tried: a short one (8 ms integration, periods
//! up to 8 ms, notes from 125 Hz), which follows a legato note change within a few frames, and
//! the long one (two periods of the lowest f0) for low notes. The period found is refined on the
//! latest two periods of the signal itself. A causal octave guard keeps YIN's preference for
//! the shorter period across frames.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchConfig {
    pub min_hz: f32,
    pub max_hz: f32,
    /// CMNDF value under which a dip counts as the period (YIN's absolute threshold).
    pub threshold: f32,
}

impl Default for PitchConfig {
    fn default() -> Self {
        Self {
            min_hz: 60.0,
            max_hz: 2000.0,
            threshold: 0.15,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchEstimate {
    /// The best period's frequency, also when unvoiced (then only a hint).
    pub f0_hz: f32,
    /// 1 - CMNDF at the chosen period: near 1 for a clean periodic signal, low for noise.
    pub confidence: f32,
}

/// Integration of the short resolution, in seconds.
const SHORT_SECONDS: f32 = 0.008;

/// A best lag this close (as a share of the range) to the longest lag looked at is a slope
/// running on to a longer period, not a period.
const EDGE_MARGIN: f32 = 0.02;

/// How much shallower a dip at a submultiple of the best lag may be and still be the period.
const NEAR_AS_DEEP: f32 = 0.1;

/// A forward and an inverse real FFT of one length.
type FftPair = (Arc<dyn RealToComplex<f32>>, Arc<dyn ComplexToReal<f32>>);

/// The lowest pitch a tracker keeps room for, so that its range can move down to it while
/// playing without allocating (the effect's Lowest Pitch knob goes this low).
pub const LOWEST_PITCH_HZ: f32 = 40.0;

/// YIN's CMNDF at one resolution: integration W over the newest samples, lags up to tau_max.
/// Its buffers and FFT plans have room for the largest W and tau_max it will be set to, so
/// `configure` changes the resolution without allocating, and the result is the same as that of
/// a CMNDF built at that size (the same FFT length and the same arithmetic).
struct Cmndf {
    integration: usize,
    tau_max: usize,
    fft_len: usize,
    /// FFT plans for every power of two up to the largest length, and the one in use.
    plans: Vec<FftPair>,
    plan: usize,
    whole: Vec<f32>,
    head: Vec<f32>,
    whole_spec: Vec<Complex<f32>>,
    head_spec: Vec<Complex<f32>>,
    corr: Vec<f32>,
    scratch: Vec<Complex<f32>>,
    /// energy[i] = sum of x^2 over the first i samples of the (reversed) window.
    energy: Vec<f64>,
    values: Vec<f32>,
}

impl Cmndf {
    /// Room for an integration and lags of up to `largest` samples each; set to that.
    fn new(largest: usize) -> Self {
        let max_fft = (2 * largest).next_power_of_two();
        let mut planner = RealFftPlanner::<f32>::new();
        let plans: Vec<_> = (0..=max_fft.trailing_zeros())
            .map(|bits| {
                let n = 1usize << bits;
                (planner.plan_fft_forward(n), planner.plan_fft_inverse(n))
            })
            .collect();
        let scratch_len = plans
            .iter()
            .map(|(f, i)| f.get_scratch_len().max(i.get_scratch_len()))
            .max()
            .unwrap_or(0);
        let mut cmndf = Self {
            integration: largest,
            tau_max: largest,
            fft_len: max_fft,
            plan: plans.len() - 1,
            whole: vec![0.0; max_fft],
            head: vec![0.0; max_fft],
            whole_spec: vec![Complex::default(); max_fft / 2 + 1],
            head_spec: vec![Complex::default(); max_fft / 2 + 1],
            corr: vec![0.0; max_fft],
            scratch: vec![Complex::default(); scratch_len],
            energy: vec![0.0; 2 * largest + 1],
            values: vec![1.0; largest + 2],
            plans,
        };
        cmndf.configure(largest, largest);
        cmndf
    }

    /// Sets the resolution (each at most what `new` made room for).
    fn configure(&mut self, integration: usize, tau_max: usize) {
        let room = self.values.len() - 2;
        self.integration = integration.min(room);
        self.tau_max = tau_max.min(room);
        self.fft_len = (self.integration + self.tau_max).next_power_of_two();
        self.plan = self.fft_len.trailing_zeros() as usize;
    }

    fn window_len(&self) -> usize {
        self.integration + self.tau_max
    }

    /// The CMNDF of `x` (reversed: newest sample first), `window_len()` samples.
    fn compute(&mut self, x: &[f32]) {
        let (w, n) = (self.integration, self.window_len());
        let x = &x[..n];
        self.energy[0] = 0.0;
        for (i, v) in x.iter().enumerate() {
            self.energy[i + 1] = self.energy[i] + (*v as f64) * (*v as f64);
        }
        // Below -100 dBFS nothing is periodic enough to matter: report no dip anywhere.
        let quiet = self.energy[n] < 1e-10 * n as f64;
        let (len, bins) = (self.fft_len, self.fft_len / 2 + 1);
        let (forward, inverse) = &self.plans[self.plan];
        let whole = &mut self.whole[..len];
        whole.fill(0.0);
        whole[..n].copy_from_slice(x);
        let head = &mut self.head[..len];
        head.fill(0.0);
        head[..w].copy_from_slice(&x[..w]);
        let _ =
            forward.process_with_scratch(whole, &mut self.whole_spec[..bins], &mut self.scratch);
        let _ = forward.process_with_scratch(head, &mut self.head_spec[..bins], &mut self.scratch);
        for (a, b) in self.whole_spec[..bins]
            .iter_mut()
            .zip(&self.head_spec[..bins])
        {
            *a *= b.conj();
        }
        let _ = inverse.process_with_scratch(
            &mut self.whole_spec[..bins],
            &mut self.corr[..len],
            &mut self.scratch,
        );
        let scale = 1.0 / self.fft_len as f64;
        let e0 = self.energy[w];
        let mut running = 0.0f64;
        self.values[0] = 1.0;
        for tau in 1..=self.tau_max {
            let et = self.energy[tau + w] - self.energy[tau];
            let d = (e0 + et - 2.0 * self.corr[tau] as f64 * scale).max(0.0);
            running += d;
            self.values[tau] = if running > 1e-12 && !quiet {
                (d * tau as f64 / running) as f32
            } else {
                1.0
            };
        }
    }

    /// YIN's rule: the first dip under the threshold in lo..=hi, at its local minimum. A
    /// minimum on the range's end is not a dip but a slope running on to a longer period.
    fn first_dip(&self, lo: usize, hi: usize, threshold: f32) -> Option<usize> {
        let c = &self.values;
        let mut tau = (lo..=hi).find(|&t| c[t] < threshold)?;
        while tau < hi && c[tau + 1] < c[tau] {
            tau += 1;
        }
        (tau < hi).then_some(tau)
    }

    fn global_min(&self, lo: usize, hi: usize) -> usize {
        (lo..=hi)
            .min_by(|&a, &b| self.values[a].total_cmp(&self.values[b]))
            .unwrap_or(lo)
    }

    fn local_min_near(&self, tau: f32, lo: usize, hi: usize) -> usize {
        let centre = (tau.round() as usize).clamp(lo, hi);
        let span = (centre / 20).max(2);
        self.global_min(centre.saturating_sub(span).max(lo), (centre + span).min(hi))
    }

    /// The period to a fraction of a sample: a parabola through the CMNDF.
    fn interpolated(&self, tau: usize) -> f32 {
        let t = tau.clamp(1, self.tau_max - 1);
        let (a, b, c) = (
            self.values[t - 1] as f64,
            self.values[t] as f64,
            self.values[t + 1] as f64,
        );
        let denom = a - 2.0 * b + c;
        let shift = if denom > 1e-12 {
            (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        (t as f64 + shift) as f32
    }
}

pub struct PitchTracker {
    sample_rate: f32,
    config: PitchConfig,
    tau_min: usize,
    long: Cmndf,
    short: Cmndf,
    /// False when the pitch range is too narrow for the short resolution to help.
    use_short: bool,
    /// The window, reversed (newest sample first).
    reversed: Vec<f32>,
    previous: Option<f32>,
}

impl PitchTracker {
    /// A tracker for `config`'s range, with room to move its lowest pitch down to
    /// LOWEST_PITCH_HZ (or `config`'s, if lower) while playing.
    pub fn new(sample_rate: f32, config: PitchConfig) -> Self {
        let lowest = config.min_hz.min(LOWEST_PITCH_HZ);
        let room = PitchConfig {
            min_hz: lowest,
            ..config
        };
        let (_, _, tau_max) = Self::lags(sample_rate, room);
        let long = Cmndf::new(tau_max);
        let short = Cmndf::new(((SHORT_SECONDS * sample_rate).round() as usize).max(2));
        let mut tracker = Self {
            sample_rate,
            config,
            tau_min: 2,
            reversed: vec![0.0; long.window_len()],
            long,
            short,
            use_short: false,
            previous: None,
        };
        tracker.set_range(config);
        tracker
    }

    /// The range as used (clamped to what the rate allows), and its shortest and longest lags.
    fn lags(sample_rate: f32, config: PitchConfig) -> (PitchConfig, usize, usize) {
        let min_hz = config.min_hz.clamp(20.0, sample_rate / 8.0);
        let max_hz = config.max_hz.clamp(min_hz * 1.5, sample_rate / 4.0);
        let config = PitchConfig {
            min_hz,
            max_hz,
            ..config
        };
        let tau_min = ((sample_rate / max_hz).floor() as usize).max(2);
        // 3 % past the lowest pitch, so that a note right at it is a dip inside the range and a
        // slope on to a longer period can be told apart by where its minimum sits (`finish`).
        let tau_max = (sample_rate / min_hz * (1.0 + EDGE_MARGIN + 0.01)).ceil() as usize + 1;
        (config, tau_min, tau_max)
    }

    /// Looks for pitch in another range from the next estimate on. Real-time safe: a lowest
    /// pitch under the one the tracker was built with room for is taken as that one.
    pub fn set_range(&mut self, config: PitchConfig) {
        let (config, tau_min, tau_max) = Self::lags(self.sample_rate, config);
        self.config = config;
        self.tau_min = tau_min;
        self.long.configure(tau_max, tau_max);
        let short_len = (SHORT_SECONDS * self.sample_rate).round() as usize;
        self.use_short = short_len >= 2 * tau_min && short_len < self.long.tau_max;
        self.short.configure(short_len, short_len);
    }

    pub fn config(&self) -> PitchConfig {
        self.config
    }

    /// Samples the tracker reads, for its range now.
    pub fn window_len(&self) -> usize {
        self.long.window_len()
    }

    /// Samples the tracker may read, over every range it can be set to.
    pub fn max_window_len(&self) -> usize {
        self.reversed.len()
    }

    /// Forgets the octave history (a new note after silence may be in any octave).
    pub fn forget(&mut self) {
        self.previous = None;
    }

    /// Estimates f0 from the last `window_len()` samples of `recent`.
    pub fn estimate(&mut self, recent: &[f32]) -> PitchEstimate {
        let len = self.window_len();
        for (r, v) in self
            .reversed
            .iter_mut()
            .zip(recent[recent.len() - len..].iter().rev())
        {
            *r = *v;
        }
        let threshold = self.config.threshold;
        // The short resolution first: a confident dip there is a note of 125 Hz or more, found
        // on the newest 8 ms plus a period.
        if self.use_short {
            let short = &mut self.short;
            short.compute(&self.reversed);
            if let Some(tau) = short.first_dip(self.tau_min, short.tau_max - 1, threshold) {
                let tau = Self::guard(
                    short,
                    self.previous,
                    self.sample_rate,
                    tau,
                    self.tau_min,
                    threshold,
                );
                return self.finish(tau, true);
            }
        }
        self.long.compute(&self.reversed);
        let hi = self.long.tau_max - 1;
        let tau = self
            .long
            .first_dip(self.tau_min, hi + 1, threshold)
            .unwrap_or_else(|| self.long.global_min(self.tau_min, hi));
        let tau = Self::shortest_near_as_deep(&self.long, tau, self.tau_min, hi);
        let tau = Self::guard(
            &self.long,
            self.previous,
            self.sample_rate,
            tau,
            self.tau_min,
            threshold,
        );
        self.finish(tau, false)
    }

    /// YIN's rule in noise: every multiple of the period dips about as deep as the period, and
    /// noise (or a room's hum, whose period a multiple may share) can make a multiple the first
    /// under the threshold or the deepest. A dip at a half or a third of `tau` nearly as deep
    /// is the period.
    fn shortest_near_as_deep(c: &Cmndf, tau: usize, lo: usize, hi: usize) -> usize {
        let v = &c.values;
        let mut best = tau;
        for k in 2..=4 {
            let t = tau as f32 / k as f32;
            if t < lo as f32 + 1.0 {
                break;
            }
            let near = c.local_min_near(t, lo, hi);
            let is_dip = near > lo && near < hi && v[near] <= v[near - 1] && v[near] <= v[near + 1];
            if is_dip && v[near] <= v[tau] + NEAR_AS_DEEP && near < best {
                best = near;
            }
        }
        best
    }

    /// Octave guard. Every multiple of the period dips as deep as the period, so YIN's rule
    /// (the smallest period that dips) is kept: a jump an octave down is undone when the previous,
    /// shorter period still dips nearly as deep; a jump an octave up is undone only when the
    /// previous period dips clearly deeper (a fading fundamental at a note's end).
    fn guard(
        c: &Cmndf,
        previous: Option<f32>,
        sample_rate: f32,
        tau: usize,
        lo: usize,
        threshold: f32,
    ) -> usize {
        let Some(prev) = previous else { return tau };
        let prev_tau = sample_rate / prev;
        let hi = c.tau_max - 1;
        if prev_tau > hi as f32 {
            return tau;
        }
        let ratio = tau as f32 / prev_tau;
        let v = &c.values;
        if (ratio - 2.0).abs() < 0.1 {
            let near = c.local_min_near(prev_tau, lo, hi);
            if v[near] < (v[tau] + 0.1).max(threshold * 1.5) {
                return near;
            }
        } else if (ratio - 0.5).abs() < 0.03 {
            let near = c.local_min_near(prev_tau, lo, hi);
            if v[near] + 0.05 < v[tau] {
                return near;
            }
        }
        tau
    }

    fn finish(&mut self, tau: usize, short: bool) -> PitchEstimate {
        let c = if short { &self.short } else { &self.long };
        // A best lag at the range's end is a slope running on to a period outside the range (a
        // note below the lowest pitch), not a period: no confidence in it.
        let edge = c.tau_max - 1 - ((c.tau_max as f32 * EDGE_MARGIN) as usize).max(1);
        let on_edge = tau <= self.tau_min || tau >= edge;
        let confidence = if on_edge {
            0.0
        } else {
            (1.0 - c.values[tau]).clamp(0.0, 1.0)
        };
        let period = self.refine(c, tau);
        let f0 = self.sample_rate / period;
        if confidence >= 1.0 - 2.0 * self.config.threshold {
            self.previous = Some(f0);
        }
        PitchEstimate {
            f0_hz: f0,
            confidence,
        }
    }

    /// The period, to a fraction of a sample, measured on the latest two periods only (the
    /// plain difference function, evaluated directly near `tau`).
    fn refine(&self, c: &Cmndf, tau: usize) -> f32 {
        let x = &self.reversed[..self.window_len()];
        let w = (2 * tau).clamp(16, self.long.integration);
        // When the latest periods hold little of the window's energy (the note has just
        // ended, or is only starting), they cannot refine anything: use the CMNDF's own dip.
        let n = c.window_len();
        let recent_power = c.energy[(w + tau).min(n)] / (w + tau).min(n) as f64;
        let window_power = c.energy[n] / n as f64;
        if recent_power < 0.25 * window_power || w + tau + 2 > x.len() {
            return c.interpolated(tau);
        }
        // `x` is reversed: the newest samples come first.
        let d = |t: usize| -> f64 {
            let (a, b) = (&x[..w], &x[t..t + w]);
            a.iter().zip(b).map(|(p, q)| ((p - q) as f64).powi(2)).sum()
        };
        let (lo, hi) = (
            self.tau_min + 1,
            (x.len() - w - 1).min(self.long.tau_max - 2),
        );
        let mut best = tau.clamp(lo, hi);
        let mut d_best = d(best);
        for _ in 0..8 {
            let (left, right) = (d(best - 1), d(best + 1));
            if left < d_best && best - 1 > lo {
                best -= 1;
                d_best = left;
            } else if right < d_best && best + 1 < hi {
                best += 1;
                d_best = right;
            } else {
                let denom = left - 2.0 * d_best + right;
                let shift = if denom > 1e-20 {
                    (0.5 * (left - right) / denom).clamp(-0.5, 0.5)
                } else {
                    0.0
                };
                return (best as f64 + shift) as f32;
            }
        }
        best as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: impl Fn(f64) -> f64, harmonics: &[f64], sr: f64, n: usize) -> Vec<f32> {
        let mut phase = 0.0;
        (0..n)
            .map(|i| {
                phase += hz(i as f64 / sr) / sr;
                harmonics
                    .iter()
                    .enumerate()
                    .map(|(k, a)| a * (std::f64::consts::TAU * (k + 1) as f64 * phase).sin())
                    .sum::<f64>() as f32
            })
            .collect()
    }

    fn cents(f: f32, reference: f64) -> f64 {
        1200.0 * (f as f64 / reference).log2()
    }

    #[test]
    fn steady_tones_within_a_few_cents_across_the_range() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            let mut tracker = PitchTracker::new(sr as f32, PitchConfig::default());
            for hz in [65.0, 110.0, 220.0, 440.0, 880.0, 1760.0] {
                let saw: Vec<f64> = (1..=12).map(|k| 1.0 / k as f64).collect();
                let x = tone(|_| hz, &saw, sr, tracker.window_len() + 100);
                let e = tracker.estimate(&x);
                assert!(cents(e.f0_hz, hz).abs() < 3.0, "{sr} {hz}: {} Hz", e.f0_hz);
                assert!(e.confidence > 0.9, "{sr} {hz}: confidence {}", e.confidence);
                tracker.forget();
            }
        }
    }

    #[test]
    fn missing_fundamental_is_found() {
        let mut tracker = PitchTracker::new(48_000.0, PitchConfig::default());
        let x = tone(
            |_| 200.0,
            &[0.0, 1.0, 0.8, 0.6],
            48_000.0,
            tracker.window_len(),
        );
        let e = tracker.estimate(&x);
        assert!(cents(e.f0_hz, 200.0).abs() < 3.0, "{}", e.f0_hz);
    }

    #[test]
    fn noise_and_silence_are_not_confident() {
        let mut tracker = PitchTracker::new(48_000.0, PitchConfig::default());
        let mut state = 1u64;
        let noise: Vec<f32> = (0..tracker.window_len())
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect();
        assert!(tracker.estimate(&noise).confidence < 0.5);
        let silence = vec![0.0; tracker.window_len()];
        let e = tracker.estimate(&silence);
        assert!(e.confidence < 0.5 && e.f0_hz.is_finite());
    }
}
