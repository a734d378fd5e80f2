"""The effect's policy with a model (plugin/src/engine/voicing.rs), frame by frame, so that training
decodes and renders tracked features exactly as the plugin will play them.

Per frame the plugin decides, from the tracker's confidence and loudness:
- pitch: the tracked f0 while voiced (confidence >= 0.55 and the heard band's periodicity
  >= 1/3 to start, confidence >= 0.4 to hold, and loudness over -60 dB), held while not, so breaths, onsets and tails do not make it jump;
- gain: a note starts (1) on a voiced frame, so on its own pitch; it then holds 1 while the
  input sounds at all (loudness over -79 dB: the tracker's floor is -80); in silence it decays
  by 0.6 per frame and is 0 under 1e-4. The decoder, not a gate, follows the input's level
  down: a release tail at -75 dB is a quiet tail, not a cut;
- over a room's noise: the input's noise floor is tracked (down at once, up at 40 dB/s while
  unvoiced and steady, 1 dB/s while voiced and steady; steady: within 3 dB of 100 ms before); a
  floor over -77 dB is a room, and then a note starts only 10 dB over it and a tail ends 6 dB
  over it. In the training data's silences the floor stays at -80 dB and none of this acts;
- the decoder runs only while the gain is above 0, and its GRU state restarts from zeros on the
  first frame after silence (`reset`).
The plugin's synth restarts at the new pitch when a note starts after silence; the frames
before are silent, so giving them that pitch (rather than an older one) renders the same fade-in.
"""

import numpy as np

VOICED_CONFIDENCE = 0.55
START_PERIODICITY = 1.0 / 3.0
HOLD_CONFIDENCE = 0.4
PITCH_GATE_DB = -60.0
SILENCE_DB = -79.0
SILENT_DECAY = 0.6
SILENT_AMPLITUDE = 1e-4
FLOOR_START_DB = -80.0
FLOOR_RISE_UNVOICED_DB = 0.16
FLOOR_RISE_VOICED_DB = 0.004
START_MARGIN_DB = 10.0
TAIL_MARGIN_DB = 6.0
ROOM_DB = 3.0
STEADY_DB = 3.0
STEADY_FRAMES = 25


def policy(f0_hz, confidence, loudness_db, periodicity=None):
    """(f0 played, gain, reset, active) per frame, each an array as long as the inputs.
    `periodicity`: the features' column; features written before it existed pass None (taken as
    periodic, which is what a clean recording's notes are)."""
    if periodicity is None:
        periodicity = np.ones(len(f0_hz))
    count = len(f0_hz)
    f0 = np.zeros(count, dtype=np.float32)
    gain = np.zeros(count, dtype=np.float32)
    reset = np.zeros(count, dtype=bool)
    voiced, level, held = False, 0.0, 0.0
    floor, recent, at = FLOOR_START_DB, [FLOOR_START_DB] * STEADY_FRAMES, 0
    for j in range(count):
        loud = float(loudness_db[j])
        room = floor > FLOOR_START_DB + ROOM_DB
        margin = TAIL_MARGIN_DB if voiced else START_MARGIN_DB
        voiced = bool(
            confidence[j] >= (HOLD_CONFIDENCE if voiced else VOICED_CONFIDENCE)
            and (voiced or periodicity[j] >= START_PERIODICITY)
            and loud > PITCH_GATE_DB
            and (not room or loud > floor + margin)
        )
        before = recent[at]
        recent[at], at = loud, (at + 1) % STEADY_FRAMES
        steady = abs(loud - before) < STEADY_DB
        if loud < floor:
            next_floor = max(loud, FLOOR_START_DB)
        elif not steady:
            next_floor = floor
        else:
            next_floor = floor + (FLOOR_RISE_VOICED_DB if voiced else FLOOR_RISE_UNVOICED_DB)
        if voiced:
            held = float(f0_hz[j])
        sounding = (loud > SILENCE_DB and (not room or loud > floor + TAIL_MARGIN_DB)) if level > 0.0 else voiced
        floor = next_floor
        reset[j] = sounding and level == 0.0
        if sounding:
            level = 1.0
        else:
            level *= SILENT_DECAY
            if level < SILENT_AMPLITUDE:
                level = 0.0
        f0[j], gain[j] = held, level
    # Silent frames take the pitch that sounds after them (the synth restarts there).
    upcoming = f0[-1]
    for j in range(count - 1, -1, -1):
        if gain[j] > 0:
            upcoming = f0[j]
        else:
            f0[j] = upcoming
    return f0, gain, reset, gain > 0
