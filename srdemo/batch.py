"""A whole supplier delivery at once: many files in, a zip of results with ``report.csv`` and ``report.html`` out.

Each file goes through the single-upscale path; one that fails is a report row with its reason, never the end of
the batch. Under ``torchrun`` each process takes every n-th file. A batch outlives its process: each result is kept
as it finishes (:data:`STATE`), so an interrupted batch is found (:func:`on_disk`), downloaded and resumed.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import logging
import os
import shutil
import time
import uuid
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import datasets, images, models, report, workspace
from .datasets import Entry
from .errors import Cancelled, SrdemoError
from .report import RESULT_WORDS
from .request import UpscaleRequest, named_model, upscale
from .settings import get_settings
from .wording import DEFAULT_LANGUAGE, current_language, duration, language, model_label, speaking, text, time_left

logger = logging.getLogger(__name__)

REPORT_FIELDS = ["file", "status", "input size", "output size", "model", "seconds", "self-check gain (dB)",
                 "colour difference (dE2000)", "warnings", "model reason"]
"""``report.csv``'s columns: programs read them by name, so they never change with the wording."""

PEOPLE_COLUMNS = [
    ("batch_col_file", "file"), ("batch_col_result", "status"), ("batch_col_problem", "warnings"),
    ("batch_col_input_size", "input size"), ("batch_col_output_size", "output size"), ("batch_col_model", "model"),
    ("batch_col_model_reason", "model reason"), ("batch_col_seconds", "seconds"),
    ("batch_col_gain", "self-check gain (dB)"), ("batch_col_colour", "colour difference (dE2000)"),
]
"""The report for people: (header key, report field), what happened and what to do first, figures after."""


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


def summarise(rows: list[dict], total: int = 0, seconds: float | None = None, running: bool = False,
              earlier: int = 0) -> Summary:
    """Count a batch's rows; while ``running``, the time left is the wall time per file finished in this run
    times the files not finished (the ``earlier`` rows, kept from before a resume, took none of it)."""
    rows = list(rows)  # the batch thread may append while the page reads
    status = Counter(r.get("status") for r in rows)
    total = max(total, len(rows))
    now = len(rows) - earlier
    left = seconds / now * (total - len(rows)) if running and seconds is not None and now > 0 and len(rows) < total else None
    return Summary(
        total=total, done=status["ok"], failed=status["failed"], skipped=status["skipped"],
        warned=sum(r.get("status") == "ok" and bool(r.get("warnings")) for r in rows),
        seconds=seconds, seconds_left=left,
    )


@dataclass
class Tally:
    """A batch as it runs, kept up to date by ``run_batch`` so another thread (the page's poll) can tell where it is."""

    total: int = 0
    rows: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # set when the batch ends
    earlier: int = 0  # rows a resumed batch kept from before: not in this run's pace

    def summary(self, now: float | None = None) -> Summary:
        if self.seconds is not None:
            return summarise(self.rows, self.total, self.seconds)
        return summarise(self.rows, self.total, (time.monotonic() if now is None else now) - self.started, running=True,
                         earlier=self.earlier)


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


def counts(summary: Summary) -> str:
    """'118 of 120 done (2 failed, 3 with warnings)': the status line's count and the headline of the page in the zip."""
    return text("batch_counts_skipped" if summary.skipped else "batch_counts", done=summary.done,
                total=summary.total, failed=summary.failed, skipped=summary.skipped, warned=summary.warned)


def status_line(summary: Summary, state: str) -> str:
    """The batch's status in words. ``state``: running, finished, cancelled, or earlier (found on disk, time not known)."""
    if state == "running" and summary.total == 0:
        return text("batch_line_counting")
    words = counts(summary)
    if state == "earlier" or summary.seconds is None:
        return text("batch_line_earlier", counts=words)
    elapsed = duration(summary.seconds)
    if state == "running":
        if summary.seconds_left is None:
            return text("batch_line_started", counts=words, elapsed=elapsed)
        return text("batch_line_running", counts=words, elapsed=elapsed, left=time_left(summary.seconds_left))
    return text("batch_line_cancelled" if state == "cancelled" else "batch_line_finished", counts=words, elapsed=elapsed)


def people_table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(headers, cells) of the report as people read it, in the current language: statuses in plain words,
    the problem column the reason a file failed or was skipped, or its warnings."""
    headers = [text(key) for key, _ in PEOPLE_COLUMNS]
    cells = [
        [text(RESULT_WORDS[r[f]]) if f == "status" and r.get(f) in RESULT_WORDS else r.get(f, "") for _, f in PEOPLE_COLUMNS]
        for r in rows
    ]
    return headers, cells


def process_one(name: str, data: bytes, request: UpscaleRequest, should_stop=None,
                previews: list[bytes] | None = None) -> tuple[bytes, dict]:
    """One file through the shared request path: its result and report row (``report.csv``'s fields, and the page's
    verdict, model name and warning list); the page's before and after JPEGs are added to ``previews``."""
    start = time.perf_counter()
    done = upscale(data, request, name=PurePosixPath(name).name, should_stop=should_stop)
    comparison = done.result.comparison
    (w, h), (ow, oh) = done.result.in_size, done.picture.size
    row = {
        "file": name, "status": "ok", "input size": f"{w}x{h}", "output size": f"{ow}x{oh}",
        "model": done.model.id, "seconds": f"{time.perf_counter() - start:.2f}",
        "self-check gain (dB)": "" if comparison is None else f"{comparison.gain_db:+.2f}",
        "colour difference (dE2000)": f"{done.colour_difference:.2f}", "warnings": "; ".join(done.warnings + done.notes),
        "model reason": done.choice or "",
        "verdict": done.verdict, "model label": model_label(done.model.id, done.model.label),
        "warning list": done.warnings + done.notes,
    }
    if previews is not None:
        try:
            previews += report.preview_pair(done.before, images.visible_rgb(done.result.picture))
        except Exception:  # the page shows this file without pictures; the file itself is done
            logger.exception("no previews for one batch file")
    return done.data, row


def output_path(name: str, fmt: str, taken: set[str] = frozenset()) -> str:
    """Where a file's result goes in the zip: the same folders and name, the format's extension; a name
    already ``taken`` (by 'a.png' when 'a.jpg' too becomes 'a.jpg') gets ' (2)', ' (3)'..."""
    return images.unique_name(str(PurePosixPath(name).with_suffix("." + images.output_format(fmt).extension)), taken.__contains__)


def _process_entry(entry, request: UpscaleRequest, should_stop) -> tuple[bytes | None, dict, list[bytes]]:
    """One file of the batch to its result, report row and previews; whatever happens to it, the batch goes on."""

    def unfinished(status: str, why: str) -> tuple[None, dict, list[bytes]]:
        return None, {"file": entry.name, "status": status, "warnings": why}, []

    if entry.skip is not None:
        return unfinished("skipped", entry.skip)
    if should_stop is not None and should_stop():
        return unfinished("cancelled", text("batch_cancelled_before"))
    if entry.problem is not None:
        return unfinished("failed", entry.problem)
    previews: list[bytes] = []
    try:
        return (*process_one(entry.name, entry.data, request, should_stop, previews=previews), previews)
    except Cancelled:
        return unfinished("cancelled", text("batch_cancelled_during"))
    except SrdemoError as exc:
        return unfinished("failed", str(exc))
    except Exception:  # a bug in one file's path: this file fails, the batch goes on
        logger.exception("unexpected error on one batch file")
        return unfinished("failed", text("batch_unexpected_file"))


def _csv(header: list[str], cells: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *cells])
    return buf.getvalue().encode(encoding)


def _by_file(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r["file"])


def _machine_report(rows: list[dict]) -> bytes:
    return _csv(REPORT_FIELDS, [[r.get(f, "") for f in REPORT_FIELDS] for r in _by_file(rows)])


def reports(rows: list[dict]) -> dict[str, bytes]:
    """The batch's report files by name: ``report.csv`` and, when the batch speaks another language than English,
    ``report-<lang>.csv`` for people, with a byte-order mark (without it, spreadsheets read Chinese as mojibake)."""
    out = {"report.csv": _machine_report(rows)}
    if (lang := current_language()) != DEFAULT_LANGUAGE:
        out[f"report-{lang}.csv"] = _csv(*people_table(_by_file(rows)), encoding="utf-8-sig")
    return out


def read_report(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ---- what a batch keeps on disk, so that it outlives its process

STATE = ".srdemo-batch"
"""A batch's own record, in its output folder: ``batch.json`` (its settings, inputs, language, total and state),
``rows-<rank>.jsonl`` (a line per finished file), ``files/`` and ``previews/`` (its results and their small
before and after, until they are in the zip) and the lock its process holds while it runs."""


@contextlib.contextmanager
def _part(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, renamed to it once written: a file cut short by a crash is never under its name."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    with _part(path) as tmp:
        tmp.write_bytes(data)


def _read_manifest(state: Path) -> dict | None:
    try:
        return json.loads((state / "batch.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_manifest(state: Path, manifest: dict) -> None:
    _write_atomic(state / "batch.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))


@contextlib.contextmanager
def _running(state: Path, rank: int) -> Iterator[None]:
    """Hold the batch's lock while it runs: the kernel frees it however the process ends, so a free lock means interrupted."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / f"running-{rank}.lock", "a") as fh:
        for _ in range(20):  # a status check holds it for an instant: wait that out
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:
            raise SrdemoError(text("err_batch_running"))
        yield


def _is_running(state: Path) -> bool:
    """Whether a process, this one or another, is running the batch now."""
    for lock in state.glob("running-*.lock"):
        with open(lock, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _records(state: Path) -> list[dict]:
    """The files the batch finished, in input order. A cancelled file, a line cut short by a crash, or a result
    whose file is not there does not count: that file is done again."""
    found: dict[str, dict] = {}
    for log in sorted(state.glob("rows-*.jsonl")):
        for line in log.read_bytes().splitlines():
            try:
                record = json.loads(line)
                status, stored = record["row"]["status"], record["stored"]
                kept = status in ("ok", "failed", "skipped") and (
                    status != "ok" or (PurePosixPath(stored).name == stored and (state / "files" / stored).is_file()))
            except (ValueError, KeyError, TypeError):
                continue
            if kept:
                found[record["row"]["file"]] = record
    return sorted(found.values(), key=lambda r: r["index"])


def _keep(state: Path, log, index: int, entry: Entry, name: str, fmt: str, encoded: bytes | None, row: dict,
          previews: list[bytes]) -> dict:
    """A finished file on disk: its result under ``files/`` and its previews under ``previews/`` (each whole
    or not at all), then its line in the log, in one write. A crash before the line: that file is done again."""
    stored, shown = None, False
    if encoded is not None:
        stored = f"{index:06d}{PurePosixPath(name).suffix}"  # not the file's own name: any name, any case, any depth
        _write_atomic(state / "files" / stored, encoded)
        notes = entry.notes + ([text("note_output_renamed", name=name)] if name != output_path(entry.name, fmt) else [])
        row["warnings"] = "; ".join(w for w in [row["warnings"], *notes] if w)
        row["warning list"] = [*row.get("warning list", []), *notes]
        if previews:
            (state / "previews").mkdir(exist_ok=True)
            for side, data in zip(("before", "after"), previews):
                _write_atomic(state / "previews" / f"{index:06d}.{side}.jpg", data)
            shown = True
    record = {"index": index, "output": name if stored else None, "stored": stored, "previews": shown, "row": row}
    log.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return record


def _previews(record: dict, state: Path) -> tuple[str, str, Path, Path] | None:
    """A finished file's previews: their names in the zip and their files, when both are there."""
    if record.get("output") is None or not record.get("previews"):
        return None
    files = [state / "previews" / f"{record['index']:06d}.{side}.jpg" for side in ("before", "after")]
    return (*report.preview_names(record["output"]), *files) if all(f.is_file() for f in files) else None


def _page(rows: list[dict], records: list[dict], state: Path, total: int = 0) -> bytes:
    """``report.html``: every row, with the previews and facts (left out of ``report.csv``) its record keeps."""
    by_file = {r["row"]["file"]: r for r in records}
    photos, notices = [], []
    if total > len(rows):
        notices.append(text("report_partial", done=len(rows), total=total))
    for row in _by_file(rows):
        if not row["file"]:  # the batch stopped on a bug: a line for the whole batch, not a photo
            notices.append(report.sentence(row.get("warnings", "")))
            continue
        record = by_file.get(row["file"], {"row": row})
        previews = _previews(record, state)
        stored = record.get("stored")
        photos.append(report.Photo(
            record["row"], record.get("output"),
            (state / "files" / stored).stat().st_size if stored and (state / "files" / stored).is_file() else None,
            *(previews[:2] if previews else (None, None)),
        ))
    return report.page(photos, counts(summarise(rows, total)), notices).encode("utf-8")


def _write_zip(target: Path, rows: list[dict], records: list[dict], state: Path, total: int = 0) -> dict[str, bytes]:
    """The finished results, their previews, the reports and the page in one zip; returns the reports."""
    made = reports(rows)
    with _part(target) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        for record in records:
            if record["stored"] is not None:
                zf.write(state / "files" / record["stored"], record["output"])
            if (previews := _previews(record, state)) is not None:
                zf.write(previews[2], previews[0])
                zf.write(previews[3], previews[1])
        for name, data in {**made, "report.html": _page(rows, records, state, total)}.items():
            zf.writestr(name, data)
    return made


def _portable(source: Path, out_dir: Path) -> str:
    """A source as the record keeps it: relative when in the batch's folder (its uploads), so the folder can move whole."""
    source, home = source.resolve(), out_dir.resolve()
    return os.path.relpath(source, home) if source.is_relative_to(home.parent) else str(source)


def run_batch(
    sources: list[Path],
    out_dir: Path,
    request: UpscaleRequest,
    progress: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    tally: Tally | None = None,
    settings: dict | None = None,
    resume: bool = False,
) -> BatchResult:
    """Every image in ``sources`` through ``request``, ``workers`` at once (one file's decoding overlaps another's
    model pass); ``progress(i, name)`` after each, in input order. Cancelling keeps what is done. Kept in ``out_dir``
    as it goes, with ``settings`` (the page's form); ``resume`` keeps what an earlier run there finished."""
    out_dir = Path(out_dir)
    state = out_dir / STATE
    (state / "files").mkdir(parents=True, exist_ok=True)
    world = max(1, int(os.environ.get("WORLD_SIZE", "1")))
    rank = int(os.environ.get("RANK", "0")) if world > 1 else 0
    named = named_model(request)  # a bad model fails the batch at once (Automatic chooses per file)
    if named is not None:
        models.load(named, request.caller)
    workers = max(1, workers or get_settings().batch_workers)
    in_flight = workers + 1 if workers > 1 else 1  # side by side, one file read ahead; else strictly one at a time
    fmt = request.output_format
    sources = [Path(s) for s in sources]
    tally = tally if tally is not None else Tally()
    with _running(state, rank):
        total = sum(1 for _ in datasets.iter_files(sources, read=False))  # names only: cheap
        tally.total = sum(i % world == rank for i in range(total))
        tally.started = time.monotonic()
        earlier = {r["row"]["file"]: r for r in _records(state)} if resume else {}
        log = state / f"rows-{rank}.jsonl"
        if rank == 0:
            before = (_read_manifest(state) if resume else None) or {}
            if not before:
                for stale in ("results.zip", "report.csv"):
                    (out_dir / stale).unlink(missing_ok=True)
            for part in [*out_dir.glob(".*.part"), *(state / "files").glob(".*.part"),
                         *(state / "previews").glob(".*.part")] if world == 1 else []:
                part.unlink(missing_ok=True)  # left by a process that died while writing
            _write_manifest(state, {
                "state": "running", "started": before.get("started", time.time()), "total": total,
                "language": current_language(), "settings": settings or {}, "sources": [_portable(s, out_dir) for s in sources],
            })
        rows, records, reserved = tally.rows, [], set()

        def finish(job) -> None:
            index, entry, name, future, kept = job
            if kept is not None:
                tally.earlier += 1
            record = kept or _keep(state, log_file, index, entry, name, fmt, *future.result())
            records.append(record)
            rows.append(record["row"])
            if progress is not None:
                progress(len(rows), entry.name)

        in_batch_language = speaking(_process_entry)  # each file's words in the batch's language, on any worker
        with open(log, "ab" if resume else "wb", buffering=0) as log_file, ThreadPoolExecutor(workers) as pool:
            if log_file.tell() and not log.read_bytes().endswith(b"\n"):
                log_file.write(b"\n")  # not glued to a line a crash cut short
            running: deque = deque()
            try:
                for i, entry in enumerate(datasets.iter_files(sources)):
                    name = output_path(entry.name, fmt, reserved)  # every file's, in input order: the same names
                    reserved.add(name)  # in every process and on a resume, whichever file finishes first
                    if i % world != rank:
                        continue
                    kept = earlier.get(entry.name)
                    future = None if kept else pool.submit(in_batch_language, entry, request, should_stop)
                    running.append((i, entry, name, future, kept))
                    while len(running) >= in_flight:
                        finish(running.popleft())
                while running:
                    finish(running.popleft())
            except Exception:  # a bug must not cost the user what is done: the report and zip are still written
                logger.exception("batch stopped by an unexpected error")
                for job in running:
                    if job[3] is not None:
                        job[3].cancel()
                rows.append({"file": "", "status": "failed", "warnings": text("batch_unexpected_stop")})
        result = _finish(out_dir, rows, records) if world == 1 else _merge_ranks(out_dir, rows, rank, world)
    result.seconds = tally.seconds = time.monotonic() - tally.started
    return result


def _finish(out_dir: Path, rows: list[dict], records: list[dict]) -> BatchResult:
    """The zip, the reports beside it, and the batch marked finished; its loose results, now in the zip, are removed."""
    state = out_dir / STATE
    for name, data in _write_zip(out_dir / "results.zip", rows, records, state).items():
        (out_dir / name).write_bytes(data)
    gallery = {r["row"]["file"]: [*shown[:2], r["row"].get("verdict", "")]  # what the tab shows once files/ is gone
               for r in records if (shown := _previews(r, state)) is not None}
    _write_manifest(state, {**(_read_manifest(state) or {}), "state": "finished", "gallery": gallery})
    shutil.rmtree(state / "files", ignore_errors=True)
    shutil.rmtree(state / "previews", ignore_errors=True)
    for leftover in [*state.glob("rows-*.jsonl"), *out_dir.glob("finished-*.zip")]:
        leftover.unlink(missing_ok=True)
    return BatchResult(out_dir / "results.zip", _by_file(rows))


def _merge_ranks(out_dir: Path, rows: list[dict], rank: int, world: int) -> BatchResult:
    """Each process wrote its share into the same folder; process 0 joins them once all are done (a gloo barrier)."""
    import torch.distributed as dist

    (out_dir / f"report-{rank}.csv").write_bytes(_machine_report(rows))
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    dist.barrier()
    if rank != 0:
        return BatchResult(out_dir / "results.zip", rows)
    merged = [row for r in range(world) for row in read_report(out_dir / f"report-{r}.csv")]
    return _finish(out_dir, merged, _records(out_dir / STATE))


@dataclass(frozen=True)
class Stored:
    """A batch found on disk that no process is running: finished, or interrupted because its process died."""

    out_dir: Path
    finished: bool
    rows: list[dict]  # finished: its report; interrupted: the files it finished
    total: int
    settings: dict = field(default_factory=dict)  # what run_batch was given to keep (the page's form)
    sources: list[Path] = field(default_factory=list)
    language: str = DEFAULT_LANGUAGE
    records: list[dict] = field(default_factory=list, repr=False)

    @property
    def resumable(self) -> bool:
        """Interrupted, with its inputs still there (uploads are deleted after the retention time)."""
        return not self.finished and bool(self.sources) and all(s.exists() for s in self.sources)

    def line(self) -> str:
        """Where the batch is, in one line of words."""
        if self.finished:
            return status_line(summarise(self.rows, self.total), "earlier")
        return text("batch_line_interrupted" if self.resumable else "batch_line_interrupted_expired",
                    done=len(self.rows), total=self.total)


def found_in(out_dir: Path) -> Stored | None:
    """The batch in ``out_dir`` as it was left; None while a process runs it, or when there is none."""
    state = out_dir / STATE
    if _is_running(state):
        return None
    manifest = _read_manifest(state) or {"state": "finished"}  # a batch from before records were kept: finished or none
    kept = dict(settings=manifest.get("settings") or {}, language=manifest.get("language", DEFAULT_LANGUAGE),
                sources=[Path(os.path.normpath(out_dir / s)) for s in manifest.get("sources", [])])
    if manifest.get("state") == "finished":
        report_csv = out_dir / "report.csv"
        done = report_csv.exists() and (out_dir / "results.zip").exists()
        return Stored(out_dir, True, read_report(report_csv), 0, **kept) if done else None
    records = _records(state)
    return Stored(out_dir, False, [r["row"] for r in records], int(manifest.get("total", 0)), records=records, **kept)


def _started(out_dir: Path) -> float:
    manifest = _read_manifest(out_dir / STATE)
    return manifest["started"] if manifest and "started" in manifest else out_dir.stat().st_mtime


def on_disk(owner: str) -> Stored | None:
    """The owner's newest batch on disk that no process runs, finished or interrupted (jobs live in memory only)."""
    for out_dir in sorted(workspace.batches_dir(owner).glob("*/output"), key=_started, reverse=True):
        if (found := found_in(out_dir)) is not None:
            return found
    return None


def interrupted(owner: str) -> Stored | None:
    """The owner's newest batch on disk, when its process died before it finished."""
    found = on_disk(owner)
    return found if found is not None and not found.finished else None


def finished_zip(found: Stored) -> Path:
    """What to download of a batch found on disk: its zip once finished; for an interrupted one, a zip of
    the files it finished with their report, built once per count (``finished-26-of-120.zip``)."""
    if found.finished:
        return found.out_dir / "results.zip"
    target = found.out_dir / f"finished-{len(found.rows)}-of-{found.total}.zip"
    if not target.exists():
        for old in [*found.out_dir.glob("finished-*.zip"), *found.out_dir.glob(".*.part")]:
            old.unlink(missing_ok=True)  # an older count, or a zip its dead process left half-written
        with language(found.language):
            _write_zip(target, found.rows, found.records, found.out_dir / STATE, found.total)
    return target


def resume(
    found: Stored,
    request: UpscaleRequest,
    progress: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    tally: Tally | None = None,
) -> BatchResult:
    """Go on with an interrupted batch: the files it finished stay, the others are done with ``request`` (made
    from ``found.settings`` for whoever asks now), in the batch's own language."""
    if found.finished:
        raise ValueError("only an interrupted batch can be resumed")
    if not found.resumable:
        raise SrdemoError(text("err_batch_uploads_gone"))
    with language(found.language):
        return run_batch(found.sources, found.out_dir, request, progress, should_stop, workers, tally,
                         settings=found.settings, resume=True)


# ---- the batch as the Batch tab shows it: a picture per finished file, each problem in full


@dataclass(frozen=True)
class Shown:
    """A finished file as the tab's gallery shows it: its name and verdict, its small before and after."""

    file: str
    caption: str
    before: Path
    after: Path


def problem_lines(rows: list[dict]) -> list[str]:
    """Every problem of a batch as a full sentence after the file's name: failed, skipped and cancelled files,
    and each warning of a done one; one line each."""
    lines = []
    for row in rows:
        if not row.get("file"):  # the batch stopped on a bug: a line for the whole batch
            lines.append(report.sentence(row.get("warnings", "")))
        elif row.get("status") != "ok":
            lines.append(text("labelled", label=row["file"], words=report.problem_sentence(row)))
        else:
            lines += [text("labelled", label=row["file"], words=report.sentence(w)) for w in report.warning_list(row)]
    return lines


def at_a_glance(out_dir: Path | None, rows: list[dict], into: Path) -> tuple[list[Shown], list[str]]:
    """A batch, running, interrupted or finished, as the tab shows it: a gallery item per finished file with
    previews (copied into ``into`` once), in the rows' order; and its :func:`problem_lines`."""
    rows = list(rows)  # the batch thread may append while the page reads
    lines = problem_lines(rows)
    if out_dir is None:
        return [], lines
    state = Path(out_dir) / STATE
    manifest = _read_manifest(state) or {}
    finished = manifest.get("state") == "finished"
    if finished:  # the previews are in the zip: file -> (verdict, their names there)
        sources = {file: (verdict, (before, after)) for file, (before, after, verdict) in manifest.get("gallery", {}).items()}
    else:  # in the batch's record
        sources = {r["row"]["file"]: (r["row"].get("verdict", ""), shown[2:]) for r in _records(state)
                   if (shown := _previews(r, state)) is not None}
    shown: list[Shown] = []
    with zipfile.ZipFile(Path(out_dir) / "results.zip") if finished else contextlib.nullcontext() as archive:
        for row in rows:
            file = row.get("file")
            if row.get("status") != "ok" or file not in sources:
                continue
            verdict, where = sources[file]
            stem = hashlib.sha256(file.encode("utf-8")).hexdigest()[:20]
            pictures = into / f"{stem}.before.jpg", into / f"{stem}.after.jpg"
            if not all(p.is_file() for p in pictures):
                try:
                    pair = [archive.read(w) if finished else w.read_bytes() for w in where]
                except (OSError, KeyError):
                    continue  # a preview gone (the batch moved on): shown on a later look, or not at all
                into.mkdir(parents=True, exist_ok=True)
                for path, data in zip(pictures, pair):
                    _write_atomic(path, data)
            caption = text("labelled", label=file, words=verdict) if verdict else file
            shown.append(Shown(file, caption, *pictures))
    return shown, lines
