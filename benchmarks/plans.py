"""Pass plans at scales beyond the model's: quality and model pixels, today's plan against the planner.

    python benchmarks/plans.py [MODEL] [--sets Set5 Set14 BSD100] [--scales 6 8]

For each set and scale, LR images are made from the HR images with the MATLAB-faithful bicubic
(the benchmark protocol at a scale the sets do not ship), then upscaled by MODEL (default: the
built-in x4) two ways:
- "repeat": native passes until the scale is reached or passed, then one Lanczos resize (the plan
  before engine.plan_passes);
- "planned": ``srdemo.engine.plan_passes`` (a pass, then Lanczos for a remainder up to 1.7x, or a
  shrink to target/native and one more pass).
It prints PSNR-Y (border = scale) for both, their difference, and the megapixels each plan made the
model compute, as measured in one run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from srdemo import metrics, models
from srdemo.caller import LOCAL
from srdemo.degradations import bicubic_downscale
from srdemo.engine import EngineOptions, model_pixels, plan_passes, run_model, upscale_array
from srdemo.evaluation import mod_crop
from srdemo.resampling import resample

BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks"


def repeat_plan(model, lr: np.ndarray, size: tuple[int, int], options: EngineOptions) -> tuple[np.ndarray, int]:
    """Native passes until at least the size, then Lanczos: what srdemo did before plan_passes."""
    current, pixels = lr, 0
    while current.shape[1] < size[0] or current.shape[0] < size[1]:
        current = run_model(model, current, options)
        pixels += current.shape[0] * current.shape[1]
    if (current.shape[1], current.shape[0]) != size:
        current = np.clip(resample(current, size, "lanczos"), 0, 1)
    return current, pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default="x4")
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14", "BSD100"])
    parser.add_argument("--scales", nargs="+", type=int, default=[6, 8])
    args = parser.parse_args()
    model = models.load(args.model, LOCAL)
    options = EngineOptions.from_settings()
    print(f"model {args.model} (x{model.scale}); PSNR-Y, border = scale")
    print(f"{'set':<8} {'scale':>5} {'repeat dB':>10} {'planned dB':>11} {'diff':>7} {'repeat MP':>10} {'planned MP':>11} "
          f"{'repeat s':>9} {'planned s':>10}")
    for name in args.sets:
        hr_dir = next(p for p in sorted((BENCH / name).glob("x*/HR")))
        for scale in args.scales:
            scores = {"repeat": [], "planned": []}
            pixels = {"repeat": 0, "planned": 0}
            seconds = {"repeat": 0.0, "planned": 0.0}
            for path in sorted(hr_dir.iterdir()):
                hr = mod_crop(np.asarray(Image.open(path).convert("RGB")), scale)
                lr = bicubic_downscale(hr, scale).astype(np.float32) / 255
                size = (hr.shape[1], hr.shape[0])
                for plan in ("repeat", "planned"):  # interleaved, so load drifts hit both alike
                    start = time.perf_counter()
                    if plan == "repeat":
                        sr, mp = repeat_plan(model, lr, size, options)
                    else:
                        sr = upscale_array(model, lr, size, options)
                        mp = model_pixels(plan_passes(model.scale, (lr.shape[1], lr.shape[0]), size))
                    seconds[plan] += time.perf_counter() - start
                    pixels[plan] += mp
                    scores[plan].append(metrics.psnr_y(sr * 255, hr, scale))
            a, b = float(np.mean(scores["repeat"])), float(np.mean(scores["planned"]))
            print(f"{name:<8} {scale:>5} {a:>10.4f} {b:>11.4f} {b - a:>+7.4f} {pixels['repeat'] / 1e6:>10.1f} "
                  f"{pixels['planned'] / 1e6:>11.1f} {seconds['repeat']:>9.1f} {seconds['planned']:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
