"""Ships trained instruments: exports each checkpoint into models/ (the `.onnx`, its card and its
golden file), measures it through the plugin (luthier_training.quality), saves the spectrogram
PNG under assets/models/, records the figures in models/quality.json and prints the table that
models/README.md shows.

    .venv/bin/python -m luthier_training.ship violin cello flute trumpet alto_sax clarinet [--hidden 128]

(from models/training/, after luthier_training.data and luthier_training.train for each).
A model whose resynthesis is not at most half the sawtooth's distance from the original is
refused: it is not exported into models/.
"""

import argparse
import json
import sys
from pathlib import Path

from luthier_training.export_trained import export_checkpoint
from luthier_training.quality import measure
from luthier_training.train import REPO

MODELS = REPO / "models"
ASSETS = REPO / "assets" / "models"
BAR = 0.5  # ours / sawtooth


def row(name, r):
    return (f"| {name.replace('_', ' ')} | {r['hidden']} | {r['spectral_distance_ours']:.2f} | {r['spectral_distance_sawtooth']:.2f} | "
            f"{r['ratio']:.3f} | {r['median_cents_error']:.2f} | {r['training_minutes']:.0f} min, {r['steps']} steps | "
            f"{r['onnx_bytes'] / 1e6:.2f} MB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instruments", nargs="+")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--data", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--luthier", type=Path, default=REPO / "target" / "release" / "luthier")
    args = parser.parse_args()
    ASSETS.mkdir(parents=True, exist_ok=True)
    table_path = MODELS / "quality.json"
    table = json.loads(table_path.read_text()) if table_path.exists() else {}
    refused = []
    for name in args.instruments:
        folder = args.data / name
        # Exported to target/ first: only a model that clears the bar goes into models/.
        staged = REPO / "target" / "models" / name
        label = name.replace("_", " ")
        export_checkpoint(folder, args.hidden, staged, label,
                                 f"DDSP decoder (GRU {args.hidden}) trained on FluidR3_GM {label} phrases")
        result = measure(staged.with_suffix(".onnx"), folder / "valid", args.luthier, ASSETS / f"{name}.png", label)
        card = json.loads(staged.with_suffix(".json").read_text())
        result.update(hidden=args.hidden, steps=card["training"]["steps"], training_minutes=card["training"]["minutes"],
                      validation_loss=card["validation_loss"], onnx_bytes=staged.with_suffix(".onnx").stat().st_size)
        print(row(name, result))
        if result["ratio"] > BAR:
            refused.append(name)
            continue
        for suffix in (".onnx", ".json", ".golden.json"):
            (MODELS / f"{name}{suffix}").write_bytes(staged.with_suffix(suffix).read_bytes())
        table[name] = result
        table_path.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
    print("\n| instrument | GRU | ours | sawtooth | ratio | median cents error | training | size |\n|---|---|---|---|---|---|---|---|")
    for name, r in sorted(table.items()):
        print(row(name, r))
    if refused:
        sys.exit(f"not shipped (ratio over {BAR}): {', '.join(refused)}")


if __name__ == "__main__":
    main()
