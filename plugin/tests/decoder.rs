//! The ONNX decoder through ONNX Runtime: outputs against the golden file the Python exporter
//! wrote with PyTorch (models/training/export_test_decoder.py), streaming and batching
//! invariants, and every way a model file can be bad (each must be a clear error, not a panic).
//!
//! ONNX Runtime comes from `LUTHIER_ONNXRUNTIME` (`cargo xtask test` sets it), else from the
//! cache `cargo xtask onnxruntime` fills.

use luthier::model::card::ModelError;
use luthier::model::decoder::{Controls, Decoder};
use std::path::{Path, PathBuf};

mod common;
use common::max_diff;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn test_model() -> PathBuf {
    root().join("models/test/luthier-test.onnx")
}

fn load(path: &Path) -> Result<Decoder, ModelError> {
    Decoder::load(path, None)
}

#[test]
fn outputs_match_the_pytorch_golden_file() {
    common::check_golden(&test_model());
}

#[test]
fn shipped_models_match_their_pytorch_golden_files() {
    let shipped: Vec<PathBuf> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    for name in [
        "violin", "cello", "flute", "trumpet", "alto_sax", "clarinet",
    ] {
        assert!(
            shipped.iter().any(|p| p.file_stem().unwrap() == name),
            "models/{name}.onnx does not ship"
        );
    }
    for onnx in &shipped {
        common::check_golden(onnx);
    }
}

/// Seeded, plausible controls: f0 over 50..1500 Hz, loudness over -70..-10 dB.
fn controls(n: usize, t: usize) -> (Vec<f32>, Vec<f32>) {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 40) as f32 / (1u64 << 24) as f32
    };
    let f0 = (0..n * t).map(|_| 50.0 * 30f32.powf(next())).collect();
    let db = (0..n * t).map(|_| -70.0 + 60.0 * next()).collect();
    (f0, db)
}

#[test]
fn one_block_equals_frame_by_frame_with_the_state_carried() {
    let mut decoder = load(&test_model()).unwrap();
    let h = decoder.card().state_size;
    let (n, t) = (2, 12);
    let (f0, db) = controls(n, t);
    let mut block_state = vec![0.0; n * h];
    let mut block = Controls::default();
    decoder
        .run(n, t, &f0, &db, &mut block_state, &mut block)
        .unwrap();

    let mut state = vec![0.0; n * h];
    let mut frame = Controls::default();
    let k = decoder.card().harmonics;
    for j in 0..t {
        let pick = |x: &[f32]| (0..n).map(|v| x[v * t + j]).collect::<Vec<_>>();
        decoder
            .run(n, 1, &pick(&f0), &pick(&db), &mut state, &mut frame)
            .unwrap();
        for v in 0..n {
            let a = block.amplitude[v * t + j];
            assert!(
                (a - frame.amplitude[v]).abs() <= 1e-5,
                "voice {v} frame {j}"
            );
            let want = &block.harmonics[(v * t + j) * k..(v * t + j + 1) * k];
            assert!(max_diff(want, &frame.harmonics[v * k..(v + 1) * k]) <= 1e-5);
        }
    }
    assert!(max_diff(&block_state, &state) <= 1e-5);
}

#[test]
fn voices_in_a_batch_do_not_leak_into_each_other() {
    let mut decoder = load(&test_model()).unwrap();
    let h = decoder.card().state_size;
    let (n, t) = (8, 5);
    let (f0, db) = controls(n, t);
    let mut state = vec![0.0; n * h];
    let mut batch = Controls::default();
    decoder.run(n, t, &f0, &db, &mut state, &mut batch).unwrap();
    let v = 5;
    let mut alone_state = vec![0.0; h];
    let mut alone = Controls::default();
    decoder
        .run(
            1,
            t,
            &f0[v * t..(v + 1) * t],
            &db[v * t..(v + 1) * t],
            &mut alone_state,
            &mut alone,
        )
        .unwrap();
    assert!(max_diff(&alone.amplitude, &batch.amplitude[v * t..(v + 1) * t]) <= 1e-5);
    assert!(max_diff(&alone_state, &state[v * h..(v + 1) * h]) <= 1e-5);
}

/// A copy of the test model in a temporary folder, for damaging.
fn scratch_copy(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("luthier-decoder-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let onnx = dir.join("m.onnx");
    std::fs::copy(test_model(), &onnx).unwrap();
    std::fs::copy(
        test_model().with_extension("json"),
        onnx.with_extension("json"),
    )
    .unwrap();
    onnx
}

fn edit_card(onnx: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = onnx.with_extension("json");
    let mut card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut card);
    std::fs::write(&path, serde_json::to_string(&card).unwrap()).unwrap();
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn error_of(onnx: &Path) -> String {
    match load(onnx) {
        Ok(_) => panic!("{} loaded", onnx.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_model_files_are_clear_errors() {
    // Missing network, missing card.
    let missing = std::env::temp_dir().join("luthier-no-such-model.onnx");
    assert!(
        error_of(&missing).contains("cannot read"),
        "{}",
        error_of(&missing)
    );

    let onnx = scratch_copy("truncated");
    let bytes = std::fs::read(&onnx).unwrap();
    std::fs::write(&onnx, &bytes[..bytes.len() / 2]).unwrap();
    let why = error_of(&onnx);
    assert!(why.contains("truncated, damaged or was replaced"), "{why}");
    // The same truncated file with a card that vouches for it: ONNX Runtime refuses it.
    let sha = sha256_hex(&onnx);
    edit_card(&onnx, |c| c["onnx_sha256"] = sha.into());
    let why = error_of(&onnx);
    assert!(why.contains("ONNX Runtime refused"), "{why}");

    // Not a network at all (random bytes).
    let onnx = scratch_copy("garbage");
    std::fs::write(&onnx, b"this is not an onnx file").unwrap();
    let sha = sha256_hex(&onnx);
    edit_card(&onnx, |c| c["onnx_sha256"] = sha.into());
    assert!(error_of(&onnx).contains("ONNX Runtime refused"));

    // A card that disagrees with the network, or with this build.
    let onnx = scratch_copy("mismatch");
    edit_card(&onnx, |c| c["harmonics"] = 60.into());
    let why = error_of(&onnx);
    assert!(
        why.contains("'harmonics' has shape") && why.contains("60"),
        "{why}"
    );
    edit_card(&onnx, |c| {
        c["harmonics"] = 100.into();
        c["state_size"] = 128.into();
    });
    assert!(error_of(&onnx).contains("'state_in' has shape"));
    edit_card(&onnx, |c| {
        c["state_size"] = 64.into();
        c["frame_rate_hz"] = 100.0.into();
    });
    assert!(error_of(&onnx).contains("100 frames/s"));
    edit_card(&onnx, |c| {
        c["frame_rate_hz"] = 250.0.into();
        c["harmonics"] = 500.into();
    });
    assert!(error_of(&onnx).contains("500 harmonics"));
    edit_card(&onnx, |c| {
        c["harmonics"] = 100.into();
        c["outputs"] = serde_json::json!(["amplitude", "harmonics", "noise"]);
    });
    assert!(error_of(&onnx).contains("tensors"));
    edit_card(&onnx, |c| c["format"] = 2.into());
    assert!(error_of(&onnx).contains("card format 2"));

    // A card that is not JSON, or lacks a field.
    let onnx = scratch_copy("card");
    std::fs::write(onnx.with_extension("json"), "{ not json").unwrap();
    assert!(error_of(&onnx).contains("model card"));
    let onnx = scratch_copy("field");
    edit_card(&onnx, |c| {
        c.as_object_mut().unwrap().remove("noise_bands");
    });
    let why = error_of(&onnx);
    assert!(why.contains("missing field `noise_bands`"), "{why}");
    // The unmodified copy still loads: the damage above is what failed.
    load(&scratch_copy("intact")).unwrap();
}
