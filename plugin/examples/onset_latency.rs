//! The effect's onset delay for tones of several pitches: the time from a tone's start to the
//! output's -20 dB and -6 dB points (relative to its settled level), at 48 kHz in 64-sample
//! blocks. `cargo run --release -p luthier --example onset_latency [MODEL.onnx]`: with a model,
//! through its decoder (one frame of latency, taken off the figures, which are then the
//! analysis's part alone, the part the effect reports beside the decoder's frame).
use luthier::analysis::pitch::PitchConfig;
use luthier::engine::{Engine, Mode, Params, Rendering};
use luthier::model::{decoder::Decoder, inference::Link};

fn engine(model: Option<&str>, sr: f32, params: Params) -> Engine {
    match model {
        None => Engine::with_params(Mode::Effect, sr, params),
        Some(path) => {
            let link = Link::start(Decoder::load(path.as_ref(), None).unwrap()).unwrap();
            Engine::with_decoder(Mode::Effect, sr, params, link, Rendering::Offline)
        }
    }
}

fn main() {
    let model = std::env::args().nth(1);
    // One frame of decoder latency with a model, at the 48 kHz used throughout.
    let slack = if model.is_some() {
        (48_000 / luthier::limits::FRAME_RATE_HZ) as usize
    } else {
        0
    };
    let low = Params {
        pitch: PitchConfig {
            min_hz: 40.0,
            ..PitchConfig::default()
        },
        ..Params::default()
    };
    let cases =
        [82.0f32, 110.0, 220.0, 440.0, 880.0].map(|hz| (hz, Params::default(), "default range"));
    let low_cases = [42.0f32, 50.0, 65.0, 440.0].map(|hz| (hz, low, "lowest pitch 40 Hz"));
    for (hz, params, label) in cases.into_iter().chain(low_cases) {
        let sr = 48_000usize;
        let onset = sr / 2;
        let len = sr;
        let mut engine = engine(model.as_deref(), sr as f32, params);
        let mut out = vec![0.0f32; len];
        for start in (0..len).step_by(64) {
            let mut l: Vec<f32> = (start..start + 64)
                .map(|i| {
                    if i < onset {
                        0.0
                    } else {
                        0.5 * (std::f32::consts::TAU * hz * (i - onset) as f32 / sr as f32).sin()
                    }
                })
                .collect();
            let mut r = l.clone();
            engine.process(&mut [&mut l[..], &mut r[..]], 2, &[]);
            out[start..start + 64].copy_from_slice(&l);
        }
        let env = |a: usize| (out[a..a + 48].iter().map(|x| x * x).sum::<f32>() / 48.0).sqrt();
        let fin = env(len - 4800);
        let t6 = (onset..len - 48).find(|&a| env(a) >= 0.5 * fin).unwrap() - onset - slack;
        let t20 = (onset..len - 48).find(|&a| env(a) >= 0.1 * fin).unwrap() - onset - slack;
        println!(
            "{hz} Hz ({label}): -20 dB after {:.1} ms, -6 dB after {:.1} ms",
            t20 as f32 / 48.0,
            t6 as f32 / 48.0
        );
    }
}
