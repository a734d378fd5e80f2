//! Harmonic synthesizer: control frames (f0, amplitude, harmonic distribution) to audio at the
//! host rate.
//!
//! Per sample n of the segment between frames A and B (alpha in [0, 1)):
//! f0 is interpolated linearly; amplitude and weights by `Interp`; the fundamental's phase is
//! the running sum of f0/sr; harmonics fade out over the top 10 % of the band and are zero at
//! and above Nyquist, and the weights are renormalised at every sample, so a glide upward never
//! aliases, never splatters and never changes loudness. The renormalisation is cheap per
//! sample: the full-weight harmonics are a prefix, and the weights are linear in w, so their
//! sum comes from two prefix-sum tables; only the few fading harmonics are summed one by one.
//!
//! Phase: f64 cycles, advanced in closed form per segment and wrapped at each frame, so it does
//! not drift over hours. A note started from silence begins at phase zero on its first sample;
//! new frames for a sounding voice never reset the phase.

use super::bank::{harmonics_below, Kernel, Span, Tables};
use super::frames::Frame;
use crate::grid::Segment;
use crate::limits::MAX_HARMONICS;

/// How amplitude and harmonic weights move from one frame to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// The default: it leaves less zipper noise than the raised cosine (measured in
    /// `tests/synth_quality.rs`: images beyond fr/2 at -25.8 dB against -23.0 dB).
    Linear,
    /// (1 - cos(pi alpha)) / 2: no slope break at frame boundaries, but steeper in between.
    RaisedCosine,
}

#[derive(Debug, Clone)]
struct Controls {
    f0: f64,
    amplitude: f64,
    weights: Vec<f64>,
    /// prefix[m] = sum of the first m weights.
    prefix: Vec<f64>,
}

impl Controls {
    fn silent(harmonics: usize) -> Self {
        Self {
            f0: 0.0,
            amplitude: 0.0,
            weights: vec![0.0; harmonics],
            prefix: vec![0.0; harmonics + 1],
        }
    }

    /// Copies in place: a derived `clone_from` would allocate on the audio thread.
    fn copy_from(&mut self, other: &Controls) {
        self.f0 = other.f0;
        self.amplitude = other.amplitude;
        self.weights.copy_from_slice(&other.weights);
        self.prefix.copy_from_slice(&other.prefix);
    }

    /// Takes a frame's values; an invalid frame (NaN, infinite or negative) becomes silence at
    /// the previous pitch, so the phase carries on. Returns whether the frame was valid.
    fn load(&mut self, frame: &Frame) -> bool {
        let f0 = frame.f0_hz;
        let amplitude = frame.amplitude;
        let valid = f0.is_finite()
            && f0 >= 0.0
            && amplitude.is_finite()
            && amplitude >= 0.0
            && frame.harmonics.iter().all(|w| w.is_finite() && *w >= 0.0);
        if !valid {
            self.amplitude = 0.0;
            return false;
        }
        self.f0 = f0 as f64;
        self.amplitude = amplitude as f64;
        let mut sum = 0.0;
        for (k, w) in self.weights.iter_mut().enumerate() {
            *w = frame.harmonics.get(k).copied().unwrap_or(0.0) as f64;
            sum += *w;
            self.prefix[k + 1] = sum;
        }
        true
    }
}

/// Harmonics k (1-based) with k * f0 strictly below Nyquist, at most `max`.
#[inline(always)]
pub fn harmonics_below_nyquist(f0: f64, sample_rate: f64, max: usize) -> usize {
    harmonics_below(f0, 0.5 * sample_rate, max, false)
}

#[derive(Debug, Clone)]
pub struct HarmonicSynth {
    harmonics: usize,
    interp: Interp,
    kernel: Kernel,
    a: Controls,
    b: Controls,
    delta: Vec<f64>,
    segment: Option<Segment>,
    /// Phase (cycles) just before the segment's first sample.
    phase_start: f64,
    invalid_frames: u64,
}

impl HarmonicSynth {
    pub fn new(harmonics: usize, interp: Interp) -> Self {
        Self::with_kernel(harmonics, interp, Kernel::detect())
    }

    pub fn with_kernel(harmonics: usize, interp: Interp, kernel: Kernel) -> Self {
        let harmonics = harmonics.clamp(1, MAX_HARMONICS);
        Self {
            harmonics,
            interp,
            kernel,
            a: Controls::silent(harmonics),
            b: Controls::silent(harmonics),
            delta: vec![0.0; harmonics],
            segment: None,
            phase_start: 0.0,
            invalid_frames: 0,
        }
    }

    pub fn harmonics(&self) -> usize {
        self.harmonics
    }

    /// Frames refused as NaN, infinite or negative since construction.
    pub fn invalid_frames(&self) -> u64 {
        self.invalid_frames
    }

    /// Starts from silence with `frame` as the last known controls and phase zero.
    pub fn reset(&mut self, frame: &Frame) {
        if !self.b.load(frame) {
            self.invalid_frames += 1;
        }
        self.a.copy_from(&self.b);
        self.delta.iter_mut().for_each(|d| *d = 0.0);
        self.segment = None;
        self.phase_start = 0.0;
    }

    /// Begins `segment`, moving from the last frame to `frame` across it.
    pub fn push(&mut self, frame: &Frame, segment: Segment) {
        if let Some(done) = self.segment {
            self.phase_start = wrap(self.phase_start + self.advance(&done, done.len()));
        }
        std::mem::swap(&mut self.a, &mut self.b);
        self.b.copy_from(&self.a);
        if !self.b.load(frame) {
            self.invalid_frames += 1;
        }
        for ((d, a), b) in self
            .delta
            .iter_mut()
            .zip(&self.a.weights)
            .zip(&self.b.weights)
        {
            *d = b - a;
        }
        self.segment = Some(segment);
    }

    /// Makes the phase zero just before sample `offset` of the current segment: a voice that
    /// starts mid-segment then begins exactly like one started on a frame.
    pub fn start_phase_at(&mut self, offset: usize) {
        if let Some(seg) = self.segment {
            self.phase_start = wrap(-self.advance(&seg, offset));
        }
    }

    /// The constants `render` computes the segment's samples from.
    fn span(&self, seg: &Segment) -> Span {
        let sr = seg.sample_rate as f64;
        Span {
            step: seg.alpha_step(),
            offset: seg.alpha_offset(),
            inv_sample_rate: 1.0 / sr,
            nyquist: 0.5 * sr,
            f0_a: self.a.f0,
            df0: self.b.f0 - self.a.f0,
            amplitude_a: self.a.amplitude,
            d_amplitude: self.b.amplitude - self.a.amplitude,
            phase_start: self.phase_start,
            raised_cosine: self.interp == Interp::RaisedCosine,
            max_harmonics: self.harmonics,
        }
    }

    /// Phase advance (cycles) over the first `count` samples of the segment.
    fn advance(&self, seg: &Segment, count: usize) -> f64 {
        self.span(seg).advance(count as f64)
    }

    /// Writes samples `from..from + out.len()` of the current segment into `out`.
    pub fn render(&mut self, from: usize, out: &mut [f32]) {
        let Some(seg) = self.segment else {
            out.fill(0.0);
            return;
        };
        debug_assert!(from + out.len() <= seg.len());
        let tables = Tables {
            weights_a: &self.a.weights,
            delta: &self.delta,
            prefix_a: &self.a.prefix,
            prefix_b: &self.b.prefix,
        };
        self.kernel.render(&self.span(&seg), &tables, from, out);
    }
}

#[inline(always)]
fn wrap(phase: f64) -> f64 {
    phase - phase.floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nyquist_count_is_exact_at_the_boundary() {
        assert_eq!(harmonics_below_nyquist(1000.0, 48_000.0, 128), 23);
        assert_eq!(harmonics_below_nyquist(999.999, 48_000.0, 128), 24);
        assert_eq!(harmonics_below_nyquist(24_000.0, 48_000.0, 128), 0);
        assert_eq!(harmonics_below_nyquist(10.0, 48_000.0, 128), 128);
        assert_eq!(harmonics_below_nyquist(0.0, 48_000.0, 128), 0);
        assert_eq!(harmonics_below_nyquist(f64::NAN, 48_000.0, 128), 0);
        for i in 1..5000 {
            let f0 = 20.0 + i as f64 * 3.7;
            let k = harmonics_below_nyquist(f0, 44_100.0, 128);
            let want = (1..=128).filter(|&k| k as f64 * f0 < 22_050.0).count();
            assert_eq!(k, want, "{f0}");
        }
    }

    #[test]
    fn single_harmonic_is_a_sine_with_phase_from_the_first_sample() {
        let (sr, fr) = (48_000u32, 250u32);
        let frame = Frame {
            f0_hz: 441.0,
            amplitude: 0.5,
            harmonics: &[1.0],
            noise: &[],
        };
        let mut synth = HarmonicSynth::new(1, Interp::Linear);
        synth.reset(&frame);
        let mut seg = Segment::first(sr, fr);
        let mut out = Vec::new();
        for _ in 0..10 {
            synth.push(&frame, seg);
            let mut buf = vec![0.0f32; seg.len()];
            synth.render(0, &mut buf);
            out.extend(buf);
            seg = seg.next();
        }
        for (n, y) in out.iter().enumerate() {
            let want = 0.5 * (std::f64::consts::TAU * 441.0 * (n + 1) as f64 / sr as f64).sin();
            assert!((*y as f64 - want).abs() < 1e-6, "sample {n}");
        }
    }

    #[test]
    fn invalid_frames_give_silence_and_are_counted() {
        let (sr, fr) = (48_000u32, 250u32);
        let good = Frame {
            f0_hz: 220.0,
            amplitude: 0.5,
            harmonics: &[1.0, 0.5],
            noise: &[],
        };
        let bad = [
            Frame {
                f0_hz: f32::NAN,
                ..good
            },
            Frame {
                amplitude: f32::INFINITY,
                ..good
            },
            Frame {
                f0_hz: -3.0,
                ..good
            },
            Frame {
                harmonics: &[1.0, -0.5],
                ..good
            },
        ];
        let mut synth = HarmonicSynth::new(2, Interp::Linear);
        synth.reset(&good);
        let mut seg = Segment::first(sr, fr);
        for frame in &bad {
            // Into the bad frame, then a segment held on it: the held one must be silent.
            synth.push(frame, seg);
            seg = seg.next();
            synth.push(frame, seg);
            let mut buf = vec![1.0f32; seg.len()];
            synth.render(0, &mut buf);
            assert!(buf.iter().all(|&v| v == 0.0), "{frame:?}");
            seg = seg.next();
        }
        assert_eq!(synth.invalid_frames(), 8);
        synth.push(&good, seg);
        let mut buf = vec![0.0f32; seg.len()];
        synth.render(0, &mut buf);
        assert!(buf.iter().all(|v| v.is_finite()) && buf.iter().any(|&v| v != 0.0));
    }
}
