//! Analysis of incoming audio, one estimate per control frame: loudness and pitch. Free of
//! plugin-framework types; the plugin, the command-line tool and the training pipeline all use
//! this same code, so training and playing see the same features.

pub mod biquad;
pub mod features;
pub mod history;
pub mod hum;
pub mod lookahead;
pub mod loudness;
pub mod periodicity;
pub mod pitch;
