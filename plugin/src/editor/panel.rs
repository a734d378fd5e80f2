//! The panel itself: the header (name, model picker with each model's card, presets, size),
//! the parameter groups from the parameter table, the live views and the status line.

use super::history::History;
use super::{views, Parts, SCALES};
use crate::plugins::catalog::{Catalog, Entry};
use crate::plugins::help::tooltip;
use crate::plugins::presets::{self, Listed, Origin, Preset};
use egui::{vec2, Color32, RichText, Ui};
use nice_plug::context::gui::{GuiContext, ParamSetter};
use nice_plug::params::internals::ParamPtr;
use nice_plug_egui::widgets::ParamSlider;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Width of a knob's slider, in logical pixels.
const SLIDER: f32 = 100.0;

pub struct Panel {
    parts: Parts,
    catalog: Catalog,
    /// Each listed model's card, in words (the model picker's tooltips).
    cards: Vec<String>,
    context: Option<GuiContext>,
    history: History,
    presets: Vec<Listed>,
    /// The preset last loaded, as an index into `presets`.
    preset: Option<usize>,
    /// What the last preset action did, for the status line.
    message: String,
    new_name: String,
    cpu: CpuShare,
    /// `LUTHIER_EDITOR_LAYOUT`: where to write each knob's place on screen, for tests and
    /// automation that click on knobs.
    layout_file: Option<PathBuf>,
    layout: BTreeMap<String, [f32; 4]>,
    /// The header's buttons, likewise.
    places: BTreeMap<String, [f32; 4]>,
    layout_written: BTreeMap<String, [f32; 4]>,
    layout_at: Instant,
}

/// In the layout file: how many live frames the editor has taken in, so that a test can tell
/// that the views are fed.
const FRAMES_KEY: &str = "scope_frames";

/// The decoder thread's CPU time over the last second, as a share of one core.
struct CpuShare {
    since: Instant,
    cpu_ns: u64,
    share: f32,
}

impl CpuShare {
    fn update(&mut self, cpu_ns: u64) -> f32 {
        let elapsed = self.since.elapsed().as_secs_f64();
        if elapsed >= 1.0 {
            let used = cpu_ns.saturating_sub(self.cpu_ns) as f64 * 1e-9;
            self.share = (used / elapsed) as f32;
            self.since = Instant::now();
            self.cpu_ns = cpu_ns;
        }
        self.share
    }
}

impl Panel {
    pub fn new(parts: Parts) -> Self {
        let catalog = Catalog::new(parts.params.clone());
        let cards = parts
            .models
            .iter()
            .map(|(_, onnx)| card_summary(onnx))
            .collect();
        let (presets, problems) = presets::all(parts.plugin);
        Self {
            catalog,
            cards,
            context: None,
            history: History::default(),
            presets,
            preset: None,
            message: problems.join("; "),
            new_name: String::new(),
            cpu: CpuShare {
                since: Instant::now(),
                cpu_ns: 0,
                share: 0.0,
            },
            layout_file: std::env::var_os("LUTHIER_EDITOR_LAYOUT").map(PathBuf::from),
            layout: BTreeMap::new(),
            places: BTreeMap::new(),
            layout_written: BTreeMap::new(),
            layout_at: Instant::now(),
            parts,
        }
    }

    fn model_entry(&self) -> Option<&Entry> {
        self.catalog.by_id("model")
    }

    /// The model the Model knob picks now.
    fn current_model(&self) -> Option<&str> {
        let entry = self.model_entry()?;
        let index = entry.plain(entry.normalized()).round() as usize;
        self.parts.models.get(index).map(|(n, _)| n.as_str())
    }

    /// Sets a knob through the host, as a user's gesture: the host records and automates it.
    fn set(&self, ptr: ParamPtr, normalized: f32) {
        if let Some(context) = &self.context {
            // SAFETY: the pointer comes from this plugin's parameters, which the catalog keeps.
            unsafe {
                context.raw_begin_set_parameter(ptr);
                context.raw_set_parameter_normalized(ptr, normalized);
                context.raw_end_set_parameter(ptr);
            }
        }
    }

    fn load_preset(&mut self, index: usize) {
        let Some(listed) = self.presets.get(index) else {
            return;
        };
        let preset = listed.preset.clone();
        let (values, mut problems) = preset.values(&self.catalog);
        for (entry, normalized) in &values {
            self.set(entry.ptr(), *normalized);
        }
        match preset.model_in(&self.parts.models) {
            Some(Ok(i)) => {
                if let Some(entry) = self.model_entry() {
                    self.set(entry.ptr(), entry.normalize(i as f32));
                }
            }
            Some(Err(why)) => problems.push(format!(
                "{why}, so '{}' plays on",
                self.current_model().unwrap_or("the fixed spectrum")
            )),
            None => {}
        }
        self.preset = Some(index);
        self.message = if problems.is_empty() {
            format!("loaded preset '{}'", preset.name)
        } else {
            format!(
                "loaded preset '{}', but {}",
                preset.name,
                problems.join("; ")
            )
        };
    }

    fn save_preset(&mut self) {
        let name = self.new_name.trim().to_string();
        let preset = Preset::capture(
            &self.catalog,
            self.parts.plugin,
            &name,
            self.current_model().map(str::to_string),
        );
        match presets::save_user(&preset) {
            Ok(path) => {
                let (listed, _) = presets::all(self.parts.plugin);
                self.presets = listed;
                self.preset = self
                    .presets
                    .iter()
                    .position(|l| l.path.as_ref() == Some(&path));
                self.message = format!("saved preset '{name}' to {}", path.display());
                self.new_name.clear();
            }
            Err(why) => self.message = format!("could not save the preset: {why}"),
        }
    }

    fn header(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(self.parts.plugin).size(20.0).strong());
            ui.label(RichText::new(env!("CARGO_PKG_VERSION")).weak());
            ui.separator();
            ui.label("Model");
            let current = self.current_model().unwrap_or("(none)").to_string();
            let mut picked = None;
            egui::ComboBox::from_id_salt("model")
                .selected_text(&current)
                .width(150.0)
                .show_ui(ui, |ui| {
                    for (i, (name, _)) in self.parts.models.iter().enumerate() {
                        let item = ui.selectable_label(*name == current, name);
                        if item.on_hover_text(&self.cards[i]).clicked() {
                            picked = Some(i);
                        }
                    }
                })
                .response
                .on_hover_text(
                    self.parts
                        .models
                        .iter()
                        .position(|(n, _)| *n == current)
                        .map_or("No model: the fixed spectrum plays.", |i| {
                            self.cards[i].as_str()
                        }),
                );
            if let (Some(i), Some(entry)) = (picked, self.model_entry()) {
                self.set(entry.ptr(), entry.normalize(i as f32));
            }
            ui.separator();
            ui.label("Preset");
            let previous = ui.button("<").on_hover_text("Previous preset");
            self.place("preset_previous", &previous);
            if previous.clicked() && !self.presets.is_empty() {
                let n = self.presets.len();
                self.load_preset(self.preset.map_or(n - 1, |p| (p + n - 1) % n));
            }
            let shown = self
                .preset
                .and_then(|p| self.presets.get(p))
                .map_or("(none)".to_string(), |l| l.preset.name.clone());
            let mut chosen = None;
            egui::ComboBox::from_id_salt("preset")
                .selected_text(shown)
                .width(170.0)
                .show_ui(ui, |ui| {
                    for (i, l) in self.presets.iter().enumerate() {
                        let label = match l.origin {
                            Origin::Factory => l.preset.name.clone(),
                            Origin::User => format!("{} (yours)", l.preset.name),
                        };
                        let item = ui.selectable_label(self.preset == Some(i), label);
                        if item.on_hover_text(&l.preset.description).clicked() {
                            chosen = Some(i);
                        }
                    }
                });
            if let Some(i) = chosen {
                self.load_preset(i);
            }
            let next = ui.button(">").on_hover_text("Next preset");
            self.place("preset_next", &next);
            if next.clicked() && !self.presets.is_empty() {
                let n = self.presets.len();
                self.load_preset(self.preset.map_or(0, |p| (p + 1) % n));
            }
            let name = ui.add(
                egui::TextEdit::singleline(&mut self.new_name)
                    .hint_text("name")
                    .desired_width(90.0),
            );
            self.place("preset_name", &name);
            let can_save = !self.new_name.trim().is_empty();
            let save = ui
                .add_enabled(can_save, egui::Button::new("Save"))
                .on_hover_text("Save every knob and the model as a preset of yours");
            self.place("preset_save", &save);
            if save.clicked() {
                self.save_preset();
            }
            ui.separator();
            let scale = self.parts.state.scale();
            let step = SCALES
                .iter()
                .position(|s| (*s - scale).abs() < 1e-3)
                .unwrap_or(2);
            let smaller = ui.button("−").on_hover_text("Smaller");
            self.place("scale_down", &smaller);
            if smaller.clicked() && step > 0 {
                self.rescale(ui, SCALES[step - 1]);
            }
            ui.label(format!("{:.0} %", scale * 100.0));
            let larger = ui.button("+").on_hover_text("Larger");
            self.place("scale_up", &larger);
            if larger.clicked() && step + 1 < SCALES.len() {
                self.rescale(ui, SCALES[step + 1]);
            }
        });
    }

    /// Notes a widget's place for the layout file.
    fn place(&mut self, id: &str, response: &egui::Response) {
        if self.layout_file.is_some() {
            let ppp = response.ctx.pixels_per_point();
            let r = response.rect;
            self.places.insert(
                id.to_string(),
                [
                    r.min.x * ppp,
                    r.min.y * ppp,
                    r.width() * ppp,
                    r.height() * ppp,
                ],
            );
        }
    }

    fn rescale(&self, ui: &Ui, scale: f32) {
        self.parts.state.set_scale(scale);
        // egui-baseview resizes the window to match the zoom.
        ui.ctx().set_zoom_factor(scale);
    }

    fn groups(&mut self, ui: &mut Ui) {
        let Some(context) = self.context.clone() else {
            return;
        };
        let setter = context.param_setter();
        let groups: Vec<String> = self
            .catalog
            .groups()
            .into_iter()
            .map(str::to_string)
            .collect();
        // Three columns, each group whole, filled in order to even heights.
        let sizes: Vec<usize> = groups
            .iter()
            .map(|g| {
                self.catalog
                    .entries()
                    .iter()
                    .filter(|e| &e.group == g)
                    .count()
                    + 2
            })
            .collect();
        let total: usize = sizes.iter().sum();
        let mut columns: [Vec<usize>; 3] = Default::default();
        let (mut column, mut filled) = (0, 0);
        for (i, size) in sizes.iter().enumerate() {
            if column < 2 && filled > 0 && (filled + size / 2) * 3 > total * (column + 1) {
                column += 1;
            }
            columns[column].push(i);
            filled += size;
        }
        let mut rects = Vec::new();
        ui.columns(3, |cols| {
            for (c, ui) in cols.iter_mut().enumerate() {
                for &g in &columns[c] {
                    let group = &groups[g];
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.label(
                            RichText::new(group)
                                .strong()
                                .color(Color32::from_rgb(255, 190, 110)),
                        );
                        egui::Grid::new(group)
                            .num_columns(2)
                            .spacing(vec2(8.0, 3.0))
                            .show(ui, |ui| {
                                for entry in
                                    self.catalog.entries().iter().filter(|e| &e.group == group)
                                {
                                    let help = tooltip(&entry.id).unwrap_or("");
                                    ui.label(entry.name()).on_hover_text(help);
                                    let response = knob(ui, entry, &setter).on_hover_text(help);
                                    rects.push((entry.id.clone(), response.rect));
                                    ui.end_row();
                                }
                            });
                    });
                    ui.add_space(4.0);
                }
            }
        });
        let ppp = ui.ctx().pixels_per_point();
        self.layout = rects
            .into_iter()
            .map(|(id, r)| {
                (
                    id,
                    [
                        r.min.x * ppp,
                        r.min.y * ppp,
                        r.width() * ppp,
                        r.height() * ppp,
                    ],
                )
            })
            .chain(self.places.iter().map(|(k, v)| (k.clone(), *v)))
            .chain([(
                FRAMES_KEY.to_string(),
                [self.history.received as f32, 0.0, 0.0, 0.0],
            )])
            .collect();
    }

    fn views(&mut self, ui: &mut Ui) {
        let instrument = self.parts.instrument;
        let width = ui.available_width();
        ui.horizontal(|ui| {
            let plot = vec2((width - 40.0) / 3.0 - 6.0, 150.0);
            views::pitch(ui, &self.history, plot, instrument);
            views::loudness(ui, &self.history, plot, instrument);
            views::spectrum(ui, &self.history, plot);
            views::meter(ui, &self.history, vec2(24.0, 150.0)).on_hover_text("Output peak, dBFS");
        });
    }

    fn status(&mut self, ui: &mut Ui) {
        let stats = self.parts.telemetry.stats();
        let share = self.cpu.update(stats.decoder_cpu_ns);
        let latency_ms = if stats.sample_rate_hz > 0 {
            stats.latency_samples as f32 * 1000.0 / stats.sample_rate_hz as f32
        } else {
            0.0
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("latency {latency_ms:.1} ms"))
                .on_hover_text("What the plugin reports to the host, which it compensates");
            ui.separator();
            ui.label(format!("decoder CPU {:.1} %", share * 100.0))
                .on_hover_text("The model's share of one core over the last second");
            ui.separator();
            let late = RichText::new(format!("late frames {}", stats.decoder_underruns));
            ui.label(if stats.decoder_underruns > 0 {
                late.color(Color32::from_rgb(240, 160, 60))
            } else {
                late
            })
            .on_hover_text("Frames whose model reply came too late: they held the previous sound");
            ui.separator();
            ui.label(self.parts.telemetry.status());
        });
        if !self.message.is_empty() {
            ui.label(RichText::new(&self.message).weak());
        }
    }

    /// Writes the knobs' places when they moved (`LUTHIER_EDITOR_LAYOUT`).
    fn write_layout(&mut self) {
        let Some(path) = &self.layout_file else {
            return;
        };
        if self.layout == self.layout_written || self.layout.is_empty() {
            return;
        }
        // The frame count changes all the time; the places rarely.
        let places_moved = self
            .layout
            .iter()
            .any(|(k, v)| k != FRAMES_KEY && self.layout_written.get(k) != Some(v));
        if !places_moved && self.layout_at.elapsed().as_millis() < 200 {
            return;
        }
        if let Ok(text) = serde_json::to_string(&self.layout) {
            let part = path.with_extension("part");
            if std::fs::write(&part, text)
                .and_then(|()| std::fs::rename(&part, path))
                .is_ok()
            {
                self.layout_written = self.layout.clone();
                self.layout_at = Instant::now();
            }
        }
    }
}

/// A knob's slider (drag, shift-drag for fine steps, double-click or ctrl-click to reset, click
/// the value to type one).
fn knob(ui: &mut Ui, entry: &Entry, setter: &ParamSetter) -> egui::Response {
    // SAFETY: the pointer is into the plugin's parameters, which the catalog keeps alive.
    unsafe {
        match entry.ptr() {
            ParamPtr::FloatParam(p) => {
                ui.add(ParamSlider::for_param(&*p, setter).with_width(SLIDER))
            }
            ParamPtr::IntParam(p) => ui.add(ParamSlider::for_param(&*p, setter).with_width(SLIDER)),
            ParamPtr::BoolParam(p) => {
                ui.add(ParamSlider::for_param(&*p, setter).with_width(SLIDER))
            }
            ParamPtr::EnumParam(p) => {
                ui.add(ParamSlider::for_param(&*p, setter).with_width(SLIDER))
            }
        }
    }
}

/// A model's card in a sentence or two: instrument, playable range, training data.
fn card_summary(onnx: &std::path::Path) -> String {
    let card = onnx.with_extension("json");
    let Some(json) = std::fs::read_to_string(&card)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return format!(
            "{}: its card ({}) cannot be read",
            onnx.display(),
            card.display()
        );
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let note = |hz: f64| {
        let key = (69.0 + 12.0 * (hz / 440.0).log2()).round() as i32;
        const NAMES: [&str; 12] = [
            "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
        ];
        format!(
            "{}{}",
            NAMES[key.rem_euclid(12) as usize],
            key.div_euclid(12) - 1
        )
    };
    let range = json["f0_range_hz"]
        .as_array()
        .and_then(|r| Some((r.first()?.as_f64()?, r.get(1)?.as_f64()?)))
        .map_or(String::new(), |(lo, hi)| {
            format!("plays {} to {}", note(lo), note(hi))
        });
    let data = &json["training"]["data"];
    let trained = match (
        json["training"]["minutes"].as_f64(),
        data["soundfont"].as_str(),
    ) {
        (Some(minutes), Some(source)) => format!("trained for {minutes:.0} min on {source}"),
        (Some(minutes), None) => format!("trained for {minutes:.0} min"),
        _ => String::new(),
    };
    let seconds = data["seconds"].as_f64().map_or(String::new(), |s| {
        format!(", {:.0} min of recordings", s / 60.0)
    });
    [
        format!("{} ({})", text(&json["instrument"]), text(&json["name"])),
        range,
        format!("{trained}{seconds}"),
        text(&json["description"]),
    ]
    .into_iter()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join("\n")
}

impl nice_plug_egui::NiceEguiApp for Panel {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        egui_ctx.set_zoom_factor(self.parts.state.scale());
        self.context = Some(nice_gui_ctx);
        // Frames queued while closed are stale; the views start from now.
        if let Ok(mut scope) = self.parts.scope.lock() {
            while scope.pop().is_ok() {}
        }
        self.history = History::default();
        // Another instance may have saved presets since.
        let (presets, problems) = presets::all(self.parts.plugin);
        self.presets = presets;
        if !problems.is_empty() {
            self.message = problems.join("; ");
        }
        self.layout_written.clear();
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        if let Ok(mut scope) = self.parts.scope.lock() {
            while let Ok(frame) = scope.pop() {
                self.history.take(frame);
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.header(ui);
            ui.separator();
            self.views(ui);
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(ui.available_height() - 44.0)
                .show(ui, |ui| self.groups(ui));
            ui.separator();
            self.status(ui);
        });
        self.write_layout();
        // The views move while the plugin plays.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(33));
    }
}
