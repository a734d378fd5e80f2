//! Where the synthesis controls come from: a model (its decoder on the inference thread) or,
//! without one, a fixed sawtooth-like spectrum. Both answer the same two questions: when a
//! frame is planned, "where will this frame's controls come from?" (`frame`, a `Source`), and
//! when it is played, "what are they?" (`resolve`). The fixed spectrum answers at once, so it has
//! no latency; the decoder answers a frame later, which is the engine's latency with a model.
//!
//! Waiting for the decoder: the audio thread may sleep on the reply for a bounded time, the
//! `Wait` the engine gives each block (a share of the block's own duration in real time; up to
//! two seconds per reply offline, so that exports are exact but a dead decoder cannot hang
//! them). A reply that is not there by then is an underrun: the caller holds the previous
//! controls.

use std::time::{Duration, Instant};

use super::voice::Controls;
use crate::analysis::loudness::full_scale_sine_db;
use crate::control::adsr::SILENCE_DB;
use crate::limits::MAX_VOICES;
use crate::model::card::{ModelCard, NaturalEnvelope};
use crate::model::inference::{FrameIndex, Job, Link, QUEUE_JOBS};

/// Velocity maps onto loudness by General MIDI's curve, 40 log10(velocity) dB (SoundFont's
/// default velocity modulator, so a phrase sounds as balanced as on a sampled instrument), at
/// most this far below the top.
const VELOCITY_RANGE_DB: f32 = 48.0;

/// dB below the top for a velocity 0..1.
fn velocity_below_top(velocity: f32) -> f32 {
    (-40.0 * velocity.max(1e-4).log10()).clamp(0.0, VELOCITY_RANGE_DB)
}

/// The fixed spectrum's noise floor relative to its harmonic amplitude: a little breath.
const FIXED_NOISE: f32 = 0.003;

/// How long an offline render waits for one reply before it gives up on it.
const OFFLINE_WAIT: Duration = Duration::from_secs(2);

/// Where a planned frame's controls come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// The fixed spectrum at this loudness.
    Fixed { loudness_db: f32 },
    /// A frame of a decoder job.
    Decoded { job: u64, frame: FrameIndex },
    /// The decoder could not be asked (no job free): the previous controls hold.
    Missing,
}

/// How long the audio thread may wait for replies in the block being processed.
#[derive(Debug, Clone, Copy)]
pub struct Wait {
    /// None: offline, wait for every reply (up to OFFLINE_WAIT each).
    pub deadline: Option<Instant>,
}

// One per engine, never moved once built: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Timbre {
    Fixed(FixedSpectrum),
    Model(Decoding),
}

pub struct FixedSpectrum {
    harmonics: Vec<f32>,
}

impl FixedSpectrum {
    /// Harmonic k at 1/k; every noise band breathes alike.
    pub fn new(harmonics: usize) -> Self {
        Self {
            harmonics: (1..=harmonics).map(|k| 1.0 / k as f32).collect(),
        }
    }
}

impl Timbre {
    /// Frames between planning a frame and playing it.
    pub fn latency_frames(&self) -> u64 {
        match self {
            Timbre::Fixed(_) => 0,
            Timbre::Model(_) => 1,
        }
    }

    /// A model's level follows the loudness it is asked for down to silence; the fixed spectrum
    /// plays at the loudness it is given.
    pub fn follows_level(&self) -> bool {
        matches!(self, Timbre::Model(_))
    }

    /// The loudness a note of `velocity` (0..1) asks for: with a model, the top of the range
    /// it was trained on less the velocity's (`velocity_below_top`), within the range; the fixed
    /// spectrum, a full-scale sine's loudness less the same.
    pub fn velocity_loudness(&self, velocity: f32) -> f32 {
        let below = velocity_below_top(velocity);
        match self {
            Timbre::Fixed(_) => full_scale_sine_db() - below,
            Timbre::Model(d) => {
                let [lo, hi] = d.links.current.card().loudness_range_db;
                let span = (hi - lo).max(0.0) as f32;
                hi as f32 - below.min(span)
            }
        }
    }

    /// The quietest loudness the decoder is asked for: a model's quietest in training (below
    /// it, it has not learnt how the instrument sounds), DDSP's floor for the fixed spectrum.
    pub fn quietest_db(&self) -> f32 {
        match self {
            Timbre::Fixed(_) => SILENCE_DB,
            Timbre::Model(d) => (d.card().loudness_range_db[0] as f32).max(SILENCE_DB),
        }
    }

    /// The model's own attack and release, when its card has them.
    pub fn natural_envelope(&self) -> Option<NaturalEnvelope> {
        match self {
            Timbre::Fixed(_) => None,
            Timbre::Model(d) => d.card().envelope,
        }
    }

    /// Plans a frame of `voice` with this conditioning (`reset`: the voice starts from
    /// silence). Real-time safe.
    pub fn frame(&mut self, voice: usize, reset: bool, f0_hz: f32, loudness_db: f32) -> Source {
        match self {
            Timbre::Fixed(_) => Source::Fixed { loudness_db },
            Timbre::Model(d) => d.frame(voice, reset, f0_hz, loudness_db),
        }
    }

    /// The stretch of planning is over: what was planned goes to the decoder. `sample`: where
    /// planning is, in samples since the start.
    pub fn send(&mut self, sample: u64) {
        if let Timbre::Model(d) = self {
            if d.send() {
                d.last_sent = Some((Instant::now(), sample));
            }
        }
    }

    /// At a block's start, in real time: while the host runs ahead of real time (renders ahead,
    /// exports in realtime mode) with blocks shorter than a frame, each block waits within its
    /// bound for the job in flight, so that the decoder is given the time that playing live
    /// would give it. `sample`: where planning is, in samples since the start.
    pub fn keep_pace(&mut self, wait: Wait, sample: u64, sample_rate: f32) {
        if let (Timbre::Model(d), Some(deadline)) = (self, wait.deadline) {
            d.keep_pace(deadline, sample, sample_rate);
        }
    }

    /// Writes the controls `source` stands for into `out`. False when they are not there (an
    /// underrun, or nothing asked): `out` keeps what it had.
    pub fn resolve(&mut self, source: Source, wait: Wait, out: &mut Controls) -> bool {
        match (self, source) {
            (Timbre::Fixed(fixed), Source::Fixed { loudness_db }) => {
                let amplitude = 10f32.powf((loudness_db - full_scale_sine_db()) / 20.0);
                out.amplitude = amplitude;
                out.harmonics.copy_from_slice(&fixed.harmonics);
                out.noise.fill(FIXED_NOISE * amplitude);
                true
            }
            (Timbre::Model(d), Source::Decoded { job, frame }) => d.resolve(job, frame, wait, out),
            (Timbre::Model(d), Source::Missing) => {
                d.underruns += 1;
                false
            }
            _ => false,
        }
    }

    /// Forgets everything planned and not yet played (transport jump).
    pub fn reset(&mut self) {
        if let Timbre::Model(d) = self {
            d.reset();
        }
    }
}

/// Why `Decoding::swap` handed a model back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapRefused {
    /// This engine was built without a decoder: build one with the model.
    NoDecoder,
    /// The model makes other controls than the synth was built for: build anew.
    OtherShape,
    /// The previous swap has not finished: try again next block.
    Busy,
}

/// The models jobs go to: the current one and, during a swap, the one it replaces.
struct Links {
    current: Link,
    /// The model being replaced, with the first job sent to `current`: jobs numbered below it
    /// come back from the old model.
    retiring: Option<(Link, u64)>,
    /// A replaced model with nothing left in flight, waiting to be dropped off the audio thread.
    retired: Option<Link>,
    /// CPU time of models that have retired, so that the total does not drop at a swap.
    retired_cpu_ns: u64,
}

/// The audio thread's side of a model: jobs being filled, in flight and back.
pub struct Decoding {
    links: Links,
    /// Empty jobs, ready to fill.
    pool: Vec<Box<Job>>,
    /// The job being filled, and each voice's open row in it.
    filling: Option<Box<Job>>,
    rows: [Option<usize>; MAX_VOICES],
    next_seq: u64,
    /// Jobs back from the decoder, not yet played past.
    arrived: Vec<Box<Job>>,
    /// Jobs numbered below this are not wanted any more (played past, or forgotten at a reset):
    /// when they come back they go straight to the pool.
    unwanted_below: u64,
    /// Offline: a job waited for in vain; its other frames do not wait again.
    given_up: Option<u64>,
    /// The last job sent: when, and where planning was then (samples since the start).
    last_sent: Option<(Instant, u64)>,
    pub(super) underruns: u64,
    pub(super) waited_ns: u64,
}

impl Decoding {
    /// Takes `link` (allocates its jobs: off the audio thread).
    pub fn new(link: Link) -> Self {
        let pool = (0..QUEUE_JOBS).map(|_| link.new_job()).collect();
        Self {
            links: Links {
                current: link,
                retiring: None,
                retired: None,
                retired_cpu_ns: 0,
            },
            pool,
            filling: None,
            rows: [None; MAX_VOICES],
            next_seq: 0,
            arrived: Vec::with_capacity(QUEUE_JOBS),
            unwanted_below: 0,
            given_up: None,
            last_sent: None,
            underruns: 0,
            waited_ns: 0,
        }
    }

    pub fn card(&self) -> &ModelCard {
        self.links.current.card()
    }

    /// Frames decoded and the decoder threads' CPU time so far, over every model this engine
    /// played.
    pub fn decoder_work(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let links = [
            Some(&self.links.current),
            self.links.retiring.as_ref().map(|r| &r.0),
        ];
        let (frames, cpu) = links
            .iter()
            .flatten()
            .map(|l| {
                (
                    l.counters().frames.load(Relaxed),
                    l.counters().busy_ns.load(Relaxed),
                )
            })
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        (frames, cpu + self.links.retired_cpu_ns)
    }

    fn frame(&mut self, voice: usize, reset: bool, f0_hz: f32, loudness_db: f32) -> Source {
        for _ in 0..2 {
            if self.filling.is_none() {
                self.collect();
                let Some(mut job) = self.pool.pop() else {
                    return Source::Missing;
                };
                job.begin(self.next_seq);
                self.next_seq += 1;
                self.filling = Some(job);
                self.rows = [None; MAX_VOICES];
            }
            let job = self.filling.as_mut().expect("filled above");
            let row = match self.rows[voice] {
                Some(row) if !reset => Some(row),
                _ => job.open_row(voice, reset),
            };
            if let Some(row) = row {
                self.rows[voice] = Some(row);
                if let Some(frame) = job.push(row, f0_hz, loudness_db) {
                    return Source::Decoded {
                        job: job.seq(),
                        frame,
                    };
                }
            }
            // The job is full: send it, and carry on in a new one (the voice's state carries
            // on too, but a reset must still reach the new row).
            let _ = self.send();
        }
        Source::Missing
    }

    /// Sends the job being filled, if it holds anything; whether it did.
    fn send(&mut self) -> bool {
        let Some(job) = self.filling.take() else {
            return false;
        };
        if job.is_empty() {
            self.pool.push(job);
            self.next_seq -= 1;
            return false;
        }
        match self.links.current.send(job) {
            Ok(()) => true,
            Err(job) => {
                // Cannot happen: there are no more jobs than the queue holds. Its frames will
                // be underruns.
                self.pool.push(job);
                false
            }
        }
    }

    fn keep_pace(&mut self, deadline: Instant, sample: u64, sample_rate: f32) {
        let Some((sent, at)) = self.last_sent else {
            return;
        };
        let audio = sample.saturating_sub(at) as f64 / sample_rate as f64;
        // Live, audio and wall time pass alike; twice as fast is a host rendering ahead.
        if audio <= 2.0 * sent.elapsed().as_secs_f64() {
            return;
        }
        let started = Instant::now();
        loop {
            self.collect();
            let link = &self.links.current;
            if link.in_flight() == 0 || Instant::now() >= deadline || link.worker_gone() {
                break;
            }
            link.wait(deadline);
        }
        self.waited_ns += started.elapsed().as_nanos() as u64;
    }

    /// Takes every job that is back, from every model: wanted ones to `arrived`, the rest to
    /// the pool.
    fn collect(&mut self) {
        loop {
            let job = match self.links.retiring.as_mut().and_then(|(l, _)| l.receive()) {
                Some(job) => job,
                None => match self.links.current.receive() {
                    Some(job) => job,
                    None => break,
                },
            };
            if job.seq() < self.unwanted_below {
                self.pool.push(job);
            } else {
                self.arrived.push(job);
            }
        }
        // An old model with nothing left in flight is done: it goes to be dropped elsewhere.
        let done = self
            .links
            .retiring
            .as_ref()
            .is_some_and(|(l, _)| l.in_flight() == 0 || l.worker_gone());
        if done && self.links.retired.is_none() {
            let (old, _) = self.links.retiring.take().expect("checked above");
            let cpu = old
                .counters()
                .busy_ns
                .load(std::sync::atomic::Ordering::Relaxed);
            self.links.retired_cpu_ns += cpu;
            self.links.retired = Some(old);
        }
    }

    /// The link that job `seq` was sent to.
    fn link_of(&self, seq: u64) -> &Link {
        match &self.links.retiring {
            Some((old, first_new)) if seq < *first_new => old,
            _ => &self.links.current,
        }
    }

    fn resolve(&mut self, seq: u64, frame: FrameIndex, wait: Wait, out: &mut Controls) -> bool {
        if seq < self.unwanted_below {
            self.underruns += 1;
            return false;
        }
        // Played past every older job: they go back to the pool.
        self.unwanted_below = seq;
        let mut i = 0;
        while i < self.arrived.len() {
            if self.arrived[i].seq() < seq {
                let job = self.arrived.swap_remove(i);
                self.pool.push(job);
            } else {
                i += 1;
            }
        }
        let deadline = match wait.deadline {
            Some(deadline) => deadline,
            None if self.given_up == Some(seq) => Instant::now(),
            None => Instant::now() + OFFLINE_WAIT,
        };
        let started = Instant::now();
        let found = loop {
            self.collect();
            if let Some(job) = self.arrived.iter().find(|j| j.seq() == seq) {
                break job.controls(frame);
            }
            let link = self.link_of(seq);
            if Instant::now() >= deadline || link.worker_gone() {
                if wait.deadline.is_none() {
                    self.given_up = Some(seq);
                }
                break None;
            }
            link.wait(deadline);
        };
        self.waited_ns += started.elapsed().as_nanos() as u64;
        match found {
            Some((amplitude, harmonics, noise)) => {
                out.amplitude = amplitude;
                out.harmonics.copy_from_slice(harmonics);
                out.noise.copy_from_slice(noise);
                true
            }
            None => {
                self.underruns += 1;
                false
            }
        }
    }

    fn reset(&mut self) {
        let _ = self.send();
        self.unwanted_below = self.next_seq;
        self.collect();
        while let Some(job) = self.arrived.pop() {
            self.pool.push(job);
        }
    }

    /// Plays `link`'s model from the next job on; jobs already sent still come back from the
    /// old one, which then retires (`take_retired`). The new model must make the same controls;
    /// a swap still under way must finish first. Either refusal hands `link` back.
    pub fn swap(&mut self, link: Link) -> Result<(), (Link, SwapRefused)> {
        let (old, new) = (self.links.current.card(), link.card());
        let same_shape = old.harmonics == new.harmonics
            && old.noise_bands == new.noise_bands
            && old.noise_band_hz == new.noise_band_hz;
        if !same_shape {
            return Err((link, SwapRefused::OtherShape));
        }
        if self.links.retiring.is_some() || self.links.retired.is_some() {
            return Err((link, SwapRefused::Busy));
        }
        // What is being filled goes to the old model, so that the new one starts on a job.
        let _ = self.send();
        let old = std::mem::replace(&mut self.links.current, link);
        self.links.retiring = Some((old, self.next_seq));
        Ok(())
    }

    /// A model `swap` replaced, once it has nothing left to give: the caller drops it off the
    /// audio thread (dropping a model joins its thread).
    pub fn take_retired(&mut self) -> Option<Link> {
        self.collect();
        self.links.retired.take()
    }
}
