//! The one nice-plug plugin type both plugins are made of: a `Kind` supplies what differs (names,
//! ids, ports, parameters, engine mode); the shell forwards the host's calls to a `Runner`.

use super::model_choice::{self, Loader, ModelChoice, Task};
use super::runner::Runner;
use crate::editor;
use crate::engine::{self, scope, Mode};
use crate::limits;
use nice_plug::prelude::*;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// Parameters that can say what the engine should be set to.
pub trait EngineParams: Params + Default {
    /// Every knob, in the engine's terms, as it is now.
    fn engine_params(&self) -> engine::Params;
    /// The change an automation point makes: the knob's id hash and its normalised value.
    fn change(&self, hash: u32, normalized: f32) -> Option<engine::ParamChange>;
    fn model(&self) -> &ModelChoice;
    /// The editor's saved state (its size).
    fn editor(&self) -> &Arc<editor::EditorState>;
}

/// What distinguishes one Luthier plugin from the other.
pub trait Kind: Send + 'static {
    type Params: EngineParams;
    const MODE: Mode;
    const NAME: &'static str;
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout];
    const MIDI_INPUT: MidiConfig;
    const MIDI_OUTPUT: MidiConfig;
    const CLAP_ID: &'static str;
    const CLAP_DESCRIPTION: &'static str;
    const CLAP_FEATURES: &'static [ClapFeature];
    const VST3_CLASS_ID: [u8; 16];
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory];
}

pub struct Shell<K: Kind> {
    params: Arc<K::Params>,
    runner: Runner,
    /// The editor's end of the live views' queue (the runner has the other).
    scope: Arc<Mutex<rtrb::Consumer<scope::Frame>>>,
    /// The editor window's state, shared with the runner, which reads whether it is open.
    window: Arc<nice_plug_egui::EguiEditorState>,
    /// The background end of model switching, until `task_executor` takes it.
    loader: Option<Loader>,
    kind: PhantomData<K>,
}

impl<K: Kind> Default for Shell<K> {
    fn default() -> Self {
        let (switcher, loader) = model_choice::channel();
        let params: Arc<K::Params> = Arc::default();
        let telemetry = params.model().telemetry.clone();
        let (frames, scope) = scope::channel();
        let window = editor::window_state(K::MODE == Mode::Instrument);
        Self {
            params,
            runner: Runner::new::<Self>(K::MODE, switcher, telemetry, frames, window.clone()),
            scope: Arc::new(Mutex::new(scope)),
            window,
            loader: Some(loader),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> Plugin for Shell<K> {
    const NAME: &'static str = K::NAME;
    const VENDOR: &'static str = super::VENDOR;
    const URL: &'static str = super::URL;
    const EMAIL: &'static str = super::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = K::AUDIO_IO_LAYOUTS;
    const MIDI_INPUT: MidiConfig = K::MIDI_INPUT;
    const MIDI_OUTPUT: MidiConfig = K::MIDI_OUTPUT;

    type Editor = nice_plug_egui::EguiEditor<editor::Panel>;
    type SysExMessage = ();
    type BackgroundTask = Task;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let model = self.params.model();
        editor::create(
            editor::Parts {
                plugin: K::NAME,
                instrument: K::MODE == Mode::Instrument,
                params: self.params.clone(),
                models: model.listed.clone(),
                telemetry: model.telemetry.clone(),
                scope: self.scope.clone(),
                state: self.params.editor().clone(),
            },
            self.window.clone(),
        )
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        let params = self.params.clone();
        match self.loader.take() {
            Some(loader) => Box::new(move |task| loader.run(task, params.model(), K::NAME)),
            None => Box::new(|_| ()),
        }
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.runner.activate(
            layout,
            config,
            context,
            self.params.engine_params(),
            self.params.model(),
        )
    }

    fn reset(&mut self) {
        self.runner.reset();
    }

    fn deactivate(&mut self) {
        self.runner.deactivate::<Self>();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.runner.process(buffer, context, self.params.as_ref())
    }
}

impl<K: Kind> ClapPlugin for Shell<K> {
    const CLAP_ID: &'static str = K::CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(K::CLAP_DESCRIPTION);
    const CLAP_MANUAL_URL: Option<&'static str> = Some(super::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = K::CLAP_FEATURES;
}

impl<K: Kind> Vst3Plugin for Shell<K> {
    const VST3_CLASS_ID: [u8; 16] = K::VST3_CLASS_ID;
    const VST3_SAMPLE_RATES: (f32, f32) = (limits::MIN_SAMPLE_RATE, limits::MAX_SAMPLE_RATE);
    const VST3_MIDI_CCS: &'static [u8] = &crate::control::channels::cc::READ;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = K::VST3_SUBCATEGORIES;
}
