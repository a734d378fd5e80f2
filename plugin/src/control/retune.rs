//! The effect's pitch path, frame by frame: what it tracks becomes what it plays. First the
//! pitch is smoothed (a portamento in semitones, so a glide takes as long up as down), then
//! pulled toward the nearest note of a scale (by a strength, at a retune speed), then shifted
//! by a fixed interval. A note that starts from silence starts on its own pitch and fully
//! corrected: the smoothing and the retune speed act within a phrase, not across silences.

use super::scales;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetuneSettings {
    /// Semitones (fractional: fine tuning included), -24..24.
    pub shift_semitones: f32,
    /// The portamento's time constant; 0 plays the tracked pitch as it is.
    pub glide_seconds: f32,
    /// The scale's pitch classes (bit k: pitch class k, C = 0); None: no correction.
    pub scale: Option<u16>,
    /// 0 leaves the pitch, 1 puts it on the scale note.
    pub strength: f32,
    /// The correction's time constant; 0 corrects at once.
    pub retune_seconds: f32,
}

impl Default for RetuneSettings {
    fn default() -> Self {
        Self {
            shift_semitones: 0.0,
            glide_seconds: 0.0,
            scale: None,
            strength: 1.0,
            retune_seconds: 0.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Retuner {
    /// The smoothed pitch, in MIDI notes (None: silence since).
    glided: Option<f32>,
    /// The correction in force, in semitones.
    offset: f32,
}

/// The share of the way a one-pole moves toward its target in `dt` with time constant `tau`.
fn pull(dt: f32, tau: f32) -> f32 {
    if tau <= 0.0 {
        1.0
    } else {
        1.0 - (-dt / tau).exp()
    }
}

impl Retuner {
    /// What to play for a frame `frame_seconds` after the last, tracked at `f0_hz`.
    pub fn next(
        &mut self,
        f0_hz: f32,
        from_silence: bool,
        s: &RetuneSettings,
        frame_seconds: f32,
    ) -> f32 {
        if !(f0_hz.is_finite() && f0_hz > 0.0) {
            return f0_hz;
        }
        let note = 69.0 + 12.0 * (f0_hz / 440.0).log2();
        let glided = match self.glided {
            Some(g) if !from_silence => g + (note - g) * pull(frame_seconds, s.glide_seconds),
            _ => note,
        };
        self.glided = Some(glided);
        let wanted = match s.scale {
            Some(classes) => {
                s.strength.clamp(0.0, 1.0) * (scales::nearest(glided, classes) - glided)
            }
            None => 0.0,
        };
        self.offset = if from_silence {
            wanted
        } else {
            self.offset + (wanted - self.offset) * pull(frame_seconds, s.retune_seconds)
        };
        let shift = if s.shift_semitones.is_finite() {
            s.shift_semitones.clamp(-48.0, 48.0)
        } else {
            0.0
        };
        440.0 * 2f32.powf((glided + self.offset + shift - 69.0) / 12.0)
    }

    /// Forgets the phrase (silence, a transport jump).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::scales::Scale;

    const FRAME: f32 = 0.004;

    fn cents(a: f32, b: f32) -> f32 {
        1200.0 * (a / b).log2()
    }

    #[test]
    fn a_shift_moves_the_pitch_by_its_interval() {
        let mut r = Retuner::default();
        let s = RetuneSettings {
            shift_semitones: 7.25,
            ..Default::default()
        };
        let out = r.next(220.0, true, &s, FRAME);
        assert!((cents(out, 220.0) - 725.0).abs() < 0.01);
    }

    #[test]
    fn full_correction_lands_on_the_scale_and_half_goes_half_way() {
        let s = RetuneSettings {
            scale: Some(Scale::Major.classes(0)),
            ..Default::default()
        };
        let mut r = Retuner::default();
        // 30 ct over C4 (261.63 Hz): C4.
        let c4 = 261.6256;
        let sharp = c4 * 2f32.powf(0.3 / 12.0);
        assert!(cents(r.next(sharp, true, &s, FRAME), c4).abs() < 0.01);
        let half = RetuneSettings { strength: 0.5, ..s };
        let mut r = Retuner::default();
        assert!((cents(r.next(sharp, true, &half, FRAME), c4) - 15.0).abs() < 0.01);
    }

    #[test]
    fn the_retune_speed_and_the_glide_take_their_time_within_a_phrase() {
        let c4 = 261.6256;
        let sharp = c4 * 2f32.powf(0.3 / 12.0);
        let s = RetuneSettings {
            scale: Some(Scale::Major.classes(0)),
            retune_seconds: 0.05,
            ..Default::default()
        };
        let mut r = Retuner::default();
        // Starting on C4 itself, then jumping 30 ct sharp: one time constant later, 63 % corrected.
        r.next(c4, true, &s, FRAME);
        let mut out = 0.0;
        for _ in 0..(0.05 / FRAME) as usize {
            out = r.next(sharp, false, &s, FRAME);
        }
        let left = cents(out, c4);
        assert!(
            (left - 30.0 * (-1.0f32).exp()).abs() < 1.0,
            "{left} ct left"
        );
        // The glide: an octave jump is 63 % done after one time constant.
        let g = RetuneSettings {
            glide_seconds: 0.1,
            ..Default::default()
        };
        let mut r = Retuner::default();
        r.next(220.0, true, &g, FRAME);
        for _ in 0..25 {
            out = r.next(440.0, false, &g, FRAME);
        }
        let done = cents(out, 220.0) / 1200.0;
        assert!((done - (1.0 - (-1.0f32).exp())).abs() < 0.02, "{done}");
        // After silence a note starts on its own pitch.
        assert!(cents(r.next(330.0, true, &g, FRAME), 330.0).abs() < 0.01);
    }
}
