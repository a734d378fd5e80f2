//! nice-plug glue only: parameters, event translation and the two plugin types. Everything
//! audible happens in `crate::engine`.

pub mod catalog;
pub mod effect;
mod events;
pub mod help;
pub mod instrument;
mod model_choice;
pub mod offline;
pub mod params;
pub mod presets;
mod runner;
mod shell;

use nice_plug::prelude::*;

pub use effect::LuthierFx;
pub use instrument::Luthier;

pub const VENDOR: &str = "Luthier Audio";
pub const URL: &str = "https://github.com/luthier-audio/luthier";
pub const EMAIL: &str = "luthier@users.noreply.github.com";

nice_export_clap!(Luthier, LuthierFx);
nice_export_vst3!(Luthier, LuthierFx);
