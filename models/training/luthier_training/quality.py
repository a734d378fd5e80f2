"""A model's quality on its instrument's validation phrases, measured on what the plugin plays:
each phrase goes through `luthier render --audio` (the effect: the plugin's tracker, voicing,
decoder and synth, offline and aligned with the input), once with the model and once with
`--model none` (the plugin's fixed sawtooth-like spectrum on the same f0 and loudness).

Reported, averaged over the phrases:
- the multi-scale spectral distance (training's loss: FFT 2048..64, linear + log magnitude)
  from the original to ours and to the sawtooth, and their ratio;
- the median error, in cents, between the f0 that conditioned the model (tracked on the
  original) and the f0 tracked on our output, over frames voiced in both.
A spectrogram PNG of the first phrase (original against ours) goes to --png.

    .venv/bin/python -m luthier_training.quality --model ../../models/violin.onnx --instrument violin [--png PATH]
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch

from luthier_training.train import REPO, SR, VOICED, read_features, spectral_loss


def spectrogram_png(path, original, ours, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    for ax, x, name in zip(axes, (original, ours), ("original (fluidsynth, FluidR3_GM)", "Luthier FX resynthesis (luthier render)")):
        ax.specgram(x, NFFT=2048, Fs=SR, noverlap=1536, cmap="magma", vmin=-140)
        ax.set_ylim(0, 8000)
        ax.set_ylabel("Hz")
        ax.set_title(f"{title}: {name}")
    axes[1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def render(luthier: Path, model: str, wav: Path, out: Path) -> np.ndarray:
    subprocess.run([str(luthier), "render", "--model", model, "--audio", str(wav), "-o", str(out)], check=True, capture_output=True)
    audio, rate = soundfile.read(out, dtype="float32")
    assert rate == SR
    return audio


def cents_errors(luthier: Path, wav: Path, rendered: Path) -> np.ndarray:
    """|cents| between the original's tracked f0 and our output's, where both are voiced."""
    csv = rendered.with_suffix(".csv")
    subprocess.run([str(luthier), "features", str(rendered), "--out", str(csv)], check=True, capture_output=True)
    f0_in, conf_in, _, _ = read_features(wav)
    f0_out, conf_out, _, _ = read_features(rendered)
    n = min(len(f0_in), len(f0_out))
    both = (conf_in[:n] >= VOICED) & (conf_out[:n] >= VOICED)
    return np.abs(1200 * np.log2(f0_out[:n][both] / f0_in[:n][both]))


def measure(model: Path, folder: Path, luthier: Path, png: Path | None = None, title: str = "") -> dict:
    ours, baseline, cents = [], [], []
    phrases = sorted(folder.glob("*.wav"))
    with tempfile.TemporaryDirectory() as tmp:
        for i, wav in enumerate(phrases):
            original, _ = soundfile.read(wav, dtype="float32")
            y = render(luthier, str(model), wav, Path(tmp) / "ours.wav")
            saw = render(luthier, "none", wav, Path(tmp) / "saw.wav")
            target = torch.from_numpy(original)[None]
            ours.append(float(spectral_loss(torch.from_numpy(y)[None], target)))
            baseline.append(float(spectral_loss(torch.from_numpy(saw)[None], target)))
            cents.append(cents_errors(luthier, wav, Path(tmp) / "ours.wav"))
            if i == 0 and png:
                spectrogram_png(png, original[: 8 * SR], y[: 8 * SR], title)
            print(f"\r{i + 1}/{len(phrases)} phrases", end="", flush=True)
    print()
    result = {
        "model": model.stem,
        "phrases": len(phrases),
        "spectral_distance_ours": float(np.mean(ours)),
        "spectral_distance_sawtooth": float(np.mean(baseline)),
        "median_cents_error": float(np.median(np.concatenate(cents))),
    }
    result["ratio"] = result["spectral_distance_ours"] / result["spectral_distance_sawtooth"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the model's .onnx")
    parser.add_argument("--instrument", required=True, help="whose validation phrases")
    parser.add_argument("--data", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--luthier", type=Path, default=REPO / "target" / "release" / "luthier")
    parser.add_argument("--png", type=Path)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.model.resolve(), args.data / args.instrument / "valid", args.luthier, args.png, args.instrument.replace("_", " "))
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
