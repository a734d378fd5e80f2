//! Host-automatable parameters of both plugins, with the ranges the editor will share, and the
//! one table per parameter group that maps each knob onto the engine: `engine_params` reads
//! every knob through them, and an automation point inside a block (which the host reports by
//! the knob's id) becomes an engine change through the same entry, so the two cannot disagree.
//!
//! Every knob sits in a group, which the editor shows as a panel and the CLI lists: the
//! instrument's "Envelope", "MIDI" (bend, MPE, controllers, voices and glide) and "Expression"
//! (MIDI-DDSP's six note controls, taken by each note at its note-on); the effect's "Effect"
//! (the input, the pitch range it is tracked in, the gate, dry/wet) and "Pitch" (glide,
//! correction to a scale, shift); both plugins' "Timbre" (the controls after
//! the decoder, what the decoder is told, stereo width) and "Output". Only the Model stands
//! outside, in the editor's header.

use super::model_choice::ModelChoice;
use super::shell::EngineParams;
use crate::analysis::lookahead::MAX_MS;
use crate::control::performance::{Aftertouch, EnvelopeSource, VoiceMode};
use crate::editor::EditorState;
use crate::engine::params::ScaleChoice;
use crate::engine::{self, ParamChange};
use nice_plug::prelude::*;
use nice_plug::wrapper::hash_param_id;
use std::sync::Arc;

fn gain_db(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(" dB")
        .with_step_size(0.1)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// A range that gives the low end more of the knob's travel, shown rounded to whole units.
fn skewed(
    name: &str,
    default: f32,
    (min, max): (f32, f32),
    skew: f32,
    unit: &'static str,
) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        },
    )
    .with_unit(unit)
    .with_value_to_string(formatters::v2s_f32_rounded(0))
}

/// A control frame's length, in ms: the look-ahead waits in whole frames.
const FRAME_MS: f32 = 1000.0 / crate::limits::FRAME_RATE_HZ as f32;

fn time_ms(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, (min, max), -2.0, " ms")
}

fn mix(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// The reverb's RT60, 0.2 s to the built-in room's largest, in seconds.
fn reverb_size(default: f32) -> FloatParam {
    FloatParam::new(
        "Reverb Size",
        default,
        FloatRange::Skewed {
            min: 0.2,
            max: crate::dsp::reverb::ROOM_MAX_RT60_SECONDS,
            factor: FloatRange::skew_factor(-1.0),
        },
    )
    .with_unit(" s")
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

fn pitch_hz(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, (min, max), -1.0, " Hz")
}

fn bypass() -> BoolParam {
    BoolParam::new("Bypass", false).make_bypass()
}

/// A float knob's value: now (`None`) or at a normalised value an automation point carries.
fn plain(param: &FloatParam, normalized: Option<f32>) -> f32 {
    normalized.map_or(param.value(), |n| param.preview_plain(n))
}

fn switch(param: &BoolParam, normalized: Option<f32>) -> bool {
    normalized.map_or(param.value(), |n| param.preview_plain(n))
}

fn whole(param: &IntParam, normalized: Option<f32>) -> f32 {
    normalized.map_or(param.value(), |n| param.preview_plain(n)) as f32
}

fn choice<T: Enum + PartialEq + 'static>(param: &EnumParam<T>, normalized: Option<f32>) -> T {
    normalized.map_or_else(|| param.value(), |n| param.preview_plain(n))
}

fn linear(
    name: &str,
    default: f32,
    (min, max): (f32, f32),
    unit: &'static str,
    digits: usize,
) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_unit(unit)
        .with_value_to_string(formatters::v2s_f32_rounded(digits))
}

fn semitones(name: &str, default: i32, max: i32) -> IntParam {
    IntParam::new(name, default, IntRange::Linear { min: 1, max }).with_unit(" st")
}

/// A factor from 1/2 to 2, with 1 at the knob's centre, shown as a factor ("1.25x").
fn factor(name: &str, default: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: 0.5,
            max: 2.0,
            // (0.5 / 1.5)^f = 0.5 puts 1 at the middle.
            factor: 0.5f32.ln() / (1.0f32 / 3.0).ln(),
        },
    )
    .with_unit("x")
    .with_value_to_string(formatters::v2s_f32_rounded(2))
    .with_string_to_value(Arc::new(|s| {
        s.trim().trim_matches(['x', '×']).trim().parse().ok()
    }))
}

/// One knob: its id, and its value in the engine's terms (now, or at a normalised value).
type Knob<P> = (&'static str, fn(&P, Option<f32>) -> ParamChange);

/// The engine's knobs from a table: each at its value now.
fn apply_all<P>(out: &mut engine::Params, params: &P, knobs: &[Knob<P>]) {
    for (_, value) in knobs {
        out.apply(value(params, None));
    }
}

/// The change an automation point for the knob with this hash makes.
fn change<P>(params: &P, knobs: &[Knob<P>], hash: u32, normalized: f32) -> Option<ParamChange> {
    knobs
        .iter()
        .find(|(id, _)| hash_param_id(id) == hash)
        .map(|(_, value)| value(params, Some(normalized)))
}

/// The voice modes, as the host lists them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voices {
    Poly,
    Mono,
    Legato,
}

/// Where the attack and release come from, as the host lists it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeFrom {
    /// The model's own (measured on its recordings), where it has them.
    Model,
    /// The Attack and Release knobs.
    Knobs,
}

/// Where aftertouch goes, as the host lists it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PressureTo {
    Loudness,
    Brightness,
    Vibrato,
}

/// The scales pitch correction can pull to, as the host lists them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleFrom {
    Off,
    Chromatic,
    Major,
    Minor,
    Pentatonic,
    Blues,
    Custom,
}

/// The twelve keys, as the host lists them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    C,
    #[name = "C#"]
    CSharp,
    D,
    #[name = "Eb"]
    EFlat,
    E,
    F,
    #[name = "F#"]
    FSharp,
    G,
    #[name = "Ab"]
    AFlat,
    A,
    #[name = "Bb"]
    BFlat,
    B,
}

const NOTE_NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// A set of pitch classes (bit k: pitch class k, C = 0), shown and typed as note names
/// ("C D E G A"; sharps or flats).
fn pitch_classes(name: &str, default: u16) -> IntParam {
    IntParam::new(
        name,
        default as i32,
        IntRange::Linear {
            min: 0,
            max: 0x0FFF,
        },
    )
    .with_value_to_string(Arc::new(|mask| {
        let names: Vec<&str> = (0..12)
            .filter(|k| mask & (1 << k) != 0)
            .map(|k| NOTE_NAMES[k])
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(" ")
        }
    }))
    .with_string_to_value(Arc::new(|text| {
        let mut mask = 0i32;
        for word in text.split([' ', ',']).filter(|w| !w.is_empty()) {
            let class = match word.to_ascii_uppercase().as_str() {
                "C" | "B#" => 0,
                "C#" | "DB" => 1,
                "D" => 2,
                "D#" | "EB" => 3,
                "E" | "FB" => 4,
                "F" | "E#" => 5,
                "F#" | "GB" => 6,
                "G" => 7,
                "G#" | "AB" => 8,
                "A" => 9,
                "A#" | "BB" => 10,
                "B" | "CB" => 11,
                "NONE" => continue,
                _ => return None,
            };
            mask |= 1 << class;
        }
        Some(mask)
    }))
}

#[derive(Params)]
pub struct InstrumentParams {
    #[nested(group = "Envelope")]
    pub envelope: EnvelopeParams,
    #[nested(group = "MIDI")]
    pub playing: PlayingParams,
    #[nested(group = "Expression")]
    pub expression: ExpressionParams,
    #[nested(group = "Timbre")]
    pub timbre: TimbreParams,
    #[nested(group = "Output")]
    pub output: OutputParams,
    #[nested]
    pub model: ModelChoice,
    #[nested]
    pub editor: Arc<EditorState>,
}

#[derive(Params)]
pub struct EnvelopeParams {
    #[id = "attack"]
    pub attack: FloatParam,
    #[id = "decay"]
    pub decay: FloatParam,
    #[id = "sustain"]
    pub sustain: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    #[id = "envelope"]
    pub envelope: EnumParam<EnvelopeFrom>,
}

/// Both plugins' last stage.
#[derive(Params)]
pub struct OutputParams {
    #[id = "out_gain"]
    pub output_gain: FloatParam,
    #[id = "reverb_mix"]
    pub reverb_mix: FloatParam,
    #[id = "reverb_size"]
    pub reverb_size: FloatParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
}

#[derive(Params)]
pub struct PlayingParams {
    #[id = "bend_range"]
    pub bend_range: IntParam,
    #[id = "mpe"]
    pub mpe: BoolParam,
    #[id = "mpe_bend"]
    pub mpe_bend_range: IntParam,
    #[id = "mod_vibrato"]
    pub mod_vibrato: FloatParam,
    #[id = "at_dest"]
    pub aftertouch_to: EnumParam<PressureTo>,
    #[id = "at_amount"]
    pub aftertouch_amount: FloatParam,
    #[id = "voices"]
    pub voices: EnumParam<Voices>,
    #[id = "glide"]
    pub glide: FloatParam,
}

#[derive(Params)]
pub struct ExpressionParams {
    #[id = "volume"]
    pub volume: FloatParam,
    #[id = "vol_fluct"]
    pub fluctuation: FloatParam,
    #[id = "peak_pos"]
    pub peak_position: FloatParam,
    #[id = "vib_depth"]
    pub vibrato_depth: FloatParam,
    #[id = "vib_rate"]
    pub vibrato_rate: FloatParam,
    #[id = "vib_delay"]
    pub vibrato_delay: FloatParam,
    #[id = "brightness"]
    pub brightness: FloatParam,
    #[id = "attack_noise"]
    pub attack_noise: FloatParam,
}

#[derive(Params)]
pub struct TimbreParams {
    #[id = "harm_gain"]
    pub harmonic_gain: FloatParam,
    #[id = "noise_gain"]
    pub noise_gain: FloatParam,
    #[id = "tilt"]
    pub tilt: FloatParam,
    #[id = "dec_pitch"]
    pub decoder_pitch: FloatParam,
    #[id = "dec_loud"]
    pub decoder_loudness: FloatParam,
    #[id = "width"]
    pub width: FloatParam,
}

const ENVELOPE_KNOBS: &[Knob<EnvelopeParams>] = &[
    ("attack", |p, n| {
        ParamChange::AttackSeconds(plain(&p.attack, n) / 1000.0)
    }),
    ("decay", |p, n| {
        ParamChange::DecaySeconds(plain(&p.decay, n) / 1000.0)
    }),
    ("sustain", |p, n| {
        ParamChange::SustainDb(plain(&p.sustain, n))
    }),
    ("release", |p, n| {
        ParamChange::ReleaseSeconds(plain(&p.release, n) / 1000.0)
    }),
    ("envelope", |p, n| {
        ParamChange::Envelope(match choice(&p.envelope, n) {
            EnvelopeFrom::Model => EnvelopeSource::Model,
            EnvelopeFrom::Knobs => EnvelopeSource::Knobs,
        })
    }),
];

const OUTPUT_KNOBS: &[Knob<OutputParams>] = &[
    ("out_gain", |p, n| {
        ParamChange::OutputGainDb(plain(&p.output_gain, n))
    }),
    ("reverb_mix", |p, n| {
        ParamChange::ReverbMix(plain(&p.reverb_mix, n))
    }),
    ("reverb_size", |p, n| {
        ParamChange::ReverbSize(plain(&p.reverb_size, n))
    }),
    ("bypass", |p, n| ParamChange::Bypass(switch(&p.bypass, n))),
];

const PLAYING_KNOBS: &[Knob<PlayingParams>] = &[
    ("bend_range", |p, n| {
        ParamChange::BendRange(whole(&p.bend_range, n))
    }),
    ("mpe", |p, n| ParamChange::Mpe(switch(&p.mpe, n))),
    ("mpe_bend", |p, n| {
        ParamChange::MpeBendRange(whole(&p.mpe_bend_range, n))
    }),
    ("mod_vibrato", |p, n| {
        ParamChange::ModVibratoCents(plain(&p.mod_vibrato, n))
    }),
    ("at_dest", |p, n| {
        ParamChange::AftertouchTo(match choice(&p.aftertouch_to, n) {
            PressureTo::Loudness => Aftertouch::Loudness,
            PressureTo::Brightness => Aftertouch::Brightness,
            PressureTo::Vibrato => Aftertouch::Vibrato,
        })
    }),
    ("at_amount", |p, n| {
        ParamChange::AftertouchAmount(plain(&p.aftertouch_amount, n))
    }),
    ("voices", |p, n| {
        ParamChange::Voices(match choice(&p.voices, n) {
            Voices::Poly => VoiceMode::Poly,
            Voices::Mono => VoiceMode::Mono,
            Voices::Legato => VoiceMode::Legato,
        })
    }),
    ("glide", |p, n| {
        ParamChange::GlideSeconds(plain(&p.glide, n) / 1000.0)
    }),
];

const EXPRESSION_KNOBS: &[Knob<ExpressionParams>] = &[
    ("volume", |p, n| ParamChange::VolumeDb(plain(&p.volume, n))),
    ("vol_fluct", |p, n| {
        ParamChange::FluctuationDb(plain(&p.fluctuation, n))
    }),
    ("peak_pos", |p, n| {
        ParamChange::PeakPosition(plain(&p.peak_position, n))
    }),
    ("vib_depth", |p, n| {
        ParamChange::VibratoCents(plain(&p.vibrato_depth, n))
    }),
    ("vib_rate", |p, n| {
        ParamChange::VibratoRateHz(plain(&p.vibrato_rate, n))
    }),
    ("vib_delay", |p, n| {
        ParamChange::VibratoDelaySeconds(plain(&p.vibrato_delay, n) / 1000.0)
    }),
    ("brightness", |p, n| {
        ParamChange::Brightness(plain(&p.brightness, n))
    }),
    ("attack_noise", |p, n| {
        ParamChange::AttackNoiseDb(plain(&p.attack_noise, n))
    }),
];

const TIMBRE_KNOBS: &[Knob<TimbreParams>] = &[
    ("harm_gain", |p, n| {
        ParamChange::HarmonicGainDb(plain(&p.harmonic_gain, n))
    }),
    ("noise_gain", |p, n| {
        ParamChange::NoiseGainDb(plain(&p.noise_gain, n))
    }),
    ("tilt", |p, n| {
        ParamChange::TiltDbPerOctave(plain(&p.tilt, n))
    }),
    ("dec_pitch", |p, n| {
        ParamChange::DecoderPitchSemitones(plain(&p.decoder_pitch, n))
    }),
    ("dec_loud", |p, n| {
        ParamChange::DecoderLoudnessDb(plain(&p.decoder_loudness, n))
    }),
    ("width", |p, n| ParamChange::Width(plain(&p.width, n))),
];

impl Default for PlayingParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            bend_range: semitones("Bend Range", d.bend_range as i32, 48),
            mpe: BoolParam::new("MPE", d.mpe),
            mpe_bend_range: semitones("MPE Bend Range", d.mpe_bend_range as i32, 96),
            mod_vibrato: linear(
                "Mod Wheel Vibrato",
                d.mod_vibrato_cents,
                (0.0, 100.0),
                " ct",
                0,
            ),
            aftertouch_to: EnumParam::new(
                "Aftertouch To",
                match d.aftertouch {
                    Aftertouch::Loudness => PressureTo::Loudness,
                    Aftertouch::Brightness => PressureTo::Brightness,
                    Aftertouch::Vibrato => PressureTo::Vibrato,
                },
            ),
            aftertouch_amount: mix("Aftertouch Amount", d.aftertouch_amount),
            voices: EnumParam::new("Voices", Voices::Poly),
            glide: time_ms("Glide", d.glide_seconds * 1000.0, 0.0, 2000.0),
        }
    }
}

impl Default for ExpressionParams {
    fn default() -> Self {
        let e = engine::Params::default().expression;
        Self {
            volume: gain_db("Note Volume", e.volume_db, -36.0, 12.0),
            fluctuation: linear(
                "Volume Fluctuation",
                e.fluctuation_db,
                (0.0, 12.0),
                " dB",
                1,
            ),
            peak_position: mix("Volume Peak Position", e.peak_position),
            vibrato_depth: linear("Vibrato Depth", e.vibrato_cents, (0.0, 100.0), " ct", 0),
            vibrato_rate: linear("Vibrato Rate", e.vibrato_rate_hz, (1.0, 12.0), " Hz", 2),
            vibrato_delay: time_ms(
                "Vibrato Delay",
                e.vibrato_delay_seconds * 1000.0,
                0.0,
                2000.0,
            ),
            brightness: factor("Brightness", e.brightness),
            attack_noise: gain_db("Attack Noise", e.attack_noise_db, -24.0, 24.0),
        }
    }
}

impl Default for TimbreParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            harmonic_gain: gain_db("Harmonic Gain", d.harmonic_gain_db, -60.0, 12.0),
            noise_gain: gain_db("Noise Gain", d.noise_gain_db, -60.0, 12.0),
            tilt: linear("Tilt", d.tilt_db_per_octave, (-12.0, 12.0), " dB/oct", 1),
            decoder_pitch: linear(
                "Timbre Pitch",
                d.decoder_pitch_semitones,
                (-24.0, 24.0),
                " st",
                1,
            ),
            decoder_loudness: gain_db("Timbre Loudness", d.decoder_loudness_db, -24.0, 24.0),
            width: mix("Width", d.width),
        }
    }
}

impl Default for EnvelopeParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            attack: time_ms("Attack", d.attack_seconds * 1000.0, 1.0, 3000.0),
            decay: time_ms("Decay", d.decay_seconds * 1000.0, 1.0, 5000.0),
            sustain: gain_db("Sustain", d.sustain_db, -48.0, 0.0),
            release: time_ms("Release", d.release_seconds * 1000.0, 5.0, 5000.0),
            envelope: EnumParam::new("Envelope", EnvelopeFrom::Model),
        }
    }
}

impl Default for OutputParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            output_gain: gain_db("Output Gain", d.output_gain_db, -60.0, 12.0),
            reverb_mix: mix("Reverb Mix", d.reverb_mix),
            reverb_size: reverb_size(d.reverb_size_seconds),
            bypass: bypass(),
        }
    }
}

impl Default for InstrumentParams {
    fn default() -> Self {
        Self {
            envelope: EnvelopeParams::default(),
            playing: PlayingParams::default(),
            expression: ExpressionParams::default(),
            timbre: TimbreParams::default(),
            output: OutputParams::default(),
            model: ModelChoice::default(),
            editor: Arc::default(),
        }
    }
}

impl EngineParams for InstrumentParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn editor(&self) -> &Arc<EditorState> {
        &self.editor
    }

    fn engine_params(&self) -> engine::Params {
        let mut out = engine::Params::default();
        apply_all(&mut out, &self.envelope, ENVELOPE_KNOBS);
        apply_all(&mut out, &self.playing, PLAYING_KNOBS);
        apply_all(&mut out, &self.expression, EXPRESSION_KNOBS);
        apply_all(&mut out, &self.timbre, TIMBRE_KNOBS);
        apply_all(&mut out, &self.output, OUTPUT_KNOBS);
        out
    }

    fn change(&self, hash: u32, normalized: f32) -> Option<ParamChange> {
        change(&self.envelope, ENVELOPE_KNOBS, hash, normalized)
            .or_else(|| change(&self.playing, PLAYING_KNOBS, hash, normalized))
            .or_else(|| change(&self.expression, EXPRESSION_KNOBS, hash, normalized))
            .or_else(|| change(&self.timbre, TIMBRE_KNOBS, hash, normalized))
            .or_else(|| change(&self.output, OUTPUT_KNOBS, hash, normalized))
    }
}

#[derive(Params)]
pub struct EffectParams {
    #[nested(group = "Effect")]
    pub input: InputParams,
    #[nested(group = "Pitch")]
    pub pitch: PitchParams,
    #[nested(group = "Timbre")]
    pub timbre: TimbreParams,
    #[nested(group = "Output")]
    pub output: OutputParams,
    #[nested]
    pub model: ModelChoice,
    #[nested]
    pub editor: Arc<EditorState>,
}

/// What the effect listens to: the input's level and the pitch range it is tracked in.
#[derive(Params)]
pub struct InputParams {
    #[id = "in_gain"]
    pub input_gain: FloatParam,
    /// The pitch range the tracker looks in; it moves while playing.
    #[id = "min_f0"]
    pub min_f0: FloatParam,
    #[id = "max_f0"]
    pub max_f0: FloatParam,
    #[id = "gate"]
    pub gate: FloatParam,
    #[id = "dry_wet"]
    pub dry_wet: FloatParam,
    /// Sets the latency, so a change restarts the plugin: not automatable.
    #[id = "look_ahead"]
    pub look_ahead: FloatParam,
}

/// What the effect does to the pitch it tracks: glide, correction to a scale, shift.
#[derive(Params)]
pub struct PitchParams {
    #[id = "shift"]
    pub shift: IntParam,
    #[id = "fine"]
    pub fine: FloatParam,
    #[id = "pitch_glide"]
    pub glide: FloatParam,
    #[id = "scale"]
    pub scale: EnumParam<ScaleFrom>,
    #[id = "key"]
    pub key: EnumParam<Key>,
    #[id = "custom_notes"]
    pub custom_notes: IntParam,
    #[id = "strength"]
    pub strength: FloatParam,
    #[id = "retune"]
    pub retune: FloatParam,
}

const PITCH_KNOBS: &[Knob<PitchParams>] = &[
    ("shift", |p, n| {
        ParamChange::PitchShiftSemitones(whole(&p.shift, n))
    }),
    ("fine", |p, n| ParamChange::FineTuneCents(plain(&p.fine, n))),
    ("pitch_glide", |p, n| {
        ParamChange::PitchGlideSeconds(plain(&p.glide, n) / 1000.0)
    }),
    ("scale", |p, n| {
        ParamChange::CorrectionScale(match choice(&p.scale, n) {
            ScaleFrom::Off => ScaleChoice::Off,
            ScaleFrom::Chromatic => ScaleChoice::Chromatic,
            ScaleFrom::Major => ScaleChoice::Major,
            ScaleFrom::Minor => ScaleChoice::Minor,
            ScaleFrom::Pentatonic => ScaleChoice::Pentatonic,
            ScaleFrom::Blues => ScaleChoice::Blues,
            ScaleFrom::Custom => ScaleChoice::Custom,
        })
    }),
    ("key", |p, n| {
        ParamChange::CorrectionKey(choice(&p.key, n).to_index() as u8)
    }),
    ("custom_notes", |p, n| {
        ParamChange::CustomScale(whole(&p.custom_notes, n) as u16)
    }),
    ("strength", |p, n| {
        ParamChange::CorrectionStrength(plain(&p.strength, n))
    }),
    ("retune", |p, n| {
        ParamChange::RetuneSeconds(plain(&p.retune, n) / 1000.0)
    }),
];

impl Default for PitchParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            shift: IntParam::new(
                "Pitch Shift",
                d.pitch_shift_semitones as i32,
                IntRange::Linear { min: -24, max: 24 },
            )
            .with_unit(" st"),
            fine: linear("Fine Tune", d.fine_tune_cents, (-100.0, 100.0), " ct", 0),
            glide: time_ms("Pitch Glide", d.pitch_glide_seconds * 1000.0, 0.0, 1000.0),
            scale: EnumParam::new("Correction", ScaleFrom::Off),
            key: EnumParam::new("Key", Key::C),
            custom_notes: pitch_classes("Custom Notes", d.correction.custom),
            strength: mix("Correction Strength", d.correction.strength),
            retune: time_ms(
                "Retune Speed",
                d.correction.retune_seconds * 1000.0,
                0.0,
                1000.0,
            ),
        }
    }
}

const INPUT_KNOBS: &[Knob<InputParams>] = &[
    ("in_gain", |p, n| {
        ParamChange::InputGainDb(plain(&p.input_gain, n))
    }),
    ("min_f0", |p, n| {
        ParamChange::LowestPitchHz(plain(&p.min_f0, n))
    }),
    ("max_f0", |p, n| {
        ParamChange::HighestPitchHz(plain(&p.max_f0, n))
    }),
    ("gate", |p, n| ParamChange::GateDb(plain(&p.gate, n))),
    ("dry_wet", |p, n| ParamChange::DryWet(plain(&p.dry_wet, n))),
    ("look_ahead", |p, n| {
        ParamChange::LookAheadMs(plain(&p.look_ahead, n))
    }),
];

impl Default for InputParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            input_gain: gain_db("Input Gain", d.input_gain_db, -40.0, 40.0),
            min_f0: pitch_hz("Lowest Pitch", d.pitch.min_hz, 40.0, 500.0),
            max_f0: pitch_hz("Highest Pitch", d.pitch.max_hz, 200.0, 2000.0),
            gate: gain_db("Gate", d.gate_db, -80.0, -20.0),
            dry_wet: mix("Dry/Wet", d.dry_wet),
            look_ahead: linear("Pitch Look-Ahead", d.look_ahead_ms, (0.0, MAX_MS), " ms", 0)
                .with_step_size(FRAME_MS)
                .non_automatable(),
        }
    }
}

impl Default for EffectParams {
    fn default() -> Self {
        Self {
            input: InputParams::default(),
            pitch: PitchParams::default(),
            timbre: TimbreParams::default(),
            output: OutputParams::default(),
            model: ModelChoice::default(),
            editor: Arc::default(),
        }
    }
}

impl EngineParams for EffectParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn editor(&self) -> &Arc<EditorState> {
        &self.editor
    }

    fn engine_params(&self) -> engine::Params {
        let mut out = engine::Params::default();
        apply_all(&mut out, &self.input, INPUT_KNOBS);
        apply_all(&mut out, &self.pitch, PITCH_KNOBS);
        apply_all(&mut out, &self.timbre, TIMBRE_KNOBS);
        apply_all(&mut out, &self.output, OUTPUT_KNOBS);
        out
    }

    fn change(&self, hash: u32, normalized: f32) -> Option<ParamChange> {
        change(&self.input, INPUT_KNOBS, hash, normalized)
            .or_else(|| change(&self.pitch, PITCH_KNOBS, hash, normalized))
            .or_else(|| change(&self.timbre, TIMBRE_KNOBS, hash, normalized))
            .or_else(|| change(&self.output, OUTPUT_KNOBS, hash, normalized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_knob_maps_onto_the_engine_through_its_table() {
        let fx = EffectParams::default();
        assert_eq!(fx.engine_params(), engine::Params::default());
        // An automation point for Lowest Pitch at the bottom of its range (40 Hz).
        let change = fx.change(hash_param_id("min_f0"), 0.0);
        assert_eq!(change, Some(ParamChange::LowestPitchHz(40.0)));
        assert_eq!(fx.change(hash_param_id("model"), 0.5), None);
        assert_eq!(
            fx.change(hash_param_id("width"), 1.0),
            Some(ParamChange::Width(1.0))
        );
        let inst = InstrumentParams::default();
        assert_eq!(inst.engine_params(), engine::Params::default());
        let attack = inst.change(hash_param_id("attack"), 1.0);
        assert_eq!(attack, Some(ParamChange::AttackSeconds(3.0)));
        assert_eq!(
            inst.change(hash_param_id("bypass"), 1.0),
            Some(ParamChange::Bypass(true))
        );
        assert_eq!(
            inst.change(hash_param_id("bend_range"), 1.0),
            Some(ParamChange::BendRange(48.0))
        );
        assert_eq!(
            inst.change(hash_param_id("voices"), 1.0),
            Some(ParamChange::Voices(VoiceMode::Legato))
        );
        assert_eq!(
            inst.change(hash_param_id("brightness"), 0.5),
            Some(ParamChange::Brightness(1.0))
        );
    }

    #[test]
    fn every_engine_knob_has_a_plugin_knob() {
        // Each kind of change is made by some knob of one plugin or the other.
        let (inst, fx) = (InstrumentParams::default(), EffectParams::default());
        let mut made = std::collections::HashSet::new();
        let tables: [Vec<ParamChange>; 7] = [
            PITCH_KNOBS
                .iter()
                .map(|(_, f)| f(&fx.pitch, Some(0.3)))
                .collect(),
            ENVELOPE_KNOBS
                .iter()
                .map(|(_, f)| f(&inst.envelope, Some(0.3)))
                .collect(),
            PLAYING_KNOBS
                .iter()
                .map(|(_, f)| f(&inst.playing, Some(0.3)))
                .collect(),
            EXPRESSION_KNOBS
                .iter()
                .map(|(_, f)| f(&inst.expression, Some(0.3)))
                .collect(),
            TIMBRE_KNOBS
                .iter()
                .map(|(_, f)| f(&inst.timbre, Some(0.3)))
                .collect(),
            OUTPUT_KNOBS
                .iter()
                .map(|(_, f)| f(&inst.output, Some(0.3)))
                .collect(),
            INPUT_KNOBS
                .iter()
                .map(|(_, f)| f(&fx.input, Some(0.3)))
                .collect(),
        ];
        for change in tables.iter().flatten() {
            made.insert(std::mem::discriminant(change));
        }
        assert_eq!(made.len(), engine::params::KNOBS);
    }
}
