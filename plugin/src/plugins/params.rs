//! Host-automatable parameters of both plugins, with the ranges the editor will share.

use super::model_choice::ModelChoice;
use super::shell::EngineParams;
use crate::analysis::pitch::PitchConfig;
use crate::engine;
use nice_plug::prelude::*;

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

fn time_ms(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, (min, max), -2.0, " ms")
}

fn mix(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

#[derive(Params)]
pub struct InstrumentParams {
    #[id = "out_gain"]
    pub output_gain: FloatParam,
    #[id = "attack"]
    pub attack: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    #[id = "reverb_mix"]
    pub reverb_mix: FloatParam,
    #[nested]
    pub model: ModelChoice,
}

impl Default for InstrumentParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            output_gain: gain_db("Output Gain", d.output_gain_db, -60.0, 12.0),
            attack: time_ms("Attack", d.attack_seconds * 1000.0, 1.0, 3000.0),
            release: time_ms("Release", d.release_seconds * 1000.0, 5.0, 5000.0),
            reverb_mix: mix("Reverb Mix", d.reverb_mix),
            model: ModelChoice::default(),
        }
    }
}

impl EngineParams for InstrumentParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn engine_params(&self) -> engine::Params {
        engine::Params {
            output_gain_db: self.output_gain.value(),
            attack_seconds: self.attack.value() / 1000.0,
            release_seconds: self.release.value() / 1000.0,
            reverb_mix: self.reverb_mix.value(),
            ..engine::Params::default()
        }
    }
}

#[derive(Params)]
pub struct EffectParams {
    #[id = "in_gain"]
    pub input_gain: FloatParam,
    #[id = "out_gain"]
    pub output_gain: FloatParam,
    #[id = "reverb_mix"]
    pub reverb_mix: FloatParam,
    /// The pitch range the tracker looks in. Changing it rebuilds the tracker, which the host
    /// does by restarting the plugin: so not automatable.
    #[id = "min_f0"]
    pub min_f0: FloatParam,
    #[id = "max_f0"]
    pub max_f0: FloatParam,
    #[nested]
    pub model: ModelChoice,
}

fn pitch_hz(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, (min, max), -1.0, " Hz").non_automatable()
}

impl Default for EffectParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            input_gain: gain_db("Input Gain", d.input_gain_db, -40.0, 40.0),
            output_gain: gain_db("Output Gain", d.output_gain_db, -60.0, 12.0),
            reverb_mix: mix("Reverb Mix", d.reverb_mix),
            min_f0: pitch_hz("Lowest Pitch", d.pitch.min_hz, 40.0, 500.0),
            max_f0: pitch_hz("Highest Pitch", d.pitch.max_hz, 200.0, 2000.0),
            model: ModelChoice::default(),
        }
    }
}

impl EngineParams for EffectParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn engine_params(&self) -> engine::Params {
        engine::Params {
            input_gain_db: self.input_gain.value(),
            output_gain_db: self.output_gain.value(),
            reverb_mix: self.reverb_mix.value(),
            pitch: PitchConfig {
                min_hz: self.min_f0.value(),
                max_hz: self.max_f0.value(),
                ..PitchConfig::default()
            },
            ..engine::Params::default()
        }
    }
}
