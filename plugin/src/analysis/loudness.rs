//! A-weighted loudness as magenta/ddsp computes it, defined in seconds and Hz so that it reads
//! the same at any host rate, with a window that follows the pitch.
//!
//! DDSP (compute_loudness, after its v2 fix) at 16 kHz: a 512-sample (32 ms) Hann STFT, power
//! |S|^2 times the A-weighting (librosa's, in dB, floored at -80 dB, turned into power),
//! averaged over its 257 bins 0..8 kHz in linear power, 10 log10, floored at -80 dB. Here: a
//! 64 ms FFT at the host rate, the weighted power summed over the bins up to 8 kHz and scaled
//! by (512/N)^2 / 257. By Parseval that reads exactly as DDSP does for tones (their power sits in
//! a few bins) and for noise (the bin count grows with N, and the scale cancels it).
//!
//! The Hann window inside that FFT spans three periods of the current pitch (12..64 ms; 16 ms
//! when there is no pitch), its power scaled by N/L, so that any stationary signal reads the
//! same whatever the window, while an onset shows up in proportion to the note's own period
//! instead of 16 ms late (a Hann window's weight sits at its centre). Three periods keep a low
//! note's reading steady: on an 82 Hz note, 16 ms ripples by +-4 dB, 2.3 periods by +-0.65 dB,
//! DDSP's 32 ms (2.6 periods) by +-0.2 dB; on a 48 Hz note 32 ms ripples by +-3.5 dB.
//! At an onset (the window's newest half 6 dB above its older half) the window is halved
//! (down to 4 ms), so the reading reaches the note's level as soon as the newest half holds it:
//! this took the effect's output onset at 110 Hz from 17.5 to 12.7 ms and at 880 Hz from 8.8 to
//! 5.6 ms (`examples/onset_latency.rs`).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

pub const WINDOW_SECONDS: f64 = 0.064;
/// The pitch-adaptive windows' lengths, and the one used without a pitch.
/// The lengths under MIN_STEADY_MS serve only onsets.
const WINDOW_CHOICES_MS: [f64; 13] = [
    4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0, 40.0, 48.0, 56.0, 64.0,
];
const MIN_STEADY_MS: f64 = 12.0;
/// The newest half of the window holding this many times the power of the older half is an
/// onset (6 dB; a steady note's halves differ by a few percent).
const ONSET_RATIO: f64 = 4.0;
const UNPITCHED_MS: f64 = 16.0;
pub const MAX_HZ: f64 = 8000.0;
pub const FLOOR_DB: f32 = -80.0;
/// DDSP's frame length at its 16 kHz rate, and its bins from 0 to 8 kHz.
const DDSP_FRAME: f64 = 512.0;
const DDSP_BINS: f64 = 257.0;

/// The loudness a full-scale sine reads at 1 kHz (where A-weighting is about 0 dB):
/// a Hann-windowed sine's power over its bins is 3 a^2 N^2 / 32 (Parseval), at N = 512 that is
/// 24576 a^2, averaged over 257 bins.
pub fn full_scale_sine_db() -> f32 {
    (10.0 * (24_576.0f64 / 257.0).log10()) as f32
}

/// The A-weighting's linear amplitude gain at `f` (IEC 61672, up to its constant +2 dB), with
/// no logarithm: cheap enough to weigh a frame's harmonics with.
pub fn a_weighting_gain(f: f64) -> f64 {
    let f2 = f * f;
    let (c0, c1, c2, c3) = (
        12_194.217f64.powi(2),
        20.598_997f64.powi(2),
        107.652_65f64.powi(2),
        737.862_23f64.powi(2),
    );
    c0 * f2 * f2 / ((f2 + c0) * (f2 + c1) * ((f2 + c2) * (f2 + c3)).sqrt())
}

/// librosa.A_weighting(f) in dB (IEC 61672), floored at -80 dB as librosa does.
pub fn a_weighting_db(f: f64) -> f64 {
    let f2 = f * f;
    let c = [
        12_194.217f64.powi(2),
        20.598_997f64.powi(2),
        107.652_65f64.powi(2),
        737.862_23f64.powi(2),
    ];
    let db = 2.0
        + 20.0
            * (c[0].log10() + 2.0 * f2.log10()
                - (f2 + c[0]).log10()
                - (f2 + c[1]).log10()
                - 0.5 * (f2 + c[2]).log10()
                - 0.5 * (f2 + c[3]).log10());
    if db.is_finite() {
        db.max(-80.0)
    } else {
        -80.0
    }
}

pub struct LoudnessMeter {
    len: usize,
    /// Hann windows of the lengths in `WINDOW_CHOICES_MS`, each scaled by sqrt(N/L) so that
    /// power reads the same as with the full window.
    windows: Vec<Vec<f32>>,
    /// A-weighting as power times (512/N)^2 / 257: the sum of |S|^2 times these, over the bins
    /// up to 8 kHz, is DDSP's averaged weighted power.
    weights: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl LoudnessMeter {
    pub fn new(sample_rate: f32) -> Self {
        let sr = sample_rate as f64;
        let len = (WINDOW_SECONDS * sr).round() as usize;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
        let bins = (0..=len / 2)
            .filter(|&i| i as f64 * sr / len as f64 <= MAX_HZ + 1e-9)
            .count();
        let scale = (DDSP_FRAME / len as f64).powi(2) / DDSP_BINS;
        let weights = (0..bins)
            .map(|i| {
                let f = i as f64 * sr / len as f64;
                (10f64.powf(a_weighting_db(f) / 10.0) * scale) as f32
            })
            .collect();
        let windows = WINDOW_CHOICES_MS
            .iter()
            .map(|ms| {
                let l = ((ms / 1000.0 * sr).round() as usize).min(len);
                let gain = (len as f64 / l as f64).sqrt();
                (0..l)
                    .map(|i| {
                        ((0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / l as f64).cos()) * gain)
                            as f32
                    })
                    .collect()
            })
            .collect();
        Self {
            len,
            windows,
            weights,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
        }
    }

    /// Samples the meter reads (its longest window).
    pub fn window_len(&self) -> usize {
        self.len
    }

    /// Which window suits a note of `f0_hz` (three periods), or no pitch.
    fn window_index(f0_hz: Option<f32>) -> usize {
        let wanted_ms = f0_hz
            .filter(|f| *f > 0.0)
            .map_or(UNPITCHED_MS, |f| 3000.0 / f as f64)
            .max(MIN_STEADY_MS);
        WINDOW_CHOICES_MS
            .iter()
            .position(|&ms| ms >= wanted_ms)
            .unwrap_or(WINDOW_CHOICES_MS.len() - 1)
    }

    /// At an onset, the longest window at most half as long as `index`'s; otherwise `index`.
    /// A window still half silence reads the note up to 6 dB low and rises over its whole
    /// length; its newest half already holds the note. Ripple on a low note matters little here:
    /// the onset is over once the older half fills, a few frames later.
    fn onset_index(&self, frame: &[f32], index: usize) -> usize {
        let l = self.windows[index].len();
        let power = |x: &[f32]| x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
        let (older, newer) = frame[frame.len() - l..].split_at(l / 2);
        if power(newer) > ONSET_RATIO * power(older) + 1e-12 {
            let half_ms = WINDOW_CHOICES_MS[index] / 2.0;
            WINDOW_CHOICES_MS
                .iter()
                .rposition(|&ms| ms <= half_ms)
                .unwrap_or(0)
        } else {
            index
        }
    }

    /// Loudness in dB of the end of `recent` (which must hold at least `window_len()` samples),
    /// with the window for a note of `f0_hz` (None: no pitch, or unknown).
    pub fn measure(&mut self, recent: &[f32], f0_hz: Option<f32>) -> f32 {
        let frame = &recent[recent.len() - self.len..];
        let window = &self.windows[self.onset_index(frame, Self::window_index(f0_hz))];
        let offset = self.len - window.len();
        self.input[..offset].fill(0.0);
        for ((d, x), w) in self.input[offset..]
            .iter_mut()
            .zip(&frame[offset..])
            .zip(window)
        {
            *d = x * w;
        }
        let _ =
            self.fft
                .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch);
        let power: f64 = self
            .spectrum
            .iter()
            .zip(&self.weights)
            .map(|(s, w)| (s.norm_sqr() * w) as f64)
            .sum();
        let db = 10.0 * power.max(1e-20).log10() as f32;
        if db.is_finite() {
            db.max(FLOOR_DB)
        } else {
            FLOOR_DB
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linear_a_weighting_is_the_db_one() {
        for f in [50.0, 440.0, 1000.0, 4000.0, 15000.0] {
            let db = 2.0 + 20.0 * a_weighting_gain(f).log10();
            assert!((db - a_weighting_db(f)).abs() < 1e-6, "{f} Hz");
        }
    }

    fn sine(hz: f64, amp: f64, sr: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (amp * (std::f64::consts::TAU * hz * i as f64 / sr).sin()) as f32)
            .collect()
    }

    #[test]
    fn a_weighting_matches_the_standards_table() {
        // IEC 61672-1 A-weighting at the octave bands' exact (base-10) centres, 1000 * 10^(3n/10)
        // Hz, whose nominal labels are 31.5 .. 8000 Hz; table values in dB, to 0.1 dB.
        let table = [-39.4, -26.2, -16.1, -8.6, -3.2, 0.0, 1.2, 1.0, -1.1];
        for (n, want) in (-5..=3).zip(table) {
            let f = 1000.0 * 10f64.powf(0.3 * n as f64);
            assert!(
                (a_weighting_db(f) - want).abs() < 0.1,
                "{f} Hz: {}",
                a_weighting_db(f)
            );
        }
        assert_eq!(a_weighting_db(0.0), -80.0);
    }

    #[test]
    fn a_full_scale_1k_sine_reads_the_same_at_every_rate() {
        let want = full_scale_sine_db() as f64 + a_weighting_db(1000.0);
        for sr in [22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            let mut meter = LoudnessMeter::new(sr as f32);
            let x = sine(1000.0, 1.0, sr, meter.window_len());
            let db = meter.measure(&x, None) as f64;
            assert!((db - want).abs() < 0.15, "{sr}: {db} vs {want}");
            let quiet = sine(1000.0, 0.01, sr, meter.window_len());
            assert!((meter.measure(&quiet, Some(1000.0)) as f64 - (want - 40.0)).abs() < 0.15);
        }
    }

    #[test]
    fn every_window_reads_a_steady_tone_alike_and_low_notes_do_not_ripple() {
        let sr = 48_000.0;
        let mut meter = LoudnessMeter::new(sr as f32);
        for hz in [48.0, 82.0, 110.0, 440.0] {
            // Readings at many phases of the note, with the window its pitch chooses.
            let x = sine(hz, 0.5, sr, 4 * meter.window_len());
            let readings: Vec<f32> = (0..40)
                .map(|k| meter.measure(&x[..meter.window_len() + 37 * k], Some(hz as f32)))
                .collect();
            let (lo, hi) = readings
                .iter()
                .fold((f32::MAX, f32::MIN), |(l, h), &r| (l.min(r), h.max(r)));
            assert!(hi - lo < 0.5, "{hz} Hz ripples {lo}..{hi} dB");
            let full = meter.measure(&x, Some(15.0));
            assert!(
                (readings[0] - full).abs() < 0.5,
                "{hz} Hz: {} vs full window {full}",
                readings[0]
            );
        }
    }

    #[test]
    fn an_onset_reads_the_note_before_the_window_fills() {
        // The window of a 110 Hz note: 28 ms. 10 ms into the note, it holds the note in its
        // newest 36% only, where a Hann window's weight is low; the halved window holds it in
        // its newest 70%. The tone is at 1 kHz, where A-weighting is flat: the edges at the
        // onset and the end spread the tone's power over neighbouring bins, which would weigh
        // it differently on a 110 Hz tone (-19 dB there, 0 dB an octave up from 1 kHz).
        let sr = 48_000.0;
        let mut meter = LoudnessMeter::new(sr as f32);
        let n = meter.window_len();
        let note = sine(1000.0, 0.5, sr, n);
        let steady = meter.measure(&note, Some(110.0));
        let mut onset = vec![0.0; n];
        let start = n - (0.010 * sr) as usize;
        onset[start..].copy_from_slice(&note[..n - start]);
        let early = meter.measure(&onset, Some(110.0));
        assert!(
            early > steady - 3.0,
            "10 ms in: {early} dB, steady {steady} dB"
        );
        // The same samples through the pitch's own window alone read far lower (relative to the
        // steady note, in plain windowed power: A-weighting is flat near 1 kHz), so the
        // halving is what made the difference.
        let full = meter.windows[LoudnessMeter::window_index(Some(110.0))].clone();
        let windowed = |x: &[f32]| -> f64 {
            x[n - full.len()..]
                .iter()
                .zip(&full)
                .map(|(x, w)| ((x * w) as f64).powi(2))
                .sum()
        };
        let relative_db = |x: &[f32]| 10.0 * (windowed(x) / windowed(&note)).log10();
        assert!(relative_db(&onset) < -6.0);
        // At a note's end the reading is the plain window's: an ending is not an onset.
        let mut ended = note.clone();
        ended[start..].fill(0.0);
        let reading = meter.measure(&ended, Some(110.0)) - steady;
        assert!(
            (reading as f64 - relative_db(&ended)).abs() < 0.3 && reading < -0.5,
            "ended: {reading} dB vs plain window {} dB",
            relative_db(&ended)
        );
    }

    #[test]
    fn silence_and_dc_read_the_floor() {
        let mut meter = LoudnessMeter::new(48_000.0);
        assert_eq!(
            meter.measure(&vec![0.0; meter.window_len()], None),
            FLOOR_DB
        );
        // DC: A-weighting is -80 dB at 0 Hz, but the 16 ms Hann window leaks it into the bins
        // up to about 60 Hz (A-weighted -40..-26 dB). The analyser removes DC before the meter
        // (tests/analysis.rs); the meter alone still reads it well below a tone.
        let dc = meter.measure(&vec![0.5; meter.window_len()], None);
        let tone = meter.measure(&sine(1000.0, 0.5, 48_000.0, meter.window_len()), None);
        assert!(dc < tone - 25.0, "DC {dc} dB vs sine {tone} dB");
    }
}
