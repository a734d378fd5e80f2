//! The instrument's planning: MIDI notes become voices (allocation, velocity, envelope times)
//! and, at every frame boundary, each sounding voice's conditioning (its pitch and the loudness
//! its velocity asks for). A note starting from silence also asks for its own first frame at its
//! very sample, so that it can sound there without waiting for the grid.
//!
//! Which voices sound is decided here, in the planning timeline, exactly: a released voice is
//! free once its release time has run (the gate's release is linear and lasts exactly that
//! long), so allocation does not depend on when the host's blocks end.

use super::events::Event;
use super::params::ParamChange;
use super::plan::{FramePlan, Planning, VoicePlan};
use super::schedule::{Action, StartFrame};
use crate::control::voices::{SlotState, Start, VoiceAllocator};
use crate::limits::MAX_VOICES;

pub fn midi_key_to_hz(key: f32) -> f32 {
    440.0 * 2f32.powf((key - 69.0) / 12.0)
}

pub struct Instrument {
    allocator: VoiceAllocator,
    /// When each released voice falls silent, in samples since the start.
    silent_at: [Option<u64>; MAX_VOICES],
    attack_seconds: f32,
    release_seconds: f32,
}

impl Instrument {
    pub fn new(attack_seconds: f32, release_seconds: f32) -> Self {
        Self {
            allocator: VoiceAllocator::default(),
            silent_at: [None; MAX_VOICES],
            attack_seconds,
            release_seconds,
        }
    }

    pub fn active_voices(&self) -> usize {
        self.allocator.active_count()
    }

    /// Voices whose release has run out by `sample` are free again.
    fn free_silent(&mut self, sample: u64) {
        for (voice, at) in self.silent_at.iter_mut().enumerate() {
            if at.is_some_and(|at| at <= sample) {
                *at = None;
                self.allocator.free(voice);
            }
        }
    }

    fn release(&mut self, voice: usize, p: &mut Planning) {
        // As the gate counts it (`Envelope::set_times`).
        let samples = (self.release_seconds * p.sample_rate).round().max(1.0) as u64;
        self.silent_at[voice] = Some(p.cursor.sample + samples);
        p.schedule(Action::Release {
            voice,
            release_seconds: self.release_seconds,
        });
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
                if key > 127 || !velocity.is_finite() {
                    p.counts.rejected_events += 1;
                    return;
                }
                let velocity = velocity.clamp(0.0, 1.0);
                let (voice, fresh) = match self.allocator.note_on(channel, key, velocity) {
                    Start::Fresh(v) => (v, true),
                    Start::Retrigger(v) => (v, false),
                };
                self.silent_at[voice] = None;
                let start = fresh.then(|| {
                    // From silence: the voice needs controls for its very first sample, asked
                    // for now, with its decoder state reset.
                    let f0_hz = midi_key_to_hz(key as f32);
                    let loudness = p.timbre.velocity_loudness(velocity);
                    StartFrame {
                        f0_hz,
                        source: p.timbre.frame(voice, true, f0_hz, loudness),
                    }
                });
                p.schedule(Action::Start {
                    voice,
                    attack_seconds: self.attack_seconds,
                    start,
                });
            }
            Event::NoteOff { channel, key, .. } => {
                if let Some(voice) = self.allocator.note_off(channel, key) {
                    self.release(voice, p);
                }
            }
            Event::Choke { channel, key, .. } => {
                if let Some(voice) = self.allocator.find(channel, key) {
                    self.allocator.free(voice);
                    self.silent_at[voice] = None;
                    p.schedule(Action::Kill { voice });
                }
            }
            Event::AllNotesOff { .. } => {
                for voice in 0..MAX_VOICES {
                    let slot = *self.allocator.slot(voice);
                    if slot.state == SlotState::Held {
                        self.allocator.note_off(slot.channel, slot.key);
                        self.release(voice, p);
                    }
                }
            }
            Event::Param { change, .. } => match change {
                ParamChange::AttackSeconds(s) if s.is_finite() => self.attack_seconds = s,
                ParamChange::ReleaseSeconds(s) if s.is_finite() => self.release_seconds = s,
                _ => {}
            },
        }
    }

    /// At a frame boundary: every sounding voice's pitch and the loudness its note asks for.
    pub fn plan(&mut self, p: &mut Planning) -> FramePlan {
        self.free_silent(p.cursor.sample);
        let mut plan = [None; MAX_VOICES];
        for (voice, planned) in plan.iter_mut().enumerate() {
            let slot = self.allocator.slot(voice);
            if slot.state == SlotState::Free {
                continue;
            }
            let f0_hz = midi_key_to_hz(slot.key as f32);
            let loudness = p.timbre.velocity_loudness(slot.velocity);
            *planned = Some(VoicePlan {
                f0_hz,
                gain: 1.0,
                from_silence: false,
                source: Some(p.timbre.frame(voice, false, f0_hz, loudness)),
            });
        }
        plan
    }

    /// Every voice silent at once (transport jump).
    pub fn reset(&mut self) {
        self.allocator.free_all();
        self.silent_at = [None; MAX_VOICES];
    }
}
