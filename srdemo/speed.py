"""How fast each model runs here: measure, record, estimate a range, and refuse what would take too long.

Speeds are output megapixels a model pass computes per second, kept in this
process only (another process on the same machine, with its own load, is no
evidence about this one), per device, backend (torch or ONNX Runtime), thread count, model and tile size. The
first use of a model is seeded by a short probe; each finished job adds its
own measurement (the time its passes held the device), and the median of the
recent ones is the speed. A job's other pixels (resizes, checks) and its fixed
cost are learnt the same way, from the rest of its time. A job that grows
ONNX Runtime's memory pool past anything the process has run pays for the new
memory; how much per byte is learnt apart from the speeds. An estimate
is a range around ``pixels / speed`` whose high end is under twice its low
end; a CPU job is refused only when even the low end passes the operator's
cap (``SRDEMO_MAX_CPU_SECONDS``), and the message gives the same numbers.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque

import numpy as np
import torch

from . import models, wording
from .backends import POOL, uses_onnx
from .caller import ANYONE
from .devices import pick_device
from .engine import Box, EngineOptions, Work, memory_per_pixel, pass_work, piece_area, plan_work, run_model, tile_for
from .errors import SrdemoError
from .models import LoadedModel
from .resampling import resample
from .settings import get_settings

log = logging.getLogger(__name__)

SPREAD = 1.4
"""An estimate runs from mid / SPREAD to mid * SPREAD: high / low = 1.96, under 2 (benchmarks/estimate.py)."""
RECENT = 8  # measurements kept per key; the median of them is the speed


class SpeedBook:
    """Measured speeds of this process, safe to share between request threads."""

    def __init__(self) -> None:
        self._speeds: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, mp_per_s: float) -> None:
        with self._lock:
            self._speeds.setdefault(key, deque(maxlen=RECENT)).append(mp_per_s)

    def median(self, key: str) -> float | None:
        with self._lock:
            seen = self._speeds.get(key)
            return statistics.median(seen) if seen else None

    def clear(self) -> None:
        with self._lock:
            self._speeds.clear()


SPEEDS = SpeedBook()


def _key(model: LoadedModel, device: torch.device | None, options: EngineOptions | None) -> str:
    device = device or pick_device()
    options = options or EngineOptions.from_settings()
    backend = "onnx" if uses_onnx(model, device, options.backend) else "torch"
    return f"{device.type}|{backend}|{torch.get_num_threads()}|{model.spec.id}|tile{options.tile or 'auto'}"


def recorded_speed(model: LoadedModel, device: torch.device | None = None, options: EngineOptions | None = None) -> float | None:
    """Output megapixels per second a pass of this model computes here (the median of recent runs), if known."""
    return SPEEDS.median(_key(model, device, options)) if model.is_neural else None


def record_speed(model: LoadedModel, model_pixel_count: int, seconds: float, device: torch.device | None = None,
                 options: EngineOptions | None = None) -> None:
    """Add one measurement: ``model_pixel_count`` pixels computed by model passes in ``seconds``."""
    if model.is_neural and seconds > 0:
        SPEEDS.add(_key(model, device, options), model_pixel_count / seconds / 1e6)


PROBE = 192
"""The probe's side in input pixels. Per pixel, a heavy model runs faster on small images (they stay in
the cache): one DCTLSA x4 pass made 0.58 output MP/s on 96 px, 0.44 on 192 px, 0.40 on 256 px and 0.28 on
400 px (2-core Xeon), so a 96 px probe set its first estimates well short."""


def measure_speed(model: LoadedModel, options: EngineOptions | None = None) -> float | None:
    """The short probe that seeds a model's speed: one ``PROBE``-sized pass after a warm-up. Returns output MP/s."""
    if not model.is_neural:
        return None
    options = options or EngineOptions.from_settings()
    probe = np.random.default_rng(0).random((PROBE, PROBE, 3), dtype=np.float32)
    run_model(model, probe[:32, :32], options)
    start = time.perf_counter()
    run_model(model, probe, options)
    seconds = time.perf_counter() - start
    out_pixels = pass_work(model.scale, (PROBE, PROBE), options, tile_for(model, options), piece_area(model, options))
    record_speed(model, out_pixels, seconds, options=options)
    return out_pixels / seconds / 1e6


def warm_up() -> None:
    """What the app does once at start, in the background: measure each built-in that runs on ONNX
    Runtime here (the probe its first estimate needs), then run one pass of it at its largest piece.

    The pass grows the shared memory pool (``backends.POOL``) to what any of their pieces needs before a
    visitor's job pays for it. What growing it costs is the least predictable part of a job's time: in
    one process the ``x2`` grew it by 521 MB for about 0.1 s, and later by 602 MB for 1.0 s (2-core AMD
    EPYC). A failure here only leaves the first jobs to do it.
    """
    options = EngineOptions.from_settings()
    for spec in models.builtin_specs():
        if not spec.exports:  # the best tier runs on torch, which keeps no pool
            continue
        try:
            model = models.load(spec, ANYONE)  # a built-in: what any visitor may load
            if not uses_onnx(model, pick_device(options.device), options.backend):  # a GPU, or torch forced
                continue
            if recorded_speed(model, options=options) is None:
                measure_speed(model, options)
            side = tile_for(model, options)  # the probe has set the time cap: one piece of the largest size
            run_model(model, np.full((side, side, 3), 0.5, np.float32), options)
        except Exception:
            log.exception("warming up %s", spec.id)


BIG_JOB_PIXELS = 1_000_000
"""A job with this many other pixels teaches their cost; a smaller one teaches the fixed cost of a job
(reading the white margins, allocating the output, handing tiles over), which swamps its few pixels."""


def _key_other(what: str) -> str:
    return f"{what}|{torch.get_num_threads()}"


def post_seconds_per_pixel() -> float:
    """What an output pixel costs besides the model (Lanczos resizes, white and alpha checks, the cast to
    integers): ignoring it underestimated big x6-x8 jobs 2x.

    Seeded once per process on a 512x512 image, then learnt from jobs (``record_job``): the first x6.5 job
    from a 383 px photo spent 0.59 s resizing, its fifth run 0.12 s, and the small probe sees neither.
    """
    known = SPEEDS.median(_key_other("post"))
    if known is None:
        img = np.random.default_rng(1).random((512, 512, 3), dtype=np.float32)
        runs = []
        for _ in range(3):  # the first run also pays for warming up; the fastest is the cost
            start = time.perf_counter()
            out = resample(img, (600, 600), "lanczos")
            np.clip(out, 0, 1, out=out)
            (out * 255 + 0.5).astype(np.uint8)
            runs.append((time.perf_counter() - start) / (600 * 600))
        known = min(runs)
        SPEEDS.add(_key_other("post"), known)
    return known


def job_fixed_seconds() -> float:
    """What a job costs whatever its size, learnt from small jobs (0 until one has run)."""
    return SPEEDS.median(_key_other("fixed")) or 0.0


FIRST_TOUCH = 1e-9
"""Seed of the seconds a job pays per byte it grows ONNX Runtime's memory pool by (``backends.POOL``): the
kernel faults in and zeroes each new page. The first 700 px pass of the ``x2`` faulted in about 750 MB
(183,000 pages) and took 0.2-0.7 s more than the same pass next (2-core AMD EPYC). Learnt from jobs that
grow the pool (``record_job``)."""
LEARN_FIRST_TOUCH = 64_000_000
"""A job that grew the pool by at least this many bytes teaches the first-touch cost, not the speeds
(a threshold chosen, not measured: below it the cost is lost in a job's noise)."""


def first_touch_seconds() -> float:
    """Seconds per byte of pool growth: the median of ``FIRST_TOUCH`` and what jobs have taught since.

    The seed stays one of the figures: new memory is paid in a fraction of a job's time, so one job's
    figure carries that job's noise. Taught alone by a 0.55 s ``x4-product`` job that grew the pool by
    212 MB, the figure had a 3.0 s ``x2`` job that grew it by 988 MB estimated at 1.2-2.3 s
    (``benchmarks/estimate.py --seed 1``, 2-core AMD EPYC).
    """
    known = SPEEDS.median(_key_other("first"))
    if known is None:
        SPEEDS.add(_key_other("first"), FIRST_TOUCH)
        return FIRST_TOUCH
    return known


def _pool_growth(model: LoadedModel, work: Work, options: EngineOptions) -> int:
    """Bytes a job's largest piece would grow ONNX Runtime's pool by (guessed from ``memory_per_pixel``
    until the model has grown it once); nothing on torch: it gives back much of a pass's memory and faults
    it in again in the next pass, which its speed counts (a 538 px ``x2-best`` job: 64.4 s, then 64.0 s)."""
    device = pick_device(options.device)
    if not uses_onnx(model, device, options.backend):
        return 0
    return POOL.growth(model.spec.id, work.piece, memory_per_pixel(model, device))


def _usual_seconds(model: LoadedModel, work: Work, options: EngineOptions) -> float | None:
    """A job's time on memory already in use: its passes at the model's speed, its other pixels, the fixed cost."""
    speed = recorded_speed(model, options=options)
    if speed is None:
        return None
    return work.model_pixels / 1e6 / speed + work.other_pixels * post_seconds_per_pixel() + job_fixed_seconds()


def record_job(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int], seconds: float,
               model_seconds: float, options: EngineOptions | None = None, box: Box | None = None,
               pool_grown: int = 0) -> None:
    """Learn from a finished job: the pixels its passes really computed over ``model_seconds`` (the time
    they held the device), and from the rest of ``seconds`` either the cost of its other pixels (a big
    job) or the fixed cost of a job (a small one). A job that grew ONNX Runtime's pool by ``pool_grown``
    bytes paid for them in its passes: a large growth teaches that cost instead (its time says nothing
    of the usual speed), a small one is taken off its model time."""
    if not model.is_neural:
        return
    options = options or EngineOptions.from_settings()
    work = plan_work(model, in_size, out_size, options, box)
    usual = _usual_seconds(model, work, options)
    if pool_grown >= LEARN_FIRST_TOUCH and usual:
        first_touch_seconds()  # the seed stays the first of the recent figures
        SPEEDS.add(_key_other("first"), max(0.0, seconds - usual) / pool_grown)
        return
    model_seconds = max(0.0, model_seconds - pool_grown * first_touch_seconds())
    if model_seconds > 0:
        record_speed(model, work.model_pixels, model_seconds, options=options)
    other = max(0.0, seconds - model_seconds)
    if work.other_pixels >= BIG_JOB_PIXELS:
        post_seconds_per_pixel()  # the probe stays the first of the recent figures
        SPEEDS.add(_key_other("post"), max(0.0, other - job_fixed_seconds()) / work.other_pixels)
    else:
        SPEEDS.add(_key_other("fixed"), max(0.0, other - work.other_pixels * post_seconds_per_pixel()))


def estimate_range(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int],
                   options: EngineOptions | None = None, box: Box | None = None) -> tuple[float, float] | None:
    """(low, high) seconds for a job; None when not measured yet (or instant).

    It counts the pixels every model pass of the job's plan really computes, tiles' context included and
    white margins left out (``engine.plan_work``), at the model's speed, plus the job's other pixels at
    their own measured cost, the fixed cost of a job, and the first-touch cost of growing the pool.
    """
    options = options or EngineOptions.from_settings()
    if recorded_speed(model, options=options) is None:  # before planning, which measures the model's memory
        return None
    work = plan_work(model, in_size, out_size, options, box)
    mid = _usual_seconds(model, work, options) + _pool_growth(model, work, options) * first_touch_seconds()
    return mid / SPREAD, mid * SPREAD


def estimate_sentence(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int],
                      options: EngineOptions | None = None, box: Box | None = None) -> str:
    """The estimate in a sentence: a range of seconds, 'under a second', or that it is not measured yet."""
    found = estimate_range(model, in_size, out_size, options, box)
    device = pick_device().type.upper()
    if found is None:
        return wording.text("estimate_unmeasured", device=device)
    if found[1] < 1:  # "0.0 to 0.1 s" reads as a glitch
        return wording.text("estimate_under_a_second", device=device)
    return wording.text("estimate", low=found[0], high=found[1], device=device)


def admit(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int], options: EngineOptions,
          box: Box | None = None) -> None:
    """Refuse a CPU job whose estimate, even at its low end, passes the operator's cap (seeding the speed first)."""
    if not model.is_neural:
        return
    if recorded_speed(model, options=options) is None:
        measure_speed(model, options)
    found = estimate_range(model, in_size, out_size, options, box)
    cap = get_settings().max_cpu_seconds
    if pick_device(options.device).type == "cpu" and found is not None and found[0] > cap:
        raise SrdemoError(wording.text("too_slow_on_cpu", low_minutes=found[0] / 60, high_minutes=found[1] / 60,
                                       cap_minutes=cap / 60))
