"""A finished (or stopped) run as a model anyone can use: weights, settings, history and model card.

``model.safetensors`` is in the architecture's own key layout, so plain spandrel loads it;
``config.json`` and ``history.json`` say how it was trained and what it scored; ``README.md``
is its Hugging Face model card.
"""

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
    """A path as it may appear in a model card or config.json: relative paths as given; of an absolute
    one, only what follows the owner's folder (an app run: 'run-.../model/model.safetensors') or else
    its folder and file name. Cards and configs are downloaded and published: they never carry
    where the server keeps its files."""
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

    state = span.fused_state(net)
    if (out / BEST).exists() and history.val:
        state = load_file(str(out / BEST))  # the best validation weights, not merely the last
    save_file(state, str(out / "model.safetensors"))
    descriptor = spandrel.ModelLoader().load_from_file(str(out / "model.safetensors"))
    settings = config.to_json()
    cfg = {
        "name": config.name,
        "scale": settings["scale"],
        "architecture": descriptor.architecture.name,
        "degradation": settings["degrade"],
        "data": [shown_path(d) for d in settings["data"]],
        "steps": settings["steps"],
        "seed": settings["seed"],
        "base_model": base_id,
        "batch": settings["batch"],
        "patch": settings["patch"],
        "lr": settings["lr"],
        "loss": settings["loss"],
        "ema": settings["ema"],
        "parameters": span.inference_parameters(descriptor.model),
    }
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "history.json").write_text(json.dumps(history.to_json()))
    write_model_card(out, cfg, history)
    return out
