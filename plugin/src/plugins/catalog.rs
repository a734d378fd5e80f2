//! The one table of a plugin's parameters, read from its `Params` (nice-plug's `param_map`), so
//! that the editor's panels, the presets and the command line's `--set NAME=VALUE` all see the
//! same knobs with the same names, units, ranges and groups, and a knob added to a parameter
//! struct appears in all of them without another list to keep in step.
//!
//! Values are given and shown as the editor shows them: "120 ms", "-6 dB", "25 %", "1.25x",
//! "Legato", "On". A value outside the knob's range is refused (with the range), not clamped:
//! a typo in a batch job should stop it, not play something else.

use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::*;
use std::sync::Arc;

/// One knob of the table.
#[derive(Clone)]
pub struct Entry {
    /// Its stable id (what the host's state and the presets store).
    pub id: String,
    /// The panel it sits in; empty for the header's (the Model).
    pub group: String,
    ptr: ParamPtr,
}

// SAFETY: a ParamPtr points into the plugin's `Params`, which the catalog keeps alive (`Arc`);
// nice-plug's parameters are themselves shared across threads (atomics inside).
unsafe impl Send for Entry {}
unsafe impl Sync for Entry {}

/// What kind of value a knob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Continuous,
    Whole,
    Switch,
    Choice,
}

pub struct Catalog {
    /// Keeps the parameters the entries point into alive.
    _params: Arc<dyn Params>,
    entries: Vec<Entry>,
}

impl Catalog {
    pub fn new(params: Arc<dyn Params>) -> Self {
        let entries = params
            .param_map()
            .into_iter()
            .map(|(id, ptr, group)| Entry { id, group, ptr })
            .collect();
        Self {
            _params: params,
            entries,
        }
    }

    /// Every knob, in the order of the parameter structs.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The groups, in the order their first knob appears.
    pub fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !e.group.is_empty() && !groups.contains(&e.group.as_str()) {
                groups.push(&e.group);
            }
        }
        groups
    }

    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The knob called `name` as the editor shows it (any case), or by its id; an unknown name
    /// is an error that lists every knob with its range.
    pub fn find(&self, name: &str) -> Result<&Entry, String> {
        let wanted = name.trim();
        self.entries
            .iter()
            .find(|e| e.name().eq_ignore_ascii_case(wanted) || e.id == wanted)
            .ok_or_else(|| {
                format!(
                    "no parameter called '{wanted}'; they are:\n{}",
                    self.listing()
                )
            })
    }

    /// Every knob, one per line: group, name, range and default.
    pub fn listing(&self) -> String {
        self.entries
            .iter()
            .map(|e| {
                let group = if e.group.is_empty() { "-" } else { &e.group };
                format!(
                    "  {group:<10} {:<22} {} (default {})",
                    e.name(),
                    e.range_text(),
                    e.show(e.default_normalized())
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Entry {
    pub fn ptr(&self) -> ParamPtr {
        self.ptr
    }

    pub fn name(&self) -> &str {
        // SAFETY (this and every call below): the catalog owning the entry keeps the
        // parameters alive; entries are only handed out by reference to it or cloned with it.
        unsafe { self.ptr.name() }
    }

    pub fn unit(&self) -> &'static str {
        unsafe { self.ptr.unit() }
    }

    pub fn kind(&self) -> Kind {
        match self.ptr {
            ParamPtr::FloatParam(_) => Kind::Continuous,
            ParamPtr::IntParam(_) => Kind::Whole,
            ParamPtr::BoolParam(_) => Kind::Switch,
            ParamPtr::EnumParam(_) => Kind::Choice,
        }
    }

    pub fn flags(&self) -> ParamFlags {
        unsafe { self.ptr.flags() }
    }

    pub fn normalized(&self) -> f32 {
        unsafe { self.ptr.unmodulated_normalized_value() }
    }

    pub fn default_normalized(&self) -> f32 {
        unsafe { self.ptr.default_normalized_value() }
    }

    /// The plain value (ms, dB, the choice's index, 0 or 1) a normalised value stands for.
    pub fn plain(&self, normalized: f32) -> f32 {
        unsafe { self.ptr.preview_plain(normalized) }
    }

    pub fn normalize(&self, plain: f32) -> f32 {
        unsafe { self.ptr.preview_normalized(plain) }
    }

    /// A normalised value as the editor shows it, with its unit.
    pub fn show(&self, normalized: f32) -> String {
        unsafe { self.ptr.normalized_value_to_string(normalized, true) }
    }

    /// The choices of a Choice or Switch knob, in order.
    pub fn choices(&self) -> Vec<String> {
        match self.kind() {
            Kind::Choice | Kind::Switch => {
                let steps = unsafe { self.ptr.step_count() }.unwrap_or(1).max(1);
                (0..=steps)
                    .map(|i| self.show(i as f32 / steps as f32))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// "1 ms to 3000 ms", or the choices.
    pub fn range_text(&self) -> String {
        match self.kind() {
            Kind::Choice | Kind::Switch => self.choices().join(" | "),
            _ => format!("{} to {}", self.show(0.0), self.show(1.0)),
        }
    }

    /// Sets the knob directly, outside any host (the command line's renders). A plugin sets
    /// its knobs through the host instead (`GuiContext`), so that the host records the change.
    pub fn set_offline(&self, normalized: f32) {
        unsafe {
            self.ptr._internal_set_normalized_value(normalized);
        }
    }

    /// Reads a value as the editor shows it ("120 ms", "120", "Legato", "on") into the knob's
    /// normalised value; refuses what the knob cannot take, saying what it can.
    pub fn parse(&self, text: &str) -> Result<f32, String> {
        let text = text.trim();
        let refuse = |why: &str| format!("{}: {why} ({})", self.name(), self.range_text());
        match self.kind() {
            Kind::Switch => match text.to_ascii_lowercase().as_str() {
                "on" | "true" | "1" | "yes" => Ok(1.0),
                "off" | "false" | "0" | "no" => Ok(0.0),
                _ => Err(refuse(&format!("'{text}' is not on or off"))),
            },
            Kind::Choice => self
                .choices()
                .iter()
                .position(|c| c.eq_ignore_ascii_case(text))
                .map(|i| {
                    let steps = self.choices().len().saturating_sub(1).max(1);
                    i as f32 / steps as f32
                })
                .ok_or_else(|| refuse(&format!("'{text}' is not one of the choices"))),
            Kind::Continuous | Kind::Whole => {
                let read = unsafe { self.ptr.string_to_normalized_value(text) };
                let Some(number) = leading_number(text) else {
                    // A knob that shows names for numbers (the Model) reads them too.
                    return read.ok_or_else(|| refuse(&format!("'{text}' is not a number")));
                };
                // "120ms" as well as "120 ms": the knob's own parser wants its unit as shown.
                let normalized = read
                    .or_else(|| unsafe {
                        let spaced = format!("{}{}", &text[..number_end(text)], self.unit());
                        self.ptr.string_to_normalized_value(&spaced)
                    })
                    .ok_or_else(|| refuse(&format!("'{text}' is not a value it reads")))?;
                // The knob's parser clamps; a number past either end is refused instead. The
                // ends are compared as they are shown, in the units the number was typed in.
                let (low, high) = (self.shown_number(0.0), self.shown_number(1.0));
                let (low, high) = (low.min(high), low.max(high));
                let slack = 1e-3 * (high - low).abs().max(1.0);
                if number < low - slack || number > high + slack {
                    return Err(refuse(&format!("{text} is out of range")));
                }
                Ok(normalized)
            }
        }
    }

    /// The number the editor shows at this normalised value (without its unit).
    fn shown_number(&self, normalized: f32) -> f32 {
        let shown = unsafe { self.ptr.normalized_value_to_string(normalized, false) };
        leading_number(&shown).unwrap_or(f32::NAN)
    }
}

/// Where the number at the start of "120 ms", "-6.5dB", "1.25x", "25 %" ends.
fn number_end(text: &str) -> usize {
    text.char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || ((*c == '-' || *c == '+') && *i == 0)))
        .map_or(text.len(), |(i, _)| i)
}

fn leading_number(text: &str) -> Option<f32> {
    text[..number_end(text)].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::params::{EffectParams, InstrumentParams};

    fn instrument() -> Catalog {
        Catalog::new(Arc::new(InstrumentParams::default()))
    }

    #[test]
    fn every_knob_is_in_a_group_but_the_model() {
        for catalog in [
            instrument(),
            Catalog::new(Arc::new(EffectParams::default())),
        ] {
            for e in catalog.entries() {
                assert_eq!(
                    e.group.is_empty(),
                    e.id == "model",
                    "{} in '{}'",
                    e.id,
                    e.group
                );
            }
        }
        assert_eq!(
            instrument().groups(),
            ["Envelope", "MIDI", "Expression", "Timbre", "Output"]
        );
    }

    #[test]
    fn values_read_as_shown_and_out_of_range_ones_are_refused() {
        let c = instrument();
        let attack = c.find("attack").unwrap();
        for text in ["120 ms", "120", "120ms"] {
            let n = attack.parse(text).unwrap();
            assert!((attack.plain(n) - 120.0).abs() < 0.01, "{text}");
        }
        let err = attack.parse("5000 ms").unwrap_err();
        assert!(
            err.contains("out of range") && err.contains("3000"),
            "{err}"
        );
        assert!(attack.parse("fast").is_err());
        let mix = c.find("Reverb Mix").unwrap();
        assert!((mix.plain(mix.parse("25 %").unwrap()) - 0.25).abs() < 1e-6);
        assert!(mix.parse("150").is_err());
        let gain = c.find("Output Gain").unwrap();
        assert!((gain.plain(gain.parse("-6 dB").unwrap()) + 6.0).abs() < 1e-4);
        assert!(gain.parse("-61").is_err());
        let voices = c.find("voices").unwrap();
        assert_eq!(voices.choices(), ["Poly", "Mono", "Legato"]);
        assert_eq!(voices.parse("legato"), Ok(1.0));
        assert!(voices
            .parse("duo")
            .unwrap_err()
            .contains("Poly | Mono | Legato"));
        let mpe = c.find("MPE").unwrap();
        assert_eq!(mpe.parse("on"), Ok(1.0));
        assert!(mpe.parse("maybe").is_err());
        let brightness = c.find("Brightness").unwrap();
        assert!((brightness.plain(brightness.parse("1.25x").unwrap()) - 1.25).abs() < 1e-4);
        assert!(brightness.parse("3x").is_err());
        let bend = c.find("Bend Range").unwrap();
        assert_eq!(bend.plain(bend.parse("12 st").unwrap()), 12.0);
        assert!(bend.parse("49").is_err());
    }

    #[test]
    fn an_unknown_name_lists_every_knob() {
        let c = instrument();
        let err = c.find("Atack").map(|_| ()).unwrap_err();
        for e in c.entries() {
            assert!(err.contains(e.name()), "{} missing from\n{err}", e.name());
        }
    }
}
