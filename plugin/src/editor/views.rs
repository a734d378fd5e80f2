//! The live views, drawn with egui's painter: pitch and loudness over the last seconds (per
//! voice; for the effect, what it hears beside what it plays), the loudest voice's harmonic
//! distribution and noise spectrum, and the output meter.

use super::history::{History, Traces, SECONDS};
use crate::engine::scope::Trace;
use egui::{pos2, vec2, Align2, Color32, FontId, Painter, Pos2, Rect, Sense, Stroke, Ui};

/// One colour per voice.
const VOICE_COLOURS: [Color32; 8] = [
    Color32::from_rgb(255, 170, 60),
    Color32::from_rgb(90, 200, 250),
    Color32::from_rgb(140, 230, 120),
    Color32::from_rgb(240, 110, 170),
    Color32::from_rgb(200, 160, 255),
    Color32::from_rgb(250, 230, 90),
    Color32::from_rgb(90, 230, 200),
    Color32::from_rgb(250, 130, 110),
];
/// What the effect hears: wide and grey, under what it plays.
const HEARD_STROKE: Stroke = Stroke {
    width: 5.0,
    color: Color32::from_gray(90),
};
const GRID: Color32 = Color32::from_gray(55);
const BACKGROUND: Color32 = Color32::from_gray(22);

/// MIDI notes the pitch view spans: C2 to C7.
const LOW_KEY: f32 = 36.0;
const HIGH_KEY: f32 = 96.0;
/// dB the loudness view spans.
const LOW_DB: f32 = -80.0;
const HIGH_DB: f32 = 0.0;

fn frame(ui: &mut Ui, size: egui::Vec2, title: &str) -> (Rect, Painter) {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 3.0, BACKGROUND);
    painter.text(
        rect.left_top() + vec2(6.0, 3.0),
        Align2::LEFT_TOP,
        title,
        FontId::proportional(11.0),
        Color32::from_gray(170),
    );
    (rect, painter)
}

/// A scrolling trace: `value` of each frame, newest at the right; gaps where it is None.
fn trace(
    painter: &Painter,
    rect: Rect,
    history: &History,
    y: impl Fn(f32) -> f32,
    value: impl Fn(&Traces) -> Option<f32>,
    stroke: Stroke,
) {
    let count = history.traces.len();
    let slots = (SECONDS * crate::limits::FRAME_RATE_HZ as f32) as usize;
    let dx = rect.width() / slots as f32;
    let mut run: Vec<Pos2> = Vec::new();
    for (i, t) in history.traces.iter().enumerate() {
        let x = rect.right() - (count - i) as f32 * dx;
        match value(t) {
            Some(v) => run.push(pos2(x, y(v).clamp(rect.top(), rect.bottom()))),
            None => {
                if run.len() > 1 {
                    painter.line(std::mem::take(&mut run), stroke);
                }
                run.clear();
            }
        }
    }
    if run.len() > 1 {
        painter.line(run, stroke);
    }
}

/// A scrolling view of one quantity: `value` of the input (the effect) wide and grey, and of
/// each sounding voice in its colour, on a scale from `low` to `high` with labelled lines.
#[allow(clippy::too_many_arguments)]
fn scrolling(
    ui: &mut Ui,
    history: &History,
    size: egui::Vec2,
    title: &str,
    (low, high): (f32, f32),
    marks: &[(f32, String)],
    instrument: bool,
    value: impl Fn(&Trace) -> Option<f32>,
) {
    let (rect, painter) = frame(ui, size, title);
    let y = |v: f32| rect.bottom() - (v - low) / (high - low) * rect.height();
    for (at, label) in marks {
        painter.hline(rect.x_range(), y(*at), Stroke::new(1.0, GRID));
        painter.text(
            pos2(rect.right() - 4.0, y(*at)),
            Align2::RIGHT_BOTTOM,
            label,
            FontId::proportional(10.0),
            Color32::from_gray(120),
        );
    }
    if !instrument {
        trace(
            &painter,
            rect,
            history,
            y,
            |t| t.input.as_ref().and_then(&value),
            HEARD_STROKE,
        );
    }
    for (v, colour) in VOICE_COLOURS.iter().enumerate() {
        let voice = |t: &Traces| {
            Some(t.voices[v])
                .filter(|s| s.f0_hz > 0.0)
                .as_ref()
                .and_then(&value)
        };
        trace(&painter, rect, history, y, voice, Stroke::new(1.5, *colour));
    }
}

pub fn pitch(ui: &mut Ui, history: &History, size: egui::Vec2, instrument: bool) {
    let title = if instrument {
        "pitch, per voice"
    } else {
        "pitch: heard (grey) and played"
    };
    let marks: Vec<(f32, String)> = (0..=5)
        .map(|o| (LOW_KEY + 12.0 * o as f32, format!("C{}", o + 2)))
        .collect();
    let key = |t: &Trace| (t.f0_hz > 0.0).then(|| 69.0 + 12.0 * (t.f0_hz / 440.0).log2());
    scrolling(
        ui,
        history,
        size,
        title,
        (LOW_KEY, HIGH_KEY),
        &marks,
        instrument,
        key,
    );
}

pub fn loudness(ui: &mut Ui, history: &History, size: egui::Vec2, instrument: bool) {
    let title = if instrument {
        "loudness asked of the model, per voice (dB)"
    } else {
        "loudness: heard (grey) and played (dB)"
    };
    let marks: Vec<(f32, String)> = [-60.0f32, -40.0, -20.0]
        .iter()
        .map(|db| (*db, format!("{db:.0}")))
        .collect();
    scrolling(
        ui,
        history,
        size,
        title,
        (LOW_DB, HIGH_DB),
        &marks,
        instrument,
        |t| Some(t.loudness_db),
    );
}

/// The loudest voice's harmonic distribution (bars, in dB under the strongest) and its noise
/// filter (a line, in dB under its strongest band).
pub fn spectrum(ui: &mut Ui, history: &History, size: egui::Vec2) {
    let (rect, painter) = frame(ui, size, "harmonics (bars) and noise (line), loudest voice");
    let frame = &history.latest;
    let inner = rect.shrink2(vec2(6.0, 16.0));
    let y = |db: f32| inner.bottom() - ((db + 60.0) / 60.0).clamp(0.0, 1.0) * inner.height();
    let shown = frame.harmonic_count.min(60);
    let top = frame.harmonics[..shown]
        .iter()
        .fold(0.0f32, |m, h| m.max(*h));
    if shown > 0 && top > 0.0 {
        let width = inner.width() / shown as f32;
        for (k, h) in frame.harmonics[..shown].iter().enumerate() {
            let db = 20.0 * (h / top).max(1e-6).log10();
            let x = inner.left() + k as f32 * width;
            let bar =
                Rect::from_min_max(pos2(x + 0.5, y(db)), pos2(x + width - 0.5, inner.bottom()));
            painter.rect_filled(bar, 0.0, VOICE_COLOURS[0].gamma_multiply(0.8));
        }
    }
    let bands = frame.noise_count;
    let loudest = frame.noise[..bands].iter().fold(0.0f32, |m, n| m.max(*n));
    if bands > 1 && loudest > 0.0 {
        let points = frame.noise[..bands]
            .iter()
            .enumerate()
            .map(|(b, n)| {
                let x = inner.left() + b as f32 / (bands - 1) as f32 * inner.width();
                pos2(x, y(20.0 * (n / loudest).max(1e-6).log10()))
            })
            .collect();
        painter.line(points, Stroke::new(1.5, VOICE_COLOURS[1]));
    }
}

/// The output's peak level, a bar from -60 to 0 dBFS.
pub fn meter(ui: &mut Ui, history: &History, size: egui::Vec2) -> egui::Response {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 2.0, BACKGROUND);
    let level = ((history.meter_db + 60.0) / 60.0).clamp(0.0, 1.0);
    let filled = Rect::from_min_max(
        pos2(rect.left(), rect.bottom() - level * rect.height()),
        rect.max,
    );
    let colour = if history.meter_db > -1.0 {
        Color32::from_rgb(240, 80, 60)
    } else {
        Color32::from_rgb(110, 210, 110)
    };
    painter.rect_filled(filled, 2.0, colour);
    painter.text(
        pos2(rect.center().x, rect.top() + 2.0),
        Align2::CENTER_TOP,
        if history.meter_db <= -119.0 {
            "-inf".to_string()
        } else {
            format!("{:.0}", history.meter_db)
        },
        FontId::proportional(10.0),
        Color32::WHITE,
    );
    response
}
