"""How long a job will take here, in one sentence, and refusing a CPU job that would take too long.

A job's time is its model passes' output pixels at the model's measured speed (``engine.SPEEDS``), its other
pixels at their own measured cost, and a fixed cost per job. A job is planned once, at admission (``admit``),
and the same :class:`Plan` is handed to ``record`` after it ran.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from . import engine, models, wording
from .backends import uses_onnx
from .caller import ANYONE
from .devices import DEVICE_LOCK, pick_device
from .engine import SPEEDS, Box, EngineOptions
from .errors import SrdemoError
from .models import LoadedModel
from .resampling import resample
from .settings import get_settings

log = logging.getLogger(__name__)

SPREAD = 1.4
"""An estimate runs from mid / SPREAD to mid * SPREAD: high / low = 1.96, under 2 (benchmarks/estimate.py)."""
PROBE = 192
"""The probe's side in input pixels: a heavy model runs faster per pixel on much smaller images."""
BIG_JOB_PIXELS = 1_000_000
"""A job with this many other pixels teaches their cost; a smaller one teaches the fixed cost of a job."""
OTHER = "cpu|numpy|other pixels"  # seconds per other pixel, in engine.SPEEDS
FIXED = "cpu|numpy|job"  # seconds per job


@dataclass(frozen=True)
class Plan:
    """One neural job as admission saw it, handed to ``record`` once it has run."""

    device: str  # "cpu", "cuda", "mps": the sentence names it
    model_pixels: int  # output pixels its passes compute (``engine.plan_work``)
    other_pixels: int
    seconds: tuple[float, float] | None  # (low, high); None while the model's speed is not measured
    started: float = 0.0  # ``engine.pass_seconds()`` when it was planned: what its passes add is its model time


def speed_of(model: LoadedModel, options: EngineOptions | None = None) -> float:
    """Output megapixels per second a pass of this model computes here. Not measured yet, it is probed: one
    ``PROBE``-sized pass after a small one, whose time (new sessions, new memory) is forgotten."""
    options = options or EngineOptions.from_settings()
    key = engine.speed_key(model, pick_device(options.device), options.backend)
    if SPEEDS.get(key) is None:
        img = np.random.default_rng(0).random((PROBE, PROBE, 3), dtype=np.float32)
        engine.run_model(model, img[:32, :32], options)
        SPEEDS.forget(key)
        engine.run_model(model, img, options)
    return 1e-6 / SPEEDS.get(key)


def _other_rate() -> float:
    """Seconds an output pixel costs besides the model (resizes, white and alpha checks, the cast to integers):
    seeded once per process on a 512x512 image, then learnt from big jobs (``record``)."""
    if SPEEDS.get(OTHER) is None:
        img = np.random.default_rng(1).random((512, 512, 3), dtype=np.float32)
        runs = []
        for _ in range(3):  # the first run also pays for warming up; the fastest is the cost
            start = time.perf_counter()
            out = resample(img, (600, 600), "lanczos")
            np.clip(out, 0, 1, out=out)
            (out * 255 + 0.5).astype(np.uint8)
            runs.append(time.perf_counter() - start)
        SPEEDS.learn(OTHER, min(runs), 600 * 600)
    return SPEEDS.get(OTHER)


def plan(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int],
         options: EngineOptions | None = None, box: Box | None = None) -> Plan | None:
    """The job's work (``engine.plan_work``) and its range (None for a classic resampler, which is instant)."""
    if not model.is_neural:
        return None
    options = options or EngineOptions.from_settings()
    device = pick_device(options.device)
    rate = SPEEDS.get(engine.speed_key(model, device, options.backend))
    if rate is None:  # before planning, which measures the model's memory
        return Plan(device.type, 0, 0, None)
    work = engine.plan_work(model, in_size, out_size, options, box)
    mid = work.model_pixels * rate + work.other_pixels * _other_rate() + (SPEEDS.get(FIXED) or 0.0)
    return Plan(device.type, work.model_pixels, work.other_pixels, (mid / SPREAD, mid * SPREAD),
                engine.pass_seconds())


def sentence(found: Plan) -> str:
    """The estimate in a sentence: a range of seconds, 'under a second', or that it is not measured yet."""
    device = found.device.upper()
    if found.seconds is None:
        return wording.text("estimate_unmeasured", device=device)
    low, high = found.seconds
    if high < 1:  # "0.0 to 0.1 s" reads as a glitch
        return wording.text("estimate_under_a_second", device=device)
    return wording.text("estimate", low=low, high=high, device=device)


def admit(model: LoadedModel, in_size: tuple[int, int], out_size: tuple[int, int], options: EngineOptions,
          box: Box | None = None) -> Plan | None:
    """The job's plan, its model's speed probed first if need be; a CPU job whose low end passes the cap is refused."""
    if not model.is_neural:
        return None
    speed_of(model, options)
    found = plan(model, in_size, out_size, options, box)
    cap = get_settings().max_cpu_seconds
    low, high = found.seconds
    if found.device == "cpu" and low > cap:
        raise SrdemoError(wording.text("too_slow_on_cpu", low_minutes=low / 60, high_minutes=high / 60,
                                       cap_minutes=cap / 60))
    return found


def record(done: Plan | None, seconds: float) -> None:
    """Learn from a finished job: what its time leaves besides its passes is the cost of its other pixels
    (a big job) or the fixed cost of a job (a small one). The passes taught their speed as they ran."""
    if done is None or done.seconds is None:
        return
    other = max(0.0, seconds - (engine.pass_seconds() - done.started))
    if done.other_pixels >= BIG_JOB_PIXELS:
        _other_rate()  # the probe stays the first of the measurements
        SPEEDS.learn(OTHER, max(0.0, other - (SPEEDS.get(FIXED) or 0.0)), done.other_pixels)
    else:
        SPEEDS.learn(FIXED, max(0.0, other - done.other_pixels * _other_rate()), 1)


def warm_up() -> None:
    """Once at start, in the background: probe each built-in that runs on ONNX Runtime here, then run one
    pass at its largest piece, outside the engine (teaching no speed), to grow the shared memory pool."""
    options = EngineOptions.from_settings()
    device = pick_device(options.device)
    for spec in models.builtin_specs():
        if not spec.exports:  # the best tier runs on torch, which keeps no pool
            continue
        try:
            model = models.load(spec, ANYONE)  # a built-in: what any visitor may load
            if not uses_onnx(model, device, options.backend):  # a GPU, or torch forced
                continue
            speed_of(model, options)  # the time cap on a piece follows from the speed
            side = engine.tile_for(model, options)
            with DEVICE_LOCK.share() as threads:  # its turn at the device, as any pass
                model.onnx(np.full((side, side, 3), 0.5, np.float32), threads)
        except Exception:
            log.exception("warming up %s", spec.id)
