//! Renders the glide across Nyquist that `assets/plots/spectrogram.py` plots: 3 s at 48 kHz,
//! f0 gliding exponentially from 1 to 12 kHz, 100 harmonics at 1/k, through the real synth.
//! Writes raw little-endian f32 samples to `target/plots/nyquist_glide.f32`.

use luthier::dsp::frames::Frame;
use luthier::dsp::synth::{SynthConfig, VoiceSynth};
use luthier::grid::Segment;

const SR: u32 = 48_000;
const SECONDS: f64 = 3.0;

fn main() -> std::io::Result<()> {
    let config = SynthConfig::standard(SR);
    let weights: Vec<f32> = (1..=config.harmonics).map(|k| 1.0 / k as f32).collect();
    let noise = vec![0.0f32; config.noise_bands];
    let f0 = |j: usize| {
        let t = j as f64 / config.frame_rate as f64;
        (1000.0 * 12f64.powf(t / SECONDS)) as f32
    };
    let frame = |j: usize| Frame {
        f0_hz: f0(j),
        amplitude: 0.5,
        harmonics: &weights,
        noise: &noise,
    };
    let mut synth = VoiceSynth::new(&config);
    let mut seg = Segment::first(SR, config.frame_rate);
    synth.reset(&frame(0), seg);
    let total = (SECONDS * SR as f64) as usize;
    let mut out = Vec::with_capacity(total + seg.len());
    let mut j = 1;
    while out.len() < total {
        synth.push(&frame(j), seg);
        let mut buf = vec![0.0f32; seg.len()];
        synth.render(&mut buf);
        out.extend(buf);
        seg = seg.next();
        j += 1;
    }
    out.truncate(total);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plots");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("nyquist_glide.f32");
    let bytes: Vec<u8> = out.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&path, bytes)?;
    println!(
        "wrote {} ({} samples at {SR} Hz)",
        path.display(),
        out.len()
    );
    Ok(())
}
