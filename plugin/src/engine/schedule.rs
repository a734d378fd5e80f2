//! Note actions on their way from where they are decided to where they are heard. A note event
//! is decided when it arrives (which voice, which controls to ask the decoder for), and heard a
//! latency later, when the decoder's reply can be there: at the same offset inside the segment
//! `latency` segments later. Segments differ by one sample at most, so the delay is exact to a
//! sample. Without a decoder the latency is zero and an action is heard where it was decided.

use super::timbre::Source;
use crate::dsp::shape::Shape;

/// What happens to a voice when its action comes due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Gate on, with this attack. `start`: the voice was silent and starts on this sample, from
    /// phase zero, with these controls.
    Start {
        voice: usize,
        attack_seconds: f32,
        start: Option<StartFrame>,
    },
    /// Gate off: it holds for `hold_seconds`, then fades over `fade_seconds`.
    Release {
        voice: usize,
        hold_seconds: f32,
        fade_seconds: f32,
    },
    Kill {
        voice: usize,
    },
}

/// The controls a voice starts from: its pitch and where its decoded controls come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StartFrame {
    pub f0_hz: f32,
    pub source: Source,
    pub gain: f32,
    pub shape: Shape,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    segment: u64,
    offset: usize,
    action: Action,
}

/// A fixed-capacity queue of actions in time order (pushes come in time order).
pub struct Schedule {
    entries: Vec<Entry>,
    head: usize,
    len: usize,
}

impl Schedule {
    pub fn with_capacity(capacity: usize) -> Self {
        let none = Entry {
            segment: 0,
            offset: 0,
            action: Action::Kill { voice: 0 },
        };
        Self {
            entries: vec![none; capacity.max(1)],
            head: 0,
            len: 0,
        }
    }

    /// Queues `action` for `offset` samples into segment `segment`. Returns it back when the
    /// queue is full; the caller then plays it at once (early, never lost: a lost release would
    /// leave a note stuck).
    pub fn push(&mut self, segment: u64, offset: usize, action: Action) -> Result<(), Action> {
        if self.len == self.entries.len() {
            return Err(action);
        }
        let at = (self.head + self.len) % self.entries.len();
        self.entries[at] = Entry {
            segment,
            offset,
            action,
        };
        self.len += 1;
        Ok(())
    }

    /// The offset of the next action due in `segment`, if any (actions from earlier segments,
    /// which cannot be left over, count as due at 0).
    pub fn next_offset(&self, segment: u64) -> Option<usize> {
        let e = self.entries[self.head];
        (self.len > 0 && e.segment <= segment).then_some(if e.segment < segment {
            0
        } else {
            e.offset
        })
    }

    /// Takes the next action if it is due at or before `offset` in `segment`.
    pub fn pop_due(&mut self, segment: u64, offset: usize) -> Option<Action> {
        let due = self.next_offset(segment).is_some_and(|at| at <= offset);
        if !due {
            return None;
        }
        let action = self.entries[self.head].action;
        self.head = (self.head + 1) % self.entries.len();
        self.len -= 1;
        Some(action)
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(voice: usize) -> Action {
        Action::Release {
            voice,
            hold_seconds: 0.0,
            fade_seconds: 0.1,
        }
    }

    #[test]
    fn actions_come_out_in_order_when_due_and_a_full_queue_hands_them_back() {
        let mut line = Schedule::with_capacity(3);
        line.push(5, 10, release(1)).unwrap();
        line.push(5, 30, Action::Kill { voice: 2 }).unwrap();
        line.push(7, 0, release(3)).unwrap();
        assert_eq!(
            line.push(8, 0, Action::Kill { voice: 4 }),
            Err(Action::Kill { voice: 4 })
        );
        assert_eq!(line.next_offset(4), None);
        assert_eq!(line.next_offset(5), Some(10));
        assert_eq!(line.pop_due(5, 9), None);
        assert_eq!(line.pop_due(5, 10), Some(release(1)));
        assert_eq!(line.next_offset(5), Some(30));
        // A segment passed without the action being taken: it is due at once.
        assert_eq!(line.next_offset(6), Some(0));
        assert_eq!(line.pop_due(6, 0), Some(Action::Kill { voice: 2 }));
        assert_eq!(line.pop_due(7, 100), Some(release(3)));
        assert_eq!(line.pop_due(7, 100), None);
    }
}
