//! The model card: the `.json` beside every decoder `.onnx`, which says what the network
//! expects and produces. A model is checked against its card, and the card against what this
//! build can play, before any audio depends on it; every mismatch is an error a musician can act
//! on ("made for 48 noise bands, this build plays 65"), never a crash mid-note.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::limits::{FRAME_RATE_HZ, MAX_HARMONICS, MAX_NOISE_BANDS};

/// The card format this build reads.
pub const FORMAT: u32 = 1;
pub const INPUTS: [&str; 3] = ["f0_hz", "loudness_db", "state_in"];
pub const OUTPUTS: [&str; 4] = ["amplitude", "harmonics", "noise", "state_out"];
/// GRU states beyond this are not a decoder this plugin can run in real time.
const MAX_STATE: usize = 4096;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ModelCard {
    pub format: u32,
    pub name: String,
    pub instrument: String,
    #[serde(default)]
    pub description: String,
    pub frame_rate_hz: f64,
    pub harmonics: usize,
    pub noise_bands: usize,
    /// Spacing of the noise filter's bands, from 0 Hz.
    pub noise_band_hz: f64,
    pub state_size: usize,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub f0_range_hz: [f64; 2],
    pub loudness_range_db: [f64; 2],
    #[serde(default)]
    pub validation_loss: Option<f64>,
    /// The instrument's own envelope, measured on its training recordings (`envelope.py`):
    /// what the instrument plays with while its Envelope knob is on "Model".
    #[serde(default)]
    pub envelope: Option<NaturalEnvelope>,
    /// The `.onnx` file's SHA-256, so that a truncated or swapped file is named as such.
    pub onnx_sha256: String,
}

/// How the instrument's notes begin and end, in the terms of `control::adsr`: the attack's
/// rise (linear in amplitude) and the release's 60 dB fall (linear in dB).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
pub struct NaturalEnvelope {
    pub attack_seconds: f32,
    pub release_seconds: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    /// The model's files could not be read.
    Io { path: PathBuf, why: String },
    /// The card is not valid JSON of the expected shape.
    Card { path: PathBuf, why: String },
    /// The card, or the network, does not fit this build or does not match each other.
    Mismatch { name: String, why: String },
    /// ONNX Runtime is missing, or refused the network.
    Runtime(String),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io { path, why } => write!(f, "cannot read {}: {why}", path.display()),
            Self::Card { path, why } => {
                write!(f, "model card {} is invalid: {why}", path.display())
            }
            Self::Mismatch { name, why } => write!(f, "model '{name}' cannot be used: {why}"),
            Self::Runtime(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ModelError {}

impl ModelCard {
    /// Reads `<stem>.json`.
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::Io {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        let card: Self = serde_json::from_str(&text).map_err(|e| ModelError::Card {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        card.check()?;
        Ok(card)
    }

    /// What this build can play.
    pub fn check(&self) -> Result<(), ModelError> {
        let fail = |why: String| {
            Err(ModelError::Mismatch {
                name: self.name.clone(),
                why,
            })
        };
        if self.format != FORMAT {
            return fail(format!(
                "card format {} (this build reads format {FORMAT}; update the plugin)",
                self.format
            ));
        }
        if let Some(e) = self.envelope {
            let sane = |s: f32| s.is_finite() && (0.0..=30.0).contains(&s);
            if !sane(e.attack_seconds) || !sane(e.release_seconds) {
                return fail(format!(
                    "its envelope (attack {} s, release {} s) is not 0 to 30 s",
                    e.attack_seconds, e.release_seconds
                ));
            }
        }
        if (self.frame_rate_hz - FRAME_RATE_HZ as f64).abs() > 1e-9 {
            return fail(format!(
                "made for {} frames/s, the engine runs {FRAME_RATE_HZ}",
                self.frame_rate_hz
            ));
        }
        if !(1..=MAX_HARMONICS).contains(&self.harmonics) {
            return fail(format!(
                "{} harmonics (this build plays 1 to {MAX_HARMONICS})",
                self.harmonics
            ));
        }
        if !(2..=MAX_NOISE_BANDS).contains(&self.noise_bands)
            || !(self.noise_band_hz > 0.0 && self.noise_band_hz.is_finite())
        {
            return fail(format!(
                "{} noise bands {} Hz apart (this build plays 2 to {MAX_NOISE_BANDS}, spaced above 0 Hz)",
                self.noise_bands, self.noise_band_hz
            ));
        }
        if !(1..=MAX_STATE).contains(&self.state_size) {
            return fail(format!(
                "state size {} (at most {MAX_STATE})",
                self.state_size
            ));
        }
        if self.inputs != INPUTS || self.outputs != OUTPUTS {
            return fail(format!(
                "tensors {:?} -> {:?}, expected {INPUTS:?} -> {OUTPUTS:?}",
                self.inputs, self.outputs
            ));
        }
        Ok(())
    }

    /// The shape each output has for `n` voices and `t` frames, in card order.
    pub fn output_dims(&self) -> [Vec<i64>; 4] {
        [
            vec![-1, -1],
            vec![-1, -1, self.harmonics as i64],
            vec![-1, -1, self.noise_bands as i64],
            vec![-1, self.state_size as i64],
        ]
    }

    /// The shape each input has, in card order.
    pub fn input_dims(&self) -> [Vec<i64>; 3] {
        [vec![-1, -1], vec![-1, -1], vec![-1, self.state_size as i64]]
    }
}
