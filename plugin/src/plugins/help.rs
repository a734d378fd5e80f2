//! What each knob does, in a musician's words: the editor's tooltips. Keyed by the knob's id; a
//! test checks that every knob of both plugins has one, so a knob added later cannot go without.

const HELP: &[(&str, &str)] = &[
    ("model", "The instrument you hear: a model trained on its recordings. Switching loads it in the background and takes over without a gap."),
    // Envelope
    ("attack", "How long a note takes to rise from silence when Envelope is on Knobs. A slow attack starts with the instrument's own soft sound, not a loud one turned down."),
    ("decay", "How long the note takes to settle from its peak to the sustain level."),
    ("sustain", "The level a held note settles at, below its peak."),
    ("release", "How long a note takes to die away after you let go (the time to fall 60 dB) when Envelope is on Knobs."),
    ("envelope", "Model: the instrument's own attack and release, measured on its recordings. Knobs: the Attack and Release knobs."),
    // MIDI
    ("bend_range", "How far the pitch wheel bends, in semitones each way. A controller's RPN 0 message overrides it for its channel."),
    ("mpe", "MIDI Polyphonic Expression: each note on its own channel, with its own bend, pressure and slide (CC74)."),
    ("mpe_bend", "How far a note's own pitch bend reaches under MPE, in semitones each way (48 is the MPE standard)."),
    ("mod_vibrato", "How much vibrato the mod wheel (CC1) adds at full travel, in cents."),
    ("at_dest", "What pressing harder (aftertouch) does: plays louder, brighter, or with more vibrato."),
    ("at_amount", "How much aftertouch does at full pressure."),
    ("voices", "Poly plays chords (up to 8 notes). Mono plays one note, the last one held. Legato also slurs overlapping notes: the pitch moves without a new attack, as a player slurs."),
    ("glide", "How long the pitch takes to slide to a new note in Mono and Legato."),
    // Expression
    ("volume", "How loud each note is played, on top of its velocity."),
    ("vol_fluct", "How much each note's level swells and ebbs while it is held."),
    ("peak_pos", "Where in a note its loudest moment falls: early for an accent, late for a crescendo."),
    ("vib_depth", "How wide the vibrato is, in cents either side of the note."),
    ("vib_rate", "How fast the vibrato goes, in cycles per second."),
    ("vib_delay", "How long a note is held before its vibrato begins (it fades in)."),
    ("brightness", "How bright each note sounds: its balance of high harmonics against the fundamental."),
    ("attack_noise", "How much breath, bow or lip noise each note starts with (its first 40 ms)."),
    // Timbre
    ("harm_gain", "The level of the instrument's tone (its harmonics). All the way down leaves only the breath."),
    ("noise_gain", "The level of the breath, bow or air noise beside the tone."),
    ("tilt", "Tilts the spectrum: up is brighter and thinner, down is darker and rounder."),
    ("dec_pitch", "Tells the model a note is higher or lower than it is: the timbre of another register, at the pitch you play."),
    ("dec_loud", "Tells the model a note is louder or softer than it is: the timbre of another dynamic, at the level you play."),
    ("width", "Spreads the sound across the stereo field; it still sums to the same mono sound."),
    // Output
    ("out_gain", "The plugin's output level."),
    ("reverb_mix", "How much of the built-in room you hear."),
    ("reverb_size", "How long the room rings (its reverberation time)."),
    ("bypass", "Passes the input through unchanged (the effect) or goes silent (the instrument)."),
    // Effect
    ("in_gain", "Raises or lowers the input before it is heard: match a quiet or hot recording to the model."),
    ("min_f0", "The lowest pitch the effect listens for. Set it just under the lowest note sung or played: lower settings react a little later."),
    ("max_f0", "The highest pitch the effect listens for."),
    ("gate", "Input quieter than this is silence: set it just over the room's noise, so that nothing plays between phrases."),
    ("look_ahead", "Waits this long for each note's pitch to settle, so that a note starts on its pitch instead of sliding into it from the attack's first guess. It adds to the latency (the host compensates when it plays back a track); keep it at 0 when you play live. Changing it restarts the plugin."),
    ("dry_wet", "How much of what you hear is the instrument; the rest is your input, delayed to line up with it."),
    // Pitch
    ("shift", "Plays everything this many semitones higher or lower (12 is an octave)."),
    ("fine", "Tunes the shift finely, in cents (100 cents is a semitone)."),
    ("pitch_glide", "Smooths the pitch you sing or play: a slow glide between notes and a calmer vibrato. 0 follows every movement."),
    ("scale", "Pulls the pitch to the nearest note of a scale (pitch correction), or Off. Custom uses the notes you list."),
    ("key", "The key of the correction's scale."),
    ("custom_notes", "The notes the Custom scale has: type them, e.g. C D E G A."),
    ("strength", "How far the pitch is pulled to the scale note: 100 % lands on it, 50 % goes half way."),
    ("retune", "How quickly the pitch is pulled to the scale note: 0 snaps at once (the hard-tuned sound), longer keeps the slides and scoops."),
];

/// The knob's tooltip.
pub fn tooltip(id: &str) -> Option<&'static str> {
    HELP.iter().find(|(k, _)| *k == id).map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::catalog::Catalog;
    use crate::plugins::params::{EffectParams, InstrumentParams};
    use std::sync::Arc;

    #[test]
    fn every_knob_of_both_plugins_has_a_tooltip() {
        let catalogs = [
            Catalog::new(Arc::new(InstrumentParams::default())),
            Catalog::new(Arc::new(EffectParams::default())),
        ];
        for catalog in &catalogs {
            for e in catalog.entries() {
                assert!(tooltip(&e.id).is_some(), "no tooltip for '{}'", e.id);
            }
        }
        // And no tooltip for a knob that is gone.
        for (id, _) in HELP {
            assert!(
                catalogs.iter().any(|c| c.by_id(id).is_some()),
                "tooltip for '{id}', which no plugin has"
            );
        }
    }
}
