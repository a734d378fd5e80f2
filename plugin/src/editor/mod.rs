//! The egui panel both plugins show: a header (name, model, presets, size), one panel per
//! parameter group drawn from the parameter table (`plugins::catalog`), live views of what the
//! plugin hears and plays (`views`), and a status line.
//!
//! Threads: the editor runs on the host's GUI thread. It reads the engine through atomics
//! (`engine::Telemetry`) and a lock-free queue of frames (`engine::scope`), and changes knobs
//! only through the host (`GuiContext`), so it never waits for the audio thread nor makes it
//! wait. The queue is filled only while an editor is open.

mod history;
mod panel;
mod views;

pub use panel::Panel;

use crate::engine::{scope, Telemetry};
use nice_plug::prelude::*;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// The panel's width at scale 1, in logical pixels, and its height for each plugin (the
/// instrument has more knobs).
pub const WIDTH: f64 = 1100.0;
pub const INSTRUMENT_HEIGHT: f64 = 680.0;
pub const EFFECT_HEIGHT: f64 = 600.0;
const MIN_WIDTH: f32 = 700.0;
const MIN_HEIGHT: f32 = 400.0;
/// The scales the size buttons step through.
pub const SCALES: [f32; 7] = [0.75, 0.85, 1.0, 1.15, 1.3, 1.5, 2.0];

/// The editor's own state, saved with the plugin's: its scale.
#[derive(Params)]
pub struct EditorState {
    #[persist = "editor-scale"]
    pub scale: RwLock<f32>,
}

impl Default for EditorState {
    fn default() -> Self {
        Self {
            scale: RwLock::new(1.0),
        }
    }
}

impl EditorState {
    pub fn set_scale(&self, scale: f32) {
        if let Ok(mut s) = self.scale.write() {
            *s = scale;
        }
    }

    pub fn scale(&self) -> f32 {
        let s = self.scale.read().map(|s| *s).unwrap_or(1.0);
        if s.is_finite() {
            s.clamp(SCALES[0], SCALES[SCALES.len() - 1])
        } else {
            1.0
        }
    }
}

/// What the editor needs from its plugin.
pub struct Parts {
    pub plugin: &'static str,
    /// Whether the plugin plays MIDI (the instrument) or its input (the effect).
    pub instrument: bool,
    pub params: Arc<dyn Params>,
    /// The models the Model knob lists, in its order.
    pub models: Arc<Vec<(String, PathBuf)>>,
    pub telemetry: Arc<Telemetry>,
    pub scope: Arc<Mutex<rtrb::Consumer<scope::Frame>>>,
    pub state: Arc<EditorState>,
}

/// The editor window's shared state: its size, and whether it is open (the audio thread reads
/// that to know whether anyone watches the live views).
pub fn window_state(instrument: bool) -> Arc<EguiEditorState> {
    EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(
            WIDTH,
            if instrument {
                INSTRUMENT_HEIGHT
            } else {
                EFFECT_HEIGHT
            },
        ),
        1.0,
    )
}

pub fn create(parts: Parts, window: Arc<EguiEditorState>) -> Option<EguiEditor<Panel>> {
    let title = parts.plugin.to_string();
    create_egui_editor(
        window,
        Default::default(),
        EguiNiceSettings {
            title,
            // Resizable, so that the size buttons (egui's zoom) can resize the window; the host
            // may resize it too, and the panel reflows.
            resize_hint: nice_plug::editor::ResizeHint::resizable().with_min_logical_size(
                nice_plug::editor::dpi::LogicalSize::new(MIN_WIDTH, MIN_HEIGHT),
            ),
            ..Default::default()
        },
        Panel::new(parts),
    )
}
