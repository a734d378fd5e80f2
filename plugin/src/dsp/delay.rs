//! A fixed delay of a signal by a whole number of samples, over storage allocated once: what a
//! dry path needs to line up with a plugin's latency.

pub struct Delay {
    buffer: Vec<f32>,
    /// Where the next sample goes; the delayed one is read from the same place first.
    at: usize,
}

impl Delay {
    pub fn new(samples: usize) -> Self {
        Self {
            buffer: vec![0.0; samples],
            at: 0,
        }
    }

    pub fn samples(&self) -> usize {
        self.buffer.len()
    }

    /// Writes `input` delayed into `output` (the same length).
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        if self.buffer.is_empty() {
            output.copy_from_slice(input);
            return;
        }
        for (x, y) in input.iter().zip(output.iter_mut()) {
            *y = self.buffer[self.at];
            self.buffer[self.at] = *x;
            self.at += 1;
            if self.at == self.buffer.len() {
                self.at = 0;
            }
        }
    }

    pub fn clear(&mut self) {
        self.buffer.fill(0.0);
        self.at = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_by_its_length_in_any_block_pattern() {
        let input: Vec<f32> = (1..=50).map(|i| i as f32).collect();
        for delay in [0usize, 1, 7] {
            let mut d = Delay::new(delay);
            let mut out = vec![0.0; input.len()];
            let mut at = 0;
            for n in [3usize, 1, 10, 36] {
                d.process(&input[at..at + n], &mut out[at..at + n]);
                at += n;
            }
            for (i, y) in out.iter().enumerate() {
                let want = if i < delay { 0.0 } else { input[i - delay] };
                assert_eq!(*y, want, "delay {delay}, sample {i}");
            }
        }
    }
}
