"""A whole supplier delivery at once: many files in, a zip of results and a report out.

Files are read through the same safe reader as training (folders, zips with
their sub-folders kept, traversal and zip bombs refused), processed one at a
time so memory stays flat, and written straight into the result zip. A file
that fails is a row in ``report.csv`` with its reason, never the end of the
batch. Under ``torchrun`` each process takes every n-th file and process 0
merges the reports, so a catalogue can be spread over several machines.
"""

from __future__ import annotations

import csv
import io
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import images, metrics, models
from .datasets import iter_files
from .engine import EngineOptions
from .errors import Cancelled, SrdemoError
from .metadata import MetadataPolicy
from .pipeline import upscale_picture
from .presets import Preset, check_against, get_preset, pad_to_canvas

REPORT_FIELDS = [
    "file", "status", "input size", "output size", "model", "seconds", "self-check gain (dB)",
    "colour difference (dE2000)", "warnings",
]
HEAVY_JPEG = 60  # estimated JPEG quality below which artefacts are "heavy"
COLOUR_LIMIT = 2.0  # mean CIEDE2000 above which colours visibly shifted


@dataclass(frozen=True)
class BatchOptions:
    model: str = "lanczos"
    scale: float = 4.0  # used when there is no preset
    preset: Preset | None = None
    fmt: str | None = None  # default: the preset's format, else PNG
    quality: int = 90
    metadata: MetadataPolicy = MetadataPolicy()
    check: bool = True

    @property
    def format(self) -> str:
        return (self.fmt or (self.preset.format if self.preset else "png")).lower()


@dataclass
class BatchResult:
    zip_path: Path
    rows: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Files that were meant to be processed and were not (skipped non-images are not counted)."""
        return sum(r["status"] in ("failed", "cancelled") for r in self.rows)


def _size(s: tuple[int, int]) -> str:
    return f"{s[0]}x{s[1]}"


def process_one(name: str, data: bytes, model: models.LoadedModel, options: BatchOptions,
                engine: EngineOptions | None = None, should_stop=None) -> tuple[bytes, dict]:
    """One file: decode, upscale (to the preset), fit, check, encode. Raises SrdemoError on failure."""
    start = time.perf_counter()
    pic = images.decode(data, PurePosixPath(name).name)
    warnings: list[str] = []
    if pic.jpeg_quality is not None and pic.jpeg_quality < HEAVY_JPEG:
        warnings.append(f"heavy JPEG artefacts (saved at quality ~{pic.jpeg_quality})")
    preset = options.preset
    if preset is not None:
        fitted, canvas = preset.target(pic.size)
        if fitted[0] <= pic.size[0] and fitted[1] <= pic.size[1]:
            warnings.append("already large enough")
        result = upscale_picture(model, pic, size=fitted, check=options.check, options=engine, should_stop=should_stop)
        out = pad_to_canvas(_as_saved(result.picture, options.format), canvas)
        warnings.extend(check_against(out, preset))
    else:
        result = upscale_picture(model, pic, options.scale, check=options.check, options=engine, should_stop=should_stop)
        out = _as_saved(result.picture, options.format)
        if out.alpha is not None:
            warnings.append("transparent background kept")
    colour = metrics.colour_difference(images.visible_rgb(pic), images.visible_rgb(result.picture))
    if colour > COLOUR_LIMIT:
        warnings.append(f"colours shifted (mean dE2000 {colour:.1f})")
    warnings.extend(pic.notes)
    encoded = images.encode(out, options.format, options.quality, options.metadata)
    gain = result.comparison.gain_db if result.comparison is not None else None
    row = {
        "file": name, "status": "ok", "input size": _size(pic.size), "output size": _size(out.size),
        "model": model.spec.id, "seconds": f"{time.perf_counter() - start:.2f}",
        "self-check gain (dB)": "" if gain is None else f"{gain:+.2f}",
        "colour difference (dE2000)": f"{colour:.2f}", "warnings": "; ".join(warnings),
    }
    return encoded, row


def _as_saved(pic: images.Picture, fmt: str) -> images.Picture:
    """JPEG cannot keep transparency: checks must see the white it will be put on."""
    return images.on_white(pic) if fmt == "jpeg" else pic


def output_path(name: str, fmt: str) -> str:
    ext = {"jpeg": ".jpg"}.get(fmt, f".{fmt}")
    return str(PurePosixPath(name).with_suffix(ext))


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
    options: BatchOptions,
    progress: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    token: str | None = None,
) -> BatchResult:
    """Process every image in ``sources``; returns the result zip and the report rows.

    ``progress(i, name)`` is called after each file. Cancelling keeps what is done.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rank, world = _rank_world()
    model = models.load(options.model, token=token)
    engine = EngineOptions.from_settings()
    skipped: list[tuple[str, str]] = []
    rows: list[dict] = []
    part = out_dir / (f"part-{rank}.zip" if world > 1 else "results.zip")
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
        for i, (name, data) in enumerate(iter_files([Path(s) for s in sources], skipped)):
            if i % world != rank:
                continue
            if should_stop is not None and should_stop():
                rows.append({"file": name, "status": "cancelled", "warnings": "the batch was cancelled before this file"})
                continue
            try:
                encoded, row = process_one(name, data, model, options, engine, should_stop)
                zf.writestr(output_path(name, options.format), encoded)
            except Cancelled:
                row = {"file": name, "status": "cancelled", "warnings": "the batch was cancelled during this file"}
            except SrdemoError as exc:
                row = {"file": name, "status": "failed", "warnings": str(exc)}
            rows.append(row)
            if progress is not None:
                progress(len(rows), name)
        if rank == 0:
            rows.extend({"file": n, "status": "skipped", "warnings": reason} for n, reason in skipped)
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
            raise SrdemoError(f"'{size}' is not a size. Write a longest side (1600) or width x height (1200x900).") from None
    return None
