//! Standard MIDI files as the instrument's note events: every track's notes on every channel,
//! timed through the file's tempo map (or its SMPTE timecode) to sample positions.

use anyhow::{bail, Context, Result};
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
                    MidiMessage::Controller { controller, .. }
                        if controller.as_int() == 123 || controller.as_int() == 120 =>
                    {
                        Event::AllNotesOff { time: 0 }
                    }
                    _ => continue,
                };
                events.push((time, event));
            }
            _ => {}
        }
    }
    events.sort_by_key(|(time, e)| (*time, matches!(e, Event::NoteOn { .. })));
    Ok(events)
}
