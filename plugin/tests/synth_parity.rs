//! The Rust synthesizer against golden files written by an independent float64 numpy reference
//! (`plugin/tests/reference/ddsp_reference.py`, magenta/ddsp's formulas with our conventions):
//! harmonic part within 1e-4, noise (same seed) within 1e-5, for every SIMD kernel and for any
//! cutting of the segments into host blocks. The same holds against the PyTorch synthesizer that
//! training renders through (`models/training/write_synth_fixtures.py` writes the `torch_*`
//! cases), so a model is trained on what the plugin plays.

use luthier::dsp::bank::Kernel;
use luthier::dsp::frames::Frame;
use luthier::dsp::harmonic::{HarmonicSynth, Interp};
use luthier::dsp::noise::{FilteredNoise, WhiteNoise};
use luthier::grid::Segment;
use serde_json::Value;
use std::path::PathBuf;

const CASES: [&str; 5] = [
    "glide_48k",
    "nyquist_44k1",
    "low_96k",
    "glide_48k_raised_cosine",
    "steps_22k05",
];
/// Written by the PyTorch synthesizer of the training package.
const TORCH_CASES: [&str; 3] = ["torch_phrase_48k", "torch_glide_44k1", "torch_low_96k"];
const HARMONIC_TOLERANCE: f64 = 1e-4;
const NOISE_TOLERANCE: f64 = 1e-5;

struct Case {
    sample_rate: u32,
    frame_rate: u32,
    interp: Interp,
    spacing: f32,
    seed: u64,
    samples: usize,
    frames: Vec<(f32, f32, Vec<f32>, Vec<f32>)>,
    harmonic: Vec<f64>,
    noise: Vec<f64>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn read_f64(name: &str) -> Vec<f64> {
    let bytes = std::fs::read(golden_dir().join(name)).unwrap();
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn load(name: &str) -> Case {
    let text = std::fs::read_to_string(golden_dir().join(format!("{name}.json"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let floats = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect::<Vec<_>>()
    };
    let frames = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["f0_hz"].as_f64().unwrap() as f32,
                f["amplitude"].as_f64().unwrap() as f32,
                floats(&f["harmonics"]),
                floats(&f["noise"]),
            )
        })
        .collect();
    let case = Case {
        sample_rate: v["sample_rate"].as_u64().unwrap() as u32,
        frame_rate: v["frame_rate"].as_u64().unwrap() as u32,
        interp: match v["interp"].as_str().unwrap() {
            "linear" => Interp::Linear,
            "raised_cosine" => Interp::RaisedCosine,
            other => panic!("unknown interp {other}"),
        },
        spacing: v["noise_band_spacing_hz"].as_f64().unwrap() as f32,
        seed: v["noise_seed"].as_u64().unwrap(),
        samples: v["samples"].as_u64().unwrap() as usize,
        frames,
        harmonic: read_f64(&format!("{name}.harmonic.f64")),
        noise: read_f64(&format!("{name}.noise.f64")),
    };
    assert_eq!(case.harmonic.len(), case.samples);
    assert_eq!(case.noise.len(), case.samples);
    case
}

fn frame(f: &(f32, f32, Vec<f32>, Vec<f32>)) -> Frame<'_> {
    Frame {
        f0_hz: f.0,
        amplitude: f.1,
        harmonics: &f.2,
        noise: &f.3,
    }
}

/// Renders a case, cutting each segment into pieces whose sizes come from `blocks`.
fn render(case: &Case, kernel: Kernel, blocks: &mut dyn FnMut() -> usize) -> (Vec<f32>, Vec<f32>) {
    let k = case.frames[0].2.len();
    let mut harmonic = HarmonicSynth::with_kernel(k, case.interp, kernel);
    let mut noise = FilteredNoise::new(
        case.frames[0].3.len(),
        case.spacing,
        case.sample_rate,
        case.frame_rate,
        case.seed,
    );
    let mut seg = Segment::first(case.sample_rate, case.frame_rate);
    harmonic.reset(&frame(&case.frames[0]));
    noise.reset(&frame(&case.frames[0]), seg);
    let (mut h_out, mut n_out) = (Vec::new(), Vec::new());
    for next in &case.frames[1..] {
        harmonic.push(&frame(next), seg);
        noise.push(&frame(next), seg);
        let mut pos = 0;
        while pos < seg.len() {
            let n = blocks().clamp(1, seg.len() - pos);
            let mut h = vec![0.0f32; n];
            let mut z = vec![0.0f32; n];
            harmonic.render(pos, &mut h);
            noise.render(&mut z);
            h_out.extend(h);
            n_out.extend(z);
            pos += n;
        }
        seg = seg.next();
    }
    (h_out, n_out)
}

fn max_error(got: &[f32], want: &[f64]) -> (f64, usize) {
    got.iter()
        .zip(want)
        .enumerate()
        .fold((0.0, 0), |(m, at), (i, (g, w))| {
            let e = (*g as f64 - w).abs();
            if e > m {
                (e, i)
            } else {
                (m, at)
            }
        })
}

#[test]
fn matches_the_numpy_reference() {
    check_cases(&CASES);
}

#[test]
fn matches_the_pytorch_training_synth() {
    check_cases(&TORCH_CASES);
    // Its noise is tested at a useful level, not near silence.
    for name in TORCH_CASES {
        let peak = load(name).noise.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(peak > 0.1, "{name}: noise golden too quiet ({peak})");
    }
}

fn check_cases(cases: &[&str]) {
    for &name in cases {
        let case = load(name);
        for kernel in Kernel::available() {
            let (h, n) = render(&case, kernel, &mut || usize::MAX);
            assert_eq!(h.len(), case.samples, "{name}");
            let (he, hi) = max_error(&h, &case.harmonic);
            let (ne, ni) = max_error(&n, &case.noise);
            println!("{name:26} {kernel:?}: harmonic max error {he:.2e} (sample {hi}), noise {ne:.2e} (sample {ni})");
            assert!(
                he <= HARMONIC_TOLERANCE,
                "{name} {kernel:?}: harmonic error {he} at sample {hi}"
            );
            assert!(
                ne <= NOISE_TOLERANCE,
                "{name} {kernel:?}: noise error {ne} at sample {ni}"
            );
            // The golden is not trivially silent.
            let peak = case.harmonic.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(peak > 0.05, "{name}: golden too quiet to test anything");
        }
    }
}

#[test]
fn block_wise_equals_sample_wise() {
    for name in ["nyquist_44k1", "glide_48k_raised_cosine"] {
        let case = load(name);
        let (h1, n1) = render(&case, Kernel::detect(), &mut || 1);
        let mut rng = WhiteNoise::new(99);
        let mut random = move || 1 + (rng.next_u64() % 300) as usize;
        for (label, blocks) in [
            ("64", &mut (|| 64usize) as &mut dyn FnMut() -> usize),
            ("4096", &mut || 4096usize),
            ("random", &mut random),
        ] {
            let (h, n) = render(&case, Kernel::detect(), blocks);
            let he = h
                .iter()
                .zip(&h1)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            let ne = n
                .iter()
                .zip(&n1)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(he <= 1e-6 && ne <= 1e-6, "{name} blocks {label}: {he} {ne}");
        }
    }
}
