"""Training a decoder on one instrument's data (luthier_training.data), resumable, with progress.

    .venv/bin/python -m luthier_training.train --instrument violin [--hidden 128] [--minutes 60]

(from models/training/). The decoder turns the plugin's own features (f0, loudness per 4 ms
frame) into synth controls; the PyTorch synth (the same as the plugin's) renders them at 48 kHz
and a multi-scale spectral loss (FFT sizes 2048 down to 64; linear and log magnitude, L1)
compares them with the recording. The target audio is taken the effect's analysis latency
earlier than the features' frames: features describe the samples before their frame, and the
plugin reports that latency, so the host lines the output up the same way.

Checkpoints go to DIR/<instrument>/checkpoint.pt every few minutes and at the end (a run picks
up where the last one stopped); the validation loss is measured on the validation phrases.
"""

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from luthier_training import synth
from luthier_training.decoder import RnnFcDecoder

SR, FR = 48000, 250
HOP = SR // FR
ANALYSIS_LATENCY = 240  # samples at 48 kHz: the effect's reported 5 ms (plugin/src/engine.rs)
FFT_SIZES = (2048, 1024, 512, 256, 128, 64)
VOICED = 0.55  # the plugin's voicing threshold
REPO = Path(__file__).resolve().parents[3]


def read_features(wav: Path):
    """The phrase's features as `luthier features` wrote them beside it: f0, confidence and
    loudness per frame."""
    rows = list(csv.DictReader(open(wav.with_suffix(".csv"))))
    column = lambda key: np.array([float(r[key]) for r in rows], dtype=np.float32)  # noqa: E731
    return column("f0_hz"), column("confidence"), column("loudness_db")


def read_phrase(wav: Path):
    """Audio and per-frame (f0, loudness); unvoiced frames hold the last voiced f0, as the
    plugin does."""
    audio, sr = soundfile.read(wav, dtype="float32")
    assert sr == SR, f"{wav}: {sr} Hz"
    f0, confidence, loudness = read_features(wav)
    held = f0.copy()
    last = float(np.median(f0[confidence >= VOICED])) if np.any(confidence >= VOICED) else 220.0
    for j in range(len(f0)):
        if confidence[j] >= VOICED:
            last = f0[j]
        held[j] = last
    return audio, held, loudness


class Examples:
    """Random excerpts of `frames` frames (and their audio) from a folder of phrases."""

    def __init__(self, folder: Path, frames: int):
        self.phrases = [read_phrase(w) for w in sorted(folder.glob("*.wav"))]
        if not self.phrases:
            raise SystemExit(f"no phrases in {folder}: make them with luthier_training.data")
        self.frames = frames

    def seconds(self):
        return sum(len(a) for a, _, _ in self.phrases) / SR

    def batch(self, rng, size):
        f0s, louds, audios = [], [], []
        for _ in range(size):
            audio, f0, loud = self.phrases[rng.integers(len(self.phrases))]
            first = -(-ANALYSIS_LATENCY // HOP)
            start = int(rng.integers(first, min(len(f0), len(audio) // HOP) - self.frames))
            f0s.append(f0[start : start + self.frames])
            louds.append(loud[start : start + self.frames])
            a0 = start * HOP - ANALYSIS_LATENCY
            audios.append(audio[a0 : a0 + (self.frames - 1) * HOP])
        return (torch.tensor(np.stack(f0s)), torch.tensor(np.stack(louds)), torch.tensor(np.stack(audios)))

    def all(self, max_frames=2500):
        """Whole validation phrases, cut to max_frames frames."""
        first = -(-ANALYSIS_LATENCY // HOP)  # the first frame whose audio starts at or after 0
        for audio, f0, loud in self.phrases:
            n = min(len(f0) - first, len(audio) // HOP - first, max_frames)
            a0 = first * HOP - ANALYSIS_LATENCY
            yield (torch.tensor(f0[first : first + n])[None], torch.tensor(loud[first : first + n])[None],
                   torch.tensor(audio[a0 : a0 + (n - 1) * HOP])[None])


def spectral_loss(x, y):
    """Multi-scale spectral distance: per FFT size, mean |S_x - S_y| + mean |log S_x - log S_y|."""
    loss = 0.0
    for n in FFT_SIZES:
        window = torch.hann_window(n, device=x.device)
        sx = torch.stft(x, n, n // 4, window=window, return_complex=True).abs()
        sy = torch.stft(y, n, n // 4, window=window, return_complex=True).abs()
        loss = loss + (sx - sy).abs().mean() + (torch.log(sx + 1e-7) - torch.log(sy + 1e-7)).abs().mean()
    return loss


def render(decoder, f0, loudness, generator=None):
    amplitude, harmonics, noise, _ = decoder(f0, loudness)
    y = synth.harmonic(f0, amplitude, harmonics, SR, FR)
    starts = synth.segment_starts(f0.shape[1], SR, FR)
    white = torch.rand(f0.shape[0], starts[-1], generator=generator) * 2 - 1
    return y + synth.noise(noise, white, SR, FR, 375.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", required=True)
    parser.add_argument("--data", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--minutes", type=float, default=60.0, help="training time budget")
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time only)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--frames", type=int, default=200, help="frames per example (4 ms each)")
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    folder = args.data / args.instrument
    train = Examples(folder / "train", args.frames)
    valid = Examples(folder / "valid", args.frames)
    decoder = RnnFcDecoder(hidden=args.hidden, noise_bias=-5.0)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=args.lr)
    checkpoint = folder / f"checkpoint-h{args.hidden}.pt"
    step, spent = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint)
        decoder.load_state_dict(state["decoder"])
        optimizer.load_state_dict(state["optimizer"])
        step, spent = state["step"], state["seconds"]
        print(f"resuming at step {step} ({spent / 60:.1f} min trained)")
    print(f"{args.instrument}: {train.seconds() / 60:.1f} min training audio, H{args.hidden}, batch {args.batch} x {args.frames * 4} ms")

    def save():
        torch.save({"decoder": decoder.state_dict(), "optimizer": optimizer.state_dict(), "step": step, "seconds": spent,
                    "hidden": args.hidden}, checkpoint)

    started, last_save, recent = time.time(), time.time(), []
    while spent + (time.time() - started) < args.minutes * 60 and (args.steps == 0 or step < args.steps):
        f0, loud, target = train.batch(rng, args.batch)
        loss = spectral_loss(render(decoder, f0, loud), target)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 3.0)
        optimizer.step()
        step += 1
        recent = (recent + [float(loss)])[-50:]
        elapsed = spent + time.time() - started
        print(f"\rstep {step}  loss {np.mean(recent):.3f}  {elapsed / 60:.1f}/{args.minutes:.0f} min  {elapsed / step:.2f} s/step", end="", flush=True)
        if time.time() - last_save > 300:
            spent += time.time() - started
            started = last_save = time.time()
            save()
    spent += time.time() - started
    print()
    save()
    with torch.no_grad():
        generator = torch.Generator().manual_seed(0)
        losses = [float(spectral_loss(render(decoder, f0, loud, generator), target)) for f0, loud, target in valid.all()]
    result = {"instrument": args.instrument, "hidden": args.hidden, "steps": step, "minutes": spent / 60,
              "validation_loss": float(np.mean(losses))}
    (folder / f"result-h{args.hidden}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
