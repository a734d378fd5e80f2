//! The control-frame grid: frames sit at times j / frame_rate seconds, and segment j holds the
//! host-rate samples from frame j up to frame j + 1. At a host rate that is not a multiple of the
//! frame rate (250 Hz frames at 44.1 kHz give 176.4-sample hops) segments are 176 or 177 samples
//! long, chosen by exact integer arithmetic so that the grid never drifts. The synth, the
//! analysis and the engine all walk this one grid.

/// Segment j holds the samples n with j*sr <= n*fr < (j+1)*sr. Only the remainder
/// `r = start*fr - j*sr` (in 0..fr) is kept, so nothing grows however long the grid runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub sample_rate: u32,
    pub frame_rate: u32,
    remainder: u64,
    len: u32,
}

impl Segment {
    /// Segment 0 of the grid (it starts at sample 0).
    pub fn first(sample_rate: u32, frame_rate: u32) -> Self {
        assert!(sample_rate > 0 && frame_rate > 0 && frame_rate <= sample_rate);
        Self::with_remainder(sample_rate, frame_rate, 0)
    }

    fn with_remainder(sample_rate: u32, frame_rate: u32, remainder: u64) -> Self {
        let (sr, fr) = (sample_rate as u64, frame_rate as u64);
        let len = (sr - remainder).div_ceil(fr) as u32;
        Self {
            sample_rate,
            frame_rate,
            remainder,
            len,
        }
    }

    pub fn next(&self) -> Self {
        let (sr, fr) = (self.sample_rate as u64, self.frame_rate as u64);
        Self::with_remainder(
            self.sample_rate,
            self.frame_rate,
            self.remainder + self.len as u64 * fr - sr,
        )
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Position of sample `i` of the segment between its frame (0) and the next (1).
    #[inline]
    pub fn alpha(&self, i: usize) -> f64 {
        (i as u64 * self.frame_rate as u64 + self.remainder) as f64 / self.sample_rate as f64
    }

    /// alpha(i) = i * alpha_step() + alpha_offset(): the form the synth's vector code uses.
    pub fn alpha_step(&self) -> f64 {
        self.frame_rate as f64 / self.sample_rate as f64
    }

    pub fn alpha_offset(&self) -> f64 {
        self.remainder as f64 / self.sample_rate as f64
    }

    /// Sum of alpha(m) for m in 0..count, in closed form (for the phase of a linear f0 glide).
    #[inline]
    pub fn alpha_sum(&self, count: usize) -> f64 {
        let c = count as f64;
        (self.frame_rate as f64 * c * (c - 1.0) * 0.5 + self.remainder as f64 * c)
            / self.sample_rate as f64
    }

    /// The longest segment this grid has.
    pub fn max_len(sample_rate: u32, frame_rate: u32) -> usize {
        (sample_rate as usize).div_ceil(frame_rate as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_hops_follow_the_exact_grid_without_drift() {
        let (sr, fr) = (44_100u32, 250u32);
        let mut seg = Segment::first(sr, fr);
        let mut start = 0u64;
        // An hour of frames: every start must equal ceil(j * sr / fr).
        for j in 0..(3600 * fr as u64) {
            assert_eq!(start, (j * sr as u64).div_ceil(fr as u64), "frame {j}");
            assert!(seg.len() == 176 || seg.len() == 177);
            start += seg.len() as u64;
            seg = seg.next();
        }
        assert_eq!(start, 3600 * sr as u64);
    }

    #[test]
    fn alpha_spans_the_segment() {
        let seg = Segment::first(48_000, 250).next();
        assert_eq!(seg.len(), 192);
        assert_eq!(seg.alpha(0), 0.0);
        assert!((seg.alpha(191) - 191.0 / 192.0).abs() < 1e-15);
        let direct: f64 = (0..100).map(|i| seg.alpha(i)).sum();
        assert!((seg.alpha_sum(100) - direct).abs() < 1e-12);
        let odd = Segment::first(44_100, 250).next();
        let direct: f64 = (0..150).map(|i| odd.alpha(i)).sum();
        assert!((odd.alpha_sum(150) - direct).abs() < 1e-12);
        assert!(
            odd.alpha(0) > 0.0,
            "segment 1 at 44.1 kHz starts between samples"
        );
    }
}
