//! Learns a room's mains hum while nobody plays, and notches its lines out of what the pitch
//! tracker hears.
//!
//! The voicing rule already keeps hum from starting a note (`analysis::periodicity`). But once a
//! low note plays over it, the hum's lines sit among the note's harmonics: 50 Hz and its
//! multiples are a period of their own, and YIN's difference function mixes the two periods,
//! so a quiet low note reads off by an octave or a fifth. Mains lines are few, narrow and known
//! in advance (50 or 60 Hz and their multiples), and steady for minutes, so they can be learnt in
//! the pauses: every 200 ms of input that was mostly not periodic is a look. A line that stands
//! 10 dB over its neighbourhood in 2 looks in a row is notched, 3 Hz wide; one missing from 10
//! looks in a row is let go. While a note plays there are no looks, so the notches stay.
//!
//! A look is a Hann-windowed Goertzel filter at each line and at four neighbours (12.5 and 25 Hz
//! either side: the noise floor from four estimates varies far less than from one, so a noise
//! peak rarely passes for a line), run on the input box-averaged down to about 4 kHz: the lines
//! stop at 480 Hz, and at that rate the looks cost a few hundred thousand multiply-adds a second
//! at any host rate, spread evenly over the samples instead of in one burst.

use super::biquad::Biquad;

/// The mains frequencies of the world's grids.
const FAMILIES_HZ: [f64; 2] = [50.0, 60.0];
/// Lines per family: the fundamental and its multiples up to here (hum from a ground loop or a
/// rectifier carries these; higher ones are weak next to a note's own harmonics).
const HARMONICS: usize = 8;
const LINES: usize = FAMILIES_HZ.len() * HARMONICS;
/// Where the noise floor around a line is read, in hertz from it: past the Hann window's main
/// lobe (10 Hz either side at 200 ms), short of the next line of the same family.
const NEIGHBOURS_HZ: [f64; 4] = [-25.0, -12.5, 12.5, 25.0];
const PROBES: usize = NEIGHBOURS_HZ.len() + 1;
/// How long a look lasts.
const LOOK_SECONDS: f64 = 0.2;
/// The rate the looks run at, roughly: the highest line's neighbourhood fits well under half.
const LOOK_RATE_HZ: f64 = 4_000.0;
/// A line's power over the mean of its neighbours' for it to count as there (10 dB).
const LINE_OVER_NEIGHBOURS: f64 = 10.0;
/// The quietest line that counts, as a sine's amplitude (-90 dBFS): an interface's own noise
/// floor sits under it, and in digital silence every ratio is 0 / 0.
const FLOOR_AMPLITUDE: f64 = 3.2e-5;
const LOOKS_TO_NOTCH: u32 = 2;
/// How close to 50 or 60 Hz a tracked pitch is the hum itself: grids hold their frequency to
/// 0.1 %, and the nearest notes (G1 49.0 Hz, A#1 58.3 Hz, B1 61.7 Hz) are over 1 Hz away.
const MAINS_TOLERANCE_HZ: f64 = 0.5;
const LOOKS_TO_RELEASE: u32 = 10;
/// Mains frequency wanders by under 0.2 Hz; a note's harmonic has to sit within 1.5 Hz of a
/// line to lose half its power.
const NOTCH_BANDWIDTH_HZ: f64 = 3.0;

/// One Goertzel filter.
#[derive(Debug, Clone, Copy)]
struct Probe {
    coefficient: f64,
    s1: f64,
    s2: f64,
}

impl Probe {
    fn new(hz: f64, rate: f64) -> Self {
        Self {
            coefficient: 2.0 * (std::f64::consts::TAU * hz / rate).cos(),
            s1: 0.0,
            s2: 0.0,
        }
    }

    fn next(&mut self, x: f64) {
        let s0 = x + self.coefficient * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s0;
    }

    fn power(&self) -> f64 {
        self.s1 * self.s1 + self.s2 * self.s2 - self.coefficient * self.s1 * self.s2
    }

    fn restart(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }
}

#[derive(Debug, Clone)]
struct Line {
    hz: f64,
    /// The line and its neighbours, the line first.
    probes: [Probe; PROBES],
    looks_present: u32,
    looks_absent: u32,
    notch: Option<Biquad>,
}

/// The hum learner and its notches.
#[derive(Debug, Clone)]
pub struct HumNotch {
    sample_rate: f32,
    lines: Vec<Line>,
    /// Input samples per look sample, and the running sum of the current group.
    factor: usize,
    sum: f64,
    summed: usize,
    window: Vec<f64>,
    position: usize,
    /// Frames seen within the look under way, and how many of them were periodic (a note).
    frames: u32,
    periodic_frames: u32,
}

impl HumNotch {
    pub fn new(sample_rate: f32) -> Self {
        // From 8 kHz up the look rate is 4 to 8 kHz, well over the top line's neighbourhood.
        let factor = ((sample_rate as f64 / LOOK_RATE_HZ).floor() as usize).max(1);
        let rate = sample_rate as f64 / factor as f64;
        let len = ((LOOK_SECONDS * rate).round() as usize).max(2);
        let window = (0..len)
            .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / (len - 1) as f64).cos())
            .collect();
        let lines = FAMILIES_HZ
            .iter()
            .flat_map(|&f| (1..=HARMONICS).map(move |k| f * k as f64))
            .map(|hz| {
                let mut probes = [Probe::new(hz, rate); PROBES];
                for (p, offset) in probes[1..].iter_mut().zip(NEIGHBOURS_HZ) {
                    *p = Probe::new(hz + offset, rate);
                }
                Line {
                    hz,
                    probes,
                    looks_present: 0,
                    looks_absent: 0,
                    notch: None,
                }
            })
            .collect();
        Self {
            sample_rate,
            lines,
            factor,
            sum: 0.0,
            summed: 0,
            window,
            position: 0,
            frames: 0,
            periodic_frames: 0,
        }
    }

    /// Tells the learner what the frame just analysed was: looks count in pauses, and a frame
    /// is a note when the heard band is periodic at a pitch that is not the mains' own (a hum
    /// with strong harmonics, in a quiet room, is periodic in the heard band too).
    pub fn observe(&mut self, f0_hz: f32, periodic: bool) {
        let at_mains = FAMILIES_HZ
            .iter()
            .any(|&mains| (f0_hz as f64 - mains).abs() < MAINS_TOLERANCE_HZ);
        self.frames += 1;
        self.periodic_frames += u32::from(periodic && !at_mains);
    }

    /// Takes the (DC-blocked, finite) input into the look under way, then notches the lines
    /// learnt so far out of it, in place.
    pub fn filter(&mut self, samples: &mut [f32]) {
        for x in samples.iter_mut() {
            self.sum += *x as f64;
            self.summed += 1;
            if self.summed == self.factor {
                self.look_at(self.sum / self.factor as f64);
                self.sum = 0.0;
                self.summed = 0;
            }
            for line in &mut self.lines {
                if let Some(notch) = &mut line.notch {
                    *x = notch.next(*x);
                }
            }
        }
    }

    fn look_at(&mut self, x: f64) {
        let weighted = x * self.window[self.position];
        for line in &mut self.lines {
            for probe in &mut line.probes {
                probe.next(weighted);
            }
        }
        self.position += 1;
        if self.position == self.window.len() {
            // Mostly a pause: a phrase's rests are short and a note's tail takes some of them.
            // A note in the rest of the look cannot pass for hum (see `judge`).
            if 2 * self.periodic_frames <= self.frames {
                self.judge();
            }
            self.restart_look();
        }
    }

    /// Counts the finished look for or against each line.
    fn judge(&mut self) {
        // A sine of amplitude A gives a Hann-windowed Goertzel power of (A * sum(w) / 2)^2.
        let floor = (FLOOR_AMPLITUDE * self.window.iter().sum::<f64>() / 2.0).powi(2);
        let mut present = [false; LINES];
        for (here, line) in present.iter_mut().zip(&self.lines) {
            let power = line.probes[0].power();
            let neighbours =
                line.probes[1..].iter().map(Probe::power).sum::<f64>() / NEIGHBOURS_HZ.len() as f64;
            *here = power > floor && power >= LINE_OVER_NEIGHBOURS * neighbours;
        }
        // A multiple counts only beside its family's fundamental: a note's fading harmonic near
        // 350 Hz is no hum, while a hum's multiples come with the fundamental that makes them.
        for (i, line) in self.lines.iter_mut().enumerate() {
            let fundamental = i - i % HARMONICS;
            let here = present[i] && present[fundamental];
            if here {
                line.looks_present += 1;
                line.looks_absent = 0;
                if line.looks_present >= LOOKS_TO_NOTCH && line.notch.is_none() {
                    line.notch = Some(Biquad::notch(self.sample_rate, line.hz, NOTCH_BANDWIDTH_HZ));
                }
            } else {
                line.looks_absent += 1;
                line.looks_present = 0;
                if line.looks_absent >= LOOKS_TO_RELEASE {
                    line.notch = None;
                }
            }
        }
    }

    fn restart_look(&mut self) {
        for line in &mut self.lines {
            line.probes.iter_mut().for_each(Probe::restart);
        }
        self.position = 0;
        self.frames = 0;
        self.periodic_frames = 0;
    }

    /// The lines notched now, in hertz.
    pub fn notched_hz(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines
            .iter()
            .filter(|l| l.notch.is_some())
            .map(|l| l.hz)
    }

    /// Starts the look under way afresh and silences the notches' memory. What was learnt
    /// stays: a transport restart does not change the room.
    pub fn clear(&mut self) {
        self.sum = 0.0;
        self.summed = 0;
        self.restart_look();
        for line in &mut self.lines {
            if let Some(notch) = &mut line.notch {
                notch.clear();
            }
            line.looks_present = 0;
            line.looks_absent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::noise::WhiteNoise;
    use std::f32::consts::TAU;

    /// Runs `seconds` of `signal(t)` through the learner, a frame of 4 ms at a time, calling
    /// every frame periodic or not as `periodic(t)` says.
    fn run(
        hum: &mut HumNotch,
        sr: f32,
        seconds: f32,
        mut signal: impl FnMut(f32) -> f32,
        periodic: impl Fn(f32) -> bool,
    ) -> Vec<f32> {
        let frame = (0.004 * sr) as usize;
        let n = (seconds * sr) as usize;
        let mut out: Vec<f32> = (0..n).map(|i| signal(i as f32 / sr)).collect();
        for (j, chunk) in out.chunks_mut(frame).enumerate() {
            hum.filter(chunk);
            hum.observe(220.0, periodic(j as f32 * 0.004));
        }
        out
    }

    fn room(noise: &mut WhiteNoise, t: f32, mains: f32) -> f32 {
        // -50 dBFS of hum with a weaker 3rd and 5th, as a ground loop gives, over -60 dBFS hiss.
        let hum = (TAU * mains * t).sin()
            + 0.5 * (TAU * 3.0 * mains * t).sin()
            + 0.3 * (TAU * 5.0 * mains * t).sin();
        0.003_2 * hum + 0.001 * noise.next_sample()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn learns_the_lines_of_either_grid_at_any_rate() {
        for sr in [8_000.0f32, 44_100.0, 48_000.0, 384_000.0] {
            for mains in [50.0f32, 60.0] {
                let mut hum = HumNotch::new(sr);
                let mut noise = WhiteNoise::new(7);
                run(&mut hum, sr, 1.5, |t| room(&mut noise, t, mains), |_| false);
                let notched: Vec<f64> = hum.notched_hz().collect();
                let expected: Vec<f64> = [1.0, 3.0, 5.0].map(|k| k * mains as f64).to_vec();
                assert_eq!(notched, expected, "{sr} Hz, {mains} Hz mains");
            }
        }
    }

    #[test]
    fn notched_hum_is_gone_and_a_note_over_it_is_kept() {
        let sr = 48_000.0;
        let mut hum = HumNotch::new(sr);
        let mut noise = WhiteNoise::new(9);
        run(&mut hum, sr, 1.5, |t| room(&mut noise, t, 50.0), |_| false);
        let hum_only = |t: f32| 0.003_2 * (TAU * 50.0 * t).sin();
        let out = run(&mut hum, sr, 1.0, hum_only, |_| false);
        assert!(
            rms(&out[24_000..]) < 0.01 * 0.003_2,
            "{}",
            rms(&out[24_000..])
        );
        // A 110 Hz note's partials fall between the lines (330, 550 Hz...) and come through.
        let note = |t: f32| {
            (1..=5)
                .map(|k| (TAU * 110.0 * k as f32 * t).sin())
                .sum::<f32>()
        };
        let out = run(&mut hum, sr, 1.0, note, |_| true);
        let input: Vec<f32> = (0..out.len()).map(|i| note(i as f32 / sr)).collect();
        let ratio = rms(&out[24_000..]) / rms(&input[24_000..]);
        assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn noise_and_notes_learn_nothing() {
        let sr = 48_000.0;
        let mut hum = HumNotch::new(sr);
        let mut noise = WhiteNoise::new(11);
        // A minute of hiss: 300 looks at random noise floors must find no line in 3 in a row.
        run(
            &mut hum,
            sr,
            60.0,
            |_| 0.01 * noise.next_sample(),
            |_| false,
        );
        assert_eq!(hum.notched_hz().count(), 0);
        // A long note on 100 Hz (lines of both grids among its harmonics), called periodic as
        // the analysis does: no look counts while it plays.
        let note = |t: f32| {
            (1..=6)
                .map(|k| (TAU * 100.0 * k as f32 * t).sin())
                .sum::<f32>()
        };
        run(&mut hum, sr, 3.0, note, |_| true);
        assert_eq!(hum.notched_hz().count(), 0);
    }

    #[test]
    fn lines_are_let_go_when_the_hum_stops_and_kept_over_a_note_and_a_reset() {
        let sr = 48_000.0;
        let mut hum = HumNotch::new(sr);
        let mut noise = WhiteNoise::new(13);
        run(&mut hum, sr, 1.5, |t| room(&mut noise, t, 60.0), |_| false);
        assert_eq!(hum.notched_hz().count(), 3);
        run(&mut hum, sr, 5.0, |t| (TAU * 200.0 * t).sin(), |_| true);
        hum.clear();
        assert_eq!(hum.notched_hz().count(), 3);
        // 10 looks of 200 ms without hum.
        run(
            &mut hum,
            sr,
            2.5,
            |_| 0.001 * noise.next_sample(),
            |_| false,
        );
        assert_eq!(hum.notched_hz().count(), 0);
    }
}
