//! Luthier, the instrument: MIDI notes in, stereo audio out.

use super::params::InstrumentParams;
use super::shell::{Kind, Shell};
use crate::engine::Mode;
use nice_plug::prelude::*;

pub struct Instrument;

pub type Luthier = Shell<Instrument>;

impl Kind for Instrument {
    type Params = InstrumentParams;
    const MODE: Mode = Mode::Instrument;
    const NAME: &'static str = "Luthier";
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: None,
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];
    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;
    const MIDI_OUTPUT: MidiConfig = MidiConfig::None;
    const CLAP_ID: &'static str = "audio.luthier.instrument";
    const CLAP_DESCRIPTION: &'static str =
        "Neural (DDSP) instrument: plays MIDI with the sound of a trained instrument";
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::Instrument,
        ClapFeature::Synthesizer,
        ClapFeature::Stereo,
    ];
    const VST3_CLASS_ID: [u8; 16] = *b"LuthierInstrumnt";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Instrument,
        Vst3SubCategory::Synth,
        Vst3SubCategory::Stereo,
    ];
}
