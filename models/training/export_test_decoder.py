"""Export the test decoder: a seeded, randomly initialised RnnFcDecoder.

It is not an instrument (its weights are random, so it sounds like nothing in particular);
it exists so the plugin's model loading, inference and golden-file tests have a small,
reproducible graph to run before any real model is trained.

From the repository root:

    .venv/bin/python models/training/export_test_decoder.py

writes models/test/luthier-test.onnx, .json and .golden.json. Same arguments, same files.
"""

import argparse
from pathlib import Path

import torch

from luthier_training.decoder import RnnFcDecoder
from luthier_training.export import describe_graph, export

REPO_ROOT = Path(__file__).resolve().parents[2]

CARD_FIELDS = {
    "name": "luthier-test",
    "instrument": "none (random weights: a plumbing test, not an instrument)",
    "description": (
        "A randomly initialised DDSP RnnFcDecoder, for testing model loading, streaming "
        "inference and the decoder-to-synth plumbing. Its outputs are valid synth parameters "
        "but mean nothing musically."
    ),
    "f0_range_hz": [40.0, 2000.0],
    "loudness_range_db": [-80.0, 0.0],
    "training": {"data": "none", "note": "random weights"},
    "validation_loss": None,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "models" / "test" / "luthier-test",
        help="path stem; .onnx, .json and .golden.json are appended (default: %(default)s)",
    )
    parser.add_argument("--hidden", type=int, default=64, help="MLP width and GRU size")
    parser.add_argument("--seed", type=int, default=1234, help="weight initialisation seed")
    return parser.parse_args()


def random_decoder(hidden: int, seed: int) -> RnnFcDecoder:
    """A seeded RnnFcDecoder with PyTorch's default initialisation, except LayerNorm."""
    torch.manual_seed(seed)
    model = RnnFcDecoder(hidden=hidden)
    # LayerNorm starts at weight 1, bias 0: those parameters would then not affect the golden
    # outputs (a mix-up of them would go unnoticed), and the exporter folds the identical
    # tensors into one. Perturbing them makes every weight in the file matter, as in a
    # trained model.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return model


def main():
    args = parse_args()
    model = random_decoder(args.hidden, args.seed)
    # The card's name is the file's: two test models side by side must be told apart.
    CARD_FIELDS["name"] = args.out.name
    summary = export(model, args.out, CARD_FIELDS)

    for key in ("onnx", "card", "golden"):
        path = summary[key]
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    diff = summary["ort_max_abs_diff"]
    print("onnxruntime vs PyTorch, max abs diff:", "not checked" if diff is None else f"{diff:.3g}")
    try:
        graph = describe_graph(summary["onnx"])
    except ImportError:
        return
    for name, dims in {**graph["inputs"], **graph["outputs"]}.items():
        print(f"  {name}: {dims}")
    print("  ops:", ", ".join(graph["ops"]))


if __name__ == "__main__":
    main()
