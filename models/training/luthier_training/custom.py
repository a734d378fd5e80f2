"""A model from your own recordings: `cargo xtask train --audio DIR --name NAME` runs this.

    .venv/bin/python -m luthier_training.custom --audio DIR --name NAME [--minutes 60]

(from models/training/). It takes every audio file under DIR (wav, flac, aiff, ogg: monophonic
recordings of one instrument or voice, any sample rate, mono or stereo), resamples it to 48 kHz
mono, cuts it into phrases of at most 20 s (every tenth one kept for validation), takes the
plugin's own features of each (`luthier features`), trains a decoder on them with the same
pipeline as the shipped models (luthier_training.train) and exports NAME.onnx, its card and its
golden file into the user's model folder, where the plugins find it.

The work folder (default target/custom-training/NAME) keeps the phrases and checkpoints: running
the same command again resumes training where it stopped, up to the --minutes budget.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio

from luthier_training.export_trained import export_checkpoint
from luthier_training.train import REPO, SR, train

AUDIO_SUFFIXES = {".wav", ".flac", ".aif", ".aiff", ".ogg"}
PHRASE_SECONDS = 20.0
VALID_EVERY = 10
MIN_SECONDS = 30.0  # under this there is nothing to learn from
ADVISED_MINUTES = 10.0


def user_models() -> Path:
    """Where the plugins look for the user's models (plugin/src/model/library.rs)."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "luthier" / "models"


def recordings(folder: Path) -> list[Path]:
    if not folder.is_dir():
        sys.exit(f"error: {folder} is not a folder of recordings")
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not found:
        sys.exit(f"error: no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) under {folder}")
    return found


def read_mono_48k(path: Path) -> np.ndarray:
    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as err:  # soundfile raises its own error types per format
        sys.exit(f"error: cannot read {path}: {err}")
    mono = audio.mean(axis=1)
    if rate != SR:
        mono = torchaudio.functional.resample(torch.from_numpy(mono), rate, SR).numpy()
    if not np.all(np.isfinite(mono)):
        sys.exit(f"error: {path} holds non-finite samples (NaN or infinity)")
    return mono


def prepare(audio_dir: Path, work: Path, luthier: Path, min_f0: float) -> dict:
    """Phrases and their features in work/{train,valid}; returns the data description."""
    if not luthier.exists():
        sys.exit(f"error: {luthier} is missing: build it with `cargo build --release -p luthier --bin luthier`")
    files = recordings(audio_dir)
    seconds = {"train": 0.0, "valid": 0.0}
    for split in seconds:
        (work / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for i, path in enumerate(files):
        audio = read_mono_48k(path)
        step = int(PHRASE_SECONDS * SR)
        for start in range(0, len(audio), step):
            phrase = audio[start : start + step]
            if len(phrase) < SR:  # a tail under a second: too short for an excerpt
                continue
            split = "valid" if count % VALID_EVERY == VALID_EVERY - 1 else "train"
            wav = work / split / f"{count:05}.wav"
            if not (wav.exists() and wav.with_suffix(".csv").exists()):
                soundfile.write(wav, phrase, SR, subtype="FLOAT")
                done = subprocess.run(
                    [str(luthier), "features", str(wav), "--out", str(wav.with_suffix(".csv")), "--min-f0", f"{min_f0:.1f}"],
                    capture_output=True, text=True,
                )
                if done.returncode != 0:
                    sys.exit(f"error: luthier features failed on a phrase of {path}: {done.stderr.strip()}")
            seconds[split] += len(phrase) / SR
            count += 1
        print(f"\rpreparing: {i + 1}/{len(files)} files, {sum(seconds.values()) / 60:.1f} min", end="", flush=True)
    print()
    if seconds["valid"] == 0.0:
        # Fewer than ten phrases: the last one validates (and is not trained on).
        last = max((work / "train").glob("*.wav"))
        for suffix in (".wav", ".csv"):
            last.with_suffix(suffix).rename(work / "valid" / last.with_suffix(suffix).name)
        duration = soundfile.info(work / "valid" / last.name).duration
        seconds["train"] -= duration
        seconds["valid"] += duration
    total = sum(seconds.values())
    if total < MIN_SECONDS:
        sys.exit(f"error: {total:.0f} s of audio under {audio_dir}; training needs at least {MIN_SECONDS:.0f} s (10 minutes or more sounds best)")
    if total < ADVISED_MINUTES * 60:
        print(f"note: {total / 60:.1f} min of audio; models sound best from {ADVISED_MINUTES:.0f} minutes or more")
    return {
        "instrument": "custom recordings",
        "source": str(audio_dir.resolve()),
        "files": len(files),
        "phrases": f"the recordings cut into phrases of at most {PHRASE_SECONDS:.0f} s, every {VALID_EVERY}th for validation",
        "seconds": seconds,
        "features": "luthier features (the plugin's tracker and loudness), 250 frames/s",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, required=True, help="folder of monophonic recordings")
    parser.add_argument("--name", required=True, help="the model's name (letters, digits, - and _)")
    parser.add_argument("--minutes", type=float, default=60.0, help="training time budget")
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time only)")
    parser.add_argument("--hidden", type=int, default=128, help="GRU width")
    parser.add_argument("--min-f0", type=float, default=60.0, help="lowest pitch in the recordings (Hz)")
    parser.add_argument("--out", type=Path, default=None, help="model folder (default: the plugins' user folder)")
    parser.add_argument("--work", type=Path, default=None, help="phrases and checkpoints (default target/custom-training/NAME)")
    parser.add_argument("--luthier", type=Path, default=REPO / "target" / "release" / "luthier")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.name):
        sys.exit(f"error: '{args.name}' is not a model name: use letters, digits, - and _ (at most 64)")
    work = args.work or REPO / "target" / "custom-training" / args.name
    out = (args.out or user_models()) / args.name
    data = prepare(args.audio, work, args.luthier, args.min_f0)
    (work / "data.json").write_text(json.dumps(data, indent=2) + "\n")
    result = train(work, hidden=args.hidden, minutes=args.minutes, steps=args.steps)
    export_checkpoint(
        work, args.hidden, out, args.name.replace("_", " "),
        f"DDSP decoder (GRU {args.hidden}) trained on {data['seconds']['train'] / 60:.1f} min of recordings from {args.audio.name}",
    )
    print(f"model '{args.name}' written to {out}.onnx (validation loss {result['validation_loss']:.2f}); "
          f"pick it with the plugins' Model parameter, or try it with `luthier render --model {out}.onnx --audio IN.wav -o OUT.wav`")


if __name__ == "__main__":
    main()
