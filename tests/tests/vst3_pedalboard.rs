//! The release `.vst3` in a real VST3 host: runs `tests/vst3` (pytest + pedalboard) in the
//! project venv that `cargo xtask test` creates, and fails with its report.

use luthier_tests::paths::{venv_python, vst3_bundle, workspace_root};
use luthier_tests::run::report;
use std::process::Command;

#[test]
fn vst3_plugins_pass_in_pedalboard() {
    let report = report(
        Command::new(venv_python())
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/vst3"])
            .current_dir(workspace_root())
            .env("LUTHIER_VST3", vst3_bundle()),
        "the pedalboard tests",
    );
    // Guard against a run that collected nothing.
    assert!(report.contains(" passed"), "pytest ran no test:\n{report}");
    println!("{report}");
}
