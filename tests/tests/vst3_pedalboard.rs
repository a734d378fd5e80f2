//! The release `.vst3` in a real VST3 host: runs `tests/vst3` (pytest + pedalboard) in the
//! project venv that `cargo xtask test` creates, and fails with its report.

use luthier_tests::paths::{venv_python, vst3_bundle, workspace_root};
use std::process::Command;

#[test]
fn vst3_plugins_pass_in_pedalboard() {
    let output = Command::new(venv_python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/vst3"])
        .current_dir(workspace_root())
        .env("LUTHIER_VST3", vst3_bundle())
        .output()
        .expect("run pytest in .venv");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "pedalboard tests failed:\n{report}"
    );
    // Guard against a run that collected nothing.
    assert!(report.contains(" passed"), "pytest ran no test:\n{report}");
    println!("{report}");
}
