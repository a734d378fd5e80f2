//! Running a tool the tests drive (the VST3 host in its venv, Steinberg's validator) and keeping
//! what it printed, so that a failure shows its whole report.

use std::process::Command;

/// Runs `command` and returns its stdout and stderr, one after the other; fails the test with
/// that report when the command fails (`what` says what it was).
pub fn report(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run {what}: {e}"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{report}");
    report
}
