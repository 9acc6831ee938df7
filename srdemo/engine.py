"""Running a model on an image: passes, tiles, retries.

``upscale_array`` turns an RGB float image into a larger one with any catalogue model. Neural models run tile
by tile, with ``pad`` of context and cross-faded, so the result matches an untiled run; each tile takes
``DEVICE_LOCK``, so users and a training job interleave.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .backends import uses_onnx
from .devices import DEVICE_LOCK, Device, pick_device, pick_dtype
from .errors import Cancelled, SrdemoError
from .models import LoadedModel
from .resampling import resample
from .settings import get_settings
from .wording import text

ProgressFn = Callable[[float, str], None]
StopFn = Callable[[], bool]
Box = tuple[int, int, int, int]
"""(x0, y0, x1, y1) in input pixels, ends excluded."""


@dataclass(frozen=True)
class EngineOptions:
    """How to run: tile size and context in input pixels, device, precision."""

    tile: int | None = None  # None: chosen per model (tile_for)
    pad: int = 16  # context added around each tile, discarded after the run
    blend: int = 4  # half-width of the cross-fade band between tiles
    min_tile: int = 64  # out-of-memory retries halve the tile down to this
    device: str | None = None
    precision: str = "auto"  # "auto": fp16/bf16 on GPU where spandrel allows it; "fp32": always float32
    backend: str = "auto"  # "auto": ONNX Runtime on a CPU where the model has an export (backends.py); "torch"

    @classmethod
    def from_settings(cls, **overrides) -> EngineOptions:
        settings = get_settings()
        return cls(**{"tile": settings.tile, "backend": settings.backend, **overrides})


# ---------------------------------------------------------------- tiling


def _cores(length: int, core: int) -> list[int]:
    """Boundaries of near-equal core segments covering [0, length)."""
    n = max(1, math.ceil(length / core))
    return [round(i * length / n) for i in range(n + 1)]


def _spans(bounds: list[int], length: int, pad: int) -> list[tuple[int, int]]:
    """Each core segment of ``bounds`` with ``pad`` of context either side, within [0, length)."""
    return [(max(0, lo - pad), min(length, hi + pad)) for lo, hi in zip(bounds, bounds[1:])]


def _axis_weights(bounds: list[int], k: int, lo: int, hi: int, scale: int, blend: int) -> np.ndarray:
    """Cross-fade weights for tile k over its output span [lo*scale, hi*scale): linear ramps of width 2*blend
    centred on each core boundary, mirror images in adjacent tiles, so weights sum to one everywhere."""
    p = (np.arange(lo * scale, hi * scale, dtype=np.float64) + 0.5) / scale
    w = np.ones_like(p)
    if k > 0:
        w *= np.clip((p - (bounds[k] - blend)) / (2 * blend), 0, 1)
    if k < len(bounds) - 2:
        w *= np.clip(((bounds[k + 1] + blend) - p) / (2 * blend), 0, 1)
    return w.astype(np.float32)


class _OutOfMemory(Exception):
    pass


def _place(descriptor, device: Device, dtype) -> None:
    """Move the network to ``device`` and ``dtype`` only if needed: ``Module.to`` walks every submodule, once per tile."""
    p = next(descriptor.model.parameters(), None)
    if p is None or p.dtype != dtype or str(p.device) != str(device):
        descriptor.to(device=str(device), dtype=dtype)


def _forward(model: LoadedModel, tile: np.ndarray, device: Device, dtype, backend: str) -> np.ndarray:
    """One forward pass under the device lock; returns float32 HxWxC on the CPU. Its time on the device
    (not its wait in line) teaches the model's speed (``SPEEDS``)."""
    if uses_onnx(model, device, backend):
        with DEVICE_LOCK.share() as threads:  # side by side with other ONNX Runtime passes, on a share of the cores
            start = time.perf_counter()
            out = model.onnx(tile, threads)
            seconds = time.perf_counter() - start
    else:
        import torch

        descriptor = model.descriptor
        x = torch.from_numpy(np.ascontiguousarray(tile.transpose(2, 0, 1)))[None]
        with DEVICE_LOCK:
            start = time.perf_counter()
            try:
                _place(descriptor, device, dtype)
                with torch.inference_mode():
                    y = descriptor(x.to(device=str(device), dtype=dtype))
                out = y[0].float().cpu().numpy().transpose(1, 2, 0)
            except torch.OutOfMemoryError:
                raise _OutOfMemory from None
            finally:
                if device.type == "cuda":
                    torch.cuda.empty_cache()
            seconds = time.perf_counter() - start
    SPEEDS.learn(speed_key(model, device, backend), seconds, out.shape[0] * out.shape[1])
    _passes.seconds = pass_seconds() + seconds
    return out


_passes = threading.local()


def pass_seconds() -> float:
    """Seconds this thread's passes have held the device so far: over a job, its model time."""
    return getattr(_passes, "seconds", 0.0)


def run_model(model: LoadedModel, img: np.ndarray, options: EngineOptions = EngineOptions(), progress: ProgressFn | None = None,
              should_stop: StopFn | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """One pass of a neural model at its native scale on float32 HxWx3 in [0, 1], halving the tile on out-of-memory
    down to ``min_tile``. With ``out`` (a view of the output's shape) the result is written there."""
    tile = tile_for(model, options)
    while True:
        try:
            return _run_tiled(model, img, tile, options, progress, should_stop, out)
        except _OutOfMemory:
            if tile // 2 < options.min_tile:
                raise SrdemoError(text("err_out_of_memory")) from None
            tile //= 2


HOOKS_UNDERCOUNT = 3.0
"""How much more a pass really grows the process by than the forward hooks count (``benchmarks/memory.py``)."""
TILE_SECONDS = 2.0
"""A tile should take about this long at most, so Cancel and the device lock's other users wait no longer."""
MAX_TILE = 2048


def memory_per_pixel(model: LoadedModel, device: Device | None = None) -> float:
    """Peak inference memory per input pixel: a built-in's json says it, else it is measured once on a 64x64 probe
    (three of the largest layer outputs alive at once, plus input and output, times ``HOOKS_UNDERCOUNT``)."""
    if model.bytes_per_pixel is None:
        import torch

        descriptor = model.descriptor
        largest = [0]

        def hook(_module, _inputs, output):
            if torch.is_tensor(output):
                largest[0] = max(largest[0], output.numel() * output.element_size())

        handles = [m.register_forward_hook(hook) for m in descriptor.model.modules()]
        try:
            x = torch.rand(1, 3, 64, 64)
            device = device or pick_device()
            with DEVICE_LOCK, torch.inference_mode():
                _place(descriptor, device, torch.float32)
                y = descriptor(x.to(str(device)))
        finally:
            for h in handles:
                h.remove()
        counted = 3 * largest[0] + x.numel() * 4 + y.numel() * 4
        model.bytes_per_pixel = HOOKS_UNDERCOUNT * counted / (64 * 64)
    return model.bytes_per_pixel


RATE_DECAY = 0.7
"""Each measurement's weight in a speed (its pixels) shrinks by this factor per later measurement."""


class Speeds:
    """Seconds per pixel measured in this process, by key (``speed_key``; ``srdemo.speed`` adds its own), weighted
    by pixels (small pieces run faster per pixel). Kept here, so a model the cache let go keeps its speed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rates: dict[str, tuple[float, float]] = {}  # seconds per pixel, decayed pixel weight

    def get(self, key: str) -> float | None:
        with self._lock:
            found = self._rates.get(key)
        return found[0] if found else None

    def learn(self, key: str, seconds: float, pixels: int) -> None:
        with self._lock:
            rate, weight = self._rates.get(key, (0.0, 0.0))
            kept = RATE_DECAY * weight
            self._rates[key] = ((rate * kept + seconds) / (kept + max(1, pixels)), kept + max(1, pixels))

    def forget(self, key: str | None = None) -> None:
        """Drop one key's measurements (all of them with none)."""
        with self._lock:
            if key is None:
                self._rates.clear()
            else:
                self._rates.pop(key, None)


SPEEDS = Speeds()


def speed_key(model: LoadedModel, device: Device, backend: str) -> str:
    """Where a model's pass speed is kept in ``SPEEDS``: per device and runtime."""
    runtime = "onnx" if uses_onnx(model, device, backend) else "torch"
    return f"{device.type}|{runtime}|{model.spec.id}"


def piece_area(model: LoadedModel, options: EngineOptions) -> int | None:
    """The most input pixels one piece of a pass may have (None when the operator forced a tile size):
    within this job's share of ``SRDEMO_MEMORY_MB``, and about ``TILE_SECONDS`` of work at the model's speed."""
    if options.tile:
        return None
    settings = get_settings()
    device = pick_device(options.device)
    area = int(settings.memory_bytes / settings.neural_jobs / memory_per_pixel(model, device))
    rate = SPEEDS.get(speed_key(model, device, options.backend))
    if rate:
        area = min(area, int(TILE_SECONDS / rate / model.scale**2))
    return area


def tile_for(model: LoadedModel, options: EngineOptions) -> int:
    """The tile side (input pixels): ``options.tile`` if given, else the side of a square of ``piece_area``."""
    if options.tile:
        return options.tile
    return max(options.min_tile, min(MAX_TILE, int(piece_area(model, options) ** 0.5)))


def tile_grid(h: int, w: int, tile: int, options: EngineOptions, tiling: str = "supported",
              max_area: int | None = None) -> tuple[list[int], list[int]]:
    """Core boundaries along y and x for an h x w image. Small images run in one piece (up to 4x a tile's area,
    within ``max_area``): fewer lock hand-offs when the device is shared."""
    one_piece = h <= 2 * tile and w <= 2 * tile and h * w <= min(4 * tile * tile, max_area or h * w)
    untiled = tiling == "internal" or one_piece
    if tiling == "discouraged":
        tile *= 2
    core = max(tile - 2 * options.pad, 2 * options.blend + 1)
    return ([0, h] if untiled else _cores(h, core)), ([0, w] if untiled else _cores(w, core))


def _run_tiled(model, img, tile, options, progress, should_stop, out=None) -> np.ndarray:
    device = pick_device(options.device)
    on_torch = not uses_onnx(model, device, options.backend)
    dtype = pick_dtype(model.descriptor, device, options.precision) if on_torch else None
    s = model.scale
    h, w = img.shape[:2]
    ys, xs = tile_grid(h, w, tile, options, model.tiling, piece_area(model, options))
    rows, cols = _spans(ys, h, options.pad), _spans(xs, w, options.pad)
    total = len(rows) * len(cols)
    if out is not None and total > 1:
        out[...] = 0  # tiles add up their weighted outputs
    elif total > 1:
        out = np.zeros((h * s, w * s, img.shape[2]), dtype=np.float32)
    done = 0
    for i, (y0, y1) in enumerate(rows):
        wy = _axis_weights(ys, i, y0, y1, s, options.blend)
        for j, (x0, x1) in enumerate(cols):
            if should_stop is not None and should_stop():
                raise Cancelled()
            piece = img[y0:y1, x0:x1]
            result = _forward(model, piece, device, dtype, options.backend)
            half = dtype is not None and dtype.itemsize < 4
            if half and (not np.isfinite(result).all() or result.max() < 1e-3 <= piece.max() - 0.05):  # NaN/inf, or black
                import torch

                dtype = torch.float32  # this model misbehaves in half precision: stay in fp32 from now on
                result = _forward(model, piece, device, dtype, "torch")
            if total == 1 and out is not None:
                out[...] = result
            elif total == 1:
                out = result  # a single tile needs no blending
            else:
                wx = _axis_weights(xs, j, x0, x1, s, options.blend)
                out[y0 * s : y1 * s, x0 * s : x1 * s] += result * wy[:, None, None] * wx[None, :, None]
            done += 1
            if progress is not None:
                progress(done / total, f"tile {done}/{total}")
    return out


# ---------------------------------------------------------------- any scale


LANCZOS_ROOM = 1.7
"""After a model pass, what is left up to this factor is a plain Lanczos enlargement (benchmarks/plans.py)."""
OVERSHOOT = 1.4
"""A later model pass may compute up to this many times the target's pixels, then shrink onto it (benchmarks/plans.py)."""


@dataclass(frozen=True)
class Step:
    """One step of a plan: a native ``model`` pass, or an exact Lanczos ``resize`` to ``size`` (width, height)."""

    kind: str  # "model" or "resize"
    size: tuple[int, int]  # the image's size after this step


def plan_passes(native: int, in_size: tuple[int, int], out_size: tuple[int, int]) -> list[Step]:
    """The steps from ``in_size`` to exactly ``out_size`` with a model of ``native`` scale: a model pass first;
    then a remainder up to ``LANCZOS_ROOM`` is Lanczos, a larger one shrinks so that one more pass makes
    ``OVERSHOOT`` times the target's pixels, then shrinks onto it. Never enlarge before a model pass."""
    if native <= 1:
        return [Step("resize", out_size)]
    steps: list[Step] = []
    cur = in_size
    while True:
        remaining = max(out_size[0] / cur[0], out_size[1] / cur[1])
        if steps and remaining <= LANCZOS_ROOM:  # reached, or close enough for Lanczos
            break
        if steps and remaining <= native:
            k = min(OVERSHOOT**0.5, native / remaining)  # never enlarge: at most the current size
            shrunk = (max(1, round(out_size[0] * k / native)), max(1, round(out_size[1] * k / native)))
            if shrunk != cur:
                cur = shrunk
                steps.append(Step("resize", cur))
        cur = (cur[0] * native, cur[1] * native)
        steps.append(Step("model", cur))
    if cur != out_size:
        steps.append(Step("resize", out_size))
    return steps


def model_pixels(plan: list[Step]) -> int:
    """Output pixels of the model passes in a plan (what the target asks the model for)."""
    return sum(s.size[0] * s.size[1] for s in plan if s.kind == "model")


class Work(NamedTuple):
    """What a job's time follows (``plan_work``)."""

    model_pixels: int  # output pixels its model passes really compute, tiles' context included
    other_pixels: int  # pixels resized, and every output pixel post-processed once


def plan_work(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int],
              options: EngineOptions, box: Box | None = None) -> Work:
    """The work of a job, counted on the plan, crops and tile grid ``upscale_array`` runs (a resize at its larger size)."""
    native, tile, area = model.scale, tile_for(model, options), piece_area(model, options)
    plan = plan_passes(native, in_size, out_size)
    work, resized, cur = 0, 0, in_size
    crops = iter(pass_crops(plan, in_size, box, options.pad))
    for step in plan:
        if step.kind == "model":
            x0, y0, x1, y1 = next(crops) or (0, 0, *cur)
            w, h = x1 - x0, y1 - y0
            if w > 0 and h > 0:
                ys, xs = tile_grid(h, w, tile, options, model.tiling, area)
                rows = sum(b - a for a, b in _spans(ys, h, options.pad))
                cols = sum(b - a for a, b in _spans(xs, w, options.pad))
                work += rows * cols * native**2
        else:
            resized += max(cur[0] * cur[1], step.size[0] * step.size[1])
        cur = step.size
    return Work(work, resized + out_size[0] * out_size[1])


def upscale_array(model: LoadedModel, img: np.ndarray, size: tuple[int, int], options: EngineOptions = EngineOptions(),
                  progress: ProgressFn | None = None, should_stop: StopFn | None = None, box: Box | None = None) -> np.ndarray:
    """Upscale float32 HxWx3 [0, 1] to exactly ``size`` (width, height), neural models following ``plan_passes``.
    With a ``box`` (``content_box``), each pass computes the box's part only, straight into a white full-size output."""
    if not model.is_neural:
        out = resample(img, size, model.spec.id)
        return np.clip(out, 0, 1, out=out)
    in_size = (img.shape[1], img.shape[0])
    plan = plan_passes(model.scale, in_size, size)
    crops = iter(pass_crops(plan, in_size, box, options.pad))
    total, s = model_pixels(plan), model.scale
    n = sum(s.kind == "model" for s in plan)
    current, done, k = img, 0.0, 0
    for step in plan:
        if step.kind == "resize":
            current = resample(current, step.size, "lanczos")
            np.clip(current, 0, 1, out=current)
            continue
        k += 1
        weight = step.size[0] * step.size[1] / total
        sub = None if progress is None else (
            lambda f, msg, k=k, base=done, w=weight: progress(base + w * f, f"pass {k}/{n}, {msg}"))
        crop = next(crops)
        if crop is None:
            current = run_model(model, current, options, sub, should_stop)  # output clamped to [0, 1]
        else:
            x0, y0, x1, y1 = crop
            out = np.ones((current.shape[0] * s, current.shape[1] * s, 3), np.float32)
            if x1 > x0 and y1 > y0:
                run_model(model, current[y0:y1, x0:x1], options, sub, should_stop, out=out[y0 * s : y1 * s, x0 * s : x1 * s])
            current = out
        done += weight
    return current


# ---------------------------------------------------------------- white margins

MARGIN = 4
"""Input pixels a box reaches beyond the last one kept: the Lanczos resize after a pass must see computed output."""


def content_box(blank: np.ndarray, margin: int = MARGIN) -> Box | None:
    """What a model must compute of an image whose ``blank`` pixels' output the caller overwrites anyway: the
    other pixels' bounding box, ``margin`` wider; ``None`` when that is the whole image, empty when nothing is left."""
    h, w = blank.shape
    rows = np.flatnonzero(~blank.all(axis=1))
    if rows.size == 0:
        return (0, 0, 0, 0)
    cols = np.flatnonzero(~blank.all(axis=0))
    box = (max(0, int(cols[0]) - margin), max(0, int(rows[0]) - margin),
           min(w, int(cols[-1]) + 1 + margin), min(h, int(rows[-1]) + 1 + margin))
    return None if box == (0, 0, w, h) else box


def pass_crops(plan: list[Step], in_size: tuple[int, int], box: Box | None, pad: int) -> list[Box | None]:
    """The part of its input each model pass of ``plan`` runs on (None: the whole input): ``box`` at that pass's
    size, with ``pad`` of context for every pass still to come, as a pass is exact only ``pad`` inside its input."""
    passes = sum(step.kind == "model" for step in plan)
    if box is None:
        return [None] * passes
    crops: list[Box | None] = []
    cur = in_size
    for step in plan:
        if step.kind == "model":
            fx, fy = cur[0] / in_size[0], cur[1] / in_size[1]
            x0, y0 = math.floor(box[0] * fx), math.floor(box[1] * fy)
            x1, y1 = min(cur[0], math.ceil(box[2] * fx)), min(cur[1], math.ceil(box[3] * fy))
            reach = pad * (passes - len(crops)) if x1 > x0 and y1 > y0 else 0
            crops.append((max(0, x0 - reach), max(0, y0 - reach), min(cur[0], x1 + reach), min(cur[1], y1 + reach)))
        cur = step.size
    return crops

