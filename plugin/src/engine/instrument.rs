//! The instrument's planning: MIDI becomes performed notes in voices, and, at every frame
//! boundary, each sounding note's conditioning: the pitch (key, glide, bends, tuning, vibrato)
//! and loudness (velocity, envelope, expression, controllers) the decoder is asked for, and the
//! timbre controls applied after it. A note starting from silence also asks for its own first
//! frame at its very sample, so that it can sound there without waiting for the grid.
//!
//! Voices: up to eight notes (poly), or one with last-note priority (mono: each note attacks
//! again; legato: a note played over a held one slurs to it, gliding, with no new attack and
//! the decoder's state carried on). A stolen or repeated voice keeps its phase and level and
//! attacks again from there, so stealing does not click.
//!
//! Which voices sound is decided here, in the planning timeline, exactly: a released voice is
//! free once its release has run (the envelope's release and the gate's end are both that
//! long), so allocation does not depend on when the host's blocks end. All notes off, all
//! sound off, a reset and a voice-mode change leave no note sounding.

use super::events::{Event, NoteExpression};
use super::output::db_to_gain;
use super::params::ParamChange;
use super::plan::{FramePlan, Planning, VoicePlan};
use super::schedule::{Action, StartFrame};
use super::voice::GATE_FADE_SECONDS;
use crate::control::channels::{Channels, Reaction};
use crate::control::expression::NoteLengths;
use crate::control::performance::{EnvelopeSource, Note, Settings, VoiceMode};
use crate::control::voices::{NoteStack, Start, VoiceAllocator};
use crate::limits::MAX_VOICES;

pub fn midi_key_to_hz(key: f32) -> f32 {
    440.0 * 2f32.powf((key - 69.0) / 12.0)
}

/// Played pitches stay within MIDI's range and a little beyond (8 Hz .. 26 kHz), however far
/// bends and tunings add up.
const PITCH_RANGE: (f32, f32) = (0.0, 140.0);

pub struct Instrument {
    /// Poly mode's slots; the mono modes play voice 0.
    allocator: VoiceAllocator,
    /// The mono modes' held keys.
    stack: NoteStack,
    notes: [Option<Note>; MAX_VOICES],
    /// When each released voice falls silent, in samples since the start.
    silent_at: [Option<u64>; MAX_VOICES],
    channels: Channels,
    settings: Settings,
    /// The MPE zone's member bend range, once a member channel set it (RPN 0).
    mpe_range: Option<f32>,
    lengths: NoteLengths,
    /// A length hint for the next note-on of (channel, key).
    hint: Option<(u8, u8, f32)>,
}

impl Instrument {
    pub fn new(settings: Settings) -> Self {
        Self {
            allocator: VoiceAllocator::default(),
            stack: NoteStack::default(),
            notes: [None; MAX_VOICES],
            silent_at: [None; MAX_VOICES],
            channels: Channels::default(),
            settings,
            mpe_range: None,
            lengths: NoteLengths::default(),
            hint: None,
        }
    }

    pub fn active_voices(&self) -> usize {
        self.notes.iter().flatten().count()
    }

    /// New knob values: envelope and expression settings apply from the next note on, bends and
    /// controller ranges at once.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// The settings a note starts with: the envelope's attack and release are the model's own
    /// when the Envelope knob says so and the model has them.
    fn note_settings(&self, p: &Planning) -> Settings {
        let mut s = self.settings;
        if s.envelope == EnvelopeSource::Model {
            if let Some(natural) = p.timbre.natural_envelope() {
                s.adsr.attack_seconds = natural.attack_seconds;
                s.adsr.release_seconds = natural.release_seconds;
            }
        }
        s
    }

    fn now(p: &Planning) -> f64 {
        p.cursor.sample as f64 / p.sample_rate as f64
    }

    fn mono(&self) -> bool {
        self.settings.mode != VoiceMode::Poly
    }

    /// Voices whose release has run out by `sample` are free again.
    fn free_silent(&mut self, sample: u64) {
        for voice in 0..MAX_VOICES {
            if self.silent_at[voice].is_some_and(|at| at <= sample) {
                self.free(voice);
            }
        }
    }

    fn free(&mut self, voice: usize) {
        self.silent_at[voice] = None;
        self.notes[voice] = None;
        self.allocator.free(voice);
    }

    fn sustain_down(&self, channel: u8) -> bool {
        self.channels.get(channel).sustain || (self.settings.mpe && self.channels.get(0).sustain)
    }

    fn take_length(&mut self, channel: u8, key: u8) -> f32 {
        match self.hint.take() {
            Some((c, k, seconds)) if c == channel && k == key => seconds,
            _ => self.lengths.expected(),
        }
    }

    /// The plan for `voice`'s note now (`reset`: its decoder state starts afresh).
    fn plan_voice(&self, voice: usize, reset: bool, p: &mut Planning) -> Option<VoicePlan> {
        let note = self.notes[voice].as_ref()?;
        let c = note.conditioning(Self::now(p), &self.channels, &self.settings, self.mpe_range);
        let f0_hz = midi_key_to_hz(c.pitch.clamp(PITCH_RANGE.0, PITCH_RANGE.1));
        // Below the decoder's quietest, it is asked for its quietest and the rest is faded
        // after it: an attack's start and a tail's end have the model's quiet timbre.
        let wanted = p.timbre.velocity_loudness(note.velocity) + c.loudness_db;
        let told = wanted.max(p.timbre.quietest_db());
        let source = p.timbre.frame(
            voice,
            reset,
            p.tone.decoder_f0(f0_hz),
            p.tone.decoder_loudness(told),
        );
        Some(VoicePlan {
            f0_hz,
            loudness_db: wanted,
            gain: p.tone.level() * db_to_gain(wanted - told),
            from_silence: false,
            source: Some(source),
            shape: p.tone.shape(c.brightness, c.noise_gain),
        })
    }

    /// A silent voice starts a note on this sample.
    fn start(&mut self, voice: usize, channel: u8, key: u8, velocity: f32, p: &mut Planning) {
        let length = self.take_length(channel, key);
        let note = Note::new(channel, key, velocity, Self::now(p), &self.settings, length);
        self.notes[voice] = Some(note);
        self.silent_at[voice] = None;
        let plan = self
            .plan_voice(voice, true, p)
            .expect("the note was just set");
        p.schedule(Action::Start {
            voice,
            attack_seconds: self.settings.adsr.attack_seconds,
            start: Some(StartFrame {
                f0_hz: plan.f0_hz,
                source: plan.source.expect("a note's frame has a source"),
                gain: plan.gain,
                shape: plan.shape,
            }),
        });
    }

    /// A sounding voice takes a new note: it attacks again from where it is.
    fn restart(
        &mut self,
        voice: usize,
        channel: u8,
        key: u8,
        velocity: f32,
        glide: bool,
        p: &mut Planning,
    ) {
        let length = self.take_length(channel, key);
        let now = Self::now(p);
        let settings = self.note_settings(p);
        let Some(note) = self.notes[voice].as_mut() else {
            return self.start(voice, channel, key, velocity, p);
        };
        note.restart(key, velocity, now, &settings, glide, length);
        note.channel = channel;
        self.silent_at[voice] = None;
        p.schedule(Action::Start {
            voice,
            attack_seconds: settings.adsr.attack_seconds,
            start: None,
        });
    }

    fn release(&mut self, voice: usize, p: &mut Planning) {
        let now = Self::now(p);
        let release = self.note_settings(p).adsr.release_seconds;
        let Some(note) = self.notes[voice].as_mut() else {
            return;
        };
        if note.envelope.is_released() {
            return;
        }
        let seconds = note.envelope.release(now, release);
        note.sustained = false;
        self.lengths.played((now - note.onset) as f32);
        self.allocator.note_off(note.channel, note.key);
        // As the gate counts it (`Envelope::set_times`).
        let samples = (seconds * p.sample_rate).round().max(1.0) as u64;
        self.silent_at[voice] = Some(p.cursor.sample + samples);
        let fade = GATE_FADE_SECONDS.min(seconds);
        p.schedule(Action::Release {
            voice,
            hold_seconds: seconds - fade,
            fade_seconds: fade,
        });
    }

    fn kill(&mut self, voice: usize, p: &mut Planning) {
        if self.notes[voice].is_some() {
            self.free(voice);
            p.schedule(Action::Kill { voice });
        }
    }

    fn release_all(&mut self, p: &mut Planning) {
        self.stack.clear();
        for voice in 0..MAX_VOICES {
            self.release(voice, p);
        }
    }

    fn kill_all(&mut self, p: &mut Planning) {
        self.stack.clear();
        for voice in 0..MAX_VOICES {
            self.kill(voice, p);
        }
    }

    /// The voice holding (channel, key) down, not yet let go.
    fn held(&self, channel: u8, key: u8) -> Option<usize> {
        self.notes.iter().position(|n| {
            n.is_some_and(|n| {
                n.channel == channel && n.key == key && !n.envelope.is_released() && !n.sustained
            })
        })
    }

    fn note_on(&mut self, channel: u8, key: u8, velocity: f32, p: &mut Planning) {
        if !self.mono() {
            match self.allocator.note_on(channel, key, velocity) {
                Start::Fresh(v) => self.start(v, channel, key, velocity, p),
                Start::Retrigger(v) => self.restart(v, channel, key, velocity, false, p),
            }
            return;
        }
        let overlapping = self.stack.top().is_some();
        self.stack.push(channel, key, velocity);
        let legato = self.settings.mode == VoiceMode::Legato;
        let now = Self::now(p);
        match self.notes[0].as_mut() {
            Some(note) if legato && overlapping && !note.envelope.is_released() => {
                note.slur(key, velocity, now, self.settings.glide_seconds);
                note.channel = channel;
            }
            Some(_) => self.restart(0, channel, key, velocity, !legato, p),
            None => self.start(0, channel, key, velocity, p),
        }
    }

    fn note_off(&mut self, channel: u8, key: u8, p: &mut Planning) {
        if self.mono() {
            self.stack.remove(channel, key);
        }
        let Some(voice) = self.held(channel, key) else {
            return;
        };
        if self.mono() {
            if let Some((c, k, v)) = self.stack.top() {
                // Back to the latest key still held.
                if self.settings.mode == VoiceMode::Legato {
                    let now = Self::now(p);
                    let note = self.notes[voice].as_mut().expect("held above");
                    note.slur(k, v, now, self.settings.glide_seconds);
                    note.channel = c;
                } else {
                    self.restart(voice, c, k, v, true, p);
                }
                return;
            }
        }
        if self.sustain_down(channel) {
            if let Some(note) = self.notes[voice].as_mut() {
                note.sustained = true;
            }
        } else {
            self.release(voice, p);
        }
    }

    /// The pedal came up on `channel`: its sustained notes are let go.
    fn pedal_up(&mut self, channel: u8, p: &mut Planning) {
        for voice in 0..MAX_VOICES {
            let Some(note) = self.notes[voice] else {
                continue;
            };
            let zone = self.settings.mpe && channel == 0;
            if note.sustained
                && (note.channel == channel || zone)
                && !self.sustain_down(note.channel)
            {
                self.release(voice, p);
            }
        }
    }

    fn express(&mut self, channel: Option<u8>, key: Option<u8>, expression: NoteExpression) {
        for note in self.notes.iter_mut().flatten() {
            if channel.is_some_and(|c| c != note.channel) || key.is_some_and(|k| k != note.key) {
                continue;
            }
            let m = &mut note.modulation;
            let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
            match expression {
                NoteExpression::Tuning(t) => m.tuning_semitones = finite(t).clamp(-120.0, 120.0),
                NoteExpression::Volume(g) => m.gain = finite(g).clamp(0.0, 4.0),
                NoteExpression::Pressure(v) => m.pressure = finite(v).clamp(0.0, 1.0),
                NoteExpression::Brightness(v) => m.brightness = finite(v).clamp(0.0, 1.0),
                NoteExpression::Vibrato(v) => m.vibrato = finite(v).clamp(0.0, 1.0),
                NoteExpression::Expression(v) => m.expression = finite(v).clamp(0.0, 1.0),
            }
        }
    }

    pub fn event(&mut self, event: &Event, p: &mut Planning) {
        self.free_silent(p.cursor.sample);
        match *event {
            Event::NoteOn {
                channel,
                key,
                velocity,
                ..
            } => {
                if key > 127 || channel > 15 || !velocity.is_finite() {
                    p.counts.rejected_events += 1;
                    return;
                }
                self.note_on(channel, key, velocity.clamp(0.0, 1.0), p);
            }
            Event::NoteOff { channel, key, .. } => self.note_off(channel, key, p),
            Event::Choke { channel, key, .. } => {
                self.stack.remove(channel, key);
                let found = self
                    .notes
                    .iter()
                    .position(|n| n.is_some_and(|n| n.channel == channel && n.key == key));
                if let Some(voice) = found {
                    self.kill(voice, p);
                }
            }
            Event::AllNotesOff { .. } => self.release_all(p),
            Event::AllSoundOff { .. } => self.kill_all(p),
            Event::NoteLength {
                channel,
                key,
                seconds,
                ..
            } => self.hint = Some((channel, key, seconds)),
            Event::PitchBend { channel, value, .. } => {
                self.channels.get_mut(channel).pitch_bend(value)
            }
            Event::ChannelPressure { channel, value, .. } => {
                self.channels.get_mut(channel).channel_pressure(value)
            }
            Event::Controller {
                channel, cc, value, ..
            } => match self.channels.get_mut(channel).controller(cc, value) {
                Reaction::None => {}
                Reaction::PedalUp => self.pedal_up(channel, p),
                Reaction::ReleaseAll => self.release_all(p),
                Reaction::SilenceAll => self.kill_all(p),
                Reaction::BendRange => {
                    if self.settings.mpe && channel != 0 {
                        self.mpe_range = self.channels.get(channel).bend_range;
                    }
                }
            },
            Event::NoteExpression {
                channel,
                key,
                expression,
                ..
            } => self.express(channel, key, expression),
            Event::Param {
                change: ParamChange::Voices(mode),
                ..
            } => {
                // The new mode takes no notes over from the old one.
                self.release_all(p);
                self.settings.mode = mode;
            }
            Event::Param { .. } => {}
        }
    }

    /// At a frame boundary: every sounding note's frame.
    pub fn plan(&mut self, p: &mut Planning) -> FramePlan {
        self.free_silent(p.cursor.sample);
        let mut plan = [None; MAX_VOICES];
        for (voice, planned) in plan.iter_mut().enumerate() {
            *planned = self.plan_voice(voice, false, p);
        }
        plan
    }

    /// Every voice silent at once, every controller as at power-on (host reset, transport jump).
    pub fn reset(&mut self) {
        self.allocator.free_all();
        self.stack.clear();
        self.notes = [None; MAX_VOICES];
        self.silent_at = [None; MAX_VOICES];
        self.channels.reset();
        self.mpe_range = None;
        self.hint = None;
    }
}
