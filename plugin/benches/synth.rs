//! One second of 48 kHz audio, 100 harmonics and 65 noise bands at 250 frames per second:
//! the DDSP synthesizer against a straightforward scalar implementation (one `sin()` per
//! harmonic per sample) measured in the same run, each SIMD kernel on its own, the noise and
//! the reverb, and this core's own f64 FMA peak, so that the hot loop's efficiency is a
//! measured fraction of the machine rather than a guess.
//!
//! `cargo bench -p luthier --bench synth` prints a table of ratios at the end.

mod common;

use common::estimate;
use criterion::{black_box, Criterion};
use luthier::dsp::bank::Kernel;
use luthier::dsp::frames::Frame;
use luthier::dsp::harmonic::{HarmonicSynth, Interp};
use luthier::dsp::noise::FilteredNoise;
use luthier::dsp::reverb::{builtin_room_ir, Reverb};
use luthier::dsp::synth::{SynthConfig, VoiceSynth};
use luthier::grid::Segment;
use std::f64::consts::TAU;
use std::time::Duration;

const SR: u32 = 48_000;
const FR: u32 = 250;
const HARMONICS: usize = 100;
const BANDS: usize = 65;
/// Floating-point operations per harmonic-sample in the bank's loop: three fused
/// multiply-adds (the recurrence and the two weight accumulators), two flops each.
const FLOPS_PER_HARMONIC_SAMPLE: f64 = 6.0;

struct Controls {
    f0: Vec<f32>,
    amplitude: Vec<f32>,
    harmonics: Vec<Vec<f32>>,
    noise: Vec<Vec<f32>>,
}

/// A second of a played note: vibrato, a swell, a timbre that moves every frame. f0 stays
/// below 240 Hz, so all 100 harmonics sound (the worst case for the bank).
fn controls() -> Controls {
    let frames = FR as usize + 1;
    let t = |j: usize| j as f64 / FR as f64;
    Controls {
        f0: (0..frames)
            .map(|j| (220.0 * (1.0 + 0.02 * (TAU * 5.0 * t(j)).sin())) as f32)
            .collect(),
        amplitude: (0..frames)
            .map(|j| (0.3 + 0.1 * (TAU * 2.0 * t(j)).sin()) as f32)
            .collect(),
        harmonics: (0..frames)
            .map(|j| {
                (1..=HARMONICS)
                    .map(|k| ((1.2 + (t(j) * 9.0 + k as f64).sin()) / k as f64) as f32)
                    .collect()
            })
            .collect(),
        noise: (0..frames)
            .map(|j| {
                (0..BANDS)
                    .map(|b| 0.01 / (1.0 + b as f32) * (1.0 + t(j) as f32))
                    .collect()
            })
            .collect(),
    }
}

fn frame(c: &Controls, j: usize) -> Frame<'_> {
    Frame {
        f0_hz: c.f0[j],
        amplitude: c.amplitude[j],
        harmonics: &c.harmonics[j],
        noise: &c.noise[j],
    }
}

/// Drives any per-segment renderer over one second: `push(frame, segment)` then `render`.
fn second(c: &Controls, out: &mut [f32], mut step: impl FnMut(&Frame, Segment, &mut [f32])) {
    let mut seg = Segment::first(SR, FR);
    let mut pos = 0;
    let mut j = 1;
    while pos < out.len() {
        let n = seg.len().min(out.len() - pos);
        step(&frame(c, j), seg, &mut out[pos..pos + n]);
        pos += n;
        seg = seg.next();
        j += 1;
    }
}

fn full_synth(c: &Controls, out: &mut [f32]) {
    let config = SynthConfig {
        harmonics: HARMONICS,
        noise_bands: BANDS,
        ..SynthConfig::standard(SR)
    };
    let mut synth = VoiceSynth::new(&config);
    synth.reset(&frame(c, 0), Segment::first(SR, FR));
    second(c, out, |f, seg, buf| {
        synth.push(f, seg);
        synth.render(buf);
    });
}

fn harmonic_only(c: &Controls, out: &mut [f32], kernel: Kernel) {
    let mut synth = HarmonicSynth::with_kernel(HARMONICS, Interp::Linear, kernel);
    synth.reset(&frame(c, 0));
    second(c, out, |f, seg, buf| {
        synth.push(f, seg);
        synth.render(0, buf);
    });
}

fn noise_only(c: &Controls, out: &mut [f32]) {
    let mut noise = FilteredNoise::new(BANDS, 375.0, SR, FR, 1);
    noise.reset(&frame(c, 0), Segment::first(SR, FR));
    second(c, out, |f, seg, buf| {
        noise.push(f, seg);
        noise.render(buf);
    });
}

/// The baseline: the same controls and interpolation, one `sin()` per harmonic per sample in
/// f32, a hard cut at Nyquist, and the same filtered noise (so that only the harmonic method
/// differs).
fn scalar_baseline(c: &Controls, out: &mut [f32]) {
    let mut noise = FilteredNoise::new(BANDS, 375.0, SR, FR, 1);
    noise.reset(&frame(c, 0), Segment::first(SR, FR));
    let mut phase = 0.0f64;
    let mut j = 0;
    let mut noise_buf = vec![0.0f32; Segment::max_len(SR, FR)];
    second(c, out, |f, seg, buf| {
        noise.push(f, seg);
        let (a, b) = (frame(c, j), *f);
        for (i, y) in buf.iter_mut().enumerate() {
            let alpha = seg.alpha(i) as f32;
            let f0 = a.f0_hz + alpha * (b.f0_hz - a.f0_hz);
            let amp = a.amplitude + alpha * (b.amplitude - a.amplitude);
            phase = (phase + f0 as f64 / SR as f64).fract();
            let (mut sum, mut norm) = (0.0f32, 0.0f32);
            for k in 1..=HARMONICS {
                if k as f32 * f0 >= SR as f32 / 2.0 {
                    break;
                }
                let d = a.harmonics[k - 1] + alpha * (b.harmonics[k - 1] - a.harmonics[k - 1]);
                norm += d;
                sum += d * (std::f32::consts::TAU * k as f32 * phase as f32).sin();
            }
            *y = if norm > 0.0 { amp * sum / norm } else { 0.0 };
        }
        noise.render(&mut noise_buf[..buf.len()]);
        buf.iter_mut().zip(&noise_buf).for_each(|(y, z)| *y += z);
        j += 1;
    });
}

/// Eight independent chains of f64 fused multiply-adds: this core's practical peak.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_peak(iterations: usize) -> f64 {
    use std::arch::x86_64::*;
    let (m, a) = (_mm256_set1_pd(0.999_999), _mm256_set1_pd(1e-9));
    let mut acc = [_mm256_set1_pd(1.0); 8];
    for _ in 0..iterations {
        for x in acc.iter_mut() {
            *x = _mm256_fmadd_pd(*x, m, a);
        }
    }
    let mut sum = [0.0f64; 4];
    let mut total = _mm256_setzero_pd();
    for x in acc {
        total = _mm256_add_pd(total, x);
    }
    _mm256_storeu_pd(sum.as_mut_ptr(), total);
    sum.iter().sum()
}

/// FMA iterations per bench call: 8 vectors x 4 lanes x 2 flops each.
const PEAK_ITERATIONS: usize = 1_000_000;
const PEAK_FLOPS_PER_CALL: f64 = PEAK_ITERATIONS as f64 * 8.0 * 4.0 * 2.0;

fn benches(c: &mut Criterion) {
    let ctl = controls();
    let mut out = vec![0.0f32; SR as usize];
    let mut group = c.benchmark_group("synth_1s_48k");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("full", |b| b.iter(|| full_synth(&ctl, black_box(&mut out))));
    group.bench_function("scalar_baseline", |b| {
        b.iter(|| scalar_baseline(&ctl, black_box(&mut out)))
    });
    for kernel in Kernel::available() {
        let name = format!("harmonic_{kernel:?}").to_lowercase();
        group.bench_function(name, |b| {
            b.iter(|| harmonic_only(&ctl, black_box(&mut out), kernel))
        });
    }
    group.bench_function("noise", |b| {
        b.iter(|| noise_only(&ctl, black_box(&mut out)))
    });
    let mut reverb = Reverb::new(&builtin_room_ir(SR as f32), SR as f32);
    group.bench_function("reverb", |b| {
        b.iter(|| {
            for block in out.chunks_mut(512) {
                reverb.process(black_box(block));
            }
        })
    });
    #[cfg(target_arch = "x86_64")]
    if Kernel::detect() != Kernel::Portable {
        // SAFETY: only run where AVX2 and FMA were detected.
        group.bench_function("fma_peak", |b| {
            b.iter(|| unsafe { fma_peak(black_box(PEAK_ITERATIONS)) })
        });
    }
    group.finish();
}

fn report() {
    let Some(baseline) = estimate("synth_1s_48k", "scalar_baseline") else {
        return;
    };
    println!("\nOne second of 48 kHz audio, {HARMONICS} harmonics, {BANDS} noise bands (means of this run):");
    println!(
        "{:<22} {:>12} {:>14} {:>16}",
        "bench", "time", "x real time", "vs baseline"
    );
    let mut names = vec!["full".to_string(), "scalar_baseline".into()];
    names.extend(
        Kernel::available()
            .iter()
            .map(|k| format!("harmonic_{k:?}").to_lowercase()),
    );
    names.extend(["noise".into(), "reverb".into()]);
    for name in &names {
        if let Some(t) = estimate("synth_1s_48k", name) {
            println!(
                "{name:<22} {:>9.3} ms {:>13.0}x {:>15.1}x",
                t * 1e3,
                1.0 / t,
                baseline / t
            );
        }
    }
    let harmonic_samples = (SR as usize * HARMONICS) as f64;
    if let (Some(simd), Some(peak)) = (
        estimate("synth_1s_48k", "harmonic_avx2fma"),
        estimate("synth_1s_48k", "fma_peak"),
    ) {
        let rate = harmonic_samples / simd;
        let peak_flops = PEAK_FLOPS_PER_CALL / peak;
        println!(
            "\nharmonic bank (AVX2/FMA): {:.2e} harmonic-samples/s; x {FLOPS_PER_HARMONIC_SAMPLE} flops = {:.1} GFLOP/s \
             = {:.0} % of this core's measured f64 FMA peak ({:.1} GFLOP/s)",
            rate,
            rate * FLOPS_PER_HARMONIC_SAMPLE * 1e-9,
            100.0 * rate * FLOPS_PER_HARMONIC_SAMPLE / peak_flops,
            peak_flops * 1e-9
        );
        println!("(the harmonic-only time includes the per-sample work: phase, interpolation, Nyquist taper, normalisation)");
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        report();
    }
}
