//! The training pipeline end to end, small enough for CI: render a few seconds of phrases, train
//! a few steps, export, and load the result through the plugin's own ONNX Runtime; and the
//! custom-model path (`cargo xtask train` runs the same module) writing a model into the user's
//! folder, where the command-line tool finds it by name and plays it.
//!
//! Needs the project venv with the training requirements (`cargo xtask test` installs them) and
//! fluidsynth with the FluidR3_GM soundfont (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `python -m luthier_training.<module> args` from models/training/, failing with its output.
fn training(module: &str, args: &[&str], env: &[(&str, &Path)]) {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: `cargo xtask test` sets up the venv with the training requirements",
        python.display()
    );
    let mut command = Command::new(&python);
    command
        .current_dir(root().join("models/training"))
        .arg("-m")
        .arg(format!("luthier_training.{module}"))
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run the training venv's python");
    assert!(
        out.status.success(),
        "luthier_training.{module} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wav_samples(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path).unwrap();
    match reader.spec().sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let full = (1i64 << (reader.spec().bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / full)
                .collect()
        }
    }
}

#[test]
fn a_few_training_steps_make_models_the_plugin_loads_and_plays() {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("training-smoke");
    let _ = std::fs::remove_dir_all(&work);
    let luthier = env!("CARGO_BIN_EXE_luthier");
    let data = work.join("data");
    let s = |p: &Path| p.to_str().unwrap().to_owned();

    // Six seconds asked for: one training phrase and two validation phrases, 20 s each.
    training(
        "data",
        &[
            "--instrument",
            "flute",
            "--minutes",
            "0.1",
            "--out",
            &s(&data),
            "--luthier",
            luthier,
        ],
        &[],
    );
    training(
        "train",
        &[
            "--instrument",
            "flute",
            "--data",
            &s(&data),
            "--steps",
            "3",
            "--hidden",
            "16",
        ],
        &[],
    );
    let stem = work.join("flute-smoke");
    training(
        "export_trained",
        &[
            "--instrument",
            "flute",
            "--data",
            &s(&data),
            "--hidden",
            "16",
            "--out",
            &s(&stem),
        ],
        &[],
    );
    common::check_golden(&stem.with_extension("onnx"));

    // The custom path: the rendered phrases stand in for a user's recordings.
    let xdg = work.join("xdg");
    training(
        "custom",
        &[
            "--audio",
            &s(&data.join("flute")),
            "--name",
            "smoke",
            "--steps",
            "2",
            "--hidden",
            "16",
            "--work",
            &s(&work.join("custom")),
            "--luthier",
            luthier,
        ],
        &[("XDG_DATA_HOME", &xdg)],
    );
    let installed = xdg.join("luthier/models/smoke.onnx");
    assert!(
        installed.is_file(),
        "{} was not written",
        installed.display()
    );
    common::check_golden(&installed);
    let rendered = work.join("smoke.wav");
    let phrase = data.join("flute/valid/10000.wav");
    let out = Command::new(luthier)
        .env("XDG_DATA_HOME", &xdg)
        .args(["render", "--model", "smoke", "--audio"])
        .arg(&phrase)
        .arg("-o")
        .arg(&rendered)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = wav_samples(&rendered);
    assert!(samples.iter().all(|x| x.is_finite()));
    assert!(
        samples.iter().any(|x| x.abs() > 1e-4),
        "the custom model played silence"
    );
}
