//! What the editor's live views show, one control frame at a time: each voice's pitch and the
//! loudness it asks for, what the effect hears, the loudest voice's harmonic distribution and
//! noise, and the output's peak. The audio thread fills a `Frame` only while someone watches
//! (`Telemetry::watching`) and pushes it into a lock-free queue; when the queue is full (the
//! editor is slow or closed) the frame is dropped, never waited for.

use crate::limits::{MAX_HARMONICS, MAX_NOISE_BANDS, MAX_VOICES};
use rtrb::{Consumer, Producer, RingBuffer};

/// Frames the queue holds: about a second, so a stalled editor loses nothing it would draw.
pub const QUEUE_FRAMES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    /// Hz; 0 when silent (or, for the input, unvoiced).
    pub f0_hz: f32,
    /// dB (A-weighted, as the decoder is told).
    pub loudness_db: f32,
}

impl Trace {
    pub const SILENT: Trace = Trace {
        f0_hz: 0.0,
        loudness_db: -120.0,
    };
}

#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub voices: [Trace; MAX_VOICES],
    /// The effect's input as tracked; None for the instrument.
    pub input: Option<Trace>,
    /// The loudest voice's controls: overall amplitude, harmonic distribution, noise bands.
    pub amplitude: f32,
    pub harmonics: [f32; MAX_HARMONICS],
    pub harmonic_count: usize,
    pub noise: [f32; MAX_NOISE_BANDS],
    pub noise_count: usize,
    /// The output's peak since the previous frame (linear).
    pub peak: f32,
}

impl Default for Frame {
    fn default() -> Self {
        Self {
            voices: [Trace::SILENT; MAX_VOICES],
            input: None,
            amplitude: 0.0,
            harmonics: [0.0; MAX_HARMONICS],
            harmonic_count: 0,
            noise: [0.0; MAX_NOISE_BANDS],
            noise_count: 0,
            peak: 0.0,
        }
    }
}

/// The two ends: the audio thread's and the editor's.
pub fn channel() -> (Producer<Frame>, Consumer<Frame>) {
    RingBuffer::new(QUEUE_FRAMES)
}
