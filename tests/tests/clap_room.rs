//! A live microphone in a room through the effect with a shipped model (the release `.clap` in
//! the CLAP host, paced as live playback): pink noise at -50 dBFS with a 50 Hz hum gives
//! silence once the effect has heard the room for a second and a half, and a note sung over the
//! room still plays.

use luthier_tests::clap_host::{ClapBundle, Pacing};
use luthier_tests::paths::{clap_bundle, shipped_model};
use luthier_tests::signal::sine;

const RATE: f64 = 48_000.0;

/// Pink noise (white noise shaped 1/f in the spectrum) at `db` dBFS RMS, seeded.
fn pink_noise(len: usize, db: f64, seed: u64) -> Vec<f32> {
    use realfft::RealFftPlanner;
    let mut state = seed;
    let mut white: Vec<f64> = (0..len)
        .map(|_| {
            // xorshift, two uniforms summed: near enough to Gaussian for a noise floor.
            let mut u = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            u() + u() - 1.0
        })
        .collect();
    let mut planner = RealFftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(len), planner.plan_fft_inverse(len));
    let mut spectrum = fwd.make_output_vec();
    fwd.process(&mut white, &mut spectrum).unwrap();
    spectrum[0] = 0.0.into();
    for (k, c) in spectrum.iter_mut().enumerate().skip(1) {
        *c /= (k as f64).sqrt();
    }
    let last = spectrum.len() - 1;
    spectrum[last].im = 0.0;
    let mut pink = vec![0.0f64; len];
    inv.process(&mut spectrum, &mut pink).unwrap();
    let rms = (pink.iter().map(|x| x * x).sum::<f64>() / len as f64).sqrt();
    let gain = 10f64.powf(db / 20.0) / rms;
    pink.iter().map(|x| (x * gain) as f32).collect()
}

#[test]
fn room_noise_gives_silence_and_a_note_over_it_still_plays() {
    std::env::set_var("LUTHIER_MODEL", shipped_model("violin"));
    let len = (5.0 * RATE) as usize;
    let hum = sine(
        50.0,
        (10f64.powf(-50.0 / 20.0) * 2f64.sqrt()) as f32,
        RATE,
        len,
    );
    let mut room: Vec<f32> = pink_noise(len, -50.0, 7)
        .iter()
        .zip(&hum)
        .map(|(n, h)| n + h)
        .collect();
    // A note sung over the room from 3.5 to 4.5 s.
    let note = sine(330.0, 0.3, RATE, len);
    for i in (3.5 * RATE) as usize..(4.5 * RATE) as usize {
        room[i] += note[i];
    }
    let mut plugin = ClapBundle::load(&clap_bundle())
        .unwrap()
        .instantiate("audio.luthier.fx")
        .unwrap();
    plugin.activate(RATE, 512).unwrap();
    plugin.set_pacing(Pacing::WallClock);
    let out = plugin.render(&[room.clone(), room], len, &[], &[512]);
    let sounding = |a: f64, b: f64| {
        let part = &out[0][(a * RATE) as usize..(b * RATE) as usize];
        part.iter().filter(|x| x.abs() > 1e-4).count() as f64 / part.len() as f64
    };
    let quiet = sounding(1.5, 3.5);
    assert!(
        quiet == 0.0,
        "the room played: {:.1} % of the samples from 1.5 s sound",
        quiet * 100.0
    );
    let sung = sounding(3.6, 4.4);
    assert!(
        sung > 0.9,
        "the note over the room played {:.1} % of the time",
        sung * 100.0
    );
    let after = sounding(4.8, 5.0);
    assert!(
        after == 0.0,
        "after the note the room played on: {:.1} %",
        after * 100.0
    );
}
