//! Measurements of a performance on rendered audio, for the instrument's expression tests:
//! level and pitch tracks on the 4 ms frame grid, MIDI-DDSP's vibrato measure (Wu et al. 2022,
//! `interpretable_conditioning.py`: the rFFT peak of the windowed, de-meaned pitch deviation), the
//! harmonic centroid (MIDI-DDSP's brightness), and pitch and level at a moment.
//!
//! They read only the audio, with first-principles methods independent of the plugin's own
//! analysis: RMS levels, FFT peaks with parabolic interpolation, DFTs at known harmonics.

use realfft::RealFftPlanner;

/// MIDI-DDSP's frame: 4 ms.
pub const FRAME_SECONDS: f64 = 0.004;

fn hann(i: usize, n: usize) -> f64 {
    0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos()
}

/// The frequency of the strongest spectral peak within `span` semitones of `expected`: Hann
/// window, 8x zero padding, a parabola through the log magnitudes around the peak bin.
pub fn peak_near_hz(signal: &[f32], sample_rate: f64, expected: f64, span: f64) -> f64 {
    let n = signal.len();
    let size = (n.next_power_of_two() * 8).max(1024);
    let mut buf = vec![0.0f64; size];
    for (i, (b, &x)) in buf.iter_mut().zip(signal).enumerate() {
        *b = hann(i, n) * x as f64;
    }
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(size);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut buf, &mut spectrum).unwrap();
    let bin_hz = sample_rate / size as f64;
    let ratio = 2f64.powf(span / 12.0);
    let lo = ((expected / ratio / bin_hz).floor() as usize).max(1);
    let hi = ((expected * ratio / bin_hz).ceil() as usize).min(spectrum.len() - 2);
    let mag: Vec<f64> = spectrum.iter().map(|c| c.norm().max(1e-30)).collect();
    let i = (lo..=hi)
        .max_by(|&a, &b| mag[a].total_cmp(&mag[b]))
        .expect("a range of bins");
    let (a, b, c) = (mag[i - 1].ln(), mag[i].ln(), mag[i + 1].ln());
    let delta = 0.5 * (a - c) / (a - 2.0 * b + c);
    (i as f64 + delta.clamp(-1.0, 1.0)) * bin_hz
}

/// RMS level in dB of the 20 ms around each 4 ms frame boundary of `x` (frame j at sample
/// j * 4 ms); -200 dB for silence.
pub fn level_db_frames(x: &[f32], sample_rate: f64) -> Vec<f64> {
    let hop = FRAME_SECONDS * sample_rate;
    let half = (0.01 * sample_rate) as usize;
    let frames = (x.len() as f64 / hop) as usize;
    (0..frames)
        .map(|j| {
            let centre = (j as f64 * hop) as usize;
            let (from, to) = (centre.saturating_sub(half), (centre + half).min(x.len()));
            let power = x[from..to]
                .iter()
                .map(|&v| v as f64 * v as f64)
                .sum::<f64>()
                / (to - from).max(1) as f64;
            if power > 0.0 {
                10.0 * power.log10()
            } else {
                -200.0
            }
        })
        .collect()
}

/// The pitch, in semitones above `nominal_hz`, on 4 ms frames from sample `from` to `to`: the
/// fundamental's peak (within 3 semitones of the nominal) in a 40 ms window around each frame.
/// The window smooths a vibrato a little; compare with a reference measured the same way.
pub fn pitch_track(
    x: &[f32],
    sample_rate: f64,
    nominal_hz: f64,
    from: usize,
    to: usize,
) -> Vec<f64> {
    let hop = FRAME_SECONDS * sample_rate;
    let half = (0.02 * sample_rate) as usize;
    let mut out = Vec::new();
    let mut centre = from as f64;
    while (centre as usize) < to {
        let c = centre as usize;
        let (a, b) = (c.saturating_sub(half), (c + half).min(x.len()));
        let hz = peak_near_hz(&x[a..b], sample_rate, nominal_hz, 3.0);
        out.push(12.0 * (hz / nominal_hz).log2());
        centre += hop;
    }
    out
}

/// MIDI-DDSP's vibrato measure of one note's pitch deviation (semitones, 4 ms frames): the
/// deviation de-meaned, times its Tukey window (alpha 0.5), rFFT magnitude over the note's
/// length; the peak's rate (Hz) and magnitude (the "extent", before MIDI-DDSP's x10). MIDI-DDSP
/// keeps it when the rate is in 3..9 Hz, the note is over 50 frames and more than one cycle.
pub fn midi_ddsp_vibrato(deviation: &[f64]) -> (f64, f64) {
    let n = deviation.len();
    let masked: Vec<f64> = deviation
        .iter()
        .map(|&d| if d.abs() > 2.0 { 0.0 } else { d })
        .collect();
    let mean = masked.iter().sum::<f64>() / n as f64;
    let mut buf: Vec<f64> = masked
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let t = (i + 1) as f64 / n as f64;
            let w = (0.5 * (1.0 - (std::f64::consts::TAU * t / 0.5).cos())
                + if t > 0.25 && t < 0.75 { 1.0 } else { 0.0 })
            .clamp(0.0, 1.0);
            (d - mean) * w
        })
        .collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut buf, &mut spectrum).unwrap();
    let (peak, mag) = spectrum
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.norm() / n as f64))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    (peak as f64 / (n as f64 * FRAME_SECONDS), mag)
}

/// MIDI-DDSP's brightness before its scaling: the mean harmonic number weighted by the
/// harmonics' amplitudes (each a Hann-windowed DFT of `x` at k * f0, for the first `harmonics`
/// below Nyquist).
pub fn harmonic_centroid(x: &[f32], sample_rate: f64, f0: f64, harmonics: usize) -> f64 {
    let amplitudes = harmonic_amplitudes(x, sample_rate, f0, harmonics);
    let total: f64 = amplitudes.iter().sum();
    amplitudes
        .iter()
        .enumerate()
        .map(|(k, a)| (k + 1) as f64 * a)
        .sum::<f64>()
        / total
}

/// The amplitudes of the first `harmonics` harmonics of `f0` below Nyquist: Hann-windowed DFTs
/// at k * f0.
pub fn harmonic_amplitudes(x: &[f32], sample_rate: f64, f0: f64, harmonics: usize) -> Vec<f64> {
    let n = x.len();
    let count = harmonics.min(((0.5 * sample_rate) / f0).floor() as usize - 1);
    (1..=count)
        .map(|k| {
            let step = std::f64::consts::TAU * f0 * k as f64 / sample_rate;
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (i, &v) in x.iter().enumerate() {
                let w = hann(i, n) * v as f64;
                re += w * (step * i as f64).cos();
                im += w * (step * i as f64).sin();
            }
            (re * re + im * im).sqrt()
        })
        .collect()
}

/// The average power spectrum of `x` in dB, in bands of `band_hz` up to `top_hz` (Welch: Hann
/// windows of 2048 with half overlap), the whole shifted to a mean of 0 dB: the spectrum's
/// shape, whatever its level.
pub fn spectrum_shape_db(x: &[f32], sample_rate: f64, band_hz: f64, top_hz: f64) -> Vec<f64> {
    let n = 2048;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut power = vec![0.0f64; n / 2 + 1];
    let mut start = 0;
    while start + n <= x.len() {
        let mut buf: Vec<f64> = (0..n).map(|i| hann(i, n) * x[start + i] as f64).collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut buf, &mut spectrum).unwrap();
        for (p, c) in power.iter_mut().zip(&spectrum) {
            *p += c.norm_sqr();
        }
        start += n / 2;
    }
    let bin_hz = sample_rate / n as f64;
    let bands = (top_hz / band_hz) as usize;
    let db: Vec<f64> = (0..bands)
        .map(|b| {
            let (lo, hi) = (
                (b as f64 * band_hz / bin_hz) as usize,
                ((b + 1) as f64 * band_hz / bin_hz) as usize,
            );
            10.0 * (power[lo..hi].iter().sum::<f64>() + 1e-30).log10()
        })
        .collect();
    let mean = db.iter().sum::<f64>() / db.len() as f64;
    db.iter().map(|d| d - mean).collect()
}

/// The A-weighting's amplitude gain at `f` (IEC 61672's poles at 20.6, 107.7, 737.9 and
/// 12194 Hz), normalised to 1 at 1 kHz.
pub fn a_weighting(f: f64) -> f64 {
    let raw = |f: f64| {
        let f2 = f * f;
        let p = |hz: f64| f2 + hz * hz;
        12194.0f64.powi(2) * f2 * f2 / (p(20.6) * p(12194.0) * (p(107.7) * p(737.9)).sqrt())
    };
    raw(f) / raw(1000.0)
}

/// The A-weighted level in dB of a harmonic tone on `f0`: its first `harmonics` (below
/// Nyquist), each a Hann-windowed DFT amplitude, weighted and summed in power.
pub fn a_weighted_level_db(x: &[f32], sample_rate: f64, f0: f64, harmonics: usize) -> f64 {
    let power: f64 = harmonic_amplitudes(x, sample_rate, f0, harmonics)
        .iter()
        .enumerate()
        .map(|(k, a)| (a * a_weighting(f0 * (k + 1) as f64)).powi(2))
        .sum();
    10.0 * power.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vibrato_measure_reads_a_known_vibrato() {
        // 2 s of a 6 Hz vibrato of 0.3 semitones: the Tukey window keeps 3/8 of a sinusoid's
        // amplitude at its peak (its mean is 0.75, and the rFFT halves a real sinusoid).
        let dev: Vec<f64> = (0..500)
            .map(|i| 0.3 * (std::f64::consts::TAU * 6.0 * i as f64 * FRAME_SECONDS).sin())
            .collect();
        let (rate, extent) = midi_ddsp_vibrato(&dev);
        assert!((rate - 6.0).abs() < 0.5, "{rate}");
        assert!((extent / 0.3 - 0.375).abs() < 0.02, "{}", extent / 0.3);
    }

    #[test]
    fn pitch_and_centroid_read_a_known_tone() {
        let rate = 48_000.0;
        // Harmonic k at 1/k: centroid sum(k/k) / sum(1/k) over 10 harmonics.
        let x: Vec<f32> = (0..24_000)
            .map(|i| {
                (1..=10)
                    .map(|k| {
                        (std::f64::consts::TAU * 330.0 * k as f64 * i as f64 / rate).sin()
                            / k as f64
                    })
                    .sum::<f64>() as f32
            })
            .collect();
        let expected = 10.0 / (1..=10).map(|k| 1.0 / k as f64).sum::<f64>();
        assert!((harmonic_centroid(&x, rate, 330.0, 10) - expected).abs() < 0.01);
        let hz = peak_near_hz(&x, rate, 331.0, 1.0);
        assert!((1200.0 * (hz / 330.0).log2()).abs() < 0.5, "{hz}");
        let levels = level_db_frames(&x, rate);
        assert_eq!(levels.len(), 125);
        // The same tone an octave down is A-weighted lower: 440 Hz against 220 Hz.
        assert!((a_weighting(1000.0) - 1.0).abs() < 1e-12);
        assert!(a_weighting(220.0) < a_weighting(440.0));
    }
}
