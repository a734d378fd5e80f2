//! Standard MIDI files as the instrument's events: every track's notes, pitch bends,
//! controllers and aftertouch on every channel, timed through the file's tempo map (or its
//! SMPTE timecode) to sample positions. Each note-on is preceded by its length (a file knows
//! it ahead), which the expression's peak position is laid out over.

use anyhow::{bail, Context, Result};
use luthier::engine::events::NoteExpression;
use luthier::engine::Event;
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use std::path::Path;

/// Note events with absolute sample times, in time order (note-offs first at equal times).
pub fn read(path: &Path, sample_rate: u32) -> Result<Vec<(u64, Event)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let smf = Smf::parse(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a MIDI file luthier can read ({e})",
            path.display()
        )
    })?;
    // Every event at its absolute tick, all tracks merged (format 1 keeps tempo in track 0).
    let mut merged = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += event.delta.as_int() as u64;
            merged.push((tick, event.kind));
        }
    }
    merged.sort_by_key(|(tick, _)| *tick);
    let seconds_per_tick_at = |micros_per_beat: f64| -> Result<f64> {
        Ok(match smf.header.timing {
            Timing::Metrical(tpb) if tpb.as_int() > 0 => {
                micros_per_beat * 1e-6 / tpb.as_int() as f64
            }
            Timing::Metrical(_) => bail!("{}: zero ticks per beat", path.display()),
            Timing::Timecode(fps, sub) => 1.0 / (fps.as_f32() as f64 * sub.max(1) as f64),
        })
    };
    let mut per_tick = seconds_per_tick_at(500_000.0)?; // 120 bpm until told otherwise
    let (mut last_tick, mut seconds) = (0u64, 0.0f64);
    let mut events = Vec::new();
    for (tick, kind) in merged {
        seconds += (tick - last_tick) as f64 * per_tick;
        last_tick = tick;
        let time = (seconds * sample_rate as f64).round() as u64;
        match kind {
            TrackEventKind::Meta(MetaMessage::Tempo(micros)) => {
                per_tick = seconds_per_tick_at(micros.as_int() as f64)?;
            }
            TrackEventKind::Midi { channel, message } => {
                let channel = channel.as_int();
                let event = match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => Event::NoteOn {
                        time: 0,
                        channel,
                        key: key.as_int(),
                        velocity: vel.as_int() as f32 / 127.0,
                    },
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        Event::NoteOff {
                            time: 0,
                            channel,
                            key: key.as_int(),
                        }
                    }
                    MidiMessage::Controller { controller, value } => Event::Controller {
                        time: 0,
                        channel,
                        cc: controller.as_int(),
                        value: value.as_int() as f32 / 127.0,
                    },
                    MidiMessage::PitchBend { bend } => Event::PitchBend {
                        time: 0,
                        channel,
                        value: bend.as_f32(),
                    },
                    MidiMessage::ChannelAftertouch { vel } => Event::ChannelPressure {
                        time: 0,
                        channel,
                        value: vel.as_int() as f32 / 127.0,
                    },
                    MidiMessage::Aftertouch { key, vel } => Event::NoteExpression {
                        time: 0,
                        channel: Some(channel),
                        key: Some(key.as_int()),
                        expression: NoteExpression::Pressure(vel.as_int() as f32 / 127.0),
                    },
                    MidiMessage::ProgramChange { .. } => continue,
                };
                events.push((time, event));
            }
            _ => {}
        }
    }
    // Note-offs first at a shared time (a repeated note), then controllers, then note-ons.
    let class = |e: &Event| match e {
        Event::NoteOff { .. } => 0,
        Event::NoteOn { .. } => 2,
        _ => 1,
    };
    events.sort_by_key(|(time, e)| (*time, class(e)));
    Ok(with_lengths(events, sample_rate))
}

/// Each note-on with its length (to its note-off, or the next note-on of its key) just before
/// it; a note never let go is given the rest of the file.
fn with_lengths(events: Vec<(u64, Event)>, sample_rate: u32) -> Vec<(u64, Event)> {
    let end = events.last().map_or(0, |(t, _)| *t);
    let mut out = Vec::with_capacity(events.len() * 2);
    for (i, &(time, event)) in events.iter().enumerate() {
        if let Event::NoteOn { channel, key, .. } = event {
            let until = events[i + 1..]
                .iter()
                .find(|(_, e)| match *e {
                    Event::NoteOff {
                        channel: c, key: k, ..
                    }
                    | Event::NoteOn {
                        channel: c, key: k, ..
                    } => c == channel && k == key,
                    Event::AllNotesOff { .. } | Event::AllSoundOff { .. } => true,
                    Event::Controller { cc, .. } => cc >= 120,
                    _ => false,
                })
                .map_or(end, |(t, _)| *t);
            let seconds = (until - time) as f32 / sample_rate as f32;
            out.push((
                time,
                Event::NoteLength {
                    time: 0,
                    channel,
                    key,
                    seconds,
                },
            ));
        }
        out.push((time, event));
    }
    out
}
