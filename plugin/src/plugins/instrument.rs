//! Luthier, the instrument: MIDI notes in, stereo audio out.

use super::params::InstrumentParams;
use super::runner::Runner;
use crate::engine::Mode;
use nice_plug::prelude::*;
use std::sync::Arc;

pub struct Luthier {
    params: Arc<InstrumentParams>,
    runner: Runner,
}

impl Default for Luthier {
    fn default() -> Self {
        Self {
            params: Arc::default(),
            runner: Runner::new::<Self>(Mode::Instrument),
        }
    }
}

impl Plugin for Luthier {
    const NAME: &'static str = "Luthier";
    const VENDOR: &'static str = super::VENDOR;
    const URL: &'static str = super::URL;
    const EMAIL: &'static str = super::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: None,
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];
    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.runner
            .activate(layout, config, context, self.params.engine_params())
    }

    fn reset(&mut self) {
        self.runner.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.runner
            .process(buffer, context, self.params.engine_params())
    }
}

impl ClapPlugin for Luthier {
    const CLAP_ID: &'static str = "audio.luthier.instrument";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Neural (DDSP) instrument: plays MIDI with the sound of a trained instrument");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(super::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::Instrument,
        ClapFeature::Synthesizer,
        ClapFeature::Stereo,
    ];
}

impl Vst3Plugin for Luthier {
    const VST3_CLASS_ID: [u8; 16] = *b"LuthierInstrumnt";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Instrument,
        Vst3SubCategory::Synth,
        Vst3SubCategory::Stereo,
    ];
}
