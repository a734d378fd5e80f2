//! The note's amplitude envelope (attack, decay, sustain, release), as DDSP-VST applies it: to
//! the loudness the decoder is asked for, so that a soft attack or a fading release has the
//! model's own quiet timbre rather than a loud timbre turned down. Evaluated at any time (the
//! frame boundaries, a note's first sample); a short gate after the decoder only guards the
//! ends against clicks (`engine::voice`).
//!
//! The attack rises linearly in amplitude, like DDSP-VST's; the decay and the release move
//! linearly in dB, as an instrument's sound dies away (exponentially): the decay from the top to
//! the sustain level, the release at `RELEASE_FALL_DB` per release time (the release time is
//! a T60, as acousticians measure a sound dying away) for `RELEASE_DEPTH_DB`, where SoundFont
//! and DLS end theirs. Below the decoder's floor the instrument asks the decoder for its
//! quietest and fades the rest after it (`engine::instrument`), so a tail dies away with the
//! model's own quiet timbre all the way down. A model's card can give its instrument's own attack and release in these terms,
//! measured on its recordings. A retrigger starts the attack from the level the note has, at
//! the attack's slope, so a stolen or repeated note does not jump; the release starts from the
//! level at the note-off and lasts the release time exactly, so the voice's end is known when
//! it is released.

/// The decoder is asked for at least this loudness: DDSP's floor, silence to every model.
pub const SILENCE_DB: f32 = -80.0;

/// The release falls this far over its time (the time is a T60).
pub const RELEASE_FALL_DB: f32 = 60.0;

/// A release falls this far, then the note is over: 1.6 release times.
pub const RELEASE_DEPTH_DB: f32 = 96.0;

/// Levels below this are no sound at all (the floor of `loudness_db`).
pub const GONE_DB: f32 = -200.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdsrTimes {
    pub attack_seconds: f32,
    pub decay_seconds: f32,
    /// dB, at most 0.
    pub sustain_db: f32,
    pub release_seconds: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// From `from` at `since` (seconds), attack then decay then sustain.
    Held { since: f64, from: f32 },
    /// From `from_db` at `since`, for `seconds`.
    Released {
        since: f64,
        from_db: f32,
        seconds: f32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adsr {
    times: AdsrTimes,
    stage: Stage,
}

impl Adsr {
    /// A note that starts from silence at `now` (seconds).
    pub fn start(times: AdsrTimes, now: f64) -> Self {
        Self {
            times: sane(times),
            stage: Stage::Held {
                since: now,
                from: 0.0,
            },
        }
    }

    /// The note starts again at `now`, from where it is, with these times.
    pub fn retrigger(&mut self, times: AdsrTimes, now: f64) {
        let from = self.level(now);
        self.times = sane(times);
        self.stage = Stage::Held { since: now, from };
    }

    /// The note is let go at `now`: it falls at `RELEASE_FALL_DB` per `release_seconds` (the
    /// release time set now, not at the note-on) and is over when it has fallen
    /// `RELEASE_DEPTH_DB`. Returns how long that takes.
    pub fn release(&mut self, now: f64, release_seconds: f32) -> f32 {
        if let Stage::Held { .. } = self.stage {
            let from_db = self.level_db(now);
            self.times.release_seconds = sane(AdsrTimes {
                release_seconds,
                ..self.times
            })
            .release_seconds;
            let seconds = self.times.release_seconds * RELEASE_DEPTH_DB / RELEASE_FALL_DB;
            self.stage = Stage::Released {
                since: now,
                from_db,
                seconds,
            };
        }
        self.silent_at().map_or(0.0, |at| (at - now) as f32)
    }

    pub fn is_released(&self) -> bool {
        matches!(self.stage, Stage::Released { .. })
    }

    /// The time the release ends, if released.
    pub fn silent_at(&self) -> Option<f64> {
        match self.stage {
            Stage::Released { since, seconds, .. } => Some(since + seconds as f64),
            Stage::Held { .. } => None,
        }
    }

    /// The level in dB at `now` (seconds); -inf before the attack has begun and once over.
    pub fn level_db(&self, now: f64) -> f32 {
        let t = &self.times;
        match self.stage {
            Stage::Held { since, from } => {
                let mut s = (now - since).max(0.0) as f32;
                let rise = (1.0 - from) * t.attack_seconds;
                if s < rise {
                    return 20.0 * (from + s / t.attack_seconds).log10();
                }
                s -= rise;
                if s < t.decay_seconds {
                    return t.sustain_db * s / t.decay_seconds;
                }
                t.sustain_db
            }
            Stage::Released {
                since,
                from_db,
                seconds,
            } => {
                let s = (now - since).max(0.0) as f32;
                if s >= seconds {
                    f32::NEG_INFINITY
                } else {
                    from_db - RELEASE_FALL_DB * s / t.release_seconds
                }
            }
        }
    }

    /// Amplitude 0..1 at `now`.
    pub fn level(&self, now: f64) -> f32 {
        10f32.powf(self.level_db(now) / 20.0)
    }

    /// The loudness offset (dB) the level means, at least `GONE_DB`.
    pub fn loudness_db(&self, now: f64) -> f32 {
        self.level_db(now).max(GONE_DB)
    }
}

/// Times no shorter than a sample at any rate, and a sustain level in range: a zero time would
/// divide by zero.
fn sane(t: AdsrTimes) -> AdsrTimes {
    let time = |s: f32| if s.is_finite() { s.max(1e-5) } else { 0.01 };
    AdsrTimes {
        attack_seconds: time(t.attack_seconds),
        decay_seconds: time(t.decay_seconds),
        sustain_db: if t.sustain_db.is_finite() {
            t.sustain_db.clamp(SILENCE_DB, 0.0)
        } else {
            0.0
        },
        release_seconds: time(t.release_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMES: AdsrTimes = AdsrTimes {
        attack_seconds: 0.1,
        decay_seconds: 0.2,
        sustain_db: -12.0,
        release_seconds: 0.4,
    };

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn segments_reach_their_levels_at_their_times() {
        let mut env = Adsr::start(TIMES, 1.0);
        assert_eq!(env.level(1.0), 0.0);
        assert!(
            close(env.level(1.05), 0.5),
            "the attack is linear in amplitude"
        );
        assert!(close(env.level_db(1.1), 0.0));
        assert!(close(env.level_db(1.2), -6.0), "the decay is linear in dB");
        assert!(close(env.level_db(1.3), -12.0));
        assert_eq!(env.level_db(5.0), -12.0);
        // 60 dB per 0.4 s for 96 dB: over in 0.64 s.
        let seconds = env.release(5.0, 0.4);
        assert!(close(seconds, 0.64));
        assert!(
            close(env.level_db(5.2), -42.0),
            "the release falls 60 dB in its time"
        );
        assert!(close(env.level_db(5.6), -12.0 - 90.0));
        assert_eq!(env.level(5.641), 0.0);
        assert!((env.silent_at().unwrap() - 5.64).abs() < 1e-6);
        assert_eq!(env.loudness_db(5.641), GONE_DB);
    }

    #[test]
    fn a_retrigger_starts_from_the_level_it_finds() {
        let mut env = Adsr::start(TIMES, 0.0);
        env.release(1.0, 0.4);
        // A tenth into the release: 6 dB below the sustain, -18 dB.
        env.retrigger(TIMES, 1.04);
        let from = 10f32.powf(-18.0 / 20.0);
        assert!(close(env.level(1.04), from));
        // The attack's slope is kept: 1 - from to go at 10 per second.
        assert!(close(env.level_db(1.04 + (1.0 - from as f64) / 10.0), 0.0));
        assert!(!env.is_released());
    }
}
