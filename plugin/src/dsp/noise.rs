//! Filtered noise: per frame, a time-varying FIR filter designed from noise-band magnitudes on
//! a fixed grid in Hz, applied to seeded white noise, with the filter tails overlap-added.
//!
//! Design (magenta/ddsp's, at the host rate): the band magnitudes are interpolated onto the
//! bins of an N-point spectrum, N = sr / band spacing, so the same model runs at any rate; an
//! inverse real FFT gives a zero-phase impulse response, which is centred and Hann-windowed.
//! Frame j filters the white noise of its own segment. The centred filter reaches N/2 samples
//! before the segment, so each frame's noise is made one segment ahead, when the synth gets the
//! frame as its interpolation target: the linear-phase delay is trimmed without any latency,
//! and unlike DDSP-VST no filter tail is dropped.

use super::frames::Frame;
use crate::grid::Segment;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Seedable white noise: SplitMix64, uniform in [-1, 1) with 24-bit resolution, so that a
/// float32 reference can reproduce it exactly.
#[derive(Debug, Clone)]
pub struct WhiteNoise {
    state: u64,
}

impl WhiteNoise {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The raw SplitMix64 output (also what tests draw seeded block sizes from).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[inline]
    pub fn next_sample(&mut self) -> f32 {
        let z = self.next_u64();
        2.0 * ((z >> 40) as f32 * (1.0 / 16_777_216.0)) - 1.0
    }
}

/// Where each bin of the filter's spectrum falls on the band grid.
#[derive(Debug, Clone, Copy)]
struct BinTap {
    band: usize,
    frac: f32,
    /// Beyond the grid's last band: the filter is closed there.
    outside: bool,
}

pub struct FilteredNoise {
    bands: usize,
    ir_len: usize,
    fft_len: usize,
    taps: Vec<BinTap>,
    window: Vec<f32>,
    inverse_ir: Arc<dyn ComplexToReal<f32>>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    response: Vec<Complex<f32>>,
    ir: Vec<f32>,
    noise_time: Vec<f32>,
    filter_time: Vec<f32>,
    filter_spectrum: Vec<Complex<f32>>,
    noise_spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Filtered noise not yet played, indexed from the current segment's first sample.
    pending: Vec<f32>,
    /// Samples of `pending` already played in the current segment.
    played: usize,
    current_len: usize,
    white: WhiteNoise,
    seed: u64,
    invalid_frames: u64,
}

impl FilteredNoise {
    /// `bands` magnitudes at 0, spacing, 2*spacing, ... Hz; the longest segment of the host's
    /// frame grid bounds the buffers.
    pub fn new(
        bands: usize,
        spacing_hz: f32,
        sample_rate: u32,
        frame_rate: u32,
        seed: u64,
    ) -> Self {
        let bands = bands.max(2);
        let sr = sample_rate as f32;
        let ir_len = (2.0 * (sr / (2.0 * spacing_hz)).round()).max(2.0) as usize;
        let max_seg = Segment::max_len(sample_rate, frame_rate);
        let fft_len = (max_seg + ir_len).next_power_of_two();
        let last = (bands - 1) as f32;
        let taps = (0..=ir_len / 2)
            .map(|i| {
                let pos = i as f32 * sr / ir_len as f32 / spacing_hz;
                let band = (pos.floor() as usize).min(bands - 1);
                BinTap {
                    band,
                    frac: pos - band as f32,
                    outside: pos > last,
                }
            })
            .collect();
        let window = (0..ir_len)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / ir_len as f32).cos())
            .collect();
        let mut planner = RealFftPlanner::<f32>::new();
        let inverse_ir = planner.plan_fft_inverse(ir_len);
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let scratch_len = inverse_ir
            .get_scratch_len()
            .max(forward.get_scratch_len())
            .max(inverse.get_scratch_len());
        Self {
            bands,
            ir_len,
            fft_len,
            taps,
            window,
            response: inverse_ir.make_input_vec(),
            ir: vec![0.0; ir_len],
            noise_time: vec![0.0; fft_len],
            filter_time: vec![0.0; fft_len],
            filter_spectrum: forward.make_output_vec(),
            noise_spectrum: forward.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            inverse_ir,
            forward,
            inverse,
            pending: vec![0.0; 2 * max_seg + ir_len + 1],
            played: 0,
            current_len: 0,
            white: WhiteNoise::new(seed),
            seed,
            invalid_frames: 0,
        }
    }

    pub fn ir_len(&self) -> usize {
        self.ir_len
    }

    pub fn invalid_frames(&self) -> u64 {
        self.invalid_frames
    }

    /// Starts from silence: `frame` governs `segment`, whose noise is made now.
    pub fn reset(&mut self, frame: &Frame, segment: Segment) {
        self.white = WhiteNoise::new(self.seed);
        self.pending.fill(0.0);
        self.played = 0;
        // No segment is under way until the first push begins this one.
        self.current_len = 0;
        self.add_segment(frame, segment.len(), 0);
    }

    /// Begins `segment` (the synth's segment towards `frame`): what the last segment left
    /// moves to the front, and `frame`'s own noise, for the segment after this one, is made.
    pub fn push(&mut self, frame: &Frame, segment: Segment) {
        if self.current_len > 0 {
            let done = self.current_len;
            self.pending.copy_within(done.., 0);
            let tail = self.pending.len() - done;
            self.pending[tail..].fill(0.0);
        }
        self.current_len = segment.len();
        self.played = 0;
        self.add_segment(frame, segment.next().len(), segment.len());
    }

    /// Filters `len` new noise samples with `frame`'s filter into `pending`, centred so that
    /// they land from `start` on (the filter's first N/2 taps reach before it).
    fn add_segment(&mut self, frame: &Frame, len: usize, start: usize) {
        let valid = frame.noise.iter().all(|m| m.is_finite() && *m >= 0.0);
        if !valid {
            self.invalid_frames += 1;
        }
        // Noise is drawn whatever the frame, so one bad frame does not shift the stream.
        self.noise_time.fill(0.0);
        for t in self.noise_time[..len].iter_mut() {
            *t = self.white.next_sample();
        }
        if !valid || frame.noise.iter().all(|&m| m == 0.0) {
            return;
        }
        let bands = self.bands;
        for (r, tap) in self.response.iter_mut().zip(&self.taps) {
            let m = |b: usize| frame.noise.get(b).copied().unwrap_or(0.0);
            let v = if tap.outside {
                0.0
            } else if tap.band + 1 >= bands {
                m(tap.band)
            } else {
                m(tap.band) + tap.frac * (m(tap.band + 1) - m(tap.band))
            };
            *r = Complex::new(v, 0.0);
        }
        let _ = self.inverse_ir.process_with_scratch(
            &mut self.response,
            &mut self.ir,
            &mut self.scratch,
        );
        // Centre (rotate by N/2) and window; realfft's inverses are unnormalised, numpy's irfft
        // divides by N, and the convolution's inverse below needs 1/fft_len.
        let (n, half) = (self.ir_len, self.ir_len / 2);
        let scale = 1.0 / (n as f32 * self.fft_len as f32);
        self.filter_time.fill(0.0);
        for i in 0..n {
            self.filter_time[i] = self.ir[(i + half) % n] * self.window[i] * scale;
        }
        let _ = self.forward.process_with_scratch(
            &mut self.filter_time,
            &mut self.filter_spectrum,
            &mut self.scratch,
        );
        let _ = self.forward.process_with_scratch(
            &mut self.noise_time,
            &mut self.noise_spectrum,
            &mut self.scratch,
        );
        for (x, h) in self.noise_spectrum.iter_mut().zip(&self.filter_spectrum) {
            *x *= h;
        }
        let _ = self.inverse.process_with_scratch(
            &mut self.noise_spectrum,
            &mut self.noise_time,
            &mut self.scratch,
        );
        // Output i of the convolution belongs at start - N/2 + i; before 0 is the past.
        let skip = half.saturating_sub(start);
        let at = (start + skip) - half;
        let count = (len + n - 1 - skip).min(self.pending.len() - at);
        for (p, y) in self.pending[at..at + count]
            .iter_mut()
            .zip(&self.noise_time[skip..skip + count])
        {
            *p += y;
        }
    }

    /// Skips to sample `offset` of the current segment (a voice that starts mid-segment).
    pub fn skip_to(&mut self, offset: usize) {
        self.played = offset.min(self.current_len);
    }

    /// Writes the next `out.len()` samples of the current segment.
    pub fn render(&mut self, out: &mut [f32]) {
        let from = self.played;
        let n = out.len().min(self.current_len.saturating_sub(from));
        out[..n].copy_from_slice(&self.pending[from..from + n]);
        out[n..].fill(0.0);
        self.played += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_is_uniform_in_the_open_range() {
        let mut w = WhiteNoise::new(7);
        let xs: Vec<f32> = (0..100_000).map(|_| w.next_sample()).collect();
        assert!(xs.iter().all(|&x| (-1.0..1.0).contains(&x)));
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0 / 3.0).abs() < 0.01,
            "{mean} {var}"
        );
        assert_eq!(WhiteNoise::new(7).next_sample(), xs[0]);
    }

    fn render_segments(
        noise: &mut FilteredNoise,
        magnitudes: &[f32],
        sr: u32,
        fr: u32,
        segments: usize,
    ) -> Vec<f32> {
        let frame = Frame {
            f0_hz: 0.0,
            amplitude: 0.0,
            harmonics: &[],
            noise: magnitudes,
        };
        let mut seg = Segment::first(sr, fr);
        noise.reset(&frame, seg);
        let mut out = Vec::new();
        for _ in 0..segments {
            noise.push(&frame, seg);
            let mut buf = vec![0.0f32; seg.len()];
            noise.render(&mut buf);
            out.extend(buf);
            seg = seg.next();
        }
        out
    }

    #[test]
    fn flat_magnitudes_pass_white_noise_at_that_gain() {
        // A flat response m is the filter m * (centred, windowed unit impulse): the window's
        // centre is 1, so the output is m times the (delayed-then-trimmed) white noise.
        for (sr, fr) in [(48_000, 250), (44_100, 250), (96_000, 100)] {
            let mut noise = FilteredNoise::new(65, 375.0, sr, fr, 3);
            let bands = vec![0.25f32; 65];
            let out = render_segments(&mut noise, &bands, sr, fr, 50);
            let mut white = WhiteNoise::new(3);
            let want: Vec<f32> = (0..out.len()).map(|_| 0.25 * white.next_sample()).collect();
            // Frequencies above the grid's last band (24 kHz) are closed at 96 kHz.
            if sr <= 48_000 {
                let err = out
                    .iter()
                    .zip(&want)
                    .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(err < 1e-3, "{sr}: {err}");
            } else {
                let rms = (out.iter().map(|x| x * x).sum::<f32>() / out.len() as f32).sqrt();
                assert!(rms > 0.05 && rms < 0.25 / 3f32.sqrt(), "{rms}");
            }
        }
    }

    #[test]
    fn silent_bands_give_silence_and_invalid_ones_are_counted() {
        let mut noise = FilteredNoise::new(65, 375.0, 48_000, 250, 1);
        assert!(render_segments(&mut noise, &[0.0; 65], 48_000, 250, 5)
            .iter()
            .all(|&x| x == 0.0));
        let mut bad = [0.1f32; 65];
        bad[3] = f32::NAN;
        let out = render_segments(&mut noise, &bad, 48_000, 250, 5);
        assert!(out.iter().all(|&x| x == 0.0));
        assert_eq!(noise.invalid_frames(), 6);
    }
}
