//! The most recent input samples, contiguous, for windowed analysis.

/// Keeps at least the last `window` samples readable as one slice. Storage is twice that, so
/// the front is moved down only once per `window` samples pushed.
#[derive(Debug, Clone)]
pub struct History {
    buf: Vec<f32>,
    end: usize,
    window: usize,
}

impl History {
    pub fn new(window: usize) -> Self {
        let window = window.max(1);
        // Starts full of silence, so the first windows read as silence, not as garbage.
        Self {
            buf: vec![0.0; 2 * window],
            end: window,
            window,
        }
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Appends samples; non-finite ones are stored as silence.
    pub fn push(&mut self, samples: &[f32]) {
        for &x in samples {
            if self.end == self.buf.len() {
                self.buf.copy_within(self.end - self.window..self.end, 0);
                self.end = self.window;
            }
            self.buf[self.end] = if x.is_finite() { x } else { 0.0 };
            self.end += 1;
        }
    }

    /// The last `n` samples (n at most the window).
    pub fn latest(&self, n: usize) -> &[f32] {
        let n = n.min(self.window);
        &self.buf[self.end - n..self.end]
    }

    pub fn clear(&mut self) {
        self.buf.fill(0.0);
        self.end = self.window;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_is_the_tail_of_everything_pushed() {
        let mut h = History::new(5);
        assert_eq!(h.latest(5), &[0.0; 5]);
        let all: Vec<f32> = (0..37).map(|i| i as f32).collect();
        for chunk in all.chunks(3) {
            h.push(chunk);
        }
        assert_eq!(h.latest(5), &all[32..]);
        assert_eq!(h.latest(2), &all[35..]);
        h.push(&[f32::NAN]);
        assert_eq!(h.latest(1), &[0.0]);
    }
}
