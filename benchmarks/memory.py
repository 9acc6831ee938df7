"""Peak memory of a big job: a 2000x2000 input upscaled x4 on the CPU (64 MP out).

    python benchmarks/memory.py [MODEL ...]

Each model runs in a fresh process so its peak RSS is its own. Target: < 3 GB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "ref-weights"

CHILD = """
import resource, sys, time
import numpy as np
from srdemo import models
from srdemo.caller import LOCAL
from srdemo.images import Picture
from srdemo.pipeline import upscale_picture
model = models.load(sys.argv[1], LOCAL)
rgb = np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
rgb[:, :600] = 255  # a white background band, as product shots have
start = time.perf_counter()
res = upscale_picture(model, Picture(rgb), 4, check=False)
secs = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{res.out_size[0]}x{res.out_size[1]} {secs:.1f} {peak:.0f}")
"""


def main() -> None:
    refs = sys.argv[1:] or [str(SHARED / "dctlsa_x4.safetensors")]
    print(f"{'model':<28} {'output':>11} {'seconds':>8} {'peak RSS MB':>12} {'< 3 GB':>7}")
    for ref in refs:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, ref], capture_output=True, text=True,
            env={"SRDEMO_MAX_CPU_SECONDS": "100000", **__import__("os").environ},
        )
        if proc.returncode != 0:
            print(f"{Path(ref).name[:28]:<28} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        size, secs, peak = proc.stdout.split()
        print(f"{Path(ref).name[:28]:<28} {size:>11} {float(secs):>8.1f} {float(peak):>12.0f} {'yes' if float(peak) < 3072 else 'NO':>7}")


if __name__ == "__main__":
    main()
