//! Per-frame features of a monophonic signal: f0, voicing confidence, periodicity and loudness, computed at
//! each boundary of the frame grid from the samples up to that boundary. The plugin's effect and
//! `luthier features` (which the training pipeline uses) run exactly this.

use super::history::History;
use super::hum::HumNotch;
use super::loudness::LoudnessMeter;
use super::periodicity::{Periodicity, PERIODIC};
use super::pitch::{PitchConfig, PitchTracker, LOWEST_PITCH_HZ};
use crate::grid::Segment;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub f0_hz: f32,
    pub confidence: f32,
    /// How periodic the heard band is at f0 (`analysis::periodicity`).
    pub periodicity: f32,
    pub loudness_db: f32,
}

/// The tracker's octave memory is for notes: it is cleared once the heard band has not been
/// periodic (under `periodicity::PERIODIC`) for this many frames, so that a room's hum does not
/// hold a new note to a multiple of its period. A legato change, where the window spans two
/// notes, is aperiodic for a frame or two and keeps the memory.
const APERIODIC_FRAMES: u32 = 3;

/// Confidence from which the pitch sizes the loudness window.
const PITCHED_CONFIDENCE: f32 = 0.5;

/// Removes DC before pitch tracking: a first-order high-pass at 10 Hz. A causal filter (not
/// the window's mean) keeps silence silent; a mean subtracted from a window that is mostly
/// silence would make the silence a constant, which YIN reads as perfectly periodic.
#[derive(Debug, Clone)]
struct DcBlocker {
    coefficient: f32,
    previous_in: f32,
    previous_out: f32,
}

impl DcBlocker {
    fn new(sample_rate: f32) -> Self {
        let coefficient = (-std::f32::consts::TAU * 10.0 / sample_rate).exp();
        Self {
            coefficient,
            previous_in: 0.0,
            previous_out: 0.0,
        }
    }

    fn next(&mut self, x: f32) -> f32 {
        let y = x - self.previous_in + self.coefficient * self.previous_out;
        self.previous_in = x;
        self.previous_out = if y.is_finite() { y } else { 0.0 };
        self.previous_out
    }
}

/// The analysers and the DC-blocked input history they read (a DC offset is neither pitch nor
/// loudness; the 10 Hz high-pass changes A-weighted power by under 0.2 dB at 50 Hz), with the
/// room's mains hum notched out once it has been heard in the pauses (`analysis::hum`).
pub struct Analyzer {
    blocked: History,
    dc: DcBlocker,
    hum: HumNotch,
    sample_rate: f32,
    scratch: Vec<f32>,
    loudness: LoudnessMeter,
    pitch: PitchTracker,
    periodicity: Periodicity,
    aperiodic_frames: u32,
}

impl Analyzer {
    pub fn new(sample_rate: f32, pitch: PitchConfig) -> Self {
        let loudness = LoudnessMeter::new(sample_rate);
        let periodicity = Periodicity::new(sample_rate, pitch.min_hz.min(LOWEST_PITCH_HZ));
        let pitch = PitchTracker::new(sample_rate, pitch);
        Self {
            blocked: History::new(loudness.window_len().max(pitch.max_window_len())),
            dc: DcBlocker::new(sample_rate),
            hum: HumNotch::new(sample_rate),
            sample_rate,
            scratch: vec![0.0; 256],
            loudness,
            pitch,
            periodicity,
            aperiodic_frames: 0,
        }
    }

    /// Feeds input samples (mono); non-finite ones count as silence.
    pub fn push(&mut self, samples: &[f32]) {
        for chunk in samples.chunks(self.scratch.len()) {
            let blocked = &mut self.scratch[..chunk.len()];
            for (b, &x) in blocked.iter_mut().zip(chunk) {
                *b = self.dc.next(if x.is_finite() { x } else { 0.0 });
            }
            self.hum.filter(blocked);
            self.blocked.push(blocked);
            self.periodicity.push(blocked);
        }
    }

    /// Features of the signal up to now. The pitch goes first: the loudness window spans two
    /// of its periods when it is trustworthy.
    pub fn analyze(&mut self) -> Features {
        let recent = self.blocked.latest(self.blocked.window());
        let pitch = self.pitch.estimate(recent);
        let hint = (pitch.confidence >= PITCHED_CONFIDENCE).then_some(pitch.f0_hz);
        let loudness_db = self.loudness.measure(recent, hint);
        let periodicity = self.periodicity.at(pitch.f0_hz);
        self.hum.observe(pitch.f0_hz, periodicity >= PERIODIC);
        self.aperiodic_frames = if periodicity < PERIODIC {
            self.aperiodic_frames.saturating_add(1)
        } else {
            0
        };
        if self.aperiodic_frames >= APERIODIC_FRAMES {
            self.pitch.forget();
        }
        Features {
            f0_hz: pitch.f0_hz,
            confidence: pitch.confidence,
            periodicity,
            loudness_db,
        }
    }

    /// Looks for pitch in another range from the next frame on, without allocating.
    pub fn set_pitch_range(&mut self, pitch: PitchConfig) {
        self.pitch.set_range(pitch);
    }

    pub fn forget_octave(&mut self) {
        self.pitch.forget();
    }

    pub fn reset(&mut self) {
        self.blocked.clear();
        self.dc = DcBlocker::new(self.sample_rate);
        self.hum.clear();
        self.periodicity.clear();
        self.pitch.forget();
    }
}

/// Features of a whole signal, frame by frame: frame j is analysed on the samples before
/// ceil(j * sr / fr), the start of segment j (frame 0 sees only silence before the signal).
pub fn extract(
    samples: &[f32],
    sample_rate: u32,
    frame_rate: u32,
    pitch: PitchConfig,
    mut progress: impl FnMut(usize),
) -> Vec<Features> {
    let mut analyzer = Analyzer::new(sample_rate as f32, pitch);
    let mut seg = Segment::first(sample_rate, frame_rate);
    let mut out = Vec::with_capacity(samples.len() / seg.len().max(1) + 2);
    let mut pos = 0;
    loop {
        out.push(analyzer.analyze());
        if pos >= samples.len() {
            break;
        }
        let end = (pos + seg.len()).min(samples.len());
        analyzer.push(&samples[pos..end]);
        progress(end);
        pos = end;
        seg = seg.next();
    }
    out
}
