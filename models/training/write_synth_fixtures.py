"""Parity fixtures for the PyTorch synthesizer (luthier_training/synth.py): seeded controls,
rendered in float64 by the PyTorch synth, written where the Rust parity test reads its cases
(plugin/tests/golden/, the format documented in plugin/tests/reference/ddsp_reference.py).
plugin/tests/synth_parity.rs runs the plugin's synthesizer on the same controls and must agree
within 1e-4 (harmonic part) and 1e-5 (noise): then training hears what the plugin plays.

    .venv/bin/python models/training/write_synth_fixtures.py

Deterministic: two runs write identical files.
"""

import json
from pathlib import Path

import numpy as np
import torch

from luthier_training import synth

GOLDEN = Path(__file__).resolve().parents[2] / "plugin" / "tests" / "golden"


def exp_sigmoid(x):
    return 2.0 / (1.0 + np.exp(-x)) ** np.log(10.0) + 1e-7


def decoder_like(name, seed, sr, frames, harmonics, interp, f0):
    """Controls shaped like a decoder's: exp_sigmoid of smooth random logits (the noise louder
    than a trained model's, so that the noise part's parity is tested at a useful level)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / 250.0

    def smooth(shape, rate):
        phases = rng.uniform(0, 2 * np.pi, size=(1,) + shape[1:])
        return np.sin(2 * np.pi * rate * t + phases) + 0.3 * rng.standard_normal(shape)

    return {
        "name": name,
        "sample_rate": sr,
        "frame_rate": 250,
        "interp": interp,
        "noise_band_spacing_hz": 375.0,
        "noise_seed": seed,
        "f0": np.float32(f0(t[:, 0])),
        "amp": np.float32(0.3 * exp_sigmoid(smooth((frames, 1), 2.0)[:, 0] - 1.0)),
        "harm": np.float32(exp_sigmoid(smooth((frames, harmonics), 3.0) - 1.0)),
        "noise": np.float32(exp_sigmoid(smooth((frames, 65), 4.0) - 1.0)),
    }


CASES = [
    # A sung-like line: notes with vibrato, at the training rate.
    decoder_like(
        "torch_phrase_48k", 2001, 48000, 81, 100, "linear",
        lambda t: 110.0 * 2 ** (np.floor(t / 0.08) * 2 / 12) * 2 ** (0.25 / 12 * np.sin(2 * np.pi * 5.5 * t)),
    ),
    # A fractional hop (176.4 samples) and harmonics crossing Nyquist on a glide.
    decoder_like(
        "torch_glide_44k1", 2002, 44100, 61, 60, "linear",
        lambda t: 400.0 * 8.0 ** (t / t[-1]),
    ),
    # Raised-cosine interpolation, 128 harmonics of a low note.
    decoder_like(
        "torch_low_96k", 2003, 96000, 41, 128, "raised_cosine",
        lambda t: 55.0 * 1.5 ** (t / t[-1]),
    ),
]


def nyquist_margin(case):
    """Smallest |k*f0(n) - sr/2| / (sr/2): near 0, float32 rounding could mask a harmonic
    differently in Rust (see the reference's note); the fixtures keep clear of it."""
    sr, fr = case["sample_rate"], case["frame_rate"]
    j, alpha = synth.frame_grid(len(case["f0"]), sr, fr)
    f0 = torch.tensor(case["f0"], dtype=torch.float64)
    f0_n = f0[j] + alpha * (f0[j + 1] - f0[j])
    k = torch.arange(1, case["harm"].shape[1] + 1, dtype=torch.float64)
    return float(((k[None, :] * f0_n[:, None] - sr / 2).abs() / (sr / 2)).min())


def render(case):
    sr, fr = case["sample_rate"], case["frame_rate"]
    t = lambda x: torch.tensor(np.asarray(x, dtype=np.float64))[None]  # noqa: E731
    y_h = synth.harmonic(t(case["f0"]), t(case["amp"]), t(case["harm"]), sr, fr, case["interp"])
    starts = synth.segment_starts(len(case["f0"]), sr, fr)
    white = t(synth.splitmix64_noise(case["noise_seed"], starts[-1]))
    y_n = synth.noise(t(case["noise"]), white, sr, fr, case["noise_band_spacing_hz"])
    return y_h[0].numpy(), y_n[0].numpy()


def write(case):
    y_h, y_n = render(case)
    margin = nyquist_margin(case)
    assert margin > 1e-6, f"{case['name']}: k*f0 within {margin:.1e} of Nyquist"
    head = {k: case[k] for k in ("sample_rate", "frame_rate", "interp", "noise_band_spacing_hz", "noise_seed")}
    head["samples"] = len(y_h)
    head["frames"] = [
        {
            "f0_hz": float(case["f0"][j]),
            "amplitude": float(case["amp"][j]),
            "harmonics": [float(x) for x in case["harm"][j]],
            "noise": [float(x) for x in case["noise"][j]],
        }
        for j in range(len(case["f0"]))
    ]
    name = case["name"]
    (GOLDEN / f"{name}.json").write_text(json.dumps(head) + "\n")
    (GOLDEN / f"{name}.harmonic.f64").write_bytes(y_h.astype("<f8").tobytes())
    (GOLDEN / f"{name}.noise.f64").write_bytes(y_n.astype("<f8").tobytes())
    print(f"{name}: {len(y_h)} samples, peak |y_h| {np.abs(y_h).max():.4f}, peak |y_n| {np.abs(y_n).max():.4f}, Nyquist margin {margin:.1e}")


def check_against_the_numpy_reference():
    """A cross-check in Python before Rust sees anything: the float64 numpy reference (written
    independently from the same conventions) renders a fixture the same."""
    import sys

    sys.path.insert(0, str(GOLDEN.parent / "reference"))
    import ddsp_reference as ref

    case = CASES[1]
    y_h, y_n = render(case)
    sr, fr = case["sample_rate"], case["frame_rate"]
    f64 = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    r_h = ref.harmonic_part(f64(case["f0"]), f64(case["amp"]), f64(case["harm"]), sr, fr, case["interp"])
    r_n = ref.noise_part(f64(case["noise"]), sr, fr, case["noise_band_spacing_hz"], case["noise_seed"])
    assert np.abs(y_h - r_h).max() < 1e-9, np.abs(y_h - r_h).max()
    assert np.abs(y_n - r_n).max() < 1e-12, np.abs(y_n - r_n).max()
    print(f"numpy reference agrees: harmonic {np.abs(y_h - r_h).max():.1e}, noise {np.abs(y_n - r_n).max():.1e}")


def main():
    for case in CASES:
        write(case)
    check_against_the_numpy_reference()


if __name__ == "__main__":
    main()
