//! The release `.clap` in a real CLAP host (clack-host): both plugins are exported with the
//! right metadata, activate at 44.1 and 96 kHz with any block pattern, play in tune, fall
//! silent after release, and pass audio through.

use luthier_tests::clap_host::{ClapBundle, ClapPlugin, Note};
use luthier_tests::paths::clap_bundle;
use luthier_tests::signal::*;

const INSTRUMENT_ID: &str = "audio.luthier.instrument";
const EFFECT_ID: &str = "audio.luthier.fx";
const RATES: [f64; 2] = [44_100.0, 96_000.0];
const MAX_BLOCK: usize = 4096;

/// How long a note rings after its note-off: the default release (80 ms) is a T60, and a
/// release falls 96 dB: 1.6 release times.
const RELEASE_SECONDS: f64 = 0.080 * 96.0 / 60.0;

fn block_patterns() -> Vec<(String, Vec<usize>)> {
    vec![
        ("1".into(), vec![1]),
        ("64".into(), vec![64]),
        ("4096".into(), vec![4096]),
        (
            "random(seed 42)".into(),
            random_block_sizes(42, 257, MAX_BLOCK),
        ),
    ]
}

fn load(id: &str) -> ClapPlugin {
    // These tests measure the engine on its fixed spectrum (no model): set once, before any
    // plugin reads it. The shipped models are tested in clap_decoder.rs.
    static NO_MODEL: std::sync::Once = std::sync::Once::new();
    NO_MODEL.call_once(|| std::env::set_var("LUTHIER_MODEL", "none"));
    ClapBundle::load(&clap_bundle())
        .unwrap()
        .instantiate(id)
        .unwrap()
}

#[test]
fn bundle_exports_both_plugins_with_their_metadata() {
    let bundle = ClapBundle::load(&clap_bundle()).unwrap();
    let descriptors = bundle.descriptors();
    assert_eq!(descriptors.len(), 2, "{descriptors:#?}");
    let find = |id: &str| {
        descriptors
            .iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let (inst, fx) = (find(INSTRUMENT_ID), find(EFFECT_ID));
    assert_eq!(inst.name, "Luthier");
    assert_eq!(fx.name, "Luthier FX");
    for d in [inst, fx] {
        assert_eq!(d.vendor, "Luthier Audio");
        assert_eq!(d.version, env!("CARGO_PKG_VERSION"));
    }
    for feature in ["instrument", "synthesizer", "stereo"] {
        assert!(
            inst.features.iter().any(|f| f == feature),
            "instrument lacks {feature}: {:?}",
            inst.features
        );
    }
    assert!(!inst.features.iter().any(|f| f == "audio-effect"));
    assert!(
        fx.features.iter().any(|f| f == "audio-effect"),
        "{:?}",
        fx.features
    );
    assert!(!fx.features.iter().any(|f| f == "instrument"));
}

#[test]
fn ports_are_midi_to_stereo_and_audio_to_stereo() {
    let mut inst = load(INSTRUMENT_ID);
    inst.activate(48_000.0, 512).unwrap();
    assert_eq!((inst.input_channels, inst.output_channels), (0, 2));
    let mut fx = load(EFFECT_ID);
    fx.activate(48_000.0, 512).unwrap();
    assert_eq!((fx.input_channels, fx.output_channels), (2, 2));
}

/// A2, C4, A4 and C6, each held 0.3 s with 0.2 s between them.
fn test_notes(rate: f64) -> Vec<Note> {
    let s = |t: f64| (t * rate).round() as usize;
    [45u8, 60, 69, 84]
        .iter()
        .enumerate()
        .map(|(i, &key)| Note {
            key,
            velocity: 0.8,
            on: s(0.05 + 0.5 * i as f64) + 7,
            off: s(0.35 + 0.5 * i as f64),
        })
        .collect()
}

#[test]
fn instrument_plays_each_note_in_tune_and_silent_after_release() {
    for rate in RATES {
        let notes = test_notes(rate);
        let frames = (2.1 * rate) as usize;
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for (name, blocks) in block_patterns() {
            let mut plugin = load(INSTRUMENT_ID);
            plugin.activate(rate, MAX_BLOCK).unwrap();
            assert_eq!(plugin.latency(), 0);
            let out = plugin.render(&[], frames, &notes, &blocks);
            let ctx = format!("{rate} Hz, blocks {name}");
            assert_eq!(out.len(), 2);
            assert_eq!(out[0], out[1], "{ctx}: mono synth on both channels");
            let x = &out[0];
            assert!(x.iter().all(|v| v.is_finite()), "{ctx}: non-finite output");
            assert_eq!(
                peak(&x[..notes[0].on]),
                0.0,
                "{ctx}: sound before the first note"
            );

            let ms = |t: f64| (t * rate / 1000.0) as usize;
            for (i, note) in notes.iter().enumerate() {
                // Events split the block at their offsets: the note starts on its sample (its
                // first sample is sin(0) = 0, so the first non-zero one follows it).
                let onset = note.on + first_above(&x[note.on..], 0.0).unwrap();
                assert!(
                    onset <= note.on + 1,
                    "{ctx}: note {i} starts at {onset}, note-on at {}",
                    note.on
                );

                let sustain = &x[note.on + ms(20.0)..note.off];
                let f0 = fundamental_hz(sustain, rate);
                let err = cents(f0, midi_key_hz(note.key));
                assert!(
                    err.abs() < 5.0,
                    "{ctx}: key {} measured {f0:.3} Hz, {err:+.2} cents",
                    note.key
                );

                // No click: the attack and release never step further than the held tone does.
                let steepest = max_step(sustain);
                let attack = &x[note.on..note.on + ms(20.0)];
                let release = &x[note.off..note.off + ms(100.0)];
                assert!(
                    max_step(attack) <= steepest * 1.05,
                    "{ctx}: click at note {i} on"
                );
                assert!(
                    max_step(release) <= steepest * 1.05,
                    "{ctx}: click at note {i} off"
                );
                assert!(
                    x[note.on].abs() < 1e-3,
                    "{ctx}: note {i} starts with a jump"
                );

                let silent_from = note.off + (RELEASE_SECONDS * rate) as usize + 1;
                let silent_to = notes.get(i + 1).map_or(frames, |n| n.on);
                assert!(
                    rms(&x[note.off - ms(50.0)..note.off]) > 0.01,
                    "{ctx}: note {i} too quiet"
                );
                assert_eq!(
                    peak(&x[silent_from..silent_to]),
                    0.0,
                    "{ctx}: note {i} still sounds after release"
                );
            }
            // Block size must not change the sound at all.
            match &reference {
                None => reference = Some(out),
                Some(r) => {
                    let diff = r[0]
                        .iter()
                        .zip(x)
                        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                    assert!(diff <= 1e-6, "{ctx}: differs from blocks of 1 by {diff}");
                }
            }
        }
    }
}

#[test]
fn instrument_velocity_sets_level() {
    let rate = 48_000.0;
    let mut plugin = load(INSTRUMENT_ID);
    plugin.activate(rate, 512).unwrap();
    let notes = [
        Note {
            key: 60,
            velocity: 1.0,
            on: 0,
            off: 9600,
        },
        Note {
            key: 60,
            velocity: 0.5,
            on: 24_000,
            off: 33_600,
        },
    ];
    let x = &plugin.render(&[], 48_000, &notes, &[512])[0];
    let loud = rms(&x[2400..9600]);
    let soft = rms(&x[26_400..33_600]);
    // General MIDI's velocity curve, 40 log10(velocity): half velocity is 12.04 dB down.
    let db = 20.0 * (soft / loud).log10();
    assert!(
        (db - 40.0 * 0.5f64.log10()).abs() < 0.5,
        "half velocity is {db:.2} dB"
    );
}

#[test]
fn reverb_size_sets_how_long_the_tail_rings() {
    // After the note has gone, the reverb's tail falls 30 dB in half its RT60.
    let rate = 48_000.0;
    let notes = [Note {
        key: 60,
        velocity: 0.9,
        on: 0,
        off: 4_800,
    }];
    let fall_30_db = |rt60: f64| {
        let mut plugin = load(INSTRUMENT_ID);
        plugin.activate(rate, 480).unwrap();
        let mix = plugin.param_id("Reverb Mix").unwrap();
        let size = plugin
            .param_id("Reverb Size")
            .expect("a Reverb Size parameter");
        plugin.set_param(mix, 1.0);
        // Skewed by nice-plug's factor 2^-1 over 0.2..3 s.
        plugin.set_param(size, ((rt60 - 0.2) / 2.8).sqrt());
        let x = plugin.render(&[], (rate * 4.0) as usize, &notes, &[480])[0].clone();
        let level = |at: usize| 20.0 * rms(&x[at..at + 480]).log10();
        // From 30 ms after the note's release (80 ms T60, at most 107 ms of it) has ended.
        let start = 4_800 + (0.14 * rate) as usize;
        let top = level(start);
        let below = (start..x.len() - 480)
            .step_by(240)
            .find(|&at| level(at) < top - 30.0)
            .expect("the tail falls 30 dB");
        (below - start) as f64 / rate
    };
    for rt60 in [0.4, 1.0, 2.5] {
        let fell = fall_30_db(rt60);
        assert!(
            (fell / (rt60 / 2.0) - 1.0).abs() < 0.2,
            "size {rt60} s: 30 dB in {fell:.3} s"
        );
    }
}

#[test]
fn reverb_mix_parameter_adds_a_tail_through_clap() {
    let rate = 48_000.0;
    let notes = [Note {
        key: 60,
        velocity: 0.9,
        on: 0,
        off: 12_000,
    }];
    let tail = |plugin: &mut ClapPlugin| {
        let x = &plugin.render(&[], 48_000, &notes, &[480])[0];
        rms(&x[20_000..30_000])
    };
    let mut dry = load(INSTRUMENT_ID);
    dry.activate(rate, 480).unwrap();
    assert_eq!(tail(&mut dry), 0.0);
    let mut wet = load(INSTRUMENT_ID);
    wet.activate(rate, 480).unwrap();
    let id = wet.param_id("Reverb Mix").expect("a Reverb Mix parameter");
    wet.set_param(id, 0.5);
    assert!(tail(&mut wet) > 1e-3, "no reverb tail");
}

#[test]
fn instrument_survives_bad_midi() {
    let rate = 44_100.0;
    let mut plugin = load(INSTRUMENT_ID);
    plugin.activate(rate, 256).unwrap();
    let mut notes = vec![
        // A note-off for a note that never started, and a doubled note-on.
        Note {
            key: 50,
            velocity: 0.7,
            on: 30_000,
            off: 100,
        },
        Note {
            key: 62,
            velocity: 0.9,
            on: 1000,
            off: 20_000,
        },
        Note {
            key: 62,
            velocity: 0.9,
            on: 1000,
            off: 20_000,
        },
    ];
    // More simultaneous notes than voices, all released together.
    notes.extend((0..20).map(|k| Note {
        key: 70 + k,
        velocity: 0.5,
        on: 2000 + k as usize,
        off: 20_000,
    }));
    let out = plugin.render(&[], 2 * 44_100, &notes, &[256]);
    let x = &out[0];
    assert!(x.iter().all(|v| v.is_finite()));
    // Everything is released by 20 000, and the stray note 50 (on at 30 000, its off earlier)
    // is never released: it must be the only thing sounding at the end.
    let end = &x[60_000..];
    let f0 = fundamental_hz(end, rate);
    assert!(
        cents(f0, midi_key_hz(50)).abs() < 5.0,
        "only key 50 should remain, got {f0} Hz"
    );
    let quiet_gap = &x[20_000 + (RELEASE_SECONDS * rate) as usize + 1..30_000];
    assert_eq!(peak(quiet_gap), 0.0, "a voice got stuck");
}

#[test]
fn effect_plays_the_pitch_it_hears() {
    for rate in RATES {
        let frames = rate as usize;
        // The tone on the left, silence on the right: the effect hears the mono mix.
        let left = sine(440.0, 0.5, rate, frames);
        let right = vec![0.0f32; frames];
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for (name, blocks) in block_patterns() {
            let mut plugin = load(EFFECT_ID);
            plugin.activate(rate, MAX_BLOCK).unwrap();
            let out = plugin.render(&[left.clone(), right.clone()], frames, &[], &blocks);
            let ctx = format!("{rate} Hz, blocks {name}");
            assert_eq!(out[0], out[1], "{ctx}: one voice on both channels");
            assert!(out[0].iter().all(|v| v.is_finite()), "{ctx}");
            let steady = &out[0][frames / 4..];
            let err = cents(fundamental_hz(steady, rate), 440.0);
            assert!(err.abs() < 5.0, "{ctx}: {err:+.2} cents");
            match &reference {
                None => reference = Some(out),
                Some(r) => assert_eq!(r, &out, "{ctx}: differs from blocks of 1"),
            }
        }
    }
}

#[test]
fn lowest_pitch_parameter_lets_the_effect_follow_a_low_note() {
    let rate = 48_000.0;
    let frames = rate as usize;
    // 48 Hz, below the default range (60 Hz): a sawtooth-like tone.
    let tone: Vec<f32> = (0..frames)
        .map(|i| {
            (1..=12)
                .map(|k| {
                    (std::f64::consts::TAU * 48.0 * k as f64 * i as f64 / rate).sin() / k as f64
                })
                .sum::<f64>() as f32
                * 0.2
        })
        .collect();
    let played = |plugin: &mut ClapPlugin| {
        plugin
            .render(&[tone.clone(), tone.clone()], frames, &[], &[512])
            .swap_remove(0)
    };
    let mut plugin = load(EFFECT_ID);
    plugin.activate(rate, 512).unwrap();
    // Out of range, the tone has no confident pitch: the effect stays silent rather than
    // playing a wrong note.
    let before = played(&mut plugin);
    assert!(
        rms(&before[frames / 2..]) < 1e-3,
        "a 48 Hz tone out of range still sounds"
    );

    let id = plugin
        .param_id("Lowest Pitch")
        .expect("a Lowest Pitch parameter");
    plugin.set_param(id, 0.0); // normalised: the bottom of its 40..500 Hz range
                               // The plugin sees the change in process() and asks the host to restart it; a host then
                               // deactivates and activates it, which builds the tracker for the new range.
    plugin.render(&[vec![0.0; 512], vec![0.0; 512]], 512, &[], &[512]);
    plugin.activate(rate, 512).unwrap();
    let after = played(&mut plugin);
    let f0 = fundamental_hz(&after[frames / 2..], rate);
    assert!(
        cents(f0, 48.0).abs() < 5.0,
        "with the range lowered, 48 Hz plays at {f0} Hz"
    );
}

/// The effect's reported latency and the delay measured to the output's -6 dB point for a
/// 440 Hz tone starting at 0.5 s (the plugin activated at `rate`), in seconds; they must agree
/// within 2 ms.
fn check_onset_latency(plugin: &mut ClapPlugin, rate: f64) -> f64 {
    let (onset, frames) = (rate as usize / 2, rate as usize);
    let mut tone = vec![0.0f32; onset];
    tone.extend(sine(440.0, 0.5, rate, frames - onset));
    let reported = plugin.latency() as f64 / rate;
    let out = &plugin.render(&[tone.clone(), tone], frames, &[], &[256])[0];
    let settled = rms_ms(out, frames - (0.1 * rate) as usize, rate);
    let measured = half_level_delay(out, onset, rate, settled).unwrap();
    assert!(
        (measured - reported).abs() <= 0.002,
        "{rate} Hz: reported {:.1} ms, measured {:.1} ms",
        reported * 1e3,
        measured * 1e3
    );
    reported
}

#[test]
fn effect_reports_the_latency_it_has() {
    for rate in RATES {
        let mut plugin = load(EFFECT_ID);
        plugin.activate(rate, 256).unwrap();
        check_onset_latency(&mut plugin, rate);
    }
}

#[test]
fn effect_reports_the_latency_its_pitch_look_ahead_adds() {
    // With Pitch Look-Ahead at 16 ms, after the restart the change asks for, the onset waits
    // that long more and the report says so.
    let rate = 48_000.0;
    let mut plugin = load(EFFECT_ID);
    plugin.activate(rate, 256).unwrap();
    let without = plugin.latency() as f64 / rate;
    let id = plugin
        .param_id("Pitch Look-Ahead")
        .expect("a Pitch Look-Ahead parameter");
    plugin.set_param(id, 0.5);
    plugin.render(&[vec![0.0; 256], vec![0.0; 256]], 256, &[], &[256]);
    plugin.activate(rate, 256).unwrap();
    let reported = check_onset_latency(&mut plugin, rate);
    assert!(
        (reported - without - 0.016).abs() < 1e-4,
        "reported {reported} s, {without} s without"
    );
}

#[test]
fn effect_on_a_mono_track_plays_on_both_outputs() {
    let rate = 48_000.0;
    let mut plugin = load(EFFECT_ID);
    plugin.select_layout(1, 2).unwrap();
    plugin.activate(rate, 512).unwrap();
    assert_eq!((plugin.input_channels, plugin.output_channels), (1, 2));
    let input = sine(220.0, 0.5, rate, 24_000);
    let out = plugin.render(&[input.clone()], 24_000, &[], &[512]);
    assert_eq!(out[0], out[1]);
    assert!(cents(fundamental_hz(&out[0][8000..], rate), 220.0).abs() < 5.0);

    plugin.select_layout(1, 1).unwrap();
    plugin.activate(rate, 512).unwrap();
    let out = plugin.render(&[input.clone()], 24_000, &[], &[100]);
    assert_eq!(out.len(), 1);
    assert!(cents(fundamental_hz(&out[0][8000..], rate), 220.0).abs() < 5.0);
}

#[test]
fn effect_survives_non_finite_input() {
    let rate = 48_000.0;
    let mut plugin = load(EFFECT_ID);
    plugin.activate(rate, 128).unwrap();
    let mut left = sine(220.0, 0.5, rate, 4800);
    let mut right = left.clone();
    left[100] = f32::NAN;
    right[2000] = f32::INFINITY;
    left[3000] = f32::NEG_INFINITY;
    let out = plugin.render(&[left.clone(), right.clone()], 4800, &[], &[128]);
    assert!(out.iter().flatten().all(|v| v.is_finite()));
    assert!(
        out[0][2400..].iter().any(|v| v.abs() > 1e-3),
        "a few bad samples silenced the effect"
    );
}

/// Every common rate from 8 kHz to 384 kHz.
const ALL_RATES: [f64; 12] = [
    8_000.0, 11_025.0, 16_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0,
    176_400.0, 192_000.0, 384_000.0,
];

#[test]
fn both_plugins_play_in_tune_at_every_rate_from_8_to_384_khz() {
    for rate in ALL_RATES {
        let mut inst = load(INSTRUMENT_ID);
        inst.activate(rate, 512)
            .unwrap_or_else(|e| panic!("instrument refused {rate} Hz: {e}"));
        let len = rate as usize / 2;
        let notes = [Note {
            key: 69,
            velocity: 1.0,
            on: 0,
            off: len,
        }];
        let x = &inst.render(&[], len, &notes, &[512])[0];
        assert!(
            x.iter().all(|v| v.is_finite()),
            "{rate} Hz: non-finite output"
        );
        let f0 = fundamental_hz(&x[rate as usize / 50..], rate);
        assert!(
            cents(f0, 440.0).abs() < 5.0,
            "instrument at {rate} Hz: {f0:.2} Hz"
        );

        let mut fx = load(EFFECT_ID);
        fx.activate(rate, 512)
            .unwrap_or_else(|e| panic!("effect refused {rate} Hz: {e}"));
        let input = sine(330.0, 0.5, rate, len);
        let y = &fx.render(&[input.clone(), input], len, &[], &[512])[0];
        assert!(
            y.iter().all(|v| v.is_finite()),
            "{rate} Hz: non-finite output"
        );
        let f0 = fundamental_hz(&y[len / 2..], rate);
        assert!(
            cents(f0, 330.0).abs() < 5.0,
            "effect at {rate} Hz: {f0:.2} Hz"
        );
    }
}

#[test]
fn rates_outside_8_to_384_khz_are_refused() {
    for rate in [4_000.0, 768_000.0] {
        for id in [INSTRUMENT_ID, EFFECT_ID] {
            let mut plugin = load(id);
            assert!(
                plugin.activate(rate, 64).is_err(),
                "{id} accepted {rate} Hz"
            );
        }
    }
}

/// Normalised values of the Output Gain knob (-60..12 dB).
fn output_gain(db: f64) -> f64 {
    (db + 60.0) / 72.0
}

#[test]
fn automation_takes_effect_from_its_own_sample() {
    // 24 137 is inside the block that starts at 24 064 (blocks of 512): a change applied at
    // the block's start would change the output from there.
    let (at, len, rate) = (24_137usize, 48_000usize, 48_000.0);
    let input = sine(220.0, 0.5, rate, len);
    let note = [Note {
        key: 57,
        velocity: 0.8,
        on: 100,
        off: len,
    }];
    for id in [INSTRUMENT_ID, EFFECT_ID] {
        let render = |change: Option<(&str, f64)>| {
            let mut plugin = load(id);
            plugin.set_offline(true).unwrap();
            plugin.activate(rate, 4096).unwrap();
            if let Some((name, value)) = change {
                let param = plugin.param_id(name).unwrap();
                plugin.set_param_at(at, param, value);
            }
            let input: Vec<Vec<f32>> = if id == EFFECT_ID {
                vec![input.clone(), input.clone()]
            } else {
                vec![]
            };
            plugin.render(&input, len, &note, &[512]).swap_remove(0)
        };
        let plain = render(None);
        let quieter = render(Some(("Output Gain", output_gain(-6.0))));
        assert_eq!(
            plain[..at],
            quieter[..at],
            "{id}: Output Gain changed the output before its sample"
        );
        assert!(
            plain[at] != quieter[at],
            "{id}: Output Gain did not change the output at its sample"
        );
        // 20 ms later the ramp is done: 6 dB down.
        let db = 20.0
            * (rms(&quieter[at + 1_000..at + 9_000]) / rms(&plain[at + 1_000..at + 9_000])).log10();
        assert!(
            (db + 6.0).abs() < 0.1,
            "{id}: Output Gain moved the level {db:.2} dB"
        );
        if id == EFFECT_ID {
            // What the tracker hears changes at the sample too; the output follows a latency later.
            let louder = render(Some(("Input Gain", 0.5 + 6.0 / 80.0)));
            assert_eq!(
                plain[..at],
                louder[..at],
                "Input Gain acted before its sample"
            );
            assert!(plain[at..] != louder[at..], "Input Gain did nothing");
        }
    }
}

#[test]
fn bypass_crossfades_to_the_dry_signal_and_keeps_the_latency() {
    let (rate, len) = (48_000.0, 48_000usize);
    let (on, off) = (16_000usize, 32_000usize);
    let input = sine(220.0, 0.5, rate, len);
    for id in [EFFECT_ID, INSTRUMENT_ID] {
        let mut plugin = load(id);
        plugin.activate(rate, 512).unwrap();
        let bypass = plugin
            .bypass_param_id()
            .unwrap_or_else(|| panic!("{id} has no parameter flagged as the host's bypass"));
        let latency = plugin.latency() as usize;
        plugin.set_param_at(on, bypass, 1.0);
        plugin.set_param_at(off, bypass, 0.0);
        let note = [Note {
            key: 57,
            velocity: 0.8,
            on: 0,
            off: len,
        }];
        let is_effect = id == EFFECT_ID;
        let inputs = if is_effect {
            vec![input.clone(), input.clone()]
        } else {
            vec![]
        };
        let out = plugin.render(&inputs, len, &note, &[512]).swap_remove(0);
        assert_eq!(
            plugin.latency() as usize,
            latency,
            "{id}: bypass changed the latency"
        );
        // Bypassed (after a crossfade of at most 20 ms): the input delayed by the latency, or
        // silence for the instrument.
        let settled = on + (0.02 * rate) as usize..off;
        for i in settled {
            let dry = if is_effect { input[i - latency] } else { 0.0 };
            assert!(
                (out[i] - dry).abs() < 1e-6,
                "{id}: bypassed output at {i} is {}, the delayed input {dry}",
                out[i]
            );
        }
        // Neither switch clicks: no step beyond the steepest of the signals on either side.
        let steepest = max_step(&out[4_800..on]).max(max_step(&input));
        for at in [on, off] {
            let around = max_step(&out[at - 480..at + 2_400]);
            assert!(
                around <= 1.05 * steepest,
                "{id}: a click at sample {at}: step {around}, the signals' own {steepest}"
            );
        }
        // Back from bypass, the plugin plays again.
        assert!(rms(&out[off + 4_800..]) > 0.01, "{id}: silent after bypass");
    }
}

#[test]
fn the_effects_pitch_range_changes_while_playing() {
    let rate = 48_000.0;
    let frames = 2 * rate as usize;
    // 48 Hz, below the default range (60 Hz): a sawtooth-like tone.
    let tone: Vec<f32> = (0..frames)
        .map(|i| {
            (1..=12)
                .map(|k| {
                    (std::f64::consts::TAU * 48.0 * k as f64 * i as f64 / rate).sin() / k as f64
                })
                .sum::<f64>() as f32
                * 0.2
        })
        .collect();
    let mut plugin = load(EFFECT_ID);
    plugin.activate(rate, 512).unwrap();
    let id = plugin
        .param_id("Lowest Pitch")
        .expect("a Lowest Pitch parameter");
    // Halfway through, the bottom of the range goes down to 40 Hz (normalised 0), with no
    // restart: the rest of the tone plays.
    plugin.set_param_at(frames / 2, id, 0.0);
    let out = plugin
        .render(&[tone.clone(), tone.clone()], frames, &[], &[512])
        .swap_remove(0);
    assert!(
        rms(&out[frames / 4..frames / 2]) < 1e-3,
        "a 48 Hz tone out of range still sounds"
    );
    let f0 = fundamental_hz(&out[frames * 3 / 4..], rate);
    assert!(
        cents(f0, 48.0).abs() < 5.0,
        "with the range lowered mid-stream, 48 Hz plays at {f0} Hz"
    );
}

#[test]
fn state_round_trip_restores_every_parameter_and_renders_the_same() {
    let rate = 48_000.0;
    let input = sine(262.0, 0.4, rate, 24_000);
    let note = [Note {
        key: 60,
        velocity: 0.7,
        on: 50,
        off: 20_000,
    }];
    for id in [INSTRUMENT_ID, EFFECT_ID] {
        let mut first = load(id);
        first.activate(rate, 512).unwrap();
        let params: Vec<_> = first
            .params()
            .into_iter()
            .filter(|(name, _)| name != "Model" && name != "Bypass")
            .collect();
        assert!(params.len() >= 3, "{id}: {params:?}");
        for (k, (_, param)) in params.iter().enumerate() {
            first.set_param(*param, 0.3 + 0.1 * k as f64);
        }
        let inputs = if id == EFFECT_ID {
            vec![input.clone(), input.clone()]
        } else {
            vec![]
        };
        first.render(&inputs, 512, &[], &[512]);
        let state = first.save_state().unwrap();
        let mut second = load(id);
        second.load_state(&state).unwrap();
        second.activate(rate, 512).unwrap();
        for (name, param) in &params {
            assert_eq!(
                first.param_value(*param),
                second.param_value(*param),
                "{id}: {name} did not come back"
            );
        }
        first.activate(rate, 512).unwrap();
        let a = first.render(&inputs, 24_000, &note, &[512]);
        let b = second.render(&inputs, 24_000, &note, &[512]);
        assert!(a == b, "{id}: the restored instance plays differently");
    }
}
