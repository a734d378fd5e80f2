//! Note events held back by the decoder's slack. With a decoder, a note's controls come back
//! `slack` frames after they were asked for, so what the listener hears (the gate, the start of
//! a voice) happens `slack` frames after the note event: at the same offset inside the segment
//! `slack` segments later. Segments differ by one sample at most, so the delay is exact to a
//! sample.

/// What happens to a voice when its delayed event comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delayed {
    /// Gate on. `start`: the voice starts from silence with the controls of this request.
    Start {
        voice: usize,
        start: Option<u64>,
    },
    Release {
        voice: usize,
    },
    Kill {
        voice: usize,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    segment: u64,
    offset: usize,
    event: Delayed,
}

/// A fixed-capacity queue of events in time order (pushes come in time order).
pub struct DelayLine {
    entries: Vec<Entry>,
    head: usize,
    len: usize,
}

impl DelayLine {
    pub fn with_capacity(capacity: usize) -> Self {
        let none = Entry {
            segment: 0,
            offset: 0,
            event: Delayed::Kill { voice: 0 },
        };
        Self {
            entries: vec![none; capacity.max(1)],
            head: 0,
            len: 0,
        }
    }

    /// Queues `event` for `offset` samples into segment `segment`. Returns it back when the
    /// queue is full; the caller then applies it at once (early, never lost: a lost release
    /// would leave a note stuck).
    pub fn push(&mut self, segment: u64, offset: usize, event: Delayed) -> Result<(), Delayed> {
        if self.len == self.entries.len() {
            return Err(event);
        }
        let at = (self.head + self.len) % self.entries.len();
        self.entries[at] = Entry {
            segment,
            offset,
            event,
        };
        self.len += 1;
        Ok(())
    }

    /// The offset of the next event due in `segment`, if any (events from earlier segments,
    /// which cannot be left over, count as due at 0).
    pub fn next_offset(&self, segment: u64) -> Option<usize> {
        let e = self.entries[self.head];
        (self.len > 0 && e.segment <= segment)
            .then(|| if e.segment < segment { 0 } else { e.offset })
    }

    /// Takes the next event if it is due at or before `offset` in `segment`.
    pub fn pop_due(&mut self, segment: u64, offset: usize) -> Option<Delayed> {
        let due = self.next_offset(segment).is_some_and(|at| at <= offset);
        if !due {
            return None;
        }
        let event = self.entries[self.head].event;
        self.head = (self.head + 1) % self.entries.len();
        self.len -= 1;
        Some(event)
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_in_order_when_due_and_a_full_line_hands_them_back() {
        let mut line = DelayLine::with_capacity(3);
        line.push(5, 10, Delayed::Release { voice: 1 }).unwrap();
        line.push(5, 30, Delayed::Kill { voice: 2 }).unwrap();
        line.push(7, 0, Delayed::Release { voice: 3 }).unwrap();
        assert_eq!(
            line.push(8, 0, Delayed::Kill { voice: 4 }),
            Err(Delayed::Kill { voice: 4 })
        );
        assert_eq!(line.next_offset(4), None);
        assert_eq!(line.next_offset(5), Some(10));
        assert_eq!(line.pop_due(5, 9), None);
        assert_eq!(line.pop_due(5, 10), Some(Delayed::Release { voice: 1 }));
        assert_eq!(line.next_offset(5), Some(30));
        // A segment passed without the event being taken: it is due at once.
        assert_eq!(line.next_offset(6), Some(0));
        assert_eq!(line.pop_due(6, 0), Some(Delayed::Kill { voice: 2 }));
        assert_eq!(line.pop_due(7, 100), Some(Delayed::Release { voice: 3 }));
        assert_eq!(line.pop_due(7, 100), None);
    }
}
