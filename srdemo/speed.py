"""How fast each model runs here: measure, record, estimate, and refuse what would take too long.

Speeds are kept per device, thread count and model, in output megapixels per
second, in ``<cache>/speeds.json``; an estimate is the pixels a job's passes
produce divided by that speed. A CPU job estimated beyond the operator's cap
(``SRDEMO_MAX_CPU_SECONDS``) is refused before it starts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from . import wording
from .devices import pick_device
from .engine import EngineOptions, model_pixels, plan_passes, run_model
from .errors import SrdemoError
from .models import LoadedModel
from .settings import get_settings


def _speeds_file() -> Path:
    return get_settings().cache_dir / "speeds.json"


def _speed_key(model: LoadedModel, device: torch.device) -> str:
    return f"{device.type}|{torch.get_num_threads()}|{model.spec.id}"


def recorded_speed(model: LoadedModel, device: torch.device | None = None) -> float | None:
    """Output megapixels per second measured on this device, if known."""
    if not model.is_neural:
        return None
    try:
        table = json.loads(_speeds_file().read_text())
    except (OSError, ValueError):
        return None
    value = table.get(_speed_key(model, device or pick_device()))
    return float(value) if value else None


def record_speed(model: LoadedModel, out_pixels: int, seconds: float, device: torch.device | None = None) -> None:
    if not model.is_neural or seconds <= 0:
        return
    path = _speeds_file()
    try:
        table = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        table = {}
    table[_speed_key(model, device or pick_device())] = round(out_pixels / seconds / 1e6, 4)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(table, indent=1, sort_keys=True))
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs us the estimate


def measure_speed(model: LoadedModel, options: EngineOptions = EngineOptions()) -> float | None:
    """Time one 96x96 forward (after a warm-up) and remember it. Returns output MP/s."""
    if not model.is_neural:
        return None
    rng = np.random.default_rng(0)
    probe = rng.random((96, 96, 3), dtype=np.float32)
    run_model(model, probe[:32, :32], options)
    start = time.perf_counter()
    run_model(model, probe, options)
    seconds = time.perf_counter() - start
    out_pixels = 96 * 96 * model.scale**2
    record_speed(model, out_pixels, seconds)
    return out_pixels / seconds / 1e6


def estimate_seconds(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int]) -> float | None:
    """Rough time for a job from the measured speed; None when not measured yet (or instant).

    Speeds are recorded per output pixel of a pass, so the estimate counts the pixels every model
    pass of the job's plan computes (``engine.plan_passes``), not only the final ones.
    """
    speed = recorded_speed(model)
    if speed is None:
        return None
    return model_pixels(plan_passes(model.scale, in_size, out_size)) / 1e6 / speed


def estimate_sentence(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int]) -> str:
    """The estimate in a sentence: seconds and the measured speed, or that it is not measured yet."""
    seconds = estimate_seconds(model, in_size, out_size)
    device = pick_device().type.upper()
    if seconds is None:
        return wording.text("estimate_unmeasured", device=device)
    return wording.text("estimate", seconds=seconds, device=device, speed=recorded_speed(model))


def admit(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int], options: EngineOptions) -> None:
    """Refuse a CPU job whose estimate is beyond the operator's cap (measuring the model first if need be)."""
    if not model.is_neural:
        return
    estimate = estimate_seconds(model, in_size, out_size)
    if estimate is None:
        measure_speed(model, options)
        estimate = estimate_seconds(model, in_size, out_size)
    cap = get_settings().max_cpu_seconds
    if pick_device(options.device).type == "cpu" and estimate is not None and estimate > cap:
        raise SrdemoError(wording.text("too_slow_on_cpu", minutes=estimate / 60, cap_minutes=cap / 60))
