//! Hand-off latency: from the audio thread's request to the decoder's reply being there, with a
//! frame every 4 ms (real-time pace) and another thread keeping one core busy, as a host's other
//! work would. Reports percentiles against the slack the plugin reports (one frame, 4 ms, for
//! host blocks up to 4 ms). The "audio thread" here polls every 100 µs, so arrival times are
//! exact to that.
//!
//! `cargo bench -p luthier --bench handoff` (about a minute). Decoder widths as in
//! benches/decoder.rs.

mod common;

use common::decoder_models;
use luthier::model::decoder::Decoder;
use luthier::model::inference::{Link, Request, VoiceRequest};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FRAMES: usize = 5_000; // 20 s
const HOP: Duration = Duration::from_millis(4);
const POLL: Duration = Duration::from_micros(100);

/// Latencies (ms) of FRAMES requests of `voices` voices each.
fn run(model: &PathBuf, voices: usize) -> Vec<f64> {
    let mut link = Link::start(Decoder::load(model, None).unwrap()).unwrap();
    let mut latencies = Vec::with_capacity(FRAMES);
    let start = Instant::now();
    for seq in 0..FRAMES as u64 {
        let due = start + HOP * seq as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut request = Request {
            seq,
            ..Request::default()
        };
        for (v, r) in request.voices.iter_mut().take(voices).enumerate() {
            *r = VoiceRequest {
                active: true,
                reset: seq == 0,
                f0_hz: 110.0 * (1.0 + v as f32 * 0.25),
                loudness_db: -30.0,
            };
        }
        let sent = Instant::now();
        link.send(request);
        while link.take(seq, false).is_none() {
            if sent.elapsed() > Duration::from_secs(1) {
                break;
            }
            std::thread::sleep(POLL);
        }
        latencies.push(sent.elapsed().as_secs_f64() * 1e3);
    }
    latencies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let models = decoder_models(&["h64", "h256"]);
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
    println!("hand-off latency, a frame every 4 ms for 20 s, one core kept busy (ms):");
    println!("| decoder | voices | p50 | p99 | p99.9 | max | over 4 ms (1 frame) | over 8 ms |");
    println!("|---|---|---|---|---|---|---|---|");
    for (width, path) in &models {
        for voices in [1usize, 8] {
            let mut l = run(path, voices);
            l.sort_by(f64::total_cmp);
            let over = |ms: f64| l.iter().filter(|&&x| x > ms).count();
            println!(
                "| {width} | {voices} | {:.2} | {:.2} | {:.2} | {:.2} | {} of {} | {} |",
                percentile(&l, 0.5),
                percentile(&l, 0.99),
                percentile(&l, 0.999),
                l[l.len() - 1],
                over(4.0),
                l.len(),
                over(8.0)
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = hog.join();
}
