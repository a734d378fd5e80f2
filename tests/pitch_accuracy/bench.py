"""Pitch-accuracy benchmark (a command, not a CI test): Luthier's tracker against librosa.pyin and
torchcrepe (tiny), on phrases rendered with fluidsynth and FluidR3_GM whose exact pitch is known
from the MIDI (pitch-bend vibrato and glides included). Each note is rendered alone and the
phrase assembled monophonically (see `render_monophonic`).

    cargo xtask bench-pitch            (sets up what it needs, then runs this)

Per instrument: raw pitch accuracy (within 50 cents, on frames the MIDI says are sounding; and
on note interiors only, away from attacks and note changes), raw chroma accuracy (octave
errors forgiven), median absolute cents error, voicing recall and false alarm (false alarms are
mostly the samples' release tails, which sound into the rests after the MIDI note-off), and
each tracker's speed (x real time, wall clock, one process at a time).
Writes target/pitch-accuracy/results.md.
"""

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "pitch-accuracy"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 48000
FRAME = 0.004

# name, GM program (0-based), lowest and highest MIDI key played
INSTRUMENTS = [
    ("violin", 40, 55, 88),
    ("cello", 42, 36, 69),
    ("flute", 73, 60, 93),
    ("trumpet", 56, 55, 82),
    ("alto sax", 65, 49, 80),
    ("clarinet", 71, 50, 84),
    ("low voice", 53, 40, 62),  # voice oohs, a bass line
]


def phrase(seed, lo, hi, seconds=20.0):
    """Notes (start, end, key), and pitch-bend curve samples (time, cents)."""
    rng = np.random.default_rng(seed)
    notes, t, key = [], 0.3, int(rng.integers(lo, hi))
    while t < seconds - 1:
        dur = float(rng.choice([0.15, 0.25, 0.4, 0.6, 0.9]))
        legato = rng.random() < 0.5
        key = int(np.clip(key + rng.integers(-5, 6), lo, hi))
        notes.append((t, t + dur, key))
        t += dur if legato else dur + float(rng.choice([0.05, 0.15, 0.4]))
    bends = []
    for start, end, _ in notes:
        kind = rng.random()
        for tt in np.arange(start, end, 0.01):
            if kind < 0.35:  # vibrato after 150 ms
                cents = 30 * np.sin(2 * np.pi * 5.5 * (tt - start)) * min(1, max(0, (tt - start - 0.15) / 0.1))
            elif kind < 0.5:  # glide up into the note
                cents = -100 * max(0.0, 1 - (tt - start) / 0.12)
            else:
                cents = 0.0
            bends.append((tt, cents))
    return notes, bends


def render_monophonic(program, notes, bends):
    """The phrase as a monophonic player would sound it, rendered by the training data's own
    renderer (models/training/luthier_training/data.py): each note alone, the phrase assembled
    with a 10 ms fade at each note-on. fluidsynth alone overlaps voices at a legato change (the
    old note's release still 14 dB under the new one 100 ms later), which no monophonic
    instrument does and which leaves a frame's true pitch ambiguous. Each note swells by CC11
    over its length and carries its part of the phrase's bend curve."""
    import tempfile

    sys.path.insert(0, str(ROOT / "models" / "training"))
    from luthier_training import data

    parts = []
    for start, end, key in notes:
        swell = [(tt - start, int(80 + 40 * np.sin(np.pi * (tt - start) / (end - start)))) for tt in np.arange(start, end, 0.02)]
        bend = [(tt - start, cents) for tt, cents in bends if start - 1e-9 <= tt < end]
        parts.append(data.Note(start, end, key, 70 + (key * 7) % 50, bend, swell))
    with tempfile.TemporaryDirectory() as work:
        return data.render_phrase(parts, program, Path(work))


def truth(notes, bends, n_frames):
    """f0 (Hz) per frame, 0 where no note sounds."""
    f0 = np.zeros(n_frames)
    bend_t = np.array([b[0] for b in bends])
    bend_c = np.array([b[1] for b in bends])
    for start, end, key in notes:
        i0, i1 = int(np.ceil(start / FRAME)), int(np.ceil(end / FRAME))
        for i in range(i0, min(i1, n_frames)):
            t = i * FRAME
            k = np.searchsorted(bend_t, t, side="right") - 1
            cents = bend_c[k] if k >= 0 and bend_t[k] >= start - 1e-9 else 0.0
            f0[i] = 440.0 * 2 ** ((key - 69 + cents / 100) / 12)
    return f0


def cents(a, b):
    return 1200 * np.log2(np.maximum(a, 1e-6) / np.maximum(b, 1e-6))


def interiors(notes, n):
    """Frames at least 60 ms after a note starts and 40 ms before it ends: away from attacks and
    note changes, where a causal tracker and a centred one differ most."""
    mask = np.zeros(n, dtype=bool)
    for start, end, _ in notes:
        mask[int(np.ceil((start + 0.06) / FRAME)) : max(0, int((end - 0.04) / FRAME))] = True
    return mask


def scores(ref, est, voiced, interior):
    on = ref > 0
    err = cents(est[on], ref[on])
    chroma = np.abs(err - 1200 * np.round(err / 1200))
    inside = on & interior[: len(on)]
    return {
        "RPA": float(np.mean(np.abs(err) <= 50)),
        "RPA interiors": float(np.mean(np.abs(cents(est[inside], ref[inside])) <= 50)),
        "RCA": float(np.mean(chroma <= 50)),
        "median cents": float(np.median(np.abs(err))),
        "VR": float(np.mean(voiced[on])),
        "VFA": float(np.mean(voiced[~on])) if np.any(~on) else 0.0,
    }


def align(est, n):
    est = np.asarray(est, dtype=float)[:n]
    return np.pad(est, (0, n - len(est)))


def run_ours(wav, csv_path, n, ref):
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / "target/release/luthier"), "features", str(wav), "--out", str(csv_path), "--min-f0", "50"], check=True, capture_output=True)
    secs = time.perf_counter() - t0
    rows = list(csv.DictReader(open(csv_path)))
    f0 = align([float(r["f0_hz"]) for r in rows], n)
    conf = align([float(r["confidence"]) for r in rows], n)
    # Our frame j describes the samples before j*4 ms, its pitch centred 1.5 periods back:
    # compare with the truth at that time (the shift a centred tracker does not need).
    shifted = np.zeros(n)
    for j in range(n):
        lag = 1.5 / f0[j] if f0[j] > 0 else 0.0
        k = int(round(j - lag / FRAME))
        shifted[j] = ref[k] if 0 <= k < n else 0.0
    return f0, conf >= 0.55, secs, shifted


def run_pyin(audio, n):
    import librosa

    t0 = time.perf_counter()
    f0, voiced, _ = librosa.pyin(audio, fmin=50, fmax=2000, sr=SR, frame_length=4096, hop_length=int(SR * FRAME))
    secs = time.perf_counter() - t0
    return align(np.nan_to_num(f0, nan=0.0), n), align(voiced, n).astype(bool), secs


def run_crepe(audio, n):
    import torch
    import torchaudio
    import torchcrepe

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    x = torchaudio.functional.resample(torch.tensor(audio[None, :], dtype=torch.float32), SR, 16000)
    f0, periodicity = torchcrepe.predict(x, 16000, hop_length=64, fmin=50, fmax=2000, model="tiny", return_periodicity=True, batch_size=512, device="cpu")
    secs = time.perf_counter() - t0
    return align(f0[0].numpy(), n), align(periodicity[0].numpy() >= 0.5, n), secs


def main():
    import soundfile

    if not SOUNDFONT.exists():
        sys.exit(f"{SOUNDFONT} is missing: apt-get install fluidsynth fluid-soundfont-gm")
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    for seed, (name, program, lo, hi) in enumerate(INSTRUMENTS):
        slug = name.replace(" ", "_")
        notes, bends = phrase(1000 + seed, lo, hi)
        wav = OUT / f"{slug}.wav"
        audio = render_monophonic(program, notes, bends)
        soundfile.write(wav, audio, SR, subtype="FLOAT")
        audio = audio.astype(np.float32)
        seconds = len(audio) / SR
        n = int(len(audio) / SR / FRAME)
        ref = truth(notes, bends, n)
        inner = interiors(notes, n)
        ours_f0, ours_v, ours_s, ours_ref = run_ours(wav, OUT / f"{slug}.csv", n, ref)
        pyin_f0, pyin_v, pyin_s = run_pyin(audio, n)
        crepe_f0, crepe_v, crepe_s = run_crepe(audio, n)
        results[name] = {
            "luthier": {**scores(ours_ref, ours_f0, ours_v, inner), "x real time": seconds / ours_s},
            "pyin": {**scores(ref, pyin_f0, pyin_v, inner), "x real time": seconds / pyin_s},
            "crepe tiny": {**scores(ref, crepe_f0, crepe_v, inner), "x real time": seconds / crepe_s},
        }
        print(name, json.dumps(results[name], indent=None))
    lines = [
        "| instrument | tracker | RPA | RPA (note interiors) | RCA | median cents | VR | VFA | x real time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by in results.items():
        for tracker, s in by.items():
            lines.append(
                f"| {name} | {tracker} | {s['RPA']:.3f} | {s['RPA interiors']:.3f} | {s['RCA']:.3f} | {s['median cents']:.1f} "
                f"| {s['VR']:.3f} | {s['VFA']:.3f} | {s['x real time']:.0f} |"
            )
    (OUT / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
