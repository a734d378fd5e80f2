//! What the benches share: reading criterion's result of this run, so that each bench can print
//! its figures as ratios against the baseline it measured alongside, and the decoders to time.
//! Each bench uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The mean (seconds) criterion estimated for `group/name` in the latest run.
pub fn estimate(group: &str, name: &str) -> Option<f64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/criterion")
        .join(group)
        .join(name)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let rest = &text[text.find("\"mean\"")?..];
    let at = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let value: String = rest[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    value.parse::<f64>().ok().map(|ns| ns * 1e-9)
}

/// The decoders to time, by width: the H64 test decoder, and the wider random ones when they
/// were exported to target/bench-models/ (see benches/decoder.rs). `widths` picks which.
pub fn decoder_models(widths: &[&str]) -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    widths
        .iter()
        .map(|&width| {
            let path = if width == "h64" {
                root.join("models/test/luthier-test.onnx")
            } else {
                root.join(format!("target/bench-models/luthier-test-{width}.onnx"))
            };
            (width.to_string(), path)
        })
        .filter(|(_, path)| path.is_file())
        .collect()
}
