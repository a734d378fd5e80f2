//! Properties of the harmonic synthesizer, with expectations derived from the signal's
//! definition rather than from recorded outputs: no aliasing across Nyquist, no discontinuity at
//! frame or block boundaries, no phase drift over an hour, and which amplitude interpolation
//! makes less zipper noise.

use luthier::dsp::bank::Kernel;
use luthier::dsp::frames::Frame;
use luthier::dsp::harmonic::{HarmonicSynth, Interp};
use luthier::dsp::noise::WhiteNoise;
use luthier::grid::Segment;
use realfft::RealFftPlanner;
use std::f64::consts::TAU;

/// Controls of frame j as a function of its time in seconds.
struct Trajectory<'a> {
    f0: &'a dyn Fn(f64) -> f32,
    amplitude: &'a dyn Fn(f64) -> f32,
    weights: &'a dyn Fn(f64, &mut Vec<f32>),
}

/// Renders `seconds` of audio, cutting segments into blocks of sizes from `blocks`.
fn render(
    sr: u32,
    fr: u32,
    k: usize,
    interp: Interp,
    seconds: f64,
    t: &Trajectory,
    blocks: &mut dyn FnMut() -> usize,
) -> Vec<f32> {
    let mut synth = HarmonicSynth::with_kernel(k, interp, Kernel::detect());
    let mut weights = Vec::new();
    let frame_at = |j: usize, weights: &mut Vec<f32>| {
        let time = j as f64 / fr as f64;
        (t.weights)(time, weights);
        ((t.f0)(time), (t.amplitude)(time))
    };
    let (f0, a) = frame_at(0, &mut weights);
    synth.reset(&Frame {
        f0_hz: f0,
        amplitude: a,
        harmonics: &weights,
        noise: &[],
    });
    let mut seg = Segment::first(sr, fr);
    let total = (seconds * sr as f64) as usize;
    let mut out = Vec::with_capacity(total + 1000);
    let mut j = 0;
    while out.len() < total {
        j += 1;
        let (f0, a) = frame_at(j, &mut weights);
        synth.push(
            &Frame {
                f0_hz: f0,
                amplitude: a,
                harmonics: &weights,
                noise: &[],
            },
            seg,
        );
        let mut pos = 0;
        while pos < seg.len() {
            let n = blocks().clamp(1, seg.len() - pos);
            let mut buf = vec![0.0f32; n];
            synth.render(pos, &mut buf);
            out.extend(buf);
            pos += n;
        }
        seg = seg.next();
    }
    out.truncate(total);
    out
}

fn blackman_harris(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let x = TAU * i as f64 / n as f64;
            0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos() - 0.01168 * (3.0 * x).cos()
        })
        .collect()
}

fn power_spectrum(x: &[f32], window: &[f64]) -> Vec<f64> {
    let n = window.len();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut buf: Vec<f64> = x.iter().zip(window).map(|(a, w)| *a as f64 * w).collect();
    let mut spec = fft.make_output_vec();
    fft.process(&mut buf, &mut spec).unwrap();
    spec.iter().map(|c| c.norm_sqr()).collect()
}

#[test]
fn glide_across_nyquist_does_not_alias() {
    // f0 glides 4.0 -> 6.5 kHz in 2 s at 48 kHz: harmonics 4, 5 and 6 cross Nyquist, each at a
    // different time. All 100 weights equal: the worst case, where an alias would be as loud
    // as a harmonic (about -17 dB below the whole signal).
    let (sr, fr, seconds) = (48_000u32, 250u32, 2.0);
    let f0 = |t: f64| (4000.0 * (6500.0f64 / 4000.0).powf(t / seconds)) as f32;
    let traj = Trajectory {
        f0: &f0,
        amplitude: &|_| 0.5,
        weights: &|_, w| *w = vec![1.0; 100],
    };
    let x = render(
        sr,
        fr,
        100,
        Interp::RaisedCosine,
        seconds,
        &traj,
        &mut || usize::MAX,
    );

    // Windows of 2048 (43 ms): f0 moves at most 1.1 % in one, so a harmonic's track is narrow.
    let (n, hop) = (2048usize, 1024usize);
    let window = blackman_harris(n);
    let bin_hz = sr as f64 / n as f64;
    let mut worst_db = f64::NEG_INFINITY;
    let mut measured = 0;
    for start in (0..x.len() - n).step_by(hop) {
        let spec = power_spectrum(&x[start..start + n], &window);
        let total: f64 = spec.iter().sum();
        let (f_lo, f_hi) = (
            f0(start as f64 / sr as f64) as f64,
            f0((start + n) as f64 / sr as f64) as f64,
        );
        // Legitimate energy: each kept harmonic's track across the window, plus the window's
        // main lobe (4 bins each side for Blackman-Harris).
        let margin = 5.0 * bin_hz;
        let legit = |f: f64| {
            (1..=100).any(|k| {
                let (lo, hi) = (k as f64 * f_lo, k as f64 * f_hi);
                lo < sr as f64 / 2.0 && f >= lo - margin && f <= hi + margin
            })
        };
        // Where an alias of a harmonic above Nyquist would land: sr - k f0.
        for k in 1..=100 {
            let (a_hi, a_lo) = (sr as f64 - k as f64 * f_lo, sr as f64 - k as f64 * f_hi);
            if k as f64 * f_hi <= sr as f64 / 2.0 || a_lo <= 0.0 {
                continue;
            }
            for (bin, p) in spec.iter().enumerate() {
                let f = bin as f64 * bin_hz;
                if f >= a_lo - margin
                    && f <= a_hi + margin
                    && !legit(f)
                    && f < sr as f64 / 2.0 - 100.0
                {
                    worst_db = worst_db.max(10.0 * (p / total).log10());
                    measured += 1;
                }
            }
        }
    }
    println!(
        "aliasing: worst bin {worst_db:.1} dB relative to the whole signal, over {measured} bins"
    );
    assert!(
        measured > 1000,
        "the test looked at too few alias bins ({measured})"
    );
    assert!(
        worst_db < -90.0,
        "energy at aliased frequencies reaches {worst_db:.1} dB"
    );
}

/// |y[n+1] - y[n]| of a sum of sinusoids of amplitudes c_k and frequencies f_k is at most
/// sum_k c_k * 2 sin(pi f_k / sr) (Bernstein), plus what the amplitudes themselves move.
#[test]
fn no_discontinuity_at_frame_or_block_boundaries() {
    let (sr, fr, seconds, k) = (44_100u32, 250u32, 0.5, 40usize);
    // Vibrato, a swelling amplitude and a timbre changing every frame: boundaries everywhere.
    let f0 = |t: f64| (220.0 * (1.0 + 0.03 * (TAU * 5.5 * t).sin())) as f32;
    let amp = |t: f64| (0.3 + 0.2 * (TAU * 3.0 * t).sin()) as f32;
    let weights = |t: f64, w: &mut Vec<f32>| {
        *w = (1..=k)
            .map(|h| ((1.0 + (t * 37.0 + h as f64).sin()) / h as f64) as f32)
            .collect();
    };
    let traj = Trajectory {
        f0: &f0,
        amplitude: &amp,
        weights: &weights,
    };
    let mut rng = WhiteNoise::new(5);
    let mut random = move || 1 + (rng.next_u64() % 200) as usize;
    let x = render(sr, fr, k, Interp::RaisedCosine, seconds, &traj, &mut random);
    let mut seg = Segment::first(sr, fr);
    let mut boundary = 0usize;
    let mut worst_ratio: f64 = 0.0;
    for n in 0..x.len() - 1 {
        if n == boundary + seg.len() {
            boundary = n;
            seg = seg.next();
        }
        let t = n as f64 / sr as f64;
        let f = f0(t) as f64 * 1.05; // the vibrato's peak within a sample's reach
        let mut w = Vec::new();
        weights(t, &mut w);
        let sum: f64 = w.iter().map(|&v| v as f64).sum();
        let bound: f64 = w
            .iter()
            .enumerate()
            .filter(|(h, _)| (h + 1) as f64 * f < sr as f64 / 2.0)
            .map(|(h, &v)| {
                v as f64 / sum * 2.0 * (std::f64::consts::PI * (h + 1) as f64 * f / sr as f64).sin()
            })
            .sum::<f64>()
            * 0.5
            * 1.1; // amplitude and timbre move within a frame by far less than 10 %
        let step = (x[n + 1] - x[n]).abs() as f64;
        worst_ratio = worst_ratio.max(step / bound);
    }
    println!("largest step / bandwidth bound: {worst_ratio:.3}");
    assert!(
        worst_ratio <= 1.0,
        "a step of {worst_ratio:.3} times what the signal's bandwidth allows"
    );
}

#[test]
fn phase_does_not_drift_over_an_hour() {
    // One harmonic at a constant f0 for an hour of frames at 44.1 kHz (fractional hops), then
    // compare with sin(2 pi f0 (n + 1) / sr) computed exactly: (n + 1) * f0 is an exact f64 product
    // (a 28-bit integer times a 24-bit mantissa).
    let (sr, fr) = (44_100u32, 250u32);
    let f0 = 440.3f32;
    let frame = Frame {
        f0_hz: f0,
        amplitude: 1.0,
        harmonics: &[1.0],
        noise: &[],
    };
    let mut synth = HarmonicSynth::new(1, Interp::Linear);
    synth.reset(&frame);
    let mut seg = Segment::first(sr, fr);
    let mut start = 0u64;
    for _ in 0..3600 * fr {
        synth.push(&frame, seg);
        start += seg.len() as u64;
        seg = seg.next();
    }
    synth.push(&frame, seg);
    let mut buf = vec![0.0f32; seg.len()];
    synth.render(0, &mut buf);
    let mut worst: f64 = 0.0;
    for (i, y) in buf.iter().enumerate() {
        let n1 = (start + i as u64 + 1) as f64;
        let cycles = (n1 * f0 as f64) % sr as f64 / sr as f64;
        worst = worst.max((*y as f64 - (TAU * cycles).sin()).abs());
    }
    println!("after one hour: largest error {worst:.2e}");
    assert!(worst < 1e-6, "phase drifted: error {worst}");
}

/// Zipper noise: a 3 kHz sine whose amplitude takes a new random value every frame. Energy
/// within fr/2 of the carrier is the intended envelope; energy further out is the images that
/// the interpolation leaves.
fn zipper_db(interp: Interp) -> f64 {
    let (sr, fr, seconds) = (48_000u32, 250u32, 2.0);
    let amp = |t: f64| {
        let j = (t * 250.0).round() as u64;
        let h = j.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (0.2 + 0.3 * (h as f64 / (1u64 << 24) as f64)) as f32
    };
    let traj = Trajectory {
        f0: &|_| 3000.0,
        amplitude: &amp,
        weights: &|_, w| *w = vec![1.0],
    };
    let x = render(sr, fr, 1, interp, seconds, &traj, &mut || usize::MAX);
    let n = 65_536;
    let spec = power_spectrum(&x[..n], &blackman_harris(n));
    let bin_hz = sr as f64 / n as f64;
    let (mut inside, mut outside) = (0.0, 0.0);
    for (bin, p) in spec.iter().enumerate() {
        let d = (bin as f64 * bin_hz - 3000.0).abs();
        if d <= fr as f64 / 2.0 {
            inside += p;
        } else if d <= 2500.0 {
            outside += p;
        }
    }
    10.0 * (outside / inside).log10()
}

/// Decides the default interpolation (`SynthConfig::standard`): it must be the quieter one.
#[test]
fn default_interpolation_zippers_least() {
    let linear = zipper_db(Interp::Linear);
    let raised = zipper_db(Interp::RaisedCosine);
    println!("zipper energy (images beyond fr/2) relative to the envelope: linear {linear:.1} dB, raised cosine {raised:.1} dB");
    let default = luthier::dsp::synth::SynthConfig::standard(48_000).interp;
    let (chosen, other) = if default == Interp::Linear {
        (linear, raised)
    } else {
        (raised, linear)
    };
    assert!(
        chosen < other,
        "the default interpolation ({default:?}) is not the quieter one"
    );
}
