//! Shared parts of the real-host tests: a minimal CLAP host on `clack-host`, where the bundles
//! are, and signal measurements derived from first principles (no plugin code is reused, so a
//! bug in the plugin cannot hide in the yardstick).

pub mod clap_host;
pub mod display;
pub mod expression;
pub mod paths;
pub mod run;
pub mod signal;
