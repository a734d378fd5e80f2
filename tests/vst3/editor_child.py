"""Opens one plugin's editor in pedalboard (a JUCE VST3 host) on the X display in $DISPLAY, and
prints what it found as JSON: run by test_vst3_editor.py in a process of its own, because
pedalboard's editor needs the main thread and a display, and X errors end a process.

While the editor is open, a second thread waits for it to draw (the editor writes its knobs'
places to $LUTHIER_EDITOR_LAYOUT), takes a screenshot of its window, double-clicks a knob the
host had moved off its default, reads the knob back through the host, and closes the editor.

    python editor_child.py BUNDLE "Luthier" KNOB_ID PARAM_NAME VALUE SCREENSHOT.png
"""

import ctypes
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np

# pedalboard's editor asks X for a property of window 0 as it opens its window (pedalboard
# issue #444), and Xlib's default handler ends the process on that error. A handler that
# counts errors and carries on lets the host go on, as it would under a desktop's own handler.
X11 = ctypes.CDLL("libX11.so.6")
HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
X_ERRORS = []


@HANDLER
def _count(_display, _event):
    X_ERRORS.append(1)
    return 0


X11.XSetErrorHandler(_count)

import pedalboard  # noqa: E402  (after the handler, before JUCE opens its display)

bundle, name, knob_id, param, value, screenshot = sys.argv[1:7]
layout = os.environ["LUTHIER_EDITOR_LAYOUT"]
plugin = pedalboard.load_plugin(bundle, plugin_name=name)
default = plugin.parameters[param].raw_value
setattr(plugin, param, float(value))
moved = plugin.parameters[param].raw_value
result = {"default": default, "moved": moved}
closed = threading.Event()


def window_geometry():
    """Where the plugin's own window is on the screen: (x, y, width, height)."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    for line in tree.splitlines():
        found = re.search(r'"%s":.*?(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+\+(-?\d+)\+(-?\d+)' % re.escape(name), line)
        if found:
            w, h, _, _, x, y = map(int, found.groups())
            return x, y, w, h
    return None


def drive():
    try:
        started = time.time()
        while not os.path.exists(layout) and time.time() - started < 30:
            time.sleep(0.1)
        time.sleep(1.0)
        geometry = window_geometry()
        result["geometry"] = geometry
        x, y, w, h = geometry
        subprocess.run(["import", "-window", "root", "-crop", f"{w}x{h}+{x}+{y}", f"png:{screenshot}"], check=True)
        raw = subprocess.run(
            ["import", "-window", "root", "-crop", f"{w}x{h}+{x}+{y}", "-depth", "8", "rgb:-"],
            capture_output=True,
            check=True,
        ).stdout
        pixels = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        colours, counts = np.unique(pixels, axis=0, return_counts=True)
        result["colours"] = int(len(colours))
        result["busy"] = float(1 - counts.max() / counts.sum())
        places = json.loads(open(layout).read())
        kx, ky, kw, kh = places[knob_id]
        subprocess.run(
            ["xdotool", "mousemove", str(int(x + kx + kw / 2)), str(int(y + ky + kh / 2)), "click", "--repeat", "2", "--delay", "60", "1"],
            check=True,
        )
        time.sleep(1.0)
        result["after"] = plugin.parameters[param].raw_value
    except Exception as e:  # reported, not raised: the main thread must still close the editor
        result["error"] = repr(e)
    finally:
        closed.set()


threading.Thread(target=drive).start()
plugin.show_editor(closed)
result["x_errors"] = len(X_ERRORS)
print(json.dumps(result))
