"""Running a model on an image: tiles, devices, precision, retries.

``upscale_array`` is the one function that turns an RGB float image into a
larger one with any catalogue model. Neural models run tile by tile so memory
stays bounded; each tile is run with extra context around it (``pad``) and
neighbouring tiles are cross-faded over a narrow band, with weights that sum
to exactly one, so the result matches an untiled run. All model work takes
``DEVICE_LOCK`` one tile (or one training step) at a time, so several users
and a training job interleave instead of fighting over memory.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import spandrel
import torch
from PIL import Image

from .errors import Cancelled, SrdemoError
from .models import LoadedModel
from .settings import get_settings


class FairLock:
    """A first-come, first-served lock.

    ``threading.Lock`` lets a thread that releases and re-acquires in a tight
    loop (a training job, step after step) starve everyone else; here waiters
    are served in arrival order, so an upscale waits at most one training step
    per tile.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next_ticket = 0
        self._serving = 0

    def acquire(self) -> None:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            while ticket != self._serving:
                self._cond.wait()

    def release(self) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()

    def locked(self) -> bool:
        with self._cond:
            return self._serving != self._next_ticket

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


DEVICE_LOCK = FairLock()
"""Held for each tile of inference and each training step: one model at a time on the device."""

ProgressFn = Callable[[float, str], None]
StopFn = Callable[[], bool]

_RESAMPLE_FILTERS = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}


def pick_device(preferred: str | None = None) -> torch.device:
    """CUDA, else Apple MPS, else CPU (or what the caller asks for).

    A GPU comes back with its index ('cuda' -> 'cuda:0', the current one), so it compares
    equal to the device a model's parameters report.
    """
    if preferred:
        device = torch.device(preferred)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if device.index is None and device.type == "cuda" and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if device.index is None and device.type == "mps":
        return torch.device("mps", 0)
    return device


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


@dataclass(frozen=True)
class EngineOptions:
    """How to run: tile size and context in input pixels, device, precision."""

    tile: int = 128
    pad: int = 16  # context added around each tile, discarded after the run
    blend: int = 4  # half-width of the cross-fade band between tiles
    min_tile: int = 64  # out-of-memory retries halve the tile down to this
    device: str | None = None
    precision: str = "auto"  # "auto": fp16/bf16 on GPU where spandrel allows it; "fp32": always float32

    @classmethod
    def from_settings(cls, **overrides) -> EngineOptions:
        return cls(**{"tile": get_settings().tile, **overrides})


def pick_dtype(descriptor: spandrel.ImageModelDescriptor, device: torch.device, precision: str) -> torch.dtype:
    """Half precision only on GPUs and only where spandrel says the architecture supports it."""
    if precision == "fp32" or device.type == "cpu":
        return torch.float32
    if device.type == "cuda" and descriptor.supports_bfloat16 and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if descriptor.supports_half:
        return torch.float16
    return torch.float32


# ---------------------------------------------------------------- resampling


def resample(img: np.ndarray, size: tuple[int, int], method: str = "lanczos") -> np.ndarray:
    """Resize a float HxWxC image to ``size`` (width, height) with Pillow, channel by channel in float.

    Pillow antialiases when shrinking, so this serves for enlarging and for exact final sizes.
    """
    filt = _RESAMPLE_FILTERS[method]
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return img.astype(np.float32, copy=True)  # always a new array: callers may work on it in place
    out = np.empty((size[1], size[0], img.shape[2]), dtype=np.float32)
    for c in range(img.shape[2]):
        out[..., c] = Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, filt)
    return out


# ---------------------------------------------------------------- tiling


def _cores(length: int, core: int) -> list[int]:
    """Boundaries of near-equal core segments covering [0, length)."""
    n = max(1, math.ceil(length / core))
    return [round(i * length / n) for i in range(n + 1)]


def _axis_weights(bounds: list[int], k: int, lo: int, hi: int, scale: int, blend: int) -> np.ndarray:
    """Cross-fade weights for tile k over its output span [lo*scale, hi*scale).

    Linear ramps of width 2*blend centred on each core boundary; adjacent
    tiles' ramps are mirror images, so weights sum to one everywhere.
    """
    p = (np.arange(lo * scale, hi * scale, dtype=np.float64) + 0.5) / scale
    w = np.ones_like(p)
    if k > 0:
        w *= np.clip((p - (bounds[k] - blend)) / (2 * blend), 0, 1)
    if k < len(bounds) - 2:
        w *= np.clip(((bounds[k + 1] + blend) - p) / (2 * blend), 0, 1)
    return w.astype(np.float32)


class _OutOfMemory(Exception):
    pass


def _place(descriptor, device: torch.device, dtype: torch.dtype) -> None:
    """Move the network to ``device`` (as :func:`pick_device` names it) and ``dtype`` unless it is there already.

    ``Module.to`` walks every submodule even when nothing moves (about 3 ms for SPAN on a
    2-core CPU), and it runs once per tile.
    """
    p = next(descriptor.model.parameters(), None)
    if p is None or p.dtype != dtype or p.device != device:
        descriptor.to(device=device, dtype=dtype)


def _forward(descriptor, tile: np.ndarray, device: torch.device, dtype: torch.dtype) -> np.ndarray:
    """One forward pass under the device lock; returns float32 HxWxC on the CPU."""
    x = torch.from_numpy(np.ascontiguousarray(tile.transpose(2, 0, 1)))[None]
    with DEVICE_LOCK:
        try:
            _place(descriptor, device, dtype)
            with torch.inference_mode():
                y = descriptor(x.to(device=device, dtype=dtype))
            out = y[0].float().cpu().numpy().transpose(1, 2, 0)
        except torch.OutOfMemoryError:
            raise _OutOfMemory from None
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return out


def _looks_broken(out: np.ndarray, tile: np.ndarray) -> bool:
    """NaN/inf, or black output from a non-black input: the half-precision failure modes."""
    return (not np.isfinite(out).all()) or (out.max() < 1e-3 <= tile.max() - 0.05)


def run_model(
    model: LoadedModel,
    img: np.ndarray,
    options: EngineOptions = EngineOptions(),
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """One pass of a neural model at its native scale. ``img`` is float32 HxWx3 in [0, 1].

    Retries with half the tile size on out-of-memory, down to ``min_tile``.
    """
    tile = options.tile
    while True:
        try:
            return _run_tiled(model, img, tile, options, progress, should_stop)
        except _OutOfMemory:
            if tile // 2 < options.min_tile:
                raise SrdemoError(
                    "The device ran out of memory even with small tiles. Try a smaller image or scale, "
                    "or a lighter model."
                ) from None
            tile //= 2


def _run_tiled(model, img, tile, options, progress, should_stop) -> np.ndarray:
    descriptor = model.descriptor
    assert descriptor is not None
    device = pick_device(options.device)
    dtype = pick_dtype(descriptor, device, options.precision)
    s = descriptor.scale
    h, w = img.shape[:2]
    pad, blend = options.pad, options.blend
    # Small images run in one piece (up to 4x a tile's area): fewer lock hand-offs when the device is shared.
    untiled = descriptor.tiling == spandrel.ModelTiling.INTERNAL or (h <= 2 * tile and w <= 2 * tile and h * w <= 4 * tile * tile)
    if descriptor.tiling == spandrel.ModelTiling.DISCOURAGED:
        tile *= 2
    core = max(tile - 2 * pad, 2 * blend + 1)
    ys = [0, h] if untiled else _cores(h, core)
    xs = [0, w] if untiled else _cores(w, core)
    total = (len(ys) - 1) * (len(xs) - 1)
    out = None if total == 1 else np.zeros((h * s, w * s, descriptor.output_channels), dtype=np.float32)
    done = 0
    for i in range(len(ys) - 1):
        y0, y1 = max(0, ys[i] - pad), min(h, ys[i + 1] + pad)
        wy = _axis_weights(ys, i, y0, y1, s, blend)
        for j in range(len(xs) - 1):
            if should_stop is not None and should_stop():
                raise Cancelled()
            x0, x1 = max(0, xs[j] - pad), min(w, xs[j + 1] + pad)
            wx = _axis_weights(xs, j, x0, x1, s, blend)
            piece = img[y0:y1, x0:x1]
            result = _forward(descriptor, piece, device, dtype)
            if dtype != torch.float32 and _looks_broken(result, piece):
                dtype = torch.float32  # this model misbehaves in half precision: stay in fp32 from now on
                result = _forward(descriptor, piece, device, dtype)
            if total == 1:
                out = result  # a single tile needs no blending
            else:
                out[y0 * s : y1 * s, x0 * s : x1 * s] += result * wy[:, None, None] * wx[None, :, None]
            done += 1
            if progress is not None:
                progress(done / total, f"tile {done}/{total}")
    return out


# ---------------------------------------------------------------- any scale


def passes_needed(native: int, scale: float) -> int:
    """How many native passes reach at least ``scale`` (x4 model for x8: two passes)."""
    if native <= 1:
        return 0
    return max(1, math.ceil(math.log(max(scale, 1.0)) / math.log(native) - 1e-9))


def upscale_array(
    model: LoadedModel,
    img: np.ndarray,
    size: tuple[int, int],
    options: EngineOptions = EngineOptions(),
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Upscale float32 HxWx3 [0, 1] to exactly ``size`` (width, height).

    Classic resamplers go straight to the size. Neural models run at their
    native scale (repeated if the asked scale is larger), then an exact
    Lanczos resize lands on the asked size.
    """
    if model.descriptor is None:
        out = resample(img, size, model.spec.id)
        return np.clip(out, 0, 1, out=out)
    scale = max(size[0] / img.shape[1], size[1] / img.shape[0])
    n = passes_needed(model.scale, scale)
    current = img
    for k in range(n):
        sub = None if progress is None else (lambda f, msg, k=k: progress((k + f) / n, f"pass {k + 1}/{n}, {msg}"))
        current = run_model(model, current, options, sub, should_stop)
    if current.shape[1] == size[0] and current.shape[0] == size[1]:
        return current  # spandrel already clamps model output to [0, 1]
    out = resample(current, size, "lanczos")
    return np.clip(out, 0, 1, out=out)


# ---------------------------------------------------------------- speed


def _speeds_file() -> Path:
    return get_settings().cache_dir / "speeds.json"


def _speed_key(model: LoadedModel, device: torch.device) -> str:
    return f"{device.type}|{torch.get_num_threads()}|{model.spec.id}"


def recorded_speed(model: LoadedModel, device: torch.device | None = None) -> float | None:
    """Output megapixels per second measured on this device, if known."""
    if model.descriptor is None:
        return None
    try:
        table = json.loads(_speeds_file().read_text())
    except (OSError, ValueError):
        return None
    value = table.get(_speed_key(model, device or pick_device()))
    return float(value) if value else None


def record_speed(model: LoadedModel, out_pixels: int, seconds: float, device: torch.device | None = None) -> None:
    if model.descriptor is None or seconds <= 0:
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
    if model.descriptor is None:
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
    """Rough time for a job from the measured speed; None when not measured yet (or instant)."""
    speed = recorded_speed(model)
    if speed is None:
        return None
    scale = max(out_size[0] / in_size[0], out_size[1] / in_size[1])
    n = passes_needed(model.scale, scale)
    w, h = in_size
    mp = 0.0
    for _ in range(n):
        w, h = w * model.scale, h * model.scale
        mp += w * h / 1e6
    return mp / speed
