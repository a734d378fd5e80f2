//! The effect's analysis on one second of 48 kHz audio at 250 frames per second (f0, loudness
//! and periodicity every 4 ms), as a share of one core, against YIN's difference function
//! computed directly in the time domain (the textbook method) in the same run; and the
//! periodicity measure alone (the voicing rule's, `analysis::periodicity`), and the hum learner
//! alone (`analysis::hum`, with 8 lines learnt and notched: its most), as their shares.
//!
//! `cargo bench -p luthier --bench analysis` prints the table at the end.

mod common;

use common::estimate;
use criterion::{black_box, Criterion};
use luthier::analysis::features::Analyzer;
use luthier::analysis::hum::HumNotch;
use luthier::analysis::periodicity::Periodicity;
use luthier::analysis::pitch::{PitchConfig, PitchTracker};
use luthier::grid::Segment;
use std::time::Duration;

const SR: u32 = 48_000;
const FR: u32 = 250;

fn phrase() -> Vec<f32> {
    let mut phase = 0.0f64;
    (0..SR as usize)
        .map(|i| {
            let t = i as f64 / SR as f64;
            phase += 196.0 * (1.0 + 0.01 * (std::f64::consts::TAU * 5.0 * t).sin()) / SR as f64;
            (1..=10)
                .map(|k| (std::f64::consts::TAU * k as f64 * phase).sin() / k as f64)
                .sum::<f64>() as f32
                * 0.3
        })
        .collect()
}

/// Runs `per_frame` on each segment of `x` in turn, as the effect meets them, and sums what it
/// gives (so that nothing is optimised away).
fn per_segment(x: &[f32], mut per_frame: impl FnMut(&[f32]) -> f32) -> f32 {
    let mut seg = Segment::first(SR, FR);
    let (mut pos, mut acc) = (0, 0.0);
    while pos < x.len() {
        let end = (pos + seg.len()).min(x.len());
        acc += per_frame(&x[pos..end]);
        pos = end;
        seg = seg.next();
    }
    acc
}

/// What the effect does per second: push each segment, analyse at each boundary.
fn analyse(analyzer: &mut Analyzer, x: &[f32]) -> f32 {
    per_segment(x, |segment| {
        analyzer.push(segment);
        let f = analyzer.analyze();
        f.f0_hz + f.loudness_db
    })
}

/// The baseline: YIN's CMNDF with the difference function summed directly, same window.
fn direct_yin(x: &[f32], window: usize, tau_max: usize) -> f32 {
    let w = window - tau_max;
    let mut acc = 0.0;
    let mut cmndf = vec![1.0f32; tau_max + 1];
    for end in (window..x.len()).step_by((SR / FR) as usize) {
        let frame = &x[end - window..end];
        let mut running = 0.0f32;
        for tau in 1..=tau_max {
            let d: f32 = (0..w).map(|j| (frame[j] - frame[j + tau]).powi(2)).sum();
            running += d;
            cmndf[tau] = if running > 0.0 {
                d * tau as f32 / running
            } else {
                1.0
            };
        }
        acc += cmndf.iter().cloned().fold(f32::MAX, f32::min);
    }
    acc
}

fn benches(c: &mut Criterion) {
    let x = phrase();
    let mut group = c.benchmark_group("analysis_1s_48k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let mut analyzer = Analyzer::new(SR as f32, PitchConfig::default());
    group.bench_function("features", |b| {
        b.iter(|| analyse(&mut analyzer, black_box(&x)))
    });
    let mut periodicity = Periodicity::new(SR as f32, 40.0);
    group.bench_function("periodicity", |b| {
        b.iter(|| {
            per_segment(&x, |segment| {
                periodicity.push(black_box(segment));
                periodicity.at(196.0)
            })
        })
    });
    let mut hum = HumNotch::new(SR as f32);
    let mut buzz: Vec<f32> = (0..SR as usize)
        .map(|i| {
            let t = i as f64 / SR as f64;
            (1..=8)
                .map(|k| (std::f64::consts::TAU * 50.0 * k as f64 * t).sin() * 0.01)
                .sum::<f64>() as f32
        })
        .collect();
    for chunk in buzz.chunks_mut((SR / FR) as usize) {
        hum.filter(chunk);
        hum.observe(50.0, false);
    }
    assert_eq!(
        hum.notched_hz().count(),
        8,
        "the bench's hum was not learnt"
    );
    let mut scratch = vec![0.0f32; 2 * (SR / FR) as usize];
    group.bench_function("hum", |b| {
        b.iter(|| {
            per_segment(&x, |segment| {
                let block = &mut scratch[..segment.len()];
                block.copy_from_slice(segment);
                hum.filter(black_box(block));
                hum.observe(196.0, false);
                block[0]
            })
        })
    });
    let tracker = PitchTracker::new(SR as f32, PitchConfig::default());
    let (window, tau_max) = (tracker.window_len(), tracker.window_len() / 2);
    group.bench_function("direct_yin_baseline", |b| {
        b.iter(|| direct_yin(black_box(&x), window, tau_max))
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        if let (Some(ours), Some(base), Some(periodic), Some(hum)) = (
            estimate("analysis_1s_48k", "features"),
            estimate("analysis_1s_48k", "direct_yin_baseline"),
            estimate("analysis_1s_48k", "periodicity"),
            estimate("analysis_1s_48k", "hum"),
        ) {
            println!("\nf0, loudness and periodicity, one second of 48 kHz audio, 250 frames/s:");
            println!(
                "  ours:                  {:.3} ms = {:.2} % of one core",
                ours * 1e3,
                ours * 100.0
            );
            println!(
                "  direct YIN (pitch only): {:.3} ms = {:.2} % of one core",
                base * 1e3,
                base * 100.0
            );
            println!(
                "  ratio: ours is {:.1}x faster than the direct baseline",
                base / ours
            );
            println!(
                "  of ours, the periodicity measure: {:.3} ms ({:.1} %)",
                periodic * 1e3,
                periodic / ours * 100.0
            );
            println!(
                "  the hum learner with 8 lines notched: {:.3} ms ({:.1} % of ours)",
                hum * 1e3,
                hum / ours * 100.0
            );
        }
    }
}
