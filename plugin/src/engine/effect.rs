//! The effect's planning (tone transfer): the input, after its gain and mixed to mono, is
//! analysed at every frame boundary (pitch, confidence, loudness); under the gate it is
//! silence; the voicing rule turns each frame's features into what the one voice plays, and the
//! pitch path (`control::retune`: glide, correction to a scale, shift) what pitch it plays at.

use super::events::Event;
use super::output::db_to_gain;
use super::params::ParamChange;
use super::plan::{Counts, FramePlan, Planning, VoicePlan};
use super::voicing::Voicing;
use super::Params;
use crate::analysis::features::{Analyzer, Features};
use crate::analysis::lookahead::{self, LookAhead};
use crate::analysis::pitch::PitchConfig;
use crate::control::retune::{RetuneSettings, Retuner};
use crate::control::transcribe::{NoteOut, Transcriber};
use crate::dsp::smoother::LinearSmoother;
use crate::limits::{FRAME_RATE_HZ, MAX_VOICES};

/// The delay from an input onset to the output's -6 dB point, measured for a 440 Hz tone
/// (`tests/clap_plugins.rs` holds the report to the measurement). Lower notes need more signal
/// before their pitch is sure (about 1.3 periods): measured with
/// `cargo run --release -p luthier --example onset_latency`, 82 Hz 15.5 ms, 110 Hz 12.7 ms,
/// 220 Hz 10.2 ms, 440 Hz 4.9 ms, 880 Hz 5.6 ms.
pub const ANALYSIS_LATENCY_SECONDS: f32 = 0.005;

/// The input gain takes this long to reach a new value.
const GAIN_RAMP_SECONDS: f32 = 0.02;

pub struct Effect {
    analyzer: Analyzer,
    /// The wait for each note's pitch to settle, set when built (it sets the latency).
    lookahead: LookAhead,
    voicing: Voicing,
    input_gain: LinearSmoother,
    pitch: PitchConfig,
    mono: Vec<f32>,
    last_features: Option<Features>,
    /// Input under this loudness (dB) is silence.
    gate_db: f32,
    retune: RetuneSettings,
    retuner: Retuner,
    /// What it hears, as notes (`control::transcribe`), and the last frame's.
    transcriber: Transcriber,
    heard: [Option<NoteOut>; HEARD_PER_FRAME],
}

/// A frame changes at most this much MIDI: an off, an on and a bend.
pub const HEARD_PER_FRAME: usize = 3;

impl Effect {
    /// `chunk`: the longest stretch of input `listen` is given.
    pub fn new(sample_rate: f32, params: &Params, chunk: usize) -> Self {
        let pitch = params.pitch;
        Self {
            analyzer: Analyzer::new(sample_rate, pitch),
            lookahead: LookAhead::new(lookahead::frames_for_ms(
                params.look_ahead_ms,
                FRAME_RATE_HZ,
            )),
            voicing: Voicing::default(),
            input_gain: LinearSmoother::new(
                db_to_gain(params.input_gain_db),
                GAIN_RAMP_SECONDS,
                sample_rate,
            ),
            pitch,
            mono: vec![0.0; chunk],
            last_features: None,
            gate_db: params.gate_db,
            retune: params.retune(),
            retuner: Retuner::default(),
            transcriber: Transcriber::default(),
            heard: [None; HEARD_PER_FRAME],
        }
    }

    pub fn last_features(&self) -> Option<Features> {
        self.last_features
    }

    /// From an input onset to its effect on the output: the analysis's, and the look-ahead's
    /// wait.
    pub fn latency_seconds(&self) -> f32 {
        ANALYSIS_LATENCY_SECONDS + self.lookahead.frames() as f32 / FRAME_RATE_HZ as f32
    }

    /// Whether the look-ahead `params` ask for is another than this one was built with.
    pub fn look_ahead_differs(&self, params: &Params) -> bool {
        lookahead::frames_for_ms(params.look_ahead_ms, FRAME_RATE_HZ) != self.lookahead.frames()
    }

    /// Samples `from..to` of the input, after the input gain and mixed to mono, go to the
    /// analyser; NaN and infinite samples count as silence.
    pub fn listen(
        &mut self,
        channels: &[&mut [f32]],
        input_channels: usize,
        from: usize,
        to: usize,
        counts: &mut Counts,
    ) {
        let mono = &mut self.mono[..to - from];
        mono.fill(0.0);
        let share = 1.0 / input_channels.max(1) as f32;
        for channel in channels.iter().take(input_channels) {
            for (m, x) in mono.iter_mut().zip(&channel[from..to]) {
                if x.is_finite() {
                    *m += share * x;
                } else {
                    counts.non_finite_input += 1;
                }
            }
        }
        for m in mono.iter_mut() {
            *m *= self.input_gain.next();
        }
        self.analyzer.push(mono);
    }

    /// The pitch path's knobs, as they are now.
    pub fn set_retune(&mut self, retune: RetuneSettings) {
        self.retune = retune;
    }

    pub fn event(&mut self, event: &Event, _: &mut Planning) {
        let Event::Param { change, .. } = *event else {
            return;
        };
        match change {
            ParamChange::GateDb(db) if db.is_finite() => self.gate_db = db,
            ParamChange::InputGainDb(db) => self.input_gain.set_target(db_to_gain(db)),
            ParamChange::LowestPitchHz(hz) if hz.is_finite() => {
                self.pitch.min_hz = hz;
                self.analyzer.set_pitch_range(self.pitch);
            }
            ParamChange::HighestPitchHz(hz) if hz.is_finite() => {
                self.pitch.max_hz = hz;
                self.analyzer.set_pitch_range(self.pitch);
            }
            _ => {}
        }
    }

    /// At a frame boundary: the features of the input up to here, and what the voice plays.
    pub fn plan(&mut self, p: &mut Planning) -> FramePlan {
        let mut features = self.lookahead.push(self.analyzer.analyze());
        self.last_features = Some(features);
        if !(features.loudness_db >= self.gate_db) {
            // Under the gate: silence, whatever the tracker thinks it hears.
            features.confidence = 0.0;
            features.loudness_db = crate::control::adsr::SILENCE_DB;
        }
        let mut decision = self.voicing.next(&features, p.timbre.follows_level());
        // The notes are what is sung or played: the tracked pitch, before the pitch path.
        self.heard = [None; HEARD_PER_FRAME];
        let mut count = 0;
        let heard = &mut self.heard;
        self.transcriber.frame(
            self.voicing.is_voiced(),
            decision.f0_hz,
            features.loudness_db,
            &mut |e| {
                if count < HEARD_PER_FRAME {
                    heard[count] = Some(e);
                    count += 1;
                }
            },
        );
        if decision.silent {
            self.analyzer.forget_octave();
            self.retuner.reset();
        } else {
            decision.f0_hz = self.retuner.next(
                decision.f0_hz,
                decision.from_silence,
                &self.retune,
                1.0 / FRAME_RATE_HZ as f32,
            );
        }
        // A silent voice needs no controls: its level is zero.
        let source = (decision.gain > 0.0).then(|| {
            p.timbre.frame(
                0,
                decision.from_silence,
                p.tone.decoder_f0(decision.f0_hz),
                p.tone.decoder_loudness(decision.loudness_db),
            )
        });
        let mut plan = [None; MAX_VOICES];
        plan[0] = Some(VoicePlan {
            f0_hz: decision.f0_hz,
            loudness_db: decision.loudness_db,
            gain: decision.gain * p.tone.level(),
            from_silence: decision.from_silence,
            source,
            shape: p.tone.shape(1.0, 1.0),
        });
        plan
    }

    /// Silence, as at the start (transport jump): no note is held over it.
    /// What the last planned frame heard, as MIDI.
    pub fn heard(&self) -> impl Iterator<Item = NoteOut> + '_ {
        self.heard.iter().flatten().copied()
    }

    /// Also ends the note it hears: the note-off is in `heard` until the next frame.
    pub fn reset(&mut self, input_gain_db: f32) {
        self.heard = [None; HEARD_PER_FRAME];
        let heard = &mut self.heard;
        self.transcriber.stop(&mut |e| heard[0] = Some(e));
        self.analyzer.reset();
        self.lookahead.clear();
        self.voicing.reset();
        self.retuner.reset();
        self.input_gain.reset(db_to_gain(input_gain_db));
    }
}
