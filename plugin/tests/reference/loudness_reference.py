"""Float64 numpy reference for Luthier's loudness, and golden-file writer.

magenta/ddsp's compute_loudness (after its v2 fix), restated in seconds and Hz: frame j is the
32 ms window ending at sample ceil(j*sr/fr) (silence before the signal), periodic Hann window,
|rfft|^2 scaled by (512/N)^2, times librosa's A-weighting (IEC 61672, floored at -80 dB, as
power), averaged over the bins up to 8 kHz, 10*log10, floored at -80 dB. At 16 kHz this is
DDSP's own formula with n_fft 512 (checked below).

Luthier's meter shortens the window to two periods of the note (12..32 ms, power scaled to
match), so the comparison is on stationary signals: steady tones frame by frame, stationary
noise by its mean level.

    .venv/bin/python plugin/tests/reference/loudness_reference.py
writes plugin/tests/golden/loudness_<case>.{json,f32} (the signal as raw little-endian
float32, and the expected loudness per frame).
"""

import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
FRAME_RATE = 250


def a_weighting_db(f):
    """librosa.A_weighting, written from its formula."""
    f2 = np.asarray(f, dtype=np.float64) ** 2
    c = np.array([12194.217, 20.598997, 107.65265, 737.86223]) ** 2
    with np.errstate(divide="ignore"):
        db = 2.0 + 20.0 * (
            np.log10(c[0])
            + 2 * np.log10(f2)
            - np.log10(f2 + c[0])
            - np.log10(f2 + c[1])
            - 0.5 * np.log10(f2 + c[2])
            - 0.5 * np.log10(f2 + c[3])
        )
    return np.maximum(np.nan_to_num(db, nan=-80.0, neginf=-80.0), -80.0)


def loudness(x, sr, fr=FRAME_RATE, window_s=0.032, max_hz=8000.0, ddsp_frame=512):
    n = int(round(window_s * sr))
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    freqs = np.arange(n // 2 + 1) * sr / n
    keep = freqs <= max_hz + 1e-9
    weight = 10 ** (a_weighting_db(freqs[keep]) / 10)
    padded = np.concatenate([np.zeros(n), np.asarray(x, dtype=np.float64)])
    out = []
    j = 0
    while True:
        end = (j * sr + fr - 1) // fr
        frame = padded[min(end, len(x)) : min(end, len(x)) + n]
        power = np.abs(np.fft.rfft(frame * hann)) ** 2 * (ddsp_frame / n) ** 2
        mean = np.mean(power[keep] * weight)
        out.append(max(10 * np.log10(max(mean, 1e-20)), -80.0))
        if end >= len(x):
            break
        j += 1
    return np.array(out)


def ddsp_at_16k(x):
    """DDSP's compute_loudness at 16 kHz, n_fft 512, frames ending at each hop (self-check)."""
    n, hop = 512, 64
    padded = np.concatenate([np.zeros(n), x])
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    weight = 10 ** (a_weighting_db(np.arange(n // 2 + 1) * 16000 / n) / 10)
    frames = [padded[j * hop : j * hop + n] for j in range(len(x) // hop + 1)]
    return np.array([max(10 * np.log10(max(np.mean(np.abs(np.fft.rfft(f * hann)) ** 2 * weight), 1e-20)), -80.0) for f in frames])


def saw(f0, sr, seconds, amp):
    t = np.arange(int(seconds * sr)) / sr
    return amp * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 16))


def cases():
    """(name, rate, signal, kind): steady tones at several pitches and rates, and stationary
    noise (white, and a low-passed one)."""
    rng = np.random.default_rng(2026)
    yield "tone_82_44k1", 44100, saw(82.4, 44100, 0.5, 0.2), "tone"
    yield "tone_220_48k", 48000, saw(220.0, 48000, 0.5, 0.1), "tone"
    yield "tone_440_96k", 96000, saw(440.0, 96000, 0.5, 0.05), "tone"
    yield "tone_1000_48k", 48000, 0.3 * np.sin(2 * np.pi * 1000 * np.arange(24000) / 48000), "tone"
    yield "white_noise_48k", 48000, rng.uniform(-0.3, 0.3, 48000), "noise"
    dark = np.convolve(rng.uniform(-1, 1, 44100), np.ones(8) / 8, mode="same") * 0.5
    yield "dark_noise_44k1", 44100, dark, "noise"


def main():
    # Self-check: at 16 kHz the definition is DDSP's formula.
    x = np.random.default_rng(1).uniform(-0.5, 0.5, 16000)
    ours, theirs = loudness(x, 16000), ddsp_at_16k(x)
    assert np.max(np.abs(ours[: len(theirs)] - theirs)) < 1e-9, "not DDSP's formula at 16 kHz"
    # Self-check: a full-scale 1 kHz sine reads 10*log10(24576/257) dB at any rate.
    for sr in (16000, 44100, 96000):
        s = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr)
        assert abs(loudness(s, sr)[-1] - 10 * np.log10(24576 / 257)) < 0.1
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("loudness_*"):
        old.unlink()
    for name, sr, signal, kind in cases():
        signal = signal.astype(np.float32)
        expected = loudness(signal.astype(np.float64), sr)
        signal.astype("<f4").tofile(GOLDEN / f"loudness_{name}.f32")
        meta = {"sample_rate": sr, "frame_rate": FRAME_RATE, "kind": kind, "loudness_db": [round(float(v), 6) for v in expected]}
        (GOLDEN / f"loudness_{name}.json").write_text(json.dumps(meta) + "\n")
        print(f"{name}: {len(signal)} samples, {len(expected)} frames, {expected.min():.1f}..{expected.max():.1f} dB")
    print("self-checks passed")


if __name__ == "__main__":
    main()
