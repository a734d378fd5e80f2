//! Bare ONNX Runtime at a host's pace: the CPU that the decoder calls alone cost when made the
//! way the engine makes them (one call per host block holding a frame boundary, of every
//! sounding voice's frames in that block) at the pace a live host calls `process`. The baseline
//! of `cargo xtask bench-cpu`, which runs this beside the plugin in its CLAP host.
//!
//! `cargo run --release -p luthier --example bare_decoder -- MODEL.onnx VOICES BLOCK SECONDS`
//! prints `cpu_seconds wall_seconds calls` (CPU of every thread of this process).

use luthier::grid::Segment;
use luthier::limits::FRAME_RATE_HZ;
use luthier::model::decoder::{Controls, Decoder};
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;

fn process_cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // Safety: getrusage only writes the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Frame boundaries the engine plans in each block of `block` samples, in order.
fn frames_per_block(block: usize, blocks: usize) -> Vec<usize> {
    let mut segment = Segment::first(RATE, FRAME_RATE_HZ);
    let mut next_boundary = segment.len();
    (0..blocks)
        .map(|b| {
            let end = (b + 1) * block;
            let mut count = 0;
            while next_boundary < end {
                count += 1;
                segment = segment.next();
                next_boundary += segment.len();
            }
            count
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, voices, block, seconds] = &args[..] else {
        eprintln!("usage: bare_decoder MODEL.onnx VOICES BLOCK SECONDS");
        std::process::exit(2);
    };
    let (voices, block): (usize, usize) = (voices.parse().unwrap(), block.parse().unwrap());
    let seconds: f64 = seconds.parse().unwrap();
    let mut decoder = Decoder::load(model.as_ref(), None).expect("the model loads");
    let h = decoder.card().state_size;
    let mut state = vec![0.0f32; voices * h];
    let mut out = Controls::default();
    let period = Duration::from_secs_f64(block as f64 / RATE as f64);
    let blocks = (seconds * RATE as f64 / block as f64) as usize;
    let warm = (RATE as usize / block).max(1);
    let plan = frames_per_block(block, warm + blocks);
    let mut call = |frames: usize| {
        let f0 = vec![220.0f32; voices * frames];
        let loudness = vec![-30.0f32; voices * frames];
        decoder
            .run(voices, frames, &f0, &loudness, &mut state, &mut out)
            .expect("the decoder runs");
    };
    // A second of warm-up, as in the plugin's run, then the measured stretch.
    let start = Instant::now();
    let (mut cpu0, mut wall0, mut calls) = (0.0, start, 0u64);
    for (b, &frames) in plan.iter().enumerate() {
        if b == warm {
            cpu0 = process_cpu_seconds();
            wall0 = Instant::now();
            calls = 0;
        }
        let due = start + period * b as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if frames > 0 {
            call(frames);
            calls += 1;
        }
    }
    let cpu = process_cpu_seconds() - cpu0;
    println!("{cpu} {} {calls}", wall0.elapsed().as_secs_f64());
}
