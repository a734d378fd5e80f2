//! How periodic the part of the input a listener hears is, at the period the pitch tracker
//! found: the normalised correlation, one period apart, of the input high-passed at 250 Hz.
//!
//! YIN's confidence is measured on the whole band, where a room's low end rules: a mains hum is
//! a perfect 50 Hz period, and pink noise correlates over tens of milliseconds, so a quiet room
//! reads as a fairly sure 50 Hz note. What we hear of a voice or an instrument is its harmonics
//! from a few hundred hertz up (A-weighting takes 30 dB off 50 Hz), and there a note stays
//! periodic while hum drops out and noise and breath do not correlate over a period. A low note
//! keeps its period through the filter: its harmonics carry it. The voicing rule asks for this
//! periodicity before a note may start (`engine::voicing`).

use super::biquad::Biquad;
use super::history::History;

/// How periodic the heard band must be to count as a note: r = P / (P + N) for periodic power P
/// over noise N, so 1/3 is harmonics 3 dB under the noise. The voicing rule starts notes from it
/// and the analysis keeps the tracker's octave memory only over it.
pub const PERIODIC: f32 = 1.0 / 3.0;

/// Where the weighting's high-pass sits (second order, Butterworth, in f64: at 384 kHz its
/// poles sit close to 1).
const HIGH_PASS_HZ: f64 = 250.0;
/// The shortest stretch compared, in seconds: a period of a high note is too few samples for a
/// stable correlation.
const MIN_SPAN_SECONDS: f32 = 0.004;

/// The weighted input's recent samples and the measure on them.
#[derive(Debug, Clone)]
pub struct Periodicity {
    filter: Biquad,
    weighted: History,
    scratch: Vec<f32>,
    sample_rate: f32,
    longest_period: usize,
    min_span: usize,
}

impl Periodicity {
    /// Room for periods down to `lowest_hz`.
    pub fn new(sample_rate: f32, lowest_hz: f32) -> Self {
        let longest_period = (sample_rate / lowest_hz.max(1.0) * 1.05).ceil() as usize + 2;
        let min_span = (MIN_SPAN_SECONDS * sample_rate).ceil() as usize;
        Self {
            filter: Biquad::high_pass(sample_rate, HIGH_PASS_HZ),
            weighted: History::new(2 * longest_period + min_span + 2),
            scratch: vec![0.0; 256],
            sample_rate,
            longest_period,
            min_span,
        }
    }

    /// Feeds (DC-blocked, finite) input samples.
    pub fn push(&mut self, samples: &[f32]) {
        for chunk in samples.chunks(self.scratch.len()) {
            let out = &mut self.scratch[..chunk.len()];
            for (o, &x) in out.iter_mut().zip(chunk) {
                *o = self.filter.next(x);
            }
            self.weighted.push(out);
        }
    }

    /// The correlation (-1..1) of the newest stretch (a period, at least 4 ms) with the one a
    /// period before, at the best of the whole-sample lags around `f0_hz`'s period: 1 for a
    /// steady periodic sound, near 0 for noise, and 0 in silence or for no usable f0.
    pub fn at(&self, f0_hz: f32) -> f32 {
        if !(f0_hz > 0.0) {
            return 0.0;
        }
        let period = (self.sample_rate / f0_hz).clamp(2.0, self.longest_period as f32 - 2.0);
        let x = self.weighted.latest(self.weighted.window());
        let first = period.floor() as usize - 1;
        let mut best = 0f64;
        for lag in first..first + 4 {
            let span = lag.max(self.min_span);
            let Some(start) = x.len().checked_sub(span + lag) else {
                continue;
            };
            let (a, b) = (&x[start + lag..], &x[start..start + span]);
            let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
            for (&p, &q) in a.iter().zip(b) {
                let (p, q) = (p as f64, q as f64);
                ab += p * q;
                aa += p * p;
                bb += q * q;
            }
            if aa > 0.0 && bb > 0.0 {
                best = best.max(ab / (aa * bb).sqrt());
            }
        }
        best as f32
    }

    pub fn clear(&mut self) {
        self.filter.clear();
        self.weighted.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(signal: &[f32], sample_rate: f32, f0_hz: f32) -> f32 {
        let mut p = Periodicity::new(sample_rate, 40.0);
        p.push(signal);
        p.at(f0_hz)
    }

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut white = crate::dsp::noise::WhiteNoise::new(seed);
        (0..len).map(|_| 0.5 * white.next_sample()).collect()
    }

    #[test]
    fn notes_are_periodic_at_every_rate_and_register() {
        for sr in [8_000.0f32, 44_100.0, 48_000.0, 192_000.0, 384_000.0] {
            for f0 in [41.2f32, 110.0, 440.0, 1500.0] {
                if f0 * 5.0 > sr / 2.0 {
                    continue;
                }
                // Harmonics falling off at 6 dB per octave, as a bowed or sung tone roughly does.
                let tone: Vec<f32> = (0..(0.3 * sr) as usize)
                    .map(|i| {
                        let t = i as f32 / sr;
                        (1..=20)
                            .filter(|&k| k as f32 * f0 < sr / 2.0)
                            .map(|k| (std::f32::consts::TAU * k as f32 * f0 * t).sin() / k as f32)
                            .sum::<f32>()
                    })
                    .collect();
                let r = measured(&tone, sr, f0);
                assert!(r > 0.95, "{sr} Hz, {f0} Hz: {r}");
            }
        }
    }

    #[test]
    fn hum_under_room_noise_and_breath_are_not() {
        let sr = 48_000.0f32;
        let hiss = noise(24_000, 3);
        // Mains hum 10 dB over the hiss: YIN calls this a 50 Hz note; heard, it is noise.
        let room: Vec<f32> = hiss
            .iter()
            .enumerate()
            .map(|(i, n)| 0.1 * n + 0.3 * (std::f32::consts::TAU * 50.0 * i as f32 / sr).sin())
            .collect();
        let r = measured(&room, sr, 50.0);
        assert!(r < 0.2, "hum: {r}");
        let r = measured(&hiss, sr, 220.0);
        assert!(r < 0.2, "noise: {r}");
        assert_eq!(measured(&vec![0.0; 24_000], sr, 220.0), 0.0);
        assert_eq!(measured(&hiss, sr, f32::NAN), 0.0);
    }
}
