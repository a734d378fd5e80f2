//! A small CLAP host on `clack-host`: loads a `.clap`, lists its plugins, activates one at a
//! given rate and block size, and renders audio, notes and automation through it with any block
//! pattern, paced as a host paces it: back to back (rendering ahead, exporting) or at wall-clock
//! time (live playback). It also saves and loads the plugin's state, as a DAW's project does.

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::{
    GuiApiType, GuiConfiguration, GuiSize, HostGui, HostGuiImpl, PluginGui, Window,
};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{
    MidiEvent, NoteExpressionEvent, NoteExpressionType, NoteOffEvent, NoteOnEvent, ParamValueEvent,
    TransportEvent, TransportFlags,
};
use clack_host::events::Match;
use clack_host::events::{EventFlags, EventHeader};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct TestHostShared {
    /// The editor's last request to be resized (it asks when its size changes).
    editor_resize: Mutex<Option<(u32, u32)>>,
    /// The plugin asked for a call on the main thread (`on_main_thread`), which the host makes
    /// between blocks (its GUI posts work there, such as a resize request).
    callback_requested: AtomicBool,
    /// The plugin asked to be deactivated and activated again (a test does it, with
    /// `activate`, when it wants what a host would do).
    restart_requested: AtomicBool,
}

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

// The editor's window is the plugin's to size (the test host embeds it and never resizes).
impl HostGuiImpl for TestHostShared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, new_size: GuiSize) -> Result<(), HostError> {
        if let Ok(mut last) = self.editor_resize.lock() {
            *last = Some((new_size.width, new_size.height));
        }
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

// Changes the editor makes go out with the next `process`, which the tests keep calling.
impl HostParamsImplShared for TestHostShared {
    fn request_flush(&self) {}
}

pub struct TestHostMainThread;

impl MainThreadHandler<'_> for TestHostMainThread {}

impl HostParamsImplMainThread for TestHostMainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostLatencyImpl for TestHostMainThread {
    fn changed(&self) {}
}

pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = TestHostMainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLatency>()
            .register::<HostGui>()
            .register::<HostParams>();
    }
}

/// What a plugin's descriptor says about it.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub features: Vec<String>,
}

pub struct ClapBundle {
    entry: PluginEntry,
}

impl ClapBundle {
    /// Loads a bundle and keeps it loaded until the process exits, as DAWs do. Unloading is
    /// not safe while other threads that called into the plugin live on: Rust's std inside the
    /// plugin registers a thread-exit destructor (nice-plug's wrapper calls
    /// `thread::current()` on host threads), which would then jump into unmapped code.
    pub fn load(path: &Path) -> Result<Self, String> {
        static KEEP_LOADED: Mutex<Vec<PluginEntry>> = Mutex::new(Vec::new());
        // SAFETY: loading runs the library's initialisers; the bundle is our own build.
        let entry = unsafe { PluginEntry::load(path) }
            .map_err(|e| format!("loading {}: {e:?}", path.display()))?;
        KEEP_LOADED.lock().unwrap().push(entry.clone());
        Ok(Self { entry })
    }

    pub fn descriptors(&self) -> Vec<Descriptor> {
        let text = |s: Option<&std::ffi::CStr>| {
            s.map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let factory = self
            .entry
            .get_plugin_factory()
            .expect("bundle has a plugin factory");
        factory
            .plugin_descriptors()
            .map(|d| Descriptor {
                id: text(d.id()),
                name: text(d.name()),
                vendor: text(d.vendor()),
                version: text(d.version()),
                features: d
                    .features()
                    .map(|f| f.to_string_lossy().into_owned())
                    .collect(),
            })
            .collect()
    }

    pub fn instantiate(&self, id: &str) -> Result<ClapPlugin, String> {
        let host_info = HostInfo::new(
            "Luthier test host",
            "Luthier",
            "https://example.invalid",
            "0.1.0",
        )
        .map_err(|e| format!("{e:?}"))?;
        let id = CString::new(id).unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| TestHostShared::default(),
            |_| TestHostMainThread,
            &self.entry,
            &id,
            &host_info,
        )
        .map_err(|e| format!("instantiating {id:?}: {e:?}"))?;
        Ok(ClapPlugin {
            instance,
            processor: None,
            input_channels: 0,
            output_channels: 0,
            max_block: 0,
            sample_rate: 0.0,
            pacing: Pacing::BackToBack,
            pending_params: Vec::new(),
            pending_events: Vec::new(),
            transport: None,
            sent: Vec::new(),
        })
    }
}

/// A note to play: key, velocity, and the sample positions of its note-on and note-off.
#[derive(Debug, Clone, Copy)]
pub struct Note {
    pub key: u8,
    pub velocity: f64,
    pub on: usize,
    pub off: usize,
}

/// A note event the plugin sent out (its note output port), at a sample of the render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sent {
    NoteOn {
        at: usize,
        key: u8,
        velocity: f64,
    },
    NoteOff {
        at: usize,
        key: u8,
    },
    /// A MIDI 1 message (pitch bend, controllers).
    Midi {
        at: usize,
        bytes: [u8; 3],
    },
}

/// How the host calls `process`, one block after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// As fast as the plugin returns: a host rendering ahead of playback or exporting (in
    /// realtime or offline render mode, whichever the plugin was activated with).
    BackToBack,
    /// Each block when its audio would be due at the sample rate: live playback.
    WallClock,
}

/// One event of a block, before it is written to the host's event buffer.
#[derive(Debug, Clone, Copy)]
enum BlockEvent {
    Param(ClapId, f64),
    NoteOn(Note),
    NoteOff(Note),
    /// A raw MIDI 1 message (CLAP_EVENT_MIDI), as hosts send controllers and pitch bend.
    Midi([u8; 3]),
    /// A CLAP note expression for (channel, key).
    Expression(u8, u8, NoteExpressionType, f64),
}

pub struct ClapPlugin {
    instance: PluginInstance<TestHost>,
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    pub input_channels: usize,
    pub output_channels: usize,
    max_block: usize,
    sample_rate: f64,
    pacing: Pacing,
    /// Parameter changes for the next render: (sample, id, value), sent inside the block that
    /// holds the sample, at its offset.
    pending_params: Vec<(usize, ClapId, f64)>,
    /// MIDI messages and note expressions for the next render, likewise.
    pending_events: Vec<(usize, BlockEvent)>,
    /// The transport every block reports (None: the host has none), and the sample from which
    /// it stops playing.
    transport: Option<(bool, Option<usize>)>,
    /// What the plugin sent out during the last render.
    pub sent: Vec<Sent>,
}

impl ClapPlugin {
    fn port_channels(&mut self, is_input: bool) -> usize {
        let mut handle = self.instance.plugin_handle();
        let Some(ports) = handle.get_extension::<PluginAudioPorts>() else {
            return 0;
        };
        let mut buffer = AudioPortInfoBuffer::default();
        // Only the main port (index 0) is used by Luthier.
        if ports.count(&mut handle, is_input) == 0 {
            return 0;
        }
        ports
            .get(&mut handle, 0, is_input, &mut buffer)
            .map_or(0, |info| info.channel_count as usize)
    }

    /// Chooses the plugin's port layout with these main-port channel counts (0 = no port), as a
    /// DAW does for a mono or stereo track. Deactivates first, as CLAP requires.
    pub fn select_layout(&mut self, inputs: u32, outputs: u32) -> Result<(), String> {
        self.deactivate();
        let mut handle = self.instance.plugin_handle();
        let configs = handle
            .get_extension::<PluginAudioPortsConfig>()
            .ok_or("no audio-ports-config")?;
        let mut buffer = AudioPortsConfigBuffer::default();
        for index in 0..configs.count(&mut handle) {
            let Some(config) = configs.get(&mut handle, index, &mut buffer) else {
                continue;
            };
            let channels = |port: Option<u32>| port.unwrap_or(0);
            if channels(config.main_input.as_ref().map(|p| p.channel_count)) == inputs
                && channels(config.main_output.as_ref().map(|p| p.channel_count)) == outputs
            {
                let id = config.id;
                return configs
                    .select(&mut handle, id)
                    .map_err(|e| format!("select: {e:?}"));
            }
        }
        Err(format!(
            "no layout with {inputs} inputs and {outputs} outputs"
        ))
    }

    /// Tells the plugin whether the next activation renders offline (CLAP's render extension),
    /// as a DAW does for an export. Deactivates first.
    pub fn set_offline(&mut self, offline: bool) -> Result<(), String> {
        self.deactivate();
        let mut handle = self.instance.plugin_handle();
        let render = handle
            .get_extension::<PluginRender>()
            .ok_or("no render extension")?;
        let mode = if offline {
            RenderMode::Offline
        } else {
            RenderMode::Realtime
        };
        render
            .set(&mut handle, mode)
            .map_err(|e| format!("render mode: {e:?}"))
    }

    /// Activates and starts processing. Returns an error if the plugin refuses the setup.
    pub fn activate(&mut self, sample_rate: f64, max_block: usize) -> Result<(), String> {
        self.deactivate();
        self.input_channels = self.port_channels(true);
        self.output_channels = self.port_channels(false);
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .map_err(|e| format!("activate at {sample_rate} Hz, {max_block} frames: {e:?}"))?;
        let started = stopped
            .start_processing()
            .map_err(|e| format!("start_processing: {e:?}"))?;
        self.processor = Some(started);
        self.max_block = max_block;
        self.sample_rate = sample_rate;
        Ok(())
    }

    pub fn deactivate(&mut self) {
        if let Some(processor) = self.processor.take() {
            self.instance.deactivate(processor.stop_processing());
        }
    }

    /// The id of the parameter shown as `name` (e.g. "Reverb Mix").
    pub fn param_id(&mut self, name: &str) -> Option<ClapId> {
        let mut handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>()?;
        let mut buffer = ParamInfoBuffer::default();
        (0..params.count(&mut handle)).find_map(|i| {
            let info = params.get_info(&mut handle, i, &mut buffer)?;
            (info.name == name.as_bytes()).then_some(info.id)
        })
    }

    /// Sets a parameter as the next render starts, the way a host sends automation. The value
    /// is in CLAP's terms for the parameter: nice-plug gives continuous parameters a 0..1
    /// (normalised) range, so 0.0 is the parameter's minimum and 1.0 its maximum.
    pub fn set_param(&mut self, id: ClapId, value: f64) {
        self.set_param_at(0, id, value);
    }

    /// Sets a parameter at sample `at` of the next render (an automation point inside a block).
    pub fn set_param_at(&mut self, at: usize, id: ClapId, value: f64) {
        self.pending_params.push((at, id, value));
        self.pending_params.sort_by_key(|&(at, _, _)| at);
    }

    /// The parameter's current value, in CLAP's terms (see `set_param`).
    /// Reports a transport in every block of the next renders: playing, until the block that
    /// holds sample `stop_at` of the next render (None: it keeps playing).
    pub fn set_transport(&mut self, playing: bool, stop_at: Option<usize>) {
        self.transport = Some((playing, stop_at));
    }

    /// The host's reset (a transport jump): the plugin clears its voices and state.
    pub fn reset(&mut self) {
        if let Some(processor) = self.processor.as_mut() {
            processor.reset();
        }
    }

    /// Sends the MIDI 1 message `bytes` at sample `at` of the next render.
    pub fn midi_at(&mut self, at: usize, bytes: [u8; 3]) {
        self.pending_events.push((at, BlockEvent::Midi(bytes)));
    }

    /// Sends a note expression to (channel, key) at sample `at` of the next render.
    pub fn note_expression_at(
        &mut self,
        at: usize,
        channel: u8,
        key: u8,
        kind: NoteExpressionType,
        value: f64,
    ) {
        self.pending_events
            .push((at, BlockEvent::Expression(channel, key, kind, value)));
    }

    pub fn param_value(&mut self, id: ClapId) -> Option<f64> {
        let mut handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>()?;
        params.get_value(&mut handle, id)
    }

    /// Every parameter's name and id.
    /// The parameter's default, as `param_value` reports values.
    pub fn param_default(&mut self, id: ClapId) -> Option<f64> {
        let mut handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>()?;
        let mut buffer = ParamInfoBuffer::default();
        (0..params.count(&mut handle))
            .filter_map(|i| {
                params
                    .get_info(&mut handle, i, &mut buffer)
                    .map(|info| (info.id, info.default_value))
            })
            .find(|(i, _)| *i == id)
            .map(|(_, default)| default)
    }

    pub fn params(&mut self) -> Vec<(String, ClapId)> {
        let mut handle = self.instance.plugin_handle();
        let Some(params) = handle.get_extension::<PluginParams>() else {
            return Vec::new();
        };
        let mut buffer = ParamInfoBuffer::default();
        (0..params.count(&mut handle))
            .filter_map(|i| {
                let info = params.get_info(&mut handle, i, &mut buffer)?;
                Some((String::from_utf8_lossy(info.name).into_owned(), info.id))
            })
            .collect()
    }

    /// The id of the parameter flagged as the host's bypass (`CLAP_PARAM_IS_BYPASS`).
    pub fn bypass_param_id(&mut self) -> Option<ClapId> {
        let mut handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>()?;
        let mut buffer = ParamInfoBuffer::default();
        (0..params.count(&mut handle)).find_map(|i| {
            let info = params.get_info(&mut handle, i, &mut buffer)?;
            info.flags
                .contains(ParamInfoFlags::IS_BYPASS)
                .then_some(info.id)
        })
    }

    /// The plugin's state, as a DAW saves it with the project.
    pub fn save_state(&mut self) -> Result<Vec<u8>, String> {
        let mut handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .ok_or("no state extension")?;
        let mut bytes = Vec::new();
        state
            .save(&mut handle, &mut bytes)
            .map_err(|e| format!("saving state: {e:?}"))?;
        Ok(bytes)
    }

    /// Loads a saved state, as a DAW does when it opens a project.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .ok_or("no state extension")?;
        state
            .load(&mut handle, &mut &bytes[..])
            .map_err(|e| format!("loading state: {e:?}"))
    }

    /// Opens the plugin's editor embedded in the X11 window `parent` (the CLAP gui extension, as
    /// a DAW embeds it); returns its size in pixels.
    pub fn open_editor(&mut self, parent: u32) -> Result<(u32, u32), String> {
        let mut handle = self.instance.plugin_handle();
        let gui = handle
            .get_extension::<PluginGui>()
            .ok_or("the plugin has no CLAP gui extension")?;
        let config = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        if !gui.is_api_supported(&mut handle, config) {
            return Err("the plugin's editor does not embed in X11".into());
        }
        gui.create(&mut handle, config)
            .map_err(|e| format!("gui.create: {e:?}"))?;
        let size = gui.get_size(&mut handle).ok_or("gui.get_size failed")?;
        // SAFETY: the window exists for as long as the editor is open (the test closes first).
        unsafe { gui.set_parent(&mut handle, Window::from_x11_handle(parent as _)) }
            .map_err(|e| format!("gui.set_parent: {e:?}"))?;
        gui.show(&mut handle)
            .map_err(|e| format!("gui.show: {e:?}"))?;
        Ok((size.width, size.height))
    }

    /// The size the editor last asked to be (None: it has not asked).
    pub fn editor_resize_request(&self) -> Option<(u32, u32)> {
        self.instance
            .access_shared_handler(|h| h.editor_resize.lock().ok().and_then(|r| *r))
    }

    /// Whether the plugin asked for a restart since the last call.
    pub fn take_restart_request(&self) -> bool {
        self.instance
            .access_shared_handler(|h| h.restart_requested.swap(false, Ordering::SeqCst))
    }

    pub fn close_editor(&mut self) {
        let mut handle = self.instance.plugin_handle();
        if let Some(gui) = handle.get_extension::<PluginGui>() {
            gui.destroy(&mut handle);
        }
    }

    /// How the following renders call `process`.
    pub fn set_pacing(&mut self, pacing: Pacing) {
        self.pacing = pacing;
    }

    pub fn latency(&mut self) -> u32 {
        let mut handle = self.instance.plugin_handle();
        handle
            .get_extension::<PluginLatency>()
            .map_or(0, |l| l.get(&mut handle))
    }

    /// Renders `frames` samples, cutting them into blocks taken from `block_sizes` (cycled, each
    /// clamped to the activated maximum). `input` holds one signal per input channel (or is
    /// empty). Returns one signal per output channel.
    pub fn render(
        &mut self,
        input: &[Vec<f32>],
        frames: usize,
        notes: &[Note],
        block_sizes: &[usize],
    ) -> Vec<Vec<f32>> {
        self.sent.clear();
        let params = std::mem::take(&mut self.pending_params);
        let mut others = std::mem::take(&mut self.pending_events);
        others.sort_by_key(|(at, _)| *at);
        let mut next_other = 0usize;
        let (pacing, sample_rate) = (self.pacing, self.sample_rate);
        let processor = self.processor.as_mut().expect("activate() first");
        let mut events: Vec<(usize, bool, Note)> = Vec::new();
        for n in notes {
            events.push((n.on, true, *n));
            events.push((n.off, false, *n));
        }
        // Note-offs before note-ons at the same sample, as a sequencer sends a repeated note.
        events.sort_by_key(|&(at, is_on, _)| (at, is_on));

        let mut output = vec![vec![0.0f32; frames]; self.output_channels];
        let mut in_block = vec![vec![0.0f32; self.max_block]; self.input_channels];
        let mut out_block = vec![vec![0.0f32; self.max_block]; self.output_channels];
        let mut input_ports = AudioPorts::with_capacity(self.input_channels, 1);
        let mut output_ports = AudioPorts::with_capacity(self.output_channels, 1);
        let mut event_buffer = EventBuffer::with_capacity(64);
        let mut output_events = EventBuffer::new();

        let (mut next_param, started) = (0usize, Instant::now());
        let (mut pos, mut next_event, mut steady) = (0usize, 0usize, 0u64);
        for &size in block_sizes.iter().cycle() {
            if pos >= frames {
                break;
            }
            let n = size.clamp(1, self.max_block).min(frames - pos);
            if pacing == Pacing::WallClock {
                // A sound card asks for this block when the previous one starts playing.
                let due = started + Duration::from_secs_f64(pos as f64 / sample_rate);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            event_buffer.clear();
            // CLAP wants a block's events in time order; parameter changes first at a shared
            // sample, as hosts order them.
            let mut block_events: Vec<(u32, BlockEvent)> = Vec::new();
            while next_param < params.len() && params[next_param].0 < pos + n {
                let (at, id, value) = params[next_param];
                block_events.push(((at.max(pos) - pos) as u32, BlockEvent::Param(id, value)));
                next_param += 1;
            }
            while next_event < events.len() && events[next_event].0 < pos + n {
                let (at, is_on, note) = events[next_event];
                let event = if is_on {
                    BlockEvent::NoteOn(note)
                } else {
                    BlockEvent::NoteOff(note)
                };
                block_events.push(((at.max(pos) - pos) as u32, event));
                next_event += 1;
            }
            while next_other < others.len() && others[next_other].0 < pos + n {
                let (at, event) = others[next_other];
                block_events.push(((at.max(pos) - pos) as u32, event));
                next_other += 1;
            }
            // Stable: MIDI and expressions keep their order among themselves.
            block_events
                .sort_by_key(|&(time, ref event)| (time, !matches!(event, BlockEvent::Param(..))));
            for (time, event) in block_events {
                let pckn = |note: Note| Pckn::new(0u16, 0u16, note.key as u16, Match::All);
                match event {
                    BlockEvent::Param(id, value) => {
                        event_buffer.push(&ParamValueEvent::new(time, id, Pckn::match_all(), value))
                    }
                    BlockEvent::NoteOn(note) => {
                        event_buffer.push(&NoteOnEvent::new(time, pckn(note), note.velocity))
                    }
                    BlockEvent::NoteOff(note) => {
                        event_buffer.push(&NoteOffEvent::new(time, pckn(note), 0.0))
                    }
                    BlockEvent::Midi(bytes) => event_buffer.push(&MidiEvent::new(time, 0, bytes)),
                    BlockEvent::Expression(channel, key, kind, value) => {
                        let pckn = Pckn::new(0u16, channel as u16, key as u16, Match::All);
                        event_buffer.push(&NoteExpressionEvent::new(time, pckn, kind, value))
                    }
                }
            }
            for (c, buf) in in_block.iter_mut().enumerate() {
                match input.get(c) {
                    Some(signal) => buf[..n].copy_from_slice(&signal[pos..pos + n]),
                    None => buf[..n].fill(0.0),
                }
            }
            let inputs = if self.input_channels == 0 {
                InputAudioBuffers::empty()
            } else {
                input_ports.with_input_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_input_only(
                        in_block
                            .iter_mut()
                            .map(|b| InputChannel::variable(&mut b[..n])),
                    ),
                }])
            };
            let mut outputs = output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    out_block.iter_mut().map(|b| &mut b[..n]),
                ),
            }]);
            output_events.clear();
            let transport = self.transport.map(|(playing, stop_at)| {
                let playing = playing && stop_at.is_none_or(|at| pos + n <= at);
                transport_event(playing)
            });
            processor
                .process(
                    &inputs,
                    &mut outputs,
                    &InputEvents::from_buffer(&event_buffer),
                    &mut OutputEvents::from_buffer(&mut output_events),
                    Some(steady),
                    transport.as_ref(),
                )
                .expect("process() failed");
            for (c, buf) in out_block.iter().enumerate() {
                output[c][pos..pos + n].copy_from_slice(&buf[..n]);
            }
            for event in output_events.iter() {
                let at = pos + event.header().time() as usize;
                let key = |k: Match<u16>| match k {
                    Match::Specific(k) => k as u8,
                    Match::All => 255,
                };
                if let Some(on) = event.as_event::<NoteOnEvent>() {
                    self.sent.push(Sent::NoteOn {
                        at,
                        key: key(on.key()),
                        velocity: on.velocity(),
                    });
                } else if let Some(off) = event.as_event::<NoteOffEvent>() {
                    self.sent.push(Sent::NoteOff {
                        at,
                        key: key(off.key()),
                    });
                } else if let Some(midi) = event.as_event::<MidiEvent>() {
                    self.sent.push(Sent::Midi {
                        at,
                        bytes: midi.data(),
                    });
                }
            }
            pos += n;
            steady += n as u64;
            let requested = self
                .instance
                .access_shared_handler(|h| h.callback_requested.swap(false, Ordering::SeqCst));
            if requested {
                self.instance.call_on_main_thread_callback();
            }
        }
        output
    }
}

/// A transport at 120 bpm in 4/4 at the song's start, playing or stopped.
fn transport_event(playing: bool) -> TransportEvent {
    let zero = BeatTime::from_int(0);
    TransportEvent {
        header: EventHeader::new_core(0, EventFlags::empty()),
        flags: if playing {
            TransportFlags::IS_PLAYING
        } else {
            TransportFlags::empty()
        },
        song_pos_beats: zero,
        song_pos_seconds: SecondsTime::from_int(0),
        tempo: 120.0,
        tempo_inc: 0.0,
        loop_start_beats: zero,
        loop_end_beats: zero,
        loop_start_seconds: SecondsTime::from_int(0),
        loop_end_seconds: SecondsTime::from_int(0),
        bar_start: zero,
        bar_number: 0,
        time_signature_numerator: 4,
        time_signature_denominator: 4,
    }
}

impl Drop for ClapPlugin {
    fn drop(&mut self) {
        self.deactivate();
    }
}
