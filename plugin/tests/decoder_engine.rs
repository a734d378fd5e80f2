//! Both plugins' engines playing through the ONNX decoder (the random-weight test model): the
//! effect follows the input's pitch, the instrument its notes; offline renders repeat bit for
//! bit whatever the block size; output starts where the reported latency (one frame) says, and
//! released notes end.

use luthier::engine::{Engine, Event, Mode, Params, Rendering};
use luthier::model::decoder::Decoder;
use luthier::model::inference::Link;
use std::path::Path;

const SR: f32 = 48_000.0;

fn effect(offline: bool) -> Engine {
    engine(Mode::Effect, offline)
}

/// A model from models/ (`test/luthier-test`, `cello`), with its inference thread started.
fn link(name: &str) -> Link {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../models/{name}.onnx"));
    Link::start(Decoder::load(&model, None).unwrap()).unwrap()
}

/// An engine playing the test model.
fn engine(mode: Mode, offline: bool) -> Engine {
    engine_with(link("test/luthier-test"), mode, offline)
}

fn engine_with(link: Link, mode: Mode, offline: bool) -> Engine {
    let rendering = if offline {
        Rendering::Offline
    } else {
        Rendering::Realtime
    };
    Engine::with_decoder(mode, SR, Params::default(), link, rendering)
}

/// Samples in one 4 ms frame at SR: the latency a decoder adds.
const HOP: f32 = SR / 250.0;

fn sine(hz: f32, amp: f32, onset: usize, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            if i < onset {
                0.0
            } else {
                amp * (std::f32::consts::TAU * hz * (i - onset) as f32 / SR).sin()
            }
        })
        .collect()
}

fn render(engine: &mut Engine, input: &[f32], block: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(input.len());
    for chunk in input.chunks(block) {
        let mut left = chunk.to_vec();
        let mut right = chunk.to_vec();
        engine.process(&mut [&mut left, &mut right], 2, &[]);
        assert_eq!(left, right);
        out.extend_from_slice(&left);
    }
    out
}

#[test]
fn offline_renders_follow_the_pitch_and_repeat_exactly() {
    let input = sine(220.0, 0.3, 4_800, 48_000);
    let first = render(&mut effect(true), &input, 512);
    let second = render(&mut effect(true), &input, 512);
    assert!(first.iter().all(|x| x.is_finite()));
    assert_eq!(first, second, "two offline renders differ");
    // The random decoder picks some spectrum and much noise, but its partials must sit on
    // the input's harmonics: power at k * 220 Hz against power halfway between them.
    let tail = &first[first.len() - 24_000..];
    let power_at = |hz: f32| power_at(tail, hz);
    let harmonics = |f0: f32| harmonic_power(tail, f0);
    let on = harmonics(220.0);
    let db = |other: f64| 10.0 * (on / other).log10();
    assert!(on > 1e-6, "the decoded effect is silent");
    // Its noise is loud (random noise magnitudes average 0.47), so the margins are modest:
    // 7.5 dB measured over the between-harmonic power.
    let between: f64 = (1..=20).map(|k| power_at(220.0 * (k as f32 + 0.5))).sum();
    assert!(
        db(between) > 5.0,
        "{:.1} dB over the power between harmonics",
        db(between)
    );
    for other in [207.65, 233.08] {
        assert!(
            db(harmonics(other)) > 5.0,
            "{:.1} dB over the harmonics of {other} Hz",
            db(harmonics(other))
        );
    }
}

#[test]
fn latency_is_one_frame_more_whatever_the_block_and_the_output_waits_for_it() {
    let plain = Engine::with_params(Mode::Effect, SR, Params::default()).latency_samples();
    for block in [64usize, 256, 4096] {
        let mut engine = effect(true);
        assert_eq!(engine.latency_samples(), plain + HOP as u32);
        // An onset at 0.1 s: the decoded output starts a frame after the plain one.
        let input = sine(440.0, 0.3, 4_800, 24_000);
        let onset = |out: &[f32]| out.iter().position(|x| x.abs() > 1e-4).unwrap();
        let decoded = onset(&render(&mut engine, &input, block));
        let mut plain_engine = Engine::with_params(Mode::Effect, SR, Params::default());
        let undecoded = onset(&render(&mut plain_engine, &input, block));
        let delay = decoded as f32 - undecoded as f32;
        assert!(
            (delay - HOP).abs() <= HOP,
            "blocks of {block}: starts {delay} samples after the plain effect"
        );
    }
}

#[test]
fn silence_in_gives_silence_out_and_no_decoder_work() {
    let mut engine = effect(true);
    let out = render(&mut engine, &vec![0.0; 24_000], 128);
    assert!(out.iter().all(|&x| x == 0.0));
    assert_eq!(engine.stats().decoder_underruns, 0);
}

#[test]
fn a_quiet_tail_plays_on_at_the_held_pitch_and_silence_ends_it() {
    // A 220 Hz note at 0.3, then the same tone at 1e-4 (loudness about -71 dB: under the
    // fixed spectrum's -60 dB gate, over the model's silence at -79 dB), then nothing.
    let (loud, quiet) = (24_000, 48_000);
    let input: Vec<f32> = sine(220.0, 1.0, 0, 96_000)
        .iter()
        .enumerate()
        .map(|(i, x)| match i {
            i if i < loud => 0.3 * x,
            i if i < quiet => 1e-4 * x,
            _ => 0.0,
        })
        .collect();
    // A trained model (the shipped cello): the random test model plays loud noise whatever
    // the input's level, so it cannot show a tail following the input down.
    let out = render(
        &mut engine_with(link("cello"), Mode::Effect, true),
        &input,
        256,
    );
    let plain = render(
        &mut Engine::with_params(Mode::Effect, SR, Params::default()),
        &input,
        256,
    );
    // Well inside the quiet part: the model still plays the note's pitch; the plain effect,
    // gated, has gone silent.
    let tail = &out[loud + 9_600..quiet];
    let db = harmonic_db(tail, 220.0, 233.08);
    assert!(db > 5.0, "the quiet tail lost its pitch: {db:.1} dB");
    let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
    let (tail_rms, note_rms) = (rms(tail), rms(&out[9_600..loud]));
    assert!(
        tail_rms > 1e-6 && tail_rms < 0.01 * note_rms,
        "the tail should follow the input down 70 dB, not be cut: {tail_rms:e} against {note_rms:e}"
    );
    assert!(plain[loud + 9_600..quiet].iter().all(|&x| x == 0.0));
    // Silence: the loudness window empties (64 ms), the voice fades out (72 ms), a frame of
    // decoder latency and the 5 ms analysis latency; then exact zeros.
    let silent_from = quiet + (0.160 * SR) as usize;
    assert!(
        out[silent_from..].iter().all(|&x| x == 0.0),
        "still sounding {} ms after the input stopped",
        (out.iter().rposition(|&x| x != 0.0).unwrap() - quiet) as f32 / SR * 1e3
    );
}

fn play(engine: &mut Engine, events: &[Event], len: usize, block: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(len);
    let mut start = 0;
    while start < len {
        let n = block.min(len - start);
        let mut left = vec![0.0; n];
        let mut right = vec![0.0; n];
        let inside: Vec<Event> = events
            .iter()
            .filter(|e| (start..start + n).contains(&(e.time() as usize)))
            .map(|e| e.at(e.time() - start as u32))
            .collect();
        engine.process(&mut [&mut left, &mut right], 0, &inside);
        out.extend_from_slice(&left);
        start += n;
    }
    out
}

fn note(key: u8, on: u32, off: u32) -> [Event; 2] {
    [
        Event::NoteOn {
            time: on,
            channel: 0,
            key,
            velocity: 0.8,
        },
        Event::NoteOff {
            time: off,
            channel: 0,
            key,
        },
    ]
}

#[test]
fn instrument_notes_sound_a_frame_later_on_their_pitch_and_end() {
    let (on, off, len) = (1_000u32, 30_000u32, 48_000usize);
    let events = note(57, on, off); // A3, 220 Hz
    for block in [256usize, 4096] {
        let mut engine = engine(Mode::Instrument, true);
        assert_eq!(engine.latency_samples(), HOP as u32);
        let out = play(&mut engine, &events, len, block);
        let first = out.iter().position(|x| *x != 0.0).unwrap();
        let want = on as f32 + HOP;
        assert!(
            (first as f32 - want).abs() <= 1.0,
            "blocks of {block}: starts at {first}, want {want}"
        );
        // Silent again once the release has run, a frame after the note-off: 80 ms is a T60,
        // and a release falls 96 dB (`control::adsr::RELEASE_DEPTH_DB`).
        let end = off as usize + HOP as usize + ((0.08 * 96.0 / 60.0 + 0.005) * SR) as usize;
        assert!(
            out[end..].iter().all(|x| *x == 0.0),
            "blocks of {block}: the note did not end"
        );
        let held = &out[first + 4_800..first + 4_800 + 19_200];
        let on_pitch = harmonic_db(held, 220.0, 233.08);
        assert!(
            on_pitch > 5.0,
            "blocks of {block}: {on_pitch:.1} dB over a semitone up"
        );
    }
}

#[test]
fn a_note_on_a_frame_boundary_starts_on_time_without_a_miss() {
    // 24 000 samples is exactly 125 frames at 48 kHz: the block ends on a frame boundary and
    // the note starts there.
    let events = note(57, 24_000, 30_000);
    let mut engine = engine(Mode::Instrument, true);
    let out = play(&mut engine, &events, 48_000, 24_000);
    assert_eq!(engine.stats().decoder_underruns, 0);
    let first = out.iter().position(|x| *x != 0.0).unwrap();
    assert_eq!(first, 24_000 + 192);
}

#[test]
fn instrument_offline_renders_do_not_depend_on_block_size() {
    let mut events: Vec<Event> = [
        note(57, 500, 20_000),
        note(64, 9_000, 30_000),
        note(69, 9_000, 12_000),
    ]
    .concat();
    events.sort_by_key(|e| e.time());
    let reference = play(&mut engine(Mode::Instrument, true), &events, 40_000, 512);
    assert!(reference.iter().any(|x| *x != 0.0));
    for block in [1usize, 64, 4096] {
        let out = play(&mut engine(Mode::Instrument, true), &events, 40_000, block);
        assert!(out == reference, "block {block} renders differently");
    }
    // A chord: each of its notes is there.
    let chord = &reference[12_000 + 400..20_000];
    for (f0, other) in [(329.63, 349.23), (220.0, 233.08)] {
        assert!(
            harmonic_db(chord, f0, other) > 3.0,
            "{f0} Hz missing from the chord"
        );
    }
}

/// Power at `hz` over a Hann window (a direct sum: only a few frequencies are asked for).
fn power_at(x: &[f32], hz: f32) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (i, v) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / x.len() as f64).cos();
        let phase = std::f64::consts::TAU * hz as f64 * i as f64 / SR as f64;
        re += w * *v as f64 * phase.cos();
        im += w * *v as f64 * phase.sin();
    }
    re * re + im * im
}

/// Power on the first 20 harmonics of `f0`.
fn harmonic_power(x: &[f32], f0: f32) -> f64 {
    (1..=20).map(|k| power_at(x, f0 * k as f32)).sum()
}

/// Power on the first 20 harmonics of `f0` over that of `other`, in dB.
fn harmonic_db(x: &[f32], f0: f32, other: f32) -> f64 {
    10.0 * (harmonic_power(x, f0) / harmonic_power(x, other)).log10()
}

/// Largest sample-to-sample step in `x`.
fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn swapping_models_while_playing_has_no_gap_and_no_click() {
    for mode in [Mode::Effect, Mode::Instrument] {
        let mut engine = engine(mode, true);
        assert_eq!(engine.model_name(), Some("luthier-test"));
        let input = sine(220.0, 0.3, 0, 48_000);
        let events = note(57, 0, 48_000);
        let mut out = Vec::new();
        let mut retired = None;
        for (b, chunk) in input.chunks(480).enumerate() {
            let (mut left, mut right) = (chunk.to_vec(), chunk.to_vec());
            let start = (b * 480) as u32;
            let here: Vec<Event> = events
                .iter()
                .filter(|e| (start..start + 480).contains(&e.time()))
                .map(|e| e.at(e.time() - start))
                .collect();
            let inputs = if mode == Mode::Effect { 2 } else { 0 };
            engine.process(&mut [&mut left, &mut right], inputs, &here);
            out.extend_from_slice(&left);
            if b == 50 {
                // 0.5 s in, mid-note: another model (different timbre, different state size).
                assert!(engine.swap_decoder(link("test/luthier-test-b")).is_ok());
                assert_eq!(engine.model_name(), Some("luthier-test-b"));
                // A second swap before the first has finished is refused, not lost.
                let refused = engine
                    .swap_decoder(link("test/luthier-test"))
                    .err()
                    .map(|e| e.1);
                assert_eq!(refused, Some(luthier::engine::SwapRefused::Busy));
            }
            if let Some(old) = engine.take_retired_decoder() {
                retired = Some((b, old));
            }
        }
        let (at, old) = retired.expect("the old model was never handed back");
        assert_eq!(old.card().name, "luthier-test");
        assert!(
            at <= 50 + 2, // its last frame plays a frame (192 samples) later
            "{mode:?}: the old model came back only at block {at}"
        );
        assert_eq!(
            engine.stats().decoder_underruns,
            0,
            "{mode:?}: a gap at the swap"
        );
        // The swap happens near sample 24 480 plus a frame. No step there beyond what either
        // model makes on its own, and no dip in level.
        let swap = 24_480 + 192;
        let before = max_step(&out[12_000..23_000]);
        let after = max_step(&out[30_000..46_000]);
        let around = max_step(&out[swap - 1_000..swap + 1_000]);
        assert!(
            around <= 1.2 * before.max(after),
            "{mode:?}: step {around} at the swap, {before} before, {after} after"
        );
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let level = rms(&out[12_000..23_000]).min(rms(&out[30_000..46_000]));
        for ms in out[swap - 960..swap + 960].chunks(48) {
            assert!(
                rms(ms) > 0.2 * level,
                "{mode:?}: the sound dips at the swap"
            );
        }
        drop(old);
    }
}
