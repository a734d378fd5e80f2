//! Per-frame features of a monophonic signal: f0, voicing confidence and loudness, computed at
//! each boundary of the frame grid from the samples up to that boundary. The plugin's effect and
//! `luthier features` (which the training pipeline uses) run exactly this.

use super::history::History;
use super::loudness::LoudnessMeter;
use super::pitch::{PitchConfig, PitchTracker};
use crate::dsp::frames::Segment;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub f0_hz: f32,
    pub confidence: f32,
    pub loudness_db: f32,
}

/// The analysers and the input history they read.
pub struct Analyzer {
    history: History,
    loudness: LoudnessMeter,
    pitch: PitchTracker,
}

impl Analyzer {
    pub fn new(sample_rate: f32, pitch: PitchConfig) -> Self {
        let loudness = LoudnessMeter::new(sample_rate);
        let pitch = PitchTracker::new(sample_rate, pitch);
        let window = loudness.window_len().max(pitch.window_len());
        Self {
            history: History::new(window),
            loudness,
            pitch,
        }
    }

    /// Feeds input samples (mono); non-finite ones count as silence.
    pub fn push(&mut self, samples: &[f32]) {
        self.history.push(samples);
    }

    /// Features of the signal up to now.
    pub fn analyze(&mut self) -> Features {
        let recent = self.history.latest(self.history.window());
        let loudness_db = self.loudness.measure(recent);
        let pitch = self.pitch.estimate(recent);
        Features {
            f0_hz: pitch.f0_hz,
            confidence: pitch.confidence,
            loudness_db,
        }
    }

    pub fn forget_octave(&mut self) {
        self.pitch.forget();
    }

    pub fn reset(&mut self) {
        self.history.clear();
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
