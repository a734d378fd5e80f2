//! Measurements on rendered audio, from first principles: pitch from the spectrum's lowest
//! strong peak, levels, onsets and sample-to-sample steps.

use realfft::RealFftPlanner;

/// Frequency of the lowest spectral peak within 20 dB of the strongest one: the fundamental of
/// a harmonic tone. Hann window, 8x zero padding and a parabola through the log magnitudes of
/// the peak bin and its neighbours; for a steady tone of a few hundred milliseconds the error is
/// far below a cent.
pub fn fundamental_hz(signal: &[f32], sample_rate: f64) -> f64 {
    let n = signal.len();
    assert!(n >= 64, "need a longer signal to measure pitch");
    let size = n.next_power_of_two() * 8;
    let mut buf = vec![0.0f64; size];
    for (i, (b, &x)) in buf.iter_mut().zip(signal).enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
        *b = w * x as f64;
    }
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(size);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut buf, &mut spectrum).unwrap();
    let mag: Vec<f64> = spectrum.iter().map(|c| c.norm()).collect();
    let bin_hz = sample_rate / size as f64;
    let lo = (20.0 / bin_hz).ceil() as usize;
    let max = mag[lo..].iter().cloned().fold(0.0, f64::max);
    assert!(max > 0.0, "silent signal has no pitch");
    let i = (lo.max(1)..mag.len() - 1)
        .find(|&i| mag[i] >= 0.1 * max && mag[i] >= mag[i - 1] && mag[i] >= mag[i + 1])
        .expect("a peak exists");
    let (a, b, c) = (mag[i - 1].ln(), mag[i].ln(), mag[i + 1].ln());
    let delta = 0.5 * (a - c) / (a - 2.0 * b + c);
    (i as f64 + delta) * bin_hz
}

pub fn midi_key_hz(key: u8) -> f64 {
    440.0 * 2f64.powf((key as f64 - 69.0) / 12.0)
}

pub fn cents(f: f64, reference: f64) -> f64 {
    1200.0 * (f / reference).log2()
}

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, &v| m.max(v.abs()))
}

/// Index of the first sample whose magnitude exceeds `threshold`.
pub fn first_above(x: &[f32], threshold: f32) -> Option<usize> {
    x.iter().position(|v| v.abs() > threshold)
}

/// Largest jump between neighbouring samples: a click shows as a step larger than the signal's
/// own steepest slope.
pub fn max_step(x: &[f32]) -> f32 {
    x.windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()))
}

/// A sine of `hz` at amplitude `amp`, `len` samples long.
pub fn sine(hz: f64, amp: f32, sample_rate: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| amp * (std::f64::consts::TAU * hz * i as f64 / sample_rate).sin() as f32)
        .collect()
}

/// Block sizes from a seeded generator (xorshift), 1..=max, so a failure can be replayed.
pub fn random_block_sizes(seed: u64, count: usize, max: usize) -> Vec<usize> {
    let mut state = seed.max(1);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            1 + (state % max as u64) as usize
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fundamental_of_a_known_tone_within_a_tenth_of_a_cent() {
        for (hz, sr) in [(261.63, 44_100.0), (1760.0, 96_000.0), (55.0, 48_000.0)] {
            let x: Vec<f32> = (0..20_000)
                .map(|i| {
                    let t = i as f64 / sr;
                    ((1..6)
                        .map(|k| (std::f64::consts::TAU * k as f64 * hz * t).sin() / k as f64)
                        .sum::<f64>()) as f32
                })
                .collect();
            let got = fundamental_hz(&x, sr);
            assert!(cents(got, hz).abs() < 0.1, "{hz} Hz at {sr}: got {got}");
        }
    }

    #[test]
    fn missing_fundamental_is_not_invented_but_strong_low_partial_wins() {
        // Partials 2f and 3f only: the lowest strong peak is 2f.
        let sr = 48_000.0;
        let x: Vec<f32> = (0..16_000)
            .map(|i| {
                let t = i as f64 / sr;
                ((std::f64::consts::TAU * 400.0 * t).sin()
                    + (std::f64::consts::TAU * 600.0 * t).sin()) as f32
            })
            .collect();
        assert!(cents(fundamental_hz(&x, sr), 400.0).abs() < 0.1);
    }

    #[test]
    fn block_sizes_are_seeded_and_in_range() {
        let a = random_block_sizes(7, 100, 64);
        assert_eq!(a, random_block_sizes(7, 100, 64));
        assert!(a.iter().all(|&n| (1..=64).contains(&n)));
        assert!(a.iter().any(|&n| n < 8) && a.iter().any(|&n| n > 56));
    }
}

/// RMS of the millisecond of `x` starting at `at`.
pub fn rms_ms(x: &[f32], at: usize, sample_rate: f64) -> f64 {
    rms(&x[at..at + (sample_rate / 1000.0) as usize])
}

/// Seconds from `onset` until the 1 ms RMS of `x` first reaches half of `settled` (-6 dB): where
/// a listener hears the output start.
pub fn half_level_delay(x: &[f32], onset: usize, sample_rate: f64, settled: f64) -> Option<f64> {
    let ms = (sample_rate / 1000.0) as usize;
    (onset..x.len() - ms)
        .find(|&at| rms_ms(x, at, sample_rate) >= 0.5 * settled)
        .map(|at| (at - onset) as f64 / sample_rate)
}
