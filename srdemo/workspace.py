"""Per-owner folders on the server: batches, training runs, their uploads, and how long uploads are kept.

Each owner (a signed-in user, a browser, a session) gets one folder under the run directory, named by a
digest of the owner key so owners cannot guess or reach each other's. Everything written for someone goes below it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from .errors import SrdemoError
from .images import unique_name
from .settings import get_settings
from .wording import text

SCRATCH_SECONDS = 3600
"""How long a request's files stay in scratch; Gradio copies what it serves into its own cache, so an hour is plenty."""


def owner_dir(owner: str) -> Path:
    """The owner's folder: ``<run dir>/owners/<digest>``."""
    return get_settings().run_dir / "owners" / hashlib.sha256(owner.encode()).hexdigest()[:20]


def shared_dir(name: str) -> Path:
    """A folder every owner reads (the rendered example set, exports of public models), never written with anyone's data."""
    return get_settings().run_dir / name


def new_run_dir(owner: str) -> Path:
    """A fresh training run folder (not created): ``run-<date>-<time>-<random>``, sorted by start time."""
    return owner_dir(owner) / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def run_dirs(owner: str) -> list[Path]:
    """The owner's training runs that were started properly (they hold ``run.json``), oldest first."""
    return [p.parent for p in sorted(owner_dir(owner).glob("run-*/run.json"))]


def trained_weights(owner: str) -> list[Path]:
    """The owner's finished models, newest first."""
    return sorted(owner_dir(owner).glob("run-*/model/model.safetensors"), reverse=True)


def hub_cache_dir(owner: str) -> Path:
    """Hub files fetched with the owner's token (private or gated models): theirs alone, purged with uploads."""
    return owner_dir(owner) / "hub-cache"


def onnx_cache_dir(owner: str | None = None) -> Path:
    """ONNX exports: an owner's private or trained models' in their folder (purged with uploads), public ones shared."""
    return owner_dir(owner) / "onnx-cache" if owner is not None else shared_dir("onnx-cache")


def batches_dir(owner: str) -> Path:
    return owner_dir(owner) / "batches"


def new_batch_dir(owner: str) -> Path:
    return batches_dir(owner) / uuid.uuid4().hex[:12]


def disk_used(owner: str) -> int:
    """Bytes below the owner's folder."""
    return sum(p.stat().st_size for p in owner_dir(owner).rglob("*") if p.is_file())


def check_room(owner: str, incoming: int, what: str = "err_owner_disk") -> None:
    """Refuse, with the ``what`` sentence, ``incoming`` bytes that would take the owner past ``SRDEMO_MAX_OWNER_MB``."""
    limit, used = get_settings().max_owner_bytes, disk_used(owner)
    if used + incoming > limit:
        raise SrdemoError(text(what, used_mb=used / 1e6, incoming_mb=incoming / 1e6, limit_mb=limit / 1e6))


def scratch_dir(owner: str, name: str | None = None) -> Path:
    """A folder for one request's files below the owner's own (a fresh one unless ``name``d), so they count
    against the owner's disk budget; everyone's scratch folders unused for ``SCRATCH_SECONDS`` go first."""
    _remove_older((get_settings().run_dir / "owners").glob("*/scratch/*"), SCRATCH_SECONDS)
    folder = owner_dir(owner) / "scratch" / (name or uuid.uuid4().hex)
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)  # in use again: not purged for another hour
    return folder


def copy_uploads(owner: str, files: list[Path], folder: Path) -> list[Path]:
    """Copy an owner's uploads into ``folder`` under their own names, a repeated one as ' (2)'...; expired uploads
    leave first, and uploads past the owner's disk budget are refused."""
    purge_old_uploads()
    check_room(owner, sum(Path(f).stat().st_size for f in files))
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(src, folder / unique_name(Path(src).name, lambda n: (folder / n).exists()))) for src in files]


def purge_old_uploads(hours: float | None = None) -> int:
    """Delete uploads (training photos, batch inputs, owners' hub and ONNX caches) older than the retention time;
    runs, models and results are kept. Returns how many folders were removed."""
    root = get_settings().run_dir / "owners"
    found = [p for pattern in ("*/*/uploads", "*/batches/*/uploads", "*/batches/*/input", "*/hub-cache", "*/onnx-cache")
             for p in root.glob(pattern)]
    return _remove_older(found, 3600 * (get_settings().upload_retention_hours if hours is None else hours))


def _remove_older(folders: Iterable[Path], seconds: float) -> int:
    """Remove the ``folders`` unchanged for ``seconds``; returns how many."""
    cutoff, removed = time.time() - seconds, 0
    for folder in folders:
        with contextlib.suppress(OSError):  # another request removed it first
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def storage_is_persistent() -> bool:
    """True when runs are written to a persistent volume (Spaces mount it at /data)."""
    return str(get_settings().run_dir.resolve()).startswith("/data")
