"""Turn a training run into one of srdemo's built-in models (run from the repo root).

    python training/publish_builtin.py runs/builtin-x4 x4 "srdemo x4 (built-in) - sharp and faithful, packaging text"

Takes the run's best validation weights (or, while it is still training, the EMA
weights of its last checkpoint), stores them in float16 (half the size; spandrel
loads them into a float32 network unchanged up to rounding), and writes
``srdemo/weights/<id>.safetensors`` and ``<id>.json`` (what the catalogue shows).
The run's own ``README.md`` model card, with the command in ``training/``, goes beside them by hand
once the benchmark tables are in it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import spandrel
from safetensors.torch import load_file, save_file

from srdemo.train import BEST, CHECKPOINT, read_metadata

WEIGHTS = Path(__file__).resolve().parents[1] / "srdemo" / "weights"


def main(run: str, model_id: str, label: str, good_for: str = "Product photos: packaging text, logos, flat colours.") -> None:
    run_dir = Path(run)
    if (run_dir / "model.safetensors").exists():
        state, source = load_file(str(run_dir / "model.safetensors")), "final weights"
    elif (run_dir / BEST).exists():
        state, source = load_file(str(run_dir / BEST)), f"best validation weights (step {read_metadata(run_dir / BEST)['step']})"
    else:
        tensors = load_file(str(run_dir / CHECKPOINT))
        state = {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}
        source = f"EMA weights at step {read_metadata(run_dir / CHECKPOINT)['step']}"
    descriptor = spandrel.ModelLoader().load_from_state_dict(dict(state))
    for layer in descriptor.model.modules():  # store fused kernels that match the branches
        if hasattr(layer, "update_params") and hasattr(layer, "eval_conv"):
            layer.update_params()
    half = {k: v.detach().half().contiguous() if v.is_floating_point() else v for k, v in descriptor.model.state_dict().items()}
    WEIGHTS.mkdir(exist_ok=True)
    save_file(half, str(WEIGHTS / f"{model_id}.safetensors"))
    meta = {"label": label, "scale": descriptor.scale, "good_for": good_for, "licence": "MIT",
            "architecture": descriptor.architecture.name, "source": source}
    (WEIGHTS / f"{model_id}.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{WEIGHTS / model_id}.safetensors: {descriptor.architecture.name} x{descriptor.scale}, from {source}, "
          f"{(WEIGHTS / f'{model_id}.safetensors').stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:])
