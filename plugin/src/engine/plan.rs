//! The frame plan: what each voice is to play at each frame boundary, decided where the frames
//! are planned (from the notes, or from the analysed input) and read where they are played, a
//! latency later. Also the grid position both sides walk, and what planning hands a performer.

use super::schedule::{Action, Schedule};
use super::timbre::{Source, Timbre};
use super::tone::Tone;
use crate::dsp::shape::Shape;
use crate::grid::Segment;
use crate::limits::MAX_VOICES;

/// A position on the frame grid.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub segment: Segment,
    /// Samples of `segment` already passed.
    pub pos: usize,
    /// Segments begun since the start (the first is 0).
    pub index: u64,
    /// Samples passed since the start.
    pub sample: u64,
}

impl Cursor {
    pub fn new(sample_rate: u32, frame_rate: u32) -> Self {
        Self {
            segment: Segment::first(sample_rate, frame_rate),
            pos: 0,
            index: 0,
            sample: 0,
        }
    }

    /// Samples left in the current segment.
    pub fn left(&self) -> usize {
        self.segment.len() - self.pos
    }

    pub fn advance(&mut self, samples: usize) {
        self.pos += samples;
        self.sample += samples as u64;
    }

    /// Moves on to the next segment; only at the current one's end.
    pub fn next_segment(&mut self) {
        debug_assert_eq!(self.pos, self.segment.len());
        self.segment = self.segment.next();
        self.pos = 0;
        self.index += 1;
    }
}

/// What one voice is to play from a frame boundary on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoicePlan {
    pub f0_hz: f32,
    /// The loudness the note asks for (dB, with its envelope; the live views show it).
    pub loudness_db: f32,
    /// The timbre's controls are played times this (the effect's fade when unvoiced).
    pub gain: f32,
    /// The voice starts at this boundary from silence (phase zero, fading in).
    pub from_silence: bool,
    /// Where the controls come from; None for a silent frame, which needs none.
    pub source: Option<Source>,
    /// The timbre controls applied to them.
    pub shape: Shape,
}

pub type FramePlan = [Option<VoicePlan>; MAX_VOICES];

/// Planned frames, by the index of the segment they start, until they are played.
pub struct Plans {
    frames: Vec<(u64, FramePlan)>,
}

impl Plans {
    /// Room for `capacity` frames in flight.
    pub fn new(capacity: usize) -> Self {
        Self {
            frames: vec![(u64::MAX, [None; MAX_VOICES]); capacity],
        }
    }

    pub fn set(&mut self, index: u64, plan: FramePlan) {
        let n = self.frames.len() as u64;
        self.frames[(index % n) as usize] = (index, plan);
    }

    /// The plan for the frame at segment `index`, if one was made.
    pub fn get(&self, index: u64) -> Option<&FramePlan> {
        let (at, plan) = &self.frames[(index % self.frames.len() as u64) as usize];
        (*at == index).then_some(plan)
    }

    pub fn clear(&mut self) {
        self.frames.iter_mut().for_each(|f| f.0 = u64::MAX);
    }
}

/// Counters the engine keeps in plain integers and publishes once per block.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub non_finite_input: u64,
    pub rejected_events: u64,
}

/// What a performer plans with: where on the grid planning is, the timbre to ask for frames and
/// the schedule its note actions go to.
pub struct Planning<'a> {
    pub cursor: Cursor,
    pub sample_rate: f32,
    /// Segments between planning and playing.
    pub latency: u64,
    pub timbre: &'a mut Timbre,
    pub tone: &'a Tone,
    pub schedule: &'a mut Schedule,
    pub counts: &'a mut Counts,
}

impl Planning<'_> {
    /// A note action, heard a latency from now at the same offset in its segment.
    pub fn schedule(&mut self, action: Action) {
        let when = self.cursor.index + self.latency;
        // The schedule holds more actions than a block can bring (its event queue is bounded),
        // so it is never full; were it full, the action would be lost.
        let _ = self.schedule.push(when, self.cursor.pos, action);
    }
}
