//! What each MIDI channel's controllers say: pitch bend, mod wheel, breath, volume, expression,
//! sustain, channel pressure, MPE's timbre (CC74), and the pitch-bend range a controller sets
//! through RPN 0. Values are kept as the MIDI messages gave them (0..1, bend -1..1); turning
//! them into pitch and loudness is the performance's job (`control::performance`).

/// MIDI channels.
pub const CHANNELS: usize = 16;

/// Controller numbers this instrument reads.
pub mod cc {
    pub const MOD_WHEEL: u8 = 1;
    pub const BREATH: u8 = 2;
    pub const DATA_ENTRY: u8 = 6;
    pub const VOLUME: u8 = 7;
    pub const EXPRESSION: u8 = 11;
    pub const DATA_ENTRY_FINE: u8 = 38;
    pub const SUSTAIN: u8 = 64;
    pub const TIMBRE: u8 = 74;
    pub const RPN_FINE: u8 = 100;
    pub const RPN: u8 = 101;
    pub const ALL_SOUND_OFF: u8 = 120;
    pub const RESET_CONTROLLERS: u8 = 121;
    pub const ALL_NOTES_OFF: u8 = 123;
    /// CC 124..127 (omni and mono/poly mode messages) also end every note, as the MIDI spec says.
    pub const LAST_MODE_MESSAGE: u8 = 127;

    /// Every controller read, with channel pressure (128) and pitch bend (129) as VST3 numbers
    /// them: a VST3 host is offered these alone.
    pub const READ: [u8; 19] = [
        MOD_WHEEL,
        BREATH,
        DATA_ENTRY,
        VOLUME,
        EXPRESSION,
        DATA_ENTRY_FINE,
        SUSTAIN,
        TIMBRE,
        RPN_FINE,
        RPN,
        ALL_SOUND_OFF,
        RESET_CONTROLLERS,
        ALL_NOTES_OFF,
        124,
        125,
        126,
        LAST_MODE_MESSAGE,
        128,
        129,
    ];
}

/// A controller message's effect beyond the channel's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    None,
    /// The sustain pedal went up: sustained notes on this channel are released.
    PedalUp,
    /// Release every note (all notes off, mode messages).
    ReleaseAll,
    /// Silence every note at once (all sound off).
    SilenceAll,
    /// The channel's bend range changed (RPN 0).
    BendRange,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Channel {
    /// -1..1, centre 0.
    pub bend: f32,
    pub mod_wheel: f32,
    /// 1 until a breath controller speaks: an instrument played without one is not silenced.
    pub breath: f32,
    pub volume: f32,
    pub expression: f32,
    pub sustain: bool,
    pub pressure: f32,
    /// MPE's third dimension (CC74), centre 0.5.
    pub timbre: f32,
    /// Set by RPN 0 (semitones); None until a controller sets it.
    pub bend_range: Option<f32>,
    /// The RPN selected (MSB, LSB), for data entry.
    rpn: (u8, u8),
}

impl Default for Channel {
    fn default() -> Self {
        Self {
            bend: 0.0,
            mod_wheel: 0.0,
            breath: 1.0,
            // General MIDI's power-on volume is 100 of 127.
            volume: 100.0 / 127.0,
            expression: 1.0,
            sustain: false,
            pressure: 0.0,
            timbre: 0.5,
            bend_range: None,
            rpn: (127, 127),
        }
    }
}

impl Channel {
    /// Takes controller `number` at `value` (0..1). Unknown controllers change nothing.
    pub fn controller(&mut self, number: u8, value: f32) -> Reaction {
        let value = if value.is_finite() {
            value.clamp(0.0, 1.0)
        } else {
            return Reaction::None;
        };
        let byte = (value * 127.0).round() as u8;
        match number {
            cc::MOD_WHEEL => self.mod_wheel = value,
            cc::BREATH => self.breath = value,
            cc::VOLUME => self.volume = value,
            cc::EXPRESSION => self.expression = value,
            cc::TIMBRE => self.timbre = value,
            cc::SUSTAIN => {
                // Pedals send 0..63 up, 64..127 down.
                let down = byte >= 64;
                let was = std::mem::replace(&mut self.sustain, down);
                if was && !down {
                    return Reaction::PedalUp;
                }
            }
            cc::RPN => self.rpn.0 = byte,
            cc::RPN_FINE => self.rpn.1 = byte,
            cc::DATA_ENTRY if self.rpn == (0, 0) => {
                let cents = self.bend_range.map_or(0.0, |r| r.fract());
                self.bend_range = Some(byte as f32 + cents);
                return Reaction::BendRange;
            }
            cc::DATA_ENTRY_FINE if self.rpn == (0, 0) => {
                let semitones = self.bend_range.map_or(2.0, f32::trunc);
                self.bend_range = Some(semitones + byte.min(99) as f32 / 100.0);
                return Reaction::BendRange;
            }
            cc::ALL_SOUND_OFF => return Reaction::SilenceAll,
            cc::RESET_CONTROLLERS => {
                // RP-015: everything but volume, and the pedal lets go.
                let (volume, range, sustain) = (self.volume, self.bend_range, self.sustain);
                *self = Channel {
                    volume,
                    bend_range: range,
                    ..Channel::default()
                };
                if sustain {
                    return Reaction::PedalUp;
                }
            }
            cc::ALL_NOTES_OFF..=cc::LAST_MODE_MESSAGE => return Reaction::ReleaseAll,
            _ => {}
        }
        Reaction::None
    }

    pub fn pitch_bend(&mut self, value: f32) {
        if value.is_finite() {
            self.bend = value.clamp(-1.0, 1.0);
        }
    }

    pub fn channel_pressure(&mut self, value: f32) {
        if value.is_finite() {
            self.pressure = value.clamp(0.0, 1.0);
        }
    }
}

/// Every channel's state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Channels {
    channels: [Channel; CHANNELS],
}

impl Channels {
    pub fn get(&self, channel: u8) -> &Channel {
        &self.channels[channel as usize % CHANNELS]
    }

    pub fn get_mut(&mut self, channel: u8) -> &mut Channel {
        &mut self.channels[channel as usize % CHANNELS]
    }

    /// As at power-on (host reset).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte(v: u8) -> f32 {
        v as f32 / 127.0
    }

    #[test]
    fn rpn_zero_sets_the_bend_range_and_other_rpns_do_not() {
        let mut c = Channel::default();
        c.controller(cc::RPN, 0.0);
        c.controller(cc::RPN_FINE, 0.0);
        assert_eq!(c.controller(cc::DATA_ENTRY, byte(12)), Reaction::BendRange);
        assert_eq!(c.bend_range, Some(12.0));
        c.controller(cc::DATA_ENTRY_FINE, byte(50));
        assert_eq!(c.bend_range, Some(12.5));
        // RPN null: data entry means nothing any more.
        c.controller(cc::RPN, 1.0);
        c.controller(cc::RPN_FINE, 1.0);
        assert_eq!(c.controller(cc::DATA_ENTRY, byte(48)), Reaction::None);
        assert_eq!(c.bend_range, Some(12.5));
    }

    #[test]
    fn the_pedal_reports_its_release_and_reset_lets_it_go() {
        let mut c = Channel::default();
        assert_eq!(c.controller(cc::SUSTAIN, byte(127)), Reaction::None);
        assert!(c.sustain);
        assert_eq!(c.controller(cc::SUSTAIN, byte(100)), Reaction::None);
        assert_eq!(c.controller(cc::SUSTAIN, byte(10)), Reaction::PedalUp);
        c.controller(cc::SUSTAIN, 1.0);
        c.controller(cc::VOLUME, 0.25);
        c.controller(cc::EXPRESSION, 0.5);
        assert_eq!(c.controller(cc::RESET_CONTROLLERS, 0.0), Reaction::PedalUp);
        assert_eq!((c.volume, c.expression, c.sustain), (0.25, 1.0, false));
        assert_eq!(c.controller(cc::ALL_NOTES_OFF, 0.0), Reaction::ReleaseAll);
        assert_eq!(c.controller(cc::ALL_SOUND_OFF, 0.0), Reaction::SilenceAll);
        assert_eq!(c.controller(cc::EXPRESSION, f32::NAN), Reaction::None);
        assert_eq!(c.expression, 1.0);
    }
}
