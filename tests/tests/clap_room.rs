//! A live microphone in a room through the effect with a shipped model (the release `.clap` in
//! the CLAP host, paced as live playback): pink noise at -50 dBFS with a 50 Hz hum gives
//! silence once the effect has heard the room for a second and a half, and a note sung over the
//! room still plays. With the pitch range reaching down past the hum, the hum and a singer's
//! breaths give silence from the first frame, and a buzzing hum in a quiet room (as periodic in
//! the heard band as a note) gives silence too once the effect has heard it for 1.5 s.

use luthier_tests::clap_host::{ClapBundle, Pacing};
use luthier_tests::paths::{clap_bundle, shipped_model};
use luthier_tests::signal::sine;

const RATE: f64 = 48_000.0;

/// Pink noise (white noise shaped 1/f in the spectrum) at `db` dBFS RMS, seeded.
fn pink_noise(len: usize, db: f64, seed: u64) -> Vec<f32> {
    shaped_noise(len, db, seed, |hz| 1.0 / hz.sqrt())
}

/// Seeded white noise shaped by `gain(hz)` in the spectrum, at `db` dBFS RMS.
fn shaped_noise(len: usize, db: f64, seed: u64, gain: impl Fn(f64) -> f64) -> Vec<f32> {
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
        *c *= gain(k as f64 * RATE / len as f64);
    }
    let last = spectrum.len() - 1;
    spectrum[last].im = 0.0;
    let mut pink = vec![0.0f64; len];
    inv.process(&mut spectrum, &mut pink).unwrap();
    let rms = (pink.iter().map(|x| x * x).sum::<f64>() / len as f64).sqrt();
    let gain = 10f64.powf(db / 20.0) / rms;
    pink.iter().map(|x| (x * gain) as f32).collect()
}

/// 5 s of `room` with a note sung over it from 3.5 to 4.5 s, through the effect with the
/// violin, paced live; `lowest`: the Lowest Pitch knob's normalized value, if set. Gives the
/// share of the output's samples that sound between two times (s).
fn sing_over(mut room: Vec<f32>, lowest: Option<f64>) -> impl Fn(f64, f64) -> f64 {
    std::env::set_var("LUTHIER_MODEL", shipped_model("violin"));
    let len = room.len();
    let note = sine(330.0, 0.3, RATE, len);
    for i in (3.5 * RATE) as usize..(4.5 * RATE) as usize {
        room[i] += note[i];
    }
    let mut plugin = ClapBundle::load(&clap_bundle())
        .unwrap()
        .instantiate("audio.luthier.fx")
        .unwrap();
    plugin.activate(RATE, 512).unwrap();
    if let Some(value) = lowest {
        let id = plugin
            .param_id("Lowest Pitch")
            .expect("a Lowest Pitch parameter");
        plugin.set_param(id, value);
    }
    plugin.set_pacing(Pacing::WallClock);
    let out = plugin.render(&[room.clone(), room], len, &[], &[512]);
    move |a: f64, b: f64| {
        let part = &out[0][(a * RATE) as usize..(b * RATE) as usize];
        part.iter().filter(|x| x.abs() > 1e-4).count() as f64 / part.len() as f64
    }
}

fn the_note_plays(sounding: &impl Fn(f64, f64) -> f64) {
    let sung = sounding(3.6, 4.4);
    assert!(
        sung > 0.9,
        "the note over the room played {:.1} % of the time",
        sung * 100.0
    );
}

fn hum(len: usize, harmonics: &[(f64, f32)]) -> Vec<f32> {
    let amp = (10f64.powf(-50.0 / 20.0) * 2f64.sqrt()) as f32;
    harmonics
        .iter()
        .map(|&(hz, share)| sine(hz, amp * share, RATE, len))
        .fold(vec![0.0; len], |acc, h| {
            acc.iter().zip(&h).map(|(a, b)| a + b).collect()
        })
}

/// Nothing of the output sounds between two times (s); `what` names what would have played.
fn silent(sounding: &impl Fn(f64, f64) -> f64, from: f64, to: f64, what: &str) {
    let share = sounding(from, to);
    assert!(
        share == 0.0,
        "{what} played: {:.2} % of the samples from {from} s to {to} s sound",
        share * 100.0
    );
}

fn mix(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

#[test]
fn room_noise_gives_silence_and_a_note_over_it_still_plays() {
    let len = (5.0 * RATE) as usize;
    let room = mix(&pink_noise(len, -50.0, 7), &hum(len, &[(50.0, 1.0)]));
    let sounding = sing_over(room, None);
    silent(&sounding, 1.5, 3.5, "the room");
    the_note_plays(&sounding);
    silent(&sounding, 4.8, 5.0, "after the note, the room");
}

#[test]
fn hum_in_the_pitch_range_and_breaths_give_silence_from_the_start() {
    let len = (5.0 * RATE) as usize;
    // Mains hum with its second and third harmonics, as a ground loop has.
    let hum = hum(len, &[(50.0, 1.0), (100.0, 0.3), (150.0, 0.2)]);
    let mut room = mix(&pink_noise(len, -50.0, 11), &hum);
    // Breaths: 300 ms of band-passed noise (500 Hz - 4 kHz) at -30 dBFS, swelling in and out.
    let breath_len = (0.3 * RATE) as usize;
    for (k, at) in [0.5, 1.5, 2.5].iter().enumerate() {
        let band = |hz: f64| f64::from(u8::from((500.0..4000.0).contains(&hz)));
        let breath = shaped_noise(breath_len, -30.0, 20 + k as u64, band);
        let start = (at * RATE) as usize;
        for (i, b) in breath.iter().enumerate() {
            let swell = (std::f64::consts::PI * i as f64 / breath_len as f64).sin() as f32;
            room[start + i] += b * swell * std::f32::consts::SQRT_2;
        }
    }
    // The bottom of Lowest Pitch's range, 40 Hz: the hum's 50 Hz is a pitch the tracker seeks.
    let sounding = sing_over(room, Some(0.0));
    silent(&sounding, 0.0, 3.5, "the hum or a breath");
    the_note_plays(&sounding);
}

#[test]
fn a_buzzing_hum_in_a_quiet_room_is_learnt_and_gives_silence() {
    let len = (5.0 * RATE) as usize;
    // A ground loop's buzz (50 Hz with strong harmonics up to 200 Hz) at -50 dBFS, the room's
    // hiss 20 dB under it: in the heard band the buzz is as periodic as a note, so only knowing
    // it for the mains tells them apart. The effect learns it in its first half second; what
    // it played meanwhile has faded by 1.25 s.
    let buzz = hum(
        len,
        &[(50.0, 1.0), (100.0, 0.5), (150.0, 0.3), (200.0, 0.2)],
    );
    let room = mix(&pink_noise(len, -70.0, 13), &buzz);
    let sounding = sing_over(room, Some(0.0));
    silent(&sounding, 1.5, 3.5, "the buzz");
    the_note_plays(&sounding);
}
