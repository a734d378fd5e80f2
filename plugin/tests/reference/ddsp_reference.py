"""Float64 reference implementation of Luthier's DDSP synthesizer, and golden-file writer.

What this is
------------
An independent numpy implementation, written straight from the formulas, of the two
parts of the DDSP synthesizer (after magenta/ddsp): a harmonic oscillator bank and
filtered noise, with exactly the conventions the real-time Rust synthesizer implements.
It writes golden input/output files that a Rust test reads, runs the Rust synthesizer
on, and compares against (1e-4 absolute for the harmonic part, 1e-5 for the noise).

How to run
----------
From the repository root:

    .venv/bin/python plugin/tests/reference/ddsp_reference.py

It runs the self-checks at the end (assertions) and regenerates every golden file in
plugin/tests/golden/. It is deterministic: two runs give byte-identical files.

Files written, per case <case>:
    <case>.json          the inputs (schema below)
    <case>.harmonic.f64  the harmonic part, raw little-endian float64, `samples` values
    <case>.noise.f64     the filtered-noise part, same layout
The synthesizer's output is their sum.

JSON schema (every float is a float32 value written as the shortest decimal that reads
back as that exact value, so the Rust f32 reading of it is exact):
    {
      "sample_rate": int (Hz),
      "frame_rate": int (Hz),
      "interp": "linear" | "raised_cosine",
      "noise_band_spacing_hz": float,
      "noise_seed": int (< 2**53),
      "samples": int (the output length),
      "frames": [ {"f0_hz": float, "amplitude": float,
                   "harmonics": [float; K], "noise": [float; B]}, ... ]   (J + 1 frames)
    }

Conventions
-----------
Frames F_0..F_J, frame j at time j/fr. Segment j (interpolating F_j -> F_{j+1}) holds the
samples n with j*sr <= n*fr < (j+1)*sr, i.e. [start_j, start_{j+1}) with
start_j = ceil(j*sr/fr) = (j*sr + fr - 1) // fr. Position in the segment:
alpha(n) = (n*fr - j*sr) / sr (integer numerator, then one float division).
Output length = start_J.

Harmonic part, per sample n of segment j:
    f0(n) = f0_j + alpha*(f0_{j+1} - f0_j)                  (always linear)
    w(n)  = alpha ("linear") or (1 - cos(pi*alpha))/2 ("raised_cosine")
    A(n)  = A_j + w*(A_{j+1} - A_j);  d_k(n) = d_{j,k} + w*(d_{j+1,k} - d_{j,k})
    phi(n) = (phi(n-1) + f0(n)/sr) mod 1, phi(-1) = 0       (cycles; phi(0) = f0(0)/sr)
    Nyquist taper: harmonic k at f = k*f0(n) gets tau_k = s(x), x = clamp((sr/2 - f) / W, 0, 1),
    W = 0.1 * sr/2, s(x) = x^3 (10 - 15x + 6x^2) (quintic smootherstep): full weight up to 90 %
    of Nyquist, a C2 fade to exactly 0 at Nyquist and above. (A hard cut makes every other
    harmonic jump by the removed share within one sample, which splatters at -46 dB.)
    S(n) = sum_k tau_k d_k(n);  y_h(n) = 0 if S <= 1e-12 else
           A(n)/S(n) * sum_k tau_k d_k(n) * sin(2*pi*k*phi(n))

Noise part:
    N = 2*round(sr/(2*spacing)) (round half away from zero), bins f_i = i*sr/N, i = 0..N/2
    H_j = interp of frame j's magnitudes over the grid b*spacing (0 above the last point)
    h_j = hann_periodic * roll(irfft(H_j, N), N/2)
    white noise: one SplitMix64 stream seeded with noise_seed, u = (z >> 40) * 2^-24,
    value 2u - 1. Frame j = 0..J takes the next start_{j+1} - start_j values (frame J's
    segment lies past the output), convolves them fully with h_j and adds the result at
    output position start_j - N/2 (anything outside [0, start_J) is dropped).
"""

import json
import math
from pathlib import Path

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"

MASK64 = (1 << 64) - 1
S_THRESHOLD = 1e-12
TAPER_FRACTION = 0.1


def nyquist_taper(f, sr):
    """Weight of a harmonic at frequency f: 1 below 90 % of Nyquist, 0 at and above it."""
    nyquist = sr / 2.0
    x = np.clip((nyquist - f) / (TAPER_FRACTION * nyquist), 0.0, 1.0)
    return x * x * x * (10.0 + x * (6.0 * x - 15.0))


# --------------------------------------------------------------------------------------
# Frame grid
# --------------------------------------------------------------------------------------


def segment_start(j, sr, fr):
    """First sample of segment j: ceil(j*sr/fr) in exact integer arithmetic."""
    return (j * sr + fr - 1) // fr


def frame_grid(num_frames, sr, fr):
    """For the output samples n = 0..start_J - 1: their segment j and position alpha."""
    last = num_frames - 1  # J
    length = segment_start(last, sr, fr)
    n = np.arange(length, dtype=np.int64)
    j = (n * fr) // sr  # j*sr <= n*fr < (j+1)*sr
    alpha = (n * fr - j * sr) / sr
    return j, alpha


# --------------------------------------------------------------------------------------
# Harmonic part
# --------------------------------------------------------------------------------------


def harmonic_part(f0, amp, harm, sr, fr, interp):
    """Harmonic oscillator bank.

    f0, amp: (J+1,) arrays; harm: (J+1, K) array of non-negative weights.
    Returns y_h of length start_J.
    """
    f0 = np.asarray(f0, dtype=np.float64)
    amp = np.asarray(amp, dtype=np.float64)
    harm = np.asarray(harm, dtype=np.float64)
    j, alpha = frame_grid(len(f0), sr, fr)

    if interp == "linear":
        w = alpha
    elif interp == "raised_cosine":
        w = (1.0 - np.cos(np.pi * alpha)) / 2.0
    else:
        raise ValueError(f"unknown interp {interp!r}")

    f0_n = f0[j] + alpha * (f0[j + 1] - f0[j])
    amp_n = amp[j] + w * (amp[j + 1] - amp[j])
    d = harm[j] + w[:, None] * (harm[j + 1] - harm[j])  # (n, K)

    # Phase in cycles: running sum of the per-sample increments, wrapped to [0, 1).
    phi = np.mod(np.cumsum(f0_n / sr), 1.0)

    k = np.arange(1, harm.shape[1] + 1, dtype=np.float64)
    d_kept = nyquist_taper(k[None, :] * f0_n[:, None], sr) * d
    s = d_kept.sum(axis=1)
    bank = (d_kept * np.sin(2.0 * np.pi * k[None, :] * phi[:, None])).sum(axis=1)

    audible = s > S_THRESHOLD
    gain = np.divide(amp_n, s, out=np.zeros_like(s), where=audible)
    return np.where(audible, gain * bank, 0.0)


def harmonic_part_scalar(f0, amp, harm, sr, fr, interp):
    """The same formulas as harmonic_part, sample by sample (self-check only)."""
    num_frames, num_harm = np.shape(harm)
    out = []
    phi = 0.0
    for n in range(segment_start(num_frames - 1, sr, fr)):
        j = (n * fr) // sr
        a = (n * fr - j * sr) / sr
        w = a if interp == "linear" else (1.0 - math.cos(math.pi * a)) / 2.0
        f = f0[j] + a * (f0[j + 1] - f0[j])
        phi = (phi + f / sr) % 1.0
        gain_sum, acc = 0.0, 0.0
        for k in range(1, num_harm + 1):
            x = min(max((sr / 2.0 - k * f) / (TAPER_FRACTION * sr / 2.0), 0.0), 1.0)
            tau = x * x * x * (10.0 + x * (6.0 * x - 15.0))
            dk = tau * (harm[j][k - 1] + w * (harm[j + 1][k - 1] - harm[j][k - 1]))
            gain_sum += dk
            acc += dk * math.sin(2.0 * math.pi * k * phi)
        am = amp[j] + w * (amp[j + 1] - amp[j])
        out.append(am / gain_sum * acc if gain_sum > S_THRESHOLD else 0.0)
    return np.array(out)


# --------------------------------------------------------------------------------------
# Noise part
# --------------------------------------------------------------------------------------


def splitmix64(seed, count):
    """The raw 64-bit outputs z of a SplitMix64 stream (Python ints)."""
    state = seed & MASK64
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out.append(z)
    return out


def white_noise(seed, count):
    """Uniform white noise in [-1, 1): 2*u - 1 with u = (z >> 40) * 2^-24."""
    u = np.array([z >> 40 for z in splitmix64(seed, count)], dtype=np.float64) * 2.0**-24
    return 2.0 * u - 1.0


def ir_size(sr, spacing):
    """N = 2*round(sr/(2*spacing)), rounding half away from zero (as Rust's f64::round)."""
    return 2 * int(math.floor(sr / (2.0 * spacing) + 0.5))


def noise_filter(mags, sr, spacing):
    """Zero-phase FIR for one frame: length N, centred at N/2, periodic-Hann windowed."""
    n_fft = ir_size(sr, spacing)
    mags = np.asarray(mags, dtype=np.float64)
    grid = np.arange(len(mags)) * float(spacing)
    bins = np.arange(n_fft // 2 + 1) * float(sr) / n_fft
    response = np.interp(bins, grid, mags, right=0.0)
    h = np.roll(np.fft.irfft(response, n_fft), n_fft // 2)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    return h * window


def noise_part(noise_mags, sr, fr, spacing, seed):
    """Filtered noise. noise_mags: (J+1, B). Returns y_n of length start_J."""
    noise_mags = np.asarray(noise_mags, dtype=np.float64)
    num_frames = len(noise_mags)
    n_fft = ir_size(sr, spacing)
    half = n_fft // 2
    starts = [segment_start(j, sr, fr) for j in range(num_frames + 1)]
    length = starts[num_frames - 1]
    stream = white_noise(seed, starts[num_frames])

    # Output buffer shifted by N/2 so that the start_j - N/2 offsets are non-negative.
    buf = np.zeros(starts[num_frames] + n_fft)
    for j in range(num_frames):
        segment = stream[starts[j] : starts[j + 1]]
        filtered = np.convolve(segment, noise_filter(noise_mags[j], sr, spacing))
        buf[starts[j] : starts[j] + len(filtered)] += filtered
    return buf[half : half + length]


# --------------------------------------------------------------------------------------
# Golden cases
# --------------------------------------------------------------------------------------


def f32(x):
    """Round to float32 and back to float64: the values the Rust test will read."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def smooth_amplitude(rng, t, rate_hz, phase):
    """Smooth amplitude in 0.05..0.5 with a little per-frame randomness."""
    amp = 0.275 + 0.175 * np.sin(2.0 * np.pi * rate_hz * t + phase)
    amp += rng.uniform(-0.04, 0.04, size=len(t))
    return np.clip(amp, 0.05, 0.5)


def tilted_harmonics(rng, t, num_harm, rate_hz):
    """Random weights in [0, 1) times k^-tilt, the tilt changing per frame."""
    k = np.arange(1, num_harm + 1, dtype=np.float64)
    tilt = 1.0 + 0.5 * np.sin(2.0 * np.pi * rate_hz * t)
    return rng.random((len(t), num_harm)) * k[None, :] ** -tilt[:, None]


def case_glide_48k():
    rng = np.random.default_rng(1001)
    sr, fr, frames, num_harm, bands = 48000, 250, 61, 100, 65
    t = np.arange(frames) / fr
    glide = 110.0 * 16.0 ** (t / t[-1])  # 110 -> 1760 Hz, exponential
    vibrato = 2.0 ** ((30.0 / 1200.0) * np.sin(2.0 * np.pi * 6.0 * t))  # 6 Hz, +-30 cents
    return dict(
        sample_rate=sr,
        frame_rate=fr,
        interp="linear",
        noise_band_spacing_hz=375.0,
        noise_seed=1,
        f0=glide * vibrato,
        amp=smooth_amplitude(rng, t, 3.0, 0.3),
        harm=tilted_harmonics(rng, t, num_harm, 4.0),
        noise=rng.random((frames, bands)) * 0.02,
    )


def case_glide_48k_raised_cosine():
    case = case_glide_48k()
    case["interp"] = "raised_cosine"
    return case


def case_nyquist_44k1():
    rng = np.random.default_rng(1002)
    sr, fr, frames, num_harm, bands = 44100, 250, 61, 60, 65
    t = np.arange(frames) / fr
    return dict(
        sample_rate=sr,
        frame_rate=fr,
        interp="linear",
        noise_band_spacing_hz=375.0,
        noise_seed=2,
        f0=300.0 * 10.0 ** (t / t[-1]),  # 300 -> 3000 Hz: harmonics 8..60 cross Nyquist
        amp=smooth_amplitude(rng, t, 2.0, 1.0),
        harm=tilted_harmonics(rng, t, num_harm, 3.0),
        noise=rng.random((frames, bands)) * 0.02,
    )


def case_low_96k():
    rng = np.random.default_rng(1003)
    sr, fr, frames, num_harm, bands = 96000, 250, 41, 128, 65
    t = np.arange(frames) / fr
    return dict(
        sample_rate=sr,
        frame_rate=fr,
        interp="linear",
        noise_band_spacing_hz=375.0,
        noise_seed=3,
        f0=40.0 * 2.0 ** (t / t[-1]),  # 40 -> 80 Hz
        amp=smooth_amplitude(rng, t, 5.0, 2.0),
        harm=tilted_harmonics(rng, t, num_harm, 6.0),
        noise=rng.random((frames, bands)) * 0.02,
    )


def case_steps_22k05():
    rng = np.random.default_rng(1004)
    sr, fr, frames, num_harm, bands = 22050, 250, 41, 100, 65
    t = np.arange(frames) / fr
    j = np.arange(frames)
    harm = tilted_harmonics(rng, t, num_harm, 5.0)
    harm[20:22] = 0.0  # two all-zero frames: S(n) = 0 on segment 20 (the S <= 1e-12 branch)
    return dict(
        sample_rate=sr,
        frame_rate=fr,
        interp="linear",
        noise_band_spacing_hz=375.0,
        noise_seed=4,
        f0=np.where((j // 5) % 2 == 0, 220.0, 880.0),  # big steps every 5 frames
        amp=np.where((j // 3) % 2 == 0, 0.4, 0.0),  # steps between 0.4 and 0 every 3 frames
        harm=harm,
        noise=rng.random((frames, bands)) * 0.02,
    )


CASES = {
    "glide_48k": case_glide_48k,
    "nyquist_44k1": case_nyquist_44k1,
    "low_96k": case_low_96k,
    "glide_48k_raised_cosine": case_glide_48k_raised_cosine,
    "steps_22k05": case_steps_22k05,
}


def quantise(case):
    """Round every input value to float32 (then compute in float64 from those values)."""
    case = dict(case)
    for key in ("f0", "amp", "harm", "noise"):
        case[key] = f32(case[key])
    return case


def render(case):
    sr, fr = case["sample_rate"], case["frame_rate"]
    y_h = harmonic_part(case["f0"], case["amp"], case["harm"], sr, fr, case["interp"])
    y_n = noise_part(case["noise"], sr, fr, case["noise_band_spacing_hz"], case["noise_seed"])
    return y_h, y_n


def inputs_json(case, samples):
    """The inputs as JSON text, one frame per line; floats are float32 values."""
    head = {
        "sample_rate": case["sample_rate"],
        "frame_rate": case["frame_rate"],
        "interp": case["interp"],
        "noise_band_spacing_hz": float(np.float32(case["noise_band_spacing_hz"])),
        "noise_seed": case["noise_seed"],
        "samples": samples,
    }
    frames = []
    for j in range(len(case["f0"])):
        frame = {
            "f0_hz": float(np.float32(case["f0"][j])),
            "amplitude": float(np.float32(case["amp"][j])),
            "harmonics": [float(np.float32(x)) for x in case["harm"][j]],
            "noise": [float(np.float32(x)) for x in case["noise"][j]],
        }
        frames.append("    " + json.dumps(frame))
    lines = ["{"]
    lines += [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    lines += ['  "frames": [', ",\n".join(frames), "  ]", "}"]
    return "\n".join(lines) + "\n"


def nyquist_margin(case):
    """Smallest |k*f0(n) - sr/2| / (sr/2) over all samples and harmonics.

    A sample where some k*f0(n) is within float32 rounding of Nyquist could be masked
    differently by the Rust code (one harmonic's worth of error), so goldens must keep
    clear of that. The spec's f32 evaluation, f0_j + alpha*(f0_{j+1} - f0_j) then k*f0,
    errs by at most about 3e-7 relative; the goldens require 1e-6. (A tighter margin
    cannot be asked for: a glide moves f0 by ~1e-4 relative per sample, so over dozens of
    Nyquist crossings some sample lands within ~1e-6 of one.)
    """
    sr, fr = case["sample_rate"], case["frame_rate"]
    j, alpha = frame_grid(len(case["f0"]), sr, fr)
    f0_n = case["f0"][j] + alpha * (case["f0"][j + 1] - case["f0"][j])
    k = np.arange(1, case["harm"].shape[1] + 1)
    return np.min(np.abs(k[None, :] * f0_n[:, None] - sr / 2.0)) / (sr / 2.0)


def write_goldens():
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        case = quantise(make())
        y_h, y_n = render(case)
        samples = len(y_h)
        assert len(y_n) == samples
        assert samples == segment_start(len(case["f0"]) - 1, case["sample_rate"], case["frame_rate"])
        assert np.all(np.isfinite(y_h)) and np.all(np.isfinite(y_n))
        margin = nyquist_margin(case)
        assert margin > 1e-6, f"{name}: k*f0 comes within {margin:.2e} of Nyquist"

        (GOLDEN_DIR / f"{name}.json").write_text(inputs_json(case, samples))
        (GOLDEN_DIR / f"{name}.harmonic.f64").write_bytes(y_h.astype("<f8").tobytes())
        (GOLDEN_DIR / f"{name}.noise.f64").write_bytes(y_n.astype("<f8").tobytes())

        # The JSON must read back to exactly the values computed from.
        back = json.loads((GOLDEN_DIR / f"{name}.json").read_text())
        assert np.array_equal([fr["f0_hz"] for fr in back["frames"]], case["f0"])
        assert np.array_equal([fr["harmonics"] for fr in back["frames"]], case["harm"])
        assert np.array_equal([fr["noise"] for fr in back["frames"]], case["noise"])

        n_fft = ir_size(case["sample_rate"], case["noise_band_spacing_hz"])
        print(
            f"{name}: {samples} samples, N = {n_fft}, "
            f"peak |y_h| = {np.max(np.abs(y_h)):.4f}, peak |y_n| = {np.max(np.abs(y_n)):.4f}, "
            f"Nyquist margin = {margin:.2e}"
        )


# --------------------------------------------------------------------------------------
# Self-checks
# --------------------------------------------------------------------------------------


def check_single_harmonic():
    """K = 1, weight 1, constant f0 and A: y_h(n) = A*sin(2*pi*f0*(n+1)/sr)."""
    sr, fr, f0, amp = 48000, 250, 440.0, 0.3
    frames = 251  # one second
    y = harmonic_part(
        np.full(frames, f0), np.full(frames, amp), np.ones((frames, 1)), sr, fr, "linear"
    )
    n = np.arange(len(y))
    expected = amp * np.sin(2.0 * np.pi * f0 * (n + 1) / sr)
    error = np.max(np.abs(y - expected))
    assert len(y) == sr and error < 1e-9, f"single harmonic: error {error:.2e}"


def check_above_nyquist_is_silent():
    """Samples whose f0 puts every harmonic at or above Nyquist are exactly 0."""
    sr, fr = 48000, 250
    f0 = np.array([1000.0, 1000.0, 24000.0, 24000.0, 30000.0, 30000.0])
    y = harmonic_part(f0, np.full(6, 0.5), np.ones((6, 3)), sr, fr, "linear")
    j, alpha = frame_grid(6, sr, fr)
    f0_n = f0[j] + alpha * (f0[j + 1] - f0[j])
    silent = f0_n >= sr / 2.0
    assert silent.sum() >= 3 * (sr // fr), "test setup: too few silent samples"
    assert np.all(y[silent] == 0.0), "harmonics at/above Nyquist were not masked"
    assert np.max(np.abs(y[:sr // fr])) > 0.4, "test setup: the audible part is silent"


def check_against_scalar_loop():
    """The vectorised harmonic bank agrees with a literal per-sample loop."""
    for make in (case_nyquist_44k1, case_glide_48k_raised_cosine, case_steps_22k05):
        case = quantise(make())
        # The first 9 frames (8 segments) keep the Python loop short.
        args = (case["f0"][:9], case["amp"][:9], case["harm"][:9])
        rate = (case["sample_rate"], case["frame_rate"], case["interp"])
        error = np.max(np.abs(harmonic_part(*args, *rate) - harmonic_part_scalar(*args, *rate)))
        assert error < 1e-9, f"vectorised vs scalar harmonic bank: error {error:.2e}"
    steps = quantise(case_steps_22k05())
    y_h, _ = render(steps)
    seg20 = slice(segment_start(20, 22050, 250), segment_start(21, 22050, 250))
    assert np.all(y_h[seg20] == 0.0), "all-zero harmonic weights must give exactly 0"


def check_splitmix():
    """Print the first 8 values for seed 0; the first raw output is the published one."""
    raw = splitmix64(0, 8)
    values = white_noise(0, 8)
    assert raw[0] == 0xE220A8397B1DCDAF, f"SplitMix64 seed 0: first output {raw[0]:#018x}"
    print("SplitMix64 seed 0, first 8 values (z, noise = 2*(z >> 40)*2^-24 - 1):")
    for z, v in zip(raw, values):
        print(f"  {z:#018x}  {float(v)!r}")


def check_noise_filter():
    sr, spacing, bands = 48000, 375.0, 65
    n_fft = ir_size(sr, spacing)
    rng = np.random.default_rng(7)

    # The irfft gives the zero-phase cosine series the Rust side may write out directly.
    mags = rng.random(bands)
    grid = np.arange(bands) * spacing
    response = np.interp(np.arange(n_fft // 2 + 1) * sr / n_fft, grid, mags, right=0.0)
    i = np.arange(1, n_fft // 2)
    t = np.arange(n_fft) - n_fft // 2  # rolled: index N/2 is lag 0
    cosines = (
        response[0]
        + 2.0 * (response[i, None] * np.cos(2.0 * np.pi * i[:, None] * t[None, :] / n_fft)).sum(0)
        + response[-1] * np.cos(np.pi * t)
    ) / n_fft
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    assert np.max(np.abs(noise_filter(mags, sr, spacing) - cosines * window)) < 1e-12

    # DC gain: the periodic Hann window turns H[0] into (H[0] + H[1]) / 2 exactly;
    # for flat magnitudes that is H[0] itself.
    h = noise_filter(mags, sr, spacing)
    assert abs(h.sum() - 0.5 * (response[0] + response[1])) < 1e-12
    level = 0.01
    h_flat = noise_filter(np.full(bands, level), sr, spacing)
    assert abs(h_flat.sum() - level) < 0.01 * level, "flat filter: DC gain off"

    # Parseval: a long run through a fixed filter has RMS = RMS(white) * sqrt(sum h^2).
    frames = 2 * 250 + 1
    for mags_run in (np.full(bands, level), mags * level):
        y = noise_part(np.tile(mags_run, (frames, 1)), sr, 250, spacing, 11)
        h_run = noise_filter(mags_run, sr, spacing)
        predicted = np.sqrt(np.mean(white_noise(11, len(y)) ** 2)) * np.sqrt(np.sum(h_run**2))
        rms = np.sqrt(np.mean(y**2))
        assert abs(rms / predicted - 1.0) < 0.05, f"noise RMS {rms:.3e} vs {predicted:.3e}"

    # Segment stitching: with the same filter in every frame, the overlap-add equals
    # filtering the whole stream at once (with the -N/2 alignment).
    for sr_s, fr_s in ((44100, 250), (22050, 250), (48000, 250)):
        n_s = ir_size(sr_s, spacing)
        y = noise_part(np.tile(mags, (30, 1)), sr_s, fr_s, spacing, 5)
        stream = white_noise(5, segment_start(30, sr_s, fr_s))
        whole = np.convolve(stream, noise_filter(mags, sr_s, spacing))
        assert np.max(np.abs(y - whole[n_s // 2 : n_s // 2 + len(y)])) < 1e-12


def main():
    write_goldens()
    check_single_harmonic()
    check_above_nyquist_is_silent()
    check_against_scalar_loop()
    check_noise_filter()
    check_splitmix()
    print("all self-checks passed")


if __name__ == "__main__":
    main()
