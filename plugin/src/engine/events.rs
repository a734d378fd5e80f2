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
    /// Silence every note at once (MIDI "all sound off").
    AllSoundOff {
        time: u32,
    },
    /// The length of the next note-on of (channel, key), when the player knows it ahead (a MIDI
    /// file): the expression's peak position is laid out over it.
    NoteLength {
        time: u32,
        channel: u8,
        key: u8,
        seconds: f32,
    },
    /// A channel's pitch bend, -1..1.
    PitchBend {
        time: u32,
        channel: u8,
        value: f32,
    },
    /// A MIDI controller (CC), 0..1.
    Controller {
        time: u32,
        channel: u8,
        cc: u8,
        value: f32,
    },
    /// Channel aftertouch, 0..1.
    ChannelPressure {
        time: u32,
        channel: u8,
        value: f32,
    },
    /// One note's own modulation: polyphonic aftertouch, CLAP note expressions. None for the
    /// channel or the key matches every one.
    NoteExpression {
        time: u32,
        channel: Option<u8>,
        key: Option<u8>,
        expression: NoteExpression,
    },
    /// A knob moves (automation), from this sample on.
    Param {
        time: u32,
        change: ParamChange,
    },
}

/// A note's own modulation, in the units CLAP's note expressions use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoteExpression {
    /// Semitones, added to the pitch.
    Tuning(f32),
    /// Linear gain, 0..4.
    Volume(f32),
    /// 0..1, as aftertouch.
    Pressure(f32),
    /// 0..1, centre 0.5.
    Brightness(f32),
    /// 0..1 of the mod wheel's vibrato.
    Vibrato(f32),
    /// 0..1, as CC11 for this note.
    Expression(f32),
}

impl Event {
    /// The same event at sample offset `time` (events move between blocks).
    pub fn at(mut self, at: u32) -> Self {
        *self.time_mut() = at;
        self
    }

    pub fn time(&self) -> u32 {
        let mut event = *self;
        *event.time_mut()
    }

    fn time_mut(&mut self) -> &mut u32 {
        match self {
            Event::NoteOn { time, .. }
            | Event::NoteOff { time, .. }
            | Event::Choke { time, .. }
            | Event::AllNotesOff { time }
            | Event::AllSoundOff { time }
            | Event::NoteLength { time, .. }
            | Event::PitchBend { time, .. }
            | Event::Controller { time, .. }
            | Event::ChannelPressure { time, .. }
            | Event::NoteExpression { time, .. }
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
