//! The inference thread and its hand-off with the audio thread.
//!
//! The audio thread fills a `Job` with the conditioning (f0, loudness) of every frame it has
//! planned in a stretch of audio, for every sounding voice, and sends it; the thread decodes
//! the whole job (one ONNX Runtime call per distinct row length: usually one) and sends it back
//! with the synthesis controls in place. Jobs are boxes that travel both ways through two
//! lock-free queues and are reused: nothing is allocated or freed on the audio thread, and a job
//! is never copied.
//!
//! A row is one voice's frames in order. A voice that starts a note from silence begins a new
//! row with its GRU state zeroed (`reset`); otherwise its state carries on from its last row,
//! also across a legato change or a voice steal, where the sound continues. The thread keeps
//! every voice's state, so consecutive jobs continue each other.
//!
//! Waiting: a `Signal` each way. The audio thread may sleep on the reply signal until a deadline
//! (a futex: no lock, no allocation, no CPU while asleep); the inference thread sleeps on the
//! work signal when it has nothing to do.

use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::card::ModelCard;
use super::decoder::{Controls, Decoder};
use super::signal::Signal;
use crate::limits::{MAX_HARMONICS, MAX_NOISE_BANDS, MAX_VOICES};

/// Frame boundaries one job covers at most: the engine plans audio in stretches of this many
/// frames (128 ms), so one job serves a host block of up to 6144 samples at 48 kHz.
pub const JOB_FRAMES: usize = 32;
/// Frames a row holds: the job's boundaries plus a note's own start frame.
pub const ROW_FRAMES: usize = JOB_FRAMES + 1;
/// Rows a job holds: every voice, plus voices that start again within the job.
pub const JOB_ROWS: usize = 2 * MAX_VOICES;
/// Jobs that can be in flight each way (the engine keeps a pool of this many).
pub const QUEUE_JOBS: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct Row {
    voice: u8,
    reset: bool,
    len: u16,
    /// The decoder ran this row (a failed call leaves its controls unset).
    decoded: bool,
}

/// Where one frame sits in a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameIndex(u16);

/// One trip to the decoder and back: conditioning in, controls out.
pub struct Job {
    seq: u64,
    rows: [Row; JOB_ROWS],
    row_count: usize,
    f0_hz: Box<[f32]>,
    loudness_db: Box<[f32]>,
    amplitude: Box<[f32]>,
    harmonics: Box<[f32]>,
    noise: Box<[f32]>,
    harmonics_per_frame: usize,
    noise_per_frame: usize,
}

impl Job {
    /// A job for a model with these controls (allocates: off the audio thread).
    pub fn new(harmonics: usize, noise_bands: usize) -> Box<Self> {
        let frames = JOB_ROWS * ROW_FRAMES;
        Box::new(Self {
            seq: 0,
            rows: [Row::default(); JOB_ROWS],
            row_count: 0,
            f0_hz: vec![0.0; frames].into(),
            loudness_db: vec![0.0; frames].into(),
            amplitude: vec![0.0; frames].into(),
            harmonics: vec![0.0; frames * harmonics].into(),
            noise: vec![0.0; frames * noise_bands].into(),
            harmonics_per_frame: harmonics,
            noise_per_frame: noise_bands,
        })
    }

    /// Starts filling the job again, as request number `seq`.
    pub fn begin(&mut self, seq: u64) {
        self.seq = seq;
        self.row_count = 0;
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn is_empty(&self) -> bool {
        self.row_count == 0
    }

    /// Opens a row for `voice` (`reset`: its note starts from silence); None when the job is full.
    pub fn open_row(&mut self, voice: usize, reset: bool) -> Option<usize> {
        if self.row_count == JOB_ROWS {
            return None;
        }
        self.rows[self.row_count] = Row {
            voice: voice as u8,
            reset,
            len: 0,
            decoded: false,
        };
        self.row_count += 1;
        Some(self.row_count - 1)
    }

    /// Appends a frame to `row`; None when the row is full.
    pub fn push(&mut self, row: usize, f0_hz: f32, loudness_db: f32) -> Option<FrameIndex> {
        let r = &mut self.rows[row];
        if r.len as usize == ROW_FRAMES {
            return None;
        }
        let at = row * ROW_FRAMES + r.len as usize;
        r.len += 1;
        self.f0_hz[at] = f0_hz;
        self.loudness_db[at] = loudness_db;
        Some(FrameIndex(at as u16))
    }

    /// The controls decoded for a frame: amplitude, harmonic distribution and noise magnitudes;
    /// None if the decoder failed on its row.
    pub fn controls(&self, frame: FrameIndex) -> Option<(f32, &[f32], &[f32])> {
        let at = frame.0 as usize;
        self.rows[at / ROW_FRAMES].decoded.then(|| {
            let (k, b) = (self.harmonics_per_frame, self.noise_per_frame);
            (
                self.amplitude[at],
                &self.harmonics[at * k..(at + 1) * k],
                &self.noise[at * b..(at + 1) * b],
            )
        })
    }

    fn rows(&self) -> &[Row] {
        &self.rows[..self.row_count]
    }

    /// Frames in the job, over all rows.
    fn frames(&self) -> usize {
        self.rows().iter().map(|r| r.len as usize).sum()
    }
}

/// Counters shared with the inference thread.
#[derive(Debug, Default)]
pub struct Counters {
    /// Frames decoded.
    pub frames: AtomicU64,
    /// ONNX Runtime calls made.
    pub calls: AtomicU64,
    /// Calls that failed (their rows' controls are missing).
    pub failures: AtomicU64,
    /// CPU time the thread spent decoding, in nanoseconds.
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
    jobs: Producer<Box<Job>>,
    done: Consumer<Box<Job>>,
    /// Rung by the audio thread when it sends a job.
    work: Arc<Signal>,
    /// Rung by the inference thread when a job is back.
    replied: Arc<Signal>,
    worker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    card: ModelCard,
    /// Jobs sent and not yet taken back.
    in_flight: usize,
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
        let (jobs, incoming) = RingBuffer::new(QUEUE_JOBS);
        let (outgoing, done) = RingBuffer::new(QUEUE_JOBS);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let (work, replied) = (Arc::new(Signal::default()), Arc::new(Signal::default()));
        // Warmed up here, before the engine can send anything, so that the first job does not
        // wait behind the warm-up.
        let mut ready = Worker::new(decoder, counters.clone());
        ready.warm_up();
        let worker = {
            let stop = stop.clone();
            let (work, replied) = (work.clone(), replied.clone());
            std::thread::Builder::new()
                .name("luthier-decoder".into())
                .spawn(move || ready.run(incoming, outgoing, &work, &replied, &stop))?
        };
        Ok(Self {
            jobs,
            done,
            work,
            replied,
            worker: Some(worker),
            stop,
            counters,
            card,
            in_flight: 0,
        })
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// An empty job sized for this model (allocates: off the audio thread).
    pub fn new_job(&self) -> Box<Job> {
        Job::new(self.card.harmonics, self.card.noise_bands)
    }

    /// Hands a job to the inference thread. Real-time safe: a queue push and a futex wake. A
    /// full queue (the thread has stalled) hands the job back.
    pub fn send(&mut self, job: Box<Job>) -> Result<(), Box<Job>> {
        self.jobs
            .push(job)
            .map_err(|rtrb::PushError::Full(job)| job)?;
        self.in_flight += 1;
        self.work.notify();
        Ok(())
    }

    /// The next job back from the thread, decoded, if one is there.
    pub fn receive(&mut self) -> Option<Box<Job>> {
        let job = self.done.pop().ok()?;
        self.in_flight -= 1;
        Some(job)
    }

    /// Sleeps until a job is back or `deadline` passes (or the thread is gone).
    pub fn wait(&self, deadline: Instant) {
        while self.done.is_empty() && Instant::now() < deadline && !self.worker_gone() {
            let seen = self.replied.seen();
            if !self.done.is_empty() {
                return;
            }
            // Wake at least every 10 ms to notice a thread that died without replying.
            let step = deadline.min(Instant::now() + Duration::from_millis(10));
            self.replied.wait_past(seen, step);
        }
    }

    /// Jobs sent and not taken back yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub fn worker_gone(&self) -> bool {
        self.worker.as_ref().is_none_or(|w| w.is_finished())
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.work.notify();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

struct Worker {
    decoder: Decoder,
    counters: Arc<Counters>,
    /// Every voice's GRU state, `[MAX_VOICES, H]`.
    states: Vec<f32>,
    /// Each row's state going in, `[JOB_ROWS, H]`, taken before any call of the job runs (a
    /// voice's new row must not see what its previous row in the same job left).
    row_states: Vec<f32>,
    // One call's batch, packed: the rows of one length.
    batch: Vec<usize>,
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
            row_states: vec![0.0; JOB_ROWS * h],
            batch: Vec::with_capacity(JOB_ROWS),
            f0: Vec::with_capacity(JOB_ROWS * ROW_FRAMES),
            loudness: Vec::with_capacity(JOB_ROWS * ROW_FRAMES),
            batch_state: Vec::with_capacity(JOB_ROWS * h),
            out: Controls::default(),
        }
    }

    fn run(
        mut self,
        mut jobs: Consumer<Box<Job>>,
        mut done: Producer<Box<Job>>,
        work: &Signal,
        replied: &Signal,
        stop: &AtomicBool,
    ) {
        while !stop.load(Ordering::Acquire) {
            let seen = work.seen();
            let Ok(mut job) = jobs.pop() else {
                // The audio thread rings after each send; the timeout only bounds a lost ring.
                work.wait_past(seen, Instant::now() + Duration::from_millis(100));
                continue;
            };
            let started = thread_cpu_ns();
            self.decode(&mut job);
            self.counters
                .busy_ns
                .fetch_add(thread_cpu_ns().saturating_sub(started), Ordering::Relaxed);
            // The audio thread sends at most QUEUE_JOBS jobs, so their way back has room.
            let _ = done.push(job);
            replied.notify();
        }
    }

    /// A few calls before the first job: ONNX Runtime's first run of a session, and its first
    /// of a larger batch, set up memory (0.4 ms and more measured here), which a note's first
    /// frame must not wait for. The states are scratch; the voices' own stay zero.
    fn warm_up(&mut self) {
        let h = self.decoder.card().state_size;
        for (n, t) in [(1, 1), (1, 3), (MAX_VOICES, 1), (MAX_VOICES, 3)] {
            let (f0, loudness) = (vec![220.0; n * t], vec![-40.0; n * t]);
            let mut state = vec![0.0; n * h];
            let _ = self
                .decoder
                .run(n, t, &f0, &loudness, &mut state, &mut self.out);
        }
    }

    /// Fills in the job's controls: one decoder call per distinct row length.
    fn decode(&mut self, job: &mut Job) {
        let h = self.decoder.card().state_size;
        let (k, b) = (job.harmonics_per_frame, job.noise_per_frame);
        for (r, row) in job.rows().iter().enumerate() {
            let state = &mut self.row_states[r * h..(r + 1) * h];
            if row.reset {
                state.fill(0.0);
            } else {
                let v = row.voice as usize;
                state.copy_from_slice(&self.states[v * h..(v + 1) * h]);
            }
        }
        let rows = job.row_count;
        for first in 0..rows {
            let len = job.rows[first].len;
            // Each length once, at its first row.
            if len == 0 || job.rows[..first].iter().any(|r| r.len == len) {
                continue;
            }
            self.batch.clear();
            self.batch
                .extend((first..rows).filter(|&r| job.rows[r].len == len));
            let t = len as usize;
            self.f0.clear();
            self.loudness.clear();
            self.batch_state.clear();
            for &r in &self.batch {
                let frames = r * ROW_FRAMES..r * ROW_FRAMES + t;
                // Non-finite conditioning would poison the GRU state for the rest of the note.
                self.f0.extend(job.f0_hz[frames.clone()].iter().map(|&f| {
                    if f.is_finite() {
                        f
                    } else {
                        0.0
                    }
                }));
                self.loudness
                    .extend(job.loudness_db[frames].iter().map(|&l| {
                        if l.is_finite() {
                            l
                        } else {
                            -120.0
                        }
                    }));
                self.batch_state
                    .extend_from_slice(&self.row_states[r * h..(r + 1) * h]);
            }
            let n = self.batch.len();
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            let result = self.decoder.run(
                n,
                t,
                &self.f0,
                &self.loudness,
                &mut self.batch_state,
                &mut self.out,
            );
            if result.is_err() {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            for (i, &r) in self.batch.iter().enumerate() {
                let (from, to) = (i * t, (i + 1) * t);
                let at = r * ROW_FRAMES;
                job.amplitude[at..at + t].copy_from_slice(&self.out.amplitude[from..to]);
                job.harmonics[at * k..(at + t) * k]
                    .copy_from_slice(&self.out.harmonics[from * k..to * k]);
                job.noise[at * b..(at + t) * b].copy_from_slice(&self.out.noise[from * b..to * b]);
                job.rows[r].decoded = true;
                // A voice's state is what its last row of the job leaves.
                let voice = job.rows[r].voice as usize;
                let last = (r + 1..rows).all(|later| job.rows[later].voice as usize != voice);
                if last {
                    self.states[voice * h..(voice + 1) * h]
                        .copy_from_slice(&self.batch_state[i * h..(i + 1) * h]);
                }
            }
        }
        self.counters
            .frames
            .fetch_add(job.frames() as u64, Ordering::Relaxed);
    }
}
