//! Where models live and which one a plugin instance uses.
//!
//! Folders, searched in this order: the models shipped beside the plugin binary (`models/` next
//! to the `.clap`, inside the `.vst3` bundle, or next to the command-line tool), the user's
//! own (`$XDG_DATA_HOME/luthier/models`, default `~/.local/share/luthier/models`), and, for
//! builds run from the source tree, the repository's `models/`. A model is a `<name>.onnx`
//! with its `<name>.json` card; the first folder holding a name wins.

use std::path::{Path, PathBuf};

use super::runtime;

/// Names a model by path for this process (tests, and users trying a model before installing
/// it): overrides the instance's choice. The value `none` plays the fixed spectrum, no model.
pub const ENV_VAR: &str = "LUTHIER_MODEL";
const NO_MODEL: &str = "none";

/// The folders models are looked for in, in order.
pub fn folders() -> Vec<PathBuf> {
    let mut list = Vec::new();
    if let Some(dir) = runtime::own_binary().as_deref().and_then(Path::parent) {
        list.push(dir.join("models"));
    }
    if let Some(dir) = runtime::user_data_dir() {
        list.push(dir.join("models"));
    }
    list.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models"));
    list
}

/// The `.onnx` of the model called `name`, from the first folder that has it with its card.
pub fn find(name: &str) -> Option<PathBuf> {
    folders()
        .into_iter()
        .map(|dir| dir.join(format!("{name}.onnx")))
        .find(|p| p.is_file() && p.with_extension("json").is_file())
}

/// Every model the folders hold, by name (alphabetical), each from the first folder that has it.
pub fn list() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in folders() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let is_model = path.extension().is_some_and(|e| e == "onnx")
                && path.with_extension("json").is_file();
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            if let (true, Some(name)) = (is_model, name) {
                if !found.iter().any(|(n, _)| *n == name) {
                    found.push((name, path));
                }
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The model this instance should load: `LUTHIER_MODEL` if set (a path, a name, or `none`),
/// else `choice` (a name), else the default; None when none of them exists.
pub fn resolve(choice: Option<&str>) -> Option<PathBuf> {
    if let Some(value) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        if value == NO_MODEL {
            return None;
        }
        let path = PathBuf::from(&value);
        if path.extension().is_some_and(|e| e == "onnx") {
            return Some(path);
        }
        return find(&value.to_string_lossy());
    }
    choice.and_then(find).or_else(|| find(DEFAULT_MODEL))
}

/// Why `resolve` found no model, in words.
pub fn why_none() -> String {
    let asked_none = std::env::var_os(ENV_VAR).is_some_and(|v| v == NO_MODEL);
    if asked_none {
        format!("{ENV_VAR}=none: playing the fixed spectrum")
    } else {
        let looked: Vec<String> = folders().iter().map(|f| f.display().to_string()).collect();
        format!(
            "no model installed (looked in {}): playing the fixed spectrum",
            looked.join(", ")
        )
    }
}

/// The model a new instance plays until the user picks another.
pub const DEFAULT_MODEL: &str = "violin";
