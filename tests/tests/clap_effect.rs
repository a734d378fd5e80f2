//! The effect's own controls through the release `.clap` in the CLAP host, on the fixed
//! spectrum (no model), which plays exactly the pitch the effect decides: a pitch shift moves
//! the output by its interval, correction puts the pitch on the scale, the gate silences what is
//! under it, Dry/Wet at 0 is the input delayed by the reported latency, and Pitch Look-Ahead
//! adds its wait to that latency (after the restart it asks for).

use luthier_tests::clap_host::{ClapBundle, ClapPlugin};
use luthier_tests::paths::clap_bundle;
use luthier_tests::signal::*;

const EFFECT_ID: &str = "audio.luthier.fx";
const RATE: f64 = 48_000.0;

fn load() -> ClapPlugin {
    static NO_MODEL: std::sync::Once = std::sync::Once::new();
    NO_MODEL.call_once(|| std::env::set_var("LUTHIER_MODEL", "none"));
    let mut plugin = ClapBundle::load(&clap_bundle())
        .unwrap()
        .instantiate(EFFECT_ID)
        .unwrap();
    plugin.activate(RATE, 512).unwrap();
    plugin
}

/// Sets knobs (by name, CLAP values) before the render.
fn set(plugin: &mut ClapPlugin, knobs: &[(&str, f64)]) {
    for (name, value) in knobs {
        let id = plugin
            .param_id(name)
            .unwrap_or_else(|| panic!("no knob {name}"));
        plugin.set_param(id, *value);
    }
}

fn play(plugin: &mut ClapPlugin, input: &[f32]) -> Vec<f32> {
    let out = plugin.render(&[input.to_vec(), input.to_vec()], input.len(), &[], &[512]);
    out[0].clone()
}

#[test]
fn a_pitch_shift_moves_the_output_by_its_interval() {
    let input = sine(220.0, 0.5, RATE, RATE as usize);
    // (semitones, cents): Pitch Shift is stepped (its CLAP value is the step, -24 at 0); Fine
    // Tune is continuous (normalised over -100..100 ct).
    for (semitones, fine) in [(7, 0.0), (-12, 0.0), (24, 0.0), (-5, 30.0)] {
        let mut plugin = load();
        set(
            &mut plugin,
            &[
                ("Pitch Shift", (semitones + 24) as f64),
                ("Fine Tune", (fine + 100.0) / 200.0),
            ],
        );
        let out = play(&mut plugin, &input);
        let expected = 220.0 * 2f64.powf((semitones as f64 + fine / 100.0) / 12.0);
        let got = fundamental_hz(&out[out.len() / 4..], RATE);
        let err = cents(got, expected);
        assert!(
            err.abs() < 3.0,
            "shift {semitones} st {fine:+} ct: {got:.2} Hz, {err:+.2} ct off"
        );
    }
}

/// The MIDI note the glide's input is at, sample `i`.
fn glide_note(i: usize, len: usize) -> f64 {
    // 200 to 400 Hz, exponentially: one octave.
    let hz = 200.0 * 2f64.powf(i as f64 / len as f64);
    69.0 + 12.0 * (hz / 440.0).log2()
}

/// C major's nearest note to a MIDI note.
fn nearest_c_major(note: f64) -> f64 {
    const STEPS: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
    let base = note.floor() as i32;
    ((base - 2)..=(base + 2))
        .filter(|n| STEPS.contains(&n.rem_euclid(12)))
        .map(|n| n as f64)
        .min_by(|a, b| (a - note).abs().total_cmp(&(b - note).abs()))
        .unwrap()
}

#[test]
fn correction_at_full_strength_puts_the_pitch_on_the_scale() {
    let len = 2 * RATE as usize;
    let mut phase = 0.0f64;
    let input: Vec<f32> = (0..len)
        .map(|i| {
            let hz = 440.0 * 2f64.powf((glide_note(i, len) - 69.0) / 12.0);
            phase = (phase + hz / RATE).fract();
            (0.5 * (std::f64::consts::TAU * phase).sin()) as f32
        })
        .collect();
    // Correction is an enum (Off, Chromatic, Major, ...: Major is step 2), key C (step 0);
    // strength 100 % and an instant retune are the defaults.
    let measure = |strength: f64| {
        let mut plugin = load();
        set(
            &mut plugin,
            &[
                ("Correction", 2.0),
                ("Key", 0.0),
                ("Correction Strength", strength),
            ],
        );
        let out = play(&mut plugin, &input);
        let (window, hop) = ((0.02 * RATE) as usize, (0.01 * RATE) as usize);
        let mut errors = Vec::new();
        let mut start = (0.1 * RATE) as usize;
        while start + window < len {
            // Only windows whose input stays nearest one scale note (a margin either side for
            // the tracker's delay): a window across a step measures the step.
            let margin = (0.03 * RATE) as usize;
            let (a, b) = (
                start.saturating_sub(margin),
                (start + window + margin).min(len - 1),
            );
            let target = nearest_c_major(glide_note(a, len));
            if nearest_c_major(glide_note(b, len)) == target {
                let hz = fundamental_hz(&out[start..start + window], RATE);
                let note = 69.0 + 12.0 * (hz / 440.0).log2();
                errors.push(100.0 * (note - target));
            }
            start += hop;
        }
        errors
    };
    let corrected = measure(1.0);
    assert!(corrected.len() > 80, "{} windows", corrected.len());
    let worst = corrected.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    assert!(
        worst < 5.0,
        "a corrected frame is {worst:.2} ct off the scale"
    );
    // Without correction the glide is heard: far from the scale most of the way.
    let off = measure(0.0).iter().filter(|e| e.abs() > 20.0).count();
    assert!(
        off > corrected.len() / 2,
        "uncorrected, only {off} windows off the scale"
    );
}

#[test]
fn the_gate_silences_what_is_under_it() {
    // Gate is normalised over -80..-20 dB: -30 dB at 5/6.
    let quiet = sine(220.0, 0.003, RATE, RATE as usize);
    let loud = sine(220.0, 0.5, RATE, RATE as usize);
    let gated = |input: &[f32], gate: f64| {
        let mut plugin = load();
        set(&mut plugin, &[("Gate", gate)]);
        peak(&play(&mut plugin, input))
    };
    let open = gated(&quiet, 0.0);
    assert!(open > 0.0, "the quiet tone plays with the gate open");
    assert_eq!(
        gated(&quiet, 5.0 / 6.0),
        0.0,
        "the quiet tone passed a -30 dB gate"
    );
    assert!(gated(&loud, 5.0 / 6.0) > 0.05, "the loud tone is gated too");
}

#[test]
fn dry_wet_at_zero_is_the_input_delayed_by_the_latency() {
    let mut plugin = load();
    let latency = plugin.latency() as usize;
    assert!(latency > 0);
    set(&mut plugin, &[("Dry/Wet", 0.0)]);
    let len = RATE as usize / 2;
    let left = sine(330.0, 0.4, RATE, len);
    let right = sine(331.0, 0.3, RATE, len);
    let out = plugin.render(&[left.clone(), right.clone()], len, &[], &[512]);
    // After the knob's 20 ms ramp, exactly the input, each channel its own, a latency late.
    let from = (0.03 * RATE) as usize;
    for (channel, input) in [(0, &left), (1, &right)] {
        for i in from..len {
            assert_eq!(
                out[channel][i],
                input[i - latency],
                "channel {channel}, sample {i}"
            );
        }
    }
    // At 100 % it is the plugin's sound, not the input.
    let mut wet = load();
    let out = wet.render(&[left.clone(), right.clone()], len, &[], &[512]);
    assert!(out[1][from..]
        .iter()
        .zip(&right[from - latency..])
        .any(|(o, r)| o != r));
}

#[test]
fn pitch_look_ahead_waits_in_the_latency_and_the_dry_path_and_restarts_the_plugin_to_change() {
    let mut plugin = load();
    let without = plugin.latency() as usize;
    // The knob's top, 32 ms: the plugin sees it in process() and asks to be restarted, since
    // a host takes a new latency only at activation; activating again builds it.
    set(&mut plugin, &[("Pitch Look-Ahead", 1.0), ("Dry/Wet", 0.0)]);
    plugin.render(&[vec![0.0; 512], vec![0.0; 512]], 512, &[], &[512]);
    assert!(plugin.take_restart_request(), "no restart asked for");
    assert_eq!(
        plugin.latency() as usize,
        without,
        "the latency moved before the restart"
    );
    plugin.activate(RATE, 512).unwrap();
    let latency = plugin.latency() as usize;
    assert_eq!(latency, without + (0.032 * RATE) as usize);
    // The dry path waits as long: at Dry/Wet 0 the output is the input, the new latency late.
    let len = RATE as usize / 2;
    let input = sine(330.0, 0.4, RATE, len);
    let out = plugin.render(&[input.clone(), input.clone()], len, &[], &[512]);
    let from = (0.05 * RATE) as usize;
    for i in from..len {
        assert_eq!(out[0][i], input[i - latency], "sample {i}");
    }
    // nice-plug tells the host of the new latency with one more restart; after it, none.
    plugin.take_restart_request();
    plugin.activate(RATE, 512).unwrap();
    plugin.render(&[vec![0.0; 512], vec![0.0; 512]], 512, &[], &[512]);
    assert!(
        !plugin.take_restart_request(),
        "asked again with the knob unchanged"
    );
    assert_eq!(plugin.latency() as usize, latency);
}

#[test]
fn the_notes_it_hears_come_out_as_midi_on_time() {
    use luthier_tests::clap_host::Sent;
    let at = |s: f64| (s * RATE) as usize;
    // A4 from 0.2 to 0.7 s, E4 from 1.0 to 1.5 s.
    let a4 = sine(440.0, 0.5, RATE, at(0.5));
    let e4 = sine(329.628, 0.5, RATE, at(0.5));
    let mut input = vec![0.0f32; at(1.8)];
    input[at(0.2)..at(0.7)].copy_from_slice(&a4);
    input[at(1.0)..at(1.5)].copy_from_slice(&e4);
    for blocks in [vec![512], random_block_sizes(7, 97, 2048)] {
        let mut plugin = load();
        plugin.render(&[input.clone(), input.clone()], input.len(), &[], &blocks);
        let sent = plugin.sent.clone();
        // The bend range first: RPN 0 set to 2 semitones.
        let rpn: Vec<[u8; 3]> = sent
            .iter()
            .take(4)
            .map(|s| match s {
                Sent::Midi { bytes, .. } => *bytes,
                other => panic!("{other:?} before the bend range"),
            })
            .collect();
        assert_eq!(
            rpn,
            [[0xB0, 101, 0], [0xB0, 100, 0], [0xB0, 6, 2], [0xB0, 38, 0]]
        );
        let ons: Vec<(usize, u8)> = sent
            .iter()
            .filter_map(|s| match s {
                Sent::NoteOn { at, key, velocity } => {
                    assert!(*velocity > 0.3 && *velocity <= 1.0, "velocity {velocity}");
                    Some((*at, *key))
                }
                _ => None,
            })
            .collect();
        let offs: Vec<(usize, u8)> = sent
            .iter()
            .filter_map(|s| match s {
                Sent::NoteOff { at, key } => Some((*at, *key)),
                _ => None,
            })
            .collect();
        assert_eq!(
            ons.iter().map(|o| o.1).collect::<Vec<_>>(),
            [69, 64],
            "{sent:?}"
        );
        assert_eq!(
            offs.iter().map(|o| o.1).collect::<Vec<_>>(),
            [69, 64],
            "{sent:?}"
        );
        for ((on, key), onset) in ons.iter().zip([0.2, 1.0]) {
            let late = (*on as f64 - onset * RATE) / RATE * 1000.0;
            assert!(
                (0.0..20.0).contains(&late),
                "note {key} sent {late:.1} ms after its onset"
            );
        }
        for ((off, key), end) in offs.iter().zip([0.7, 1.5]) {
            let late = (*off as f64 - end * RATE) / RATE * 1000.0;
            assert!(
                (0.0..60.0).contains(&late),
                "note {key} ended {late:.1} ms after its end"
            );
        }
        // Steady tones in tune: every bend inside a tone (its first 50 ms, where the tracker
        // settles, aside) within a few cents of the middle.
        let inside = |t: usize| {
            [(0.25, 0.7), (1.05, 1.5)]
                .iter()
                .any(|(a, b)| (at(*a)..at(*b)).contains(&t))
        };
        for s in &sent {
            if let Sent::Midi {
                at: t,
                bytes: [0xE0, lsb, msb],
            } = s
            {
                if inside(*t) {
                    let value = ((*msb as i32) << 7 | *lsb as i32) - 8192;
                    let cents = value as f64 / 8191.0 * 200.0;
                    assert!(cents.abs() < 5.0, "a bend of {cents:.1} ct at sample {t}");
                }
            }
        }
    }
}
