//! One voice of the DDSP synthesizer: harmonic oscillator bank plus filtered noise, fed one
//! control frame per segment of the frame grid.
//!
//! Protocol: `reset(frame, segment)` starts from silence with `frame` as the controls at the
//! start of `segment`; then, at the start of every segment, `push(next_frame, segment)` sets
//! the frame that segment moves towards, and `render` plays the segment in as many pieces as
//! the host's blocks require. The caller owns the grid (one for all voices), so a batched
//! decoder can produce every voice's frame at the same instant.

use super::frames::Frame;
use super::harmonic::{HarmonicSynth, Interp};
use super::noise::FilteredNoise;
use crate::grid::Segment;
use crate::limits::FRAME_RATE_HZ;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthConfig {
    pub sample_rate: u32,
    pub frame_rate: u32,
    pub harmonics: usize,
    pub noise_bands: usize,
    pub noise_spacing_hz: f32,
    pub interp: Interp,
    pub seed: u64,
}

impl SynthConfig {
    /// 100 harmonics and 65 noise bands over 0..24 kHz at 250 frames per second: the shape the
    /// shipped models will have (magenta's vst_48k config, at DDSP's 4 ms frames).
    pub fn standard(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            frame_rate: FRAME_RATE_HZ,
            harmonics: 100,
            noise_bands: 65,
            noise_spacing_hz: 375.0,
            interp: Interp::Linear,
            seed: 0x1u64,
        }
    }
}

pub struct VoiceSynth {
    harmonic: HarmonicSynth,
    noise: FilteredNoise,
    noise_buf: Vec<f32>,
    segment: Option<Segment>,
    /// Samples of the current segment already rendered.
    position: usize,
}

impl VoiceSynth {
    pub fn new(config: &SynthConfig) -> Self {
        let max_seg = Segment::max_len(config.sample_rate, config.frame_rate);
        Self {
            harmonic: HarmonicSynth::new(config.harmonics, config.interp),
            noise: FilteredNoise::new(
                config.noise_bands,
                config.noise_spacing_hz,
                config.sample_rate,
                config.frame_rate,
                config.seed,
            ),
            noise_buf: vec![0.0; max_seg],
            segment: None,
            position: 0,
        }
    }

    pub fn reset(&mut self, frame: &Frame, segment: Segment) {
        self.harmonic.reset(frame);
        self.noise.reset(frame, segment);
        self.segment = None;
        self.position = 0;
    }

    pub fn push(&mut self, frame: &Frame, segment: Segment) {
        self.harmonic.push(frame, segment);
        self.noise.push(frame, segment);
        self.segment = Some(segment);
        self.position = 0;
    }

    /// Starts a voice part-way into the current segment: phase zero just before `offset`.
    pub fn start_at(&mut self, offset: usize) {
        self.harmonic.start_phase_at(offset);
        self.noise.skip_to(offset);
        self.position = offset;
    }

    /// Samples left in the current segment.
    pub fn remaining(&self) -> usize {
        self.segment.map_or(0, |s| s.len() - self.position)
    }

    /// Writes the next `out.len()` samples (at most `remaining()`; the rest is zeroed).
    pub fn render(&mut self, out: &mut [f32]) {
        let n = out.len().min(self.remaining());
        let (now, rest) = out.split_at_mut(n);
        rest.fill(0.0);
        self.harmonic.render(self.position, now);
        let noise = &mut self.noise_buf[..n];
        self.noise.render(noise);
        for (o, x) in now.iter_mut().zip(noise.iter()) {
            *o += x;
        }
        self.position += n;
    }

    pub fn invalid_frames(&self) -> u64 {
        self.harmonic.invalid_frames() + self.noise.invalid_frames()
    }
}
