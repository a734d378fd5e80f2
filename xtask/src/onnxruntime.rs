//! The ONNX Runtime shared library the plugins load at run time: fetched once from its PyPI
//! wheel (a registry package, so it works where only the registries are reachable), cached
//! under ~/.cache/luthier, and copied into the bundles so that an installed plugin needs no
//! Python and no network.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const VERSION: &str = "1.32.0";
pub const LIBRARY: &str = "libonnxruntime.so.1.32.0";
/// The wheel pip may take (pip checks it against the hash), and its member we keep.
const WHEEL_SHA256: &str = "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d";
const WHEEL_PLATFORM: &str = "manylinux_2_28_x86_64";
const WHEEL_PYTHON: &str = "3.11";
const MEMBER: &str = "onnxruntime/capi/libonnxruntime.so.1.32.0";

fn cache_dir() -> Result<PathBuf> {
    // As the plugin's lookup reads it (plugin/src/model/runtime.rs): empty means unset.
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(base.join("luthier").join(format!("onnxruntime-{VERSION}")))
}

/// The cached library, fetched first if it is not there yet.
pub fn ensure_library() -> Result<PathBuf> {
    let dir = cache_dir()?;
    let library = dir.join(LIBRARY);
    if library.exists() {
        return Ok(library);
    }
    eprintln!(
        "fetching ONNX Runtime {VERSION} from its PyPI wheel (once; cached in {})",
        dir.display()
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // A venv of its own gives a pip even where the system Python has none.
    let venv = dir.join("venv");
    if !venv.join("bin/python").exists() {
        crate::run_checked(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "create a venv to fetch ONNX Runtime (is python3-venv installed?)",
        )?;
    }
    let requirements = dir.join("requirements.txt");
    std::fs::write(
        &requirements,
        format!("onnxruntime=={VERSION} --hash=sha256:{}\n", WHEEL_SHA256),
    )?;
    let wheels = dir.join("wheels");
    crate::run_checked(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
            ])
            .args([
                "--platform",
                WHEEL_PLATFORM,
                "--python-version",
                WHEEL_PYTHON,
                "--require-hashes",
                "-r",
            ])
            .arg(&requirements)
            .arg("-d")
            .arg(&wheels),
        "download the onnxruntime wheel from PyPI",
    )?;
    let wheel = std::fs::read_dir(&wheels)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip downloaded no wheel")?;
    extract(&venv, &wheel, &library)?;
    std::fs::remove_dir_all(&wheels).ok();
    Ok(library)
}

/// Unzips the one member with the venv's Python (no unzip tool needed), via a temporary name so
/// that an interrupted fetch never leaves a truncated library behind.
fn extract(venv: &Path, wheel: &Path, library: &Path) -> Result<()> {
    let partial = library.with_extension("partial");
    let script = "import sys, zipfile, shutil\n\
                  with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    crate::run_checked(
        Command::new(venv.join("bin/python"))
            .args(["-c", script])
            .arg(wheel)
            .arg(MEMBER)
            .arg(&partial),
        "extract the ONNX Runtime library from its wheel",
    )?;
    std::fs::rename(&partial, library)?;
    Ok(())
}

/// Puts the library where the plugins look for it (inside the `.vst3` bundle, beside the
/// `.clap` and the command-line tool), and the shipped models (`models/*.onnx` with their cards,
/// not the test models in subfolders) in a `models/` folder beside each.
pub fn place_in_bundles(bundled: &Path) -> Result<()> {
    place_library(bundled)?;
    for dir in [
        bundled.join("luthier.vst3/Contents/x86_64-linux"),
        bundled.to_path_buf(),
    ] {
        copy_models(Path::new("models"), &dir.join("models"))?;
    }
    Ok(())
}

/// Copies every `<name>.onnx` in `from` that has its `<name>.json` card into `to`.
pub fn copy_models(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let card = path.with_extension("json");
        if path.extension().is_some_and(|e| e == "onnx") && card.is_file() {
            for file in [&path, &card] {
                let dest = to.join(file.file_name().expect("a file"));
                std::fs::copy(file, &dest)
                    .with_context(|| format!("copying {} to {}", file.display(), dest.display()))?;
            }
        }
    }
    Ok(())
}

fn place_library(bundled: &Path) -> Result<()> {
    let library = ensure_library()?;
    let vst3 = bundled.join("luthier.vst3/Contents/x86_64-linux");
    if !vst3.is_dir() {
        bail!("{} was not built", vst3.display());
    }
    for dest in [vst3.join(LIBRARY), bundled.join(LIBRARY)] {
        std::fs::copy(&library, &dest)
            .with_context(|| format!("copying {} to {}", library.display(), dest.display()))?;
    }
    Ok(())
}
