"""How long srdemo takes to start: the command line, the package, the app, against another checkout.

    python benchmarks/startup.py [--baseline /tmp/base-9ceeae8] [--rounds 5]

Each row is a fresh process, timed from its start with this machine's ``time.perf_counter``:

- ``srdemo --help``: ``python -m srdemo --help``;
- ``upscale 500 px x4``: ``python -m srdemo upscale PHOTO --scale 4`` on a real photo (the first of
  ``../shared/data/train/grocery_store_photos``, else ``examples/grocery_oatly_oatghurt.jpg``) resized to
  500 px on its long side, so Automatic picks the built-in it would pick for a visitor;
- ``import srdemo``: ``python -c "import srdemo"``;
- ``app: page``, ``app: first answer``: ``python app.py`` on a free port (``GRADIO_SERVER_PORT``), until ``/``
  answers HTTP 200, then until a first ``/gradio_api`` call (``owner_key``, the call every page makes
  when it opens) has answered.

Both trees run with this same Python, each with its own checkout as the working directory, so each
imports its own ``srdemo`` (``-m`` and ``app.py`` put the working directory first on ``sys.path``).
Rounds alternate the trees (current, baseline, current, ...) so a load that comes and goes hits both;
the table gives each median and baseline / current. On a busy machine a command's wall time is mostly its
wait for a core, so the three commands' CPU time (user + system, ``cpu`` rows) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent.parent
PHOTOS = HERE.parent / "shared" / "data" / "train" / "grocery_store_photos"
FALLBACK = HERE / "examples" / "grocery_oatly_oatghurt.jpg"


def photo(folder: Path) -> Path:
    """A real product photo, 500 px on its long side, as a JPEG in ``folder``."""
    found = sorted(PHOTOS.rglob("*.jpg")) if PHOTOS.is_dir() else []
    img = Image.open(found[0] if found else FALLBACK).convert("RGB")
    k = 500 / max(img.size)
    path = folder / "photo_500.jpg"
    img.resize((round(img.width * k), round(img.height * k)), Image.Resampling.LANCZOS).save(path, quality=95)
    return path


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds of the command, and the CPU seconds it used."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} in {cwd} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> bytes | None:
    """The body of a 200 answer, or None while the server is not up yet."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}), timeout=60) as answer:
            return answer.read() if answer.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def app_times(tree: Path, env: dict[str, str], limit: float = 300) -> tuple[float, float]:
    """Seconds from ``python app.py`` to a 200 from ``/``, and to the answer of a first ``/gradio_api`` call."""
    port = free_port()
    env = {**env, "GRADIO_SERVER_PORT": str(port), "SRDEMO_MCP": "0"}
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=tree, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while _get(base + "/") is None:
            if server.poll() is not None or time.perf_counter() - start > limit:
                raise SystemExit(f"app.py in {tree} did not serve / (exit status {server.poll()})")
            time.sleep(0.05)
        page = time.perf_counter() - start
        call = _get(base + "/gradio_api/call/owner_key", json.dumps({"data": [""]}).encode())
        event = json.loads(call)["event_id"]
        stream = _get(f"{base}/gradio_api/call/owner_key/{event}")
        if stream is None or b"event: complete" not in stream:
            raise SystemExit(f"the first /gradio_api call in {tree} did not complete: {stream!r}")
        return page, time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(30)


def one_round(tree: Path, picture: Path, out: Path, env: dict[str, str]) -> dict[str, float]:
    py = sys.executable
    commands = {
        "srdemo --help": [py, "-m", "srdemo", "--help"],
        "upscale 500 px x4": [py, "-m", "srdemo", "upscale", str(picture), "--scale", "4", "--out", str(out)],
        "import srdemo": [py, "-c", "import srdemo"],
    }
    times = {}
    for row, args in commands.items():
        times[row], times[f"{row}, cpu"] = timed(args, tree, env)
    times["app: page"], times["app: first answer"] = app_times(tree, env)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to time the same way")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = {"current": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        picture = photo(Path(tmp))
        for k in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(one_round(tree, picture, Path(tmp) / f"out-{name}", env))
                print(f"round {k + 1}/{args.rounds} {name}: "
                      + ", ".join(f"{row} {s:.2f}" for row, s in runs[name][-1].items()), file=sys.stderr, flush=True)
    rows = list(runs["current"][0])
    median = {name: {row: statistics.median(r[row] for r in rounds) for row in rows} for name, rounds in runs.items()}
    print(f"\nmedian of {args.rounds} rounds, seconds ({sys.executable})")
    head = f"| {'':<22} | {'current':>8} |" + (f" {'baseline':>8} | {'baseline / current':>18} |" if args.baseline else "")
    print(head)
    print("|" + "|".join("-" * (len(cell) + 0) for cell in head.split("|")[1:-1]) + "|")
    for row in rows:
        line = f"| {row:<22} | {median['current'][row]:>8.2f} |"
        if args.baseline:
            line += f" {median['baseline'][row]:>8.2f} | {median['baseline'][row] / median['current'][row]:>17.1f}x |"
        print(line)


if __name__ == "__main__":
    main()
