"""Exports a trained checkpoint as a model the plugin loads: `.onnx`, its card (with the training
data's description, the training time and the validation loss) and the golden file.

    .venv/bin/python -m luthier_training.export_trained --instrument cello --hidden 128 --out STEM

The f0 and loudness ranges on the card are those of the training features (1st to 99th
percentile of voiced frames): the instrument maps velocities onto the loudness range's top.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from luthier_training.decoder import RnnFcDecoder
from luthier_training.export import export
from luthier_training.train import REPO, VOICED, read_features


def feature_ranges(folder: Path):
    f0s, louds = [], []
    for wav in sorted(folder.glob("*.wav")):
        f0, confidence, loud, _ = read_features(wav)
        f0s.append(f0[confidence >= VOICED])
        louds.append(loud[confidence >= VOICED])
    f0, loud = np.concatenate(f0s), np.concatenate(louds)
    return [float(np.percentile(f0, 1)), float(np.percentile(f0, 99))], [float(np.percentile(loud, 1)), float(np.percentile(loud, 99))]


def export_checkpoint(folder: Path, hidden: int, out: Path, instrument: str, description: str) -> dict:
    """Exports folder/checkpoint-h{hidden}.pt as out.{onnx,json,golden.json}, its card naming
    the training data (folder/data.json), the training time and the validation loss."""
    state = torch.load(folder / f"checkpoint-h{hidden}.pt")
    decoder = RnnFcDecoder(hidden=hidden, noise_bias=-5.0)
    decoder.load_state_dict(state["decoder"])
    result = json.loads((folder / f"result-h{hidden}.json").read_text())
    data = json.loads((folder / "data.json").read_text())
    f0_range, loudness_range = feature_ranges(folder / "train")
    out.parent.mkdir(parents=True, exist_ok=True)
    return export(
        decoder,
        out,
        {
            "name": out.name,
            "instrument": instrument,
            "description": description,
            "f0_range_hz": f0_range,
            "loudness_range_db": loudness_range,
            "training": {"data": data, "steps": state["step"], "minutes": round(state["seconds"] / 60, 1)},
            "validation_loss": result["validation_loss"],
        },
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", required=True)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--data", type=Path, default=REPO / "target" / "training-data")
    parser.add_argument("--out", type=Path, required=True, help="path stem: .onnx, .json, .golden.json")
    args = parser.parse_args()
    name = args.instrument.replace("_", " ")
    summary = export_checkpoint(
        args.data / args.instrument, args.hidden, args.out, name,
        f"DDSP decoder (GRU {args.hidden}) trained on FluidR3_GM {name} phrases",
    )
    print({k: str(v) for k, v in summary.items()})


if __name__ == "__main__":
    main()
