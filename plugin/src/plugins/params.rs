//! Host-automatable parameters of both plugins, with the ranges the editor will share, and the
//! one table per plugin that maps each knob onto the engine: `engine_params` reads every knob
//! through it, and an automation point inside a block (which the host reports by the knob's id)
//! becomes an engine change through the same entry, so the two cannot disagree.

use super::model_choice::ModelChoice;
use super::shell::EngineParams;
use crate::engine::{self, ParamChange};
use nice_plug::prelude::*;
use nice_plug::wrapper::hash_param_id;

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

/// One knob: its id, and its value in the engine's terms (now, or at a normalised value).
type Knob<P> = (&'static str, fn(&P, Option<f32>) -> ParamChange);

/// The engine's knobs from a table: each at its value now.
fn engine_params<P>(params: &P, knobs: &[Knob<P>]) -> engine::Params {
    let mut out = engine::Params::default();
    for (_, value) in knobs {
        out.apply(value(params, None));
    }
    out
}

/// The change an automation point for the knob with this hash makes.
fn change<P>(params: &P, knobs: &[Knob<P>], hash: u32, normalized: f32) -> Option<ParamChange> {
    knobs
        .iter()
        .find(|(id, _)| hash_param_id(id) == hash)
        .map(|(_, value)| value(params, Some(normalized)))
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
    #[id = "bypass"]
    pub bypass: BoolParam,
    #[nested]
    pub model: ModelChoice,
}

const INSTRUMENT_KNOBS: &[Knob<InstrumentParams>] = &[
    ("out_gain", |p, n| {
        ParamChange::OutputGainDb(plain(&p.output_gain, n))
    }),
    ("attack", |p, n| {
        ParamChange::AttackSeconds(plain(&p.attack, n) / 1000.0)
    }),
    ("release", |p, n| {
        ParamChange::ReleaseSeconds(plain(&p.release, n) / 1000.0)
    }),
    ("reverb_mix", |p, n| {
        ParamChange::ReverbMix(plain(&p.reverb_mix, n))
    }),
    ("bypass", |p, n| ParamChange::Bypass(switch(&p.bypass, n))),
];

impl Default for InstrumentParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            output_gain: gain_db("Output Gain", d.output_gain_db, -60.0, 12.0),
            attack: time_ms("Attack", d.attack_seconds * 1000.0, 1.0, 3000.0),
            release: time_ms("Release", d.release_seconds * 1000.0, 5.0, 5000.0),
            reverb_mix: mix("Reverb Mix", d.reverb_mix),
            bypass: bypass(),
            model: ModelChoice::default(),
        }
    }
}

impl EngineParams for InstrumentParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn engine_params(&self) -> engine::Params {
        engine_params(self, INSTRUMENT_KNOBS)
    }

    fn change(&self, hash: u32, normalized: f32) -> Option<ParamChange> {
        change(self, INSTRUMENT_KNOBS, hash, normalized)
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
    /// The pitch range the tracker looks in; it moves while playing.
    #[id = "min_f0"]
    pub min_f0: FloatParam,
    #[id = "max_f0"]
    pub max_f0: FloatParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
    #[nested]
    pub model: ModelChoice,
}

const EFFECT_KNOBS: &[Knob<EffectParams>] = &[
    ("in_gain", |p, n| {
        ParamChange::InputGainDb(plain(&p.input_gain, n))
    }),
    ("out_gain", |p, n| {
        ParamChange::OutputGainDb(plain(&p.output_gain, n))
    }),
    ("reverb_mix", |p, n| {
        ParamChange::ReverbMix(plain(&p.reverb_mix, n))
    }),
    ("min_f0", |p, n| {
        ParamChange::LowestPitchHz(plain(&p.min_f0, n))
    }),
    ("max_f0", |p, n| {
        ParamChange::HighestPitchHz(plain(&p.max_f0, n))
    }),
    ("bypass", |p, n| ParamChange::Bypass(switch(&p.bypass, n))),
];

impl Default for EffectParams {
    fn default() -> Self {
        let d = engine::Params::default();
        Self {
            input_gain: gain_db("Input Gain", d.input_gain_db, -40.0, 40.0),
            output_gain: gain_db("Output Gain", d.output_gain_db, -60.0, 12.0),
            reverb_mix: mix("Reverb Mix", d.reverb_mix),
            min_f0: pitch_hz("Lowest Pitch", d.pitch.min_hz, 40.0, 500.0),
            max_f0: pitch_hz("Highest Pitch", d.pitch.max_hz, 200.0, 2000.0),
            bypass: bypass(),
            model: ModelChoice::default(),
        }
    }
}

impl EngineParams for EffectParams {
    fn model(&self) -> &ModelChoice {
        &self.model
    }

    fn engine_params(&self) -> engine::Params {
        engine_params(self, EFFECT_KNOBS)
    }

    fn change(&self, hash: u32, normalized: f32) -> Option<ParamChange> {
        change(self, EFFECT_KNOBS, hash, normalized)
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
        let inst = InstrumentParams::default();
        let attack = inst.change(hash_param_id("attack"), 1.0);
        assert_eq!(attack, Some(ParamChange::AttackSeconds(3.0)));
        assert_eq!(
            inst.change(hash_param_id("bypass"), 1.0),
            Some(ParamChange::Bypass(true))
        );
    }
}
