"""Training data: seeded monophonic phrases per instrument, rendered with fluidsynth and the
FluidR3_GM soundfont at 48 kHz, with the plugin's own features (`luthier features`).

    .venv/bin/python -m luthier_training.data --instrument violin [--minutes 15] [--out DIR]

(from models/training/). Per instrument it writes DIR/<instrument>/{train,valid}/NNN.wav with
NNN.csv beside it (time, f0, confidence, loudness per 4 ms frame) and a data.json describing
what was made. Validation phrases come from other seeds than training phrases.

Phrases are melodic walks over the instrument's whole range: legato and detached notes, rests,
velocities over the full range, CC11 expression swells, pitch-bend vibrato and glides. Each note
is rendered alone and the phrase assembled monophonically (a note is cut by a 10 ms fade at the
next note-on): fluidsynth would otherwise overlap the old note's release with the new note,
which no monophonic player does and which the tracker would hear as two pitches.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 48000
PHRASE_SECONDS = 20.0
BEND_RANGE = 2.0  # semitones (RPN 0)
LEAD, TAIL, FADE = 0.1, 1.0, 0.01  # s: silence before a note alone, release after, cut at the next
REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # General MIDI, 0-based
    lowest: int  # MIDI keys played
    highest: int


INSTRUMENTS = {
    i.name: i
    for i in [
        Instrument("violin", 40, 55, 93),
        Instrument("cello", 42, 36, 76),
        Instrument("flute", 73, 60, 96),
        Instrument("trumpet", 56, 54, 82),
        Instrument("alto_sax", 65, 49, 80),
        Instrument("clarinet", 71, 50, 89),
    ]
}


@dataclass
class Note:
    start: float
    end: float
    key: int
    velocity: int
    bend: list  # (time from note start, cents)
    swell: list  # (time from note start, CC11 value)


def phrase(rng: np.random.Generator, inst: Instrument) -> list:
    """One phrase: a walk over the range, steps of up to a fifth, now and then a leap or a
    rest, each note legato or detached, with its own velocity, swell and bend curve."""
    notes, t = [], 0.2
    key = int(rng.integers(inst.lowest, inst.highest + 1))
    while t < PHRASE_SECONDS - 1.0:
        if rng.random() < 0.08:  # a leap to anywhere in the range
            key = int(rng.integers(inst.lowest, inst.highest + 1))
        else:
            key = int(np.clip(key + rng.integers(-7, 8), inst.lowest, inst.highest))
        duration = float(rng.choice([0.12, 0.2, 0.3, 0.45, 0.7, 1.0, 1.6]))
        notes.append(
            Note(t, t + duration, key, int(rng.integers(20, 128)), bend_curve(rng, duration), swell_curve(rng, duration))
        )
        gap = 0.0 if rng.random() < 0.5 else float(rng.choice([0.03, 0.1, 0.25, 0.6]))
        t += duration + gap
    return notes


def bend_curve(rng, duration):
    kind = rng.random()
    depth, rate = rng.uniform(10, 45), rng.uniform(4.5, 7.0)
    onset, glide = rng.uniform(0.05, 0.3), rng.uniform(-150, 150)
    curve = []
    for tt in np.arange(0.0, duration, 0.01):
        if kind < 0.4:  # vibrato fading in
            cents = depth * np.sin(2 * np.pi * rate * tt) * min(1.0, max(0.0, (tt - onset) / 0.15))
        elif kind < 0.6:  # glide into the note
            cents = glide * max(0.0, 1.0 - tt / 0.1)
        else:
            cents = 0.0
        curve.append((float(tt), float(cents)))
    return curve


def swell_curve(rng, duration):
    kind = rng.random()
    low, high = rng.uniform(30, 90), rng.uniform(90, 127)
    curve = []
    for tt in np.arange(0.0, duration, 0.02):
        x = tt / duration
        if kind < 0.35:
            value = low + (high - low) * np.sin(np.pi * x)  # swell and fade
        elif kind < 0.6:
            value = low + (high - low) * x  # crescendo
        elif kind < 0.8:
            value = high - (high - low) * x  # diminuendo
        else:
            value = high
        curve.append((float(tt), int(np.clip(value, 0, 127))))
    return curve


def note_midi(path: Path, program: int, note: Note):
    """The note alone: channel setup, then the note LEAD s in, its curves, TAIL s of release."""
    events = [(0.0, mido.Message("program_change", program=program))]
    for ctrl, val in [(101, 0), (100, 0), (6, int(BEND_RANGE)), (38, 0)]:
        events.append((0.0, mido.Message("control_change", control=ctrl, value=val)))
    events.append((0.0, mido.Message("pitchwheel", pitch=0)))
    duration = note.end - note.start
    events.append((LEAD, mido.Message("note_on", note=note.key, velocity=note.velocity)))
    events.append((LEAD + duration, mido.Message("note_off", note=note.key, velocity=0)))
    for tt, value in note.swell:
        events.append((LEAD + tt, mido.Message("control_change", control=11, value=value)))
    for tt, cents in note.bend:
        pitch = int(np.clip(cents / (BEND_RANGE * 100) * 8191, -8192, 8191))
        events.append((LEAD + tt, mido.Message("pitchwheel", pitch=pitch)))
    events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
    track, now = mido.MidiTrack(), 0
    for tt, msg in events:  # 120 bpm, 480 ticks per beat: a tick is 1/960 s
        tick = int(round(tt * 960))
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=int(round((LEAD + duration + TAIL) * 960)) - now))
    mid = mido.MidiFile(ticks_per_beat=480)
    mid.tracks.append(track)
    mid.save(path)


def render_phrase(notes: list, program: int, work: Path) -> np.ndarray:
    out = np.zeros(int((notes[-1].end + TAIL) * SR))
    fade = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, int(FADE * SR)))
    for i, note in enumerate(notes):
        mid, wav = work / f"{i}.mid", work / f"{i}.wav"
        note_midi(mid, program, note)
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-F", str(wav), "-r", str(SR), str(SOUNDFONT), str(mid)],
            check=True,
        )
        audio, _ = soundfile.read(wav, always_2d=True)
        audio = audio.mean(axis=1)[int(round(LEAD * SR)) :]
        stop = notes[i + 1].start - note.start if i + 1 < len(notes) else len(audio) / SR
        cut = int(round(stop * SR))
        audio = audio[: cut + len(fade)]
        audio[cut : cut + len(fade)] *= fade[: max(0, len(audio) - cut)]
        s0 = int(round(note.start * SR))
        audio = audio[: len(out) - s0]
        out[s0 : s0 + len(audio)] += audio
    return out


def features(luthier: Path, wav: Path, csv: Path, lowest_key: int):
    """The plugin's features of `wav`, looking for pitch from a fifth under the lowest note."""
    min_f0 = max(40.0, 440.0 * 2 ** ((lowest_key - 7 - 69) / 12))
    subprocess.run([str(luthier), "features", str(wav), "--out", str(csv), "--min-f0", f"{min_f0:.1f}"], check=True, capture_output=True)


def make(instrument: str, minutes: float, out: Path, luthier: Path, seed_base: int = 0):
    inst = INSTRUMENTS[instrument]
    if not SOUNDFONT.exists():
        sys.exit(f"{SOUNDFONT} is missing: apt-get install fluidsynth fluid-soundfont-gm")
    if not luthier.exists():
        sys.exit(f"{luthier} is missing: build it with `cargo build --release -p luthier --bin luthier`")
    count = int(np.ceil(minutes * 60 / PHRASE_SECONDS))
    splits = {"train": range(count), "valid": range(10_000, 10_000 + max(2, count // 8))}
    started, done, total = time.time(), 0, sum(len(r) for r in splits.values())
    seconds = {}
    for split, seeds in splits.items():
        folder = out / instrument / split
        folder.mkdir(parents=True, exist_ok=True)
        seconds[split] = 0.0
        for seed in seeds:
            wav = folder / f"{seed:05}.wav"
            if not (wav.exists() and wav.with_suffix(".csv").exists()):  # resumable
                rng = np.random.default_rng([seed_base, inst.program, seed])
                notes = phrase(rng, inst)
                with tempfile.TemporaryDirectory() as work:
                    audio = render_phrase(notes, inst.program, Path(work))
                soundfile.write(wav, audio.astype(np.float32), SR, subtype="FLOAT")
                features(luthier, wav, wav.with_suffix(".csv"), inst.lowest)
            seconds[split] += soundfile.info(wav).duration
            done += 1
            elapsed = time.time() - started
            print(f"\r{instrument}: {done}/{total} phrases, {elapsed:.0f} s, eta {elapsed / done * (total - done):.0f} s", end="", flush=True)
    print()
    description = {
        "instrument": instrument,
        "general_midi_program": inst.program,
        "keys": [inst.lowest, inst.highest],
        "soundfont": "FluidR3_GM (Debian fluid-soundfont-gm), fluidsynth 2.3, 48 kHz, no reverb or chorus",
        "phrases": "seeded melodic walks over the range: legato and detached notes, rests, velocity 20-127, CC11 swells, pitch-bend vibrato and glides; each note rendered alone and assembled monophonically",
        "seconds": seconds,
        "features": "luthier features (the plugin's tracker and loudness), 250 frames/s",
    }
    (out / instrument / "data.json").write_text(json.dumps(description, indent=2) + "\n")
    print(f"{instrument}: {seconds['train'] / 60:.1f} min training, {seconds['valid'] / 60:.1f} min validation in {out / instrument}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", required=True, choices=sorted(INSTRUMENTS))
    parser.add_argument("--minutes", type=float, default=15.0, help="training audio to make")
    parser.add_argument("--out", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--luthier", type=Path, default=REPO / "target" / "release" / "luthier")
    args = parser.parse_args()
    make(args.instrument, args.minutes, args.out, args.luthier)


if __name__ == "__main__":
    main()
