"""Which device a model runs on, in what precision, and who may use it when.

One GPU (or one CPU) is shared by every user of the app and by a training job;
``DEVICE_LOCK`` serves them tile by tile in arrival order (on a CPU, ONNX Runtime
passes side by side, each on its share of the cores).
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time

import spandrel
import torch

from .settings import get_settings


class FairLock:
    """First-come, first-served access to the device, whole or in shares.

    ``threading.Lock`` lets a thread that releases and re-acquires in a tight
    loop (a training job, step after step) starve everyone else; here waiters
    are served in arrival order, so an upscale waits at most one training step
    per tile. A GPU pass, a torch pass and a training step take the whole
    device (``with DEVICE_LOCK``). ONNX Runtime passes on a CPU take one of
    ``shares`` each (``with DEVICE_LOCK.share()``) and run side by side on
    their part of the cores: two 1-thread passes keep a 2-core CPU busier than
    two 2-thread passes taking turns, because each file's decoding, checks and
    encoding fill the gaps (``benchmarks/batch.py --throughput``). A pass alone
    takes every core only while it is the only job under way (``working``).
    """

    def __init__(self, shares: int = 1) -> None:
        self.shares = max(1, shares)
        self._cond = threading.Condition(threading.Lock())
        self._next_ticket = 0
        self._serving = 0
        self._in_use = 0
        self._jobs = 0
        self._held = threading.local()

    def acquire(self, shares: int | None = None) -> bool:
        """Wait for this thread's turn and ``shares`` (default: all of them). True when no one else holds any."""
        need = self.shares if shares is None else min(shares, self.shares)
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            while ticket != self._serving or self._in_use + need > self.shares:
                self._cond.wait()
            self._serving += 1  # the next in line may go as soon as there is room for it
            self._in_use += need
            alone = self._in_use == need
            self._cond.notify_all()
        self._held.need = need
        self._held.since = time.perf_counter()
        return alone

    def last_hold(self) -> float:
        """Seconds this thread held the lock the last time: a tile's work without its wait in line."""
        return getattr(self._held, "seconds", 0.0)

    def held_seconds(self) -> float:
        """Seconds this thread has held the lock in all: the difference over a job is its model time."""
        return getattr(self._held, "total", 0.0)

    def release(self) -> None:
        self._held.seconds = time.perf_counter() - self._held.since
        self._held.total = self.held_seconds() + self._held.seconds
        with self._cond:
            self._in_use -= self._held.need
            self._cond.notify_all()

    def locked(self) -> bool:
        with self._cond:
            return self._in_use > 0

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @contextlib.contextmanager
    def working(self):
        """A job is under way inside this (its decoding, passes, checks and encoding); also a decorator.

        While another job is, a pass keeps to its share of the cores even when it is the only pass in
        flight: the other job's decoding and encoding run on the rest, and a pass on every core beside
        them puts three threads on two cores. In a 60-image batch with two workers (2-core AMD EPYC),
        passes always on their share made 114-123 images/min, against 108-113 taking every core when alone.
        """
        with self._cond:
            self._jobs += 1
        try:
            yield
        finally:
            with self._cond:
                self._jobs -= 1

    @contextlib.contextmanager
    def share(self):
        """Hold one share; yields how many CPU threads this pass should use (all of them when it is the
        only pass in flight of the only job under way)."""
        alone = self.acquire(1)
        with self._cond:
            alone = alone and self._jobs <= 1
        try:
            yield torch.get_num_threads() if alone else max(1, torch.get_num_threads() // self.shares)
        finally:
            self.release()


DEVICE_LOCK = FairLock(get_settings().neural_jobs)
"""Held for each tile of inference and each training step; ONNX Runtime passes on a CPU share it (``share``)."""


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
    """The device in a person's words ('CPU (2 threads)', 'GPU (NVIDIA H200)')."""
    from .wording import text

    if device.type == "cuda":
        return text("device_gpu", name=torch.cuda.get_device_name(device))
    if device.type == "mps":
        return text("device_mps")
    return text("device_cpu", threads=torch.get_num_threads())


def cpu_name() -> str:
    """The CPU's model name, for benchmark tables (Linux names it in /proc/cpuinfo; elsewhere what Python knows)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def pick_dtype(descriptor: spandrel.ImageModelDescriptor, device: torch.device, precision: str) -> torch.dtype:
    """Half precision only on GPUs and only where spandrel says the architecture supports it."""
    if precision == "fp32" or device.type == "cpu":
        return torch.float32
    if device.type == "cuda" and descriptor.supports_bfloat16 and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if descriptor.supports_half:
        return torch.float16
    return torch.float32
