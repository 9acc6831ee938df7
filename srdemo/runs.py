"""Training runs started from the app: where they live, who owns them, how they start.

The Training tab calls exactly the same ``srdemo.train.train`` as the CLI;
this module only adds what a shared web app needs: one folder per owner
(named by a digest, so owners cannot reach each other's), uploads copied in
and deleted after a retention time, named length presets, and the list of an
owner's finished models.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .datasets import collect
from .errors import SrdemoError
from .jobs import JOBS, Job
from .models import ModelSpec, file_spec
from .settings import get_settings
from .synthetic import render_set
from .training import TrainConfig, train

LENGTHS = {"quick": 200, "standard": 2000, "long": 10000}
MIN_IMAGES = 8
EXAMPLE_COUNT = 48


@dataclass(frozen=True)
class RunSettings:
    base: str | None  # catalogue id to fine-tune; None = from scratch
    scale: int = 4
    degrade: str = "bicubic"
    length: str = "quick"
    lr: float = 2e-4
    batch: int = 8
    patch: int = 96
    seed: int = 0
    channels: int = 24  # only for from-scratch runs


def owner_dir(owner: str) -> Path:
    return get_settings().run_dir / "owners" / hashlib.sha256(owner.encode()).hexdigest()[:20]


def storage_is_persistent() -> bool:
    """True when runs are written to a persistent volume (Spaces mount it at /data)."""
    run_dir = get_settings().run_dir.resolve()
    return str(run_dir).startswith("/data")


def example_set(folder: Path) -> Path:
    """The bundled example set: product-like images rendered by srdemo's own code (deterministic)."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.png"))) < EXAMPLE_COUNT:
        for i, img in enumerate(render_set(EXAMPLE_COUNT, 320, seed=7)):
            img.save(folder / f"example_{i:02d}.png")
    return folder


def purge_old_uploads(hours: float | None = None) -> int:
    """Delete uploaded photos older than the retention time (runs and models are kept)."""
    hours = get_settings().upload_retention_hours if hours is None else hours
    cutoff = time.time() - hours * 3600
    removed = 0
    root = get_settings().run_dir / "owners"
    for uploads in root.glob("*/*/uploads") if root.exists() else []:
        if uploads.stat().st_mtime < cutoff:
            shutil.rmtree(uploads, ignore_errors=True)
            removed += 1
    return removed


def start(owner: str, files: list[Path], use_examples: bool, settings: RunSettings) -> Job:
    """Copy the photos in, check them, and start training as a background job."""
    _check_free(owner)
    purge_old_uploads()
    run = owner_dir(owner) / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    data = run / "uploads"
    if use_examples:
        data = example_set(get_settings().run_dir / "examples")
    else:
        if not files:
            raise SrdemoError("Upload your product photos (several files or one zip), or use the example set.")
        data.mkdir(parents=True)
        for f in files:
            shutil.copy(f, data / Path(f).name)
    found = collect([data], min_side=settings.patch)
    if len(found.pictures) < MIN_IMAGES:
        detail = "\n" + found.report() if found.skipped else ""
        raise SrdemoError(
            f"{len(found.pictures)} usable image(s); at least {MIN_IMAGES} are needed, each at least "
            f"{settings.patch} px on both sides (a few hundred is better).{detail}"
        )
    config = TrainConfig(
        data=(str(data),), out=str(run / "model"), scale=settings.scale, steps=LENGTHS[settings.length],
        init=settings.base, channels=None if settings.base else settings.channels, degrade=settings.degrade, batch=settings.batch,
        patch=settings.patch, lr=settings.lr, seed=settings.seed, val_every=max(10, LENGTHS[settings.length] // 10),
        checkpoint_every=max(10, LENGTHS[settings.length] // 20), val_count=min(8, max(2, len(found.pictures) // 5)),
    )
    (run / "run.json").parent.mkdir(parents=True, exist_ok=True)
    (run / "run.json").write_text(json.dumps({"config": config.to_json(), "skipped": found.skipped}))
    return _submit(owner, run, config)


def _check_free(owner: str) -> None:
    """One training job at a time per app: it shares the device with everyone's upscaling."""
    mine = JOBS.latest(owner, "training")
    if mine is not None and mine.running:
        raise SrdemoError("You already have a training running. Stop it first, or wait for it to finish.")
    if JOBS.any_running("training"):
        raise SrdemoError("Someone else's training is running on this app (one at a time). Please try again later.")


def _yield_to_interactive_work() -> None:
    """Lower this (training) thread's CPU priority so upscaling stays quick meanwhile (Linux; elsewhere a no-op)."""
    import os
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def _submit(owner: str, run: Path, config: TrainConfig) -> Job:
    def work(job: Job):
        job.info["run"] = run
        _yield_to_interactive_work()

        def on_progress(p):
            job.done, job.message = p.step, f"step {p.step}/{p.steps}, loss {p.loss:.4f}"
            job.result = p.history

        train(config, progress=on_progress, should_stop=job.should_stop)
        return run

    return JOBS.submit(owner, "training", work)


def resume(owner: str) -> Job:
    """Continue the owner's latest unfinished run from its last checkpoint."""
    _check_free(owner)
    runs = sorted(owner_dir(owner).glob("run-*/run.json"))
    if not runs:
        raise SrdemoError("There is no run to resume.")
    run = runs[-1].parent
    cfg = json.loads(runs[-1].read_text())["config"]
    if cfg.get("init"):  # the tab never widens a base; runs saved before 2026-11 recorded a width anyway
        cfg["channels"] = None
    return _submit(owner, run, TrainConfig.from_json(cfg))


def latest_run(owner: str) -> Path | None:
    runs = sorted(owner_dir(owner).glob("run-*/run.json"))
    return runs[-1].parent if runs else None


def trained_models(owner: str) -> list[ModelSpec]:
    """The owner's finished models, newest first, as catalogue entries."""
    specs = []
    for weights in sorted(owner_dir(owner).glob("run-*/model/model.safetensors"), reverse=True):
        spec = file_spec(weights)
        specs.append(ModelSpec(
            f"run:{weights.parent.parent.name}", f"Your model {weights.parent.parent.name} (trained here)", "file",
            spec.scales, "Your own photos.", "yours", "trained in this app", path=weights,
        ))
    return specs


def resolve_owned(owner: str, model_id: str) -> ModelSpec | None:
    """A ``run:...`` id, looked up only among this owner's runs."""
    if not model_id.startswith("run:"):
        return None
    for spec in trained_models(owner):
        if spec.id == model_id:
            return spec
    raise SrdemoError("That trained model is not yours or no longer exists.")


def model_zip(run: Path) -> Path:
    """model.safetensors, config.json and README.md in one zip, for download."""
    folder = run / "model"
    out = run / f"{run.name}.zip"
    if out.exists() and out.stat().st_mtime >= (folder / "model.safetensors").stat().st_mtime:
        return out  # already up to date
    with zipfile.ZipFile(out, "w") as zf:
        for name in ("model.safetensors", "config.json", "README.md"):
            if (folder / name).exists():
                zf.write(folder / name, name)
    return out
