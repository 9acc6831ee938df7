"""A whole supplier delivery at once: many files in, a zip of results and a report out.

Files are read through the same safe reader as training (folders, zips with
their sub-folders kept, traversal and zip bombs refused), processed one at a
time per worker so memory stays flat, and written straight into the result zip. Each file
goes through the same request path as a single upscale
(``srdemo.request.upscale``). A file that fails is a row in ``report.csv``
with its reason, never the end of the batch. Under ``torchrun`` each process takes every n-th file and process 0
merges the reports, so a catalogue can be spread over several machines.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import time
import zipfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import images, models
from .datasets import iter_files
from .errors import Cancelled, SrdemoError
from .presets import Preset, get_preset
from .request import UpscaleRequest, upscale
from .settings import get_settings
from .wording import text

logger = logging.getLogger(__name__)

REPORT_FIELDS = [
    "file", "status", "input size", "output size", "model", "seconds", "self-check gain (dB)",
    "colour difference (dE2000)", "warnings",
]


@dataclass
class BatchResult:
    zip_path: Path
    rows: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Files that were meant to be processed and failed (cancelled and skipped files are not failures)."""
        return sum(r["status"] == "failed" for r in self.rows)

    @property
    def cancelled(self) -> int:
        return sum(r["status"] == "cancelled" for r in self.rows)


def _size(s: tuple[int, int]) -> str:
    return f"{s[0]}x{s[1]}"


def process_one(name: str, data: bytes, request: UpscaleRequest, should_stop=None) -> tuple[bytes, dict]:
    """One file through the shared request path; its report row. Raises SrdemoError on failure."""
    start = time.perf_counter()
    done = upscale(data, request, name=PurePosixPath(name).name, should_stop=should_stop)
    comparison = done.result.comparison
    row = {
        "file": name, "status": "ok", "input size": _size(done.result.in_size), "output size": _size(done.picture.size),
        "model": done.model.id, "seconds": f"{time.perf_counter() - start:.2f}",
        "self-check gain (dB)": "" if comparison is None else f"{comparison.gain_db:+.2f}",
        "colour difference (dE2000)": f"{done.colour_difference:.2f}", "warnings": "; ".join(done.warnings + done.notes),
    }
    return done.data, row


def output_path(name: str, fmt: str, taken: set[str] = frozenset()) -> str:
    """Where a file's result goes in the zip: the same folders and name, the format's extension.

    'a.png' and 'a.jpg' both become 'a.jpg' as JPEG: a name already ``taken`` gets ' (2)', ' (3)'...
    """
    return images.unique_name(str(PurePosixPath(name).with_suffix("." + images.EXTENSIONS[fmt])), taken.__contains__)


def _process_entry(entry, request: UpscaleRequest, should_stop) -> tuple[dict, bytes | None]:
    """One file of the batch to its report row and result; whatever happens to it, the batch goes on."""
    if entry.skip is not None:
        return {"file": entry.name, "status": "skipped", "warnings": entry.skip}, None
    if should_stop is not None and should_stop():
        return {"file": entry.name, "status": "cancelled", "warnings": text("batch_cancelled_before")}, None
    if entry.problem is not None:
        return {"file": entry.name, "status": "failed", "warnings": entry.problem}, None
    try:
        encoded, row = process_one(entry.name, entry.data, request, should_stop)
        return row, encoded
    except Cancelled:
        return {"file": entry.name, "status": "cancelled", "warnings": text("batch_cancelled_during")}, None
    except SrdemoError as exc:
        return {"file": entry.name, "status": "failed", "warnings": str(exc)}, None
    except Exception:  # a bug in one file's path: this file fails, the batch goes on
        logger.exception("unexpected error on one batch file")
        return {"file": entry.name, "status": "failed", "warnings": text("batch_unexpected_file")}, None


def _store(entry, name: str, fmt: str, row: dict, encoded: bytes | None, zf: zipfile.ZipFile) -> dict:
    """Write a finished file into the zip under the name reserved for it, and say so if it was renamed."""
    if encoded is None:
        return row
    zf.writestr(name, encoded)
    notes = entry.notes + ([text("note_output_renamed", name=name)] if name != output_path(entry.name, fmt) else [])
    row["warnings"] = "; ".join(w for w in [row["warnings"], *notes] if w)
    return row


def _rank_world() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return (int(os.environ.get("RANK", "0")), world) if world > 1 else (0, 1)


def write_report(rows: list[dict], path: Path | io.StringIO) -> None:
    rows = sorted(rows, key=lambda r: r["file"])
    handle = open(path, "w", newline="") if isinstance(path, Path) else path
    try:
        writer = csv.DictWriter(handle, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    finally:
        if isinstance(path, Path):
            handle.close()


def read_report(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def run_batch(
    sources: list[Path],
    out_dir: Path,
    request: UpscaleRequest,
    progress: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Process every image in ``sources`` with the same request; returns the result zip and the report rows.

    ``workers`` files are in progress at once (``SRDEMO_BATCH_WORKERS``; 1 = one after another), so
    one file's decoding, checks and encoding overlap another's model pass. ``progress(i, name)`` is
    called after each file, in input order. Cancelling keeps what is done.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rank, world = _rank_world()
    models.load(request.model or models.default_model(request.scale or 4).id, request.caller)  # a bad model fails the batch at once
    workers = max(1, workers or get_settings().batch_workers)
    in_flight = workers + 1 if workers > 1 else 1  # side by side, one file read ahead; else strictly one at a time
    fmt = request.output_format
    rows: list[dict] = []
    reserved: set[str] = set()
    part = out_dir / (f"part-{rank}.zip" if world > 1 else "results.zip")

    def finish(job) -> None:
        entry, name, future = job
        rows.append(_store(entry, name, fmt, *future.result(), zf))
        if progress is not None:
            progress(len(rows), entry.name)

    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf, ThreadPoolExecutor(workers) as pool:
        running: deque = deque()
        try:
            for i, entry in enumerate(iter_files([Path(s) for s in sources])):
                if i % world != rank:
                    continue
                name = output_path(entry.name, fmt, reserved)  # in input order, whichever file finishes first
                reserved.add(name)
                running.append((entry, name, pool.submit(_process_entry, entry, request, should_stop)))
                while len(running) >= in_flight:
                    finish(running.popleft())
            while running:
                finish(running.popleft())
        except Exception:  # a bug must not cost the user what is done: the report and zip are still written
            logger.exception("batch stopped by an unexpected error")
            for job in running:
                job[2].cancel()
            rows.append({"file": "", "status": "failed", "warnings": text("batch_unexpected_stop")})
    if world == 1:
        return _finish(part, rows, out_dir)
    return _merge_ranks(part, rows, out_dir, rank, world)


def _finish(zip_path: Path, rows: list[dict], out_dir: Path) -> BatchResult:
    buf = io.StringIO()
    write_report(rows, buf)
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr("report.csv", buf.getvalue())
    write_report(rows, out_dir / "report.csv")
    return BatchResult(zip_path, sorted(rows, key=lambda r: r["file"]))


def _merge_ranks(part: Path, rows: list[dict], out_dir: Path, rank: int, world: int) -> BatchResult:
    """Each process wrote its share; process 0 joins them once all are done (a gloo barrier)."""
    import torch.distributed as dist

    write_report(rows, out_dir / f"report-{rank}.csv")
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    dist.barrier()
    if rank != 0:
        return BatchResult(part, rows)
    merged: list[dict] = []
    final = out_dir / "results.zip"
    with zipfile.ZipFile(final, "w", compression=zipfile.ZIP_STORED) as out:
        for r in range(world):
            merged.extend(read_report(out_dir / f"report-{r}.csv"))
            with zipfile.ZipFile(out_dir / f"part-{r}.zip") as zf:
                for item in zf.namelist():
                    out.writestr(item, zf.read(item))
    return _finish(final, merged, out_dir)


def parse_preset(preset: str | None, size: str | None = None, square: bool = False) -> Preset | None:
    """``--preset NAME`` or a custom ``--size 1600`` / ``--size 1200x900``."""
    from .presets import custom_preset

    if preset and preset != "custom":
        return get_preset(preset)
    if size:
        try:
            if "x" in size.lower():
                w, h = (int(v) for v in size.lower().split("x"))
                return custom_preset(exact=(w, h), square=square)
            return custom_preset(longest_side=int(size), square=square)
        except ValueError:
            raise SrdemoError(text("err_size", size=size)) from None
    return None
