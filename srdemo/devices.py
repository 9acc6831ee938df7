"""Which device a model runs on, in what precision, and who may use it when.

One GPU (or CPU) is shared by every user and a training job: ``DEVICE_LOCK`` serves them tile by tile in
arrival order, and ``MEMORY`` admits each job against ``SRDEMO_MEMORY_MB`` and what the machine, or its
container, has left (``available_memory``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import platform
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import Cancelled, SrdemoError
from .settings import get_settings

if TYPE_CHECKING:
    import spandrel
    import torch


class _Line:
    """First come, first served, by weight: a waiter goes in once it is first in line and fits beside those
    inside, so no one is passed for ever (by a thread re-taking it in a tight loop, or by small jobs)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._line: collections.deque[object] = collections.deque()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        with self._cond:
            return self._in_use

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    def _take(self, need: int, capacity: Callable[[], int], should_stop: Callable[[], bool] | None = None,
              waiting: Callable[[], None] | None = None) -> bool:
        """Wait in line until ``need`` fits; True when no one else holds any. ``waiting()`` is called once if it
        must wait, and a waiter whose ``should_stop()`` turns true leaves the line (``Cancelled``)."""
        me = object()
        with self._cond:
            self._line.append(me)
            try:
                while self._line[0] is not me or self._in_use + need > capacity():
                    if should_stop is not None and should_stop():
                        raise Cancelled()
                    if waiting is not None:
                        self._cond.release()  # a progress bar may take its time
                        try:
                            waiting()
                        finally:
                            self._cond.acquire()
                        waiting = None  # told once
                        continue
                    self._cond.wait(0.5 if should_stop is not None else None)
            except BaseException:
                self._line.remove(me)
                self._cond.notify_all()
                raise
            self._line.popleft()
            self._in_use += need
            self._cond.notify_all()  # the next in line may fit beside this one
            return self._in_use == need

    def _give(self, need: int) -> None:
        with self._cond:
            self._in_use -= need
            self._cond.notify_all()


class FairLock(_Line):
    """The device in arrival order (a training job cannot starve an upscale, as with ``threading.Lock``): whole for
    torch passes and training steps, one of ``shares`` each for ONNX Runtime passes on a CPU (``share()``)."""

    def __init__(self, shares: int = 1) -> None:
        super().__init__()
        self.shares = max(1, shares)
        self._jobs = 0
        self._held = threading.local()

    def acquire(self, shares: int | None = None) -> bool:
        """Wait for this thread's turn and ``shares`` (default: all of them). True when no one else holds any."""
        need = self.shares if shares is None else min(shares, self.shares)
        alone = self._take(need, lambda: self.shares)
        self._held.need = need
        return alone

    def release(self) -> None:
        self._give(self._held.need)

    def locked(self) -> bool:
        return self.in_use > 0

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @contextlib.contextmanager
    def working(self):
        """A job is under way inside this; also a decorator. While another job is, a pass keeps to its
        share of the cores even when alone, leaving the rest to the other job's decoding and encoding."""
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
            yield cpu_threads() if alone else max(1, cpu_threads() // self.shares)
        finally:
            self.release()


DEVICE_LOCK = FairLock(get_settings().neural_jobs)
"""Held for each tile of inference and each training step; ONNX Runtime passes on a CPU share it (``share``)."""


def _read_int(path: Path) -> int | None:
    """A file's one number (a cgroup figure); None when absent, unreadable or not a number ("max")."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def available_memory(root: Path = Path("/")) -> int | None:
    """Bytes this process may still take: the smaller of the machine's ``MemAvailable`` and its cgroup's limit
    less what it uses ("max": no limit). None when nothing says. ``root`` holds /proc and /sys (tests fake one)."""
    figures = []
    meminfo = root / "proc" / "meminfo"
    try:
        figures.append(int(meminfo.read_text().split("MemAvailable:")[1].split()[0]) * 1024)  # in kB
    except (OSError, ValueError, IndexError):
        if root == Path("/") and not meminfo.exists():  # not Linux (macOS): free pages, what the OS says
            with contextlib.suppress(ValueError, OSError, AttributeError):
                figures.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    cgroup = root / "sys" / "fs" / "cgroup"
    v1 = not (cgroup / "memory.max").exists()
    limit = _read_int(cgroup / ("memory/memory.limit_in_bytes" if v1 else "memory.max"))
    used = _read_int(cgroup / ("memory/memory.usage_in_bytes" if v1 else "memory.current"))
    if limit is not None:
        figures.append(max(0, limit - (used or 0)))
    return min(figures) if figures else None


class MemoryBudget(_Line):
    """The memory the process's jobs share: ``SRDEMO_MEMORY_MB``, given out job by job in arrival order.
    A job that needs more than the budget, or than the machine has left, is refused."""

    @contextlib.contextmanager
    def hold(self, need: int, waiting: Callable[[], None] | None = None,
             should_stop: Callable[[], bool] | None = None):
        """Hold ``need`` bytes of the budget while inside (waiting in line for them, see ``_take``)."""
        from .wording import text

        limit, free = get_settings().memory_bytes, available_memory()  # the most one job may hold now
        if free is not None:
            limit = min(limit, free + self.in_use)
        if need > limit:
            raise SrdemoError(text("err_job_memory", need_gb=need / 1e9, limit_gb=limit / 1e9))
        self._take(need, lambda: get_settings().memory_bytes, should_stop, waiting)
        try:
            yield
        finally:
            self._give(need)


MEMORY = MemoryBudget()
"""Held by each upscale from its first pass to its encoded file (``request.upscale``)."""


class Device(NamedTuple):
    """A device as torch names it ('cpu', 'cuda:0', 'mps:0'), known without importing torch."""

    type: str
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


GPU_SIGNS = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd", "/dev/dxg")
"""Files an NVIDIA (or ROCm, or WSL) GPU leaves on Linux: without them, a CPU without importing torch."""


def _may_have_gpu() -> bool:
    if "torch" in sys.modules or sys.platform != "linux":  # loaded already, or macOS (MPS) / Windows: ask torch
        return True
    return any(Path(sign).exists() for sign in GPU_SIGNS)


def pick_device(preferred: str | None = None) -> Device:
    """CUDA, else Apple MPS, else CPU (or what the caller asks for). A GPU comes back with its index
    ('cuda' -> the current one), so it equals the device a model's parameters report."""
    if preferred == "cpu" or (not preferred and not _may_have_gpu()):
        return Device("cpu")
    import torch

    cuda = torch.cuda.is_available()
    device = torch.device(preferred or ("cuda" if cuda else "mps" if torch.backends.mps.is_available() else "cpu"))
    if device.index is None and device.type == "cuda" and cuda:
        return Device("cuda", torch.cuda.current_device())
    if device.index is None and device.type == "mps":
        return Device("mps", 0)
    return Device(device.type, device.index)


def cpu_threads() -> int:
    """Threads a pass on the whole CPU uses: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def device_label(device: Device) -> str:
    """The device in a person's words ('CPU (2 threads)', 'GPU (NVIDIA H200)')."""
    from .wording import text

    if device.type == "cuda":
        import torch

        return text("device_gpu", name=torch.cuda.get_device_name(str(device)))
    if device.type == "mps":
        return text("device_mps")
    return text("device_cpu", threads=cpu_threads())


def cpu_name() -> str:
    """The CPU's model name, for benchmark tables (Linux names it in /proc/cpuinfo; elsewhere what Python knows)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def pick_dtype(descriptor: spandrel.ImageModelDescriptor, device: Device, precision: str) -> torch.dtype:
    """Half precision only on GPUs and only where spandrel says the architecture supports it."""
    import torch

    if precision == "fp32" or device.type == "cpu":
        return torch.float32
    if device.type == "cuda" and descriptor.supports_bfloat16 and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16 if descriptor.supports_half else torch.float32
