//! Luthier: a real-time neural (DDSP) synthesizer as a CLAP/VST3 instrument and tone-transfer
//! effect. The plugin glue lives in `plugins`; everything it drives is framework-free so that
//! tests, benches and the command-line tool run the very same code.

pub mod analysis;
pub mod control;
pub mod dsp;
pub mod editor;
pub mod engine;
pub mod grid;
pub mod limits;
pub mod model;
pub mod plugins;
