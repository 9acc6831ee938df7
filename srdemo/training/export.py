"""A finished (or stopped) run as a model anyone can use: weights plain spandrel loads, ``config.json``,
``history.json`` and its Hugging Face model card (``README.md``)."""

from __future__ import annotations

import json
from pathlib import Path

import spandrel
import torch
from safetensors.torch import load_file, save_file

from ..arch import span
from .checkpoints import BEST
from .config import History, TrainConfig


def shown_path(path: str) -> str:
    """A path as a published card or config.json may show it, never where the server keeps its files: relative
    paths as given; of an absolute one, what follows the owner's folder, or else its folder and file name."""
    p = Path(path)
    if not p.is_absolute():
        return path
    parts = p.parts
    if "owners" in parts and len(parts) > parts.index("owners") + 2:
        return "/".join(parts[parts.index("owners") + 2 :])
    return "/".join(parts[-2:])


def export(out: Path, config: TrainConfig, history: History, base_id: str | None, net: torch.nn.Module) -> Path:
    """Write ``model.safetensors`` (original key layout), ``config.json``, ``history.json`` and a model card."""
    from ..modelcard import write_model_card

    best = (out / BEST).exists() and history.val  # the best validation weights, not merely the last
    state = load_file(str(out / BEST)) if best else span.fused_state(net)
    save_file(state, str(out / "model.safetensors"))
    descriptor = spandrel.ModelLoader().load_from_file(str(out / "model.safetensors"))
    cfg = {
        "name": config.name, "scale": config.scale, "architecture": descriptor.architecture.name,
        "degradation": config.degrade, "data": [shown_path(d) for d in config.data], "steps": config.steps,
        "seed": config.seed, "base_model": base_id, "batch": config.batch, "patch": config.patch, "lr": config.lr,
        "loss": config.loss, "ema": config.ema, "parameters": span.inference_parameters(descriptor.model),
    }
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "history.json").write_text(json.dumps(history.to_json()))
    write_model_card(out, cfg, history)
    return out
