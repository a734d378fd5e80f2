//! MIDI-side control: which voice plays which note, what each channel's controllers say, and
//! how a note's performance (envelope, expression, bends, per-note modulation) becomes the
//! pitch and loudness the decoder is asked for. Free of plugin-framework types.

pub mod adsr;
pub mod channels;
pub mod expression;
pub mod performance;
pub mod retune;
pub mod scales;
pub mod take;
pub mod transcribe;
pub mod voices;
