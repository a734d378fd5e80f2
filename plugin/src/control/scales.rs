//! Musical scales for pitch correction: a key and the pitch classes of a scale in it, and the
//! scale note nearest to any pitch (in MIDI note numbers, fractional).

/// Which pitch classes a scale has, relative to its key (bit k: k semitones above the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Chromatic,
    Major,
    /// Natural minor.
    Minor,
    /// Major pentatonic.
    Pentatonic,
    /// Minor blues (minor pentatonic with the flat fifth).
    Blues,
    /// Any set of pitch classes: bit k is pitch class k (C = 0), absolute, not from the key.
    Custom(u16),
}

impl Scale {
    /// The steps from the key, as a 12-bit set.
    fn steps(self) -> u16 {
        let set = |steps: &[u16]| steps.iter().fold(0u16, |m, s| m | 1 << s);
        match self {
            Scale::Chromatic => 0x0FFF,
            Scale::Major => set(&[0, 2, 4, 5, 7, 9, 11]),
            Scale::Minor => set(&[0, 2, 3, 5, 7, 8, 10]),
            Scale::Pentatonic => set(&[0, 2, 4, 7, 9]),
            Scale::Blues => set(&[0, 3, 5, 6, 7, 10]),
            Scale::Custom(classes) => classes & 0x0FFF,
        }
    }

    /// The pitch classes (bit k: pitch class k, C = 0) of this scale in `key` (0 = C .. 11 = B).
    pub fn classes(self, key: u8) -> u16 {
        match self {
            Scale::Custom(classes) => classes & 0x0FFF,
            other => {
                let steps = other.steps() as u32;
                let key = (key % 12) as u32;
                (((steps << key) | (steps >> (12 - key))) & 0x0FFF) as u16
            }
        }
    }
}

/// The note of `classes` nearest to `note` (a MIDI note number, fractional); `note` itself
/// when the set is empty. Ties go down.
pub fn nearest(note: f32, classes: u16) -> f32 {
    if classes & 0x0FFF == 0 || !note.is_finite() {
        return note;
    }
    let below = note.floor() as i32;
    // The nearest is within six semitones either way.
    let mut best = (f32::INFINITY, note);
    for candidate in (below - 6)..=(below + 7) {
        if classes & (1 << candidate.rem_euclid(12)) == 0 {
            continue;
        }
        let distance = (candidate as f32 - note).abs();
        if distance < best.0 {
            best = (distance, candidate as f32);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_in_a_key_hold_their_notes() {
        // C major: the white keys.
        assert_eq!(Scale::Major.classes(0), 0b1010_1011_0101);
        // A minor: the same notes.
        assert_eq!(Scale::Minor.classes(9), Scale::Major.classes(0));
        // G major has F#, not F.
        let g = Scale::Major.classes(7);
        assert!(g & (1 << 6) != 0 && g & (1 << 5) == 0);
        assert_eq!(Scale::Pentatonic.classes(0).count_ones(), 5);
        assert_eq!(Scale::Blues.classes(0).count_ones(), 6);
        assert_eq!(Scale::Custom(0b101).classes(5), 0b101);
    }

    #[test]
    fn the_nearest_scale_note() {
        let c_major = Scale::Major.classes(0);
        assert_eq!(nearest(60.3, c_major), 60.0);
        assert_eq!(nearest(60.9, c_major), 60.0);
        assert_eq!(nearest(61.2, c_major), 62.0);
        assert_eq!(nearest(61.0, c_major), 60.0, "a tie goes down");
        assert_eq!(nearest(65.8, c_major), 65.0);
        assert_eq!(nearest(66.2, c_major), 67.0);
        assert_eq!(nearest(59.9, c_major), 60.0);
        assert_eq!(nearest(70.5, Scale::Chromatic.classes(3)), 70.0);
        // A single pitch class pulls from up to six semitones away.
        assert_eq!(nearest(65.9, 1), 60.0);
        assert_eq!(nearest(66.1, 1), 72.0);
        assert_eq!(nearest(61.5, 0), 61.5, "an empty set leaves the pitch");
    }
}
