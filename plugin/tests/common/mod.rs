//! What several test files check the same way: a model's outputs through the plugin's ONNX
//! Runtime against the golden file PyTorch wrote beside it at export.

use luthier::model::decoder::{Controls, Decoder};
use std::path::Path;

fn floats(v: &serde_json::Value, key: &str) -> Vec<f32> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("golden case has no '{key}'"))
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Loads `onnx` (card and checksum checked) and runs every case of `<stem>.golden.json`
/// through it: each output must agree within the file's tolerance (at most 1e-5).
pub fn check_golden(onnx: &Path) {
    let mut decoder =
        Decoder::load(onnx, None).unwrap_or_else(|e| panic!("{}: {e}", onnx.display()));
    let golden_path = onnx.with_extension("golden.json");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&golden_path)
            .unwrap_or_else(|e| panic!("{}: {e}", golden_path.display())),
    )
    .unwrap();
    let tolerance = golden["tolerance"].as_f64().unwrap() as f32;
    assert!(tolerance <= 1e-5);
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let (n, t) = (
            case["n"].as_u64().unwrap() as usize,
            case["t"].as_u64().unwrap() as usize,
        );
        let mut state = floats(case, "state_in");
        let mut out = Controls::default();
        decoder
            .run(
                n,
                t,
                &floats(case, "f0_hz"),
                &floats(case, "loudness_db"),
                &mut state,
                &mut out,
            )
            .unwrap();
        for (name, got, want) in [
            ("amplitude", &out.amplitude, floats(case, "amplitude")),
            ("harmonics", &out.harmonics, floats(case, "harmonics")),
            ("noise", &out.noise, floats(case, "noise")),
            ("state_out", &state, floats(case, "state_out")),
        ] {
            let diff = max_diff(got, &want);
            assert!(
                diff <= tolerance,
                "{} n={n} t={t} {name}: max difference {diff}",
                onnx.display()
            );
        }
    }
}
