"""ONNX Runtime against torch for the built-in models: one untiled pass each, same input, interleaved.

    python benchmarks/backends.py [--sizes 256 500] [--repeat 3]

For each built-in and input size: the best of ``--repeat`` runs of the model's ONNX Runtime network
(``LoadedModel.onnx``, every core) and of spandrel's torch descriptor, their ratio, and the largest
difference between the two outputs (the export is used only within 1e-4 of torch). Prints the CPU.

Figures behind ``srdemo/backends.py``'s choices, as measured when they were made (2-core AMD EPYC and Xeon
cloud CPUs, late 2026): ONNX Runtime ran the built-in x4 1.4-1.9x faster than torch at 500x500, equal to
about 6e-6, and the built-in SPAN models 1.0-2.5x faster at 128 px, but DCTLSA x4 at 0.72x (so exports slower
than torch are dropped). One memory pool for every session: an ``x2`` and an ``x4`` pass of 700 px and a
1-thread ``x2`` pass left 2.2 GB peak RSS with a pool each (each first pass 170,000-185,000 page faults,
0.2-2 s of system time), 0.8 GB with one shared pool; a pass on a pool already large enough faulted 63-925
pages (0.3-4 MB). Faulted in, ``x2`` and ``x4`` both needed about 1,500 bytes per input pixel at 700 px, where
the torch count said 1,188 and 2,340. Memory patterns on: 40 passes of 300-520 px grew the process 23% (off:
4%). Spinning between operators: a pass alone 10-30% faster at 128-256 px; stopping it after a pass took a
two-worker batch from 74 to 96 images/min. Exporting DCTLSA x4 took 77 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.devices import cpu_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU: {cpu_name()} ({torch.get_num_threads()} threads)")
    print("| model | input | ONNX Runtime s | torch s | torch / ORT | largest difference |")
    print("|---|---|---|---|---|---|")
    for spec in models.builtin_specs():
        model = models.load(spec.id, LOCAL)
        if model.onnx is None:
            print(f"| {spec.id} | - | no export | | | |")
            continue
        for size in args.sizes:
            img = np.random.default_rng(size).random((size, size, 3), dtype=np.float32)
            x = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
            ort_out = model.onnx(img)  # warm both
            with torch.inference_mode():
                torch_out = model.descriptor(x)[0].numpy().transpose(1, 2, 0)
            best = {"onnx": float("inf"), "torch": float("inf")}
            for _ in range(args.repeat):
                start = time.perf_counter()
                model.onnx(img)
                best["onnx"] = min(best["onnx"], time.perf_counter() - start)
                with torch.inference_mode():
                    start = time.perf_counter()
                    model.descriptor(x)
                    best["torch"] = min(best["torch"], time.perf_counter() - start)
            gap = float(np.abs(ort_out - torch_out).max())
            print(f"| {spec.id} | {size}x{size} | {best['onnx']:.3f} | {best['torch']:.3f} | "
                  f"{best['torch'] / best['onnx']:.2f} | {gap:.1e} |")
    # Threads left spinning after a pass would take the cores from the job's own resizing and encoding.
    model = models.load("x4", LOCAL)
    idle = []
    for seed in range(3):
        model.onnx(np.random.default_rng(seed).random((96, 96, 3), dtype=np.float32), threads=torch.get_num_threads())
        cpu = time.process_time()
        time.sleep(0.2)
        idle.append(time.process_time() - cpu)
    print(f"\nCPU the process used in the 0.2 s after an x4 pass (least of 3): {min(idle) * 1000:.1f} ms (spinning: ~50)")


if __name__ == "__main__":
    main()
