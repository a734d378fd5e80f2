"""The DDSP synthesizer in PyTorch, the same as the plugin's (plugin/src/dsp/): a harmonic
oscillator bank with a Nyquist taper and filtered noise, on Luthier's frame grid. Training
renders a decoder's controls through it, so what the loss hears is what the plugin plays; a
parity test (write_synth_fixtures.py, checked by plugin/tests/synth_parity.rs) holds the two
together.

Conventions (the plugin's; plugin/tests/reference/ddsp_reference.py states them in full):
- Frames F_0..F_J, frame j at time j/fr; segment j, samples [ceil(j*sr/fr), ceil((j+1)*sr/fr)),
  interpolates F_j -> F_{j+1} at alpha = (n*fr - j*sr)/sr. Output length ceil(J*sr/fr).
- f0 interpolates linearly; amplitude and harmonic weights linearly (or raised cosine).
- Phase in cycles, phi(n) = (phi(n-1) + f0(n)/sr) mod 1, starting from f0(0)/sr.
- Harmonic k is weighted by a quintic smootherstep from 90 % of Nyquist to 0 at Nyquist; the
  tapered weights are normalised to sum 1 every sample (silent where they sum to <= 1e-12).
- Noise: per frame a zero-phase FIR (magnitudes on a b*spacing grid, linearly interpolated onto
  N = 2*round(sr/(2*spacing)) bins, irfft, centred, periodic Hann), applied to the frame's
  segment of white noise, fully convolved and overlap-added at start_j - N/2.

Everything is batched over a leading dimension and differentiable in the amplitude, harmonic
weights and noise magnitudes (f0 is conditioning: no gradient flows through the phase).
"""

import math

import numpy as np
import torch

TAPER_FRACTION = 0.1
S_THRESHOLD = 1e-12


def segment_starts(frames: int, sr: int, fr: int) -> list[int]:
    """start_j = ceil(j*sr/fr) for j = 0..frames, in exact integer arithmetic."""
    return [(j * sr + fr - 1) // fr for j in range(frames + 1)]


def frame_grid(frames: int, sr: int, fr: int, device=None):
    """Segment index j and position alpha (float64) of every output sample."""
    length = segment_starts(frames - 1, sr, fr)[-1]
    n = torch.arange(length, dtype=torch.int64, device=device)
    j = (n * fr) // sr
    alpha = (n * fr - j * sr).to(torch.float64) / sr
    return j, alpha


def nyquist_taper(f: torch.Tensor, sr: int) -> torch.Tensor:
    nyquist = sr / 2.0
    x = ((nyquist - f) / (TAPER_FRACTION * nyquist)).clamp(0.0, 1.0)
    return x * x * x * (10.0 + x * (6.0 * x - 15.0))


def harmonic(f0, amplitude, harmonics, sr: int, fr: int, interp: str = "linear"):
    """f0, amplitude: (batch, J+1); harmonics: (batch, J+1, K) non-negative weights.
    Returns (batch, ceil(J*sr/fr)) in the controls' dtype."""
    if sr % fr == 0 and harmonics.shape[1] >= 2:
        return _harmonic_equal_segments(f0, amplitude, harmonics, sr, fr, interp)
    return _harmonic_general(f0, amplitude, harmonics, sr, fr, interp)


def _per_sample(f0, amplitude, frames: int, sr: int, fr: int, interp: str):
    """Every output sample's segment j, weight w, f0 and phase (float64) and amplitude."""
    j, alpha = frame_grid(frames, sr, fr, device=amplitude.device)
    w = alpha if interp == "linear" else (1.0 - torch.cos(math.pi * alpha)) / 2.0
    w = w.to(amplitude.dtype)
    f0 = f0.to(torch.float64)
    f0_n = f0[:, j] + alpha * (f0[:, j + 1] - f0[:, j])
    # The phase in float64 whatever the training dtype: a float32 running sum drifts by cents
    # within seconds at 48 kHz.
    phi = torch.remainder(torch.cumsum(f0_n / sr, dim=1), 1.0)
    amp_n = amplitude[:, j] + w * (amplitude[:, j + 1] - amplitude[:, j])
    return j, w, f0_n, phi, amp_n


def _harmonic_general(f0, amplitude, harmonics, sr: int, fr: int, interp: str):
    dtype = amplitude.dtype
    frames, k_count = harmonics.shape[1], harmonics.shape[2]
    j, w, f0_n, phi, amp_n = _per_sample(f0, amplitude, frames, sr, fr, interp)
    d = harmonics[:, j] + w[None, :, None] * (harmonics[:, j + 1] - harmonics[:, j])
    # The per-harmonic work, (batch, samples, K), in the controls' dtype: float32 for training
    # (k*phi < K cycles keeps 6e-6 cycles of resolution, plenty for a loss), float64 for the
    # parity fixtures. Float64 there would cost training 3x.
    k = torch.arange(1, k_count + 1, dtype=dtype, device=amplitude.device)
    if float(f0_n.max()) * k_count > (1.0 - TAPER_FRACTION) * sr / 2.0:
        kept = nyquist_taper(k[None, None, :] * f0_n.to(dtype)[:, :, None], sr) * d
    else:
        kept = d  # every harmonic below the taper: its weight is 1
    s = kept.sum(dim=2)
    sines = torch.sin((2.0 * math.pi) * k[None, None, :] * phi.to(dtype)[:, :, None])
    bank = (kept * sines).sum(dim=2)
    audible = s > S_THRESHOLD
    gain = torch.where(audible, amp_n / torch.where(audible, s, torch.ones_like(s)), torch.zeros_like(s))
    return gain * bank


def _nyquist_taper_columns(f0_n, k, sr: int):
    """nyquist_taper(k * f0_n) as (batch, samples, K), computed only for the harmonics of each
    batch row that cross the taper band somewhere in it: lower ones are 1, higher ones 0."""
    nyquist = sr / 2.0
    band = TAPER_FRACTION * nyquist
    taper = torch.ones(f0_n.shape + k.shape, dtype=f0_n.dtype, device=f0_n.device)
    for row, f in zip(taper, f0_n):
        lowest, highest = float(f.min()), float(f.max())
        first = max(int((nyquist - band) / highest), 0)  # k <= first: k * f0 under the band
        last = min(int(math.ceil(nyquist / max(lowest, 1e-9))), len(k))  # k > last: over Nyquist
        row[:, last:] = 0.0
        if first < last:
            x = torch.mul(f[:, None], k[None, first:last]).mul_(-1.0 / band).add_(nyquist / band).clamp_(0.0, 1.0)
            row[:, first:last] = (x * 6.0 - 15.0).mul_(x).add_(10.0).mul_(x).mul_(x).mul_(x)
    return taper


def _harmonic_equal_segments(f0, amplitude, harmonics, sr: int, fr: int, interp: str):
    """`harmonic` where every segment has sr/fr samples (48 kHz, the training rate): the same
    sum, grouped so that training never builds the (batch, samples, K) interpolated weights.

    Within segment j the weights are (1 - w) d_j + w d_{j+1}, so the bank is
    (1 - w) * sum_k d_j,k s_k + w * sum_k d_{j+1},k s_k with s_k = taper_k * sin(2 pi k phi), two
    matrix products per segment; the taper and the sines depend on f0 only (no gradient), so
    they are built once without autograd. Six times faster than the general form on 2 cores.
    """
    dtype = amplitude.dtype
    batch, frames, k_count = harmonics.shape
    seg, segments = sr // fr, frames - 1
    j, w, f0_n, phi, amp_n = _per_sample(f0, amplitude, frames, sr, fr, interp)
    # Both ends of every segment's weights: (batch * segments, K, 2).
    ends = torch.stack([harmonics[:, :-1], harmonics[:, 1:]], dim=-1).reshape(batch * segments, k_count, 2)
    k = torch.arange(1, k_count + 1, dtype=dtype, device=amplitude.device)
    with torch.no_grad():
        # In place where it can be: these are (batch, samples, K), memory traffic is the cost.
        sines = torch.mul(phi.to(dtype)[:, :, None], (2.0 * math.pi) * k[None, None, :]).sin_()
        tapered = float(f0_n.max()) * k_count > (1.0 - TAPER_FRACTION) * sr / 2.0
        if tapered:
            taper = _nyquist_taper_columns(f0_n.to(dtype), k, sr)
            sines.mul_(taper)
    both = torch.bmm(sines.reshape(batch * segments, seg, k_count), ends).reshape(batch, -1, 2)
    bank = (1.0 - w)[None, :] * both[..., 0] + w[None, :] * both[..., 1]
    if tapered:
        sums = torch.bmm(taper.reshape(batch * segments, seg, k_count), ends).reshape(batch, -1, 2)
        s = (1.0 - w)[None, :] * sums[..., 0] + w[None, :] * sums[..., 1]
    else:
        s = harmonics.sum(dim=2)
        s = s[:, j] + w * (s[:, j + 1] - s[:, j])
    audible = s > S_THRESHOLD
    gain = torch.where(audible, amp_n / torch.where(audible, s, torch.ones_like(s)), torch.zeros_like(s))
    return gain * bank


def ir_size(sr: int, spacing: float) -> int:
    """N = 2*round(sr/(2*spacing)), half away from zero."""
    return 2 * int(math.floor(sr / (2.0 * spacing) + 0.5))


def noise_filters(magnitudes, sr: int, spacing: float):
    """Zero-phase FIRs (batch, frames, N), centred at N/2, from magnitudes (batch, frames, B)."""
    n_fft = ir_size(sr, spacing)
    bands = magnitudes.shape[-1]
    bins = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * (sr / n_fft)
    position = bins / spacing  # where each bin falls on the band grid
    lower = position.floor().long().clamp(max=bands - 1)
    upper = (lower + 1).clamp(max=bands - 1)
    frac = (position - lower).to(magnitudes.dtype)
    inside = (position <= bands - 1).to(magnitudes.dtype)  # 0 above the last band
    response = (magnitudes[..., lower] * (1 - frac) + magnitudes[..., upper] * frac) * inside
    h = torch.fft.irfft(response, n_fft)
    h = torch.roll(h, n_fft // 2, dims=-1)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * torch.arange(n_fft, dtype=torch.float64) / n_fft)
    return h * window.to(h.dtype)


def noise(magnitudes, white, sr: int, fr: int, spacing: float):
    """Filtered noise from magnitudes (batch, J+1, B) and white noise (batch, >= start_{J+1})
    in [-1, 1]. Returns (batch, ceil(J*sr/fr))."""
    batch, frames, _ = magnitudes.shape
    starts = segment_starts(frames, sr, fr)
    length, n_fft = starts[frames - 1], ir_size(sr, spacing)
    longest = max(b - a for a, b in zip(starts, starts[1:]))
    # Every frame's segment of noise, zero-padded to the longest.
    index = torch.tensor(starts[:-1])[:, None] + torch.arange(longest)[None, :]
    valid = index < torch.tensor(starts[1:])[:, None]
    segments = white[:, index.clamp(max=white.shape[1] - 1)] * valid.to(white.dtype)
    h = noise_filters(magnitudes, sr, spacing)
    size = 1 << (longest + n_fft - 1 - 1).bit_length()
    convolved = torch.fft.irfft(torch.fft.rfft(segments, size) * torch.fft.rfft(h, size), size)
    convolved = convolved[..., : longest + n_fft - 1]
    # Overlap-add at start_j - N/2 into a buffer shifted by N/2.
    out = torch.zeros(batch, starts[frames] + longest + n_fft, dtype=convolved.dtype)
    positions = torch.tensor(starts[:-1])[:, None] + torch.arange(convolved.shape[-1])[None, :]
    out = out.index_add(1, positions.reshape(-1), convolved.reshape(batch, -1))
    half = n_fft // 2
    return out[:, half : half + length]


def splitmix64_noise(seed: int, count: int) -> np.ndarray:
    """The plugin's white noise: SplitMix64 from `seed`, u = (z >> 40) * 2^-24, value 2u - 1."""
    with np.errstate(over="ignore"):
        steps = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + steps * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) * 2.0**-24
    return 2.0 * u - 1.0
