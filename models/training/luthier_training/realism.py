"""Realism on MIDI: how close `luthier render --midi` comes to a sampled instrument playing the
same MIDI, for every shipped model.

Per instrument, seeded phrases (the training data's kind: melodic walks with velocities, CC11
swells, pitch-bend vibrato and glides, bend range set by RPN 0; seeds apart from the training and
validation ones) are written as one MIDI file each and rendered three ways:
- the reference: fluidsynth with FluidR3_GM, the instrument's General MIDI program;
- Luthier: `luthier render --model NAME --midi` (each given `--luthier` binary, e.g. the main
  branch's and this tree's, in the same run);
- the baseline: a band-limited sawtooth given the reference's own f0 and loudness envelope
  (`luthier render --model none --audio reference.wav`: the effect's fixed spectrum tracking it).
Reported: the multi-scale spectral distance (training's loss) of each to the reference, at 48 kHz
and at 16 kHz (where the musically important band is), and Luthier's as a ratio to the
sawtooth's. A spectrogram PNG of each instrument's first phrase goes to --png-dir.

    .venv/bin/python -m luthier_training.realism --luthier new=../../target/release/luthier \\
        --luthier main=/tmp/old-target/release/luthier [--phrases 3] [--json OUT]
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import mido
import numpy as np
import soundfile
import torch
import torchaudio

from luthier_training.data import BEND_RANGE, INSTRUMENTS, SOUNDFONT, SR, phrase
from luthier_training.train import REPO, spectral_loss

SEED_BASE = 30_000  # training seeds are 0.., validation 10_000..
TAIL = 1.0


def phrase_midi(path: Path, program: int, notes: list):
    """The phrase as one MIDI track: setup, then each note with its swell and bend curves."""
    events = [(0.0, 0, mido.Message("program_change", program=program))]
    for ctrl, val in [(101, 0), (100, 0), (6, int(BEND_RANGE)), (38, 0)]:
        events.append((0.0, 1, mido.Message("control_change", control=ctrl, value=val)))
    for note in notes:
        events.append((note.start, 2, mido.Message("note_on", note=note.key, velocity=note.velocity)))
        events.append((note.end, 0, mido.Message("note_off", note=note.key, velocity=0)))
        for tt, value in note.swell:
            events.append((note.start + tt, 1, mido.Message("control_change", control=11, value=value)))
        for tt, cents in note.bend:
            pitch = int(np.clip(cents / (BEND_RANGE * 100) * 8191, -8192, 8191))
            events.append((note.start + tt, 1, mido.Message("pitchwheel", pitch=pitch)))
    events.sort(key=lambda e: (int(round(e[0] * 960)), e[1]))
    track, now = mido.MidiTrack(), 0
    for tt, _, msg in events:  # 120 bpm, 480 ticks per beat: a tick is 1/960 s
        tick = int(round(tt * 960))
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=int(round((notes[-1].end + TAIL) * 960)) - now))
    mid = mido.MidiFile(ticks_per_beat=480)
    mid.tracks.append(track)
    mid.save(path)


def mono(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == SR, f"{path}: {rate} Hz"
    return audio.mean(axis=1)


def distances(x: np.ndarray, reference: np.ndarray) -> tuple:
    """Spectral distance at 48 kHz and at 16 kHz."""
    n = min(len(x), len(reference))
    x, reference = x[:n], reference[:n]
    full = float(spectral_loss(torch.from_numpy(x)[None], torch.from_numpy(reference)[None]))
    x16, r16 = (torchaudio.functional.resample(torch.from_numpy(s)[None], SR, 16_000) for s in (x, reference))
    low = float(spectral_loss(x16, r16))
    return full, low


def spectrograms(path: Path, title: str, rows: list):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 1, figsize=(12, 2.6 * len(rows)), sharex=True)
    for ax, (name, x) in zip(axes, rows):
        ax.specgram(x[: 10 * SR], NFFT=2048, Fs=SR, noverlap=1536, cmap="magma", vmin=-140)
        ax.set_ylim(0, 8000)
        ax.set_ylabel("Hz")
        ax.set_title(f"{title}: {name}")
    axes[-1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def measure(instrument: str, luthiers: dict, phrases: int, png: Path | None, sample_format: str) -> dict:
    inst = INSTRUMENTS[instrument]
    model = REPO / "models" / f"{instrument}.onnx"
    sums = {name: np.zeros(2) for name in [*luthiers, "sawtooth"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i in range(phrases):
            rng = np.random.default_rng([SEED_BASE, inst.program, i])
            notes = phrase(rng, inst)
            mid, ref = work / "phrase.mid", work / "reference.wav"
            phrase_midi(mid, inst.program, notes)
            subprocess.run(
                ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-O", sample_format, "-F", str(ref), "-r", str(SR), str(SOUNDFONT), str(mid)],
                check=True,
            )
            reference = mono(ref)
            # The tracker looks from a fifth under the lowest note, as for the training data.
            rows = [("fluidsynth (FluidR3_GM)", reference)]
            saw_wav = work / "saw.wav"
            run = subprocess.run([str(next(iter(luthiers.values()))), "render", "--model", "none", "--audio", str(ref), "-o", str(saw_wav)], capture_output=True, text=True)
            if run.returncode:
                raise SystemExit(run.stderr)
            saw = mono(saw_wav)
            sums["sawtooth"] += distances(saw, reference)
            for name, luthier in luthiers.items():
                out = work / f"{name}.wav"
                run = subprocess.run([str(luthier), "render", "--model", str(model), "--midi", str(mid), "-o", str(out)], capture_output=True, text=True)
                if run.returncode:
                    raise SystemExit(f"{luthier}: {run.stderr}")
                ours = mono(out)
                sums[name] += distances(ours, reference)
                rows.append((f"Luthier {name}", ours))
            rows.append(("sawtooth with the reference's f0 and loudness", saw))
            if i == 0 and png:
                spectrograms(png / f"realism-{instrument}.png", instrument.replace("_", " "), rows)
            print(f"\r{instrument}: {i + 1}/{phrases} phrases", end="", flush=True)
    print()
    result = {"instrument": instrument, "phrases": phrases}
    saw = sums["sawtooth"] / phrases
    result["sawtooth"] = {"48k": saw[0], "16k": saw[1]}
    for name in luthiers:
        d = sums[name] / phrases
        result[name] = {"48k": d[0], "16k": d[1], "ratio_48k": d[0] / saw[0], "ratio_16k": d[1] / saw[1]}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--luthier", action="append", required=True, help="NAME=PATH of a luthier binary (repeat)")
    parser.add_argument("--phrases", type=int, default=3)
    parser.add_argument("--instrument", action="append", help="only these (default: every shipped model)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png-dir", type=Path)
    parser.add_argument(
        "--reference-format",
        choices=["float", "s16"],
        default="s16",
        help="fluidsynth's output samples: s16 as the training data (its rounding noise, about -95 dBFS, fills quiet tails and the top octaves), or float",
    )
    args = parser.parse_args()
    luthiers = dict(entry.split("=", 1) for entry in args.luthier)
    if args.png_dir:
        args.png_dir.mkdir(parents=True, exist_ok=True)
    results = [measure(i, luthiers, args.phrases, args.png_dir, args.reference_format) for i in (args.instrument or sorted(INSTRUMENTS))]
    names = list(luthiers)
    print("| model | " + " | ".join(f"{n} 48k | {n} 16k" for n in names) + " |")
    print("|---|" + "---|---|" * len(names))
    for r in results:
        cells = " | ".join(f"{r[n]['ratio_48k']:.2f} | {r[n]['ratio_16k']:.2f}" for n in names)
        print(f"| {r['instrument']} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
