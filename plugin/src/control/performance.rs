//! A note as it is performed: from its key, velocity, envelope and expression curves, the
//! controllers of its MIDI channel (bend, mod wheel, breath, volume, expression, pressure,
//! timbre) and its own per-note modulation (MPE, polyphonic aftertouch, CLAP note
//! expressions), the pitch and loudness the decoder is asked for at any moment, and the
//! brightness and noise factors applied after it.
//!
//! Loudness from controllers follows General MIDI's curve for volume and expression,
//! 40 log10(value) dB, for breath too. The aftertouch (channel, polyphonic, MPE or CLAP
//! pressure, whichever is highest) goes to one destination the player picks.

use super::adsr::{Adsr, AdsrTimes, GONE_DB, SILENCE_DB};
use super::channels::{Channel, Channels};
use super::expression::{Expression, NoteCurves};

/// Full pressure adds this much loudness at an aftertouch amount of 1.
pub const PRESSURE_LOUDNESS_DB: f32 = 12.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoiceMode {
    /// Up to eight notes at once.
    #[default]
    Poly,
    /// One note, last-note priority; each new note attacks again.
    Mono,
    /// One note, last-note priority; a note played while another is held slurs to it: its pitch
    /// glides, with no new attack.
    Legato,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aftertouch {
    Loudness,
    Brightness,
    #[default]
    Vibrato,
}

/// Where a note's attack and release come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvelopeSource {
    /// The model's own, measured on its instrument's recordings (its card), where it has them;
    /// the knobs' otherwise.
    #[default]
    Model,
    /// The Attack and Release knobs'.
    Knobs,
}

/// The instrument's knobs, as far as a note's performance goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub adsr: AdsrTimes,
    pub envelope: EnvelopeSource,
    pub expression: Expression,
    /// Semitones at full bend (unless the channel set its own by RPN 0).
    pub bend_range: f32,
    /// MPE: channel 1 is the lower zone's master channel, 2..16 its member channels, one note
    /// each, with their own bend, pressure and timbre.
    pub mpe: bool,
    /// The member channels' bend range (unless a member channel set one by RPN 0).
    pub mpe_bend_range: f32,
    /// Vibrato depth at full mod wheel (and full CLAP vibrato expression).
    pub mod_vibrato_cents: f32,
    pub aftertouch: Aftertouch,
    /// 0..1: full pressure adds PRESSURE_LOUDNESS_DB, doubles the brightness or adds
    /// `mod_vibrato_cents` of vibrato.
    pub aftertouch_amount: f32,
    pub mode: VoiceMode,
    pub glide_seconds: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            adsr: AdsrTimes {
                attack_seconds: 0.005,
                decay_seconds: 0.2,
                sustain_db: 0.0,
                release_seconds: 0.08,
            },
            envelope: EnvelopeSource::default(),
            expression: Expression::default(),
            bend_range: 2.0,
            mpe: false,
            mpe_bend_range: 48.0,
            mod_vibrato_cents: 50.0,
            aftertouch: Aftertouch::default(),
            aftertouch_amount: 1.0,
            mode: VoiceMode::default(),
            glide_seconds: 0.05,
        }
    }
}

/// A note's own modulation, as MPE, polyphonic aftertouch and CLAP note expressions give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteModulation {
    pub tuning_semitones: f32,
    /// Linear gain (CLAP volume expression).
    pub gain: f32,
    pub pressure: f32,
    /// 0..1, centre 0.5.
    pub brightness: f32,
    /// 0..1 of `mod_vibrato_cents`.
    pub vibrato: f32,
    /// 0..1, as CC11 for this note alone.
    pub expression: f32,
}

impl Default for NoteModulation {
    fn default() -> Self {
        Self {
            tuning_semitones: 0.0,
            gain: 1.0,
            pressure: 0.0,
            brightness: 0.5,
            vibrato: 0.0,
            expression: 1.0,
        }
    }
}

/// What a note asks for at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditioning {
    /// MIDI pitch played (fractional).
    pub pitch: f32,
    /// Loudness relative to the note's velocity loudness, dB; as low as `GONE_DB` (below the
    /// decoder's floor the rest is faded after it).
    pub loudness_db: f32,
    /// Harmonic centroid factor.
    pub brightness: f32,
    /// Factor on the noise magnitudes.
    pub noise_gain: f32,
}

/// A glide between pitches, linear in semitones over a fixed time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Glide {
    from: f32,
    to: f32,
    since: f64,
    seconds: f32,
}

impl Glide {
    fn at(&self, now: f64) -> f32 {
        let share = ((now - self.since) as f32 / self.seconds.max(1e-6)).clamp(0.0, 1.0);
        self.from + (self.to - self.from) * share
    }
}

/// One sounding note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    pub channel: u8,
    pub key: u8,
    pub velocity: f32,
    /// When it began (seconds): its curves' time origin.
    pub onset: f64,
    pub envelope: Adsr,
    pub curves: NoteCurves,
    glide: Glide,
    /// Let go while the pedal was down: released when it comes up.
    pub sustained: bool,
    pub modulation: NoteModulation,
}

/// Loudness from a 0..1 controller, by General MIDI's curve.
fn controller_db(value: f32) -> f32 {
    if value <= 0.0 {
        SILENCE_DB
    } else {
        (40.0 * value.log10()).max(SILENCE_DB)
    }
}

fn gain_db(gain: f32) -> f32 {
    if gain.is_finite() && gain > 0.0 {
        (20.0 * gain.log10()).max(SILENCE_DB)
    } else {
        SILENCE_DB
    }
}

impl Note {
    pub fn new(
        channel: u8,
        key: u8,
        velocity: f32,
        now: f64,
        settings: &Settings,
        length: f32,
    ) -> Self {
        let key_pitch = key as f32;
        Self {
            channel,
            key,
            velocity,
            onset: now,
            envelope: Adsr::start(settings.adsr, now),
            curves: NoteCurves::new(settings.expression, length),
            glide: Glide {
                from: key_pitch,
                to: key_pitch,
                since: now,
                seconds: 0.0,
            },
            sustained: false,
            modulation: NoteModulation::default(),
        }
    }

    /// A new note in a voice that is sounding (a repeated key, a stolen voice, a mono
    /// retrigger): it attacks again from the level it has, with new curves; its pitch jumps
    /// unless it glides.
    pub fn restart(
        &mut self,
        key: u8,
        velocity: f32,
        now: f64,
        settings: &Settings,
        glide: bool,
        length: f32,
    ) {
        let from = self.base_pitch(now);
        self.envelope.retrigger(settings.adsr, now);
        self.curves = NoteCurves::new(settings.expression, length);
        self.onset = now;
        self.slide(
            key,
            velocity,
            now,
            if glide { settings.glide_seconds } else { 0.0 },
            from,
        );
        self.sustained = false;
        self.modulation = NoteModulation::default();
    }

    /// A slur to `key`: the pitch glides over `seconds`; no new attack, the curves go on.
    pub fn slur(&mut self, key: u8, velocity: f32, now: f64, seconds: f32) {
        let from = self.base_pitch(now);
        self.slide(key, velocity, now, seconds, from);
    }

    fn slide(&mut self, key: u8, velocity: f32, now: f64, seconds: f32, from: f32) {
        self.key = key;
        self.velocity = velocity;
        self.glide = Glide {
            from,
            to: key as f32,
            since: now,
            seconds,
        };
    }

    /// The key's pitch on its glide, before bends and vibrato.
    fn base_pitch(&self, now: f64) -> f32 {
        self.glide.at(now)
    }

    /// What the note asks for at `now`, given its channels' controllers.
    pub fn conditioning(
        &self,
        now: f64,
        channels: &Channels,
        s: &Settings,
        mpe_range: Option<f32>,
    ) -> Conditioning {
        let own = channels.get(self.channel);
        // In MPE the master channel's controllers apply to every note of the zone as well.
        let master = (s.mpe && self.channel != 0).then(|| channels.get(0));
        let m = &self.modulation;
        let t = (now - self.onset).max(0.0) as f32;

        let bend = match master {
            Some(master) => {
                own.bend * own.bend_range.or(mpe_range).unwrap_or(s.mpe_bend_range)
                    + master.bend * master.bend_range.unwrap_or(s.bend_range)
            }
            None => own.bend * own.bend_range.unwrap_or(s.bend_range),
        };
        let both = |f: fn(&Channel) -> f32| master.map_or(f(own), |c| f(c).max(f(own)));
        let pressure = own.pressure.max(m.pressure);
        let amount = s.aftertouch_amount.clamp(0.0, 1.0) * pressure;
        let to = |dest| if s.aftertouch == dest { amount } else { 0.0 };

        let depth = self.curves.vibrato_cents(t)
            + s.mod_vibrato_cents * (both(|c| c.mod_wheel) + m.vibrato + to(Aftertouch::Vibrato));
        let vibrato = depth * (std::f32::consts::TAU * self.curves.vibrato_cycles(t)).sin();
        let pitch = self.base_pitch(now) + bend + m.tuning_semitones + vibrato / 100.0;

        let mut loudness = self.envelope.loudness_db(now)
            + self.curves.loudness_db(t)
            + controller_db(own.volume)
            + controller_db(own.expression)
            + controller_db(own.breath)
            + controller_db(m.expression)
            + gain_db(m.gain)
            + PRESSURE_LOUDNESS_DB * to(Aftertouch::Loudness);
        if let Some(master) = master {
            loudness += controller_db(master.volume) + controller_db(master.expression);
        }
        // The power-on volume (100 of 127) is the reference: a fresh channel asks for the
        // note's own loudness.
        loudness -= controller_db(Channel::default().volume);

        let brightness = self.curves.expression.brightness
            * 2f32.powf(
                2.0 * (own.timbre - 0.5) + 2.0 * (m.brightness - 0.5) + to(Aftertouch::Brightness),
            );
        Conditioning {
            pitch,
            loudness_db: loudness.max(GONE_DB),
            brightness,
            noise_gain: self.curves.noise_gain(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::channels::cc;

    fn held(settings: &Settings) -> Note {
        Note::new(0, 60, 1.0, 0.0, settings, 1.0)
    }

    #[test]
    fn bend_and_its_range_move_the_pitch() {
        let s = Settings {
            bend_range: 12.0,
            ..Settings::default()
        };
        let mut channels = Channels::default();
        let note = held(&s);
        channels.get_mut(0).pitch_bend(0.5);
        let c = note.conditioning(1.0, &channels, &s, None);
        assert!((c.pitch - 66.0).abs() < 1e-4, "{}", c.pitch);
        // RPN 0 on the channel wins over the knob.
        let ch = channels.get_mut(0);
        ch.controller(cc::RPN, 0.0);
        ch.controller(cc::RPN_FINE, 0.0);
        ch.controller(cc::DATA_ENTRY, 2.0 / 127.0);
        let c = note.conditioning(1.0, &channels, &s, None);
        assert!((c.pitch - 61.0).abs() < 1e-4, "{}", c.pitch);
    }

    #[test]
    fn mpe_adds_the_members_bend_to_the_masters() {
        let s = Settings {
            mpe: true,
            ..Settings::default()
        };
        let mut channels = Channels::default();
        let note = Note::new(3, 60, 1.0, 0.0, &s, 1.0);
        channels.get_mut(3).pitch_bend(0.25);
        channels.get_mut(0).pitch_bend(-0.5);
        let c = note.conditioning(1.0, &channels, &s, None);
        assert!((c.pitch - (60.0 + 12.0 - 1.0)).abs() < 1e-4, "{}", c.pitch);
        let c = note.conditioning(1.0, &channels, &s, Some(24.0));
        assert!((c.pitch - (60.0 + 6.0 - 1.0)).abs() < 1e-4, "{}", c.pitch);
    }

    #[test]
    fn controllers_move_the_loudness_by_general_midis_curve() {
        let s = Settings::default();
        let mut channels = Channels::default();
        let note = held(&s);
        let at = |channels: &Channels| note.conditioning(1.0, channels, &s, None).loudness_db;
        assert!(
            at(&channels).abs() < 1e-4,
            "a fresh channel is the reference"
        );
        channels.get_mut(0).controller(cc::EXPRESSION, 0.5);
        assert!((at(&channels) - 40.0 * 0.5f32.log10()).abs() < 1e-3);
        channels.get_mut(0).controller(cc::BREATH, 0.0);
        assert!((at(&channels) - (40.0 * 0.5f32.log10() + SILENCE_DB)).abs() < 1e-3);
    }

    #[test]
    fn a_slur_glides_with_no_new_attack() {
        let s = Settings {
            glide_seconds: 0.1,
            ..Settings::default()
        };
        let channels = Channels::default();
        let mut note = held(&s);
        let before = note.envelope;
        note.slur(72, 1.0, 1.0, s.glide_seconds);
        assert_eq!(note.envelope, before);
        let pitch = |t| note.conditioning(t, &channels, &s, None).pitch;
        assert!((pitch(1.0) - 60.0).abs() < 1e-4);
        assert!((pitch(1.05) - 66.0).abs() < 1e-3);
        assert!((pitch(1.2) - 72.0).abs() < 1e-4);
    }

    #[test]
    fn aftertouch_goes_to_the_chosen_destination_only() {
        let mut channels = Channels::default();
        channels.get_mut(0).channel_pressure(1.0);
        for dest in [
            Aftertouch::Loudness,
            Aftertouch::Brightness,
            Aftertouch::Vibrato,
        ] {
            let s = Settings {
                aftertouch: dest,
                ..Settings::default()
            };
            let note = held(&s);
            // A quarter cycle into the vibrato, where it is at its depth.
            let t = 0.25 / s.expression.vibrato_rate_hz as f64;
            let c = note.conditioning(t, &channels, &s, None);
            let louder = c.loudness_db > 1.0;
            let brighter = c.brightness > 1.5;
            let vibrato = (c.pitch - 60.0).abs() > 0.4;
            assert_eq!(
                (louder, brighter, vibrato),
                (
                    dest == Aftertouch::Loudness,
                    dest == Aftertouch::Brightness,
                    dest == Aftertouch::Vibrato
                ),
                "{dest:?}: {c:?}"
            );
        }
    }
}
