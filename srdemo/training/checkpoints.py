"""Checkpoints: the whole training state in one safetensors file, written atomically.

Layout (old checkpoints resume, so it does not change): tensors ``model.<key>``, ``ema.<key>`` and
``optim.<index>.<name>``; JSON metadata under ``"srdemo"``: ``step``, ``config`` (``TrainConfig.run_key``),
``optimizer`` (its param groups), ``scheduler``, ``history`` and ``base`` (the fine-tuned model, or null).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..errors import SrdemoError
from ..wording import text
from .config import History, TrainConfig

CHECKPOINT = "checkpoint.safetensors"
BEST = "best.safetensors"


def atomic_save(tensors: dict[str, torch.Tensor], metadata: dict, path: Path) -> None:
    """Write, flush to disk, then rename: a crash leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"srdemo": json.dumps(metadata)})
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_metadata(path: Path) -> dict:
    """A checkpoint's (or best weights') JSON metadata, without reading its tensors."""
    with safe_open(str(path), "pt") as fh:
        return json.loads(fh.metadata()["srdemo"])


def save_state(path: Path, *, step: int, config: TrainConfig, net: torch.nn.Module, ema: dict[str, torch.Tensor] | None,
               opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler, history: History, base: str | None) -> None:
    """Everything a resume needs besides the data, which is a function of (seed, step)."""
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in ema.items()})
    optim = opt.state_dict()  # flat tensors: safetensors holds no nesting
    for idx, state in optim["state"].items():
        for key, value in state.items():
            tensors[f"optim.{idx}.{key}"] = value.detach().cpu().contiguous() if torch.is_tensor(value) else torch.tensor(value)
    meta = {
        "step": step, "config": config.run_key(), "optimizer": {"param_groups": optim["param_groups"]},
        "scheduler": sched.state_dict(), "history": history.to_json(), "base": base,
    }
    atomic_save(tensors, meta, path)


def load_state(path: Path, config: TrainConfig, net: torch.nn.Module, ema: dict[str, torch.Tensor] | None,
               opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler,
               device: torch.device) -> tuple[int, History, dict[str, torch.Tensor] | None]:
    """Restore ``save_state``'s file; returns (step, history, EMA). A checkpoint of another run (another run
    key) or a damaged one is refused with a plain message, never half-loaded."""
    try:
        meta = read_metadata(path)
        if meta["config"] != config.run_key():
            raise SrdemoError(text("err_checkpoint_other_run", folder=path.parent.name))
        tensors = load_file(str(path))
        net.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        if ema is not None:
            ema = {k[4:]: v.to(device) for k, v in tensors.items() if k.startswith("ema.")}
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, idx, name = key.split(".", 2)
                state.setdefault(int(idx), {})[name] = value
        opt.load_state_dict({"state": state, "param_groups": meta["optimizer"]["param_groups"]})
        sched.load_state_dict(meta["scheduler"])
        return meta["step"], History.from_json(meta["history"]), ema
    except SrdemoError:
        raise
    except Exception:  # safetensors' own errors, missing keys, shapes: all mean the file cannot be trusted
        raise SrdemoError(text("err_checkpoint_damaged", name=path.name, folder=path.parent.name)) from None
