//! The knobs the engine takes, in user units, and a change of one of them. Every knob can move
//! at any sample (`Event::Param`); `Engine::set_params` is the same thing at a block's start, for
//! values set outside the audio stream (an editor, a host's main thread, a loaded state).

use crate::analysis::pitch::PitchConfig;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub input_gain_db: f32,
    pub output_gain_db: f32,
    pub attack_seconds: f32,
    pub release_seconds: f32,
    /// Reverb wet/dry, 0..1.
    pub reverb_mix: f32,
    /// Effect: where the tracker looks for pitch. Changes while playing.
    pub pitch: PitchConfig,
    /// The host's bypass: crossfade to the dry input (effect) or to silence (instrument), with
    /// the latency kept.
    pub bypass: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            attack_seconds: 0.005,
            release_seconds: 0.08,
            reverb_mix: 0.0,
            pitch: PitchConfig::default(),
            bypass: false,
        }
    }
}

/// One knob's new value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamChange {
    InputGainDb(f32),
    OutputGainDb(f32),
    AttackSeconds(f32),
    ReleaseSeconds(f32),
    ReverbMix(f32),
    LowestPitchHz(f32),
    HighestPitchHz(f32),
    Bypass(bool),
}

impl ParamChange {
    /// Every kind of change, with its value in `params`.
    pub fn all(params: &Params) -> [ParamChange; 8] {
        [
            ParamChange::InputGainDb(params.input_gain_db),
            ParamChange::OutputGainDb(params.output_gain_db),
            ParamChange::AttackSeconds(params.attack_seconds),
            ParamChange::ReleaseSeconds(params.release_seconds),
            ParamChange::ReverbMix(params.reverb_mix),
            ParamChange::LowestPitchHz(params.pitch.min_hz),
            ParamChange::HighestPitchHz(params.pitch.max_hz),
            ParamChange::Bypass(params.bypass),
        ]
    }

    /// The same knob, at the value it has in `params`.
    pub fn with_value_from(self, params: &Params) -> ParamChange {
        let index = ParamChange::all(params)
            .iter()
            .position(|c| std::mem::discriminant(c) == std::mem::discriminant(&self))
            .expect("every kind is listed");
        ParamChange::all(params)[index]
    }

    /// Where the knob acts: on the output (gain, reverb, bypass, applied where the audio leaves)
    /// or on what is played (applied where the frames are planned, a latency earlier).
    pub fn acts_on_output(&self) -> bool {
        matches!(
            self,
            ParamChange::OutputGainDb(_) | ParamChange::ReverbMix(_) | ParamChange::Bypass(_)
        )
    }
}

impl Params {
    pub fn apply(&mut self, change: ParamChange) {
        match change {
            ParamChange::InputGainDb(v) => self.input_gain_db = v,
            ParamChange::OutputGainDb(v) => self.output_gain_db = v,
            ParamChange::AttackSeconds(v) => self.attack_seconds = v,
            ParamChange::ReleaseSeconds(v) => self.release_seconds = v,
            ParamChange::ReverbMix(v) => self.reverb_mix = v,
            ParamChange::LowestPitchHz(v) => self.pitch.min_hz = v,
            ParamChange::HighestPitchHz(v) => self.pitch.max_hz = v,
            ParamChange::Bypass(v) => self.bypass = v,
        }
    }

    /// The changes that take `self` to `other`.
    pub fn changes_to(&self, other: &Params) -> impl Iterator<Item = ParamChange> {
        let (from, to) = (ParamChange::all(self), ParamChange::all(other));
        from.into_iter()
            .zip(to)
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_take_one_set_of_knobs_to_another_and_keep_their_kind() {
        let a = Params::default();
        let mut b = a;
        b.output_gain_db = -6.0;
        b.pitch.min_hz = 45.0;
        b.bypass = true;
        let changes: Vec<_> = a.changes_to(&b).collect();
        assert_eq!(changes.len(), 3);
        let mut c = a;
        changes.iter().for_each(|&ch| c.apply(ch));
        assert_eq!(c, b);
        assert_eq!(
            ParamChange::OutputGainDb(3.0).with_value_from(&a),
            ParamChange::OutputGainDb(0.0)
        );
        assert!(ParamChange::Bypass(true).acts_on_output());
        assert!(!ParamChange::LowestPitchHz(40.0).acts_on_output());
    }
}
