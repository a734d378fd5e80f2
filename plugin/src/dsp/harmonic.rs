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

use super::bank::{nyquist_taper, sincos_cycles, ChunkIn, Kernel, CHUNK, TAPER_FRACTION};
use super::frames::{Frame, Segment};

pub const MAX_HARMONICS: usize = 128;

/// How amplitude and harmonic weights move from one frame to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// The default: it leaves less zipper noise than the raised cosine (measured in
    /// `tests/synth_quality.rs`: images beyond fr/2 at -25.8 dB against -23.0 dB).
    Linear,
    /// (1 - cos(pi alpha)) / 2: no slope break at frame boundaries, but steeper in between.
    RaisedCosine,
}

impl Interp {
    #[inline(always)]
    fn weight(self, alpha: f64) -> f64 {
        match self {
            Interp::Linear => alpha,
            Interp::RaisedCosine => 0.5 - 0.5 * sincos_cycles(0.5 * alpha).1,
        }
    }
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

/// Harmonics with k * f0 below `limit` (or at it, when `inclusive`), at most `max`.
#[inline(always)]
fn harmonics_below(f0: f64, limit: f64, max: usize, inclusive: bool) -> usize {
    if !(f0 > 0.0) {
        return 0;
    }
    let fits = |k: usize| {
        if inclusive {
            k as f64 * f0 <= limit
        } else {
            (k as f64 * f0) < limit
        }
    };
    let mut k = ((limit / f0).ceil() as usize).min(max);
    // The division can round across an integer: settle the boundary with the product itself.
    while k > 0 && !fits(k) {
        k -= 1;
    }
    while k < max && fits(k + 1) {
        k += 1;
    }
    k
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

    /// Phase advance (cycles) over the first `count` samples of the segment.
    #[inline(always)]
    fn advance(&self, seg: &Segment, count: usize) -> f64 {
        let df0 = self.b.f0 - self.a.f0;
        (count as f64 * self.a.f0 + df0 * seg.alpha_sum(count)) / seg.sample_rate as f64
    }

    /// Writes samples `from..from + out.len()` of the current segment into `out`.
    pub fn render(&mut self, from: usize, out: &mut [f32]) {
        let Some(seg) = self.segment else {
            out.fill(0.0);
            return;
        };
        debug_assert!(from + out.len() <= seg.len());
        let sr = seg.sample_rate as f64;
        let nyquist = 0.5 * sr;
        let taper_start = (1.0 - TAPER_FRACTION) * nyquist;
        let (a, b) = (&self.a, &self.b);
        let mut input = ChunkIn {
            nyquist,
            ..ChunkIn::default()
        };
        let mut result = [0.0f64; CHUNK];
        for (c, block) in out.chunks_mut(CHUNK).enumerate() {
            for l in 0..CHUNK {
                let i = from + c * CHUNK + l;
                if l >= block.len() {
                    input.gain[l] = 0.0;
                    input.harmonics[l] = 0;
                    continue;
                }
                let alpha = seg.alpha(i);
                let f0 = a.f0 + alpha * (b.f0 - a.f0);
                let w = self.interp.weight(alpha);
                let amplitude = a.amplitude + w * (b.amplitude - a.amplitude);
                let below = harmonics_below(f0, nyquist, self.harmonics, false);
                let full = harmonics_below(f0, taper_start, self.harmonics, true).min(below);
                let mut sum = a.prefix[full] + w * (b.prefix[full] - a.prefix[full]);
                for k in full..below {
                    let weight = a.weights[k] + w * self.delta[k];
                    sum += nyquist_taper((k + 1) as f64 * f0, nyquist) * weight;
                }
                input.phase[l] = self.phase_start + self.advance(&seg, i + 1);
                input.w[l] = w;
                input.f0[l] = f0;
                input.full[l] = full as u32;
                input.harmonics[l] = below as u32;
                input.gain[l] = if sum > 1e-12 && amplitude > 0.0 {
                    amplitude / sum
                } else {
                    0.0
                };
            }
            self.kernel
                .run(&input, &a.weights, &self.delta, &mut result);
            for (o, r) in block.iter_mut().zip(result.iter()) {
                *o = *r as f32;
            }
        }
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
