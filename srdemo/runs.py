"""Training runs started from the app: how they start, stop, resume and get published.

The Training tab calls exactly the same ``srdemo.training.train`` as the CLI;
this module only adds what a shared web app needs: runs in the owner's
workspace (``srdemo.workspace``), uploads copied in (and deleted after the
retention time), named length presets, one run at a time, and publishing a
finished model with the owner's own token.
"""

from __future__ import annotations

import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import hub, models, workspace
from .caller import Caller
from .datasets import collect
from .errors import SrdemoError
from .examples import training_example_set
from .jobs import JOBS, Job
from .settings import get_settings
from .training import TrainConfig, check_fits, train
from .wording import text

LENGTHS = {"quick": 200, "standard": 2000, "long": 10000}
MIN_IMAGES = 8


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


def start(caller: Caller, files: list[Path], use_examples: bool, settings: RunSettings) -> Job:
    """Copy the photos in, check them, and start training as a background job.

    The starting model is resolved for ``caller`` like any other model reference, so a
    visitor can start only from a model they may use.
    """
    owner = caller.owner
    base = None
    if settings.base:
        spec = models.resolve(settings.base, caller)
        base = str(spec.path) if spec.kind in ("file", "run") else spec.id  # training loads it as the machine's user
    _check_free(owner)
    run = workspace.new_run_dir(owner)
    data = run / "uploads"
    if use_examples:
        data = training_example_set(workspace.shared_dir("examples"))
    else:
        if not files:
            raise SrdemoError(text("err_train_no_photos"))
        workspace.copy_uploads(owner, files, data)  # a zip among them is read like a folder
    found = collect([data], min_side=settings.patch)
    if len(found.pictures) < MIN_IMAGES:
        detail = "\n" + found.report() if found.skipped else ""
        raise SrdemoError(
            text("err_train_too_few_images", count=len(found.pictures), min_images=MIN_IMAGES, patch=settings.patch,
                 detail=detail)
        )
    config = TrainConfig(
        data=(str(data),), out=str(run / "model"), scale=settings.scale, steps=LENGTHS[settings.length],
        init=base, channels=None if base else settings.channels, degrade=settings.degrade, batch=settings.batch,
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
        raise SrdemoError(text("err_training_running_yours"))
    if JOBS.count_running("training") >= get_settings().max_trainings:
        raise SrdemoError(text("err_training_running_other"))


def _yield_to_interactive_work() -> None:
    """Lower this (training) thread's CPU priority so upscaling stays quick meanwhile (Linux; elsewhere a no-op)."""
    import os
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def _submit(owner: str, run: Path, config: TrainConfig) -> Job:
    check_fits(config)
    cap = get_settings().max_train_minutes * 60

    def work(job: Job):
        job.info["run"] = run
        _yield_to_interactive_work()
        started = time.monotonic()

        def should_stop() -> bool:
            if cap and time.monotonic() - started > cap:  # the app's one training slot is not anyone's forever
                job.info["time_limit"] = True
                job.cancel_event.set()
            return job.should_stop()

        def on_progress(p):
            job.done, job.message = p.step, text("training_progress", step=p.step, steps=p.steps, loss=p.loss)
            job.result = p.history

        train(config, progress=on_progress, should_stop=should_stop)
        return run

    return JOBS.submit(owner, "training", work)


def resume(owner: str) -> Job:
    """Continue the owner's latest unfinished run from its last checkpoint."""
    _check_free(owner)
    run = latest_run(owner)
    if run is None:
        raise SrdemoError(text("err_no_run_to_resume"))
    cfg = json.loads((run / "run.json").read_text())["config"]
    if cfg.get("init"):  # the tab never widens a base; runs saved before 2026-11 recorded a width anyway
        cfg["channels"] = None
    return _submit(owner, run, TrainConfig.from_json(cfg))


def latest_run(owner: str) -> Path | None:
    found = workspace.run_dirs(owner)
    return found[-1] if found else None


def model_folder(run_dir: Path) -> Path:
    """The folder holding a trained ``model.safetensors``: a CLI run's output, or an app run's ``model/``."""
    for folder in (run_dir, run_dir / "model"):
        if (folder / "model.safetensors").is_file():
            return folder
    raise SrdemoError(text("err_no_trained_model"))


def publish(run_dir: Path, repo_id: str, caller: Caller, private: bool = True) -> str:
    """Push a trained model (weights, config, card) to the Hub with the caller's own token; returns its URL."""
    return hub.publish(model_folder(run_dir), repo_id, caller.token_value, private=private)


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
