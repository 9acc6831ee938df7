"""The GPU check: precision chosen, tile picked, throughput against the GPU's FP16 limit.

    python benchmarks/gpu.py [--sizes 512 1024] [--repeat 3] [--device cuda]

For the built-in models and every ``../shared/ref-weights/*.safetensors``: the precision srdemo
picks on this device (``devices.pick_dtype``), the tile it picks (``engine.tile_for``), the time of
a whole pass at each input size (best of ``--repeat``, after a warm-up), output megapixels per
second, the model's FLOPs per output pixel (torch's FlopCounterMode on a 64x64 input) and the share
of the GPU's dense FP16 tensor-core peak that reaches. It also checks that the half-precision
result matches float32 within 2/255 on a photo-like input. ``--device cpu`` dry-runs the script
(small sizes make it quick); the figures that matter come from a GPU.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.devices import pick_device, pick_dtype
from srdemo.engine import EngineOptions, run_model, tile_for
from srdemo.synthetic import render_product

REF = Path(__file__).resolve().parents[2] / "shared" / "ref-weights"
# Dense FP16 tensor-core peaks, TFLOP/s, from NVIDIA's datasheets (without sparsity).
FP16_PEAK = {"H200": 989.4, "H100": 989.4, "A100": 312.0, "L40S": 362.1, "L4": 121.0, "A10G": 125.0, "A10": 125.0,
             "T4": 65.0, "RTX 4090": 165.2, "RTX 3090": 71.0}


def _peak(name: str) -> float | None:
    return next((v for k, v in FP16_PEAK.items() if k in name), None)


def _flops_per_output_pixel(model) -> float:
    x = torch.rand(1, 3, 64, 64)
    net = model.descriptor.model.float().cpu()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        net(x)
    return counter.get_total_flops() / (64 * 64 * model.scale**2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1024])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(str(device)) if device.type == "cuda" else device.type
    peak = _peak(name) if device.type == "cuda" else None
    print(f"device: {name}; FP16 dense peak: {f'{peak:.0f} TFLOP/s' if peak else 'unknown'}; torch {torch.__version__}")
    refs = [s.id for s in models.builtin_specs()] + [str(p) for p in sorted(REF.glob("*.safetensors"))]
    photo = np.asarray(render_product(3, max(args.sizes)).convert("RGB"), dtype=np.float32) / 255
    print(f"{'model':<28} {'dtype':<9} {'tile':>5} {'in px':>6} {'s':>7} {'out MP/s':>9} {'GFLOP/MP':>9} {'of peak':>8} "
          f"{'|half-fp32|':>11}")
    for ref in refs:
        model = models.load(ref, LOCAL)
        options = EngineOptions(device=str(device))
        dtype = pick_dtype(model.descriptor, device, "auto")
        flops = _flops_per_output_pixel(model)
        label = Path(ref).stem[:28]
        for size in args.sizes:
            img = photo[:size, :size]
            run_model(model, img[:64, :64], options)  # warm-up (and the device's kernels)
            best = float("inf")
            for _ in range(args.repeat):
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                out = run_model(model, img, options)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - start)
            fp32 = run_model(model, img, EngineOptions(device=str(device), precision="fp32"))
            diff = float(np.abs(out - fp32).max()) * 255
            mp = out.shape[0] * out.shape[1] / 1e6
            share = f"{flops * mp * 1e6 / best / (peak * 1e12):.1%}" if peak else "-"
            print(f"{label:<28} {str(dtype).removeprefix('torch.'):<9} {tile_for(model, options):>5} {size:>6} {best:>7.3f} "
                  f"{mp / best:>9.2f} {flops / 1e3:>9.1f} {share:>8} {diff:>11.2f}", flush=True)


if __name__ == "__main__":
    main()
