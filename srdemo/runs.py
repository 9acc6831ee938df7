"""Training runs started from the app: how they start, stop, resume and get published.

The Training tab calls the same ``srdemo.training.train`` as the CLI; this module adds what a shared app needs:
runs in the owner's workspace, uploads copied in, named lengths, one run at a time, the model's name, progress
with the time left, and publishing with the owner's own token.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import hub, models, names, workspace
from .caller import Caller
from .datasets import collect
from .devices import MEMORY
from .errors import SrdemoError
from .examples import training_example_set
from .jobs import JOBS, Job
from .settings import get_settings
from .training import Progress, TrainConfig, check_fits, train
from .training.config import memory_estimate
from .wording import text, time_left

LENGTHS = {"quick": 200, "standard": 2000, "long": 10000}
MIN_IMAGES = 8
ESTIMATE_AFTER = 5
"""Steps since a (re)start before the time left is estimated: the first ones include warming up."""


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
    name: str = ""  # what the owner calls the model; empty: ``default_name``


def start(caller: Caller, files: list[Path], use_examples: bool, settings: RunSettings) -> Job:
    """Copy the photos in, check them, and start training as a background job, from a model ``caller`` may use."""
    owner = caller.job_owner()
    base = None
    if settings.base:
        spec = models.resolve(settings.base, caller)
        base = str(spec.path) if spec.kind in ("file", "run") else spec.id  # training loads it as the machine's user
    _check_free(owner)
    name = names.unique(names.clean(settings.name) or default_name(files, use_examples, settings.scale),
                        {run_name(r) for r in workspace.run_dirs(owner)})
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
        raise SrdemoError(text("err_train_too_few_images", count=len(found.pictures), min_images=MIN_IMAGES,
                               patch=settings.patch, detail=detail))
    steps = LENGTHS[settings.length]
    config = TrainConfig(
        data=(str(data),), out=str(run / "model"), scale=settings.scale, steps=steps, init=base,
        channels=None if base else settings.channels, degrade=settings.degrade, batch=settings.batch, patch=settings.patch,
        lr=settings.lr, seed=settings.seed, val_every=max(10, steps // 10), checkpoint_every=max(10, steps // 20),
        val_count=min(8, max(2, len(found.pictures) // 5)), name=name,
    )
    run.mkdir(parents=True, exist_ok=True)
    (run / "run.json").write_text(json.dumps({"config": config.to_json(), "skipped": found.skipped}))
    try:
        return _submit(owner, run, config)
    except SrdemoError:  # another start took the slot meanwhile: leave nothing behind
        shutil.rmtree(run, ignore_errors=True)
        raise


def default_name(files: list[Path], use_examples: bool, scale: int) -> str:
    """The name a run gets when its owner gives none: after the one zip uploaded ('shoes.zip' -> 'shoes-x4'),
    else 'my-products-x4' ('example-products-x4' for the example set), in the page's language."""
    if use_examples:
        return text("run_name_examples", scale=scale)
    one_zip = len(files) == 1 and files[0].suffix.lower() == ".zip"
    stem = names.clean(files[0].stem)[: names.NAME_LIMIT - 4] if one_zip else ""
    return f"{stem}-x{scale}" if stem else text("run_name_default", scale=scale)


def run_name(run: Path) -> str:
    """What the owner called a run (``run.json``); runs from before names, and CLI folders, go by their folder's name."""
    try:
        return json.loads((run / "run.json").read_text())["config"].get("name") or run.name
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return run.name


def progress_line(p: Progress) -> str:
    """A running run's status: the step and the time left at the pace since it (re)started, in the asking page's language."""
    if p.step - p.first_step < ESTIMATE_AFTER:
        return text("training_progress", step=p.step, steps=p.steps)
    return text("training_progress_left", step=p.step, steps=p.steps, time_left=time_left(p.eta_seconds))


def _check_free(owner: str) -> None:
    """A quick refusal before any photo is copied; only ``_submit``'s admission, under the job manager's lock, binds."""
    mine = JOBS.latest(owner, "training")
    if mine is not None and mine.running:
        raise SrdemoError(text("err_training_running"))
    if JOBS.count_running("training") >= get_settings().max_trainings:
        raise SrdemoError(text("err_training_running_other"))


def _submit(owner: str, run: Path, config: TrainConfig) -> Job:
    check_fits(config)
    cap = get_settings().max_train_minutes * 60

    def work(job: Job):
        job.info["run"] = run
        with contextlib.suppress(AttributeError, OSError):  # a lower CPU priority keeps upscaling quick (Linux only)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        started = time.monotonic()

        def should_stop() -> bool:
            if cap and time.monotonic() - started > cap:  # the app's one training slot is not anyone's forever
                job.info["time_limit"] = True
                job.cancel_event.set()
            return job.should_stop()

        def on_progress(p: Progress) -> None:
            job.done, job.info["progress"], job.result = p.step, p, p.history

        with MEMORY.hold(memory_estimate(config), should_stop=should_stop):  # the budget upscales are admitted against
            train(config, progress=on_progress, should_stop=should_stop)
        return run

    # one training at a time per app (by default): it shares the device with everyone's upscaling
    return JOBS.submit(owner, "training", work, max_unfinished=get_settings().max_trainings)


def resume(owner: str) -> Job:
    """Continue the owner's latest unfinished run from its last checkpoint."""
    _check_free(owner)
    run = latest_run(owner)
    if run is None:
        raise SrdemoError(text("err_no_run_to_resume"))
    cfg = json.loads((run / "run.json").read_text())["config"]
    if cfg.get("init"):  # the tab never widens a base, whatever width the run recorded
        cfg["channels"] = None
    return _submit(owner, run, TrainConfig.from_json(cfg))


def latest_run(owner: str) -> Path | None:
    return next(reversed(workspace.run_dirs(owner)), None)


def model_folder(run_dir: Path) -> Path:
    """The folder holding a trained ``model.safetensors``: a CLI run's output, or an app run's ``model/``."""
    for folder in (run_dir, run_dir / "model"):
        if (folder / "model.safetensors").is_file():
            return folder
    raise SrdemoError(text("err_no_trained_model"))


def repo_suggestion(run_dir: Path) -> str:
    """The Hub repo name a run is published as when its owner types none (in their own account)."""
    return names.repo_name(run_name(run_dir))


def publish(run_dir: Path, repo_id: str, caller: Caller, private: bool = True) -> str:
    """Push a trained model (weights, config, card) to the Hub with the caller's own token, as ``repo_suggestion``
    when no repo id is given; returns its URL."""
    repo_id = (repo_id or "").strip() or repo_suggestion(run_dir)
    return hub.publish(model_folder(run_dir), repo_id, caller.token_value, private=private)


def model_zip(run: Path) -> Path:
    """model.safetensors, config.json and README.md in one zip, for download, named after the model."""
    folder = run / "model"
    out = run / f"{names.file_name(run_name(run))}.zip"
    if out.exists() and out.stat().st_mtime >= (folder / "model.safetensors").stat().st_mtime:
        return out  # already up to date
    with zipfile.ZipFile(out, "w") as zf:
        for name in ("model.safetensors", "config.json", "README.md"):
            if (folder / name).exists():
                zf.write(folder / name, name)
    return out
