//! The neural decoder: ONNX models with their model cards, run through ONNX Runtime (loaded at
//! run time) off the audio thread. No plugin-framework types.

pub mod card;
pub mod decoder;
pub mod inference;
pub mod library;
pub mod runtime;
pub mod signal;
