//! Presets: every knob of a plugin and its model by name, as a readable JSON file.
//!
//! Factory presets ship inside the plugin (`plugin/presets/<model>.json`, several per shipped
//! model for each plugin); a knob a factory preset does not name is at its default, so each
//! lists only what it changes. User presets are saved with every knob, one file each, in
//! `$XDG_DATA_HOME/luthier/presets/<plugin>/` (`~/.local/share/...`). Values are plain numbers
//! in the knob's units (ms, dB, st, Hz, a factor; the percentage knobs as fractions 0..1),
//! choices by name and switches as true/false, keyed by the knob's id, which never changes.
//!
//! Loading is forgiving: a knob the preset does not know keeps its default, a name the plugin
//! does not know (a knob since removed) or a value it cannot take is skipped and reported, and a
//! model that is not installed leaves the model as it is and says so. Nothing in a preset can
//! stop the rest of it loading.

use super::catalog::{Catalog, Entry, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub name: String,
    /// The plugin it is for ("Luthier" or "Luthier FX").
    pub plugin: String,
    /// The model, by name; none keeps whatever model plays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// Where a preset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Factory,
    User,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub preset: Preset,
    pub origin: Origin,
    /// The user preset's file.
    pub path: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct FactoryFile {
    format: u32,
    presets: Vec<Preset>,
}

#[derive(Serialize, Deserialize)]
struct UserFile {
    format: u32,
    #[serde(flatten)]
    preset: Preset,
}

/// The factory files, one per shipped model.
const FACTORY: &[(&str, &str)] = &[
    ("alto_sax", include_str!("../../presets/alto_sax.json")),
    ("cello", include_str!("../../presets/cello.json")),
    ("clarinet", include_str!("../../presets/clarinet.json")),
    ("flute", include_str!("../../presets/flute.json")),
    ("trumpet", include_str!("../../presets/trumpet.json")),
    ("violin", include_str!("../../presets/violin.json")),
];

/// Knobs a preset leaves alone: the model travels by name, and no preset should bypass.
fn stored(entry: &Entry) -> bool {
    entry.id != "model"
        && !entry
            .flags()
            .contains(nice_plug::prelude::ParamFlags::BYPASS)
}

impl Preset {
    /// Every knob as it is now.
    pub fn capture(catalog: &Catalog, plugin: &str, name: &str, model: Option<String>) -> Self {
        let params = catalog
            .entries()
            .iter()
            .filter(|e| stored(e))
            .map(|e| (e.id.clone(), to_value(e, e.normalized())))
            .collect();
        Self {
            name: name.to_string(),
            plugin: plugin.to_string(),
            model,
            description: String::new(),
            params,
        }
    }

    /// The normalised value of every knob the preset sets (the ones it does not name at their
    /// defaults), and what it holds that could not be used.
    pub fn values<'a>(&self, catalog: &'a Catalog) -> (Vec<(&'a Entry, f32)>, Vec<String>) {
        let mut problems = Vec::new();
        let mut values = Vec::new();
        for entry in catalog.entries().iter().filter(|e| stored(e)) {
            let normalized = match self.params.get(&entry.id) {
                None => entry.default_normalized(),
                Some(v) => match from_value(entry, v) {
                    Ok(n) => n,
                    Err(why) => {
                        problems.push(why);
                        entry.default_normalized()
                    }
                },
            };
            values.push((entry, normalized));
        }
        for id in self.params.keys() {
            if catalog.by_id(id).is_none() {
                problems.push(format!("'{id}' is not a knob of {} (skipped)", self.plugin));
            }
        }
        (values, problems)
    }
}

impl Preset {
    /// Where the preset's model is in `models` (the Model knob's list): None when it names
    /// none, an error in words when it is not there.
    pub fn model_in(&self, models: &[(String, PathBuf)]) -> Option<Result<usize, String>> {
        let model = self.model.as_ref()?;
        Some(
            models
                .iter()
                .position(|(n, _)| n == model)
                .ok_or_else(|| format!("its model '{model}' is not installed")),
        )
    }
}

fn to_value(entry: &Entry, normalized: f32) -> Value {
    match entry.kind() {
        Kind::Switch => Value::Bool(normalized >= 0.5),
        Kind::Choice => Value::String(entry.show(normalized)),
        Kind::Whole => Value::from(entry.plain(normalized) as i64),
        // Six significant digits: what a knob can be set to, with no float noise in the file.
        Kind::Continuous => {
            let plain = entry.plain(normalized) as f64;
            let rounded: f64 = format!("{plain:.6e}").parse().unwrap_or(plain);
            Value::from(rounded)
        }
    }
}

fn from_value(entry: &Entry, value: &Value) -> Result<f32, String> {
    let bad = || {
        format!(
            "{}: {value} is not a value it takes ({})",
            entry.name(),
            entry.range_text()
        )
    };
    match (entry.kind(), value) {
        (Kind::Switch, Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
        (Kind::Choice, Value::String(s)) => entry.parse(s),
        (Kind::Continuous | Kind::Whole, Value::Number(n)) => {
            let plain = n.as_f64().ok_or_else(bad)? as f32;
            let normalized = entry.normalize(plain);
            // Out of range is refused, not clamped, as on the command line: normalising
            // clamps to an end, and the end is not what was written.
            let (low, high) = (entry.plain(0.0), entry.plain(1.0));
            let slack = 1e-3 * (high - low).abs().max(1.0);
            if plain < low.min(high) - slack || plain > low.max(high) + slack {
                return Err(format!(
                    "{}: {plain} is out of range ({})",
                    entry.name(),
                    entry.range_text()
                ));
            }
            Ok(normalized)
        }
        _ => Err(bad()),
    }
}

/// The factory presets for `plugin`, in the order of their files.
pub fn factory(plugin: &str) -> Vec<Preset> {
    FACTORY
        .iter()
        .flat_map(
            |(model, text)| match serde_json::from_str::<FactoryFile>(text) {
                Ok(file) => file.presets,
                // A test parses every factory file; this is for a build that broke one anyway.
                Err(e) => {
                    nice_plug::nice_log!("factory presets for {model} do not parse: {e}");
                    Vec::new()
                }
            },
        )
        .filter(|p| p.plugin == plugin)
        .collect()
}

/// Where a plugin's user presets live.
pub fn user_folder(plugin: &str) -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("luthier").join("presets").join(plugin))
}

/// The user presets for `plugin`, by name; files that do not parse are reported and skipped.
pub fn user(plugin: &str) -> (Vec<Listed>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let Some(folder) = user_folder(plugin) else {
        return (found, problems);
    };
    let Ok(dir) = std::fs::read_dir(&folder) else {
        return (found, problems);
    };
    for path in dir.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        match read_user(&path) {
            Ok(preset) if preset.plugin == plugin => found.push(Listed {
                preset,
                origin: Origin::User,
                path: Some(path),
            }),
            Ok(_) => {}
            Err(why) => problems.push(why),
        }
    }
    found.sort_by(|a, b| {
        a.preset
            .name
            .to_lowercase()
            .cmp(&b.preset.name.to_lowercase())
    });
    (found, problems)
}

fn read_user(path: &Path) -> Result<Preset, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read preset {}: {e}", path.display()))?;
    let file: UserFile = serde_json::from_str(&text)
        .map_err(|e| format!("preset {} is not a Luthier preset: {e}", path.display()))?;
    if file.format > FORMAT {
        return Err(format!(
            "preset {} is format {}, newer than this Luthier reads ({FORMAT})",
            path.display(),
            file.format
        ));
    }
    Ok(file.preset)
}

/// Every preset for `plugin`: the factory's, then the user's.
pub fn all(plugin: &str) -> (Vec<Listed>, Vec<String>) {
    let mut listed: Vec<Listed> = factory(plugin)
        .into_iter()
        .map(|preset| Listed {
            preset,
            origin: Origin::Factory,
            path: None,
        })
        .collect();
    let (users, problems) = user(plugin);
    listed.extend(users);
    (listed, problems)
}

/// Names match whatever their case and whether words are joined by spaces, dashes or
/// underscores ("violin-expressive" finds "Violin Expressive").
fn same_name(a: &str, b: &str) -> bool {
    let key = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| {
                if c == '-' || c == '_' {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    key(a) == key(b)
}

/// The preset called `name` (a user preset of the same name wins over the factory's); an
/// unknown name is an error that lists them all.
pub fn find(plugin: &str, name: &str) -> Result<Preset, String> {
    let (listed, _) = all(plugin);
    listed
        .iter()
        .rev()
        .find(|l| same_name(&l.preset.name, name))
        .map(|l| l.preset.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = listed.iter().map(|l| l.preset.name.as_str()).collect();
            format!(
                "no {plugin} preset called '{name}'; there are: {}",
                names.join(", ")
            )
        })
}

/// Saves a user preset (replacing one of the same name); returns its file. Written to a
/// temporary file first, so a full disk or a crash cannot leave half a preset.
pub fn save_user(preset: &Preset) -> Result<PathBuf, String> {
    let folder = user_folder(&preset.plugin).ok_or("no home folder to save presets in")?;
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot make {}: {e}", folder.display()))?;
    let stem: String = preset
        .name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.trim().is_empty() {
        return Err("a preset needs a name".into());
    }
    let path = folder.join(format!("{}.json", stem.trim()));
    let text = serde_json::to_string_pretty(&UserFile {
        format: FORMAT,
        preset: preset.clone(),
    })
    .map_err(|e| e.to_string())?;
    let temporary = path.with_extension("json.part");
    std::fs::write(&temporary, text + "\n")
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::params::{EffectParams, InstrumentParams};
    use std::sync::Arc;

    fn catalogs() -> [(&'static str, Catalog); 2] {
        [
            (
                "Luthier",
                Catalog::new(Arc::new(InstrumentParams::default())),
            ),
            (
                "Luthier FX",
                Catalog::new(Arc::new(EffectParams::default())),
            ),
        ]
    }

    #[test]
    fn every_shipped_model_has_three_factory_presets_per_plugin_that_load_cleanly() {
        let models = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        assert_eq!(models.len(), FACTORY.len());
        for (plugin, catalog) in catalogs() {
            let presets = factory(plugin);
            for model in &models {
                let mine: Vec<_> = presets
                    .iter()
                    .filter(|p| p.model.as_deref() == Some(model))
                    .collect();
                assert!(
                    mine.len() >= 3,
                    "{plugin}: {} presets for {model}",
                    mine.len()
                );
                for p in mine {
                    let (values, problems) = p.values(&catalog);
                    assert!(problems.is_empty(), "{plugin} '{}': {problems:?}", p.name);
                    // Every knob it names moved off its default: no preset says nothing.
                    for (id, _) in &p.params {
                        let (entry, n) = values.iter().find(|(e, _)| &e.id == id).unwrap();
                        assert_ne!(
                            *n,
                            entry.default_normalized(),
                            "'{}' sets {id} to its default",
                            p.name
                        );
                    }
                }
            }
            // Names are unique.
            let mut names: Vec<_> = presets.iter().map(|p| p.name.to_lowercase()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), presets.len(), "{plugin}: duplicate names");
        }
    }

    #[test]
    fn a_captured_preset_gives_back_every_knob() {
        let (_, catalog) = catalogs().into_iter().next().unwrap();
        // Move every knob off its default, capture, and read the capture back.
        for e in catalog.entries() {
            e.set_offline(if e.default_normalized() > 0.5 {
                0.2
            } else {
                0.8
            });
        }
        let moved: Vec<f32> = catalog.entries().iter().map(|e| e.normalized()).collect();
        let preset = Preset::capture(&catalog, "Luthier", "All moved", Some("cello".into()));
        let text = serde_json::to_string(&preset).unwrap();
        let back: Preset = serde_json::from_str(&text).unwrap();
        let (values, problems) = back.values(&catalog);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            values.len(),
            catalog.entries().len() - 2,
            "all but the model and bypass"
        );
        for (entry, n) in values {
            let i = catalog
                .entries()
                .iter()
                .position(|e| e.id == entry.id)
                .unwrap();
            assert!(
                (n - moved[i]).abs() < 1e-4,
                "{}: {n} against {}",
                entry.id,
                moved[i]
            );
        }
    }

    #[test]
    fn what_cannot_be_used_is_reported_and_the_rest_loads() {
        let (_, catalog) = catalogs().into_iter().next().unwrap();
        let text = r#"{"name": "Odd", "plugin": "Luthier", "params": {
            "attack": 250.0, "release": 99999.0, "voices": "Duo", "mpe": "yes", "wobble": 3}}"#;
        let preset: Preset = serde_json::from_str(text).unwrap();
        let (values, problems) = preset.values(&catalog);
        assert_eq!(problems.len(), 4, "{problems:?}");
        let attack = values.iter().find(|(e, _)| e.id == "attack").unwrap();
        assert!((attack.0.plain(attack.1) - 250.0).abs() < 0.01);
        let release = values.iter().find(|(e, _)| e.id == "release").unwrap();
        assert_eq!(release.1, release.0.default_normalized());
    }

    #[test]
    fn a_missing_model_is_named() {
        let models = vec![("cello".to_string(), PathBuf::from("cello.onnx"))];
        let mut preset: Preset =
            serde_json::from_str(r#"{"name": "A", "plugin": "Luthier"}"#).unwrap();
        assert_eq!(preset.model_in(&models), None);
        preset.model = Some("cello".into());
        assert_eq!(preset.model_in(&models), Some(Ok(0)));
        preset.model = Some("oboe".into());
        let err = preset.model_in(&models).unwrap().unwrap_err();
        assert!(err.contains("'oboe' is not installed"), "{err}");
    }

    #[test]
    fn names_match_loosely_and_an_unknown_one_lists_them() {
        assert!(same_name("Violin Expressive", "violin-expressive"));
        assert!(same_name("Violin Expressive", " VIOLIN_expressive "));
        assert!(!same_name("Violin Expressive", "violin"));
        let err = find("Luthier", "no such preset").unwrap_err();
        assert!(err.contains("Violin Expressive"), "{err}");
    }
}
