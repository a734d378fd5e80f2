//! What the engine tells the outside world about how it runs: the counters an editor shows and
//! the tests read (underruns, decoder CPU, rejected input, latency) and the model's status in
//! words. One `Telemetry` lives as long as the plugin instance and outlives the engines that are
//! built at each activation; it is shared through an `Arc`. The audio thread only stores atomics
//! into it; the status text is written off the audio thread, so its lock never meets it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Telemetry {
    /// Input samples that were NaN or infinite and were replaced by silence.
    non_finite_input: AtomicU64,
    /// Events that could not be applied (key out of range, non-finite velocity or value).
    rejected_events: AtomicU64,
    /// Control frames the synth refused (NaN, infinite or negative values).
    rejected_frames: AtomicU64,
    /// Frames whose decoder reply was not there in time; the previous controls were held.
    decoder_underruns: AtomicU64,
    /// Frames the decoder turned into controls.
    decoded_frames: AtomicU64,
    /// CPU time of the decoder thread (ONNX Runtime's calls), nanoseconds.
    decoder_cpu_ns: AtomicU64,
    /// Time the audio thread spent waiting for replies, nanoseconds.
    waited_ns: AtomicU64,
    /// Samples of latency reported to the host.
    latency_samples: AtomicU32,
    /// The rate the engine runs at (0 before the first activation).
    sample_rate_hz: AtomicU32,
    /// What plays, or why no model does, in words.
    status: Mutex<String>,
    /// An editor is open and wants the live views (`scope`).
    watching: AtomicBool,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub non_finite_input: u64,
    pub rejected_events: u64,
    pub rejected_frames: u64,
    pub decoder_underruns: u64,
    pub decoded_frames: u64,
    pub decoder_cpu_ns: u64,
    pub waited_ns: u64,
    pub latency_samples: u32,
    pub sample_rate_hz: u32,
}

impl Telemetry {
    pub fn stats(&self) -> Stats {
        Stats {
            non_finite_input: self.non_finite_input.load(Relaxed),
            rejected_events: self.rejected_events.load(Relaxed),
            rejected_frames: self.rejected_frames.load(Relaxed),
            decoder_underruns: self.decoder_underruns.load(Relaxed),
            decoded_frames: self.decoded_frames.load(Relaxed),
            decoder_cpu_ns: self.decoder_cpu_ns.load(Relaxed),
            waited_ns: self.waited_ns.load(Relaxed),
            latency_samples: self.latency_samples.load(Relaxed),
            sample_rate_hz: self.sample_rate_hz.load(Relaxed),
        }
    }

    /// Off the audio thread only.
    pub fn set_status(&self, status: String) {
        if let Ok(mut s) = self.status.lock() {
            *s = status;
        }
    }

    /// The editor opens (true) or closes (false) its live views.
    pub fn set_watching(&self, watching: bool) {
        self.watching.store(watching, Relaxed);
    }

    pub fn is_watching(&self) -> bool {
        self.watching.load(Relaxed)
    }

    pub fn status(&self) -> String {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// An engine's counters, published once per block (the engine counts in plain integers and
    /// stores here, so that nothing shared is touched per sample).
    pub(super) fn publish(&self, stats: &Stats) {
        self.non_finite_input.store(stats.non_finite_input, Relaxed);
        self.rejected_events.store(stats.rejected_events, Relaxed);
        self.rejected_frames.store(stats.rejected_frames, Relaxed);
        self.decoder_underruns
            .store(stats.decoder_underruns, Relaxed);
        self.decoded_frames.store(stats.decoded_frames, Relaxed);
        self.decoder_cpu_ns.store(stats.decoder_cpu_ns, Relaxed);
        self.waited_ns.store(stats.waited_ns, Relaxed);
        self.latency_samples.store(stats.latency_samples, Relaxed);
        self.sample_rate_hz.store(stats.sample_rate_hz, Relaxed);
    }
}
