//! Pitch look-ahead: the features of a frame a few frames back, with the pitch the later frames
//! settled on where the frame's own was a note's unsettled start.
//!
//! A causal tracker is sure of a new note only once its window holds mostly the new note, about
//! 16-20 ms after a legato change and often as long after an attack, whose first milliseconds
//! are noise, a scoop or another partial. Those frames are most of what it gets wrong
//! (`tests/pitch_accuracy/results.md`). Waiting `frames` frames shows what they became: a frame
//! that is not a sure pitch going on from the frame before, and is more than half a semitone
//! from the newest sure pitch within the wait, takes that pitch. A note under way keeps its own
//! pitch and timing (vibrato and glides move less than that from frame to frame), up to its last
//! frame before a legato change; the loudness, confidence and periodicity always do (so the
//! voicing rule decides as it would without the wait, and the last frames of a rest carry the
//! coming note's pitch, unheard). The price is the wait, which the plugin adds to its latency.

use super::features::Features;
use super::periodicity::PERIODIC;

/// The longest wait, in frames (32 ms at 250 frames a second).
pub const MAX_FRAMES: usize = 8;

/// The longest wait in milliseconds, at the plugin's frame rate.
pub const MAX_MS: f32 = MAX_FRAMES as f32 * 1000.0 / crate::limits::FRAME_RATE_HZ as f32;

/// The wait for `ms` milliseconds at `frame_rate`, in whole frames (at most MAX_FRAMES).
pub fn frames_for_ms(ms: f32, frame_rate: u32) -> usize {
    let frames = (ms.max(0.0) * frame_rate as f32 / 1000.0).round();
    if frames.is_finite() {
        (frames as usize).min(MAX_FRAMES)
    } else {
        0
    }
}

/// Confidence from which a frame's pitch is sure: a later one's to hand back, or its own to
/// keep.
const SURE_CONFIDENCE: f32 = 0.8;

/// How far (cents) a frame's pitch may be from the settled one and still be its own.
const SAME_NOTE_CENTS: f32 = 50.0;

/// How many frames the tracker goes on reading a note after the input has moved on to the
/// next, in a legato change.
const LAG_FRAMES: usize = 4;

const SILENT: Features = Features {
    f0_hz: 0.0,
    confidence: 0.0,
    periodicity: 0.0,
    loudness_db: crate::control::adsr::SILENCE_DB,
};

/// The last `frames + 2` frames (the one handed back, the one before it and the wait), newest
/// at `newest`.
#[derive(Debug, Clone)]
pub struct LookAhead {
    ring: [Features; MAX_FRAMES + 2],
    newest: usize,
    frames: usize,
}

fn sure(f: &Features) -> bool {
    f.confidence >= SURE_CONFIDENCE && f.periodicity >= PERIODIC
}

fn same_note(a: f32, b: f32) -> bool {
    (1200.0 * (a / b).log2()).abs() <= SAME_NOTE_CENTS
}

impl LookAhead {
    /// A wait of `frames` (at most MAX_FRAMES); 0 hands every frame straight back.
    pub fn new(frames: usize) -> Self {
        Self {
            ring: [SILENT; MAX_FRAMES + 2],
            newest: 0,
            frames: frames.min(MAX_FRAMES),
        }
    }

    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Takes the newest frame and gives the one `frames` back (silence until that many came).
    pub fn push(&mut self, newest: Features) -> Features {
        let len = self.frames + 2;
        self.newest = (self.newest + 1) % len;
        self.ring[self.newest] = newest;
        let at = |back: usize| self.ring[(self.newest + len - back) % len];
        let (mut out, before) = (at(self.frames), at(self.frames + 1));
        // A sure pitch that goes on from a sure frame before is a note under way: it keeps its
        // own, unless another sure pitch follows within the tracker's lag (the tracker held on to
        // the note the input had already left).
        let going_on = sure(&out) && sure(&before) && same_note(out.f0_hz, before.f0_hz);
        if going_on {
            let lag = LAG_FRAMES.min(self.frames);
            let next = (self.frames - lag..self.frames)
                .map(at)
                .find(|n| sure(n) && !same_note(n.f0_hz, out.f0_hz));
            if let Some(next) = next {
                out.f0_hz = next.f0_hz;
            }
            return out;
        }
        let settled = (0..self.frames).map(at).find(sure);
        if let Some(settled) = settled {
            if !same_note(out.f0_hz, settled.f0_hz) {
                out.f0_hz = settled.f0_hz;
            }
        }
        out
    }

    pub fn clear(&mut self) {
        self.ring = [SILENT; MAX_FRAMES + 2];
    }
}

/// Features of a whole signal with the look-ahead applied, aligned with the input: frame j of
/// the result is what the live effect plays for frame j, `frames` frames later.
pub fn apply(features: &[Features], frames: usize) -> Vec<Features> {
    let mut ahead = LookAhead::new(frames);
    let frames = ahead.frames();
    let tail = features.last().copied().unwrap_or(SILENT);
    features
        .iter()
        .copied()
        .chain(std::iter::repeat_n(tail, frames))
        .map(|f| ahead.push(f))
        .skip(frames)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(f0_hz: f32, confidence: f32) -> Features {
        Features {
            f0_hz,
            confidence,
            periodicity: if confidence > 0.5 { 0.9 } else { 0.1 },
            loudness_db: -20.0,
        }
    }

    #[test]
    fn an_unsettled_start_takes_the_pitch_it_settles_on_and_a_note_keeps_its_own_motion() {
        // A rest, an attack read 4 and 2 semitones sharp and then an octave low, the note (220
        // Hz) with a 5.5 Hz vibrato of 30 cents, then a legato change to 330 Hz read late by
        // 4 frames, as long as the wait.
        let mut heard = vec![frame(0.0, 0.0); 3];
        heard.extend([frame(277.0, 0.5), frame(247.0, 0.7), frame(110.0, 0.6)]);
        let vibrato: Vec<f32> = (0..40)
            .map(|j| 220.0 * 2f32.powf(0.3 * (j as f32 * 0.138).sin() / 12.0))
            .collect();
        heard.extend(vibrato.iter().map(|&f| frame(f, 0.95)));
        heard.extend([225.0, 300.0, 240.0, 250.0].map(|f| frame(f, 0.5)));
        heard.extend((0..10).map(|_| frame(330.0, 0.95)));
        let out = apply(&heard, 4);
        assert_eq!(out.len(), heard.len());
        let f0: Vec<f32> = out.iter().map(|f| f.f0_hz).collect();
        // The rest's last frame already sees the note settle: a voice starting there starts on
        // its pitch. The frames before see only the attack, and keep the rest's.
        assert_eq!(&f0[..2], &[0.0, 0.0]);
        let attack = &f0[2..6];
        assert!(attack.iter().all(|f| vibrato.contains(f)), "{attack:?}");
        assert_eq!(
            &f0[6..46],
            &vibrato[..],
            "the vibrato keeps its own pitch and timing"
        );
        assert!(f0[46..].iter().all(|&f| f == 330.0), "{:?}", &f0[46..]);
        for (o, h) in out.iter().zip(&heard) {
            assert_eq!((o.confidence, o.loudness_db), (h.confidence, h.loudness_db));
        }
    }

    #[test]
    fn a_note_the_tracker_held_on_to_past_a_legato_change_gives_way_within_its_lag() {
        // 220 Hz read sure until the tracker jumps straight to 330 Hz at frame 20.
        let heard: Vec<Features> = (0..30)
            .map(|j| frame(if j < 20 { 220.0 } else { 330.0 }, 0.95))
            .collect();
        let f0: Vec<f32> = apply(&heard, 6).iter().map(|f| f.f0_hz).collect();
        let change = 20 - LAG_FRAMES;
        assert!(f0[1..change].iter().all(|&f| f == 220.0), "{f0:?}");
        assert!(f0[change..].iter().all(|&f| f == 330.0), "{f0:?}");
    }

    #[test]
    fn no_wait_changes_nothing_and_the_live_wait_is_the_offline_one() {
        let heard: Vec<Features> = (0..30)
            .map(|j| frame(100.0 + 37.0 * (j % 7) as f32, (j % 5) as f32 / 4.0))
            .collect();
        assert_eq!(apply(&heard, 0), heard);
        let mut live = LookAhead::new(3);
        let played: Vec<Features> = heard.iter().map(|&f| live.push(f)).collect();
        assert!(played[..3].iter().all(|f| *f == SILENT));
        assert_eq!(&played[3..], &apply(&heard, 3)[..27]);
    }
}
