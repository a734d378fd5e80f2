//! Synthesis building blocks: plain structs over caller-owned slices, free of plugin-framework
//! types, allocation-free after construction.

pub mod envelope;
pub mod oscillator;
pub mod smoother;
