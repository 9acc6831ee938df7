"""Speed and overhead of srdemo's upscale path against a bare spandrel forward.

    python benchmarks/speed.py [MODEL ...] [--size 256] [--repeat 5]

For each model: ms per image and output megapixels per second through
``srdemo.pipeline.upscale_pixels`` (the path the app and CLI use), the same for
a bare ``descriptor(tensor)`` call on the same input, their ratio (target
<= 1.10 for untiled sizes), its speed relative to the first model, and the
process's peak RSS (once: the models share the process). Prints the CPU model.

The models are timed in interleaved rounds (every model once per round, best
round kept), so a slow spell on a shared machine hits all of them alike and
the "vs first" column compares like with like.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import torch

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.devices import cpu_name, pick_device
from srdemo.engine import EngineOptions
from srdemo.images import Picture
from srdemo.pipeline import upscale_pixels

SHARED = Path(__file__).resolve().parents[2] / "shared" / "ref-weights"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(refs: list[str], size: int, repeat: int) -> dict[str, tuple[float, float, float]]:
    """Best-of-``repeat`` seconds through srdemo's path and a bare forward, and output MP, per neural model.

    Interleaved rounds (every model once per round, round 0 a warm-up), so a slow spell on a shared
    machine hits all of them alike. Keyed by the reference as given (a file by its name).
    """
    device = torch.device(str(pick_device()))
    rgb = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    pic = Picture(rgb)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1) / 255)[None].to(device)
    options = EngineOptions(tile=max(size, 256))
    runs = {}  # name -> (srdemo call, bare call, output megapixels)
    for ref in refs:
        model = models.load(ref, LOCAL)
        if not model.is_neural:
            continue
        out = (size * model.scale, size * model.scale)
        name = Path(ref).name if Path(ref).exists() else ref
        runs[name] = (
            lambda m=model, sz=out: upscale_pixels(m, pic, sz, options),
            lambda m=model: m.descriptor(x),
            out[0] * out[1] / 1e6,
        )
    best = {name: [float("inf"), float("inf")] for name in runs}
    for round_ in range(repeat + 1):
        for name, (ours, bare, _) in runs.items():
            times = timed(ours), timed(bare)
            if round_:
                best[name] = [min(b, t) for b, t in zip(best[name], times)]
    return {name: (*best[name], mp) for name, (_, _, mp) in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    refs = args.models or [str(p) for p in (SHARED / "span_ch28_x4.safetensors", SHARED / "dctlsa_x4.safetensors") if p.exists()]
    print(f"CPU: {cpu_name()}, torch threads: {torch.get_num_threads()}, device: {pick_device()}, input {args.size}x{args.size}")
    header = f"{'model':<28} {'srdemo ms':>10} {'bare ms':>9} {'overhead':>9} {'out MP/s':>9} {'vs first':>9}"
    print(header)
    print("-" * len(header))
    first = None
    for name, (ours, bare, mp) in measure(refs, args.size, args.repeat).items():
        first = first or mp / ours
        print(
            f"{name[:28]:<28} {ours * 1e3:>10.1f} {bare * 1e3:>9.1f} {ours / bare:>9.3f} "
            f"{mp / ours:>9.2f} {mp / ours / first:>9.3f}"
        )
    print(f"peak RSS of the process (all models loaded): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
