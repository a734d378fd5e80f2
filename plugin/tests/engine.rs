//! The engine without a model, driven directly: the instrument's output does not depend on the
//! host's block size, notes start on their own sample and end, the effect plays the pitch and
//! level it hears and falls silent after its input, bad events and samples are counted, rates
//! are clamped to what the engine supports; and a transport jump (reset) holds no note over.

use luthier::dsp::noise::WhiteNoise;
use luthier::engine::{Engine, Event, Mode, Params};
use luthier::limits::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
fn render(
    engine: &mut Engine,
    len: usize,
    channels: usize,
    inputs: usize,
    events: &[Event],
    block: &mut dyn FnMut() -> usize,
    input: &dyn Fn(usize, usize) -> f32,
) -> Vec<Vec<f32>> {
    let mut out = vec![vec![0.0f32; len]; channels];
    let mut pos = 0;
    while pos < len {
        let n = block().min(len - pos);
        let mut bufs: Vec<Vec<f32>> = (0..channels)
            .map(|c| {
                (pos..pos + n)
                    .map(|i| if c < inputs { input(c, i) } else { 0.0 })
                    .collect()
            })
            .collect();
        let block_events: Vec<Event> = events
            .iter()
            .filter(|e| (pos..pos + n).contains(&(e.time() as usize)))
            .map(|e| e.at(e.time() - pos as u32))
            .collect();
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        engine.process(&mut refs, inputs, &block_events);
        for c in 0..channels {
            out[c][pos..pos + n].copy_from_slice(&bufs[c]);
        }
        pos += n;
    }
    out
}

fn silence(_: usize, _: usize) -> f32 {
    0.0
}

fn notes() -> Vec<Event> {
    vec![
        Event::NoteOn {
            time: 37,
            channel: 0,
            key: 60,
            velocity: 0.9,
        },
        Event::NoteOn {
            time: 2000,
            channel: 0,
            key: 67,
            velocity: 0.5,
        },
        Event::NoteOff {
            time: 6000,
            channel: 0,
            key: 60,
        },
        Event::AllNotesOff { time: 9000 },
    ]
}

#[test]
fn instrument_output_does_not_depend_on_block_size() {
    let mut rng = WhiteNoise::new(5);
    let mut random = move || 1 + (rng.next_u64() % 700) as usize;
    let mut reference = None;
    let (mut one, mut small, mut big) = (|| 1usize, || 64usize, || 4096usize);
    let patterns: [&mut dyn FnMut() -> usize; 4] = [&mut one, &mut small, &mut big, &mut random];
    for pattern in patterns {
        let mut engine = Engine::new(Mode::Instrument, 44_100.0);
        let out = render(&mut engine, 20_000, 2, 0, &notes(), pattern, &silence);
        assert_eq!(out[0], out[1]);
        match &reference {
            None => reference = Some(out),
            Some(r) => assert_eq!(r, &out),
        }
    }
}

#[test]
fn note_starts_on_its_sample_and_all_notes_off_silences() {
    let mut engine = Engine::new(Mode::Instrument, 48_000.0);
    let out = render(&mut engine, 20_000, 1, 0, &notes(), &mut || 512, &silence);
    let x = &out[0];
    assert!(x[..37].iter().all(|&v| v == 0.0));
    assert!(x[37] != 0.0, "the note sounds from its own sample");
    // The release is a T60 and falls 96 dB: 1.6 of it.
    let release = (Params::default().release_seconds * 96.0 / 60.0 * 48_000.0) as usize;
    assert!(x[9000 + release + 1..].iter().all(|&v| v == 0.0));
    assert_eq!(engine.active_voices(), 0);
}

/// f0 from rising crossings of +h after dips below -h (h a third of the RMS), interpolated
/// between samples: noise near zero cannot add crossings.
fn zero_crossing_hz(x: &[f32], sr: f32) -> f32 {
    let h = (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt() / 3.0;
    let (mut armed, mut crossings) = (false, Vec::new());
    for (i, w) in x.windows(2).enumerate() {
        armed |= w[0] < -h;
        if armed && w[0] < h && w[1] >= h {
            crossings.push(i as f32 + (h - w[0]) / (w[1] - w[0]));
            armed = false;
        }
    }
    let periods = crossings.len() - 1;
    sr * periods as f32 / (crossings[periods] - crossings[0])
}

fn effect_render(
    input: &dyn Fn(usize) -> f32,
    len: usize,
    block: usize,
) -> (Engine, Vec<Vec<f32>>) {
    let mut engine = Engine::new(Mode::Effect, 48_000.0);
    let out = render(&mut engine, len, 2, 1, &[], &mut || block, &|_, i| input(i));
    (engine, out)
}

fn sine_at(hz: f32, amp: f32, onset: usize) -> impl Fn(usize) -> f32 {
    move |i| {
        if i < onset {
            0.0
        } else {
            amp * (std::f32::consts::TAU * hz * (i - onset) as f32 / 48_000.0).sin()
        }
    }
}

#[test]
fn effect_plays_the_pitch_it_hears_on_both_outputs() {
    for hz in [110.0, 220.0, 440.0, 880.0] {
        let (_, out) = effect_render(&sine_at(hz, 0.5, 0), 24_000, 256);
        assert_eq!(out[0], out[1]);
        let f0 = zero_crossing_hz(&out[0][9600..], 48_000.0);
        let cents = 1200.0 * (f0 / hz).log2();
        assert!(cents.abs() < 10.0, "{hz} Hz in, {f0} Hz out");
    }
}

#[test]
fn effect_level_follows_the_input_in_db() {
    let level = |amp: f32| {
        let (_, out) = effect_render(&sine_at(330.0, amp, 0), 24_000, 512);
        let tail = &out[0][12_000..];
        (tail.iter().map(|x| x * x).sum::<f32>() / tail.len() as f32).sqrt()
    };
    let db = 20.0 * (level(0.05) / level(0.5)).log10();
    assert!(
        (db + 20.0).abs() < 0.5,
        "20 dB quieter input gives {db:.2} dB"
    );
}

#[test]
fn effect_falls_silent_after_the_input_stops_and_counts_bad_samples() {
    let input = |i: usize| match i {
        100 => f32::NAN,
        200 => f32::INFINITY,
        i if i < 12_000 => 0.4 * (std::f32::consts::TAU * 262.0 * i as f32 / 48_000.0).sin(),
        _ => 0.0,
    };
    let (engine, out) = effect_render(&input, 30_000, 128);
    assert!(out[0].iter().all(|v| v.is_finite()));
    assert!(
        out[0][6000..12_000].iter().any(|v| v.abs() > 0.01),
        "no sound while playing"
    );
    // The fade takes about 55 ms after the 32 ms loudness window has emptied.
    assert!(
        out[0][12_000 + 6000..].iter().all(|&v| v == 0.0),
        "still sounding 125 ms after the input stopped"
    );
    assert_eq!(engine.stats().non_finite_input, 2);
}

#[test]
fn effect_without_input_is_silent() {
    let mut engine = Engine::new(Mode::Effect, 48_000.0);
    let out = render(&mut engine, 300, 2, 0, &[], &mut || 256, &|_, _| 1.0);
    assert!(out.iter().flatten().all(|&v| v == 0.0));
}

#[test]
fn invalid_events_are_rejected_and_counted() {
    let mut engine = Engine::new(Mode::Instrument, 48_000.0);
    let bad = [
        Event::NoteOn {
            time: 0,
            channel: 0,
            key: 200,
            velocity: 1.0,
        },
        Event::NoteOn {
            time: 1,
            channel: 0,
            key: 60,
            velocity: f32::NAN,
        },
        Event::NoteOff {
            time: 2,
            channel: 3,
            key: 99,
        },
    ];
    let out = render(&mut engine, 256, 1, 0, &bad, &mut || 256, &silence);
    assert!(out[0].iter().all(|&v| v == 0.0));
    assert_eq!(engine.stats().rejected_events, 2);
}

#[test]
fn events_past_the_block_end_apply_at_its_end() {
    let mut engine = Engine::new(Mode::Instrument, 48_000.0);
    let mut buf = vec![0.0f32; 64];
    engine.process(
        &mut [&mut buf[..]],
        0,
        &[Event::NoteOn {
            time: 1000,
            channel: 0,
            key: 60,
            velocity: 1.0,
        }],
    );
    assert!(buf.iter().all(|&v| v == 0.0));
    assert_eq!(engine.active_voices(), 1);
}

#[test]
fn out_of_range_sample_rates_are_clamped() {
    assert_eq!(
        Engine::new(Mode::Effect, 1.0).sample_rate(),
        MIN_SAMPLE_RATE
    );
    assert_eq!(
        Engine::new(Mode::Effect, 1e9).sample_rate(),
        MAX_SAMPLE_RATE
    );
    assert_eq!(Engine::new(Mode::Effect, f32::NAN).sample_rate(), 48_000.0);
}
