"""Luthier's training package: the DDSP decoder in PyTorch and its export to ONNX.

The plugin runs a decoder that maps per-frame controls (f0 in Hz, loudness in dB) to the
synthesizer's parameters (amplitude, harmonic weights, noise filter magnitudes), frame by
frame at 250 Hz, carrying a recurrent state between calls. This package defines that
decoder (`decoder`), and writes it out in the form the plugin loads (`export`): an ONNX
graph, a JSON model card describing it, and a golden input/output file that the Rust side
checks its inference against.
"""

from .decoder import RnnFcDecoder, StreamingDecoder

__all__ = ["RnnFcDecoder", "StreamingDecoder"]
