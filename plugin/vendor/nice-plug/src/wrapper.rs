//! Wrappers for different plugin types. Each wrapper has an entry point macro that you can pass the
//! name of a type that implements `Plugin` to. The macro will handle the rest.

pub mod clap;
pub(crate) mod state;
pub(crate) mod util;

#[cfg(feature = "standalone")]
pub mod standalone;
#[cfg(feature = "vst3")]
pub mod vst3;

// This is used by the wrappers.
pub use util::setup_logger;
// Luthier patch: the id of the `MonoAutomation` events that report in-block parameter changes.
pub use util::hash_param_id;

thread_local! {
    static BLOCK_PROCESS_MODE: std::cell::Cell<Option<nice_plug_core::audio_setup::ProcessMode>> =
        const { std::cell::Cell::new(None) };
}

/// Luthier patch: the process mode the host gives the block being processed on this thread,
/// where the format says it per block (VST3's `ProcessData::processMode`); None where it does
/// not (CLAP says it once, at activation, through `BufferConfig::process_mode`). Real-time safe.
pub fn block_process_mode() -> Option<nice_plug_core::audio_setup::ProcessMode> {
    BLOCK_PROCESS_MODE.with(|m| m.get())
}

pub(crate) fn set_block_process_mode(mode: Option<nice_plug_core::audio_setup::ProcessMode>) {
    BLOCK_PROCESS_MODE.with(|m| m.set(mode));
}
