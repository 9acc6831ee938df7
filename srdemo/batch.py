"""A whole supplier delivery at once: many files in, a zip of results and a report out.

Files are read through the same safe reader as training (folders, zips with
their sub-folders kept, traversal and zip bombs refused), processed one at a
time per worker so memory stays flat, and written straight into the result zip. Each file
goes through the same request path as a single upscale
(``srdemo.request.upscale``). A file that fails is a row in ``report.csv``
with its reason, never the end of the batch. Under ``torchrun`` each process takes every n-th file and process 0
merges the reports, so a catalogue can be spread over several machines.

Two readers, two reports: ``report.csv`` keeps stable English column names and
status codes for programs (the merge above, spreadsheets' formulas, tests); the
table for people (:func:`people_table`: what happened and what to do first,
figures after, headers in words) is what the page shows, and it is also written as
``report-<lang>.csv`` when the batch was started in another language than English.
A batch's words (its warnings, that copy) are in the language it was started in.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import time
import zipfile
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import images, models
from .datasets import iter_files
from .errors import Cancelled, SrdemoError
from .presets import Preset, get_preset
from .request import UpscaleRequest, named_model, upscale
from .settings import get_settings
from .wording import DEFAULT_LANGUAGE, current_language, duration, speaking, text, time_left

logger = logging.getLogger(__name__)

REPORT_FIELDS = [
    "file", "status", "input size", "output size", "model", "seconds", "self-check gain (dB)",
    "colour difference (dE2000)", "warnings", "model reason",
]
"""``report.csv``'s columns: programs read them by name, so they never change with the wording."""

PEOPLE_COLUMNS = [
    ("batch_col_file", "file"), ("batch_col_result", "status"), ("batch_col_problem", "warnings"),
    ("batch_col_input_size", "input size"), ("batch_col_output_size", "output size"), ("batch_col_model", "model"),
    ("batch_col_model_reason", "model reason"),
    ("batch_col_seconds", "seconds"), ("batch_col_gain", "self-check gain (dB)"),
    ("batch_col_colour", "colour difference (dE2000)"),
]
"""The report for people: (header key, report field), what happened and what to do first, figures after."""

RESULT_WORDS = {"ok": "batch_result_done", "failed": "batch_result_failed", "skipped": "batch_result_skipped",
                "cancelled": "batch_result_cancelled"}
"""A report status code -> the key of its plain word."""


@dataclass(frozen=True)
class Summary:
    """A batch in numbers, for its status line; counted in one place so every adapter says the same."""

    total: int  # files in all (images or not): what "of 40" counts
    done: int = 0  # came out, with or without warnings
    failed: int = 0
    skipped: int = 0  # not images, or outside the archive: listed, not failures
    warned: int = 0  # done, with something to read in the report
    seconds: float | None = None  # taken so far (running) or in all; None when not known (found on disk)
    seconds_left: float | None = None  # at the pace so far; None before the first file and once it ended


def summarise(rows: list[dict], total: int = 0, seconds: float | None = None, running: bool = False) -> Summary:
    """Count a batch's rows; while ``running``, the time left is the seconds per finished file so far
    times the files not finished. Wall time over all files, so workers and skipped files are in the pace."""
    rows = list(rows)  # the batch thread may append while the page reads
    status = Counter(r.get("status") for r in rows)
    total = max(total, len(rows))
    left = seconds / len(rows) * (total - len(rows)) if running and seconds is not None and 0 < len(rows) < total else None
    return Summary(
        total=total, done=status["ok"], failed=status["failed"], skipped=status["skipped"],
        warned=sum(r.get("status") == "ok" and bool(r.get("warnings")) for r in rows),
        seconds=seconds, seconds_left=left,
    )


@dataclass
class Tally:
    """A batch as it runs: its rows so far, how many files in all, its clock. ``run_batch`` keeps it up
    to date, so another thread (the page's status poll) can say where the batch is and how long is left."""

    total: int = 0
    rows: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # set when the batch ends

    def summary(self, now: float | None = None) -> Summary:
        if self.seconds is not None:
            return summarise(self.rows, self.total, self.seconds)
        return summarise(self.rows, self.total, (time.monotonic() if now is None else now) - self.started, running=True)


@dataclass
class BatchResult:
    zip_path: Path
    rows: list[dict] = field(default_factory=list)
    seconds: float | None = None  # wall time of the whole batch

    @property
    def failed(self) -> int:
        """Files that were meant to be processed and failed (cancelled and skipped files are not failures)."""
        return sum(r["status"] == "failed" for r in self.rows)

    def summary(self) -> Summary:
        return summarise(self.rows, seconds=self.seconds)


def status_line(summary: Summary, state: str) -> str:
    """The batch's status in one line of words. ``state``: running, finished, cancelled, or earlier
    (a finished batch found on disk, whose time is not known)."""
    if state == "running" and summary.total == 0:
        return text("batch_line_counting")
    counts = text("batch_counts_skipped" if summary.skipped else "batch_counts", done=summary.done,
                  total=summary.total, failed=summary.failed, skipped=summary.skipped, warned=summary.warned)
    if state == "earlier" or summary.seconds is None:
        return text("batch_line_earlier", counts=counts)
    elapsed = duration(summary.seconds)
    if state == "running":
        if summary.seconds_left is None:
            return text("batch_line_started", counts=counts, elapsed=elapsed)
        return text("batch_line_running", counts=counts, elapsed=elapsed, left=time_left(summary.seconds_left))
    return text("batch_line_cancelled" if state == "cancelled" else "batch_line_finished", counts=counts, elapsed=elapsed)


def people_table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(headers, cells) of the report as people read it, in the current language: the page's table and
    ``report-<lang>.csv``. Statuses become plain words; the problem column holds the reason a file
    failed or was skipped, or its warnings, each saying what to do."""
    headers = [text(key) for key, _ in PEOPLE_COLUMNS]
    cells = [
        [text(RESULT_WORDS[r[f]]) if f == "status" and r.get(f) in RESULT_WORDS else r.get(f, "") for _, f in PEOPLE_COLUMNS]
        for r in rows
    ]
    return headers, cells


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
        "model reason": done.choice or "",
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


def _csv(header: list[str], cells: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(cells)
    return buf.getvalue()


def reports(rows: list[dict]) -> dict[str, bytes]:
    """The batch's report files by name: ``report.csv`` (stable English columns, UTF-8) and, when the
    batch speaks another language, ``report-<lang>.csv`` for people, in UTF-8 with a byte-order mark:
    without it, spreadsheet programs read Chinese as mojibake."""
    rows = sorted(rows, key=lambda r: r["file"])
    out = {"report.csv": _machine_report(rows)}
    if (lang := current_language()) != DEFAULT_LANGUAGE:
        out[f"report-{lang}.csv"] = _csv(*people_table(rows)).encode("utf-8-sig")
    return out


def _machine_report(rows: list[dict]) -> bytes:
    return _csv(REPORT_FIELDS, [[r.get(f, "") for f in REPORT_FIELDS] for r in rows]).encode("utf-8")


def write_report(rows: list[dict], path: Path) -> None:
    """``report.csv`` alone (a torchrun rank's part, merged by rank 0 before anything is read by people)."""
    path.write_bytes(_machine_report(sorted(rows, key=lambda r: r["file"])))


def read_report(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_batch(
    sources: list[Path],
    out_dir: Path,
    request: UpscaleRequest,
    progress: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    tally: Tally | None = None,
) -> BatchResult:
    """Process every image in ``sources`` with the same request; returns the result zip and the report rows.

    ``workers`` files are in progress at once (``SRDEMO_BATCH_WORKERS``; 1 = one after another), so
    one file's decoding, checks and encoding overlap another's model pass. ``progress(i, name)`` is
    called after each file, in input order. A ``tally`` given by the caller is kept up to date as files
    finish (another thread may read it for the status line). Cancelling keeps what is done.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rank, world = _rank_world()
    named = named_model(request)  # a bad model fails the batch at once (Automatic chooses per file)
    if named is not None:
        models.load(named, request.caller)
    workers = max(1, workers or get_settings().batch_workers)
    in_flight = workers + 1 if workers > 1 else 1  # side by side, one file read ahead; else strictly one at a time
    fmt = request.output_format
    sources = [Path(s) for s in sources]
    tally = tally if tally is not None else Tally()
    tally.total = sum(i % world == rank for i, _ in enumerate(iter_files(sources, read=False)))  # names only: cheap
    tally.started = time.monotonic()
    rows = tally.rows
    reserved: set[str] = set()
    part = out_dir / (f"part-{rank}.zip" if world > 1 else "results.zip")

    def finish(job) -> None:
        entry, name, future = job
        rows.append(_store(entry, name, fmt, *future.result(), zf))
        if progress is not None:
            progress(len(rows), entry.name)

    in_batch_language = speaking(_process_entry)  # each file's words in the batch's language, on any worker
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf, ThreadPoolExecutor(workers) as pool:
        running: deque = deque()
        try:
            for i, entry in enumerate(iter_files(sources)):
                if i % world != rank:
                    continue
                name = output_path(entry.name, fmt, reserved)  # in input order, whichever file finishes first
                reserved.add(name)
                running.append((entry, name, pool.submit(in_batch_language, entry, request, should_stop)))
                while len(running) >= in_flight:
                    finish(running.popleft())
            while running:
                finish(running.popleft())
        except Exception:  # a bug must not cost the user what is done: the report and zip are still written
            logger.exception("batch stopped by an unexpected error")
            for job in running:
                job[2].cancel()
            rows.append({"file": "", "status": "failed", "warnings": text("batch_unexpected_stop")})
    result = _finish(part, rows, out_dir) if world == 1 else _merge_ranks(part, rows, out_dir, rank, world)
    result.seconds = tally.seconds = time.monotonic() - tally.started
    return result


def _finish(zip_path: Path, rows: list[dict], out_dir: Path) -> BatchResult:
    with zipfile.ZipFile(zip_path, "a") as zf:
        for name, data in reports(rows).items():
            zf.writestr(name, data)
            (out_dir / name).write_bytes(data)
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
