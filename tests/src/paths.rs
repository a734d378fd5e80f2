//! Where `cargo xtask test` leaves the bundles and the venv the tests use.

use std::path::PathBuf;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo xtask test`, which builds it first",
        path.display()
    );
    path
}

/// The release CLAP bundle.
pub fn clap_bundle() -> PathBuf {
    existing(target_dir().join("bundled/luthier.clap"))
}

/// The release VST3 bundle.
pub fn vst3_bundle() -> PathBuf {
    existing(target_dir().join("bundled/luthier.vst3"))
}

/// The debug CLAP bundle built with `assert_process_allocs`: it aborts on any allocation in
/// `process()`.
pub fn alloc_check_clap_bundle() -> PathBuf {
    existing(target_dir().join("bundled-alloc-check/luthier.clap"))
}

pub fn venv_python() -> PathBuf {
    existing(workspace_root().join(".venv/bin/python"))
}

/// The random-weight decoder the Python exporter wrote for plumbing tests.
pub fn test_model() -> PathBuf {
    existing(workspace_root().join("models/test/luthier-test.onnx"))
}

/// A trained model that ships with the plugin (`violin`, `cello`, ...).
pub fn shipped_model(name: &str) -> PathBuf {
    existing(workspace_root().join(format!("models/{name}.onnx")))
}
