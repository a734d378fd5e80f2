//! The instrument a player performs with, in the CLAP host, through the shipped violin model:
//! pitch bend and its range, MPE per-note bends, CC11 and breath, legato, sustain, eight voices
//! in tune, a hostile MIDI stream, and MIDI-DDSP's six expression controls measured back on the
//! output with MIDI-DDSP's own definitions (`luthier_tests::expression`).
//!
//! Knob values go to the host in CLAP's terms: nice-plug gives a continuous knob a 0..1 range
//! (normalised), a stepped one its steps (0..n-1), so the helpers here turn the knobs' documented
//! ranges into those.

use clack_host::events::event_types::NoteExpressionType;
use luthier_tests::clap_host::{ClapBundle, ClapPlugin, Note};
use luthier_tests::expression::*;
use luthier_tests::paths::{clap_bundle, shipped_model};
use luthier_tests::signal::{cents, midi_key_hz, peak, random_block_sizes};
use std::sync::{Mutex, OnceLock};

const ID: &str = "audio.luthier.instrument";
const RATE: f64 = 48_000.0;
static ENV: Mutex<()> = Mutex::new(());

fn bundle() -> &'static ClapBundle {
    static BUNDLE: OnceLock<ClapBundle> = OnceLock::new();
    BUNDLE.get_or_init(|| ClapBundle::load(&clap_bundle()).unwrap())
}

/// The instrument playing the shipped violin, offline (every decoder reply waited for).
fn violin() -> ClapPlugin {
    let mut p = bundle().instantiate(ID).unwrap();
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_var("LUTHIER_MODEL", shipped_model("violin"));
    p.set_offline(true).unwrap();
    p.activate(RATE, 512).unwrap();
    p
}

fn set(p: &mut ClapPlugin, name: &str, clap_value: f64) {
    let id = p
        .param_id(name)
        .unwrap_or_else(|| panic!("no knob '{name}'"));
    p.set_param(id, clap_value);
}

/// A linear knob's CLAP value for `value` in `min..max`.
fn linear(value: f64, min: f64, max: f64) -> f64 {
    (value - min) / (max - min)
}

/// The expression tests isolate each control: the knobs' short attack rather than the violin's
/// slow one.
fn expressive() -> ClapPlugin {
    let mut p = violin();
    set(&mut p, "Envelope", 1.0); // Knobs
    p
}

fn at(seconds: f64) -> usize {
    (seconds * RATE) as usize
}

fn note(key: u8, velocity: f64, on: f64, off: f64) -> Note {
    Note {
        key,
        velocity,
        on: at(on),
        off: at(off),
    }
}

fn render(p: &mut ClapPlugin, seconds: f64, notes: &[Note]) -> Vec<f32> {
    let out = p.render(&[], at(seconds), notes, &[256]);
    assert!(
        out.iter().flatten().all(|x| x.is_finite()),
        "a non-finite sample"
    );
    out[0].clone()
}

fn bend(channel: u8, value: f64) -> [u8; 3] {
    let v = (((value + 1.0) / 2.0) * 16383.0)
        .round()
        .clamp(0.0, 16383.0) as u16;
    [0xE0 | channel, (v & 0x7F) as u8, (v >> 7) as u8]
}

fn cc(channel: u8, number: u8, value: u8) -> [u8; 3] {
    [0xB0 | channel, number, value]
}

/// The median of `levels` (4 ms frames) from `from` to `to` seconds.
fn median_level(levels: &[f64], from: f64, to: f64) -> f64 {
    let mut v: Vec<f64> =
        levels[(from / FRAME_SECONDS) as usize..(to / FRAME_SECONDS) as usize].to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn slice(x: &[f32], from: f64, to: f64) -> &[f32] {
    &x[at(from)..at(to)]
}

#[test]
fn the_bend_range_sets_how_far_a_full_bend_goes() {
    for (range, bend_to) in [(1, 1.0), (2, 1.0), (12, 1.0), (12, -1.0), (48, 1.0)] {
        let mut p = violin();
        set(&mut p, "Bend Range", (range - 1) as f64);
        p.midi_at(0, bend(0, bend_to));
        let out = render(&mut p, 1.0, &[note(57, 0.8, 0.05, 0.9)]);
        let expected = midi_key_hz(57) * 2f64.powf(bend_to * range as f64 / 12.0);
        let hz = peak_near_hz(slice(&out, 0.4, 0.85), RATE, expected, 0.5);
        let error = cents(hz, expected);
        assert!(
            error.abs() < 3.0,
            "range {range}, bend {bend_to}: {error:.2} cents"
        );
    }
}

#[test]
fn mpe_bends_each_note_on_its_own_channel_and_the_master_bends_them_all() {
    let mut p = violin();
    set(&mut p, "MPE", 1.0);
    // Member channels 2 and 3 (1 and 2 from zero) at the zone's default 48 semitones; the master
    // channel (1) at the Bend Range knob's 2.
    p.midi_at(0, bend(1, 0.25));
    p.midi_at(0, bend(2, -0.125));
    p.midi_at(0, bend(0, 0.5));
    p.midi_at(at(0.05), [0x91, 62, 100]);
    p.midi_at(at(0.05), [0x92, 66, 100]);
    p.midi_at(at(0.9), [0x81, 62, 0]);
    p.midi_at(at(0.9), [0x82, 66, 0]);
    let out = render(&mut p, 1.0, &[]);
    for (key, semitones) in [(62u8, 12.0 + 1.0), (66, -6.0 + 1.0)] {
        let expected = midi_key_hz(key) * 2f64.powf(semitones / 12.0);
        let hz = peak_near_hz(slice(&out, 0.4, 0.85), RATE, expected, 0.5);
        let error = cents(hz, expected);
        assert!(error.abs() < 3.0, "key {key}: {error:.2} cents");
    }
}

#[test]
fn a_clap_tuning_expression_bends_one_note_only() {
    let mut p = violin();
    p.note_expression_at(at(0.1), 0, 62, NoteExpressionType::Tuning, 3.0);
    let out = render(
        &mut p,
        1.0,
        &[note(62, 0.8, 0.05, 0.9), note(69, 0.8, 0.05, 0.9)],
    );
    for (key, semitones) in [(62u8, 3.0), (69, 0.0)] {
        let expected = midi_key_hz(key) * 2f64.powf(semitones / 12.0);
        let hz = peak_near_hz(slice(&out, 0.4, 0.85), RATE, expected, 0.4);
        assert!(cents(hz, expected).abs() < 3.0, "key {key}: {hz} Hz");
    }
}

#[test]
fn expression_and_breath_move_the_loudness_monotonically() {
    for number in [11u8, 2] {
        let mut p = violin();
        let values = [127u8, 96, 64, 32, 8];
        let mut notes = Vec::new();
        for (i, &v) in values.iter().enumerate() {
            let on = 0.1 + 0.7 * i as f64;
            p.midi_at(at(on - 0.05), cc(0, number, v));
            notes.push(note(69, 0.8, on, on + 0.5));
        }
        let out = render(&mut p, 0.7 * values.len() as f64 + 0.2, &notes);
        let levels = level_db_frames(&out, RATE);
        let measured: Vec<f64> = notes
            .iter()
            .map(|n| {
                let on = n.on as f64 / RATE;
                median_level(&levels, on + 0.3, on + 0.45)
            })
            .collect();
        for w in measured.windows(2) {
            assert!(w[1] < w[0] - 1.0, "CC{number}: {measured:?}");
        }
    }
}

/// Level before a change at `change` seconds, and the lowest level just after it.
fn dip_at(out: &[f32], change: f64) -> (f64, f64) {
    let levels = level_db_frames(out, RATE);
    let before = median_level(&levels, change - 0.25, change - 0.02);
    let from = ((change - 0.02) / FRAME_SECONDS) as usize;
    let to = ((change + 0.25) / FRAME_SECONDS) as usize;
    let lowest = levels[from..to]
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min);
    (before, lowest)
}

#[test]
fn a_legato_note_slurs_with_no_new_attack() {
    let mut p = violin();
    set(&mut p, "Voices", 2.0); // Legato
    let out = render(
        &mut p,
        2.0,
        &[note(69, 0.8, 0.1, 1.05), note(72, 0.8, 1.0, 1.8)],
    );
    // The two notes' own levels differ a little (a higher note of the violin is a little
    // softer in RMS at the same loudness); the slur must not dip below the lower of them.
    let (before, lowest) = dip_at(&out, 1.0);
    let after = median_level(&level_db_frames(&out, RATE), 1.3, 1.7);
    let floor = before.min(after);
    assert!(
        lowest > floor - 1.0,
        "the slur dips {:.1} dB",
        floor - lowest
    );
    let hz = peak_near_hz(slice(&out, 1.3, 1.75), RATE, midi_key_hz(72), 0.5);
    assert!(
        cents(hz, midi_key_hz(72)).abs() < 5.0,
        "it did not reach C5: {hz} Hz"
    );
    // The same notes detached: the second attacks again, and the measure sees it.
    let mut p = violin();
    set(&mut p, "Voices", 2.0);
    let out = render(
        &mut p,
        2.0,
        &[note(69, 0.8, 0.1, 0.9), note(72, 0.8, 1.0, 1.8)],
    );
    let (before, lowest) = dip_at(&out, 0.9);
    assert!(
        lowest < before - 6.0,
        "a detached note shows no attack: {before} {lowest}"
    );
}

#[test]
fn the_sustain_pedal_holds_notes_until_it_lifts() {
    let mut p = violin();
    p.midi_at(at(0.05), cc(0, 64, 127));
    p.midi_at(at(1.5), cc(0, 64, 0));
    let out = render(&mut p, 2.5, &[note(69, 0.8, 0.1, 0.4)]);
    let levels = level_db_frames(&out, RATE);
    let held = median_level(&levels, 0.3, 0.38);
    let sustained = median_level(&levels, 1.2, 1.45);
    assert!(
        sustained > held - 3.0,
        "held {held:.1} dB, sustained {sustained:.1} dB"
    );
    assert_eq!(
        peak(slice(&out, 2.1, 2.5)),
        0.0,
        "still sounding after the pedal lifted"
    );
    // Without the pedal the note has ended by then.
    let mut p = violin();
    let out = render(&mut p, 1.5, &[note(69, 0.8, 0.1, 0.4)]);
    assert_eq!(peak(slice(&out, 1.2, 1.45)), 0.0);
}

/// Eight keys none of whose first eight harmonics comes within 0.7 semitones of another's
/// fundamental, so that each can be measured in the chord.
fn separable_keys() -> Vec<u8> {
    let mut keys: Vec<u8> = Vec::new();
    for key in 60u8..100 {
        let clear = keys.iter().all(|&other| {
            let (lo, hi) = (other.min(key) as f64, other.max(key) as f64);
            (1..=8).all(|k| (12.0 * (k as f64).log2() + lo - hi).abs() > 0.7)
        });
        if clear {
            keys.push(key);
        }
        if keys.len() == 8 {
            break;
        }
    }
    assert_eq!(keys.len(), 8, "{keys:?}");
    keys
}

#[test]
fn eight_notes_at_once_are_each_in_tune() {
    let keys = separable_keys();
    let mut p = violin();
    let notes: Vec<Note> = keys.iter().map(|&k| note(k, 0.7, 0.05, 1.4)).collect();
    let out = render(&mut p, 1.5, &notes);
    for &key in &keys {
        let expected = midi_key_hz(key);
        let hz = peak_near_hz(slice(&out, 0.5, 1.35), RATE, expected, 0.3);
        let error = cents(hz, expected);
        assert!(error.abs() < 5.0, "key {key} of {keys:?}: {error:.2} cents");
    }
}

/// A small seeded generator (xorshift), for the MIDI stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn a_hostile_midi_stream_leaves_no_stuck_note_and_no_bad_sample() {
    let mut p = violin();
    let mut rng = Rng(0x5EED_1234_ABCD);
    let stream = at(6.0);
    for _ in 0..4000 {
        let time = rng.below(stream as u64) as usize;
        let channel = rng.below(4) as u8;
        let key = rng.below(128) as u8;
        let value = rng.below(128) as u8;
        let message = match rng.below(12) {
            0..=3 => [0x90 | channel, key, value.max(1)],
            4..=5 => [0x80 | channel, key, 0],
            6 => {
                let extreme = [0u16, 16383, 8192][rng.below(3) as usize];
                let v = if rng.below(2) == 0 {
                    extreme
                } else {
                    rng.below(16384) as u16
                };
                [0xE0 | channel, (v & 0x7F) as u8, (v >> 7) as u8]
            }
            7..=8 => [0xB0 | channel, rng.below(120) as u8, value],
            9 => [0xD0 | channel, value, 0],
            10 => [0xA0 | channel, key, value],
            _ => [0x90 | channel, key, 0], // note-on at velocity 0: a note-off
        };
        p.midi_at(time, message);
        if rng.below(50) == 0 {
            let tuning = (rng.below(241) as f64) - 120.0;
            p.note_expression_at(time, channel, key, NoteExpressionType::Tuning, tuning);
        }
    }
    // All notes off and all sound off in the middle of it all.
    p.midi_at(at(2.0), cc(0, 123, 0));
    p.midi_at(at(4.0), cc(1, 120, 0));
    // The end of the stream: the pedals up and every key let go, as a sequencer's stop does
    // note by note.
    for channel in 0..4u8 {
        p.midi_at(stream, cc(channel, 64, 0));
        for key in 0..128u8 {
            p.midi_at(stream, [0x80 | channel, key, 0]);
        }
    }
    let out = p.render(&[], at(8.0), &[], &random_block_sizes(11, 97, 512));
    for channel in &out {
        assert!(channel.iter().all(|x| x.is_finite()), "a non-finite sample");
        assert!(
            peak(channel) < 100.0,
            "an unbounded sample: {}",
            peak(channel)
        );
        assert_eq!(peak(&channel[at(7.5)..]), 0.0, "a note is stuck");
    }
    assert!(peak(&out[0][..stream]) > 1e-3, "the stream played nothing");
}

/// One note of `seconds`, with `knobs` set, through the expressive violin.
fn expressive_note(knobs: &[(&str, f64)], key: u8, seconds: f64) -> Vec<f32> {
    let mut p = expressive();
    for (name, value) in knobs {
        set(&mut p, name, *value);
    }
    render(&mut p, seconds + 0.3, &[note(key, 0.5, 0.1, 0.1 + seconds)])
}

fn assert_increasing(what: &str, values: &[f64]) {
    for w in values.windows(2) {
        assert!(
            w[1] > w[0],
            "{what} does not rise monotonically: {values:?}"
        );
    }
}

#[test]
fn volume_sets_the_notes_mean_amplitude_in_db() {
    // MIDI-DDSP's volume: the mean amplitude in dB over the note.
    let settings = [-18.0, -12.0, -6.0, 0.0, 6.0];
    let mean = |db: f64| {
        let out = expressive_note(&[("Note Volume", linear(db, -36.0, 12.0))], 69, 1.0);
        let levels = level_db_frames(&out, RATE);
        let note = &levels[(0.1 / FRAME_SECONDS) as usize..(1.1 / FRAME_SECONDS) as usize];
        note.iter().sum::<f64>() / note.len() as f64
    };
    let reference = mean(0.0);
    let measured: Vec<f64> = settings.iter().map(|&s| mean(s) - reference).collect();
    for (s, m) in settings.iter().zip(&measured) {
        assert!(
            (m - s).abs() < 2.0,
            "volume {s} dB measured {m:.2} dB: {measured:?}"
        );
    }
    assert_increasing("volume", &measured);
}

/// The note's amplitude track: level frames over its length.
fn note_levels(out: &[f32], on: f64, seconds: f64) -> Vec<f64> {
    let levels = level_db_frames(out, RATE);
    levels[(on / FRAME_SECONDS) as usize..((on + seconds) / FRAME_SECONDS) as usize].to_vec()
}

fn std(x: &[f64]) -> f64 {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn volume_fluctuation_sets_the_deviation_and_peak_position_where_it_peaks() {
    // MIDI-DDSP: the standard deviation of the amplitude in dB, and the position of its
    // maximum in the note (0..1). The note lasts the second the first note is expected to.
    // The attack's first 10 frames are pooled on their own, as MIDI-DDSP's ADSR pooling
    // (`adsr_get_note_mask`) does: the onset from silence is not a fluctuation.
    let fluctuation = |db: f64, position: f64| {
        let knobs = [
            ("Volume Fluctuation", linear(db, 0.0, 12.0)),
            ("Volume Peak Position", position),
        ];
        note_levels(&expressive_note(&knobs, 69, 1.0), 0.1, 1.0)
    };
    let after_attack = |levels: Vec<f64>| levels[10..].to_vec();
    let baseline = std(&after_attack(fluctuation(0.0, 0.5)));
    let settings = [1.0, 2.0, 4.0, 6.0];
    // The attack's own spread adds in quadrature.
    let measured: Vec<f64> = settings
        .iter()
        .map(|&s| {
            let spread = std(&after_attack(fluctuation(s, 0.5)));
            (spread.powi(2) - baseline.powi(2)).max(0.0).sqrt()
        })
        .collect();
    for (s, m) in settings.iter().zip(&measured) {
        assert!(
            (m - s).abs() < 0.25 * s + 0.3,
            "fluctuation {s} dB measured {m:.2}: {measured:?}"
        );
    }
    assert_increasing("fluctuation", &measured);
    let positions = [0.1, 0.3, 0.5, 0.7, 0.9];
    let measured: Vec<f64> = positions
        .iter()
        .map(|&p| {
            let levels = fluctuation(4.0, p);
            let top = levels
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            top as f64 / levels.len() as f64
        })
        .collect();
    for (p, m) in positions.iter().zip(&measured) {
        assert!(
            (m - p).abs() < 0.1,
            "peak position {p} measured {m:.2}: {measured:?}"
        );
    }
    assert_increasing("peak position", &measured);
}

/// MIDI-DDSP's vibrato extent per cent of depth, for this measurement chain: a sine whose pitch
/// moves by `cents` at `rate` Hz, measured exactly as the renders are.
fn extent_per_cent(rate: f64, seconds: f64) -> f64 {
    let f0 = midi_key_hz(69);
    let mut phase = 0.0f64;
    let x: Vec<f32> = (0..at(seconds))
        .map(|i| {
            let t = i as f64 / RATE;
            let hz = f0 * 2f64.powf(50.0 / 1200.0 * (std::f64::consts::TAU * rate * t).sin());
            phase += hz / RATE;
            (std::f64::consts::TAU * phase).sin() as f32
        })
        .collect();
    let track = pitch_track(&x, RATE, f0, 0, x.len());
    midi_ddsp_vibrato(&track).1 / 50.0
}

fn vibrato_of(knobs: &[(&str, f64)]) -> (f64, f64, Vec<f64>) {
    let out = expressive_note(knobs, 69, 2.0);
    let track = pitch_track(&out, RATE, midi_key_hz(69), at(0.1), at(2.1));
    let (rate, extent) = midi_ddsp_vibrato(&track);
    (rate, extent, track)
}

#[test]
fn vibrato_depth_rate_and_delay_come_back_as_set() {
    let unit = extent_per_cent(5.5, 2.0);
    let depths = [10.0, 25.0, 50.0, 100.0];
    let measured: Vec<f64> = depths
        .iter()
        .map(|&d| vibrato_of(&[("Vibrato Depth", d / 100.0), ("Vibrato Delay", 0.0)]).1 / unit)
        .collect();
    for (d, m) in depths.iter().zip(&measured) {
        assert!(
            (m - d).abs() < 0.15 * d + 1.0,
            "depth {d} ct measured {m:.1}: {measured:?}"
        );
    }
    assert_increasing("vibrato depth", &measured);
    let (_, none, _) = vibrato_of(&[("Vibrato Delay", 0.0)]);
    assert!(
        none / unit < 1.5,
        "no vibrato set, {:.1} cents measured",
        none / unit
    );
    // The rate: MIDI-DDSP's bins are 1/(2 s) apart.
    for rate in [4.0, 5.5, 7.0, 8.5] {
        let knobs = [
            ("Vibrato Depth", 0.5),
            ("Vibrato Delay", 0.0),
            ("Vibrato Rate", linear(rate, 1.0, 12.0)),
        ];
        let (measured, _, _) = vibrato_of(&knobs);
        assert!(
            (measured - rate).abs() <= 0.5,
            "rate {rate} Hz measured {measured}"
        );
    }
    // The delay: where the deviation first reaches half the depth (the fade-in takes 0.2 s,
    // so half of it is reached 0.1 s after the delay), within a vibrato period.
    for delay in [0.2, 0.5, 0.8] {
        // The Vibrato Delay knob is skewed (nice-plug's factor 2^-2 over 0..2000 ms).
        let knobs = [
            ("Vibrato Depth", 0.5),
            ("Vibrato Delay", (delay / 2.0f64).powf(0.25)),
        ];
        let (_, _, track) = vibrato_of(&knobs);
        let start = track.iter().position(|d| d.abs() > 0.25 * 0.5).unwrap() as f64 * FRAME_SECONDS;
        assert!(
            (start - (delay + 0.1)).abs() < 0.1,
            "delay {delay} s: half depth at {start:.3} s"
        );
    }
}

#[test]
fn brightness_moves_the_harmonic_centroid_by_its_factor() {
    // MIDI-DDSP's brightness: the mean harmonic number weighted by the distribution. The noise
    // is off, so that the harmonics are measured alone.
    let factor_to_clap = |f: f64| ((f - 0.5) / 1.5).powf(0.5f64.ln() / (1.0f64 / 3.0).ln());
    let centroid = |f: f64| {
        let knobs = [("Brightness", factor_to_clap(f)), ("Noise Gain", 0.0)];
        let out = expressive_note(&knobs, 69, 1.0);
        harmonic_centroid(slice(&out, 0.4, 1.0), RATE, midi_key_hz(69), 100)
    };
    let reference = centroid(1.0);
    let factors = [0.5, 0.7, 1.4, 2.0];
    let measured: Vec<f64> = factors.iter().map(|&f| centroid(f) / reference).collect();
    for (f, m) in factors.iter().zip(&measured) {
        assert!(
            (m / f - 1.0).abs() < 0.05,
            "brightness x{f} measured x{m:.3}: {measured:?}"
        );
    }
    assert_increasing("brightness", &measured);
}

#[test]
fn attack_noise_sets_the_noise_level_over_the_first_40_ms() {
    // MIDI-DDSP's attack noise: the mean noise level over the note's first 10 frames. The noise
    // alone is the render less the same render without noise (the harmonics do not depend on
    // the noise knobs, and the noise's random sequence is the voice's own, the same each time).
    let noise_db = |db: f64| {
        let with = expressive_note(&[("Attack Noise", linear(db, -24.0, 24.0))], 69, 0.5);
        let without = expressive_note(
            &[
                ("Attack Noise", linear(db, -24.0, 24.0)),
                ("Noise Gain", 0.0),
            ],
            69,
            0.5,
        );
        let noise: Vec<f32> = with.iter().zip(&without).map(|(a, b)| a - b).collect();
        let part = slice(&noise, 0.1 + 0.008, 0.1 + 0.036);
        20.0 * luthier_tests::signal::rms(part).log10()
    };
    let reference = noise_db(0.0);
    let settings = [-12.0, -6.0, 6.0, 12.0];
    let measured: Vec<f64> = settings.iter().map(|&s| noise_db(s) - reference).collect();
    for (s, m) in settings.iter().zip(&measured) {
        assert!(
            (m - s).abs() < 1.5,
            "attack noise {s} dB measured {m:.2}: {measured:?}"
        );
    }
    assert_increasing("attack noise", &measured);
}

/// Pitch, A-weighted level (the loudness measure the decoder is conditioned on) and harmonic
/// centroid of a held A4 with `knobs`, and both channels.
fn held_a4(knobs: &[(&str, f64)]) -> (f64, f64, f64, Vec<Vec<f32>>) {
    let (error, level, centroid, _, out) = held_a4_spectrum(knobs);
    (error, level, centroid, out)
}

/// As `held_a4`, with the harmonics' amplitude distribution (summing to 1).
fn held_a4_spectrum(knobs: &[(&str, f64)]) -> (f64, f64, f64, Vec<f64>, Vec<Vec<f32>>) {
    let mut p = violin();
    for (name, value) in knobs {
        set(&mut p, name, *value);
    }
    let out = p.render(&[], at(1.2), &[note(69, 0.6, 0.05, 1.1)], &[256]);
    let held = slice(&out[0], 0.4, 1.0);
    let hz = peak_near_hz(held, RATE, 440.0, 0.5);
    let level = a_weighted_level_db(held, RATE, hz, 50);
    let centroid = harmonic_centroid(held, RATE, hz, 50);
    let amplitudes = harmonic_amplitudes(held, RATE, hz, 50);
    let total: f64 = amplitudes.iter().sum();
    let shape = amplitudes.iter().map(|a| a / total).collect();
    (cents(hz, 440.0), level, centroid, shape, out)
}

#[test]
fn timbre_knobs_change_the_timbre_not_the_played_pitch_or_level() {
    let (_, level, centroid, _, plain) = held_a4_spectrum(&[]);
    let shape_of =
        |out: &[Vec<f32>]| spectrum_shape_db(slice(&out[0], 0.4, 1.0), RATE, 250.0, 12_000.0);
    let plain_shape = shape_of(&plain);
    // What the model is told moves; what plays stays: +-12 semitones and +12 dB of "timbre".
    // The timbre's change: how far the spectrum's shape moved (mean absolute dB over 250 Hz
    // bands to 12 kHz, each spectrum at its own level).
    let changes = [
        ("Timbre Pitch", 0.75),
        ("Timbre Pitch", 0.25),
        ("Timbre Loudness", 0.25),
        ("Timbre Loudness", 0.0),
    ];
    for (name, value) in changes {
        let (error, l, _, _, out) = held_a4_spectrum(&[(name, value)]);
        assert!(
            error.abs() < 3.0,
            "{name} {value}: the pitch moved {error:.2} cents"
        );
        assert!(
            (l - level).abs() < 1.5,
            "{name} {value}: the level moved {:.2} dB",
            l - level
        );
        let shape = shape_of(&out);
        let moved = plain_shape
            .iter()
            .zip(&shape)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / shape.len() as f64;
        eprintln!(
            "{name} {value}: level {:+.2} dB, spectrum moved {moved:.2} dB",
            l - level
        );
        // The violin model's timbre moves far less with loudness than with pitch (0.6 dB for
        // -12 dB measured): a render repeats bit for bit, so any move is the decoder's answer.
        let least = if name == "Timbre Pitch" { 2.0 } else { 0.3 };
        assert!(
            moved > least,
            "{name} {value}: the timbre did not change ({moved:.2} dB)"
        );
    }
    // Tilt leans the spectrum: -6 dB/octave darkens it.
    let (_, _, darker, _) = held_a4(&[("Tilt", linear(-6.0, -12.0, 12.0))]);
    assert!(
        darker < 0.9 * centroid,
        "tilt: centroid {darker:.2} from {centroid:.2}"
    );
    // Harmonic Gain off leaves the noise alone: far quieter, and no tone at A4.
    let (_, noise_only, _, _) = held_a4(&[("Harmonic Gain", 0.0)]);
    assert!(
        noise_only < level - 20.0,
        "harmonics off: {noise_only:.1} dB from {level:.1}"
    );
}

#[test]
fn width_decorrelates_the_channels_and_folds_back_to_mono() {
    let correlation = |x: &[f32], y: &[f32]| {
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (p * q) as f64).sum::<f64>();
        dot(x, y) / (dot(x, x) * dot(y, y)).sqrt()
    };
    let mut last = 1.1;
    for width in [0.0, 0.5, 1.0] {
        let (_, _, _, out) = held_a4(&[("Width", width)]);
        let (l, r) = (slice(&out[0], 0.4, 1.0), slice(&out[1], 0.4, 1.0));
        let c = correlation(l, r);
        // The formula for a side signal uncorrelated with the mono one (`dsp::width`).
        let w = width as f64;
        let expected = (1.0 - w * w) / (1.0 + w * w);
        assert!(
            (c - expected).abs() < 0.25,
            "width {width}: correlation {c:.3}, formula {expected:.3}"
        );
        assert!(c < last, "width {width}: correlation {c:.3} did not fall");
        last = c;
        let (_, _, _, mono) = held_a4(&[]);
        let norm = (1.0 + w * w).sqrt();
        let folded: Vec<f32> = l
            .iter()
            .zip(r)
            .map(|(a, b)| (a + b) * norm as f32 / 2.0)
            .collect();
        let reference = slice(&mono[0], 0.4, 1.0);
        let error = folded
            .iter()
            .zip(reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            error < 1e-4,
            "width {width}: L+R is not the mono sound ({error})"
        );
    }
}

#[test]
fn clap_note_expressions_reach_their_note() {
    // Volume halves one note's gain (-6 dB); brightness and vibrato move its spectrum and pitch;
    // pressure goes to the aftertouch destination (vibrato by default).
    let level_of = |kind: Option<(NoteExpressionType, f64)>| {
        let mut p = violin();
        if let Some((kind, value)) = kind {
            p.note_expression_at(at(0.1), 0, 69, kind, value);
        }
        let out = render(&mut p, 1.2, &[note(69, 0.6, 0.05, 1.1)]);
        let held = slice(&out, 0.4, 1.0).to_vec();
        (
            a_weighted_level_db(&held, RATE, 440.0, 40),
            harmonic_centroid(&held, RATE, 440.0, 40),
            out,
        )
    };
    let (level, centroid, plain) = level_of(None);
    let (soft, _, _) = level_of(Some((NoteExpressionType::Volume, 0.5)));
    assert!(
        (soft - level + 6.02).abs() < 1.5,
        "volume 0.5: {:.2} dB",
        soft - level
    );
    let (_, bright, _) = level_of(Some((NoteExpressionType::Brightness, 1.0)));
    assert!(
        bright > 1.2 * centroid,
        "brightness 1: centroid {bright:.2} from {centroid:.2}"
    );
    let (quieter, _, _) = level_of(Some((NoteExpressionType::Expression, 0.5)));
    assert!(
        (quieter - level - 40.0 * 0.5f64.log10()).abs() < 1.5,
        "expression 0.5: {:.2} dB",
        quieter - level
    );
    for kind in [NoteExpressionType::Vibrato, NoteExpressionType::Pressure] {
        let (_, _, out) = level_of(Some((kind, 1.0)));
        let still = pitch_track(&plain, RATE, 440.0, at(0.4), at(1.0));
        let moving = pitch_track(&out, RATE, 440.0, at(0.4), at(1.0));
        let spread = |t: &[f64]| {
            t.iter().cloned().fold(f64::MIN, f64::max) - t.iter().cloned().fold(f64::MAX, f64::min)
        };
        // The mod wheel's 50 cents of vibrato: about a semitone peak to peak.
        assert!(
            spread(&moving) > 0.6 && spread(&still) < 0.05,
            "{kind:?}: {} {}",
            spread(&moving),
            spread(&still)
        );
    }
}

#[test]
fn aftertouch_goes_where_it_is_sent() {
    // Channel pressure with Aftertouch To at Loudness: +12 dB at full pressure.
    let level_with = |pressure: Option<u8>| {
        let mut p = violin();
        set(&mut p, "Aftertouch To", 0.0); // Loudness
        if let Some(v) = pressure {
            p.midi_at(at(0.1), [0xD0, v, 0]);
        }
        let out = render(&mut p, 1.2, &[note(69, 0.4, 0.05, 1.1)]);
        a_weighted_level_db(slice(&out, 0.4, 1.0), RATE, 440.0, 40)
    };
    let (none, half, full) = (
        level_with(None),
        level_with(Some(64)),
        level_with(Some(127)),
    );
    assert!(none < half && half < full, "{none:.1} {half:.1} {full:.1}");
    assert!(
        (full - none - 12.0).abs() < 2.5,
        "full pressure: +{:.2} dB",
        full - none
    );
}

#[test]
fn a_stolen_voice_does_not_click() {
    // Nine notes on eight voices: the ninth takes the oldest's voice, keeping its phase and
    // level; no sample steps further than the chord's own steepest, before or after.
    let mut p = violin();
    let mut notes: Vec<Note> = (0..8)
        .map(|i| note(60 + 2 * i, 0.7, 0.05 + 0.05 * i as f64, 1.9))
        .collect();
    notes.push(note(81, 0.7, 1.0, 1.9));
    let out = render(&mut p, 2.0, &notes);
    let step = |from, to| luthier_tests::signal::max_step(slice(&out, from, to));
    let steepest = step(0.6, 0.95).max(step(1.3, 1.85));
    let at_steal = step(0.99, 1.1);
    assert!(
        at_steal <= 1.1 * steepest,
        "the steal steps {at_steal:.4} against {steepest:.4}"
    );
    let hz = peak_near_hz(slice(&out, 1.3, 1.85), RATE, midi_key_hz(81), 0.3);
    assert!(
        cents(hz, midi_key_hz(81)).abs() < 5.0,
        "the ninth note plays: {hz} Hz"
    );
}

#[test]
fn a_transport_stop_and_a_host_reset_leave_no_note_sounding() {
    // The transport plays, then stops at 0.5 s with the note still held.
    let mut p = violin();
    p.set_transport(true, Some(at(0.5)));
    let out = render(&mut p, 1.5, &[note(69, 0.7, 0.05, 10.0)]);
    assert!(
        peak(slice(&out, 0.3, 0.45)) > 1e-3,
        "silent before the stop"
    );
    assert_eq!(
        peak(slice(&out, 1.1, 1.5)),
        0.0,
        "still sounding after the transport stopped"
    );
    // A reset (a transport jump) silences at once.
    let mut p = violin();
    let out = render(&mut p, 0.5, &[note(69, 0.7, 0.05, 10.0)]);
    assert!(peak(slice(&out, 0.3, 0.45)) > 1e-3);
    p.reset();
    let after = render(&mut p, 0.5, &[]);
    assert_eq!(peak(&after), 0.0, "still sounding after a reset");
}
