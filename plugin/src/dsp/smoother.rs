//! Linear parameter smoothing, so that automation and knob moves never step the gain.

/// Ramps linearly to a target over a fixed time; reaching the target exactly (no asymptote), so
/// a settled smoother costs one comparison per sample.
#[derive(Debug, Clone)]
pub struct LinearSmoother {
    current: f32,
    target: f32,
    step: f32,
    steps_left: u32,
    ramp_samples: u32,
}

impl LinearSmoother {
    /// A smoother that starts settled at `value` and takes `ramp_seconds` for each new target.
    pub fn new(value: f32, ramp_seconds: f32, sample_rate: f32) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            steps_left: 0,
            ramp_samples: (ramp_seconds * sample_rate).round().max(1.0) as u32,
        }
    }

    /// Starts a ramp towards `target`; a repeated target leaves a running ramp alone.
    pub fn set_target(&mut self, target: f32) {
        if !target.is_finite() || target == self.target {
            return;
        }
        self.target = target;
        self.steps_left = self.ramp_samples;
        self.step = (target - self.current) / self.ramp_samples as f32;
    }

    /// Jumps to `value` with no ramp (used on reset, when no sound is running).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.steps_left = 0;
    }

    #[inline]
    pub fn next(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            // The last step lands on the target exactly, whatever rounding the increments had.
            self.current = if self.steps_left == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// Moves `samples` along the ramp at once (for a value read once per stretch).
    pub fn skip(&mut self, samples: usize) {
        let steps = self.steps_left.min(samples.min(u32::MAX as usize) as u32);
        self.steps_left -= steps;
        self.current = if self.steps_left == 0 {
            self.target
        } else {
            self.current + self.step * steps as f32
        };
    }

    pub fn is_settled(&self) -> bool {
        self.steps_left == 0
    }

    pub fn value(&self) -> f32 {
        self.current
    }

    /// Multiplies `buf` by the smoothed value sample by sample.
    pub fn apply(&mut self, buf: &mut [f32]) {
        if self.is_settled() {
            let g = self.current;
            buf.iter_mut().for_each(|x| *x *= g);
        } else {
            buf.iter_mut().for_each(|x| *x *= self.next());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_along_the_ramp_is_stepping_along_it() {
        let (mut stepped, mut skipped) = (
            LinearSmoother::new(0.0, 0.01, 1000.0),
            LinearSmoother::new(0.0, 0.01, 1000.0),
        );
        stepped.set_target(1.0);
        skipped.set_target(1.0);
        (0..4).for_each(|_| {
            stepped.next();
        });
        skipped.skip(4);
        assert!((stepped.value() - skipped.value()).abs() < 1e-6);
        skipped.skip(100);
        assert_eq!(skipped.value(), 1.0);
        assert!(skipped.is_settled());
    }

    #[test]
    fn reaches_target_exactly_after_ramp() {
        let mut s = LinearSmoother::new(0.0, 0.001, 48_000.0);
        s.set_target(1.0);
        let values: Vec<f32> = (0..48).map(|_| s.next()).collect();
        assert_eq!(values[47], 1.0);
        assert!(
            values.windows(2).all(|w| w[1] > w[0]),
            "ramp must be monotonic"
        );
        assert!((values[23] - 0.5).abs() < 1e-6);
        assert_eq!(s.next(), 1.0);
    }

    #[test]
    fn ignores_non_finite_targets() {
        let mut s = LinearSmoother::new(0.5, 0.01, 48_000.0);
        s.set_target(f32::NAN);
        s.set_target(f32::INFINITY);
        assert_eq!(s.next(), 0.5);
        assert!(s.is_settled());
    }
}
