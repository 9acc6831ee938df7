"""A 200-image batch: in the app with a single upscale asked for in the middle of it, or its throughput.

    python benchmarks/batch.py [--model ID] [--count 200] [--size 600]
    python benchmarks/batch.py --throughput [--workers 2] [--preset amazon-main] [--count 200] [--rounds 1]

``--throughput`` runs ``srdemo.run_batch`` in this process on the same zip with ``workers=1`` (one
file after another: the baseline) and with ``--workers``, alternating, and prints images per minute,
their ratio (target at least 1.2x) and the process's memory after image 20 and after the last one
of each run (target: last / first within 1.10). "cores busy" is the process's CPU time over the wall
time: one worker that already keeps 1.67 of 2 cores busy leaves room for 2 / 1.67 = 1.2x at most.

Without it:

Starts the app (``python app.py``) on a free port, sends a zip of rendered
600x600 product photos through the Batch API, records the app process's
memory after image 20 and after the last one, and times single 256x256
upscales through gradio_client while the batch runs. Targets: memory after
image 200 within 10% of memory after image 20; each single upscale < 5 s.
The subject is the built-in x4 model (``--model x4``, the default); any other
catalogue id works, e.g. ``--model local:span_ch28_x4.safetensors`` (../shared's
reference weights are the app's SRDEMO_MODEL_DIR here unless you set one).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil

from srdemo.caller import LOCAL

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "ref-weights"


def _delivery(work: Path, count: int, size: int) -> Path:
    from srdemo.synthetic import render_product

    zpath = work / "delivery.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for i in range(count):
            img = render_product(i, size)
            path = work / "p.png"
            img.save(path)
            zf.write(path, f"shelf{i % 10}/p{i:03d}.png")
    return zpath


def throughput(args: argparse.Namespace, work: Path) -> None:
    from srdemo import UpscaleRequest, get_preset, run_batch
    from srdemo.devices import cpu_name

    zpath = _delivery(work, args.count, args.size)
    request = UpscaleRequest(model=args.model, preset=get_preset(args.preset) if args.preset else None, caller=LOCAL)
    me = psutil.Process()
    results: dict[int, list[tuple[float, float, float]]] = {1: [], args.workers: []}
    for r in range(args.rounds):
        for workers in (1, args.workers) if r % 2 == 0 else (args.workers, 1):
            rss: dict[int, float] = {}

            def progress(i, _name, rss=rss):
                if i in (20, args.count):
                    rss[i] = me.memory_info().rss / 2**20

            start, cpu = time.perf_counter(), sum(me.cpu_times()[:2])
            result = run_batch([zpath], work / f"out-{r}-{workers}", request, progress=progress, workers=workers)
            seconds = time.perf_counter() - start
            busy = (sum(me.cpu_times()[:2]) - cpu) / seconds
            assert result.failed == 0, result.rows
            results[workers].append((args.count / seconds * 60, rss.get(20, float("nan")), rss[args.count], busy))
    print(f"batch of {args.count} images {args.size}x{args.size}, model {args.model}, preset {args.preset or 'none'}, "
          f"{args.rounds} round(s), best kept; CPU: {cpu_name()}")
    print("| workers | images/min | RSS after image 20 (MB) | RSS after last (MB) | last / first | cores busy |")
    print("|---|---|---|---|---|---|")
    best = {w: max(runs) for w, runs in results.items()}
    for w, (rate, first, last, busy) in best.items():
        print(f"| {w} | {rate:.1f} | {first:.0f} | {last:.0f} | {last / first:.3f} | {busy:.2f} |")
    ceiling = psutil.cpu_count() / best[1][3]
    print(f"\nthroughput {args.workers} workers / 1 worker: {best[args.workers][0] / best[1][0]:.2f}x (target at least 1.2x; "
          f"at most {ceiling:.2f}x if both keep every core busy at the same work per image)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="x4")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--preset", default="amazon-main")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="srdemo-bench-"))
    if args.throughput:
        os.environ.setdefault("SRDEMO_RUN_DIR", str(work / "runs"))
        return throughput(args, work)

    from gradio_client import Client, handle_file

    from srdemo.synthetic import render_product

    zpath = _delivery(work, args.count, args.size)
    render_product(9999, 256).save(work / "single.png")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "SRDEMO_MODEL_DIR": os.environ.get("SRDEMO_MODEL_DIR", str(SHARED)),
           "SRDEMO_RUN_DIR": str(work / "runs"), "SRDEMO_MAX_FILE_MB": "500"}
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                client = Client(url, verbose=False)
                break
            except Exception:
                time.sleep(0.5)
        proc = psutil.Process(app.pid)
        # warm the single-image path once so the first timing is not a model load
        client.predict(handle_file(str(work / "single.png")), args.model, 4, False, "", "", "", "", None, "png", 90,
                       "", "", api_name="/upscale")
        client.predict([handle_file(str(zpath))], "none", "", False, args.model, 4, "png", 90, False, False, "", api_name="/batch_start")
        rss_at: dict[int, float] = {}
        singles: list[float] = []
        start = time.time()
        while True:
            status = client.predict("", api_name="/batch_status")[0]
            done = int(status.split(":")[1].split("file")[0]) if status.startswith("Running") else args.count
            if done >= 20 and 20 not in rss_at:
                rss_at[20] = proc.memory_info().rss / 2**20
            if not status.startswith("Running"):
                rss_at[args.count] = proc.memory_info().rss / 2**20
                break
            if len(singles) < 5 and done >= 5 * (len(singles) + 1):
                t = time.perf_counter()
                client.predict(handle_file(str(work / "single.png")), args.model, 4, False, "", "", "", "", None, "png", 90,
                       "", "", api_name="/upscale")
                singles.append(time.perf_counter() - t)
            time.sleep(1)
        total = time.time() - start
    finally:
        app.terminate()
    print(f"batch of {args.count} images {args.size}x{args.size}, x4, model {args.model}: {total:.0f} s; {status}")
    print(f"{'measure':<44} {'value':>10} {'target':>12}")
    print(f"{'RSS after image 20 (MB)':<44} {rss_at.get(20, float('nan')):>10.0f}")
    print(f"{'RSS after image ' + str(args.count) + ' (MB)':<44} {rss_at[args.count]:>10.0f}")
    ratio = rss_at[args.count] / rss_at.get(20, float("nan"))
    print(f"{'ratio':<44} {ratio:>10.3f} {'<= 1.10':>12}")
    for i, s in enumerate(singles):
        print(f"{'single 256x256 x4 upscale during batch #' + str(i + 1) + ' (s)':<44} {s:>10.2f} {'< 5':>12}")


if __name__ == "__main__":
    main()
