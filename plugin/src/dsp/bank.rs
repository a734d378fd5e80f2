//! The oscillator bank's hot loop: sum_k d_k(n) sin(2 pi k phi(n)) for 16 samples at a time.
//!
//! sin(k x) comes from the Chebyshev recurrence s_{k+1} = 2 cos(x) s_k - s_{k-1}, one fused
//! multiply-add per harmonic instead of a sine. It runs in f64: in f32 its error grows as k^2
//! and as 1/sin(x) at low pitch (1e-3 at 128 harmonics of 40 Hz), in f64 it stays below 1e-11.
//! Samples, not harmonics, fill the SIMD lanes, so each lane's recurrence is independent.
//! Two builds of the loop exist: a portable one (any x86-64, any target) and an AVX2/FMA one
//! chosen at run time; tests check that they agree.

/// Samples per chunk: four AVX2 vectors of f64, enough independent chains to hide FMA latency.
pub const CHUNK: usize = 16;

/// Share of the band below Nyquist over which harmonics fade out.
pub const TAPER_FRACTION: f64 = 0.1;

/// Weight of a harmonic at `f` Hz: 1 up to 90 % of Nyquist, then a quintic smootherstep (C2)
/// down to exactly 0 at Nyquist and above. A hard cut would make the renormalised weights of
/// all other harmonics jump within one sample as a harmonic crosses, which splatters.
#[inline(always)]
pub fn nyquist_taper(f: f64, nyquist: f64) -> f64 {
    let x = ((nyquist - f) / (TAPER_FRACTION * nyquist)).clamp(0.0, 1.0);
    x * x * x * (10.0 + x * (6.0 * x - 15.0))
}

/// Per-sample inputs of one chunk; lanes past the block's end must have `gain` 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkIn {
    /// Phase of the fundamental in cycles.
    pub phase: [f64; CHUNK],
    /// A(n) / S(n): amplitude over the sum of the (tapered) weights.
    pub gain: [f64; CHUNK],
    /// Interpolation weight between the segment's two frames.
    pub w: [f64; CHUNK],
    pub f0: [f64; CHUNK],
    /// Harmonics at full weight (below the taper), per sample.
    pub full: [u32; CHUNK],
    /// Harmonics below Nyquist, per sample: from `full` to here they fade.
    pub harmonics: [u32; CHUNK],
    pub nyquist: f64,
}

/// What a segment's samples are computed from (see `harmonic.rs` for the formulas).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// alpha(i) = i * step + offset.
    pub step: f64,
    pub offset: f64,
    pub inv_sample_rate: f64,
    pub nyquist: f64,
    pub f0_a: f64,
    pub df0: f64,
    pub amplitude_a: f64,
    pub d_amplitude: f64,
    /// Phase (cycles) just before the segment's first sample.
    pub phase_start: f64,
    pub raised_cosine: bool,
    pub max_harmonics: usize,
}

impl Span {
    /// Phase advance (cycles) over the segment's first `count` samples: the running sum of
    /// f0(n)/sr for a linear f0, in closed form.
    #[inline(always)]
    pub fn advance(&self, count: f64) -> f64 {
        let alpha_sum = 0.5 * count * (count - 1.0) * self.step + count * self.offset;
        (count * self.f0_a + self.df0 * alpha_sum) * self.inv_sample_rate
    }
}

/// The two frames' harmonic weights: `a`, the change `delta`, and prefix sums of both.
#[derive(Debug, Clone, Copy)]
pub struct Tables<'a> {
    pub weights_a: &'a [f64],
    pub delta: &'a [f64],
    pub prefix_a: &'a [f64],
    pub prefix_b: &'a [f64],
}

/// Harmonics with k * f0 below `limit` (or at it, when `inclusive`), at most `max`.
#[inline(always)]
pub fn harmonics_below(f0: f64, limit: f64, max: usize, inclusive: bool) -> usize {
    if !(f0 > 0.0) {
        return 0;
    }
    let fits = |k: usize| {
        if inclusive {
            k as f64 * f0 <= limit
        } else {
            (k as f64 * f0) < limit
        }
    };
    let mut k = ((limit / f0) as usize).saturating_add(1).min(max);
    // The division can round across an integer: settle the boundary with the product itself.
    while k > 0 && !fits(k) {
        k -= 1;
    }
    while k < max && fits(k + 1) {
        k += 1;
    }
    k
}

/// (harmonics at full weight, harmonics below Nyquist) at f0.
#[inline(always)]
fn harmonic_counts(f0: f64, span: &Span) -> (usize, usize) {
    let below = harmonics_below(f0, span.nyquist, span.max_harmonics, false);
    let full = harmonics_below(
        f0,
        (1.0 - TAPER_FRACTION) * span.nyquist,
        span.max_harmonics,
        true,
    );
    (full.min(below), below)
}

/// Per-sample values of the chunk starting at sample `base` of the segment, `len` lanes live.
/// Written as plain loops over the lanes so that they vectorise.
#[inline(always)]
fn prepare<const HW: bool>(
    span: &Span,
    t: &Tables,
    base: usize,
    len: usize,
    uniform: Option<(usize, usize)>,
) -> ChunkIn {
    let mut input = ChunkIn {
        nyquist: span.nyquist,
        ..ChunkIn::default()
    };
    let mut amplitude = [0.0; CHUNK];
    for l in 0..CHUNK {
        let i = (base + l) as f64;
        let alpha = i * span.step + span.offset;
        let w = if span.raised_cosine {
            0.5 - 0.5 * sincos_isa::<HW>(0.5 * alpha).1
        } else {
            alpha
        };
        let phase = span.phase_start + span.advance(i + 1.0);
        input.phase[l] = phase - floor_isa::<HW>(phase);
        input.f0[l] = span.f0_a + alpha * span.df0;
        input.w[l] = w;
        amplitude[l] = span.amplitude_a + w * span.d_amplitude;
    }
    // f0 is linear within a segment, so the counts are monotone: equal at both ends of the
    // block (or of this chunk) means equal throughout, and the per-sample search is skipped.
    let uniform = uniform.or_else(|| {
        let first = harmonic_counts(input.f0[0], span);
        (first == harmonic_counts(input.f0[len - 1], span)).then_some(first)
    });
    let mut sum = [0.0; CHUNK];
    if let Some((full, below)) = uniform {
        let (pa, pb) = (t.prefix_a[full], t.prefix_b[full]);
        for l in 0..CHUNK {
            sum[l] = pa + input.w[l] * (pb - pa);
        }
        for k in full..below {
            let (wa, dk, kf) = (t.weights_a[k], t.delta[k], (k + 1) as f64);
            for l in 0..CHUNK {
                sum[l] += nyquist_taper(kf * input.f0[l], span.nyquist) * (wa + input.w[l] * dk);
            }
        }
        input.full = [full as u32; CHUNK];
        input.harmonics = [below as u32; CHUNK];
    } else {
        for l in 0..len {
            let (full, below) = harmonic_counts(input.f0[l], span);
            let w = input.w[l];
            sum[l] = t.prefix_a[full] + w * (t.prefix_b[full] - t.prefix_a[full]);
            for k in full..below {
                let weight = t.weights_a[k] + w * t.delta[k];
                sum[l] += nyquist_taper((k + 1) as f64 * input.f0[l], span.nyquist) * weight;
            }
            input.full[l] = full as u32;
            input.harmonics[l] = below as u32;
        }
    }
    for l in 0..CHUNK {
        let live = l < len && sum[l] > 1e-12 && amplitude[l] > 0.0;
        input.gain[l] = if live { amplitude[l] / sum[l] } else { 0.0 };
    }
    for l in len..CHUNK {
        input.full[l] = 0;
        input.harmonics[l] = 0;
    }
    input
}

#[inline(always)]
fn render_block(kernel: Kernel, span: &Span, t: &Tables, from: usize, out: &mut [f32]) {
    let mut result = [0.0f64; CHUNK];
    let Some(last) = out.len().checked_sub(1) else {
        return;
    };
    let f0_at = |i: usize| span.f0_a + ((from + i) as f64 * span.step + span.offset) * span.df0;
    let first = harmonic_counts(f0_at(0), span);
    let uniform = (first == harmonic_counts(f0_at(last), span)).then_some(first);
    for (c, block) in out.chunks_mut(CHUNK).enumerate() {
        let input = match kernel {
            Kernel::Portable => prepare::<false>(span, t, from + c * CHUNK, block.len(), uniform),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => prepare::<true>(span, t, from + c * CHUNK, block.len(), uniform),
        };
        match kernel {
            Kernel::Portable => portable(&input, t.weights_a, t.delta, &mut result),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: this arm only runs inside `avx2::render`, after detection.
            Kernel::Avx2Fma => unsafe { avx2::run(&input, t.weights_a, t.delta, &mut result) },
        }
        for (o, r) in block.iter_mut().zip(result.iter()) {
            *o = *r as f32;
        }
    }
}

/// Which build of the loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Kernel {
    /// The fastest build this processor supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Kernel::Avx2Fma;
        }
        Kernel::Portable
    }

    /// Every build this processor can run (for tests and benches).
    pub fn available() -> Vec<Self> {
        let mut kernels = vec![Kernel::Portable];
        if Self::detect() != Kernel::Portable {
            kernels.push(Self::detect());
        }
        kernels
    }

    /// Renders samples `from..from + out.len()` of a segment: the per-sample preparation and
    /// the bank, both compiled for this kernel's instruction set.
    pub fn render(self, span: &Span, tables: &Tables, from: usize, out: &mut [f32]) {
        match self {
            Kernel::Portable => render_block(Kernel::Portable, span, tables, from, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2Fma` is only constructed after detecting both features.
            Kernel::Avx2Fma => unsafe { avx2::render(span, tables, from, out) },
        }
    }

    /// `d_a` are the weights at the segment's first frame, `delta` the change to its second:
    /// d_k(n) = d_a[k-1] + w(n) * delta[k-1].
    #[inline]
    pub fn run(self, input: &ChunkIn, d_a: &[f64], delta: &[f64], out: &mut [f64; CHUNK]) {
        match self {
            Kernel::Portable => portable(input, d_a, delta, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2Fma` is only constructed after detecting both features.
            Kernel::Avx2Fma => unsafe { avx2::run(input, d_a, delta, out) },
        }
    }
}

/// floor for |x| < 2^31 without libm: the x86-64 baseline (SSE2) has no rounding
/// instruction, and a libm call per sample would cost more than the rest of the sample.
#[inline(always)]
pub fn floor_fast(x: f64) -> f64 {
    let t = x as i32 as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// floor: the hardware instruction where the build has one (AVX2 implies SSE4.1's `roundpd`),
/// `floor_fast` on the portable build.
#[inline(always)]
fn floor_isa<const HW: bool>(x: f64) -> f64 {
    if HW {
        x.floor()
    } else {
        floor_fast(x)
    }
}

#[inline(always)]
fn round_isa<const HW: bool>(x: f64) -> f64 {
    floor_isa::<HW>(x + 0.5)
}

/// sin and cos of 2 pi x, x in cycles, to about 1e-15: reduction to an eighth of a cycle, then
/// Taylor series to degree 15 and 14, then a branch-free quarter-turn rotation, so that lanes
/// vectorise.
#[inline(always)]
pub fn sincos_cycles(x: f64) -> (f64, f64) {
    sincos_isa::<false>(x)
}

#[inline(always)]
fn sincos_isa<const HW: bool>(x: f64) -> (f64, f64) {
    let r = x - round_isa::<HW>(x);
    let q = round_isa::<HW>(r * 4.0);
    let t = (r - q * 0.25) * std::f64::consts::TAU;
    let t2 = t * t;
    let s = t
        * (1.0
            + t2 * (-1.0 / 6.0
                + t2 * (1.0 / 120.0
                    + t2 * (-1.0 / 5040.0
                        + t2 * (1.0 / 362_880.0
                            + t2 * (-1.0 / 39_916_800.0
                                + t2 * (1.0 / 6_227_020_800.0
                                    + t2 * (-1.0 / 1_307_674_368_000.0))))))));
    let c = 1.0
        + t2 * (-0.5
            + t2 * (1.0 / 24.0
                + t2 * (-1.0 / 720.0
                    + t2 * (1.0 / 40_320.0
                        + t2 * (-1.0 / 3_628_800.0
                            + t2 * (1.0 / 479_001_600.0 + t2 * (-1.0 / 87_178_291_200.0)))))));
    // Rotate by q quarter turns (q in -2..=2): odd q swaps sin and cos, then the signs.
    let half = q * 0.5;
    let odd = 2.0 * (half - floor_isa::<HW>(half));
    let a = s + odd * (c - s);
    let b = c + odd * (s - c);
    let sin = if (0.0..=1.0).contains(&q) { a } else { -a };
    let cos = if (-1.0..=0.0).contains(&q) { b } else { -b };
    (sin, cos)
}

/// Harmonics every lane plays at full weight, and the most any lane plays.
fn harmonic_range(input: &ChunkIn) -> (usize, usize) {
    let lo = input.full.iter().copied().min().unwrap_or(0) as usize;
    let hi = input.harmonics.iter().copied().max().unwrap_or(0) as usize;
    (lo.min(hi), hi)
}

fn portable(input: &ChunkIn, d_a: &[f64], delta: &[f64], out: &mut [f64; CHUNK]) {
    let (_, hi) = harmonic_range(input);
    let (d_a, delta) = (&d_a[..hi], &delta[..hi]);
    let mut sin = [0.0; CHUNK];
    let mut two_cos = [0.0; CHUNK];
    for l in 0..CHUNK {
        let (s, c) = sincos_cycles(input.phase[l]);
        sin[l] = s;
        two_cos[l] = 2.0 * c;
    }
    let mut prev = [0.0; CHUNK];
    let mut cur = sin;
    let (mut acc_a, mut acc_d) = ([0.0; CHUNK], [0.0; CHUNK]);
    for k in 0..hi {
        for l in 0..CHUNK {
            // Lanes past their own Nyquist limit still run the recurrence but add nothing.
            let keep = if (k as u32) < input.harmonics[l] {
                nyquist_taper((k + 1) as f64 * input.f0[l], input.nyquist)
            } else {
                0.0
            };
            acc_a[l] += keep * d_a[k] * cur[l];
            acc_d[l] += keep * delta[k] * cur[l];
            let next = two_cos[l] * cur[l] - prev[l];
            prev[l] = cur[l];
            cur[l] = next;
        }
    }
    for l in 0..CHUNK {
        out[l] = input.gain[l] * (acc_a[l] + input.w[l] * acc_d[l]);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{harmonic_range, ChunkIn, CHUNK};
    use std::arch::x86_64::*;

    const V: usize = CHUNK / 4;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn render(span: &super::Span, tables: &super::Tables, from: usize, out: &mut [f32]) {
        super::render_block(super::Kernel::Avx2Fma, span, tables, from, out)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn run(input: &ChunkIn, d_a: &[f64], delta: &[f64], out: &mut [f64; CHUNK]) {
        let (lo, hi) = harmonic_range(input);
        let (d_a, delta) = (&d_a[..hi], &delta[..hi]);
        let mut sin = [0.0; CHUNK];
        let mut two_cos = [0.0; CHUNK];
        for l in 0..CHUNK {
            let (s, c) = super::sincos_isa::<true>(input.phase[l]);
            sin[l] = s;
            two_cos[l] = 2.0 * c;
        }
        // Plain loops, no closures: a closure does not inherit `target_feature`, and passing
        // __m256d through one is not sound across that boundary.
        let mut prev = [_mm256_setzero_pd(); V];
        let mut cur = [_mm256_setzero_pd(); V];
        let mut tc = [_mm256_setzero_pd(); V];
        for v in 0..V {
            cur[v] = _mm256_loadu_pd(sin.as_ptr().add(4 * v));
            tc[v] = _mm256_loadu_pd(two_cos.as_ptr().add(4 * v));
        }
        let mut acc_a = [_mm256_setzero_pd(); V];
        let mut acc_d = [_mm256_setzero_pd(); V];
        // Harmonics every lane keeps: no masking in the hot part.
        for k in 0..lo {
            let (a, d) = (
                _mm256_set1_pd(*d_a.get_unchecked(k)),
                _mm256_set1_pd(*delta.get_unchecked(k)),
            );
            for v in 0..V {
                acc_a[v] = _mm256_fmadd_pd(a, cur[v], acc_a[v]);
                acc_d[v] = _mm256_fmadd_pd(d, cur[v], acc_d[v]);
                let next = _mm256_fmsub_pd(tc[v], cur[v], prev[v]);
                prev[v] = cur[v];
                cur[v] = next;
            }
        }
        // Harmonics that some lanes fade or drop: weight each lane by its taper.
        let mut limits = [_mm256_setzero_pd(); V];
        let mut f0 = [_mm256_setzero_pd(); V];
        for v in 0..V {
            let h = &input.harmonics[4 * v..4 * v + 4];
            limits[v] = _mm256_set_pd(h[3] as f64, h[2] as f64, h[1] as f64, h[0] as f64);
            f0[v] = _mm256_loadu_pd(input.f0.as_ptr().add(4 * v));
        }
        let nyquist = _mm256_set1_pd(input.nyquist);
        let inv_width = _mm256_set1_pd(1.0 / (super::TAPER_FRACTION * input.nyquist));
        let (zero, one) = (_mm256_setzero_pd(), _mm256_set1_pd(1.0));
        let (c6, c10, c15) = (
            _mm256_set1_pd(6.0),
            _mm256_set1_pd(10.0),
            _mm256_set1_pd(15.0),
        );
        for k in lo..hi {
            let (a, d) = (
                _mm256_set1_pd(*d_a.get_unchecked(k)),
                _mm256_set1_pd(*delta.get_unchecked(k)),
            );
            let kv = _mm256_set1_pd(k as f64);
            let k1 = _mm256_set1_pd((k + 1) as f64);
            for v in 0..V {
                let below = _mm256_cmp_pd::<_CMP_LT_OQ>(kv, limits[v]);
                let f = _mm256_mul_pd(k1, f0[v]);
                let x = _mm256_mul_pd(_mm256_sub_pd(nyquist, f), inv_width);
                let x = _mm256_min_pd(one, _mm256_max_pd(zero, x));
                let poly = _mm256_fmadd_pd(x, _mm256_fmsub_pd(c6, x, c15), c10);
                let taper = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(x, x), x), poly);
                let kept = _mm256_and_pd(_mm256_mul_pd(cur[v], taper), below);
                acc_a[v] = _mm256_fmadd_pd(a, kept, acc_a[v]);
                acc_d[v] = _mm256_fmadd_pd(d, kept, acc_d[v]);
                let next = _mm256_fmsub_pd(tc[v], cur[v], prev[v]);
                prev[v] = cur[v];
                cur[v] = next;
            }
        }
        for v in 0..V {
            let gain = _mm256_loadu_pd(input.gain.as_ptr().add(4 * v));
            let w = _mm256_loadu_pd(input.w.as_ptr().add(4 * v));
            let y = _mm256_mul_pd(gain, _mm256_fmadd_pd(w, acc_d[v], acc_a[v]));
            _mm256_storeu_pd(out.as_mut_ptr().add(4 * v), y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sincos_matches_std_everywhere() {
        let mut worst: f64 = 0.0;
        for i in -20_000..=20_000 {
            let x = i as f64 * 0.000_137_7 + 0.3;
            let (s, c) = sincos_cycles(x);
            let t = std::f64::consts::TAU * x;
            worst = worst.max((s - t.sin()).abs()).max((c - t.cos()).abs());
        }
        assert!(worst < 1e-14, "{worst}");
    }

    fn chunk(seed: u64, harmonics: usize, spread: bool) -> (ChunkIn, Vec<f64>, Vec<f64>) {
        let mut rng = crate::dsp::noise::WhiteNoise::new(seed);
        let mut next = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        // f0 puts the top harmonics around Nyquist, so the taper and the cut-off are exercised;
        // `spread` varies the lanes' cut-offs by up to 10 harmonics more.
        let mut input = ChunkIn {
            nyquist: 24_000.0,
            ..ChunkIn::default()
        };
        for l in 0..CHUNK {
            input.phase[l] = next();
            input.gain[l] = next();
            input.w[l] = next();
            let spread_by = if spread { 1.0 + 0.5 * next() } else { 1.0 };
            input.f0[l] = 24_000.0 / harmonics as f64 * (0.9 + 0.2 * next()) * spread_by;
            let (full, below) = luthier_counts(input.f0[l], input.nyquist, harmonics);
            input.full[l] = full as u32;
            input.harmonics[l] = below as u32;
        }
        let d_a: Vec<f64> = (0..harmonics).map(|_| next()).collect();
        let delta: Vec<f64> = (0..harmonics).map(|_| next() - 0.5).collect();
        (input, d_a, delta)
    }

    /// (harmonics at full weight, harmonics below Nyquist), counted one by one.
    fn luthier_counts(f0: f64, nyquist: f64, max: usize) -> (usize, usize) {
        let full = (1..=max)
            .filter(|&k| k as f64 * f0 <= (1.0 - TAPER_FRACTION) * nyquist)
            .count();
        let below = (1..=max).filter(|&k| (k as f64 * f0) < nyquist).count();
        (full, below)
    }

    /// The definition, with a sine per harmonic.
    fn direct(input: &ChunkIn, d_a: &[f64], delta: &[f64]) -> [f64; CHUNK] {
        std::array::from_fn(|l| {
            let sum: f64 = (0..input.harmonics[l] as usize)
                .map(|k| {
                    let taper = nyquist_taper((k + 1) as f64 * input.f0[l], input.nyquist);
                    let d = taper * (d_a[k] + input.w[l] * delta[k]);
                    d * (std::f64::consts::TAU * (k + 1) as f64 * input.phase[l]).sin()
                })
                .sum();
            input.gain[l] * sum
        })
    }

    #[test]
    fn every_kernel_matches_the_definition() {
        for kernel in Kernel::available() {
            for (seed, harmonics, spread) in [
                (1, 1, false),
                (2, 100, false),
                (3, 128, true),
                (4, 37, true),
            ] {
                let (input, d_a, delta) = chunk(seed, harmonics, spread);
                let mut out = [0.0; CHUNK];
                kernel.run(&input, &d_a, &delta, &mut out);
                let want = direct(&input, &d_a, &delta);
                for l in 0..CHUNK {
                    assert!(
                        (out[l] - want[l]).abs() < 1e-9,
                        "{kernel:?} {harmonics}: lane {l} {} vs {}",
                        out[l],
                        want[l]
                    );
                }
            }
        }
    }

    #[test]
    fn simd_and_portable_kernels_agree() {
        let kernels = Kernel::available();
        if kernels.len() < 2 {
            eprintln!("only the portable kernel runs on this processor");
            return;
        }
        for seed in 0..50 {
            let (input, d_a, delta) = chunk(seed, 1 + (seed as usize * 7) % 128, seed % 2 == 0);
            let (mut a, mut b) = ([0.0; CHUNK], [0.0; CHUNK]);
            kernels[0].run(&input, &d_a, &delta, &mut a);
            kernels[1].run(&input, &d_a, &delta, &mut b);
            for l in 0..CHUNK {
                assert!((a[l] - b[l]).abs() < 1e-12, "seed {seed} lane {l}");
            }
        }
    }

    #[test]
    fn low_pitch_many_harmonics_stays_accurate() {
        // 128 harmonics of 40 Hz at 192 kHz: the recurrence's worst conditioning.
        let mut input = ChunkIn {
            nyquist: 96_000.0,
            ..ChunkIn::default()
        };
        for l in 0..CHUNK {
            input.phase[l] = l as f64 * 40.0 / 192_000.0;
            input.gain[l] = 1.0;
            input.f0[l] = 40.0;
            input.full[l] = 128;
            input.harmonics[l] = 128;
        }
        let d_a = vec![1.0 / 128.0; 128];
        let delta = vec![0.0; 128];
        for kernel in Kernel::available() {
            let mut out = [0.0; CHUNK];
            kernel.run(&input, &d_a, &delta, &mut out);
            let want = direct(&input, &d_a, &delta);
            for l in 0..CHUNK {
                assert!((out[l] - want[l]).abs() < 1e-11, "{kernel:?} lane {l}");
            }
        }
    }
}
