//! The effect's voicing rule: from each frame's features (pitch, confidence, loudness), whether
//! the voice sounds, at which pitch and level.
//!
//! A note starts when the input's pitch is fairly sure (confidence 0.55, about two periods in),
//! the band a listener hears is periodic at it (`analysis::periodicity` at least 1/3: its
//! harmonics at most 3 dB under its noise, which a room's hum, hiss and breath are not) and it is
//! above the gate; it holds down to confidence 0.4 (hysteresis: it does not flutter in and out;
//! a legato change, where the window spans two periods, holds too). While the input is unvoiced the pitch holds where it was (no jumps to a noise
//! estimate), the level fades by 4.4 dB per frame (60 dB in 55 ms) and then is exactly zero, and
//! the tracker's octave memory is cleared. When the input is voiced again, a silent voice starts
//! at the new pitch with no glide from the old one.
//!
//! The fixed spectrum plays the input's loudness while voiced and fades from there. A model's
//! level follows the loudness it is asked for, so once its note has started it is asked for the
//! input's own loudness down to silence (-79 dB), voiced or not: a tail at -75 dB stays a quiet
//! tail instead of a cut (on the cello's validation phrases, gating by the fixed spectrum's rule
//! raised the spectral distance to the original from 5.16 to 6.78, the same model).
//!
//! A room is not silent: a microphone's noise floor (hiss, hum) sits far above -79 dB, and a
//! model that follows the level down to it would play on after the singer stops. So the rule
//! tracks the input's noise floor (a minimum follower: down at once, up slowly while the level is
//! steady, faster while unvoiced; a falling tail is not a floor) and asks for more than that: a note starts only `START_MARGIN_DB` over the floor,
//! and a model's tail ends `TAIL_MARGIN_DB` over it. In a silent input the floor sits at the
//! tracker's -80 dB and the rule is as above; over a room's noise it settles within about a
//! second and a half.

use crate::analysis::features::Features;
use crate::analysis::loudness::full_scale_sine_db;
use crate::analysis::periodicity::PERIODIC;

pub const VOICED_CONFIDENCE: f32 = 0.55;
const HOLD_CONFIDENCE: f32 = 0.4;
const GATE_DB: f32 = -60.0;
/// With a model: the input is silent under this loudness (the tracker's floor is -80 dB).
const MODEL_SILENCE_DB: f32 = -79.0;
/// The noise floor starts at the tracker's floor and rises this fast (dB per frame) while the
/// input is unvoiced (40 dB/s) and this fast while a note sounds (1 dB/s), so that a long note
/// does not become its own floor.
const FLOOR_START_DB: f32 = -80.0;
const FLOOR_RISE_UNVOICED_DB: f32 = 0.16;
const FLOOR_RISE_VOICED_DB: f32 = 0.004;
/// A note starts this far over the noise floor; a model's tail ends this far over it.
const START_MARGIN_DB: f32 = 10.0;
const TAIL_MARGIN_DB: f32 = 6.0;
/// A floor this far over the tracker's floor is a room's noise (below it, silence).
const ROOM_DB: f32 = 3.0;
/// The floor rises only while the level is steady: within this of its value `STEADY_FRAMES`
/// (100 ms) ago. A release tail or a room's reverb falls faster than that.
const STEADY_DB: f32 = 3.0;
const STEADY_FRAMES: usize = 25;

/// Level factor per frame while unvoiced (-4.4 dB), and the level where it becomes zero.
const UNVOICED_DECAY: f32 = 0.6;
const SILENT_LEVEL: f32 = 1e-4;

/// What one frame plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub f0_hz: f32,
    /// The loudness to ask the timbre for.
    pub loudness_db: f32,
    /// The factor on the timbre's controls: 1 sounding, fading, 0 silent.
    pub gain: f32,
    /// The voice starts from silence on this frame.
    pub from_silence: bool,
    /// The voice is silent: the tracker should forget its octave (a new note after silence
    /// may be in any octave).
    pub silent: bool,
}

#[derive(Debug, Clone)]
pub struct Voicing {
    voiced: bool,
    gain: f32,
    f0_hz: f32,
    /// The loudness of the last voiced frame (the fixed spectrum fades from it).
    held_loudness_db: f32,
    /// The input's noise floor, dB.
    floor_db: f32,
    /// The last frames' loudness, a ring (`recent_at` is the oldest).
    recent: [f32; STEADY_FRAMES],
    recent_at: usize,
}

impl Default for Voicing {
    fn default() -> Self {
        Self {
            voiced: false,
            gain: 0.0,
            f0_hz: 0.0,
            held_loudness_db: 0.0,
            floor_db: FLOOR_START_DB,
            recent: [FLOOR_START_DB; STEADY_FRAMES],
            recent_at: 0,
        }
    }
}

impl Voicing {
    /// The next frame's decision. `follows_level`: a model plays (see the module's doc).
    pub fn next(&mut self, features: &Features, follows_level: bool) -> Decision {
        let loudness = features.loudness_db;
        let (needed, over_floor) = if self.voiced {
            (HOLD_CONFIDENCE, TAIL_MARGIN_DB)
        } else {
            (VOICED_CONFIDENCE, START_MARGIN_DB)
        };
        // A floor at the tracker's own is no room: silence, where the old rule holds.
        let room = self.floor_db > FLOOR_START_DB + ROOM_DB;
        let floor = self.floor_db;
        let over_room = |margin: f32| !room || loudness > floor + margin;
        let periodic = self.voiced || features.periodicity >= PERIODIC;
        self.voiced = features.confidence >= needed
            && periodic
            && loudness > GATE_DB
            && over_room(over_floor);
        let before = self.recent[self.recent_at];
        if loudness.is_finite() {
            self.recent[self.recent_at] = loudness;
            self.recent_at = (self.recent_at + 1) % STEADY_FRAMES;
        }
        let steady = (loudness - before).abs() < STEADY_DB;
        self.floor_db = if loudness.is_finite() && loudness < self.floor_db {
            loudness.max(FLOOR_START_DB)
        } else if !steady {
            self.floor_db
        } else if self.voiced {
            self.floor_db + FLOOR_RISE_VOICED_DB
        } else {
            self.floor_db + FLOOR_RISE_UNVOICED_DB
        };
        if self.voiced {
            self.f0_hz = features.f0_hz;
            self.held_loudness_db = features.loudness_db;
        }
        let sounding = if follows_level && self.gain > 0.0 {
            features.loudness_db > MODEL_SILENCE_DB && over_room(TAIL_MARGIN_DB)
        } else {
            self.voiced
        };
        let from_silence = sounding && self.gain == 0.0;
        let loudness_db = if follows_level {
            features.loudness_db
        } else {
            self.held_loudness_db
        };
        if sounding {
            self.gain = 1.0;
        } else if self.gain > 0.0 {
            self.gain *= UNVOICED_DECAY;
            // The fixed spectrum's level is its loudness's; a model's, its own times the gain.
            let level = if follows_level {
                self.gain
            } else {
                self.gain * 10f32.powf((loudness_db - full_scale_sine_db()) / 20.0)
            };
            if level < SILENT_LEVEL {
                self.gain = 0.0;
            }
        }
        Decision {
            f0_hz: self.f0_hz,
            loudness_db,
            gain: self.gain,
            from_silence,
            silent: self.gain == 0.0,
        }
    }

    /// Whether the last frame was voiced (a pitch sure enough to play on its own).
    pub fn is_voiced(&self) -> bool {
        self.voiced
    }

    /// Silent and unvoiced, as at the start (transport jump); the room's noise floor stays.
    pub fn reset(&mut self) {
        *self = Self {
            floor_db: self.floor_db,
            recent: self.recent,
            recent_at: self.recent_at,
            ..Self::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(f0_hz: f32, confidence: f32, loudness_db: f32) -> Features {
        Features {
            f0_hz,
            confidence,
            periodicity: 1.0,
            loudness_db,
        }
    }

    #[test]
    fn a_note_starts_sure_holds_with_hysteresis_and_fades_to_exact_silence() {
        let mut v = Voicing::default();
        assert_eq!(v.next(&features(220.0, 0.5, -20.0), false).gain, 0.0);
        let start = v.next(&features(220.0, 0.6, -20.0), false);
        assert!(start.from_silence && start.gain == 1.0 && start.f0_hz == 220.0);
        // Under the start threshold but over the hold one: still sounding, not a new start.
        let held = v.next(&features(230.0, 0.45, -20.0), false);
        assert!(!held.from_silence && held.gain == 1.0 && held.f0_hz == 230.0);
        // A voiced frame at 0.1 of a full-scale sine's level (-20 dB), then unvoiced ones: the
        // pitch holds, the level fades, and ends at exactly zero.
        let level = full_scale_sine_db() - 20.0;
        v.next(&features(230.0, 0.9, level), false);
        let mut frames = 0;
        loop {
            let d = v.next(&features(900.0, 0.1, level), false);
            assert_eq!(d.f0_hz, 230.0);
            frames += 1;
            if d.gain == 0.0 {
                assert!(d.silent);
                break;
            }
        }
        // From 0.1 to 1e-4: 60 dB at 4.4 dB a frame.
        assert!((13..=15).contains(&frames), "{frames} frames");
    }

    #[test]
    fn a_note_needs_a_periodic_heard_band_to_start_but_not_to_hold() {
        let mut v = Voicing::default();
        let hum = Features {
            periodicity: 0.2,
            ..features(50.0, 0.9, -30.0)
        };
        for _ in 0..10 {
            assert!(v.next(&hum, true).silent && !v.is_voiced());
        }
        assert!(v.next(&features(220.0, 0.9, -30.0), true).from_silence);
        // A legato change: the window spans two notes, and the note holds through it.
        let change = Features {
            periodicity: -0.4,
            ..features(220.0, 0.8, -30.0)
        };
        assert!(v.next(&change, true).gain == 1.0 && v.is_voiced());
    }

    #[test]
    fn over_a_room_s_noise_floor_nothing_plays_once_the_floor_is_learnt() {
        let mut v = Voicing::default();
        // A note, then a room: -52 dB of noise the tracker sometimes calls voiced.
        for _ in 0..50 {
            v.next(&features(220.0, 0.9, -20.0), true);
        }
        let mut sounding_late = 0;
        for i in 0..1000 {
            let confidence = if i % 7 == 0 { 0.6 } else { 0.2 };
            let noise = -52.0 + 2.0 * ((i * 37 % 11) as f32 / 10.0 - 0.5);
            let d = v.next(&features(100.0, confidence, noise), true);
            if i >= 500 && d.gain > 0.0 {
                sounding_late += 1;
            }
        }
        assert_eq!(sounding_late, 0, "the room kept the voice sounding");
        // A note over the room still plays.
        assert!(v.next(&features(220.0, 0.9, -25.0), true).gain > 0.0);
    }

    #[test]
    fn a_falling_tail_is_not_a_floor() {
        let mut v = Voicing::default();
        for _ in 0..50 {
            v.next(&features(220.0, 0.9, -20.0), true);
        }
        // A release tail, unvoiced, falling 60 dB in 400 ms from -20 dB: the model follows it
        // down to the tracker's floor, as in silence.
        let mut last_sounding = 0.0;
        for i in 0..150 {
            let level = (-20.0 - 60.0 * i as f32 * 0.004 / 0.4).max(-80.0);
            if v.next(&features(220.0, 0.1, level), true).gain == 1.0 {
                last_sounding = level;
            }
        }
        assert!(
            last_sounding < -75.0,
            "the tail was cut at {last_sounding} dB"
        );
    }

    #[test]
    fn after_a_reset_a_note_needs_the_start_confidence_again() {
        let mut v = Voicing::default();
        v.next(&features(220.0, 0.9, -20.0), true);
        v.reset();
        assert_eq!(v.next(&features(220.0, 0.45, -20.0), true).gain, 0.0);
    }

    #[test]
    fn a_model_follows_the_level_down_to_silence_at_the_held_pitch() {
        let mut v = Voicing::default();
        v.next(&features(220.0, 0.9, -20.0), true);
        let tail = v.next(&features(500.0, 0.1, -75.0), true);
        assert_eq!(
            (tail.gain, tail.f0_hz, tail.loudness_db),
            (1.0, 220.0, -75.0)
        );
        assert!(v.next(&features(500.0, 0.1, -80.0), true).gain < 1.0);
    }
}
