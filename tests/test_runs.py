"""Training runs as the app manages them: owners' folders, retention, one job at a time."""

import time

import pytest

from srdemo import runs
from srdemo.caller import Caller
from srdemo.errors import SrdemoError
from srdemo.jobs import JOBS


def test_one_training_at_a_time_per_app(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    release = threading.Event()
    job = JOBS.submit("someone", "training", lambda j: release.wait(10))
    try:
        with pytest.raises(SrdemoError, match="Someone else's training"):
            runs.start(Caller("another"), [], True, runs.RunSettings(base=None))
    finally:
        release.set()
        while job.running:
            time.sleep(0.05)


def test_too_few_or_too_small_photos_say_what_is_needed(tmp_path, monkeypatch):
    from srdemo.synthetic import render_product

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    photos = []
    for i in range(3):
        photos.append(tmp_path / f"p{i}.png")
        render_product(i, 64).save(photos[-1])
    with pytest.raises(SrdemoError, match=r"0 usable image\(s\); at least 8 are needed, each at least 96 px") as err:
        runs.start(Caller("owner"), photos, False, runs.RunSettings(base=None))
    assert "too small (64x64" in str(err.value)


@pytest.mark.slow
def test_a_stopped_run_resumes_after_an_app_restart(tmp_path, monkeypatch, compact_file):
    """A restart forgets the jobs; the run folder on disk is enough to resume where it stopped."""
    import json

    from srdemo import jobs
    from srdemo.training import CHECKPOINT, read_metadata

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    settings = runs.RunSettings(base=str(compact_file), scale=2, length="quick", batch=2, patch=64)
    job = runs.start(Caller("owner"), [], True, settings)
    while job.running and job.done < 30:
        time.sleep(0.05)
    job.cancel_event.set()
    while job.running:
        time.sleep(0.05)
    run = job.info["run"]
    stopped_at = read_metadata(run / "model" / CHECKPOINT)["step"]
    assert 30 <= stopped_at < 200

    fresh = jobs.JobManager()  # what a new process starts with
    monkeypatch.setattr(runs, "JOBS", fresh)
    assert runs.latest_run("owner") == run
    saved = json.loads((run / "run.json").read_text())  # as earlier versions wrote it: a width even for a fine-tune
    saved["config"]["channels"] = 24
    (run / "run.json").write_text(json.dumps(saved))
    resumed = runs.resume("owner")
    while resumed.running:
        time.sleep(0.1)
    assert resumed.status == "done", resumed.error
    history = json.loads((run / "model" / "history.json").read_text())
    steps = [s for s, _ in history["loss"]]
    assert steps == list(range(1, 201))  # continued from the checkpoint, nothing trained twice


def test_a_visitor_can_only_start_from_a_model_they_may_use(tmp_path, monkeypatch, compact_file):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    with pytest.raises(SrdemoError, match="Pick one from the list"):
        runs.start(Caller.visitor("browser:v"), [], True, runs.RunSettings(base=str(compact_file)))
    assert not list(tmp_path.rglob("run.json"))  # refused before anything was written
