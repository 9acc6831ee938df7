"""What runs a network's passes: ONNX Runtime on the CPU where the model exports, torch everywhere else.

On small CPUs ONNX Runtime runs srdemo's SPAN models faster than torch, with the same numbers to within
``TOLERANCE`` (``benchmarks/backends.py``). torch stays the GPU path and the fallback for any model whose
export fails, is less exact than torch, or runs slower (``speedup``). An export is named by the SHA-256 of its
weights; the built-ins ship theirs, any other model is exported once in the background into the folder its
source names, running on torch until then, and a failed export leaves a ``.failed`` note.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import logging
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .devices import Device, cpu_threads
from .settings import get_settings
from .weights import load_descriptor

if TYPE_CHECKING:
    import spandrel

log = logging.getLogger(__name__)

TOLERANCE = 1e-4
"""Largest difference from the network's exact output an export may add to torch's own float32 error (on [0, 1]
pixels) to be used (``_differs``)."""
FORMAT = "srdemo-onnx-1"
"""Written into every export with the weights' digest; a change to how we export bumps it."""
OPSET = 18


def available() -> bool:
    """ONNX Runtime is installed and the operator has not forced torch (``SRDEMO_BACKEND=torch``)."""
    return get_settings().backend != "torch" and importlib.util.find_spec("onnxruntime") is not None


def digest(path: Path) -> str:
    """SHA-256 of a weights file: the name its export goes by."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- running an export


_pool_lock = threading.Lock()
_pool: bool | None = None  # whether ONNX Runtime has the shared pool; None until asked


def shared_pool(options) -> None:
    """Make a session being set up draw from the process's one memory pool (registered with ONNX Runtime once):
    a pool per session grows, and pays the kernel for new pages, again for each model and thread count."""
    import onnxruntime as ort

    global _pool
    with _pool_lock:
        if _pool is None:
            try:
                cpu = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
                ort.create_and_register_allocator(cpu, ort.OrtArenaCfg(0, -1, -1, -1))  # ONNX Runtime's defaults
                _pool = True
            except Exception as exc:  # an ONNX Runtime without it: a pool per session
                log.warning("ONNX Runtime sessions keep a memory pool each: %s", exc)
                _pool = False
    if _pool:
        options.add_session_config_entry("session.use_env_allocators", "1")


def _pad(x: np.ndarray, pad_w: int, pad_h: int) -> np.ndarray:
    """spandrel's padding for size requirements, on a 1xCxHxW array: reflect (at most size - 1), then repeat the edge."""
    h, w = x.shape[2:]
    rw, rh = min(pad_w, w - 1), min(pad_h, h - 1)
    x = np.pad(x, ((0, 0), (0, 0), (0, rh), (0, rw)), mode="reflect")
    return np.pad(x, ((0, 0), (0, 0), (0, pad_h - rh), (0, pad_w - rw)), mode="edge")


class OnnxNetwork:
    """An exported network for ONNX Runtime, called like spandrel's descriptor but on HxWxC arrays, with one
    session per thread count (a pass alone uses every core, passes side by side a share each)."""

    def __init__(self, path: Path, scale: int, requirements: spandrel.SizeRequirements | None = None) -> None:
        self.path = path
        self.scale = scale
        self.requirements = requirements  # None: any size runs as it is (the built-ins)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        self._session(cpu_threads())  # a file that does not open fails here, at once

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                options.enable_mem_pattern = False  # planned per input shape; photos come in every size
                # spin between operators, but not on after a pass, where it takes the cores from the job's other work
                options.add_session_config_entry("session.force_spinning_stop", "1")
                shared_pool(options)
                self._sessions[threads] = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            return self._sessions[threads]

    def metadata(self) -> dict[str, str]:
        """What the export says of itself (``export`` writes the format and the weights' digest)."""
        return dict(self._session(cpu_threads()).get_modelmeta().custom_metadata_map)

    def __call__(self, tile: np.ndarray, threads: int | None = None) -> np.ndarray:
        """float32 HxWxC in [0, 1] -> float32 (H*scale)x(W*scale)xC, clamped to [0, 1] as spandrel does."""
        h, w = tile.shape[:2]
        x = np.ascontiguousarray(tile.transpose(2, 0, 1)[None], dtype=np.float32)
        pad_w, pad_h = self.requirements.get_padding(w, h) if self.requirements else (0, 0)
        if pad_w or pad_h:
            x = _pad(x, pad_w, pad_h)
        session = self._session(threads or cpu_threads())
        y = session.run(None, {"x": x})[0][0, :, : h * self.scale, : w * self.scale]
        np.clip(y, 0, 1, out=y)
        return y.transpose(1, 2, 0)


def _differs(net: OnnxNetwork, descriptor: spandrel.ImageModelDescriptor) -> tuple[float, float]:
    """How far the export is from the network's exact output, and how far it may be: ``TOLERANCE`` beyond torch's own
    float32 error (on noise, a fine-tuned SPAN's float32 rounding alone reaches 3e-4: an export no worse than that
    plus the tolerance is rounding, not a wrong graph). "Exact" is a float64 run of the network; one that cannot run
    in float64 is compared with torch's float32 run. Two sizes unlike the export's example and each other."""
    import copy

    import torch

    exact = copy.deepcopy(descriptor.model)
    for module in exact.modules():
        module.__dict__.pop("forward", None)  # arch.span's fused-once forward closes over the float32 layers
    try:
        exact.double()
    except Exception:
        exact = None
    rng = np.random.default_rng(7)
    error, torch_error = 0.0, 0.0
    base = max(descriptor.size_requirements.minimum, 40)
    for h, w in ((base + 3, base + 11), (base + 17, base + 2)):
        tile = rng.random((h, w, descriptor.input_channels), dtype=np.float32)
        x = torch.from_numpy(tile.transpose(2, 0, 1).copy())[None]
        with torch.inference_mode():
            single = descriptor(x)[0].clamp(0, 1).numpy().transpose(1, 2, 0)
            try:
                want = exact(x.double())[0].clamp(0, 1).float().numpy().transpose(1, 2, 0) if exact else single
            except Exception:
                exact, want = None, single
        error = max(error, float(np.abs(net(tile) - want).max()))
        torch_error = max(torch_error, float(np.abs(single - want).max()))
    return error, TOLERANCE + torch_error


def speedup(net: OnnxNetwork, descriptor: spandrel.ImageModelDescriptor, size: int = 128) -> float:
    """Torch's time over ONNX Runtime's for one ``size`` x ``size`` pass on this machine, best of 3 after a warm-up.
    Below 1 (DCTLSA's), an export would only slow the CPU path."""
    import torch

    tile = np.random.default_rng(0).random((size, size, descriptor.input_channels), dtype=np.float32)
    x = torch.from_numpy(tile.transpose(2, 0, 1).copy())[None]

    def best(run) -> float:
        times = []
        for _ in range(4):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times[1:])

    with torch.inference_mode():
        return best(lambda: descriptor(x)) / best(lambda: net(tile))


def open_export(path: Path, weights_sha: str, scale: int,
                requirements: spandrel.SizeRequirements | None = None) -> OnnxNetwork | None:
    """The export at ``path`` if it exists, opens, and was made from these very weights; else None."""
    if not path.is_file():
        return None
    try:
        net = OnnxNetwork(path, scale, requirements)
    except Exception as exc:  # a damaged or foreign file: torch runs instead
        log.warning("ignoring ONNX export %s: %s", path.name, exc)
        return None
    meta = net.metadata()
    return net if meta.get("format") == FORMAT and meta.get("weights_sha256") == weights_sha else None


# ---------------------------------------------------------------- making an export


class ExportFailed(Exception):
    pass


def export(descriptor: spandrel.ImageModelDescriptor, dest: Path, weights_sha: str) -> OnnxNetwork:
    """Export the network with free height and width, check it against torch (else ``ExportFailed``), then write
    ``dest`` atomically. Tracing swaps the network's tensors, so ``descriptor`` must be one no request is using."""
    import onnx
    import torch

    req = descriptor.size_requirements
    m = max(1, req.multiple_of)
    h = -(-max(req.minimum, 48) // m) * m
    example = torch.rand(1, descriptor.input_channels, h, h if req.square else h + m)
    free = torch.export.Dim.AUTO
    network = descriptor.model.eval()
    with torch.no_grad():  # not inference_mode (spandrel's __call__ uses it): such tensors cannot be traced
        network(example)  # SPAN fuses its re-parameterised kernels on the first call: trace the fused network
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto = torch.onnx.export(
                network, (example,), input_names=["x"], output_names=["y"], dynamo=True, verbose=False,
                dynamic_shapes=({2: free, 3: free},), opset_version=OPSET, external_data=False,
            ).model_proto
        for key, value in (("format", FORMAT), ("weights_sha256", weights_sha)):
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, str(partial))
        net = OnnxNetwork(partial, descriptor.scale, descriptor.size_requirements)
        error, allowed = _differs(net, descriptor)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise ExportFailed(f"{type(exc).__name__}: {str(exc)[:300]}") from None
    if not error <= allowed:
        partial.unlink(missing_ok=True)
        raise ExportFailed(f"differs from the network's exact output by {error:.2e}, over {allowed:.2e}")
    os.replace(partial, dest)
    net.path = dest  # its sessions hold the graph in memory already: no second load
    return net


# ---------------------------------------------------------------- finding or scheduling one for a model


def find_export(descriptor: spandrel.ImageModelDescriptor, weights: Path, folder: Path, name: str,
                on_export: Callable[[OnnxNetwork], None]) -> OnnxNetwork | None:
    """A loaded network's export: the one next to its weights, or one made before in ``folder``. Else None, and it
    is exported there in the background, then handed to ``on_export`` (``name`` says whose it is in the log)."""
    if not available():
        return None
    sha = digest(weights)
    for path in (weights.with_suffix(".onnx"), folder / f"{sha}.onnx"):
        net = open_export(path, sha, descriptor.scale, descriptor.size_requirements)
        if net is not None:
            return net
    if not _paused and not _failed_note(folder, sha).exists():
        _EXPORTER.submit(name, weights, folder, sha, on_export)
    return None


def _failed_note(folder: Path, sha: str) -> Path:
    """Says an export of these weights failed with this exporter (a new ``FORMAT`` tries again)."""
    return folder / f"{sha}.{FORMAT}.failed"


class _Exporter:
    """One background thread making exports one at a time, so a burst of new models costs one core, not all."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, name: str, weights: Path, folder: Path, sha: str, on_export: Callable[[OnnxNetwork], None]) -> None:
        with self._lock:
            if sha in self._pending:
                return
            self._pending.add(sha)
            if self._thread is None or not self._thread.is_alive():
                if self._thread is None:
                    atexit.register(self.finish)
                self._thread = threading.Thread(target=self._work, name="srdemo-onnx-export", daemon=True)
                self._thread.start()
        self._queue.put((name, weights, folder, sha, on_export))

    def _work(self) -> None:
        while True:
            name, weights, folder, sha, on_export = self._queue.get()
            try:
                descriptor = load_descriptor(weights)
                net = export(descriptor, folder / f"{sha}.onnx", sha)
                gain = speedup(net, descriptor)
                if gain < 1:
                    net.path.unlink(missing_ok=True)
                    raise ExportFailed(f"equals torch, but ran at {gain:.2f}x its speed here")
                on_export(net)
            except ExportFailed as exc:
                log.info("%s runs on torch: its ONNX export did not work (%s)", name, exc)
                folder.mkdir(parents=True, exist_ok=True)
                _failed_note(folder, sha).write_text(f"{exc}\n")
            except Exception:
                log.exception("ONNX export of %s", name)
            finally:
                with self._lock:
                    self._pending.discard(sha)
                self._queue.task_done()

    def finish(self) -> None:
        """At interpreter exit: drop the exports not begun, and wait for the one running (a process ending
        inside torch's exporter or an ONNX Runtime session aborts)."""
        with suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
                self._queue.task_done()
        self._queue.join()


_EXPORTER = _Exporter()
wait_for_exports = _EXPORTER._queue.join  # until every submitted export has finished (tests and benchmarks)
_paused = 0


@contextmanager
def exports_paused() -> Iterator[None]:
    """No background export starts inside this (the command line: it would wait at exit for one it never uses)."""
    global _paused
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1


def uses_onnx(model, device: Device, backend: str) -> bool:
    """Whether a pass of a loaded ``model`` on ``device`` runs on ONNX Runtime (``backend`` 'auto') or torch."""
    return backend != "torch" and device.type == "cpu" and model.onnx is not None
