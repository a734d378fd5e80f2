"""Both plugins' editors in a VST3 host (pedalboard, JUCE), on a private Xvfb screen: each opens,
draws a picture (not a blank), and a double-click on a knob the host moved puts it back to its
default. Each editor runs in a child process (editor_child.py); screenshots are kept in
target/editor-screenshots/ for people to look at."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BUNDLE = os.environ.get("LUTHIER_VST3", "target/bundled/luthier.vst3")
HERE = Path(__file__).parent
SHOTS = HERE.parent.parent / "target" / "editor-screenshots"


@pytest.fixture(scope="module")
def display():
    number = next(n for n in range(200, 300) if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    started = time.time()
    while not socket.exists():
        assert server.poll() is None, "Xvfb exited"
        assert time.time() - started < 20, "Xvfb did not start"
        time.sleep(0.05)
    yield f":{number}"
    server.kill()
    server.wait()


@pytest.mark.parametrize(
    "name, knob_id, param, value",
    [("Luthier", "attack", "attack_ms", 500.0), ("Luthier FX", "in_gain", "input_gain_db", 12.0)],
)
def test_editor_opens_draws_and_resets_a_knob_on_double_click(display, tmp_path, name, knob_id, param, value):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"vst3-{name.replace(' ', '-').lower()}.png"
    env = dict(os.environ, DISPLAY=display, LUTHIER_EDITOR_LAYOUT=str(tmp_path / "layout.json"))
    env.pop("LUTHIER_MODEL", None)  # the shipped default model, as a user sees it
    run = subprocess.run(
        [sys.executable, str(HERE / "editor_child.py"), BUNDLE, name, knob_id, param, str(value), str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"{name}: the editor's host failed:\n{run.stdout}\n{run.stderr}"
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in result, f"{name}: {result['error']}\n{run.stderr}"
    w, h = result["geometry"][2:]
    assert w >= 800 and h >= 400, f"{name}: an editor of {w}x{h}"
    assert result["busy"] > 0.2 and result["colours"] > 40, f"{name}: the editor looks blank: {result}"
    assert abs(result["moved"] - result["default"]) > 0.05, f"{name}: the host did not move {param}: {result}"
    assert abs(result["after"] - result["default"]) < 1e-6, f"{name}: a double-click left {param} at {result['after']}, not its default {result['default']}"
