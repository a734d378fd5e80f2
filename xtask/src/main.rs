//! Project tasks: `bundle` (nice-plug's bundler), `install` into the user's plugin folders, and
//! `test`, which prepares everything the real-host tests need and runs them all.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod onnxruntime;
mod validator;

const PLUGIN_CRATE: &str = "luthier";
const USAGE: &str = "Usage:
  cargo xtask install            build the release plugins and copy them into ~/.clap and ~/.vst3
  cargo xtask test [ARGS...]     set up the test venv, bundle the plugins, run every test
                                 (ARGS go to `cargo test`, e.g. a test name filter)
  cargo xtask bundle luthier [--release]
                                 write target/bundled/luthier.clap and luthier.vst3, with
                                 the ONNX Runtime library (fetched once from PyPI, cached)
  cargo xtask onnxruntime        fetch the ONNX Runtime library if needed; print its path
  cargo xtask validator          build Steinberg's VST3 validator if needed (once, from Debian's
                                 vst3sdk sources; needs cmake and a C++ compiler); print its path
  cargo xtask train --audio DIR --name NAME [--minutes 60] [--steps N] [--hidden 128] [--min-f0 HZ]
                                 train a model on your own monophonic recordings and install it
                                 into ~/.local/share/luthier/models (resumable; installs ~3 GB of
                                 PyTorch into .venv on first run)
  cargo xtask bench-pitch        pitch-tracker accuracy against pyin, crepe-tiny and PESTO on
                                 fluidsynth renders (installs ~3 GB of PyTorch on first run)
  cargo xtask bench-cpu [SECONDS [EARLIER.clap]]
                                 live CPU of the release plugins in the CLAP test host, paced at
                                 real time, beside no model and bare ONNX Runtime (each case 3
                                 times; about 25 min at the default 10 s per case)";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    nice_plug_xtask::chdir_workspace_root()?;
    match command.as_str() {
        "install" => install(),
        "test" => test(args.collect()),
        "bench-pitch" => bench_pitch(),
        "bench-cpu" => bench_cpu(args.next(), args.next()),
        "train" => train(args.collect()),
        "bundle" => {
            nice_plug_xtask::main_with_args("cargo xtask", std::iter::once(command).chain(args))?;
            onnxruntime::place_in_bundles(&target_dir().join("bundled"))
        }
        "onnxruntime" => {
            println!("{}", onnxruntime::ensure_library()?.display());
            Ok(())
        }
        "validator" => {
            println!("{}", validator::ensure_validator()?.display());
            Ok(())
        }
        "bundle-universal" | "known-packages" => {
            nice_plug_xtask::main_with_args("cargo xtask", std::iter::once(command).chain(args))
        }
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

fn step(message: &str) {
    eprintln!("\n==> {message}");
}

fn bundle(extra_args: &[&str]) -> Result<()> {
    let args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
    nice_plug_xtask::build(&[PLUGIN_CRATE.to_string()], &args)?;
    nice_plug_xtask::bundle(&target_dir(), PLUGIN_CRATE, &args, false)?;
    onnxruntime::place_in_bundles(&target_dir().join("bundled"))
}

fn install() -> Result<()> {
    step("Building the release plugins");
    bundle(&["--release"])?;
    let home = PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?);
    let bundled = target_dir().join("bundled");
    for (bundle, folder) in [
        ("luthier.clap", ".clap"),
        (onnxruntime::LIBRARY, ".clap"),
        ("luthier.vst3", ".vst3"),
    ] {
        let dest = home.join(folder).join(bundle);
        copy_replacing(&bundled.join(bundle), &dest)?;
        eprintln!("installed {}", dest.display());
    }
    // The shipped models go to the user's model folder, which both plugins search (a `.clap`
    // is a single file, so they cannot live inside it).
    let models = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home.join(".local/share"),
    }
    .join("luthier/models");
    onnxruntime::copy_models(Path::new("models"), &models)?;
    eprintln!("installed the shipped models into {}", models.display());
    eprintln!("\nDone. Rescan plugins in your DAW: Luthier (instrument) and Luthier FX (effect).");
    Ok(())
}

fn test(cargo_args: Vec<String>) -> Result<()> {
    require_fluidsynth("the training smoke test renders its phrases with")?;
    // Before the long builds, so that a missing cmake or compiler is said at once.
    step("Steinberg's VST3 validator (built once from Debian's vst3sdk sources)");
    let validator = validator::ensure_validator()?;
    eprintln!("{}", validator.display());
    step("Setting up the Python venv: the VST3 host and the training package (.venv)");
    ensure_training_venv()?;

    // The debug bundle with the allocation guard goes to its own folder first, because the
    // release bundle written next has the same file names.
    step("Building the debug plugins with assert_process_allocs");
    bundle(&["--features", "assert_process_allocs"])?;
    let bundled = target_dir().join("bundled");
    let alloc_check = target_dir().join("bundled-alloc-check");
    copy_replacing(
        &bundled.join("luthier.clap"),
        &alloc_check.join("luthier.clap"),
    )?;

    step("Building the release plugins");
    bundle(&["--release"])?;

    step("Running the tests");
    // The same feature set as the alloc-check bundle, so the test build reuses its dependencies.
    // `--all-targets` leaves out doc-tests: there are none, and their empty reports would end
    // the log.
    let runtime = onnxruntime::ensure_library()?;
    let mut child = Command::new("cargo")
        .env("LUTHIER_ONNXRUNTIME", &runtime)
        .env("LUTHIER_VST3_VALIDATOR", &validator)
        .args([
            "test",
            "--workspace",
            "--all-targets",
            // Every test binary runs, so that one failure does not hide the others.
            "--no-fail-fast",
            "--features",
            "luthier/assert_process_allocs",
        ])
        .args(&cargo_args)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not run cargo test")?;
    let (mut passed, mut failed) = (0u64, 0u64);
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        if let Some((p, f)) = parse_test_result(&line) {
            passed += p;
            failed += f;
        }
    }
    let status = child.wait()?;
    println!("\nluthier: {passed} passed, {failed} failed");
    if !status.success() {
        bail!("tests failed");
    }
    if passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

/// Counts from libtest's "test result: ok. 8 passed; 0 failed; ..." line.
fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let count = |word: &str| {
        words
            .windows(2)
            .find(|w| w[1].trim_end_matches(';') == word)
            .and_then(|w| w[0].parse::<u64>().ok())
    };
    let passed = count("passed").unwrap_or(0);
    let failed = count("failed").unwrap_or(0);
    Some((passed, failed))
}

/// Fails with the install line when fluidsynth or its General MIDI soundfont is missing, before
/// any long setup, rather than at the first render.
fn require_fluidsynth(why: &str) -> Result<()> {
    if Command::new("fluidsynth")
        .arg("--version")
        .output()
        .is_err()
        || !Path::new("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists()
    {
        bail!("{why} fluidsynth and the FluidR3_GM soundfont: install them with `apt-get install fluidsynth fluid-soundfont-gm`");
    }
    Ok(())
}

fn bench_pitch() -> Result<()> {
    require_fluidsynth("the benchmark renders with")?;
    step("Setting up the Python venv (.venv)");
    ensure_venv()?;
    ensure_requirements(
        Path::new("tests/pitch_accuracy/requirements.txt"),
        ".venv/bench-requirements.installed",
    )?;
    step("Building the command-line tool");
    run_checked(
        Command::new("cargo").args(["build", "--release", "-p", PLUGIN_CRATE, "--bin", "luthier"]),
        "build the command-line tool",
    )?;
    step("Rendering, tracking and scoring (several minutes)");
    run_checked(
        Command::new(".venv/bin/python").arg("tests/pitch_accuracy/bench.py"),
        "run the benchmark",
    )
}

/// `cargo xtask bench-cpu`: the live CPU benchmark (tests/src/bin/live_cpu.rs says how).
/// `earlier`: another build's `.clap` to measure beside this one.
fn bench_cpu(seconds: Option<String>, earlier: Option<String>) -> Result<()> {
    let seconds = seconds.unwrap_or_else(|| "10".to_string());
    if seconds.parse::<f64>().map_or(true, |s| !(s > 0.0)) {
        bail!("bench-cpu takes the seconds per case, a positive number, not '{seconds}'");
    }
    step("Building the release plugins, the benchmark host and the bare decoder");
    bundle(&["--release"])?;
    run_checked(
        Command::new("cargo").args([
            "build",
            "--release",
            "-p",
            "luthier-tests",
            "--bin",
            "live-cpu",
        ]),
        "build the benchmark host",
    )?;
    run_checked(
        Command::new("cargo").args([
            "build",
            "--release",
            "-p",
            PLUGIN_CRATE,
            "--example",
            "bare_decoder",
        ]),
        "build the bare decoder",
    )?;
    step("Measuring (each case in its own process)");
    let runtime = onnxruntime::ensure_library()?;
    run_checked(
        Command::new(target_dir().join("release/live-cpu"))
            .env("LUTHIER_ONNXRUNTIME", &runtime)
            .arg(target_dir().join("bundled/luthier.clap"))
            .arg(target_dir().join("release/examples/bare_decoder"))
            .arg(std::fs::canonicalize("models/violin.onnx")?)
            .arg(&seconds)
            .args(earlier),
        "run the benchmark",
    )
}

/// `cargo xtask train`: the training package's pipeline on the user's recordings
/// (models/training/luthier_training/custom.py says what it does).
fn train(args: Vec<String>) -> Result<()> {
    if !args.iter().any(|a| a == "--audio") || !args.iter().any(|a| a == "--name") {
        bail!("train needs --audio DIR (your recordings) and --name NAME (the model's name)\n\n{USAGE}");
    }
    step("Setting up the Python venv with the training package's pinned requirements (.venv)");
    ensure_training_venv()?;
    step("Building the command-line tool (the plugin's own feature extraction)");
    run_checked(
        Command::new("cargo").args(["build", "--release", "-p", PLUGIN_CRATE, "--bin", "luthier"]),
        "build the command-line tool",
    )?;
    let luthier = std::fs::canonicalize(target_dir().join("release/luthier"))?;
    // Relative paths in the arguments are the user's, from the workspace root.
    let root = std::env::current_dir()?;
    let args: Vec<String> = args
        .iter()
        .scan(false, |path_next, arg| {
            let out = if *path_next && !Path::new(arg).is_absolute() {
                root.join(arg).to_string_lossy().into_owned()
            } else {
                arg.clone()
            };
            *path_next = matches!(arg.as_str(), "--audio" | "--out" | "--work");
            Some(out)
        })
        .collect();
    step("Training (Ctrl-C stops it; the same command resumes)");
    run_checked(
        Command::new(root.join(".venv/bin/python"))
            .current_dir("models/training")
            .args(["-m", "luthier_training.custom"])
            .args(&args)
            .arg("--luthier")
            .arg(luthier),
        "train the model",
    )
}

/// `.venv` with the test requirements and the training package's.
fn ensure_training_venv() -> Result<()> {
    ensure_venv()?;
    ensure_requirements(
        Path::new("models/training/requirements.txt"),
        ".venv/training-requirements.installed",
    )
}

/// Creates `.venv` with the test requirements, again only when they changed.
fn ensure_venv() -> Result<()> {
    ensure_requirements(
        Path::new("tests/vst3/requirements.txt"),
        ".venv/requirements.installed",
    )
}

/// Installs a pinned requirements file into `.venv` (creating it), again only when it changed.
fn ensure_requirements(requirements: &Path, stamp: &str) -> Result<()> {
    let wanted = std::fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = Path::new(stamp);
    if std::fs::read_to_string(stamp).ok().as_deref() == Some(wanted.as_str()) {
        eprintln!("up to date");
        return Ok(());
    }
    if !Path::new(".venv/bin/python").exists() {
        run_checked(
            Command::new("python3").args(["-m", "venv", ".venv"]),
            "create the venv (is python3-venv installed?)",
        )?;
    }
    run_checked(
        Command::new(".venv/bin/python")
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(requirements),
        "install the pinned requirements",
    )?;
    std::fs::write(stamp, wanted)?;
    Ok(())
}

pub(crate) fn run_checked(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("could not {what}"))?;
    if !status.success() {
        bail!("could not {what} ({status})");
    }
    Ok(())
}

/// Copies a file or a bundle folder to `dest`, replacing what was there.
fn copy_replacing(src: &Path, dest: &Path) -> Result<()> {
    if !src.exists() {
        bail!("{} was not built", src.display());
    }
    if dest.is_dir() {
        std::fs::remove_dir_all(dest)?;
    } else if dest.exists() {
        std::fs::remove_file(dest)?;
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    copy_tree(src, dest).with_context(|| format!("copying {} to {}", src.display(), dest.display()))
}

fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dest)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dest.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(src, dest).map(|_| ())
    }
}
