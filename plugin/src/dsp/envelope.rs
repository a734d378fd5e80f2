//! Per-voice gain envelope: linear attack, hold, linear release to exact silence.
//!
//! Linear segments reach zero in finite time, so a released voice is provably silent and can be
//! freed; an exponential release would leave a tail that never ends.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Idle,
    Attack,
    Sustain,
    Release,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    stage: Stage,
    level: f32,
    step: f32,
    /// Samples left in the release: counted, because summing float steps can miss zero by a
    /// rounding error and end a sample late.
    release_left: u32,
    /// Samples the release holds its level before it starts to fall.
    hold_left: u32,
    attack_step: f32,
    release_samples: u32,
}

impl Envelope {
    pub fn new(attack_seconds: f32, release_seconds: f32, sample_rate: f32) -> Self {
        let mut env = Self {
            stage: Stage::Idle,
            level: 0.0,
            step: 0.0,
            release_left: 0,
            hold_left: 0,
            attack_step: 1.0,
            release_samples: 1,
        };
        env.set_times(attack_seconds, release_seconds, sample_rate);
        env
    }

    /// New times apply from the next stage change; a running ramp keeps its slope.
    pub fn set_times(&mut self, attack_seconds: f32, release_seconds: f32, sample_rate: f32) {
        self.attack_step = 1.0 / (attack_seconds * sample_rate).max(1.0);
        self.release_samples = (release_seconds * sample_rate).round().max(1.0) as u32;
    }

    /// Starts the attack from the current level, so a retriggered voice does not jump to zero.
    pub fn trigger(&mut self) {
        self.stage = Stage::Attack;
        self.step = self.attack_step;
    }

    /// Starts the release from the current level; it lasts the release time whatever that level.
    pub fn release(&mut self) {
        self.release_after(0);
    }

    /// As `release`, holding the current level for `hold` samples first (a gate that closes at
    /// the end of a release shaped elsewhere).
    pub fn release_after(&mut self, hold: u32) {
        if self.stage == Stage::Idle {
            return;
        }
        self.hold_left = hold;
        self.stage = Stage::Release;
        self.step = -self.level / self.release_samples as f32;
        self.release_left = self.release_samples;
        if self.level <= 0.0 {
            self.stage = Stage::Idle;
        }
    }

    /// Open at full level at once, until released or killed (a voice whose level is in its
    /// frames, as the effect's).
    pub fn open(&mut self) {
        self.stage = Stage::Sustain;
        self.level = 1.0;
    }

    /// Silences at once (host choke, reset).
    pub fn kill(&mut self) {
        self.stage = Stage::Idle;
        self.level = 0.0;
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn level(&self) -> f32 {
        self.level
    }

    pub fn is_active(&self) -> bool {
        self.stage != Stage::Idle
    }

    #[inline]
    pub fn next(&mut self) -> f32 {
        match self.stage {
            Stage::Idle | Stage::Sustain => {}
            Stage::Attack => {
                self.level += self.step;
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.stage = Stage::Sustain;
                }
            }
            Stage::Release if self.hold_left > 0 => self.hold_left -= 1,
            Stage::Release => {
                self.release_left -= 1;
                self.level += self.step;
                if self.release_left == 0 || self.level <= 0.0 {
                    self.level = 0.0;
                    self.stage = Stage::Idle;
                }
            }
        }
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_sustain_release_reach_exact_levels_in_time() {
        let sr = 1000.0;
        let mut env = Envelope::new(0.010, 0.020, sr);
        env.trigger();
        let attack: Vec<f32> = (0..10).map(|_| env.next()).collect();
        assert_eq!(attack[9], 1.0);
        assert_eq!(env.stage(), Stage::Sustain);
        env.release();
        let release: Vec<f32> = (0..20).map(|_| env.next()).collect();
        assert!(release[18] > 0.0);
        assert_eq!(release[19], 0.0);
        assert_eq!(env.stage(), Stage::Idle);
    }

    #[test]
    fn release_during_attack_lasts_the_release_time() {
        let mut env = Envelope::new(1.0, 0.005, 1000.0);
        env.trigger();
        for _ in 0..100 {
            env.next();
        }
        let level = env.level();
        assert!((level - 0.1).abs() < 1e-4);
        env.release();
        let out: Vec<f32> = (0..5).map(|_| env.next()).collect();
        assert!(out[3] > 0.0 && out[4] == 0.0, "{out:?}");
    }

    #[test]
    fn a_held_release_keeps_its_level_then_falls_in_its_time() {
        let mut env = Envelope::new(0.001, 0.004, 1000.0);
        env.trigger();
        env.next();
        env.release_after(3);
        let out: Vec<f32> = (0..8).map(|_| env.next()).collect();
        assert_eq!(out[..3], [1.0; 3]);
        assert!(out[5] > 0.0 && out[6] == 0.0, "{out:?}");
        assert!(!env.is_active());
    }
}
