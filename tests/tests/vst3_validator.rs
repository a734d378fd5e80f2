//! Steinberg's VST3 validator (the SDK's conformance suite, built by `cargo xtask test` from
//! Debian's vst3sdk sources) on the release `.vst3`: every test passes for both plugins, at every
//! rate it tries (22.05 to 384 kHz) and with the 8192-sample maximum block it announces, it
//! finds the host bypass parameter in each, and it finds the buses each should have: the effect's
//! note output as a VST3 event output (which it activates), the instrument's event input.

use luthier_tests::paths::{vst3_bundle, workspace_root};
use luthier_tests::run::report;
use std::process::Command;

fn validator() -> std::path::PathBuf {
    let path = std::env::var_os("LUTHIER_VST3_VALIDATOR").expect(
        "LUTHIER_VST3_VALIDATOR is not set: run the tests with `cargo xtask test`, which builds it",
    );
    std::path::PathBuf::from(path)
}

fn validate(model: Option<&str>) -> String {
    let mut command = Command::new(validator());
    command.arg(vst3_bundle()).current_dir(workspace_root());
    match model {
        Some(m) => command.env("LUTHIER_MODEL", m),
        None => command.env_remove("LUTHIER_MODEL"),
    };
    report(&mut command, &format!("the validator (model {model:?})"))
}

#[test]
fn both_plugins_pass_steinbergs_validator_with_and_without_a_model() {
    for model in [None, Some("none")] {
        let report = validate(model);
        let result = report
            .lines()
            .find(|l| l.contains("Result:"))
            .unwrap_or_else(|| panic!("no result line:\n{report}"));
        assert!(
            result.contains(" 0 tests failed"),
            "model {model:?}: {result}\n{report}"
        );
        assert!(
            !report.contains("No bypass parameter found"),
            "model {model:?}: a plugin has no bypass parameter:\n{report}"
        );
        let section = |name: &str| {
            let start = report
                .find(&format!("TestSuite : {name}\n"))
                .unwrap_or_else(|| panic!("no test suite for {name}:\n{report}"));
            let rest = &report[start + 1..];
            rest[..rest.find("\nTestSuite : Luthier").unwrap_or(rest.len())].to_string()
        };
        let (instrument, effect) = (section("Luthier"), section("Luthier FX"));
        assert!(
            instrument.contains("=> Event Buses: [1 In(s) => 0 Out(s)]"),
            "the instrument's event buses:\n{instrument}"
        );
        for expected in [
            "=> Event Buses: [0 In(s) => 1 Out(s)]",
            "Out[0]: \"Note Output\"",
            "Bus Activation: Output Event Bus (0)",
        ] {
            assert!(
                effect.contains(expected),
                "model {model:?}: the effect's report lacks '{expected}':\n{effect}"
            );
        }
        println!("model {model:?}: {result}");
    }
}
