"""Training benchmarks: a 5-minute fine-tune on held-out grocery photos, and upscaling while training runs.

    python benchmarks/training.py [--model x4] [--minutes 5] [--skip-concurrency]

1. Fine-tune MODEL for ``--minutes`` on the CPU with 20 of the 40 held-out grocery
   store photos (data/holdout_grocery_store_photos.txt) and validate on the other 20:
   validation PSNR before and after, and bicubic's.
2. Start the app, time a 256x256 x4 upscale through gradio_client while idle and while
   a training job runs in the app (target: within 3x the idle time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROCERY = ROOT.parent / "shared" / "data" / "train" / "grocery_store_photos"


def fine_tune(model: str, minutes: float) -> None:
    from srdemo.training import TrainConfig, train

    names = (ROOT / "data" / "holdout_grocery_store_photos.txt").read_text().split()
    work = Path(tempfile.mkdtemp(prefix="srdemo-ft-"))
    for name in names:
        (work / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(GROCERY / name, work / "data" / name)
    config = TrainConfig(
        data=(str(work / "data"),), out=str(work / "run"), scale=4, steps=100_000, init=model, batch=8, patch=96,
        lr=1e-4, val_files=tuple(names[1::2]), val_every=100, checkpoint_every=100, val_crop=256,
    )
    deadline = time.time() + minutes * 60
    last = {}
    train(config, progress=lambda p: last.update(step=p.step, history=p.history), should_stop=lambda: time.time() > deadline)
    h = last["history"]
    print(f"fine-tune of {model} for {minutes:g} min on 20 held-out grocery photos, validated on the other 20:")
    print(f"{'':<28} {'PSNR-Y (dB)':>12} {'SSIM-Y':>8}")
    print(f"{'bicubic':<28} {h.bicubic[0]:>12.2f} {h.bicubic[1]:>8.4f}")
    print(f"{'before (step 0)':<28} {h.base[0]:>12.2f} {h.base[1]:>8.4f}")
    step, psnr, ssim = max(h.val, key=lambda v: v[1]) if h.val else (0, float("nan"), float("nan"))
    print(f"{f'after (best, step {step})':<28} {psnr:>12.2f} {ssim:>8.4f}")
    print(f"steps done: {last['step']}")


def concurrency(model: str) -> None:
    from gradio_client import Client, handle_file

    from srdemo.synthetic import render_product

    work = Path(tempfile.mkdtemp(prefix="srdemo-cc-"))
    render_product(1, 256).save(work / "p.png")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "SRDEMO_RUN_DIR": str(work / "runs")}
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                client = Client(f"http://127.0.0.1:{port}", verbose=False)
                break
            except Exception:
                time.sleep(0.5)

        def once() -> float:
            t = time.perf_counter()
            client.predict(handle_file(str(work / "p.png")), model, 4, False, "", "", "", "", None, "png", 90, "bench", "",
                           api_name="/upscale")
            return time.perf_counter() - t

        once()
        idle = min(once() for _ in range(3))
        client.predict([], True, model, 4, "bicubic", "long", 2e-4, 8, 96, 0, "bench", api_name="/train_start")
        while not client.predict("bench", api_name="/train_status")[0].startswith("Training: step"):
            time.sleep(1)
        busy = [once() for _ in range(3)]
        client.predict("bench", api_name="/train_stop")
    finally:
        app.terminate()
    print(f"256x256 x4 upscale through gradio_client with {model}:")
    print(f"{'idle (best of 3)':<36} {idle:>8.2f} s")
    for i, b in enumerate(busy):
        print(f"{f'during training #{i + 1}':<36} {b:>8.2f} s  ratio {b / idle:.2f} (target <= 3)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="x4")
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--skip-concurrency", action="store_true")
    parser.add_argument("--skip-finetune", action="store_true")
    args = parser.parse_args()
    if not args.skip_finetune:
        fine_tune(args.model, args.minutes)
    if not args.skip_concurrency:
        concurrency(args.model)


if __name__ == "__main__":
    main()
