//! Luthier FX, the tone-transfer effect: monophonic audio in (mono or stereo), stereo out (or
//! mono out on a mono bus).

use super::params::EffectParams;
use super::shell::{Kind, Shell};
use crate::engine::Mode;
use nice_plug::prelude::*;

pub struct Effect;

pub type LuthierFx = Shell<Effect>;

const fn layout(inputs: u32, outputs: u32) -> AudioIOLayout {
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(inputs),
        main_output_channels: NonZeroU32::new(outputs),
        ..AudioIOLayout::const_default()
    }
}

impl Kind for Effect {
    type Params = EffectParams;
    const MODE: Mode = Mode::Effect;
    const NAME: &'static str = "Luthier FX";
    // Stereo first: it is what a host picks by default. Mono to mono is for hosts that keep a
    // mono track mono all the way through.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[layout(2, 2), layout(1, 2), layout(1, 1)];
    const MIDI_INPUT: MidiConfig = MidiConfig::None;
    /// What it hears, as notes and pitch bends (`control::transcribe`).
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;
    const CLAP_ID: &'static str = "audio.luthier.fx";
    const CLAP_DESCRIPTION: &'static str =
        "Neural (DDSP) tone transfer: any monophonic audio played by a trained instrument";
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::PitchShifter,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
    const VST3_CLASS_ID: [u8; 16] = *b"LuthierToneXferF";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::PitchShift,
        Vst3SubCategory::Stereo,
    ];
}
