//! Zero-latency convolution reverb for the audio thread: a mono wet/dry mixer around an
//! impulse response, either a learned one (from a model) or the built-in room.
//!
//! The convolution is uniformly partitioned (UPOLS): the IR is cut into partitions of
//! [`PARTITION`] samples. The first partition is convolved directly in the time domain, so the
//! wet signal starts on the very sample the dry one does; every later partition is at least one
//! block behind the input, which leaves exactly one block of time to do it in the frequency
//! domain (a delay line of input spectra multiplied by the partitions' spectra, overlap-save).
//! Everything is allocated in the constructor; `process` only does arithmetic.
//!
//! Size: an IR whose own decay (RT60) is known can be made to die away faster, down to any
//! shorter RT60, by multiplying partition k by exp(-b t_k) (one gain per 2.7 ms partition),
//! with a gain on the whole that keeps its energy, so the size does not change the level.
//! Partitions past the point where the shortened IR is 80 dB down are skipped, so a small room
//! costs less than a hall. The built-in room is made as a hall (`ROOM_MAX_RT60_SECONDS`) and
//! played at the size asked for.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::smoother::LinearSmoother;

/// Partition (and FFT hop) length in samples. 128 keeps the direct head cheap and the
/// per-block FFT work small enough not to spike the audio thread.
pub const PARTITION: usize = 128;

const FFT_LEN: usize = 2 * PARTITION;
const BINS: usize = PARTITION + 1;
const MIX_RAMP_SECONDS: f32 = 0.02;
/// No real audio comes near this; clamping keeps an absurd finite input from overflowing the
/// FFT sums to Inf, which would then sit in the spectrum delay line for the whole IR length.
const MAX_INPUT: f32 = 1.0e6;

pub struct Reverb {
    /// First partition, reversed so that the direct convolution is a plain dot product over
    /// contiguous input history.
    head_reversed: Vec<f32>,
    /// Spectra of the later partitions (scaled by 1 / FFT_LEN, since realfft does not
    /// normalise), partition k at `(k - 1) * BINS`.
    tail_spectra: Vec<Complex<f32>>,
    tail_partitions: usize,
    /// Spectra of the last `tail_partitions` input frames, a ring; `newest` is the latest slot.
    input_spectra: Vec<Complex<f32>>,
    newest: usize,
    /// Previous input block followed by the block being filled: both the history the direct
    /// head reads and, once full, the overlap-save frame the FFT takes.
    history: Vec<f32>,
    pos: usize,
    /// The later partitions' output for the block being filled, computed when the previous
    /// block completed.
    tail_out: Vec<f32>,
    ir_len: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    ifft: Arc<dyn ComplexToReal<f32>>,
    fft_time: Vec<f32>,
    fft_freq: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    mix: LinearSmoother,
    mix_target: f32,
    sample_rate: f32,
    /// The IR's own RT60, when known: what `set_decay` shortens from.
    ir_rt60: Option<f32>,
    /// Per tail partition, the decay's gain; the head's; partitions in use.
    gains: Vec<f32>,
    head_gain: f32,
    active: usize,
    /// No sample processed since construction or reset: a mix set now applies at once, since
    /// there is no sound to click.
    fresh: bool,
}

impl Reverb {
    /// Allocates for this IR. `ir` may be any length >= 1 (a learned IR from a model, or the
    /// built-in room); an empty IR acts as a single zero tap and non-finite taps as zero. Starts settled at
    /// mix 1 (wet only); a [`set_mix`](Self::set_mix) before the first sample applies at once.
    pub fn new(ir: &[f32], sample_rate: f32) -> Self {
        Self::with_mix(ir, sample_rate, 1.0)
    }

    /// As [`new`](Self::new), starting settled at `mix` (1 if `mix` is not finite).
    pub fn with_mix(ir: &[f32], sample_rate: f32, mix: f32) -> Self {
        let mut ir: Vec<f32> = ir
            .iter()
            .map(|&h| if h.is_finite() { h } else { 0.0 })
            .collect();
        if ir.is_empty() {
            ir.push(0.0);
        }
        let ir_len = ir.len();

        let head_len = ir.len().min(PARTITION);
        let head_reversed: Vec<f32> = ir[..head_len].iter().rev().copied().collect();

        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_LEN);
        let ifft = planner.plan_fft_inverse(FFT_LEN);
        let mut scratch = fft.make_scratch_vec();
        if ifft.get_scratch_len() > scratch.len() {
            scratch = ifft.make_scratch_vec();
        }
        let mut fft_time = fft.make_input_vec();
        let mut fft_freq = fft.make_output_vec();

        let tail = ir.get(PARTITION..).unwrap_or(&[]);
        let tail_partitions = tail.len().div_ceil(PARTITION);
        let mut tail_spectra = Vec::with_capacity(tail_partitions * BINS);
        let scale = 1.0 / FFT_LEN as f32;
        for part in tail.chunks(PARTITION) {
            // Zero-padded to twice its length, so the circular convolution's second half is
            // free of wrap-around (overlap-save).
            fft_time.fill(0.0);
            fft_time[..part.len()].copy_from_slice(part);
            let done = fft.process_with_scratch(&mut fft_time, &mut fft_freq, &mut scratch);
            debug_assert!(done.is_ok());
            tail_spectra.extend(fft_freq.iter().map(|c| c * scale));
        }

        let mix = if mix.is_finite() {
            mix.clamp(0.0, 1.0)
        } else {
            1.0
        };
        Self {
            head_reversed,
            tail_spectra,
            tail_partitions,
            input_spectra: vec![Complex::new(0.0, 0.0); tail_partitions * BINS],
            newest: 0,
            history: vec![0.0; 2 * PARTITION],
            pos: 0,
            tail_out: vec![0.0; PARTITION],
            ir_len,
            fft,
            ifft,
            fft_time,
            fft_freq,
            scratch,
            mix: LinearSmoother::new(mix, MIX_RAMP_SECONDS, sample_rate),
            mix_target: mix,
            sample_rate,
            ir_rt60: None,
            gains: vec![1.0; tail_partitions],
            head_gain: 1.0,
            active: tail_partitions,
            fresh: true,
        }
    }

    /// The built-in room, made as a hall and played with the decay `rt60` (seconds, at most
    /// `ROOM_MAX_RT60_SECONDS`), starting settled at `mix`.
    pub fn room(sample_rate: f32, rt60: f32, mix: f32) -> Self {
        let ir = room_ir(
            sample_rate,
            ROOM_MAX_RT60_SECONDS,
            ROOM_MAX_RT60_SECONDS * ROOM_LENGTH_PER_RT60,
        );
        let mut reverb = Self::with_mix(&ir, sample_rate, mix);
        reverb.ir_rt60 = Some(ROOM_MAX_RT60_SECONDS as f32);
        reverb.set_decay(rt60);
        reverb
    }

    /// Makes the IR die away with this RT60 (seconds), keeping its energy; only shorter than
    /// the IR's own, and only for an IR whose own RT60 is known (`room`). Cheap (a gain per
    /// partition): fine to call every block while a knob moves.
    pub fn set_decay(&mut self, rt60: f32) {
        let Some(own) = self.ir_rt60 else {
            return;
        };
        if !rt60.is_finite() || rt60 <= 0.0 {
            return;
        }
        let rt60 = rt60.clamp(0.05, own);
        // -60 dB of amplitude over an RT60 is ln(1000) nepers.
        let extra = 1000f32.ln() * (1.0 / rt60 - 1.0 / own) / self.sample_rate;
        // Exponentially decaying noise has an energy proportional to its RT60.
        let level = (own / rt60).sqrt();
        self.head_gain = level;
        let cut = (rt60 * self.sample_rate * 80.0 / 60.0) as usize;
        self.active = self.gains.len().min(cut.div_ceil(PARTITION));
        for (k, g) in self.gains.iter_mut().enumerate() {
            // Partition k holds IR samples (k + 1) P .. (k + 2) P: its middle.
            let t = (k as f32 + 1.5) * PARTITION as f32;
            *g = level * (-extra * t).exp();
        }
    }

    /// Wet/dry mix in 0..1 (clamped), ramped over about 20 ms; non-finite values are ignored.
    pub fn set_mix(&mut self, mix: f32) {
        if !mix.is_finite() {
            return;
        }
        let mix = mix.clamp(0.0, 1.0);
        self.mix_target = mix;
        if self.fresh {
            self.mix.reset(mix);
        } else {
            self.mix.set_target(mix);
        }
    }

    /// Processes a mono signal in place (dry in, dry/wet mix out). Any length; the result does
    /// not depend on how the signal is cut into blocks.
    pub fn process(&mut self, buf: &mut [f32]) {
        if buf.is_empty() {
            return;
        }
        self.fresh = false;
        let head_len = self.head_reversed.len();
        for sample in buf.iter_mut() {
            let dry = if sample.is_finite() {
                sample.clamp(-MAX_INPUT, MAX_INPUT)
            } else {
                0.0
            };
            let now = PARTITION + self.pos;
            self.history[now] = dry;
            let recent = &self.history[now + 1 - head_len..=now];
            let wet = self.head_gain * dot(&self.head_reversed, recent) + self.tail_out[self.pos];

            let mix = self.mix.next();
            let out = (1.0 - mix) * dry + mix * wet;
            *sample = if out.is_finite() { out } else { 0.0 };

            self.pos += 1;
            if self.pos == PARTITION {
                self.finish_block();
            }
        }
    }

    /// Clears the delay lines (silence in, silence out), keeps the IR; the mix settles at its
    /// target.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.input_spectra.fill(Complex::new(0.0, 0.0));
        self.tail_out.fill(0.0);
        self.newest = 0;
        self.pos = 0;
        self.mix.reset(self.mix_target);
        self.fresh = true;
    }

    /// Length of the impulse response in samples (the wet tail lasts this long).
    pub fn ir_len(&self) -> usize {
        self.ir_len
    }

    /// A full input block is in: transform its frame, and compute the later partitions' output
    /// for the next block (which only needs this and earlier frames).
    fn finish_block(&mut self) {
        self.pos = 0;
        let parts = self.tail_partitions;
        if parts > 0 {
            self.newest = (self.newest + 1) % parts;
            self.fft_time.copy_from_slice(&self.history);
            let slot = self.newest * BINS;
            // Buffer lengths are fixed at construction, the only way these can fail.
            let done = self.fft.process_with_scratch(
                &mut self.fft_time,
                &mut self.input_spectra[slot..slot + BINS],
                &mut self.scratch,
            );
            debug_assert!(done.is_ok());

            // Partition k (1-based) meets the frame k - 1 blocks older than the newest.
            self.fft_freq.fill(Complex::new(0.0, 0.0));
            let mut frame = self.newest;
            for k in 0..self.active {
                let x = &self.input_spectra[frame * BINS..(frame + 1) * BINS];
                let h = &self.tail_spectra[k * BINS..(k + 1) * BINS];
                let g = self.gains[k];
                for ((acc, &x), &h) in self.fft_freq.iter_mut().zip(x).zip(h) {
                    *acc += x * h * g;
                }
                frame = if frame == 0 { parts - 1 } else { frame - 1 };
            }
            // Real signals have real DC and Nyquist bins; rounding must not make the inverse
            // report an error.
            self.fft_freq[0].im = 0.0;
            self.fft_freq[BINS - 1].im = 0.0;
            let done = self.ifft.process_with_scratch(
                &mut self.fft_freq,
                &mut self.fft_time,
                &mut self.scratch,
            );
            debug_assert!(done.is_ok());
            self.tail_out.copy_from_slice(&self.fft_time[PARTITION..]);
        }
        self.history.copy_within(PARTITION.., 0);
    }
}

/// Dot product with several accumulators, so the compiler can vectorise it (a single running
/// sum is a serial dependency it may not reorder).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut acc = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in a_chunks.zip(b_chunks) {
        for i in 0..LANES {
            acc[i] += ca[i] * cb[i];
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Tiny seeded PRNG (SplitMix64), so the built-in room is the same on every run and machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn next_bipolar(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

const ROOM_SEED: u64 = 0x4C75_7468_6965_7221;
const ROOM_RT60_SECONDS: f64 = 0.6;
const ROOM_LENGTH_SECONDS: f64 = 0.8;
/// The built-in room played at a size: made with this RT60 and shortened to the one asked for.
pub const ROOM_MAX_RT60_SECONDS: f32 = 3.0;
/// It is made this many RT60s long: 80 dB down at its end.
const ROOM_LENGTH_PER_RT60: f32 = 80.0 / 60.0;
const ROOM_PREDELAY_SECONDS: f64 = 0.003;
/// Cut-off of the one-pole smoothing: takes the fizz off white noise without dulling the room.
const ROOM_LOWPASS_HZ: f64 = 6000.0;
/// Sum of squares of the IR: the reverb's power gain on white noise, about -6 dB.
pub const ROOM_ENERGY: f32 = 0.25;

/// A plausible small room, deterministic for a given sample rate: exponentially decaying,
/// gently low-passed noise with an RT60 of 0.6 s, 0.8 s long, silent for its first 3 ms so the
/// reverb sits behind the dry signal, with a sum of squares of [`ROOM_ENERGY`].
pub fn builtin_room_ir(sample_rate: f32) -> Vec<f32> {
    room_ir(
        sample_rate,
        ROOM_RT60_SECONDS as f32,
        ROOM_LENGTH_SECONDS as f32,
    )
}

/// The built-in room's recipe with another RT60 and length (seconds).
pub fn room_ir(sample_rate: f32, rt60: f32, length: f32) -> Vec<f32> {
    let rate = if sample_rate.is_finite() && sample_rate > 0.0 {
        sample_rate as f64
    } else {
        48_000.0
    };
    let (rt60, length) = (rt60 as f64, length as f64);
    let len = ((length * rate).round() as usize).max(1);
    let predelay = (ROOM_PREDELAY_SECONDS * rate).ceil() as usize;
    // -60 dB of amplitude over RT60: ln(1000) nepers.
    let decay_per_sample = -(1000.0f64.ln()) / (rt60 * rate);
    let smoothing = 1.0 - (-std::f64::consts::TAU * ROOM_LOWPASS_HZ / rate).exp();

    let mut rng = SplitMix64(ROOM_SEED);
    let mut lowpassed = 0.0f64;
    let ir: Vec<f64> = (0..len)
        .map(|n| {
            // The filter runs through the pre-delay too, so it is warmed up at the onset.
            lowpassed += smoothing * (rng.next_bipolar() - lowpassed);
            if n < predelay {
                0.0
            } else {
                lowpassed * (decay_per_sample * n as f64).exp()
            }
        })
        .collect();

    let energy: f64 = ir.iter().map(|h| h * h).sum();
    let gain = if energy > 0.0 {
        (ROOM_ENERGY as f64 / energy).sqrt()
    } else {
        0.0
    };
    ir.iter().map(|&h| (h * gain) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64(seed);
        (0..len).map(|_| rng.next_bipolar() as f32).collect()
    }

    /// Random block lengths from 1 to 3000, seeded.
    fn random_blocks(seed: u64) -> impl FnMut() -> usize {
        let mut rng = SplitMix64(seed);
        move || 1 + (rng.next_u64() % 3000) as usize
    }

    fn render(reverb: &mut Reverb, input: &[f32], mut block: impl FnMut() -> usize) -> Vec<f32> {
        let mut out = input.to_vec();
        let mut start = 0;
        while start < out.len() {
            let end = (start + block()).min(out.len());
            reverb.process(&mut out[start..end]);
            start = end;
        }
        out
    }

    fn direct_convolution(ir: &[f32], x: &[f32]) -> Vec<f64> {
        (0..x.len())
            .map(|n| {
                (0..ir.len().min(n + 1))
                    .map(|m| ir[m] as f64 * x[n - m] as f64)
                    .sum()
            })
            .collect()
    }

    #[test]
    fn equals_direct_linear_convolution() {
        for (i, &ir_len) in [1usize, 100, 128, 129, 1000, 5000].iter().enumerate() {
            let mut ir = noise(ir_len, 10 + i as u64);
            // L1-normalised so the output stays within +-1, like the input.
            let l1: f32 = ir.iter().map(|h| h.abs()).sum();
            ir.iter_mut().for_each(|h| *h /= l1);
            let input = noise(ir_len + 3 * PARTITION + 777, 20 + i as u64);

            let mut reverb = Reverb::with_mix(&ir, RATE, 1.0);
            assert_eq!(reverb.ir_len(), ir_len);
            let out = render(&mut reverb, &input, random_blocks(30 + i as u64));
            let expected = direct_convolution(&ir, &input);
            let worst = out
                .iter()
                .zip(&expected)
                .map(|(&y, &e)| (y as f64 - e).abs())
                .fold(0.0, f64::max);
            assert!(worst <= 1e-5, "IR length {ir_len}: error {worst}");
        }
    }

    #[test]
    fn has_zero_latency() {
        let mut ir = vec![0.0f32; 300];
        ir[..4].copy_from_slice(&[0.5, 0.25, 0.125, 0.0625]);
        // Taps in the second and third partitions check that the FFT part is on time too.
        ir[PARTITION] = 0.1;
        ir[299] = -0.2;
        let mut impulse = vec![0.0f32; 400];
        impulse[0] = 1.0;

        let wet = render(&mut Reverb::with_mix(&ir, RATE, 1.0), &impulse, || 1);
        for (n, (&y, &h)) in wet
            .iter()
            .zip(ir.iter().chain([0.0; 100].iter()))
            .enumerate()
        {
            assert!((y - h).abs() < 1e-6, "sample {n}: {y} != {h}");
        }

        let mut half = Reverb::new(&ir, RATE);
        half.set_mix(0.5);
        let mixed = render(&mut half, &impulse, || 7);
        assert!((mixed[0] - (0.5 + 0.5 * 0.5)).abs() < 1e-6, "{}", mixed[0]);
        assert!((mixed[1] - 0.5 * 0.25).abs() < 1e-6, "{}", mixed[1]);
    }

    #[test]
    fn output_does_not_depend_on_block_sizes() {
        let ir = builtin_room_ir(RATE);
        let input = noise(RATE as usize + 5000, 7);
        let run = |block: &mut dyn FnMut() -> usize| {
            render(&mut Reverb::with_mix(&ir, RATE, 0.7), &input, block)
        };
        let reference = run(&mut || 1);
        let mut random = random_blocks(99);
        for other in [run(&mut || 64), run(&mut || 4096), run(&mut random)] {
            let worst = reference
                .iter()
                .zip(&other)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst <= 1e-6, "blocks differ by {worst}");
        }
    }

    #[test]
    fn mix_zero_is_exactly_dry() {
        let ir = builtin_room_ir(RATE);
        let input = noise(20_000, 3);
        let out = render(
            &mut Reverb::with_mix(&ir, RATE, 0.0),
            &input,
            random_blocks(4),
        );
        assert_eq!(out, input);
    }

    #[test]
    fn mix_change_ramps_without_a_jump() {
        let ir = builtin_room_ir(RATE);
        let sine: Vec<f32> = (0..24_000)
            .map(|n| 0.5 * (std::f32::consts::TAU * 100.0 * n as f32 / RATE).sin())
            .collect();
        let wet = render(&mut Reverb::with_mix(&ir, RATE, 1.0), &sine, || 256);

        let switch = 10_000;
        let mut reverb = Reverb::with_mix(&ir, RATE, 0.0);
        let mut out = sine.clone();
        reverb.process(&mut out[..switch]);
        reverb.set_mix(1.0);
        reverb.process(&mut out[switch..]);

        let max_step = |s: &[f32]| {
            s.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let allowed = max_step(&sine).max(max_step(&wet)) + 1e-3;
        let step = max_step(&out);
        assert!(step <= allowed, "jump {step} > {allowed}");

        // Half-way through the 20 ms ramp it is neither dry nor wet; after it, wet exactly.
        let mid = switch + (0.01 * RATE) as usize;
        let expected_mid = 0.5 * sine[mid] + 0.5 * wet[mid];
        assert!((out[mid] - expected_mid).abs() < 0.01, "{}", out[mid]);
        let settled = switch + (0.02 * RATE) as usize;
        assert_eq!(&out[settled..], &wet[settled..]);
    }

    #[test]
    fn non_finite_input_is_silence() {
        let ir = builtin_room_ir(RATE);
        let clean = noise(RATE as usize + 10_000, 5);
        let mut dirty = clean.clone();
        let mut zeroed = clean.clone();
        for (i, bad) in [
            (100, f32::NAN),
            (200, f32::INFINITY),
            (5000, f32::NEG_INFINITY),
        ] {
            dirty[i] = bad;
            zeroed[i] = 0.0;
        }
        let out = render(
            &mut Reverb::with_mix(&ir, RATE, 0.5),
            &dirty,
            random_blocks(6),
        );
        let reference = render(&mut Reverb::with_mix(&ir, RATE, 0.5), &zeroed, || 512);
        assert!(out.iter().all(|y| y.is_finite()));
        let after = 5000 + ir.len();
        assert_eq!(&out[after..], &reference[after..]);
        assert!(out
            .iter()
            .zip(&reference)
            .all(|(a, b)| (a - b).abs() <= 1e-6));
    }

    #[test]
    fn reset_clears_the_tail() {
        let ir = builtin_room_ir(RATE);
        let mut reverb = Reverb::with_mix(&ir, RATE, 1.0);
        let mut loud = noise(3000, 8);
        reverb.process(&mut loud);
        reverb.reset();
        let mut silence = vec![0.0f32; ir.len() + 1000];
        reverb.process(&mut silence);
        assert!(silence.iter().all(|&y| y == 0.0));
    }

    /// RT60 from an impulse response by Schroeder's backward integration, fitted from -5 to
    /// -35 dB of its energy decay curve.
    fn rt60_of(ir: &[f32], rate: f32) -> f32 {
        let mut tail = 0.0f64;
        let mut edc: Vec<f64> = ir
            .iter()
            .rev()
            .map(|&h| {
                tail += (h as f64).powi(2);
                tail
            })
            .collect();
        edc.reverse();
        let db: Vec<f64> = edc.iter().map(|e| 10.0 * (e / edc[0]).log10()).collect();
        let at = |level: f64| db.iter().position(|&d| d <= level).unwrap() as f32 / rate;
        60.0 / (30.0 / (at(-35.0) - at(-5.0)))
    }

    #[test]
    fn the_rooms_size_sets_its_rt60_and_keeps_its_energy() {
        let mut impulse = vec![0.0f32; (RATE * 5.0) as usize];
        impulse[0] = 1.0;
        for rt60 in [0.3f32, 0.6, 1.5, 3.0] {
            let mut reverb = Reverb::room(RATE, rt60, 1.0);
            let mut ir = impulse.clone();
            reverb.process(&mut ir);
            let measured = rt60_of(&ir, RATE);
            assert!(
                (measured / rt60 - 1.0).abs() < 0.1,
                "{rt60} s: measured {measured} s"
            );
            let energy: f32 = ir.iter().map(|h| h * h).sum();
            let db = 10.0 * (energy / ROOM_ENERGY).log10();
            assert!(
                db.abs() < 1.0,
                "{rt60} s: energy {db:.2} dB from the room's"
            );
            // Nothing past 80 dB down: the skipped partitions.
            let end = (rt60 * RATE * 80.0 / 60.0) as usize + 2 * PARTITION;
            assert!(
                ir[end.min(ir.len())..].iter().all(|h| *h == 0.0),
                "{rt60} s"
            );
        }
    }

    #[test]
    fn builtin_room_ir_is_a_plausible_room() {
        for rate in [44_100.0f32, 48_000.0, 96_000.0] {
            let ir = builtin_room_ir(rate);
            assert_eq!(ir, builtin_room_ir(rate), "not deterministic");
            assert_eq!(ir.len(), (0.8 * rate).round() as usize);

            let predelay = (0.003 * rate).ceil() as usize;
            assert!(ir[..predelay].iter().all(|&h| h == 0.0));
            assert!(ir[predelay] != 0.0);

            let energy: f32 = ir.iter().map(|h| h * h).sum();
            assert!((energy - 0.25).abs() <= 0.0025, "energy {energy}");

            let window = |start: f32| -> f32 {
                let a = (start * rate) as usize;
                let b = ((start + 0.05) * rate) as usize;
                ir[a..b].iter().map(|h| h * h).sum()
            };
            let drop_db = 10.0 * (window(0.005) / window(0.605)).log10();
            assert!((54.0..66.0).contains(&drop_db), "decay {drop_db} dB");
        }
    }

    /// Rough cost: `cargo test -p luthier --release --lib dsp::reverb -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let ir = builtin_room_ir(RATE);
        let mut reverb = Reverb::with_mix(&ir, RATE, 0.3);
        let mut buf = noise(10 * RATE as usize, 1);
        let start = std::time::Instant::now();
        for block in buf.chunks_mut(256) {
            reverb.process(block);
        }
        let per_second = start.elapsed().as_secs_f64() * 1e6 / 10.0;
        println!(
            "reverb: {per_second:.0} us per second of 48 kHz audio ({} taps)",
            ir.len()
        );
        assert!(buf.iter().all(|y| y.is_finite()));
    }
}
