//! Turns the host's note events and in-block automation into engine events, into storage
//! allocated at activation.

use crate::engine::events::NoteExpression;
use crate::engine::{Event, ParamChange};
use nice_plug::midi::{Channel, Key};
use nice_plug::prelude::*;

/// Engine events of one block. Holds a fixed capacity; events past it are dropped rather than
/// grown into, because growing would allocate on the audio thread.
pub struct EventQueue {
    events: Vec<Event>,
}

impl EventQueue {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            events: Vec::with_capacity(capacity),
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every note is let go at the block's start (the transport stopped), before anything else
    /// the block brings; a full queue makes room by dropping its last event.
    pub fn release_all_first(&mut self) {
        if self.events.len() == self.events.capacity() {
            self.events.pop();
        }
        self.events.insert(0, Event::AllNotesOff { time: 0 });
    }

    /// Drains the host's events for this block. `knob` turns an automation point (a knob's id
    /// hash and normalised value) into the engine's change.
    pub fn collect<P: Plugin>(
        &mut self,
        context: &mut impl ProcessContext<P>,
        knob: impl Fn(u32, f32) -> Option<ParamChange>,
    ) {
        self.events.clear();
        while let Some(event) = context.next_event() {
            let event = match event {
                // The patched nice-plug reports each automation point inside the block this way,
                // with the knob's id hash (plugin/vendor/nice-plug/PATCHES.md).
                NoteEvent::MonoAutomation {
                    timing,
                    poly_modulation_id,
                    normalized_value,
                } => knob(poly_modulation_id, normalized_value).map(|change| Event::Param {
                    time: timing,
                    change,
                }),
                other => translate(&other),
            };
            let Some(event) = event else {
                continue;
            };
            if self.events.len() < self.events.capacity() {
                self.events.push(event);
            }
        }
    }
}

fn translate<S>(event: &NoteEvent<S>) -> Option<Event> {
    // A wildcard key or channel from the host means "every note": map it to all-notes-off.
    let note = |channel: Channel, key: Key| Some((channel.number()?, key.number()?));
    match *event {
        NoteEvent::NoteOn {
            timing,
            channel,
            key,
            velocity,
            ..
        } => {
            let (channel, key) = note(channel, key)?;
            // MIDI 1 rule: a note-on with velocity zero is a note-off.
            Some(if velocity > 0.0 {
                Event::NoteOn {
                    time: timing,
                    channel,
                    key,
                    velocity,
                }
            } else {
                Event::NoteOff {
                    time: timing,
                    channel,
                    key,
                }
            })
        }
        NoteEvent::NoteOff {
            timing,
            channel,
            key,
            ..
        } => Some(match note(channel, key) {
            Some((channel, key)) => Event::NoteOff {
                time: timing,
                channel,
                key,
            },
            None => Event::AllNotesOff { time: timing },
        }),
        NoteEvent::Choke {
            timing,
            channel,
            key,
            ..
        } => Some(match note(channel, key) {
            Some((channel, key)) => Event::Choke {
                time: timing,
                channel,
                key,
            },
            None => Event::AllNotesOff { time: timing },
        }),
        NoteEvent::MidiPitchBend {
            timing,
            channel,
            value,
        } => Some(Event::PitchBend {
            time: timing,
            channel,
            // nice-plug gives 0..1 with the centre at 0.5.
            value: value * 2.0 - 1.0,
        }),
        NoteEvent::MidiCC {
            timing,
            channel,
            cc,
            value,
        } => Some(Event::Controller {
            time: timing,
            channel,
            cc,
            value,
        }),
        NoteEvent::MidiChannelPressure {
            timing,
            channel,
            pressure,
        } => Some(Event::ChannelPressure {
            time: timing,
            channel,
            value: pressure,
        }),
        NoteEvent::PolyPressure {
            timing,
            channel,
            key,
            pressure,
            ..
        } => expression(timing, channel, key, NoteExpression::Pressure(pressure)),
        NoteEvent::PolyTuning {
            timing,
            channel,
            key,
            tuning,
            ..
        } => expression(timing, channel, key, NoteExpression::Tuning(tuning)),
        NoteEvent::PolyVolume {
            timing,
            channel,
            key,
            gain,
            ..
        } => expression(timing, channel, key, NoteExpression::Volume(gain)),
        NoteEvent::PolyBrightness {
            timing,
            channel,
            key,
            brightness,
            ..
        } => expression(timing, channel, key, NoteExpression::Brightness(brightness)),
        NoteEvent::PolyVibrato {
            timing,
            channel,
            key,
            vibrato,
            ..
        } => expression(timing, channel, key, NoteExpression::Vibrato(vibrato)),
        NoteEvent::PolyExpression {
            timing,
            channel,
            key,
            expression: value,
            ..
        } => expression(timing, channel, key, NoteExpression::Expression(value)),
        _ => None,
    }
}

/// A note expression for (channel, key); a wildcard (the host's "any") matches every note.
fn expression(time: u32, channel: Channel, key: Key, expression: NoteExpression) -> Option<Event> {
    Some(Event::NoteExpression {
        time,
        channel: channel.number(),
        key: key.number(),
        expression,
    })
}
