"""An instrument's own envelope, measured on its recordings, for its model card: how its notes
rise from silence (attack) and die away into it (release), in the terms of the plugin's envelope
(plugin/src/control/adsr.rs): an attack linear in amplitude, a release falling 60 dB in its time.

Measured on the recordings' loudness track (the `luthier features` CSV beside each WAV, 4 ms
frames), so it works the same on a user's own recordings as on the synthetic training data:
- release: at every end of a sound that falls into silence (the loudness below -70 dB for at
  least 100 ms), the slope of its final fall (the frames after it last rose) where the fall is
  steepest (at least half its steepest, 20 ms slopes): a release dies away at a constant rate in
  dB, and a diminuendo before it falls more slowly, so the steepest part is the release. 60 dB
  over that rate is the release time. Falls of under 20 dB are not counted.
- attack: at every start of a sound out of silence (the same silence before it), from the first
  frame 30 dB under the sound's peak (within its first 300 ms) to the first within 3 dB of it;
  a linear rise in amplitude covers that in 0.676 of its time.
The median over every note is written; there must be at least 5 of each.

    .venv/bin/python -m luthier_training.envelope --data ../../target/training-data/cello --card ../../models/cello.json
"""

import argparse
import json
from pathlib import Path

import numpy as np

FRAME = 0.004
SILENT_DB = -70.0
SILENT_FRAMES = 25  # 100 ms
PEAK_FRAMES = 75  # 300 ms
# A linear rise from 0 to 1 is 30 dB under its top at 0.0316 of its time and 3 dB under at 0.708.
ATTACK_SHARE = 10 ** (-3 / 20) - 10 ** (-30 / 20)
MIN_NOTES = 5


def loudness(csv: Path) -> np.ndarray:
    return np.loadtxt(csv, delimiter=",", skiprows=1, usecols=3, ndmin=1)


def silences(db: np.ndarray) -> list:
    """(start, end) frame ranges that are silent for at least SILENT_FRAMES."""
    quiet = db < SILENT_DB
    out, i = [], 0
    while i < len(db):
        if quiet[i]:
            j = i
            while j < len(db) and quiet[j]:
                j += 1
            if j - i >= SILENT_FRAMES:
                out.append((i, j))
            i = j
        else:
            i += 1
    return out


def releases(db: np.ndarray) -> list:
    out, span = [], 5  # 20 ms slopes
    gaps = silences(db)
    for k, (start, _) in enumerate(gaps):
        begin = max(gaps[k - 1][1] if k else 0, start - 500)
        sound = db[begin:start]
        if len(sound) < 4 * span or sound.max() < -50:
            continue
        slope = (sound[span:] - sound[:-span]) / (span * FRAME)
        rising = np.nonzero(slope >= 0)[0]
        fall = slope[rising[-1] + 1 :] if len(rising) else slope
        level = sound[span:][len(slope) - len(fall) :]
        fall = fall[level > SILENT_DB + 5]
        if len(fall) == 0 or sound[len(sound) - len(fall) - span :].max() - SILENT_DB < 20:
            continue
        steep = fall.min()
        rate = -np.median(fall[fall <= 0.5 * steep])
        if rate > 0:
            out.append(60.0 / rate)
    return out


def attacks(db: np.ndarray) -> list:
    out = []
    for _, end in silences(db):
        sound = db[end : end + PEAK_FRAMES]
        if len(sound) < 10 or sound.max() < -50:
            continue
        peak = sound.max()
        rise_start = np.nonzero(sound >= peak - 30)[0][0]
        rise_end = np.nonzero(sound >= peak - 3)[0][0]
        out.append(max(rise_end - rise_start, 1) * FRAME / ATTACK_SHARE)
    return out


def measure(folder: Path) -> dict:
    rel, att = [], []
    for csv in sorted(folder.rglob("*.csv")):
        db = loudness(csv)
        rel += releases(db)
        att += attacks(db)
    if len(rel) < MIN_NOTES or len(att) < MIN_NOTES:
        raise SystemExit(f"{folder}: only {len(att)} attacks and {len(rel)} releases out of silence; need {MIN_NOTES} of each")
    return {
        "attack_seconds": round(float(np.median(att)), 4),
        "release_seconds": round(float(np.median(rel)), 4),
        "measured_on": f"{len(att)} attacks and {len(rel)} releases in {folder.name}'s recordings (median)",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of recordings with their features CSVs")
    parser.add_argument("--card", type=Path, help="write the envelope into this model card")
    args = parser.parse_args()
    envelope = measure(args.data)
    print(json.dumps(envelope))
    if args.card:
        card = json.loads(args.card.read_text())
        card["envelope"] = envelope
        args.card.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
