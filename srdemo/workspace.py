"""Per-owner folders on the server: batches, training runs, their uploads, and how long uploads are kept.

Each owner (a signed-in user, a browser, a session) gets one folder under the
run directory, named by a digest of the owner key so owners cannot guess or
reach each other's. Everything srdemo writes for someone goes below it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from pathlib import Path

from .errors import SrdemoError
from .images import unique_name
from .settings import get_settings
from .wording import text


def owner_dir(owner: str) -> Path:
    """The owner's folder: ``<run dir>/owners/<digest>``."""
    return get_settings().run_dir / "owners" / hashlib.sha256(owner.encode()).hexdigest()[:20]


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
    """ONNX exports of models: an owner's private or trained ones in their folder (purged with uploads),
    public ones in a shared folder."""
    return owner_dir(owner) / "onnx-cache" if owner is not None else shared_dir("onnx-cache")


def batches_dir(owner: str) -> Path:
    return owner_dir(owner) / "batches"


def new_batch_dir(owner: str) -> Path:
    return batches_dir(owner) / uuid.uuid4().hex[:12]


def disk_used(owner: str) -> int:
    """Bytes below the owner's folder."""
    root = owner_dir(owner)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def check_room(owner: str, incoming: int, what: str = "err_owner_disk") -> None:
    """Refuse, with the ``what`` sentence, ``incoming`` bytes that would take the owner past their disk
    budget (``SRDEMO_MAX_OWNER_MB``)."""
    limit = get_settings().max_owner_bytes
    used = disk_used(owner)
    if used + incoming > limit:
        raise SrdemoError(text(what, used_mb=used / 1e6, incoming_mb=incoming / 1e6, limit_mb=limit / 1e6))


SCRATCH_SECONDS = 3600
"""How long a request's files (a result handed to the page, a download copy) stay in scratch.
Gradio copies what it serves into its own cache (cleared by ``delete_cache``), so an hour is plenty."""


def scratch_dir(owner: str, name: str | None = None) -> Path:
    """A folder for one request's files, below the owner's own (``<owner>/scratch/<name>``, a fresh one
    unless ``name``d), so they count against the owner's disk budget like everything else written for
    them. Scratch folders unused for ``SCRATCH_SECONDS`` are removed first, everyone's."""
    cutoff = time.time() - SCRATCH_SECONDS
    for old in (get_settings().run_dir / "owners").glob("*/scratch/*"):
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # another request removed it first
    folder = owner_dir(owner) / "scratch" / (name or uuid.uuid4().hex)
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)  # in use again: not purged for another hour
    return folder


def copy_uploads(owner: str, files: list[Path], folder: Path) -> list[Path]:
    """Copy an owner's uploaded files into ``folder`` (below their own) under their own names.

    A repeated name gets ' (2)', ' (3)'...: two uploads called 'same.png' must both reach the
    job, not the second over the first. New uploads arriving is also when expired ones leave
    (``purge_old_uploads``), and an upload that would take the owner past their disk budget
    (``SRDEMO_MAX_OWNER_MB``) is refused before anything is copied.
    """
    purge_old_uploads()
    check_room(owner, sum(Path(f).stat().st_size for f in files))
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for src in files:
        dest = folder / unique_name(Path(src).name, lambda n: (folder / n).exists())
        shutil.copy(src, dest)
        copies.append(dest)
    return copies


def shared_dir(name: str) -> Path:
    """A folder every owner reads (the rendered example set, exports of public models), never written with anyone's data."""
    return get_settings().run_dir / name


def purge_old_uploads(hours: float | None = None) -> int:
    """Delete uploads (training photos, batch inputs) older than the retention time; runs, models and results are kept.

    Returns how many upload folders were removed.
    """
    hours = get_settings().upload_retention_hours if hours is None else hours
    cutoff = time.time() - hours * 3600
    removed = 0
    root = get_settings().run_dir / "owners"
    found = [*root.glob("*/*/uploads"), *root.glob("*/batches/*/uploads"), *root.glob("*/batches/*/input"),
             *root.glob("*/hub-cache"), *root.glob("*/onnx-cache")] if root.exists() else []
    for uploads in found:
        if uploads.stat().st_mtime < cutoff:
            shutil.rmtree(uploads, ignore_errors=True)
            removed += 1
    return removed


def storage_is_persistent() -> bool:
    """True when runs are written to a persistent volume (Spaces mount it at /data)."""
    return str(get_settings().run_dir.resolve()).startswith("/data")
