//! The decoder's cost per second of audio (250 frames), for 1, 4, 8 and 16 voices: one batched
//! call per frame against one call per voice per frame (the baseline), measured in the same run,
//! for each decoder width available.
//!
//! `cargo bench -p luthier --bench decoder` prints the table at the end. The H64 test decoder is
//! in models/test/; wider random decoders, for sizing, come from
//!   .venv/bin/python models/training/export_test_decoder.py --hidden 256 --out target/bench-models/luthier-test-h256
//! (and --hidden 128 ... -h128). ONNX Runtime: `LUTHIER_ONNXRUNTIME`, or `cargo xtask onnxruntime`'s cache.

mod common;

use common::{decoder_models, estimate};
use criterion::Criterion;
use luthier::model::decoder::{Controls, Decoder};
use std::time::Duration;

const FRAMES: usize = 250;
const VOICES: [usize; 4] = [1, 4, 8, 16];

/// One second of frames for `n` voices: batched (one call per frame) or one call per voice.
fn second(decoder: &mut Decoder, n: usize, batched: bool, state: &mut [f32], out: &mut Controls) {
    let h = decoder.card().state_size;
    let f0: Vec<f32> = (0..n).map(|v| 110.0 * (1.0 + v as f32 * 0.25)).collect();
    let db = vec![-30.0f32; n];
    for _ in 0..FRAMES {
        if batched {
            decoder.run(n, 1, &f0, &db, state, out).unwrap();
        } else {
            for v in 0..n {
                let s = &mut state[v * h..(v + 1) * h];
                decoder
                    .run(1, 1, &f0[v..v + 1], &db[v..v + 1], s, out)
                    .unwrap();
            }
        }
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let models = decoder_models(&["h64", "h128", "h256"]);
    for (width, path) in &models {
        let mut decoder = Decoder::load(path, None).expect("load the decoder");
        let h = decoder.card().state_size;
        let mut group = criterion.benchmark_group(format!("decoder_1s_{width}"));
        for n in VOICES {
            let mut state = vec![0.0; n * h];
            let mut out = Controls::default();
            for (name, batched) in [("batched", true), ("per_voice", false)] {
                group.bench_function(format!("{name}_{n}"), |b| {
                    b.iter(|| second(&mut decoder, n, batched, &mut state, &mut out))
                });
            }
        }
        group.finish();
    }
    criterion.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        println!("\ndecoder cost per second of audio (250 frames), % of one core:");
        println!("| width | voices | batched | one call per voice | batched is faster by |");
        println!("|---|---|---|---|---|");
        for (width, _) in &models {
            let group = format!("decoder_1s_{width}");
            for n in VOICES {
                let batched = estimate(&group, &format!("batched_{n}"));
                let single = estimate(&group, &format!("per_voice_{n}"));
                if let (Some(b), Some(s)) = (batched, single) {
                    println!(
                        "| {width} | {n} | {:.2} % | {:.2} % | {:.2}x |",
                        b * 100.0,
                        s * 100.0,
                        s / b
                    );
                }
            }
        }
    }
}
