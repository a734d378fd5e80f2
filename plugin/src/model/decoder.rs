//! One loaded decoder: its ONNX session, checked against its model card, run on a batch of
//! voices with their GRU states. This runs on the inference thread, never the audio thread:
//! ONNX Runtime allocates inside every call.

use ort::session::Session;
use ort::value::{Tensor, TensorElementType};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use super::card::{ModelCard, ModelError, INPUTS, OUTPUTS};
use super::runtime;

/// Synthesis controls for `n` voices and `t` frames, voice-major (row-major `[n, t, ...]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    pub amplitude: Vec<f32>,
    pub harmonics: Vec<f32>,
    pub noise: Vec<f32>,
}

pub struct Decoder {
    card: ModelCard,
    path: PathBuf,
    session: Session,
}

impl Decoder {
    /// Loads `<stem>.onnx` with its card `<stem>.json`, loading ONNX Runtime first if needed
    /// (`runtime_path`: the user's setting, if any).
    pub fn load(onnx: &Path, runtime_path: Option<&Path>) -> Result<Self, ModelError> {
        let card = ModelCard::read(&onnx.with_extension("json"))?;
        let bytes = std::fs::read(onnx).map_err(|e| ModelError::Io {
            path: onnx.to_path_buf(),
            why: e.to_string(),
        })?;
        let digest = hex(&Sha256::digest(&bytes));
        if !digest.eq_ignore_ascii_case(card.onnx_sha256.trim()) {
            return Err(ModelError::Mismatch {
                name: card.name.clone(),
                why: format!(
                    "{} is not the network its card describes (SHA-256 {digest}, card says {}): \
                     the file is truncated, damaged or was replaced",
                    onnx.display(),
                    card.onnx_sha256
                ),
            });
        }
        let environment =
            runtime::load(runtime_path).map_err(|e| ModelError::Runtime(e.to_string()))?;
        let refused = |e: String| {
            ModelError::Runtime(format!("ONNX Runtime refused {}: {e}", onnx.display()))
        };
        // One thread each: the decoder shares two cores with the host and the audio thread.
        let session = Session::builder(environment)
            .map_err(|e| refused(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| refused(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| refused(e.to_string()))?
            .commit_from_memory(&bytes)
            .map_err(|e| refused(e.to_string()))?;
        let decoder = Self {
            card,
            path: onnx.to_path_buf(),
            session,
        };
        decoder.check_signature()?;
        Ok(decoder)
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The network's tensors against the card: names, element type, and every fixed size.
    fn check_signature(&self) -> Result<(), ModelError> {
        let fail = |why: String| ModelError::Mismatch {
            name: self.card.name.clone(),
            why,
        };
        let check =
            |kind: &str, outlets: &[ort::value::Outlet], names: &[&str], dims: &[Vec<i64>]| {
                let found: Vec<&str> = outlets.iter().map(|o| o.name()).collect();
                if found != names {
                    return Err(fail(format!(
                        "the network's {kind} are {found:?}, its card says {names:?}"
                    )));
                }
                for ((outlet, name), want) in outlets.iter().zip(names).zip(dims) {
                    let ty = outlet.dtype();
                    if ty.tensor_type() != Some(TensorElementType::Float32) {
                        return Err(fail(format!("{kind} '{name}' is {ty:?}, not float32")));
                    }
                    let shape: &[i64] = ty.tensor_shape().map(|s| &s[..]).unwrap_or(&[]);
                    let fits = shape.len() == want.len()
                        && shape.iter().zip(want).all(|(&got, &w)| w < 0 || got == w);
                    if !fits {
                        return Err(fail(format!(
                        "{kind} '{name}' has shape {shape:?}, its card implies {want:?} (-1: any)"
                    )));
                    }
                }
                Ok(())
            };
        check(
            "inputs",
            self.session.inputs(),
            &INPUTS,
            &self.card.input_dims(),
        )?;
        check(
            "outputs",
            self.session.outputs(),
            &OUTPUTS,
            &self.card.output_dims(),
        )
    }

    /// Runs `n` voices for `t` frames. `f0_hz` and `loudness_db` are `[n, t]`; `state` is
    /// `[n, state_size]`, read as the voices' states and overwritten with their next ones.
    pub fn run(
        &mut self,
        n: usize,
        t: usize,
        f0_hz: &[f32],
        loudness_db: &[f32],
        state: &mut [f32],
        out: &mut Controls,
    ) -> Result<(), ModelError> {
        let h = self.card.state_size;
        assert!(f0_hz.len() == n * t && loudness_db.len() == n * t && state.len() == n * h);
        let failed = |e: ort::Error| {
            ModelError::Runtime(format!("decoder '{}' failed: {e}", self.card.name))
        };
        let inputs = ort::inputs![
            "f0_hz" => Tensor::from_array(([n, t], f0_hz.to_vec())).map_err(failed)?,
            "loudness_db" => Tensor::from_array(([n, t], loudness_db.to_vec())).map_err(failed)?,
            "state_in" => Tensor::from_array(([n, h], state.to_vec())).map_err(failed)?,
        ];
        let outputs = self.session.run(inputs).map_err(failed)?;
        let take = |name: &str, len: usize, dest: &mut Vec<f32>| -> Result<(), ModelError> {
            let (_, data) = outputs[name].try_extract_tensor::<f32>().map_err(failed)?;
            if data.len() != len {
                return Err(ModelError::Runtime(format!(
                    "decoder '{}' gave {} values for '{name}', expected {len}",
                    self.card.name,
                    data.len()
                )));
            }
            dest.clear();
            dest.extend_from_slice(data);
            Ok(())
        };
        take("amplitude", n * t, &mut out.amplitude)?;
        take("harmonics", n * t * self.card.harmonics, &mut out.harmonics)?;
        take("noise", n * t * self.card.noise_bands, &mut out.noise)?;
        let mut next = Vec::new();
        take("state_out", n * h, &mut next)?;
        state.copy_from_slice(&next);
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
