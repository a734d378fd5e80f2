//! MIDI-side control: which voice plays which note. Free of plugin-framework types.

pub mod voices;
