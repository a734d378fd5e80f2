//! What the effect hears, as MIDI: frame by frame, the tracked pitch and loudness become note
//! ons and offs (the nearest key, a velocity from the loudness) and pitch bends for the fine
//! pitch, so that a singer's performance can be recorded as notes. A note starts on the second
//! voiced frame in a row that agrees with the one before within 0.3 semitones (4 ms more: an
//! attack's first frame is often a tone or more off, and made a note of its own); it moves to
//! another key only when the pitch has stayed past the halfway point by a margin for a few
//! frames, so that a vibrato or a scoop bends the note instead of retriggering it.

/// The pitch bend range the bends are written for, each way (General MIDI's default).
pub const BEND_RANGE_SEMITONES: f32 = 2.0;
/// The controller messages (controller, value) that set a receiver's bend range to it: RPN 0
/// (pitch bend sensitivity), data entry in semitones and cents.
pub const BEND_RANGE_RPN: [(u8, u8); 4] =
    [(101, 0), (100, 0), (6, BEND_RANGE_SEMITONES as u8), (38, 0)];
/// How far past the halfway point to the next key the pitch must go, in semitones.
const CHANGE_MARGIN: f32 = 0.15;
/// For how many frames (4 ms each) before the note changes key.
const CHANGE_FRAMES: u32 = 4;
/// A note starts once this many voiced frames in a row agree on its pitch within `AGREE`
/// semitones: an attack's first frame is often off by a tone or more.
const START_FRAMES: u32 = 2;
const AGREE: f32 = 0.3;
/// A bend is sent when it moved this much since the last (in semitones: about a cent).
const BEND_STEP: f32 = 0.01;
/// Velocity 127 at this loudness (dB, A-weighted); General MIDI's curve below it.
const TOP_DB: f32 = -10.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoteOut {
    On {
        key: u8,
        velocity: u8,
    },
    Off {
        key: u8,
    },
    /// The pitch in semitones from the sounding key, within the bend range.
    Bend {
        semitones: f32,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Transcriber {
    key: Option<u8>,
    /// Before a note starts: the last voiced frame's pitch and how many frames agreed with it.
    starting: Option<(f32, u32)>,
    /// Frames the pitch has been nearer another key (which, how many, the last frame's pitch).
    leaning: Option<(u8, u32, f32)>,
    bend: f32,
}

/// General MIDI's velocity curve (40 log10 v) turned round: the velocity of a loudness.
pub fn velocity_of(loudness_db: f32) -> u8 {
    let v = 127.0 * 10f32.powf((loudness_db - TOP_DB).min(0.0) / 40.0);
    v.round().clamp(1.0, 127.0) as u8
}

/// The key number (fractional) of a pitch, within MIDI's range.
pub(crate) fn key_number(f0_hz: f32) -> f32 {
    (69.0 + 12.0 * (f0_hz / 440.0).log2()).clamp(0.0, 127.0)
}

/// Sends the bend for a pitch `off_key` semitones from the sounding key (clamped to the bend
/// range) when it has moved a step from the last one sent, `last`.
pub(crate) fn bend_to(last: &mut f32, off_key: f32, out: &mut impl FnMut(NoteOut)) {
    let bend = off_key.clamp(-BEND_RANGE_SEMITONES, BEND_RANGE_SEMITONES);
    if (bend - *last).abs() >= BEND_STEP {
        *last = bend;
        out(NoteOut::Bend { semitones: bend });
    }
}

impl Transcriber {
    /// One frame: voiced (and at `f0_hz`, `loudness_db`) or not. What changes goes to `out`.
    pub fn frame(
        &mut self,
        voiced: bool,
        f0_hz: f32,
        loudness_db: f32,
        out: &mut impl FnMut(NoteOut),
    ) {
        if !voiced || !(f0_hz.is_finite() && f0_hz > 0.0) {
            self.stop(out);
            return;
        }
        let note = key_number(f0_hz);
        let nearest = note.round() as u8;
        let key = match self.key {
            None => {
                let agreeing = match self.starting {
                    Some((last, n)) if (note - last).abs() <= AGREE => n + 1,
                    _ => 1,
                };
                if agreeing < START_FRAMES {
                    self.starting = Some((note, agreeing));
                    return;
                }
                self.start(nearest, loudness_db, out);
                nearest
            }
            Some(key) if (note - key as f32).abs() > 0.5 + CHANGE_MARGIN => {
                let count = match self.leaning {
                    Some((k, n, last)) if k == nearest && (note - last).abs() <= AGREE => n + 1,
                    _ => 1,
                };
                self.leaning = Some((nearest, count, note));
                if count >= CHANGE_FRAMES {
                    out(NoteOut::Off { key });
                    self.start(nearest, loudness_db, out);
                    nearest
                } else {
                    key
                }
            }
            Some(key) => {
                self.leaning = None;
                key
            }
        };
        bend_to(&mut self.bend, note - key as f32, out);
    }

    fn start(&mut self, key: u8, loudness_db: f32, out: &mut impl FnMut(NoteOut)) {
        self.key = Some(key);
        self.leaning = None;
        self.starting = None;
        out(NoteOut::On {
            key,
            velocity: velocity_of(loudness_db),
        });
    }

    /// Ends the sounding note, if any (silence, a transport stop, the end of a file).
    pub fn stop(&mut self, out: &mut impl FnMut(NoteOut)) {
        if let Some(key) = self.key.take() {
            out(NoteOut::Off { key });
        }
        self.leaning = None;
        self.starting = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hz(note: f32) -> f32 {
        440.0 * 2f32.powf((note - 69.0) / 12.0)
    }

    fn run(frames: &[(bool, f32)]) -> Vec<(usize, NoteOut)> {
        let mut t = Transcriber::default();
        let mut events = Vec::new();
        for (i, &(voiced, note)) in frames.iter().enumerate() {
            t.frame(voiced, hz(note), -20.0, &mut |e| events.push((i, e)));
        }
        t.stop(&mut |e| events.push((frames.len(), e)));
        events
    }

    #[test]
    fn a_note_starts_on_its_second_frame_bends_with_its_vibrato_and_ends_with_silence() {
        let mut frames = vec![(false, 0.0); 3];
        // A4 with a 40 ct vibrato: one note, bent.
        frames.extend((0..100).map(|i| (true, 69.0 + 0.4 * (i as f32 * 0.1).sin())));
        frames.extend([(false, 0.0); 3]);
        let events = run(&frames);
        assert_eq!(
            events[0],
            (
                3 + START_FRAMES as usize - 1,
                NoteOut::On {
                    key: 69,
                    velocity: velocity_of(-20.0)
                }
            )
        );
        let ons = events
            .iter()
            .filter(|(_, e)| matches!(e, NoteOut::On { .. }))
            .count();
        assert_eq!(ons, 1, "a vibrato retriggered: {events:?}");
        let bends: Vec<f32> = events
            .iter()
            .filter_map(|(_, e)| match e {
                NoteOut::Bend { semitones } => Some(*semitones),
                _ => None,
            })
            .collect();
        assert!(bends.iter().fold(0.0f32, |m, b| m.max(b.abs())) > 0.35);
        assert_eq!(events.last().unwrap(), &(103, NoteOut::Off { key: 69 }));
    }

    #[test]
    fn a_new_key_held_a_few_frames_is_a_new_note_and_a_scoop_is_not() {
        let mut frames: Vec<(bool, f32)> = (0..50).map(|_| (true, 60.0)).collect();
        // A 3-frame excursion to 62: bent, not retriggered.
        frames.extend([(true, 62.0); 3]);
        frames.extend((0..20).map(|_| (true, 60.0)));
        // A slur to E4, held.
        frames.extend((0..50).map(|_| (true, 64.0)));
        let events = run(&frames);
        let ons: Vec<_> = events
            .iter()
            .filter(|(_, e)| matches!(e, NoteOut::On { .. }))
            .collect();
        assert_eq!(ons.len(), 2, "{events:?}");
        assert_eq!(
            ons[1].1,
            NoteOut::On {
                key: 64,
                velocity: velocity_of(-20.0)
            }
        );
        // The new note comes CHANGE_FRAMES into the held pitch, after the old one's off.
        let at = 73 + CHANGE_FRAMES as usize - 1;
        assert_eq!(ons[1].0, at);
        let off = events
            .iter()
            .position(|(_, e)| *e == NoteOut::Off { key: 60 })
            .unwrap();
        assert!(
            events[off].0 == at && off < events.iter().position(|(_, e)| e == &ons[1].1).unwrap()
        );
    }

    #[test]
    fn an_attack_s_stray_first_frame_makes_no_note_of_its_own() {
        // A frame a tone low, then the note: one note, on the note's key, a frame later.
        let mut frames = vec![(false, 0.0), (true, 67.0), (true, 69.0)];
        frames.extend([(true, 69.0); 20]);
        let events = run(&frames);
        let ons: Vec<_> = events
            .iter()
            .filter(|(_, e)| matches!(e, NoteOut::On { .. }))
            .collect();
        assert_eq!(ons.len(), 1, "{events:?}");
        assert_eq!(
            *ons[0],
            (
                3,
                NoteOut::On {
                    key: 69,
                    velocity: velocity_of(-20.0)
                }
            )
        );
    }

    #[test]
    fn velocity_follows_general_midi_s_curve() {
        assert_eq!(velocity_of(TOP_DB), 127);
        assert_eq!(velocity_of(0.0), 127);
        assert_eq!(velocity_of(TOP_DB - 12.0), 64);
        assert_eq!(velocity_of(-200.0), 1);
    }
}
