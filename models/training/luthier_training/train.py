"""Training a decoder on one instrument's data (luthier_training.data), resumable, with progress.

    .venv/bin/python -m luthier_training.train --instrument violin [--hidden 128] [--minutes 60]

(from models/training/). The decoder turns the plugin's own features (f0, loudness per 4 ms
frame) into synth controls; the PyTorch synth (the same as the plugin's) renders them at 48 kHz
and a multi-scale spectral loss (FFT sizes 2048 down to 64; linear and log magnitude, L1)
compares them with the recording. The target audio is taken the effect's analysis latency
earlier than the features' frames: features describe the samples before their frame, and the
plugin reports that latency, so the host lines the output up the same way. Training plays the
features as the plugin's effect does (luthier_training.voicing): the voicing gain scales the
controls, and the GRU restarts at each note from silence and rests while the voice is silent.

Checkpoints go to DIR/<instrument>/checkpoint.pt every few minutes and at the end (a run picks
up where the last one stopped); the validation loss is measured on the validation phrases.
"""

import argparse
import csv
import json
import math
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import soundfile
import torch

from luthier_training import synth, voicing
from luthier_training.decoder import RnnFcDecoder

SR, FR = 48000, 250
HOP = SR // FR
ANALYSIS_LATENCY = 240  # samples at 48 kHz: the effect's reported 5 ms (plugin/src/engine/effect.rs)
FFT_SIZES = (2048, 1024, 512, 256, 128, 64)
VOICED = voicing.VOICED_CONFIDENCE
WARMUP = 50  # frames the decoder runs before an excerpt (200 ms)
REPO = Path(__file__).resolve().parents[3]


def read_features(wav: Path):
    """The phrase's features as `luthier features` wrote them beside it: f0, confidence,
    loudness and periodicity per frame (periodicity None in features written before it was)."""
    rows = list(csv.DictReader(open(wav.with_suffix(".csv"))))
    column = lambda key: np.array([float(r[key]) for r in rows], dtype=np.float32)  # noqa: E731
    periodicity = column("periodicity") if rows and "periodicity" in rows[0] else None
    return column("f0_hz"), column("confidence"), column("loudness_db"), periodicity


@dataclass
class Played:
    """Per frame (arrays [T], or tensors [N, T] once batched): the f0 played, the voicing gain,
    where the GRU state restarts, where the decoder runs, and the loudness."""

    f0: np.ndarray
    gain: np.ndarray
    reset: np.ndarray
    active: np.ndarray
    loudness: np.ndarray

    def frames(self):
        return len(self.f0)

    def cut(self, start, stop):
        return Played(*(getattr(self, f.name)[start:stop] for f in fields(self)))

    @staticmethod
    def batch(rows):
        return Played(*(torch.tensor(np.stack([getattr(r, f.name) for r in rows])) for f in fields(Played)))


def read_phrase(wav: Path):
    """Audio and, per frame, what the plugin's effect makes of its features: a Played."""
    audio, sr = soundfile.read(wav, dtype="float32")
    assert sr == SR, f"{wav}: {sr} Hz"
    f0, confidence, loudness, periodicity = read_features(wav)
    return audio, Played(*voicing.policy(f0, confidence, loudness, periodicity), loudness)


class Examples:
    """Random excerpts of `frames` frames (and their audio) from a folder of phrases. Each comes
    with WARMUP frames before it, which the decoder runs through but the loss does not hear, so
    that an excerpt starting mid-note starts from a state like the plugin's there."""

    def __init__(self, folder: Path, frames: int):
        self.phrases = [read_phrase(w) for w in sorted(folder.glob("*.wav"))]
        if not self.phrases:
            raise SystemExit(f"no phrases in {folder}: make them with luthier_training.data")
        self.frames = frames

    def seconds(self):
        return sum(len(a) for a, _ in self.phrases) / SR

    def batch(self, rng, size):
        """(played [N, WARMUP + frames], target audio [N, (frames - 1) * HOP])."""
        rows, audios = [], []
        first = -(-ANALYSIS_LATENCY // HOP) + WARMUP
        for _ in range(size):
            audio, played = self.phrases[rng.integers(len(self.phrases))]
            start = int(rng.integers(first, min(played.frames(), len(audio) // HOP) - self.frames))
            rows.append(played.cut(start - WARMUP, start + self.frames))
            a0 = start * HOP - ANALYSIS_LATENCY
            audios.append(audio[a0 : a0 + (self.frames - 1) * HOP])
        return Played.batch(rows), torch.tensor(np.stack(audios))

    def all(self, max_frames=2500):
        """Whole phrases, cut to max_frames frames, with no warm-up (a phrase starts silent)."""
        first = -(-ANALYSIS_LATENCY // HOP)  # the first frame whose audio starts at or after 0
        for audio, played in self.phrases:
            n = min(played.frames() - first, len(audio) // HOP - first, max_frames)
            a0 = first * HOP - ANALYSIS_LATENCY
            yield Played.batch([played.cut(first, first + n)]), torch.tensor(audio[a0 : a0 + (n - 1) * HOP])[None]


def spectral_loss(x, y):
    """Multi-scale spectral distance: per FFT size, mean |S_x - S_y| + mean |log S_x - log S_y|."""
    loss = 0.0
    for n in FFT_SIZES:
        window = torch.hann_window(n, device=x.device)
        sx = torch.stft(x, n, n // 4, window=window, return_complex=True).abs()
        sy = torch.stft(y, n, n // 4, window=window, return_complex=True).abs()
        loss = loss + (sx - sy).abs().mean() + (torch.log(sx + 1e-7) - torch.log(sy + 1e-7)).abs().mean()
    return loss


def render(decoder, played: Played, warmup=0, generator=None):
    """What the plugin's effect plays for these frames: the decoder's controls, scaled by the
    voicing gain, through the synth. The first `warmup` frames only set the GRU state."""
    amplitude, harmonics, noise, _ = decoder(played.f0, played.loudness, reset=played.reset, active=played.active)
    gain, f0 = played.gain[:, warmup:], played.f0[:, warmup:]
    amplitude, harmonics, noise = amplitude[:, warmup:] * gain, harmonics[:, warmup:], noise[:, warmup:] * gain[..., None]
    y = synth.harmonic(f0, amplitude, harmonics, SR, FR)
    starts = synth.segment_starts(f0.shape[1], SR, FR)
    white = torch.rand(f0.shape[0], starts[-1], generator=generator) * 2 - 1
    return y + synth.noise(noise, white, SR, FR, 375.0)


def train(folder: Path, hidden=128, minutes=60.0, steps=0, batch=8, frames=200, lr=1e-3, threads=0):
    """Trains (or resumes training) a decoder on folder/{train,valid}; returns the result that
    it also writes to folder/result-h{hidden}.json. The learning rate holds for the first half
    of the time budget, then falls tenfold by its end (the budget is what a run has, so the
    schedule survives resuming)."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    train_set = Examples(folder / "train", frames)
    valid = Examples(folder / "valid", frames)
    decoder = RnnFcDecoder(hidden=hidden, noise_bias=-5.0)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=lr)
    checkpoint = folder / f"checkpoint-h{hidden}.pt"
    step, spent = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint)
        decoder.load_state_dict(state["decoder"])
        optimizer.load_state_dict(state["optimizer"])
        step, spent = state["step"], state["seconds"]
        print(f"resuming at step {step} ({spent / 60:.1f} min trained)")
    rng = np.random.default_rng(step)  # a resumed run does not repeat the batches it has seen
    print(f"{folder.name}: {train_set.seconds() / 60:.1f} min training audio, H{hidden}, batch {batch} x {frames * 4} ms")

    def save():
        torch.save({"decoder": decoder.state_dict(), "optimizer": optimizer.state_dict(), "step": step, "seconds": spent,
                    "hidden": hidden}, checkpoint)

    started, last_save, recent = time.time(), time.time(), []
    while spent + (time.time() - started) < minutes * 60 and (steps == 0 or step < steps):
        progress = (spent + time.time() - started) / (minutes * 60)
        for group in optimizer.param_groups:
            group["lr"] = lr * 0.1 ** max(0.0, 2.0 * progress - 1.0)
        played, target = train_set.batch(rng, batch)
        loss = spectral_loss(render(decoder, played, WARMUP), target)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 3.0)
        optimizer.step()
        step += 1
        recent = (recent + [loss.item()])[-50:]
        elapsed = spent + time.time() - started
        print(f"\rstep {step}  loss {np.mean(recent):.3f}  {elapsed / 60:.1f}/{minutes:.0f} min  {elapsed / step:.2f} s/step", end="", flush=True)
        if time.time() - last_save > 300:
            spent += time.time() - started
            started = last_save = time.time()
            save()
    spent += time.time() - started
    print()
    save()
    with torch.no_grad():
        generator = torch.Generator().manual_seed(0)
        losses = [float(spectral_loss(render(decoder, played, 0, generator), target)) for played, target in valid.all()]
    result = {"data": folder.name, "hidden": hidden, "steps": step, "minutes": spent / 60,
              "validation_loss": float(np.mean(losses))}
    (folder / f"result-h{hidden}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


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
    parser.add_argument("--threads", type=int, default=0, help="PyTorch threads (0: its default)")
    args = parser.parse_args()
    train(args.data / args.instrument, args.hidden, args.minutes, args.steps, args.batch, args.frames, args.lr, args.threads)


if __name__ == "__main__":
    main()
