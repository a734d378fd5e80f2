"""A trained decoder's quality on its instrument's validation phrases: the multi-scale spectral
distance from the original render to (a) our resynthesis from the tracked f0 and loudness and
(b) the plugin's fixed sawtooth-like spectrum driven by the same f0 and loudness (what the
plugin plays without a model); and a spectrogram PNG of one phrase, original against
resynthesis.

    .venv/bin/python -m luthier_training.quality --instrument cello --hidden 128 [--png PATH]
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch

from luthier_training import synth
from luthier_training.decoder import RnnFcDecoder
from luthier_training.train import FR, REPO, SR, Examples, render, spectral_loss

# The plugin's fixed spectrum (plugin/src/engine.rs): harmonic k at 1/k, amplitude from the
# loudness relative to a full-scale sine's reading, a breath of noise.
FULL_SCALE_SINE_DB = 10 * math.log10(24576 / 257)
PLACEHOLDER_NOISE = 0.003


def sawtooth(f0, loudness):
    amplitude = 10 ** ((loudness - FULL_SCALE_SINE_DB) / 20)
    k = torch.arange(1, 101, dtype=torch.float32)
    harmonics = (1 / k).expand(f0.shape[0], f0.shape[1], 100)
    noise = (PLACEHOLDER_NOISE * amplitude)[..., None].expand(-1, -1, 65)
    white = torch.rand(f0.shape[0], synth.segment_starts(f0.shape[1], SR, FR)[-1], generator=torch.Generator().manual_seed(0)) * 2 - 1
    return synth.harmonic(f0, amplitude, harmonics, SR, FR) + synth.noise(noise.contiguous(), white, SR, FR, 375.0)


def spectrogram_png(path, original, ours, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    for ax, x, name in zip(axes, (original, ours), ("original (fluidsynth, FluidR3_GM)", "Luthier resynthesis")):
        ax.specgram(x, NFFT=2048, Fs=SR, noverlap=1536, cmap="magma", vmin=-140)
        ax.set_ylim(0, 8000)
        ax.set_ylabel("Hz")
        ax.set_title(f"{title}: {name}")
    axes[1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", required=True)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--data", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--png", type=Path)
    args = parser.parse_args()
    folder = args.data / args.instrument
    state = torch.load(folder / f"checkpoint-h{args.hidden}.pt")
    decoder = RnnFcDecoder(hidden=args.hidden, noise_bias=-5.0)
    decoder.load_state_dict(state["decoder"])
    decoder.eval()
    ours, baseline = [], []
    with torch.no_grad():
        for i, (f0, loud, target) in enumerate(Examples(folder / "valid", 200).all()):
            y = render(decoder, f0, loud, torch.Generator().manual_seed(i))
            ours.append(float(spectral_loss(y, target)))
            baseline.append(float(spectral_loss(sawtooth(f0, loud), target)))
            if i == 0 and args.png:
                spectrogram_png(args.png, target[0, : 8 * SR].numpy(), y[0, : 8 * SR].numpy(), args.instrument)
    result = {
        "instrument": args.instrument,
        "hidden": args.hidden,
        "steps": state["step"],
        "spectral_distance_ours": float(np.mean(ours)),
        "spectral_distance_sawtooth": float(np.mean(baseline)),
    }
    result["ratio"] = result["spectral_distance_ours"] / result["spectral_distance_sawtooth"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
