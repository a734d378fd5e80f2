//! Hand-off time: from the audio thread sending a block's job to its reply being there, at a
//! real-time pace (a job per host block: 3 frames per 512-sample block at 48 kHz, 1 per 4 ms
//! block) and with another thread keeping one core busy, as a host's other work would. The
//! engine waits for a reply at most half the block's duration (`engine::WAIT_SHARE`); the
//! percentiles say how often that bound would be reached. The "audio thread" waits the way the
//! engine does (a futex wait on the reply), so arrival times are exact.
//!
//! `cargo bench -p luthier --bench handoff` (about a minute). Decoders: the shipped violin (GRU
//! 128) and the widths of benches/decoder.rs that are there.

mod common;

use common::decoder_models;
use luthier::engine::WAIT_SHARE;
use luthier::model::decoder::Decoder;
use luthier::model::inference::Link;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECONDS: f64 = 20.0;

/// Hand-off times (ms) of jobs of `voices` voices and `frames` frames, one every `block`.
fn run(model: &Path, voices: usize, frames: usize, block: Duration) -> Vec<f64> {
    let mut link = Link::start(Decoder::load(model, None).unwrap()).unwrap();
    let mut job = Some(link.new_job());
    let count = (SECONDS / block.as_secs_f64()) as usize;
    let mut times = Vec::with_capacity(count);
    let start = Instant::now();
    for (seq, due) in (0..count).map(|k| (k as u64, start + block * k as u32)) {
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut filled = job.take().expect("the job came back");
        filled.begin(seq);
        for v in 0..voices {
            let row = filled.open_row(v, seq == 0).unwrap();
            for _ in 0..frames {
                filled
                    .push(row, 110.0 * (1.0 + v as f32 * 0.25), -30.0)
                    .unwrap();
            }
        }
        let sent = Instant::now();
        link.send(filled).ok().expect("queue has room");
        while job.is_none() {
            link.wait(sent + Duration::from_secs(1));
            job = link.receive();
            if sent.elapsed() > Duration::from_secs(1) {
                panic!("no reply within a second");
            }
        }
        times.push(sent.elapsed().as_secs_f64() * 1e3);
    }
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut models = vec![("violin".to_string(), root.join("models/violin.onnx"))];
    models.extend(decoder_models(&["h64", "h256"]));
    let stop = Arc::new(AtomicBool::new(false));
    let hog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut x = 1.0f64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..10_000 {
                    x = (x * 1.000_001).sin() + 1.0;
                }
            }
            x
        })
    };
    println!("hand-off time, a job per block for {SECONDS} s, one core kept busy (ms):");
    println!(
        "| decoder | block | voices x frames | p50 | p99 | p99.9 | max | over the wait bound |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, path) in &models {
        for (block_ms, frames) in [(4.0, 1usize), (10.667, 3)] {
            let block = Duration::from_secs_f64(block_ms / 1e3);
            let bound = block_ms * WAIT_SHARE;
            for voices in [1usize, 8] {
                let mut t = run(path, voices, frames, block);
                t.sort_by(f64::total_cmp);
                let over = t.iter().filter(|&&x| x > bound).count();
                println!(
                    "| {name} | {block_ms} ms | {voices} x {frames} | {:.2} | {:.2} | {:.2} | {:.2} | {over} of {} ({bound:.2} ms) |",
                    percentile(&t, 0.5),
                    percentile(&t, 0.99),
                    percentile(&t, 0.999),
                    t[t.len() - 1],
                    t.len(),
                );
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = hog.join();
}
