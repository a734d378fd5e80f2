//! The knobs the engine takes, in user units, and a change of one of them. Every knob can move
//! at any sample (`Event::Param`); `Engine::set_params` is the same thing at a block's start, for
//! values set outside the audio stream (an editor, a host's main thread, a loaded state).
//!
//! One table (`knobs!` below) names every knob once: its change, its field and its type; the
//! change enum, the list of all changes and applying a change all come from it, so a knob cannot
//! be forgotten in one of them.

use crate::analysis::pitch::PitchConfig;
use crate::control::adsr::AdsrTimes;
use crate::control::expression::Expression;
use crate::control::performance::{Aftertouch, EnvelopeSource, Settings, VoiceMode};
use crate::control::retune::RetuneSettings;
use crate::control::scales::Scale;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub input_gain_db: f32,
    pub output_gain_db: f32,
    pub attack_seconds: f32,
    pub decay_seconds: f32,
    /// The envelope's sustain level, dB below the note's loudness.
    pub sustain_db: f32,
    pub release_seconds: f32,
    /// Whether attack and release are the model's own or the knobs'.
    pub envelope: EnvelopeSource,
    /// Reverb wet/dry, 0..1.
    pub reverb_mix: f32,
    /// The reverb's RT60, seconds (`dsp::reverb`).
    pub reverb_size_seconds: f32,
    /// Stereo width 0..1 (`dsp::width`).
    pub width: f32,
    /// Effect: where the tracker looks for pitch. Changes while playing.
    pub pitch: PitchConfig,
    /// The host's bypass: crossfade to the dry input (effect) or to silence (instrument), with
    /// the latency kept.
    pub bypass: bool,
    pub bend_range: f32,
    pub mpe: bool,
    pub mpe_bend_range: f32,
    pub mod_vibrato_cents: f32,
    pub aftertouch: Aftertouch,
    pub aftertouch_amount: f32,
    pub voice_mode: VoiceMode,
    pub glide_seconds: f32,
    /// MIDI-DDSP's note expression controls, taken by each note at its note-on.
    pub expression: Expression,
    /// After the decoder: the harmonic and noise parts' levels and the spectrum's tilt.
    pub harmonic_gain_db: f32,
    pub noise_gain_db: f32,
    pub tilt_db_per_octave: f32,
    /// What the decoder is told, not what is played: the timbre of a higher or lower, louder
    /// or softer note, at the played pitch and level.
    pub decoder_pitch_semitones: f32,
    pub decoder_loudness_db: f32,
    /// Effect: the input under this loudness is silence (dB; -80 lets everything through).
    pub gate_db: f32,
    /// Effect: the share of the output that is the plugin's (the rest is the input, delayed by
    /// the latency so that the two line up), 0..1.
    pub dry_wet: f32,
    /// Effect: what it tracks becomes what it plays (`control::retune`).
    pub pitch_shift_semitones: f32,
    pub fine_tune_cents: f32,
    pub pitch_glide_seconds: f32,
    pub correction: Correction,
    /// Effect: how long (ms) it waits for a note's pitch to settle (`analysis::lookahead`),
    /// which adds to its latency. Taken when the engine is built: a change restarts the plugin.
    pub look_ahead_ms: f32,
}

/// Pitch correction to a scale, as the knobs set it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correction {
    pub scale: ScaleChoice,
    /// The key, 0 = C .. 11 = B.
    pub key: u8,
    /// The Custom scale's pitch classes (bit k: pitch class k, C = 0).
    pub custom: u16,
    pub strength: f32,
    pub retune_seconds: f32,
}

/// Which scale pitch correction pulls to, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleChoice {
    Off,
    Chromatic,
    Major,
    Minor,
    Pentatonic,
    Blues,
    Custom,
}

impl Default for Correction {
    fn default() -> Self {
        Self {
            scale: ScaleChoice::Off,
            key: 0,
            custom: Scale::Major.classes(0),
            strength: 1.0,
            retune_seconds: 0.0,
        }
    }
}

impl Correction {
    /// The pitch classes to pull to, if correcting.
    pub fn classes(&self) -> Option<u16> {
        let scale = match self.scale {
            ScaleChoice::Off => return None,
            ScaleChoice::Chromatic => Scale::Chromatic,
            ScaleChoice::Major => Scale::Major,
            ScaleChoice::Minor => Scale::Minor,
            ScaleChoice::Pentatonic => Scale::Pentatonic,
            ScaleChoice::Blues => Scale::Blues,
            ScaleChoice::Custom => Scale::Custom(self.custom),
        };
        Some(scale.classes(self.key))
    }
}

impl Default for Params {
    fn default() -> Self {
        let s = Settings::default();
        Self {
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            attack_seconds: s.adsr.attack_seconds,
            decay_seconds: s.adsr.decay_seconds,
            sustain_db: 0.0,
            release_seconds: s.adsr.release_seconds,
            envelope: s.envelope,
            reverb_mix: 0.0,
            reverb_size_seconds: 0.6,
            width: 0.0,
            pitch: PitchConfig::default(),
            bypass: false,
            bend_range: s.bend_range,
            mpe: s.mpe,
            mpe_bend_range: s.mpe_bend_range,
            mod_vibrato_cents: s.mod_vibrato_cents,
            aftertouch: s.aftertouch,
            aftertouch_amount: s.aftertouch_amount,
            voice_mode: s.mode,
            glide_seconds: s.glide_seconds,
            expression: s.expression,
            harmonic_gain_db: 0.0,
            noise_gain_db: 0.0,
            tilt_db_per_octave: 0.0,
            decoder_pitch_semitones: 0.0,
            decoder_loudness_db: 0.0,
            gate_db: -80.0,
            dry_wet: 1.0,
            pitch_shift_semitones: 0.0,
            fine_tune_cents: 0.0,
            pitch_glide_seconds: 0.0,
            correction: Correction::default(),
            look_ahead_ms: 0.0,
        }
    }
}

macro_rules! knobs {
    ($($change:ident($ty:ty) => $($field:ident).+;)*) => {
        /// One knob's new value.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum ParamChange {
            $($change($ty),)*
        }

        /// How many knobs there are.
        pub const KNOBS: usize = [$(stringify!($change)),*].len();

        impl ParamChange {
            /// Every kind of change, with its value in `params`.
            pub fn all(params: &Params) -> [ParamChange; KNOBS] {
                [$(ParamChange::$change(params.$($field).+),)*]
            }
        }

        impl Params {
            pub fn apply(&mut self, change: ParamChange) {
                match change {
                    $(ParamChange::$change(v) => self.$($field).+ = v,)*
                }
            }
        }
    };
}

knobs! {
    InputGainDb(f32) => input_gain_db;
    OutputGainDb(f32) => output_gain_db;
    AttackSeconds(f32) => attack_seconds;
    DecaySeconds(f32) => decay_seconds;
    SustainDb(f32) => sustain_db;
    ReleaseSeconds(f32) => release_seconds;
    Envelope(EnvelopeSource) => envelope;
    ReverbMix(f32) => reverb_mix;
    ReverbSize(f32) => reverb_size_seconds;
    Width(f32) => width;
    LowestPitchHz(f32) => pitch.min_hz;
    HighestPitchHz(f32) => pitch.max_hz;
    Bypass(bool) => bypass;
    BendRange(f32) => bend_range;
    Mpe(bool) => mpe;
    MpeBendRange(f32) => mpe_bend_range;
    ModVibratoCents(f32) => mod_vibrato_cents;
    AftertouchTo(Aftertouch) => aftertouch;
    AftertouchAmount(f32) => aftertouch_amount;
    Voices(VoiceMode) => voice_mode;
    GlideSeconds(f32) => glide_seconds;
    VolumeDb(f32) => expression.volume_db;
    FluctuationDb(f32) => expression.fluctuation_db;
    PeakPosition(f32) => expression.peak_position;
    VibratoCents(f32) => expression.vibrato_cents;
    VibratoRateHz(f32) => expression.vibrato_rate_hz;
    VibratoDelaySeconds(f32) => expression.vibrato_delay_seconds;
    Brightness(f32) => expression.brightness;
    AttackNoiseDb(f32) => expression.attack_noise_db;
    HarmonicGainDb(f32) => harmonic_gain_db;
    NoiseGainDb(f32) => noise_gain_db;
    TiltDbPerOctave(f32) => tilt_db_per_octave;
    DecoderPitchSemitones(f32) => decoder_pitch_semitones;
    DecoderLoudnessDb(f32) => decoder_loudness_db;
    GateDb(f32) => gate_db;
    DryWet(f32) => dry_wet;
    PitchShiftSemitones(f32) => pitch_shift_semitones;
    FineTuneCents(f32) => fine_tune_cents;
    PitchGlideSeconds(f32) => pitch_glide_seconds;
    CorrectionScale(ScaleChoice) => correction.scale;
    CorrectionKey(u8) => correction.key;
    CustomScale(u16) => correction.custom;
    CorrectionStrength(f32) => correction.strength;
    RetuneSeconds(f32) => correction.retune_seconds;
    LookAheadMs(f32) => look_ahead_ms;
}

impl ParamChange {
    /// The same knob, at the value it has in `params`.
    pub fn with_value_from(self, params: &Params) -> ParamChange {
        let index = ParamChange::all(params)
            .iter()
            .position(|c| std::mem::discriminant(c) == std::mem::discriminant(&self))
            .expect("every kind is listed");
        ParamChange::all(params)[index]
    }

    /// Where the knob acts: on the output (gain, reverb, width, bypass, applied where the audio
    /// leaves) or on what is played (applied where the frames are planned, a latency earlier).
    pub fn acts_on_output(&self) -> bool {
        matches!(
            self,
            ParamChange::OutputGainDb(_)
                | ParamChange::ReverbMix(_)
                | ParamChange::ReverbSize(_)
                | ParamChange::Width(_)
                | ParamChange::Bypass(_)
                | ParamChange::DryWet(_)
        )
    }
}

impl Params {
    /// The changes that take `self` to `other`.
    pub fn changes_to(&self, other: &Params) -> impl Iterator<Item = ParamChange> {
        let (from, to) = (ParamChange::all(self), ParamChange::all(other));
        from.into_iter()
            .zip(to)
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b)
    }

    /// What the effect's pitch path takes from the knobs.
    pub fn retune(&self) -> RetuneSettings {
        RetuneSettings {
            shift_semitones: self.pitch_shift_semitones + self.fine_tune_cents / 100.0,
            glide_seconds: self.pitch_glide_seconds,
            scale: self.correction.classes(),
            strength: self.correction.strength,
            retune_seconds: self.correction.retune_seconds,
        }
    }

    /// What a note's performance takes from the knobs.
    pub fn performance(&self) -> Settings {
        Settings {
            adsr: AdsrTimes {
                attack_seconds: self.attack_seconds,
                decay_seconds: self.decay_seconds,
                sustain_db: self.sustain_db,
                release_seconds: self.release_seconds,
            },
            envelope: self.envelope,
            expression: self.expression,
            bend_range: self.bend_range,
            mpe: self.mpe,
            mpe_bend_range: self.mpe_bend_range,
            mod_vibrato_cents: self.mod_vibrato_cents,
            aftertouch: self.aftertouch,
            aftertouch_amount: self.aftertouch_amount,
            mode: self.voice_mode,
            glide_seconds: self.glide_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_take_one_set_of_knobs_to_another_and_keep_their_kind() {
        let a = Params::default();
        let mut b = a;
        b.output_gain_db = -6.0;
        b.pitch.min_hz = 45.0;
        b.bypass = true;
        b.expression.vibrato_cents = 30.0;
        b.voice_mode = VoiceMode::Legato;
        let changes: Vec<_> = a.changes_to(&b).collect();
        assert_eq!(changes.len(), 5);
        let mut c = a;
        changes.iter().for_each(|&ch| c.apply(ch));
        assert_eq!(c, b);
        assert_eq!(
            ParamChange::OutputGainDb(3.0).with_value_from(&a),
            ParamChange::OutputGainDb(0.0)
        );
        assert!(ParamChange::Bypass(true).acts_on_output());
        assert!(ParamChange::Width(1.0).acts_on_output());
        assert!(!ParamChange::LowestPitchHz(40.0).acts_on_output());
        assert!(!ParamChange::Brightness(2.0).acts_on_output());
    }

    #[test]
    fn default_knobs_are_the_default_performance() {
        assert_eq!(Params::default().performance(), Settings::default());
    }
}
