//! Second-order filters from RBJ's audio-EQ cookbook, in f64, for the analysis's input: a
//! high-pass or notch at tens of hertz sampled at 384 kHz puts its poles within 1e-4 of the unit
//! circle, where f32 coefficients would move the corner or let the filter ring.

#[derive(Debug, Clone)]
pub struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl Biquad {
    /// A Butterworth high-pass at `hz` (kept under 0.4 of the sample rate).
    pub fn high_pass(sample_rate: f32, hz: f64) -> Self {
        let w = std::f64::consts::TAU * hz.min(0.4 * sample_rate as f64) / sample_rate as f64;
        let alpha = w.sin() / 2f64.sqrt();
        let cos = w.cos();
        let b0 = (1.0 + cos) / 2.0;
        Self::normalised([b0, -2.0 * b0, b0], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
    }

    /// A notch at `hz`, `bandwidth_hz` wide between its -3 dB points.
    pub fn notch(sample_rate: f32, hz: f64, bandwidth_hz: f64) -> Self {
        let w = std::f64::consts::TAU * hz / sample_rate as f64;
        let alpha = w.sin() * (hz / bandwidth_hz).recip() / 2.0;
        let cos = w.cos();
        Self::normalised(
            [1.0, -2.0 * cos, 1.0],
            [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
        )
    }

    fn normalised(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b: b.map(|v| v / a[0]),
            a: [a[1] / a[0], a[2] / a[0]],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    /// Filters one sample; a non-finite result (from an input far out of range) restarts the
    /// filter from silence instead of poisoning every later sample.
    pub fn next(&mut self, x: f32) -> f32 {
        let x = x as f64;
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        if !y.is_finite() {
            self.clear();
            return 0.0;
        }
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y as f32
    }

    pub fn clear(&mut self) {
        self.x = [0.0; 2];
        self.y = [0.0; 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steady-state gain at `hz`, measured by filtering a sine (not read off the formula the
    /// filter was built from).
    fn gain(filter: &mut Biquad, sample_rate: f32, hz: f32) -> f32 {
        let n = (2.0 * sample_rate) as usize;
        let (mut in_power, mut out_power) = (0f64, 0f64);
        for i in 0..n {
            let x = (std::f32::consts::TAU * hz * i as f32 / sample_rate).sin();
            let y = filter.next(x);
            if i >= n / 2 {
                in_power += (x as f64).powi(2);
                out_power += (y as f64).powi(2);
            }
        }
        (out_power / in_power).sqrt() as f32
    }

    #[test]
    fn notch_removes_its_line_and_keeps_the_neighbourhood() {
        for sr in [8_000.0f32, 48_000.0, 384_000.0] {
            let mut notch = Biquad::notch(sr, 50.0, 3.0);
            assert!(gain(&mut notch, sr, 50.0) < 0.01, "{sr}");
            let mut notch = Biquad::notch(sr, 50.0, 3.0);
            // 1.5 Hz off the centre is the -3 dB edge.
            let edge = gain(&mut notch, sr, 51.5);
            assert!((edge - 0.5f32.sqrt()).abs() < 0.05, "{sr}: {edge}");
            let mut notch = Biquad::notch(sr, 50.0, 3.0);
            assert!(gain(&mut notch, sr, 65.0) > 0.99, "{sr}");
        }
    }

    #[test]
    fn high_pass_passes_the_top_and_stops_the_bottom() {
        let sr = 48_000.0;
        let mut hp = Biquad::high_pass(sr, 250.0);
        assert!(gain(&mut hp, sr, 2_000.0) > 0.99);
        let mut hp = Biquad::high_pass(sr, 250.0);
        // Second order: 12 dB per octave, so two octaves down is under -24 dB.
        assert!(gain(&mut hp, sr, 62.5) < 0.063);
    }
}
