//! The audio thread must not allocate. The debug bundle built with nice-plug's
//! `assert_process_allocs` aborts on any allocation inside `process()`; this drives it through
//! the CLAP host with notes, audio, every block pattern and both rates. The host runs in a child
//! process so that an abort becomes a test failure with the child's output, and a canary build
//! path proves that the guard really fires through this host.

use luthier_tests::clap_host::{ClapBundle, Note, Pacing};
use luthier_tests::display::{layout_entry, Screen};
use luthier_tests::paths::{alloc_check_clap_bundle, test_model};
use luthier_tests::signal::{random_block_sizes, sine};
use std::process::{Command, Output};

const CHILD_ENV: &str = "LUTHIER_ALLOC_TEST_CHILD";
const CANARY_ENV: &str = "LUTHIER_ALLOC_CANARY";

/// Runs this test binary again, executing only `child_exercise_both_plugins` for real.
fn run_child(canary: bool) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        "child_exercise_both_plugins",
        "--nocapture",
        "--test-threads=1",
    ]);
    // Both plugins play through the decoder (the test model), whose hand-off must not allocate
    // either.
    command
        .env(CHILD_ENV, "1")
        .env("NICE_LOG", "stderr")
        .env("LUTHIER_MODEL", test_model());
    if canary {
        command.env(CANARY_ENV, "1");
    } else {
        command.env_remove(CANARY_ENV);
    }
    command.output().expect("spawn the child test")
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn process_does_not_allocate_in_either_plugin() {
    let output = run_child(false);
    assert!(
        output.status.success(),
        "process() allocated or failed:\n{}",
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("exercised both plugins"),
        "the child did not run:\n{}",
        describe(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .matches("playing model 'luthier-test'")
            .count()
            >= 2,
        "the plugins did not load the decoder:\n{}",
        describe(&output)
    );
}

#[test]
fn guard_fires_when_process_allocates() {
    let output = run_child(true);
    assert!(
        !output.status.success(),
        "the canary allocated in process() and nothing noticed:\n{}",
        describe(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .to_lowercase()
            .contains("memory allocation of 16 bytes"),
        "aborted for another reason:\n{}",
        describe(&output)
    );
}

/// Only does work when spawned by the tests above; a direct run passes trivially.
#[test]
fn child_exercise_both_plugins() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let bundle = ClapBundle::load(&alloc_check_clap_bundle()).unwrap();
    let patterns = [
        vec![1],
        vec![64],
        vec![4096],
        random_block_sizes(9, 101, 4096),
    ];
    for rate in [44_100.0, 96_000.0] {
        let frames = (0.6 * rate) as usize;
        // Overlapping notes, more than there are voices, a repeated key and a stray note-off.
        let mut notes: Vec<Note> = (0..10)
            .map(|k| Note {
                key: 48 + 3 * k,
                velocity: 0.7,
                on: 100 + 997 * k as usize,
                off: frames / 2,
            })
            .collect();
        notes.push(Note {
            key: 48,
            velocity: 1.0,
            on: frames / 3,
            off: frames / 3 + 5000,
        });
        notes.push(Note {
            key: 20,
            velocity: 0.3,
            on: frames,
            off: 10,
        });
        let input = vec![
            sine(330.0, 0.5, rate, frames),
            sine(331.0, 0.5, rate, frames),
        ];
        for blocks in &patterns {
            // Dry (the reverb skipped), then with the reverb running.
            for reverb in [0.0, 0.4] {
                // Both plugins play through the decoder: offline (the audio thread waits for
                // replies) when dry, in real time (it never waits) with the reverb.
                let offline = reverb == 0.0;
                let mut inst = bundle.instantiate("audio.luthier.instrument").unwrap();
                inst.set_offline(offline).unwrap();
                inst.activate(rate, 4096).unwrap();
                let id = inst
                    .param_id("Reverb Mix")
                    .expect("the instrument has a reverb");
                inst.set_param(id, reverb);
                let out = inst.render(&[], frames, &notes, blocks);
                assert!(!offline || out[0].iter().any(|v| *v != 0.0));
                let mut fx = bundle.instantiate("audio.luthier.fx").unwrap();
                fx.set_offline(offline).unwrap();
                fx.activate(rate, 4096).unwrap();
                let id = fx.param_id("Reverb Mix").expect("the effect has a reverb");
                fx.set_param(id, reverb);
                let out = fx.render(&input, frames, &[], blocks);
                assert!(!offline || out[0].iter().any(|v| *v != 0.0));
            }
        }
    }
    // With the editor open, the audio thread also fills the live views' queue: played live,
    // so that the editor draws while process() runs, and closed again while playing.
    let screen = Screen::start().expect("the editor part needs Xvfb");
    let rate = 48_000.0;
    let frames = rate as usize;
    let notes: Vec<Note> = (0..4)
        .map(|k| Note {
            key: 60 + 4 * k,
            velocity: 0.8,
            on: 2000 * k as usize,
            off: frames - 4000,
        })
        .collect();
    let input = vec![
        sine(330.0, 0.5, rate, frames),
        sine(330.0, 0.5, rate, frames),
    ];
    let layout =
        std::env::temp_dir().join(format!("luthier-alloc-layout-{}.json", std::process::id()));
    for id in ["audio.luthier.instrument", "audio.luthier.fx"] {
        let _ = std::fs::remove_file(&layout);
        // SAFETY: this child process runs this one test alone.
        unsafe { std::env::set_var("LUTHIER_EDITOR_LAYOUT", &layout) };
        let mut plugin = bundle.instantiate(id).unwrap();
        plugin.activate(rate, 512).unwrap();
        plugin.set_pacing(Pacing::WallClock);
        let parent = screen.window(1100, 700).unwrap();
        plugin.open_editor(parent).unwrap();
        let is_fx = id.ends_with("fx");
        let signal: &[Vec<f32>] = if is_fx { &input } else { &[] };
        let out = plugin.render(signal, frames, if is_fx { &[] } else { &notes }, &[256]);
        assert!(out[0].iter().any(|v| *v != 0.0));
        // The views were fed while process() ran: the path this part is here to check.
        let [fed, ..] = layout_entry(&layout, "scope_frames").unwrap();
        assert!(
            fed >= 50.0,
            "{id}: the editor took in only {fed} live frames"
        );
        plugin.close_editor();
        plugin.render(signal, frames / 4, &[], &[256]);
    }
    println!("exercised both plugins");
}
