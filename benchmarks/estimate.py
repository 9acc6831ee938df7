"""Estimates against actual times: 20 mixed jobs, each estimated just before it runs, after the warm-up the
app does at start (``speed.warm_up``) and one real job per model.

    python benchmarks/estimate.py [--jobs 20] [--seed 0] [--again]

Jobs mix the built-in models, photo sizes (48 to 600 px) and scales (x1.5 to x8, presets'
non-integer ones included). Each job's estimate (``speed.plan``, as admission makes it) is taken
right before it runs through ``srdemo.upscale``; the actual is the upscale's time the result reports
(its model passes and resizes, ``UpscaleResult.seconds``).
Prints a row per job, then how many actuals fell inside their range and the median error of the
range's midpoint. Targets: every actual inside, median error within 25%. ``--again`` runs each job a
second time right after the first and prints how far the two times of the very same job lie apart:
the machine's own noise, which no range narrower than it can always hold.
"""

from __future__ import annotations

import argparse
import io
import statistics

import numpy as np

from srdemo import models, speed
from srdemo.caller import LOCAL
from srdemo.images import decode
from srdemo.pipeline import model_box
from srdemo.request import UpscaleRequest, upscale
from srdemo.speed import SPREAD
from srdemo.synthetic import render_product


def _photo(size: int, seed: int) -> bytes:
    buf = io.BytesIO()
    render_product(seed, size).save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--again", action="store_true", help="run each job twice and print the spread")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    ids = [s.id for s in models.builtin_specs()]
    speed.warm_up()  # as the app does at start
    for model_id in ids:  # and one real job per model, as after the app's first runs
        upscale(_photo(96, 1), UpscaleRequest(model=model_id, scale=4, check=False, caller=LOCAL), name="warm.png")
    print(f"{'job':>3} {'model':<11} {'in':>9} {'scale':>6} {'low s':>7} {'high s':>7} {'actual s':>9} {'inside':>6}"
          + (f" {'again s':>8} {'spread':>6}" if args.again else ""))
    inside, errors, spreads = 0, [], []
    for k in range(args.jobs):
        model_id = str(rng.choice(ids))
        side = int(rng.integers(48, 601))
        scale = float(rng.choice([1.5, 2, 2.5, 3, 4, 4.5, 6, 6.5, 8]))
        if side * scale > 2400:
            scale = max(1.5, round(2400 / side * 2) / 2)
        request = UpscaleRequest(model=model_id, scale=scale, check=False, caller=LOCAL)
        photo = _photo(side, 100 + k)
        model = models.load(model_id, LOCAL)
        box = model_box(decode(photo))  # what the request path leaves out: the photo's white margins
        low, high = speed.plan(model, (side, side), (round(side * scale), round(side * scale)), box=box).seconds
        done = upscale(photo, request, name=f"job{k}.png")
        actual = done.result.seconds
        ok = low <= actual <= high
        inside += ok
        errors.append(abs((low * high) ** 0.5 - actual) / actual)
        row = f"{k:>3} {model_id:<11} {side:>4}x{side:<4} {scale:>6g} {low:>7.3f} {high:>7.3f} {actual:>9.3f} {'yes' if ok else 'NO':>6}"
        if args.again:
            again = upscale(photo, request, name=f"job{k}.png").result.seconds
            spreads.append(max(actual, again) / min(actual, again))
            row += f" {again:>8.3f} {spreads[-1]:>6.2f}"
        print(row, flush=True)
    print(f"\ninside the range: {inside}/{args.jobs}; median error of the midpoint: {statistics.median(errors):.0%}")
    if spreads:
        wide = sum(s > SPREAD**2 for s in spreads)
        print(f"the same job twice: median spread {statistics.median(spreads):.2f}x, largest {max(spreads):.2f}x; "
              f"{wide} of {len(spreads)} further apart than a range's high / low ({SPREAD**2:.2f})")


if __name__ == "__main__":
    main()
