//! The knobs of a render outside any host (the command line): a preset, then `NAME=VALUE`
//! settings, read through the same table and presets as the editor's, so that a scripted
//! render plays exactly what the editor would.

use super::catalog::Catalog;
use super::params::{EffectParams, InstrumentParams};
use super::presets;
use super::shell::EngineParams;
use crate::engine::{self, Mode};
use std::sync::Arc;

/// What a render is set to.
pub struct Knobs {
    pub params: engine::Params,
    /// The preset's model, if it names one.
    pub model: Option<String>,
    /// What the preset held that could not be used.
    pub warnings: Vec<String>,
}

/// The plugin a mode is played by, as presets name it.
pub fn plugin_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Instrument => "Luthier",
        Mode::Effect => "Luthier FX",
    }
}

/// Every knob of the plugin `mode` is played by, with its range and default.
pub fn listing(mode: Mode) -> String {
    match mode {
        Mode::Instrument => Catalog::new(Arc::new(InstrumentParams::default())).listing(),
        Mode::Effect => Catalog::new(Arc::new(EffectParams::default())).listing(),
    }
}

/// The knobs: the defaults, then the preset (by name), then each `NAME=VALUE` in turn.
pub fn knobs(mode: Mode, preset: Option<&str>, settings: &[String]) -> Result<Knobs, String> {
    match mode {
        Mode::Instrument => configure(
            Arc::new(InstrumentParams::default()),
            mode,
            preset,
            settings,
        ),
        Mode::Effect => configure(Arc::new(EffectParams::default()), mode, preset, settings),
    }
}

fn configure<P: EngineParams + 'static>(
    params: Arc<P>,
    mode: Mode,
    preset: Option<&str>,
    settings: &[String],
) -> Result<Knobs, String> {
    let catalog = Catalog::new(params.clone());
    let mut model = None;
    let mut warnings = Vec::new();
    if let Some(name) = preset {
        let preset = presets::find(plugin_name(mode), name)?;
        let (values, problems) = preset.values(&catalog);
        for (entry, normalized) in values {
            entry.set_offline(normalized);
        }
        warnings = problems;
        model = preset.model;
    }
    for setting in settings {
        let (name, value) = setting.split_once('=').ok_or_else(|| {
            format!("--set takes NAME=VALUE (e.g. \"Vibrato Depth=30 ct\"), not '{setting}'")
        })?;
        let entry = catalog.find(name)?;
        if entry.id == "model" {
            return Err("the model is chosen with --model, not --set".into());
        }
        entry.set_offline(entry.parse(value)?);
    }
    Ok(Knobs {
        params: params.engine_params(),
        model,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_then_settings_make_the_engine_params() {
        let k = knobs(
            Mode::Instrument,
            Some("violin expressive"),
            &["Vibrato Depth=40 ct".into(), "reverb mix=10 %".into()],
        )
        .unwrap();
        assert_eq!(k.model.as_deref(), Some("violin"));
        assert!(k.warnings.is_empty());
        assert!((k.params.expression.vibrato_cents - 40.0).abs() < 1e-3);
        assert!((k.params.reverb_mix - 0.1).abs() < 1e-6);
        // From the preset, untouched by the settings.
        assert_eq!(
            k.params.voice_mode,
            crate::control::performance::VoiceMode::Legato
        );
        let plain = knobs(Mode::Instrument, None, &[]).unwrap();
        assert_eq!(plain.params, engine::Params::default());
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let err = |s: &str| knobs(Mode::Effect, None, &[s.to_string()]).err().unwrap();
        assert!(err("Lowest Pitch=20 Hz").contains("out of range"));
        assert!(err("Lowest Pitch").contains("NAME=VALUE"));
        assert!(
            err("Vibrato Depth=10").contains("no parameter called"),
            "the effect has no vibrato"
        );
        assert!(err("Model=cello").contains("--model"));
    }
}
