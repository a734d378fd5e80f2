//! MIDI-DDSP's six note expression controls (Wu et al. 2022), turned into the curves a note is
//! played with. Each control is set per note (the value at its note-on holds for the note) in
//! the units MIDI-DDSP measures it in, so that what is set can be measured back on the output
//! with MIDI-DDSP's own definitions (`modules/interpretable_conditioning.py`):
//!
//! - volume: the note's mean amplitude in dB. A loudness offset for the decoder.
//! - volume fluctuation: the standard deviation of the note's amplitude in dB. A swell: the
//!   loudness moves linearly up to the peak and down after it. A piecewise-linear swell of
//!   depth D takes every value in its range for equal time, so its standard deviation is
//!   D / sqrt(12) wherever the peak is; the depth is sqrt(12) times the setting, and the swell
//!   is centred so that it leaves the mean (the volume) alone.
//! - volume peak position: where in the note (0..1) the amplitude peaks: where the swell
//!   peaks. A live note's length is not known at its note-on, so the note's expected length is
//!   used: a hint when the player knows it (a MIDI file), else the recent notes' lengths.
//! - vibrato: depth (cents), rate (Hz) and onset delay (s); it fades in over
//!   `VIBRATO_FADE_SECONDS` once the delay has passed. MIDI-DDSP measures the extent as the
//!   rFFT peak of the pitch deviation in 3..9 Hz.
//! - brightness: the harmonic centroid, as a factor on the model's own (applied after the
//!   decoder, `dsp::shape`).
//! - attack noise: the noise level over the note's first 40 ms (10 frames), as dB on the
//!   model's own; it returns to the model's level over the next 40 ms.

/// How long the vibrato takes to reach its depth once its delay has passed.
pub const VIBRATO_FADE_SECONDS: f32 = 0.2;
/// MIDI-DDSP's attack: its first 10 frames of 4 ms.
pub const ATTACK_SECONDS: f32 = 0.04;
/// The attack noise returns to the model's level over this long after the attack.
const ATTACK_RETURN_SECONDS: f32 = 0.04;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expression {
    pub volume_db: f32,
    pub fluctuation_db: f32,
    /// 0..1 of the note.
    pub peak_position: f32,
    pub vibrato_cents: f32,
    pub vibrato_rate_hz: f32,
    pub vibrato_delay_seconds: f32,
    /// Harmonic centroid factor (1 = the model's).
    pub brightness: f32,
    pub attack_noise_db: f32,
}

impl Default for Expression {
    fn default() -> Self {
        Self {
            volume_db: 0.0,
            fluctuation_db: 0.0,
            peak_position: 0.5,
            vibrato_cents: 0.0,
            vibrato_rate_hz: 5.5,
            vibrato_delay_seconds: 0.25,
            brightness: 1.0,
            attack_noise_db: 0.0,
        }
    }
}

/// One note's expression curves, functions of the time since its note-on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteCurves {
    pub expression: Expression,
    /// The length the swell is laid out over, in seconds.
    pub length: f32,
}

impl NoteCurves {
    pub fn new(expression: Expression, length: f32) -> Self {
        let length = if length.is_finite() {
            length.clamp(0.05, 60.0)
        } else {
            1.0
        };
        Self { expression, length }
    }

    /// The decoder's loudness offset at `t` seconds into the note: volume plus swell.
    pub fn loudness_db(&self, t: f32) -> f32 {
        let e = &self.expression;
        let depth = e.fluctuation_db.max(0.0) * 12f32.sqrt();
        if depth == 0.0 {
            return e.volume_db;
        }
        let peak = e.peak_position.clamp(0.0, 1.0) * self.length;
        let below_peak = if t < peak {
            depth * (1.0 - t / peak)
        } else {
            // Past the expected end it goes on falling, down to twice the depth.
            let fall = (self.length - peak).max(0.1 * self.length);
            (depth * (t - peak) / fall).min(2.0 * depth)
        };
        e.volume_db + depth / 2.0 - below_peak
    }

    /// The vibrato's share of its depth at `t` (0 before the delay, 1 once faded in).
    pub fn vibrato_fade(&self, t: f32) -> f32 {
        let after = t - self.expression.vibrato_delay_seconds.max(0.0);
        (after / VIBRATO_FADE_SECONDS).clamp(0.0, 1.0)
    }

    /// The note's own vibrato depth in cents at `t`, faded in after its delay.
    pub fn vibrato_cents(&self, t: f32) -> f32 {
        self.expression.vibrato_cents.max(0.0) * self.vibrato_fade(t)
    }

    /// The vibrato's phase in cycles at `t` (every vibrato of the note shares it, the mod
    /// wheel's too, so they add up instead of beating).
    pub fn vibrato_cycles(&self, t: f32) -> f32 {
        self.expression.vibrato_rate_hz.clamp(0.1, 20.0) * t
    }

    /// The factor on the noise magnitudes at `t`: the attack noise, then back to 1.
    pub fn noise_gain(&self, t: f32) -> f32 {
        let db = self.expression.attack_noise_db;
        if db == 0.0 || t >= ATTACK_SECONDS + ATTACK_RETURN_SECONDS {
            return 1.0;
        }
        let share = if t < ATTACK_SECONDS {
            1.0
        } else {
            1.0 - (t - ATTACK_SECONDS) / ATTACK_RETURN_SECONDS
        };
        10f32.powf(db * share / 20.0)
    }
}

/// The expected length of the next note: the mean of the last few, or a second before any.
#[derive(Debug, Clone, Copy)]
pub struct NoteLengths {
    recent: [f32; 4],
    count: usize,
}

impl Default for NoteLengths {
    fn default() -> Self {
        Self {
            recent: [1.0; 4],
            count: 0,
        }
    }
}

impl NoteLengths {
    pub fn played(&mut self, seconds: f32) {
        if seconds.is_finite() && seconds > 0.0 {
            self.recent[self.count % 4] = seconds;
            self.count += 1;
        }
    }

    pub fn expected(&self) -> f32 {
        match self.count {
            0 => 1.0,
            n => {
                let n = n.min(4);
                self.recent[..n].iter().sum::<f32>() / n as f32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(curves: &NoteCurves, frames: usize) -> (f32, f32, usize) {
        let values: Vec<f32> = (0..frames)
            .map(|i| curves.loudness_db(i as f32 * curves.length / frames as f32))
            .collect();
        let mean = values.iter().sum::<f32>() / frames as f32;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / frames as f32;
        let peak = values
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        (mean, var.sqrt(), peak)
    }

    #[test]
    fn the_swell_has_the_set_deviation_and_peak_and_leaves_the_mean_alone() {
        for &(fluctuation, position) in &[(1.0, 0.0), (3.0, 0.3), (6.0, 0.75), (2.0, 1.0)] {
            let curves = NoteCurves::new(
                Expression {
                    volume_db: -6.0,
                    fluctuation_db: fluctuation,
                    peak_position: position,
                    ..Expression::default()
                },
                2.0,
            );
            let (mean, std, peak) = moments(&curves, 500);
            assert!((mean + 6.0).abs() < 0.02 * fluctuation, "{mean}");
            assert!((std - fluctuation).abs() < 0.01 * fluctuation, "{std}");
            let at = peak as f32 / 500.0;
            assert!((at - position).abs() <= 0.01, "{at} vs {position}");
        }
    }

    #[test]
    fn attack_noise_holds_for_the_attack_then_returns() {
        let curves = NoteCurves::new(
            Expression {
                attack_noise_db: 12.0,
                ..Expression::default()
            },
            1.0,
        );
        assert!((curves.noise_gain(0.0) - 10f32.powf(0.6)).abs() < 1e-4);
        assert!((curves.noise_gain(0.039) - 10f32.powf(0.6)).abs() < 1e-4);
        assert!(curves.noise_gain(0.06) < curves.noise_gain(0.039));
        assert_eq!(curves.noise_gain(0.09), 1.0);
        assert_eq!(curves.vibrato_fade(0.1), 0.0);
        assert_eq!(curves.vibrato_fade(0.26 + VIBRATO_FADE_SECONDS), 1.0);
    }

    #[test]
    fn the_expected_length_follows_the_last_notes() {
        let mut lengths = NoteLengths::default();
        assert_eq!(lengths.expected(), 1.0);
        lengths.played(0.5);
        assert_eq!(lengths.expected(), 0.5);
        for _ in 0..4 {
            lengths.played(2.0);
        }
        assert_eq!(lengths.expected(), 2.0);
        lengths.played(f32::NAN);
        assert_eq!(lengths.expected(), 2.0);
    }
}
