"""Transcription benchmark (a command, not a CI test): `luthier transcribe` (what the effect sends
on its note output) against Spotify's basic-pitch on the pitch benchmark's phrases (bench.py:
the same seeded phrases, rendered the same way), scored with mir_eval against the MIDI the
phrases were made from: note precision, recall and F-measure with the onset within 50 ms and the
pitch within 50 cents, offsets ignored (mir_eval's "onset-only" measure). Also the mean delay of
the matched onsets (ours are sent live; basic-pitch looks at the whole file). Ours is scored
four ways: the stream the effect sends live on its note port (`--min-note-ms 0`), and the file
`luthier transcribe` writes by default (a note under 100 ms that runs straight into the next is
the start of that note: a scoop, a glide or an attack read an octave off), each also with the
Pitch Look-Ahead at 32 ms (`--look-ahead-ms 32`: each note's first frames take the pitch it
settles on; the file stays aligned with the audio).

    .venv/bin/pip install -r tests/pitch_accuracy/transcription-requirements.txt
    .venv/bin/pip install --no-deps basic-pitch==0.4.0
    .venv/bin/python tests/pitch_accuracy/transcription.py

basic-pitch runs its ONNX model (`nmp.onnx`, in its wheel) through onnxruntime, without
TensorFlow. Writes target/pitch-accuracy/transcription.md.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import mido
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402  (the phrases and their rendering)

ONSET_TOLERANCE = 0.05
PITCH_TOLERANCE_CENTS = 50.0


def reference(notes):
    intervals = np.array([[s, e] for s, e, _ in notes])
    pitches = np.array([440.0 * 2 ** ((k - 69) / 12) for _, _, k in notes])
    return intervals, pitches


def read_midi_notes(path):
    """(intervals, pitches in Hz) of a MIDI file's notes, in seconds."""
    mid = mido.MidiFile(path)
    t, on, out = 0.0, {}, []
    for msg in mid:
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            on[msg.note] = t
        elif msg.type in ("note_off", "note_on") and msg.note in on:
            out.append((on.pop(msg.note), t, msg.note))
    out.sort()
    intervals = np.array([[s, max(e, s + 1e-3)] for s, e, _ in out]).reshape(-1, 2)
    pitches = np.array([440.0 * 2 ** ((k - 69) / 12) for _, _, k in out])
    return intervals, pitches


def score(ref, est):
    import mir_eval

    (ri, rp), (ei, ep) = ref, est
    if len(ei) == 0:
        return 0.0, 0.0, 0.0, float("nan")
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=ONSET_TOLERANCE, pitch_tolerance=PITCH_TOLERANCE_CENTS, offset_ratio=None
    )
    pairs = mir_eval.transcription.match_notes(
        ri, rp, ei, ep, onset_tolerance=ONSET_TOLERANCE, pitch_tolerance=PITCH_TOLERANCE_CENTS, offset_ratio=None
    )
    delay = float(np.mean([ei[j, 0] - ri[i, 0] for i, j in pairs]) * 1000) if pairs else float("nan")
    return p, r, f, delay


def run_ours(wav, work, look_ahead_ms=0, min_note_ms=None):
    """`min_note_ms` 0: the live note port's stream; None: the file's default tidying."""
    mid = work / "ours.mid"
    command = [str(bench.ROOT / "target/release/luthier"), "transcribe", str(wav), "-o", str(mid), "--min-f0", "50"]
    command += ["--look-ahead-ms", str(look_ahead_ms)]
    if min_note_ms is not None:
        command += ["--min-note-ms", str(min_note_ms)]
    subprocess.run(command, check=True, capture_output=True)
    return read_midi_notes(mid)


def run_basic_pitch(wav):
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import predict

    _, midi, _ = predict(str(wav), ICASSP_2022_MODEL_PATH)
    notes = sorted((n.start, n.end, n.pitch) for inst in midi.instruments for n in inst.notes)
    intervals = np.array([[s, e] for s, e, _ in notes]).reshape(-1, 2)
    pitches = np.array([440.0 * 2 ** ((k - 69) / 12) for _, _, k in notes])
    return intervals, pitches


def main():
    import soundfile

    bench.OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for seed, (name, program, lo, hi) in enumerate(bench.INSTRUMENTS):
            notes, bends = bench.phrase(1000 + seed, lo, hi)
            audio = bench.render_monophonic(program, notes, bends)
            wav = work / "phrase.wav"
            soundfile.write(wav, audio, bench.SR, subtype="FLOAT")
            ref = reference(notes)
            transcribers = [
                ("luthier live (note port)", lambda: run_ours(wav, work, 0, 0)),
                ("luthier live, 32 ms look-ahead", lambda: run_ours(wav, work, 32, 0)),
                ("luthier transcribe (file)", lambda: run_ours(wav, work)),
                ("luthier transcribe, 32 ms look-ahead", lambda: run_ours(wav, work, 32)),
                ("basic-pitch", lambda: run_basic_pitch(wav)),
            ]
            for tracker, run in transcribers:
                p, r, f, delay = score(ref, run())
                rows.append((name, tracker, p, r, f, delay, len(notes)))
                print(name, tracker, f"P {p:.3f} R {r:.3f} F {f:.3f} onset delay {delay:.1f} ms", flush=True)
    lines = [
        "| instrument | transcriber | notes | precision | recall | F-measure | mean onset delay (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, tracker, p, r, f, delay, n in rows:
        lines.append(f"| {name} | {tracker} | {n} | {p:.3f} | {r:.3f} | {f:.3f} | {delay:.1f} |")
    (bench.OUT / "transcription.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
