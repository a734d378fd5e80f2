"""Export a decoder in the form the plugin loads: ONNX graph, model card, golden file.

`export(model, path_stem, card_fields)` writes three files next to each other:

    <stem>.onnx         the StreamingDecoder graph (TorchScript exporter, opset 17, one file,
                        native ONNX GRU), dynamic axes N (voices) and T (frames per call)
    <stem>.json         the model card: what the graph expects and produces, and where it came
                        from; the plugin reads it before the graph
    <stem>.golden.json  seeded inputs and PyTorch's float32 outputs on them, which the Rust
                        side reproduces through its own ONNX Runtime to check its plumbing

Before returning it checks the graph (onnx.checker) and runs the golden cases through
onnxruntime, raising if any output differs from PyTorch's by more than the golden tolerance,
so a file pair that leaves here is known to agree with its own golden file. Both checks are
skipped, with a note, when the `onnx` / `onnxruntime` packages are missing.
"""

import hashlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch

from .decoder import RnnFcDecoder, StreamingDecoder

FORMAT = 1
FRAME_RATE_HZ = 250.0
NOISE_BAND_HZ = 375.0
OPSET = 17
GOLDEN_TOLERANCE = 1e-5

INPUTS = ["f0_hz", "loudness_db", "state_in"]
OUTPUTS = ["amplitude", "harmonics", "noise", "state_out"]
DYNAMIC_AXES = {
    "f0_hz": {0: "N", 1: "T"},
    "loudness_db": {0: "N", 1: "T"},
    "state_in": {0: "N"},
    "amplitude": {0: "N", 1: "T"},
    "harmonics": {0: "N", 1: "T"},
    "noise": {0: "N", 1: "T"},
    "state_out": {0: "N"},
}

# What the caller describes; export() adds everything it can read off the model itself.
CARD_FIELDS = (
    "name",
    "instrument",
    "description",
    "f0_range_hz",
    "loudness_range_db",
    "training",
    "validation_loss",
)


def export(model, path_stem, card_fields: dict, golden_seed: int = 0) -> dict:
    """Write <stem>.onnx, <stem>.json and <stem>.golden.json; return a summary.

    `model` is an RnnFcDecoder or a StreamingDecoder wrapping one. `card_fields` holds exactly
    the keys in CARD_FIELDS. The summary has the three paths and `ort_max_abs_diff` (None when
    onnxruntime is not installed).
    """
    check_card_fields(card_fields)
    streaming = as_streaming(model)
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    onnx_path = stem.with_name(stem.name + ".onnx")
    card_path = stem.with_name(stem.name + ".json")
    golden_path = stem.with_name(stem.name + ".golden.json")

    write_onnx(streaming, onnx_path)
    check_onnx_graph(onnx_path)
    cases = golden_cases(streaming, golden_seed)
    check_chunking(streaming, golden_seed)
    ort_diff = check_onnxruntime(onnx_path, cases, GOLDEN_TOLERANCE)

    write_json(golden_path, {"tolerance": GOLDEN_TOLERANCE, "cases": cases}, indent=None)
    write_json(card_path, model_card(streaming.decoder, card_fields, sha256_file(onnx_path)))
    return {
        "onnx": onnx_path,
        "card": card_path,
        "golden": golden_path,
        "ort_max_abs_diff": ort_diff,
    }


def check_card_fields(card_fields: dict) -> None:
    """Refuse a card with missing or unknown caller fields, rather than write a partial card."""
    missing = [k for k in CARD_FIELDS if k not in card_fields]
    unknown = [k for k in card_fields if k not in CARD_FIELDS]
    if missing or unknown:
        raise ValueError(f"card fields: missing {missing}, unknown {unknown}")


def as_streaming(model) -> StreamingDecoder:
    """The model as a StreamingDecoder in eval mode, float32, on the CPU."""
    if isinstance(model, RnnFcDecoder):
        model = StreamingDecoder(model)
    if not isinstance(model, StreamingDecoder):
        raise TypeError(f"expected RnnFcDecoder or StreamingDecoder, got {type(model).__name__}")
    return model.to("cpu", torch.float32).eval()


def write_onnx(streaming: StreamingDecoder, path: Path) -> None:
    """Trace and export the graph (TorchScript exporter, so weights stay inside the file)."""
    # N != T in the example so the tracer cannot tie the two dynamic axes together.
    example = random_inputs(np.random.default_rng(0), n=2, t=5, hidden=streaming.decoder.hidden)
    with torch.no_grad(), warnings.catch_warnings():
        # The exporter warns that a GRU traced with batch > 1 may fail at other batch sizes
        # unless h0 is a graph input; here it is (state_in), and the golden check below runs
        # N = 1, 3 and 8, so the warning does not apply.
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size")
        torch.onnx.export(
            streaming,
            tuple(torch.from_numpy(a) for a in example),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=INPUTS,
            output_names=OUTPUTS,
            dynamic_axes=DYNAMIC_AXES,
            do_constant_folding=True,
        )


def random_inputs(rng, n: int, t: int, hidden: int, zero_state: bool = False):
    """Seeded float32 inputs: f0 log-uniform 50..1500 Hz, loudness uniform -80..-5 dB,
    state uniform in (-1, 1) (the range a GRU state lives in) or zeros."""
    f0 = np.exp(rng.uniform(math.log(50.0), math.log(1500.0), size=(n, t)))
    loudness = rng.uniform(-80.0, -5.0, size=(n, t))
    state = np.zeros((n, hidden)) if zero_state else rng.uniform(-1.0, 1.0, size=(n, hidden))
    return tuple(a.astype(np.float32) for a in (f0, loudness, state))


def with_edge_values(f0, loudness):
    """Put out-of-range controls into the first frame of a few voices, so the golden file
    also pins the f0 clamp (0 Hz), extrapolation (24 kHz) and loudness beyond -80..0 dB."""
    f0, loudness = f0.copy(), loudness.copy()
    f0[0, 0] = 0.0
    f0[1, 0] = 24000.0
    loudness[2, 0] = -120.0
    loudness[3, 0] = 6.0
    return f0, loudness


def golden_inputs(seed: int, hidden: int):
    """The three golden cases' inputs: (1, 1) from the reset state, (3, 16) and (8, 4) from
    random states, the last with edge values."""
    rng = np.random.default_rng(seed)
    single = random_inputs(rng, 1, 1, hidden, zero_state=True)
    block = random_inputs(rng, 3, 16, hidden)
    f0, loudness, state = random_inputs(rng, 8, 4, hidden)
    return [single, block, (*with_edge_values(f0, loudness), state)]


def run_torch(streaming: StreamingDecoder, f0, loudness, state):
    """PyTorch's outputs as float32 numpy arrays, in OUTPUTS order."""
    with torch.no_grad():
        outs = streaming(torch.from_numpy(f0), torch.from_numpy(loudness), torch.from_numpy(state))
    return [o.numpy() for o in outs]


def golden_cases(streaming: StreamingDecoder, seed: int) -> list[dict]:
    """Golden cases as JSON-ready dicts: n, t, then every input and output flattened
    row-major (float32 values as Python floats, which round-trip exactly)."""
    cases = []
    for inputs in golden_inputs(seed, streaming.decoder.hidden):
        n, t = inputs[0].shape
        case = {"n": n, "t": t}
        arrays = list(inputs) + run_torch(streaming, *inputs)
        for name, array in zip(INPUTS + OUTPUTS, arrays):
            case[name] = array.reshape(-1).tolist()
        cases.append(case)
    return cases


def check_chunking(streaming: StreamingDecoder, seed: int) -> None:
    """Check the state contract: one call over T frames equals T one-frame calls that
    pass state_out on as state_in."""
    f0, loudness, state = golden_inputs(seed, streaming.decoder.hidden)[1]
    whole = run_torch(streaming, f0, loudness, state)
    steps = []
    for j in range(f0.shape[1]):
        *frame, state = run_torch(streaming, f0[:, j : j + 1], loudness[:, j : j + 1], state)
        steps.append(frame)
    chunked = [np.concatenate([s[i] for s in steps], axis=1) for i in range(3)] + [state]
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(whole, chunked))
    if diff > GOLDEN_TOLERANCE:
        raise AssertionError(f"frame-by-frame calls differ from one block call by {diff:.3g}")


def check_onnx_graph(path: Path) -> None:
    """onnx.checker on the written file, when the onnx package is installed."""
    try:
        import onnx
    except ImportError:
        print("note: onnx not installed; graph not checked")
        return
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def check_onnxruntime(path: Path, cases: list[dict], tolerance: float):
    """Run the golden cases through onnxruntime; raise if any output is off by more than
    `tolerance`. Returns the largest absolute difference, or None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        print("note: onnxruntime not installed; golden cases not checked against it")
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"]
    )
    worst = 0.0
    for case in cases:
        feeds = case_inputs(case)
        for name, got in zip(OUTPUTS, session.run(OUTPUTS, feeds)):
            want = np.asarray(case[name], dtype=np.float32)
            if got.size != want.size:
                raise AssertionError(f"{name}: onnxruntime gave {got.shape}, golden has {want.size}")
            diff = float(np.max(np.abs(got.reshape(-1) - want)))
            if diff > tolerance:
                raise AssertionError(
                    f"{name} (n={case['n']}, t={case['t']}): onnxruntime differs from "
                    f"PyTorch by {diff:.3g} > {tolerance}"
                )
            worst = max(worst, diff)
    return worst


def case_inputs(case: dict) -> dict:
    """A golden case's inputs as the graph's feeds, reshaped from their flat lists."""
    n, t = case["n"], case["t"]
    shapes = {"f0_hz": (n, t), "loudness_db": (n, t), "state_in": (n, -1)}
    return {k: np.asarray(case[k], dtype=np.float32).reshape(s) for k, s in shapes.items()}


def model_card(decoder: RnnFcDecoder, fields: dict, onnx_sha256: str) -> dict:
    """The model card, keys in the documented order."""
    return {
        "format": FORMAT,
        "name": fields["name"],
        "instrument": fields["instrument"],
        "description": fields["description"],
        "frame_rate_hz": FRAME_RATE_HZ,
        "harmonics": decoder.harmonics,
        "noise_bands": decoder.noise_bands,
        "noise_band_hz": NOISE_BAND_HZ,
        "state_size": decoder.hidden,
        "inputs": INPUTS,
        "outputs": OUTPUTS,
        "input_scaling": {
            "f0_hz": "midi/127 (in the graph)",
            "loudness_db": "db/80 + 1 (in the graph)",
        },
        "output_scaling": (
            "exp_sigmoid in the graph; harmonic weights unnormalised "
            "(the synth tapers at Nyquist and normalises)"
        ),
        "f0_range_hz": list(fields["f0_range_hz"]),
        "loudness_range_db": list(fields["loudness_range_db"]),
        "training": fields["training"],
        "validation_loss": fields["validation_loss"],
        "onnx_sha256": onnx_sha256,
    }


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, for the card to name the exact graph it describes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json(path: Path, value, indent=2) -> None:
    """JSON with a final newline; indent=None keeps the golden file's long lists compact."""
    with open(path, "w") as f:
        json.dump(value, f, indent=indent)
        f.write("\n")


def describe_graph(path: Path) -> dict:
    """The graph's inputs and outputs as {name: [dim, ...]} (symbolic dims by name), and
    its op types; for printing. Needs the onnx package."""
    import onnx

    graph = onnx.load(str(path)).graph

    def dims(value_info):
        shape = value_info.type.tensor_type.shape.dim
        return [d.dim_param or d.dim_value for d in shape]

    return {
        "inputs": {v.name: dims(v) for v in graph.input},
        "outputs": {v.name: dims(v) for v in graph.output},
        "ops": sorted({node.op_type for node in graph.node}),
    }
