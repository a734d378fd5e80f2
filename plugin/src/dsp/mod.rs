//! Synthesis building blocks: plain structs over caller-owned slices, free of plugin-framework
//! types, allocation-free after construction.

pub mod bank;
pub mod delay;
pub mod envelope;
pub mod frames;
pub mod harmonic;
pub mod noise;
pub mod reverb;
pub mod shape;
pub mod smoother;
pub mod synth;
pub mod width;
