//! Luthier FX, the tone-transfer effect: monophonic audio in (mono or stereo), stereo out (or
//! mono out on a mono bus).

use super::params::EffectParams;
use super::runner::Runner;
use crate::engine::Mode;
use nice_plug::prelude::*;
use std::sync::Arc;

pub struct LuthierFx {
    params: Arc<EffectParams>,
    runner: Runner,
}

impl Default for LuthierFx {
    fn default() -> Self {
        Self {
            params: Arc::default(),
            runner: Runner::new::<Self>(Mode::Effect),
        }
    }
}

impl Plugin for LuthierFx {
    const NAME: &'static str = "Luthier FX";
    const VENDOR: &'static str = super::VENDOR;
    const URL: &'static str = super::URL;
    const EMAIL: &'static str = super::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        // For hosts that keep a mono track mono all the way through.
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

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

impl ClapPlugin for LuthierFx {
    const CLAP_ID: &'static str = "audio.luthier.fx";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Neural (DDSP) tone transfer: any monophonic audio played by a trained instrument");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(super::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::PitchShifter,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for LuthierFx {
    const VST3_CLASS_ID: [u8; 16] = *b"LuthierToneXferF";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::PitchShift,
        Vst3SubCategory::Stereo,
    ];
}
