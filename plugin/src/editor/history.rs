//! The editor's memory of the last seconds of live frames: the traces for the scrolling
//! pitch and loudness views, the newest spectra, and a peak meter that falls back slowly.
//! Lives on the GUI thread; it drains the engine's queue once per repaint.

use crate::engine::scope::{Frame, Trace};
use crate::limits::{FRAME_RATE_HZ, MAX_VOICES};
use std::collections::VecDeque;

/// Seconds the scrolling views show.
pub const SECONDS: f32 = 4.0;
const FRAMES: usize = (SECONDS * FRAME_RATE_HZ as f32) as usize;
/// The meter falls this many dB per second after a peak.
const METER_FALL_DB_PER_SECOND: f32 = 24.0;

#[derive(Clone, Copy)]
pub struct Traces {
    pub voices: [Trace; MAX_VOICES],
    pub input: Option<Trace>,
}

pub struct History {
    pub traces: VecDeque<Traces>,
    pub latest: Box<Frame>,
    /// dBFS.
    pub meter_db: f32,
    /// Frames taken in since the editor opened (the test reads whether anything arrives).
    pub received: u64,
}

impl Default for History {
    fn default() -> Self {
        Self {
            traces: VecDeque::with_capacity(FRAMES),
            latest: Box::default(),
            meter_db: -120.0,
            received: 0,
        }
    }
}

impl History {
    pub fn take(&mut self, frame: Frame) {
        if self.traces.len() == FRAMES {
            self.traces.pop_front();
        }
        self.traces.push_back(Traces {
            voices: frame.voices,
            input: frame.input,
        });
        let peak_db = 20.0 * frame.peak.max(1e-6).log10();
        let fallen = self.meter_db - METER_FALL_DB_PER_SECOND / FRAME_RATE_HZ as f32;
        self.meter_db = peak_db.max(fallen).max(-120.0);
        *self.latest = frame;
        self.received += 1;
    }
}
