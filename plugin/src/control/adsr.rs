//! The note's amplitude envelope (attack, decay, sustain, release), as DDSP-VST applies it: to
//! the loudness the decoder is asked for, so that a soft attack or a fading release has the
//! model's own quiet timbre rather than a loud timbre turned down. Evaluated at any time (the
//! frame boundaries, a note's first sample); a short gate after the decoder only guards the
//! ends against clicks (`engine::voice`).
//!
//! Segments are linear in amplitude, like DDSP-VST's. A retrigger starts the attack from the
//! level the note has, at the attack's slope, so a stolen or repeated note does not jump; the
//! release starts from the level at the note-off and lasts the release time exactly, so the
//! voice's end is known when it is released.

/// The decoder is asked for at least this loudness: DDSP's floor, silence to every model.
pub const SILENCE_DB: f32 = -80.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdsrTimes {
    pub attack_seconds: f32,
    pub decay_seconds: f32,
    /// Linear amplitude, 0..1.
    pub sustain: f32,
    pub release_seconds: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// From `from` at `since` (seconds), attack then decay then sustain.
    Held {
        since: f64,
        from: f32,
    },
    Released {
        since: f64,
        from: f32,
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

    /// The note is let go at `now`; it is silent `release_seconds` later (the release time
    /// is the one set now, not at the note-on).
    pub fn release(&mut self, now: f64, release_seconds: f32) {
        if let Stage::Held { .. } = self.stage {
            let from = self.level(now);
            self.times.release_seconds = sane(AdsrTimes {
                release_seconds,
                ..self.times
            })
            .release_seconds;
            self.stage = Stage::Released { since: now, from };
        }
    }

    pub fn is_released(&self) -> bool {
        matches!(self.stage, Stage::Released { .. })
    }

    /// The time the release ends, if released.
    pub fn silent_at(&self) -> Option<f64> {
        match self.stage {
            Stage::Released { since, .. } => Some(since + self.times.release_seconds as f64),
            Stage::Held { .. } => None,
        }
    }

    /// Amplitude 0..1 at `now` (seconds).
    pub fn level(&self, now: f64) -> f32 {
        let t = &self.times;
        match self.stage {
            Stage::Held { since, from } => {
                let mut s = (now - since).max(0.0) as f32;
                let rise = (1.0 - from) * t.attack_seconds;
                if s < rise {
                    return from + s / t.attack_seconds;
                }
                s -= rise;
                if s < t.decay_seconds {
                    return 1.0 - (1.0 - t.sustain) * s / t.decay_seconds;
                }
                t.sustain
            }
            Stage::Released { since, from } => {
                let s = (now - since).max(0.0) as f32;
                (from * (1.0 - s / t.release_seconds)).max(0.0)
            }
        }
    }

    /// The loudness offset (dB) the level means, at least `SILENCE_DB`.
    pub fn loudness_db(&self, now: f64) -> f32 {
        let level = self.level(now);
        if level <= 0.0 {
            SILENCE_DB
        } else {
            (20.0 * level.log10()).max(SILENCE_DB)
        }
    }
}

/// Times no shorter than a sample at any rate, and a sustain level in range: a zero time would
/// divide by zero.
fn sane(t: AdsrTimes) -> AdsrTimes {
    let time = |s: f32| if s.is_finite() { s.max(1e-5) } else { 0.01 };
    AdsrTimes {
        attack_seconds: time(t.attack_seconds),
        decay_seconds: time(t.decay_seconds),
        sustain: if t.sustain.is_finite() {
            t.sustain.clamp(0.0, 1.0)
        } else {
            1.0
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
        sustain: 0.5,
        release_seconds: 0.4,
    };

    #[test]
    fn segments_reach_their_levels_at_their_times() {
        let mut env = Adsr::start(TIMES, 1.0);
        assert_eq!(env.level(1.0), 0.0);
        assert!((env.level(1.05) - 0.5).abs() < 1e-4);
        assert!((env.level(1.1) - 1.0).abs() < 1e-4);
        assert!((env.level(1.2) - 0.75).abs() < 1e-4);
        assert!((env.level(1.3) - 0.5).abs() < 1e-4);
        assert_eq!(env.level(5.0), 0.5);
        env.release(5.0, 0.4);
        assert!((env.level(5.2) - 0.25).abs() < 1e-4);
        assert_eq!(env.level(5.4), 0.0);
        assert!((env.silent_at().unwrap() - 5.4).abs() < 1e-6);
        assert_eq!(env.loudness_db(5.4), SILENCE_DB);
        assert!((env.loudness_db(5.2) + 12.04).abs() < 0.01);
    }

    #[test]
    fn a_retrigger_starts_from_the_level_it_finds() {
        let mut env = Adsr::start(TIMES, 0.0);
        env.release(1.0, 0.4);
        // Half way through the release: 0.25.
        env.retrigger(TIMES, 1.2);
        assert!((env.level(1.2) - 0.25).abs() < 1e-4);
        // The attack's slope is kept: 0.75 to go at 10 per second.
        assert!((env.level(1.275) - 1.0).abs() < 1e-3);
        assert!(!env.is_released());
    }
}
