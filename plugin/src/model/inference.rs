//! The inference thread and its two lock-free queues.
//!
//! The audio thread sends one `Request` per control frame (every voice's f0 and loudness) and
//! later takes the `Reply` with every voice's synthesis controls. The thread runs all active
//! voices of a frame in one batched decoder call and keeps each voice's GRU state.
//!
//! The audio thread never blocks in real time: a reply that is not there when its frame must
//! play is an underrun (the caller holds the last controls). When the host renders offline,
//! `Link::take` may wait for the reply (bounded), so renders are repeatable bit for bit.
//!
//! GRU state policy: a voice's state is zeroed when a request marks it `reset` (the voice starts
//! a note from silence), and otherwise carried from frame to frame, also across a legato change
//! or a voice steal, where the sound continues.

use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::card::ModelCard;
use super::decoder::{Controls, Decoder};
use crate::control::voices::MAX_VOICES;
use crate::dsp::harmonic::MAX_HARMONICS;

/// Noise bands a reply can carry (the card allows up to this many).
pub const MAX_NOISE_BANDS: usize = 256;
/// Frames that may be in flight each way; far more than any slack in use.
const QUEUE_FRAMES: usize = 64;
/// How long an offline render waits for one reply before it gives up on it (a stuck or dead
/// decoder must not hang the host's export).
const OFFLINE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceRequest {
    pub active: bool,
    /// Zero this voice's GRU state before the frame (a note starting from silence).
    pub reset: bool,
    pub f0_hz: f32,
    pub loudness_db: f32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Request {
    /// Numbers requests in the order they are sent; the reply carries it back.
    pub seq: u64,
    pub voices: [VoiceRequest; MAX_VOICES],
}

/// One frame's controls for every voice; inactive voices' rows are zero.
pub struct Reply {
    pub seq: u64,
    /// The voices the request asked for (the others' rows are zero).
    pub active: [bool; MAX_VOICES],
    pub amplitude: [f32; MAX_VOICES],
    pub harmonics: [[f32; MAX_HARMONICS]; MAX_VOICES],
    pub noise: [[f32; MAX_NOISE_BANDS]; MAX_VOICES],
}

impl Reply {
    fn empty(seq: u64) -> Self {
        Self {
            seq,
            active: [false; MAX_VOICES],
            amplitude: [0.0; MAX_VOICES],
            harmonics: [[0.0; MAX_HARMONICS]; MAX_VOICES],
            noise: [[0.0; MAX_NOISE_BANDS]; MAX_VOICES],
        }
    }
}

/// Counters shared with the inference thread.
#[derive(Debug, Default)]
pub struct Counters {
    /// Frames decoded.
    pub frames: AtomicU64,
    /// Decoder calls that failed (their replies are silent).
    pub failures: AtomicU64,
    /// Replies dropped because the audio thread did not take them (it was not running).
    pub dropped: AtomicU64,
    /// CPU time the thread spent decoding, in nanoseconds (for the CPU benchmark).
    pub busy_ns: AtomicU64,
}

/// This thread's CPU time in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Safety: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The audio thread's end.
pub struct Link {
    requests: Producer<Request>,
    replies: Consumer<Reply>,
    worker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    card: ModelCard,
    underruns: u64,
    /// Time an offline render spent waiting for replies, in nanoseconds.
    waited_ns: u64,
}

impl Link {
    /// Starts the inference thread, which owns `decoder` from now on.
    pub fn start(decoder: Decoder) -> std::io::Result<Self> {
        let card = decoder.card().clone();
        if card.harmonics > MAX_HARMONICS || card.noise_bands > MAX_NOISE_BANDS {
            return Err(std::io::Error::other(
                "the model's controls do not fit a reply",
            ));
        }
        let (requests, request_rx) = RingBuffer::new(QUEUE_FRAMES);
        let (reply_tx, replies) = RingBuffer::new(QUEUE_FRAMES);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let worker = {
            let (stop, counters) = (stop.clone(), counters.clone());
            std::thread::Builder::new()
                .name("luthier-decoder".into())
                .spawn(move || Worker::new(decoder, counters).run(request_rx, reply_tx, &stop))?
        };
        Ok(Self {
            requests,
            replies,
            worker: Some(worker),
            stop,
            counters,
            card,
            underruns: 0,
            waited_ns: 0,
        })
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// Queues a frame. Real-time safe: no allocation, no lock (waking the thread is a futex
    /// wake at most). A full queue means the thread has stalled; the frame is then lost and
    /// its reply will be an underrun.
    pub fn send(&mut self, request: Request) {
        let _ = self.requests.push(request);
        if let Some(worker) = &self.worker {
            worker.thread().unpark();
        }
    }

    /// The reply to request `seq`, discarding older ones (replies are taken in the order they
    /// were asked for). `wait`: an offline render, which may wait (bounded) for it; in real
    /// time a missing reply returns None and counts an underrun.
    pub fn take(&mut self, seq: u64, wait: bool) -> Option<&Reply> {
        let started = wait.then(Instant::now);
        let deadline = started.map(|t| t + OFFLINE_WAIT);
        let result = self.wait_for(seq, deadline);
        if let Some(t) = started {
            self.waited_ns += t.elapsed().as_nanos() as u64;
        }
        if result {
            self.replies.peek().ok()
        } else {
            self.underruns += 1;
            None
        }
    }

    /// Whether the reply to `seq` is first in the queue, after discarding older ones and, with
    /// a deadline, waiting for it until then.
    fn wait_for(&mut self, seq: u64, deadline: Option<Instant>) -> bool {
        loop {
            while self.replies.peek().is_ok_and(|r| r.seq < seq) {
                let _ = self.replies.pop();
            }
            match self.replies.peek() {
                Ok(reply) => return reply.seq == seq,
                Err(_) => match deadline {
                    Some(deadline) if Instant::now() < deadline && !self.worker_gone() => {
                        std::thread::yield_now();
                    }
                    _ => return false,
                },
            }
        }
    }

    /// Time spent waiting for replies (offline only), in nanoseconds.
    pub fn waited_ns(&self) -> u64 {
        self.waited_ns
    }

    fn worker_gone(&self) -> bool {
        self.worker.as_ref().is_none_or(|w| w.is_finished())
    }

    /// Frames whose reply was not there in time.
    pub fn underruns(&self) -> u64 {
        self.underruns
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(worker) = self.worker.take() {
            worker.thread().unpark();
            let _ = worker.join();
        }
    }
}

struct Worker {
    decoder: Decoder,
    counters: Arc<Counters>,
    /// Every voice's GRU state, `[MAX_VOICES, H]`.
    states: Vec<f32>,
    // Batch scratch: the active voices of one frame, packed.
    rows: Vec<usize>,
    f0: Vec<f32>,
    loudness: Vec<f32>,
    batch_state: Vec<f32>,
    out: Controls,
}

impl Worker {
    fn new(decoder: Decoder, counters: Arc<Counters>) -> Self {
        let h = decoder.card().state_size;
        Self {
            decoder,
            counters,
            states: vec![0.0; MAX_VOICES * h],
            rows: Vec::with_capacity(MAX_VOICES),
            f0: Vec::with_capacity(MAX_VOICES),
            loudness: Vec::with_capacity(MAX_VOICES),
            batch_state: Vec::with_capacity(MAX_VOICES * h),
            out: Controls::default(),
        }
    }

    fn run(
        mut self,
        mut requests: Consumer<Request>,
        mut replies: Producer<Reply>,
        stop: &AtomicBool,
    ) {
        while !stop.load(Ordering::Acquire) {
            let Ok(request) = requests.pop() else {
                // The audio thread unparks after each send; the timeout only bounds a missed
                // wake-up.
                std::thread::park_timeout(Duration::from_millis(5));
                continue;
            };
            let started = thread_cpu_ns();
            let reply = self.decode(&request);
            self.counters
                .busy_ns
                .fetch_add(thread_cpu_ns().saturating_sub(started), Ordering::Relaxed);
            if replies.push(reply).is_err() {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The request's reply: a row per active voice, empty rows where decoding failed.
    fn decode(&mut self, request: &Request) -> Reply {
        let h = self.decoder.card().state_size;
        let (k, b) = (
            self.decoder.card().harmonics,
            self.decoder.card().noise_bands,
        );
        let mut reply = Reply::empty(request.seq);
        self.rows.clear();
        self.f0.clear();
        self.loudness.clear();
        self.batch_state.clear();
        for (i, v) in request.voices.iter().enumerate() {
            if !v.active {
                continue;
            }
            let state = &mut self.states[i * h..(i + 1) * h];
            if v.reset {
                state.fill(0.0);
            }
            self.rows.push(i);
            // Non-finite conditioning would poison the GRU state for the rest of the note.
            self.f0
                .push(if v.f0_hz.is_finite() { v.f0_hz } else { 0.0 });
            self.loudness.push(if v.loudness_db.is_finite() {
                v.loudness_db
            } else {
                -120.0
            });
            self.batch_state.extend_from_slice(state);
        }
        let n = self.rows.len();
        if n == 0 {
            return reply;
        }
        let result = self.decoder.run(
            n,
            1,
            &self.f0,
            &self.loudness,
            &mut self.batch_state,
            &mut self.out,
        );
        if result.is_err() {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
            return reply;
        }
        for (row, &i) in self.rows.iter().enumerate() {
            self.states[i * h..(i + 1) * h]
                .copy_from_slice(&self.batch_state[row * h..(row + 1) * h]);
            reply.active[i] = true;
            reply.amplitude[i] = self.out.amplitude[row];
            reply.harmonics[i][..k].copy_from_slice(&self.out.harmonics[row * k..(row + 1) * k]);
            reply.noise[i][..b].copy_from_slice(&self.out.noise[row * b..(row + 1) * b]);
        }
        self.counters.frames.fetch_add(1, Ordering::Relaxed);
        reply
    }
}
