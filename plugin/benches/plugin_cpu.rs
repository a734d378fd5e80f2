//! Whole-plugin CPU per second of 48 kHz audio, through the decoder: the effect on a sung-like
//! line, the instrument with 1 voice and with 8, host blocks of 64 and 512 samples. Measured
//! offline (the audio thread waits for each reply), so that both threads' work is counted
//! without the test pacing itself in real time: plugin CPU = the audio thread's time minus its
//! waiting, plus the decoder thread's own CPU time. The same engines with the fixed spectrum
//! (no decoder) are the baseline, measured in the same run. Median of 5 runs of 3 s each.
//!
//! `cargo bench -p luthier --bench plugin_cpu`. Decoder widths as in benches/decoder.rs.

mod common;

use common::decoder_models;
use luthier::engine::{DecoderOptions, Engine, Event, Mode, Params};
use luthier::model::decoder::Decoder;
use luthier::model::inference::Link;
use std::path::PathBuf;
use std::time::Instant;

const SR: f32 = 48_000.0;
const SECONDS: usize = 3;

#[derive(Clone, Copy)]
enum Case {
    Effect,
    Voices(usize),
}

fn engine(case: Case, model: Option<&PathBuf>, block: usize) -> Engine {
    let mode = match case {
        Case::Effect => Mode::Effect,
        Case::Voices(_) => Mode::Instrument,
    };
    match model {
        None => Engine::with_params(mode, SR, Params::default()),
        Some(path) => {
            let link = Link::start(Decoder::load(path, None).unwrap()).unwrap();
            let options = DecoderOptions {
                slack_frames: luthier::engine::slack_for_block(block as u32, SR),
                offline: true,
            };
            Engine::with_decoder(mode, SR, Params::default(), link, options)
        }
    }
}

/// Seconds of plugin CPU to render SECONDS of audio in `block`-sample blocks.
fn measure(case: Case, model: Option<&PathBuf>, block: usize) -> f64 {
    let mut engine = engine(case, model, block);
    let len = SECONDS * SR as usize;
    let input: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f32 / SR;
            let f0 = 220.0 * (1.0 + 0.01 * (std::f32::consts::TAU * 5.0 * t).sin());
            0.3 * (std::f32::consts::TAU * f0 * t).sin()
        })
        .collect();
    let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
    let started = Instant::now();
    let mut at = 0;
    while at < len {
        let n = block.min(len - at);
        let events: Vec<Event> = match case {
            Case::Voices(voices) if at == 0 => (0..voices)
                .map(|v| Event::NoteOn {
                    time: 0,
                    channel: 0,
                    key: 48 + 3 * v as u8,
                    velocity: 0.8,
                })
                .collect(),
            _ => Vec::new(),
        };
        left[..n].copy_from_slice(&input[at..at + n]);
        right[..n].copy_from_slice(&input[at..at + n]);
        let inputs = if matches!(case, Case::Effect) { 2 } else { 0 };
        engine.process(&mut [&mut left[..n], &mut right[..n]], inputs, &events);
        at += n;
    }
    let wall = started.elapsed().as_secs_f64();
    let (waited, busy) = engine.decoder_timing().unwrap_or((0, 0));
    (wall - waited as f64 * 1e-9 + busy as f64 * 1e-9) / SECONDS as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` builds benches and runs them without --bench: nothing to do.
    }
    println!("plugin CPU per second of 48 kHz audio (% of one core), median of 5 x {SECONDS} s:");
    println!("| case | block | decoder | with decoder | fixed spectrum (baseline) | ratio |");
    println!("|---|---|---|---|---|---|");
    let cases = [
        ("effect", Case::Effect),
        ("instrument, 1 voice", Case::Voices(1)),
        ("instrument, 8 voices", Case::Voices(8)),
    ];
    for (width, path) in decoder_models(&["h64", "h256"]) {
        for (name, case) in cases {
            for block in [64usize, 512] {
                let with: Vec<f64> = (0..5).map(|_| measure(case, Some(&path), block)).collect();
                let base: Vec<f64> = (0..5).map(|_| measure(case, None, block)).collect();
                let (with, base) = (median(with), median(base));
                println!(
                    "| {name} | {block} | {width} | {:.2} % | {:.2} % | {:.2}x |",
                    with * 100.0,
                    base * 100.0,
                    with / base
                );
            }
        }
    }
}
