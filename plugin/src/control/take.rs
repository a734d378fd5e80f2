//! A whole take's transcription, as `luthier transcribe` writes it: the notes and bends the
//! effect sends live (`transcribe::Transcriber`), then tidied with the hindsight a file allows.
//! Live, a note has to go out on the key its first frames are nearest to, and a scoop, a glide
//! into the note or an attack the tracker reads an octave off then changes key a few frames
//! later: two notes, the first short and on the wrong key. In a file, a note shorter than the
//! shortest note kept that runs straight into the next one becomes the start of that note,
//! with its bends written for the key it settled on. A short note alone (staccato) stays.

use super::transcribe::{bend_to, key_number, NoteOut, Transcriber, BEND_RANGE_SEMITONES};

/// The shortest note a file keeps on its own key, in ms (basic-pitch drops notes under 128 ms;
/// a lead-in here is joined to its note, not dropped). 0 writes the live stream as it is.
pub const MIN_NOTE_MS: f32 = 100.0;

/// One frame of the take: voiced or not, the pitch the voicing rule holds, the loudness (dB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TakeFrame {
    pub voiced: bool,
    pub f0_hz: f32,
    pub loudness_db: f32,
}

#[derive(Debug, Clone, Copy)]
struct Note {
    /// Frames [start, end) of the take.
    start: usize,
    end: usize,
    key: u8,
    velocity: u8,
    /// Frames before this one were a lead-in, once a note of their own.
    settled_from: usize,
}

/// The take's notes and bends as (frame, event): what the live transcriber sends, with each
/// note shorter than `min_note_frames` that runs straight into the next joined to it. With
/// `min_note_frames` 0 it is the live stream, event for event.
pub fn transcribe_take(frames: &[TakeFrame], min_note_frames: usize) -> Vec<(usize, NoteOut)> {
    let mut live = Vec::new();
    let mut transcriber = Transcriber::default();
    for (j, f) in frames.iter().enumerate() {
        transcriber.frame(f.voiced, f.f0_hz, f.loudness_db, &mut |e| live.push((j, e)));
    }
    transcriber.stop(&mut |e| live.push((frames.len(), e)));
    if min_note_frames == 0 {
        return live;
    }
    let mut notes: Vec<Note> = Vec::new();
    for mut note in notes_of(&live) {
        if let Some(last) = notes.last() {
            if last.end - last.start < min_note_frames && note.start == last.end {
                note.settled_from = note.start;
                (note.start, note.velocity) = (last.start, last.velocity);
                notes.pop();
            }
        }
        notes.push(note);
    }
    events_of(&notes, frames)
}

/// The notes in a stream of events.
fn notes_of(events: &[(usize, NoteOut)]) -> Vec<Note> {
    let mut notes: Vec<Note> = Vec::new();
    let mut open: Option<Note> = None;
    for &(j, e) in events {
        match e {
            NoteOut::On { key, velocity } => {
                open = Some(Note {
                    start: j,
                    end: j,
                    key,
                    velocity,
                    settled_from: j,
                })
            }
            NoteOut::Off { .. } => {
                if let Some(mut note) = open.take() {
                    note.end = j;
                    notes.push(note);
                }
            }
            NoteOut::Bend { .. } => {}
        }
    }
    notes
}

/// The notes' events, with bends as the live transcriber writes them (for the key sounding,
/// whenever they move by a step), except that a lead-in's pitch an octave or more off is taken
/// octaves nearer: the tracker's octave error, not a bend.
fn events_of(notes: &[Note], frames: &[TakeFrame]) -> Vec<(usize, NoteOut)> {
    let mut events = Vec::new();
    let mut bend = 0.0f32;
    for note in notes {
        events.push((
            note.start,
            NoteOut::On {
                key: note.key,
                velocity: note.velocity,
            },
        ));
        for (j, f) in frames.iter().enumerate().take(note.end).skip(note.start) {
            if !(f.f0_hz.is_finite() && f.f0_hz > 0.0) {
                continue;
            }
            let mut off_key = key_number(f.f0_hz) - note.key as f32;
            if j < note.settled_from && off_key.abs() > BEND_RANGE_SEMITONES {
                off_key -= 12.0 * (off_key / 12.0).round();
            }
            bend_to(&mut bend, off_key, &mut |e| events.push((j, e)));
        }
        events.push((note.end, NoteOut::Off { key: note.key }));
    }
    // A note that ends where the next starts: its off first, as the live stream sends it.
    events.sort_by_key(|&(j, e)| (j, !matches!(e, NoteOut::Off { .. })));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::noise::WhiteNoise;

    fn hz(note: f32) -> f32 {
        440.0 * 2f32.powf((note - 69.0) / 12.0)
    }

    fn take(parts: &[(usize, Option<f32>)]) -> Vec<TakeFrame> {
        parts
            .iter()
            .flat_map(|&(n, note)| {
                (0..n).map(move |_| TakeFrame {
                    voiced: note.is_some(),
                    f0_hz: note.map_or(0.0, hz),
                    loudness_db: -20.0,
                })
            })
            .collect()
    }

    fn ons(events: &[(usize, NoteOut)]) -> Vec<(usize, u8)> {
        events
            .iter()
            .filter_map(|&(j, e)| match e {
                NoteOut::On { key, .. } => Some((j, key)),
                _ => None,
            })
            .collect()
    }

    const MIN: usize = 25;

    #[test]
    fn a_lead_in_on_another_key_is_the_start_of_the_note_it_runs_into() {
        // 20 frames (80 ms) read an octave low, a flat scoop nearer the key under, a glide
        // from a tone under; then A5 (80) held. The lead-in's bend against A5: an octave off
        // is taken as A5 itself.
        for (lead_in, bend) in [(68.0, 0.0), (79.45, -0.55), (78.0, -2.0)] {
            let frames = take(&[(5, None), (20, Some(lead_in)), (100, Some(80.0)), (5, None)]);
            let live = transcribe_take(&frames, 0);
            assert_eq!(ons(&live).len(), 2, "live: {live:?}");
            let settled = transcribe_take(&frames, MIN);
            let first_on = ons(&live)[0].0;
            assert_eq!(ons(&settled), [(first_on, 80)], "{settled:?}");
            let bends: Vec<(usize, f32)> = settled
                .iter()
                .filter_map(|&(j, e)| match e {
                    NoteOut::Bend { semitones } => Some((j, semitones)),
                    _ => None,
                })
                .collect();
            let at = |j: usize| bends.iter().rev().find(|b| b.0 <= j).map_or(0.0, |b| b.1);
            assert!((at(20) - bend).abs() < 0.02, "{lead_in}: {bends:?}");
            assert!(at(100).abs() < 0.02, "{lead_in}: {bends:?}");
            assert_eq!(settled.last().unwrap(), &(125, NoteOut::Off { key: 80 }));
        }
    }

    #[test]
    fn notes_as_long_as_the_shortest_kept_and_a_short_note_alone_stay() {
        // A staccato note of 60 ms, then a legato change after 150 ms.
        let frames = take(&[
            (5, None),
            (15, Some(60.0)),
            (10, None),
            (38, Some(62.0)),
            (60, Some(64.0)),
            (5, None),
        ]);
        let keys: Vec<u8> = ons(&transcribe_take(&frames, MIN))
            .iter()
            .map(|o| o.1)
            .collect();
        assert_eq!(keys, [60, 62, 64]);
    }

    #[test]
    fn with_no_shortest_note_it_is_the_live_stream() {
        // A wandering line: vibrato, slides, key changes of any size, gaps, an octave jump.
        let mut noise = WhiteNoise::new(7);
        let (mut note, mut frames) = (60.0f32, Vec::new());
        for j in 0..4000 {
            if j % 37 == 0 {
                note = (note + (noise.next_sample() * 9.0).round()).clamp(30.0, 90.0);
            }
            if j % 500 == 250 {
                note += 12.0;
            }
            let voiced = (j / 50) % 7 != 3;
            frames.push(TakeFrame {
                voiced,
                f0_hz: hz(note + 0.6 * (j as f32 * 0.2).sin()),
                loudness_db: -30.0 + 10.0 * noise.next_sample(),
            });
        }
        let mut live = Vec::new();
        let mut t = Transcriber::default();
        for (j, f) in frames.iter().enumerate() {
            t.frame(f.voiced, f.f0_hz, f.loudness_db, &mut |e| live.push((j, e)));
        }
        t.stop(&mut |e| live.push((frames.len(), e)));
        assert!(ons(&live).len() > 50);
        assert_eq!(transcribe_take(&frames, 0), live);
        // And tidied, it is the same events wherever no note was joined: the notes it keeps
        // are the live notes of MIN frames or more, or ones that a short note ran into.
        let tidied = transcribe_take(&frames, MIN);
        assert!(ons(&tidied).len() < ons(&live).len());
        let offs = |ev: &[(usize, NoteOut)]| {
            ev.iter()
                .filter(|(_, e)| matches!(e, NoteOut::Off { .. }))
                .map(|e| e.0)
                .collect::<Vec<_>>()
        };
        for end in offs(&tidied) {
            assert!(offs(&live).contains(&end), "an off at {end} not sent live");
        }
    }
}
