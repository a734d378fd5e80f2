"""Spectrogram of a glide across Nyquist: a naive oscillator bank (every harmonic summed, no
Nyquist handling; computed here in numpy) beside Luthier's synth (rendered by
`cargo run --release -p luthier --example nyquist_glide`). Aliases show as lines that fold back
down from Nyquist; Luthier's panel must have none.

    .venv/bin/python assets/plots/spectrogram.py   ->  assets/nyquist_glide_spectrogram.png
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SR, SECONDS, HARMONICS = 48000, 3.0, 100


def naive_glide():
    """The same controls (f0 = 1 kHz * 12^(t/3 s), weights 1/k normalised, amplitude 0.5) with
    every harmonic kept, whatever its frequency."""
    n = int(SR * SECONDS)
    t = np.arange(n) / SR
    f0 = 1000.0 * 12.0 ** (t / SECONDS)
    phase = np.cumsum(f0 / SR) % 1.0
    k = np.arange(1, HARMONICS + 1)
    w = (1.0 / k) / np.sum(1.0 / k)
    out = np.zeros(n)
    for kk, wk in zip(k, w):
        out += wk * np.sin(2 * np.pi * kk * phase)
    return 0.5 * out


def spectrogram_db(x, n_fft=2048, hop=256):
    window = np.blackman(n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return 10 * np.log10(power / power.max() + 1e-20).T


def main():
    ours = np.fromfile(ROOT / "target/plots/nyquist_glide.f32", dtype="<f4").astype(np.float64)
    panels = [("Naive oscillator bank (no Nyquist handling)", naive_glide()), ("Luthier", ours)]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for ax, (title, x) in zip(axes, panels):
        s = spectrogram_db(x)
        extent = [0, len(x) / SR, 0, SR / 2000]
        im = ax.imshow(s, origin="lower", aspect="auto", extent=extent, vmin=-120, vmax=0, cmap="magma")
        ax.set_title(title)
        ax.set_xlabel("time (s): f0 glides 1 -> 12 kHz")
    axes[0].set_ylabel("frequency (kHz)")
    fig.colorbar(im, ax=axes, label="dB (relative to the strongest bin)")
    out = ROOT / "assets/nyquist_glide_spectrogram.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
