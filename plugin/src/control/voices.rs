//! Polyphonic voice allocation: maps (channel, key) notes onto a fixed set of voice slots.
//!
//! Policy: a repeated key retriggers its own slot (no doubled voices, no stuck copy); a new key
//! takes a silent slot, else the slot released longest ago, else the oldest held note. Note-offs
//! and chokes for notes that are not playing are ignored, so bad MIDI cannot leave a note stuck.

use crate::limits::MAX_VOICES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    Free,
    Held,
    Released,
}

#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub state: SlotState,
    pub channel: u8,
    pub key: u8,
    pub velocity: f32,
    /// Order of the last note-on or note-off, for the stealing policy.
    stamp: u64,
}

/// What the synth must do with a slot after a note-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The slot was silent: start from phase zero.
    Fresh(usize),
    /// The slot was sounding (same key again, or stolen): keep phase and level, so no click.
    Retrigger(usize),
}

#[derive(Debug, Clone)]
pub struct VoiceAllocator {
    slots: [Slot; MAX_VOICES],
    clock: u64,
}

impl Default for VoiceAllocator {
    fn default() -> Self {
        let free = Slot {
            state: SlotState::Free,
            channel: 0,
            key: 0,
            velocity: 0.0,
            stamp: 0,
        };
        Self {
            slots: [free; MAX_VOICES],
            clock: 0,
        }
    }
}

impl VoiceAllocator {
    pub fn slot(&self, index: usize) -> &Slot {
        &self.slots[index]
    }

    pub fn active_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state != SlotState::Free)
            .count()
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub fn note_on(&mut self, channel: u8, key: u8, velocity: f32) -> Start {
        let stamp = self.tick();
        let same_key = self
            .slots
            .iter()
            .position(|s| s.state != SlotState::Free && s.channel == channel && s.key == key);
        let (index, start) = if let Some(i) = same_key {
            (i, Start::Retrigger(i))
        } else if let Some(i) = self.slots.iter().position(|s| s.state == SlotState::Free) {
            (i, Start::Fresh(i))
        } else {
            let oldest = |state| {
                self.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.state == state)
                    .min_by_key(|(_, s)| s.stamp)
                    .map(|(i, _)| i)
            };
            let i = oldest(SlotState::Released)
                .or_else(|| oldest(SlotState::Held))
                .unwrap_or(0);
            (i, Start::Retrigger(i))
        };
        self.slots[index] = Slot {
            state: SlotState::Held,
            channel,
            key,
            velocity,
            stamp,
        };
        start
    }

    /// Marks the held note (channel, key) released; returns its slot, if it was playing.
    pub fn note_off(&mut self, channel: u8, key: u8) -> Option<usize> {
        let stamp = self.tick();
        let i = self
            .slots
            .iter()
            .position(|s| s.state == SlotState::Held && s.channel == channel && s.key == key)?;
        self.slots[i].state = SlotState::Released;
        self.slots[i].stamp = stamp;
        Some(i)
    }

    /// Finds the sounding note (channel, key), held or released, to silence it at once.
    pub fn find(&self, channel: u8, key: u8) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.state != SlotState::Free && s.channel == channel && s.key == key)
    }

    /// The synth reports that a slot has gone silent.
    pub fn free(&mut self, index: usize) {
        self.slots[index].state = SlotState::Free;
    }

    pub fn free_all(&mut self) {
        self.slots
            .iter_mut()
            .for_each(|s| s.state = SlotState::Free);
    }
}

/// The held keys of a mono instrument, the latest last: when the sounding key is let go, the
/// latest key still held sounds again (last-note priority).
#[derive(Debug, Clone)]
pub struct NoteStack {
    keys: [(u8, u8, f32); STACK],
    len: usize,
}

/// Keys a mono instrument remembers; a seventeenth forgets the oldest.
const STACK: usize = 16;

impl Default for NoteStack {
    fn default() -> Self {
        Self {
            keys: [(0, 0, 0.0); STACK],
            len: 0,
        }
    }
}

impl NoteStack {
    /// (channel, key, velocity) is held, latest of all.
    pub fn push(&mut self, channel: u8, key: u8, velocity: f32) {
        self.remove(channel, key);
        if self.len == STACK {
            self.keys.copy_within(1.., 0);
            self.len -= 1;
        }
        self.keys[self.len] = (channel, key, velocity);
        self.len += 1;
    }

    /// (channel, key) is let go; whether it was held.
    pub fn remove(&mut self, channel: u8, key: u8) -> bool {
        let Some(i) = self.keys[..self.len]
            .iter()
            .position(|&(c, k, _)| c == channel && k == key)
        else {
            return false;
        };
        self.keys.copy_within(i + 1..self.len, i);
        self.len -= 1;
        true
    }

    pub fn top(&self) -> Option<(u8, u8, f32)> {
        self.len.checked_sub(1).map(|i| self.keys[i])
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_retriggers_its_own_slot() {
        let mut v = VoiceAllocator::default();
        assert_eq!(v.note_on(0, 60, 1.0), Start::Fresh(0));
        assert_eq!(v.note_on(0, 64, 1.0), Start::Fresh(1));
        assert_eq!(v.note_on(0, 60, 0.5), Start::Retrigger(0));
        assert_eq!(v.active_count(), 2);
        assert_eq!(v.slot(0).velocity, 0.5);
    }

    #[test]
    fn stray_note_off_is_ignored() {
        let mut v = VoiceAllocator::default();
        assert_eq!(v.note_off(0, 60), None);
        v.note_on(1, 60, 1.0);
        assert_eq!(v.note_off(0, 60), None, "other channel");
        assert_eq!(v.note_off(1, 60), Some(0));
        assert_eq!(v.note_off(1, 60), None, "already released");
    }

    #[test]
    fn stealing_prefers_released_then_oldest_held() {
        let mut v = VoiceAllocator::default();
        for k in 0..MAX_VOICES as u8 {
            v.note_on(0, 40 + k, 1.0);
        }
        v.note_off(0, 45);
        v.note_off(0, 43);
        assert_eq!(v.note_on(0, 90, 1.0), Start::Retrigger(5), "released first");
        assert_eq!(v.note_on(0, 91, 1.0), Start::Retrigger(3));
        assert_eq!(
            v.note_on(0, 92, 1.0),
            Start::Retrigger(0),
            "then the oldest held"
        );
        assert_eq!(v.active_count(), MAX_VOICES);
    }

    #[test]
    fn the_stack_gives_the_latest_key_still_held() {
        let mut s = NoteStack::default();
        s.push(0, 60, 1.0);
        s.push(0, 64, 0.5);
        s.push(0, 67, 0.7);
        assert!(s.remove(0, 64));
        assert!(!s.remove(0, 64));
        assert_eq!(s.top(), Some((0, 67, 0.7)));
        s.remove(0, 67);
        assert_eq!(s.top(), Some((0, 60, 1.0)));
        for k in 0..20 {
            s.push(1, k, 1.0);
        }
        assert_eq!(s.top(), Some((1, 19, 1.0)));
        assert!(!s.remove(0, 60), "the oldest were forgotten");
    }
}
