//! What a host block asks of the engine besides its audio: note events and parameter changes,
//! each at its sample offset in the block. The plugins translate their framework's events into
//! these; tests and the command-line tool make them directly.

use super::params::ParamChange;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    NoteOn {
        time: u32,
        channel: u8,
        key: u8,
        velocity: f32,
    },
    NoteOff {
        time: u32,
        channel: u8,
        key: u8,
    },
    /// Silence one note at once (host voice choke).
    Choke {
        time: u32,
        channel: u8,
        key: u8,
    },
    /// Release every note (MIDI "all notes off", transport stop).
    AllNotesOff {
        time: u32,
    },
    /// A knob moves (automation), from this sample on.
    Param {
        time: u32,
        change: ParamChange,
    },
}

impl Event {
    /// The same event at sample offset `time` (events move between blocks).
    pub fn at(self, time: u32) -> Self {
        match self {
            Event::NoteOn {
                channel,
                key,
                velocity,
                ..
            } => Event::NoteOn {
                time,
                channel,
                key,
                velocity,
            },
            Event::NoteOff { channel, key, .. } => Event::NoteOff { time, channel, key },
            Event::Choke { channel, key, .. } => Event::Choke { time, channel, key },
            Event::AllNotesOff { .. } => Event::AllNotesOff { time },
            Event::Param { change, .. } => Event::Param { time, change },
        }
    }

    pub fn time(&self) -> u32 {
        match *self {
            Event::NoteOn { time, .. }
            | Event::NoteOff { time, .. }
            | Event::Choke { time, .. }
            | Event::AllNotesOff { time }
            | Event::Param { time, .. } => time,
        }
    }

    /// Whether the event acts where the audio is produced (the output's knobs) rather than
    /// where the frames are planned (notes, and the knobs that shape what the decoder is asked
    /// for). The two happen a latency apart (see `engine/mod.rs`).
    pub(super) fn acts_on_output(&self) -> bool {
        matches!(self, Event::Param { change, .. } if change.acts_on_output())
    }
}
