"""Training runs as the app manages them: owners' folders, retention, one job at a time."""

import time
from pathlib import Path

import pytest

from srdemo import runs, wording
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
    job = runs.start(Caller("owner", trusted=True), [], True, settings)  # a file base: the machine's user
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


# ---------------------------------------------------------------- names


@pytest.fixture()
def quick_runs(tmp_path, monkeypatch):
    """``runs.start`` on ten tiny photos, with the training replaced by an export of the untrained network:
    the run's real folder, run.json, config.json, card and catalogue entry, in a fraction of a second."""
    from tiny_runs import tiny_photos

    from srdemo.training import History, build_network, export

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))

    def untrained(config, **_):
        Path(config.out).mkdir(parents=True)
        return export(Path(config.out), config, History(), None, build_network(config)[0])

    monkeypatch.setattr(runs, "train", untrained)
    photos = sorted(tiny_photos(tmp_path).glob("*.png"))

    def start(owner: str, name: str = "", files=photos):
        job = runs.start(Caller(owner), list(files), False, runs.RunSettings(base=None, scale=2, patch=32, batch=2,
                                                                            channels=8, name=name))
        while job.running:
            time.sleep(0.02)
        assert job.status == "done", job.error
        return job.info["run"]

    return start


def test_a_model_is_listed_and_filed_under_the_name_its_owner_gave_it(quick_runs):
    import json

    from huggingface_hub import ModelCard

    from srdemo import hub, models

    run = quick_runs("owner", "  我的商品-x4 \n")
    assert runs.run_name(run) == "我的商品-x4"  # trimmed, any script kept
    assert run.name.startswith("run-")  # the folder keeps its id: the name is a label
    (spec,) = [s for s in models.catalogue(Caller("owner")) if s.kind == "run"]
    assert spec.id == f"run:{run.name}" and "我的商品-x4" in spec.label
    assert spec.file_slug == "我的商品-x4"
    assert runs.model_zip(run).name == "我的商品-x4.zip"
    assert json.loads((run / "model" / "config.json").read_text())["name"] == "我的商品-x4"
    assert ModelCard.load(run / "model" / "README.md").text.lstrip().startswith("# 我的商品-x4")
    suggested = runs.repo_suggestion(run)  # no ASCII word in it: a repo name that is still told apart
    assert suggested.isascii() and suggested.startswith("srdemo-x4-") and hub.check_repo_id(f"you/{suggested}")


def test_names_become_safe_file_names_and_hub_repo_names():
    from srdemo import hub, names

    assert names.file_name("Shoes / spring: *new* (2)") == "Shoes-spring-new-2"
    assert names.file_name("../../etc/passwd") == "etc-passwd"
    assert names.file_name(".hidden") == "hidden" and names.file_name("***") == "model"
    assert names.repo_name("Shoes, spring (2)") == "Shoes-spring-2"
    assert names.repo_name("我的商品-x4") != names.repo_name("我的鞋子-x4")  # each gets its own repo
    for name in ("Shoes, spring (2)", "我的商品-x4", "-.-", "a" * 200, "x--y..z", "héllo wörld"):
        repo = names.repo_name(name)
        assert repo.isascii() and len(repo) <= 96 and "--" not in repo and ".." not in repo
        assert not repo.startswith(("-", ".")) and not repo.endswith(("-", "."))
        assert hub.check_repo_id(f"you/{repo}") == f"you/{repo}"
    assert names.clean("   ") == "" and len(names.clean("a" * 200)) == names.NAME_LIMIT


def test_an_unnamed_run_is_called_after_its_zip_or_its_photos(tmp_path, quick_runs):
    import zipfile

    assert runs.default_name([tmp_path / "spring shoes.zip"], False, 4) == "spring shoes-x4"
    assert runs.default_name([tmp_path / "a.png", tmp_path / "b.png"], False, 4) == "my-products-x4"
    assert runs.default_name([], True, 2) == "example-products-x2"
    shoes = tmp_path / "shoes.zip"
    with zipfile.ZipFile(shoes, "w") as zf:
        for photo in sorted(tmp_path.glob("p*.png")):
            zf.write(photo, photo.name)
    assert runs.run_name(quick_runs("owner", "   ", files=[shoes])) == "shoes-x2"  # blank is no name


def test_a_name_is_unique_per_owner_and_not_across_owners(quick_runs):
    first, second = quick_runs("alice", "Shoes"), quick_runs("alice", "shoes")
    third = quick_runs("alice", "Shoes (2)")  # starting again from the numbered name counts on
    assert [runs.run_name(r) for r in (first, second, third)] == ["Shoes", "shoes (2)", "Shoes (3)"]
    assert runs.run_name(quick_runs("bob", "Shoes")) == "Shoes"  # another owner's names are not in the way
    from srdemo import models

    labels = [s.label for s in models.catalogue(Caller("alice")) if s.kind == "run"]
    assert len(labels) == 3 and len(set(labels)) == 3


def test_a_run_from_before_names_still_loads_by_its_folder(tmp_path, monkeypatch, compact_file):
    import json
    import shutil

    from srdemo import models, workspace
    from srdemo.training import TrainConfig

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    run = workspace.owner_dir("old-owner") / "run-20261201-010322-e7e0e8"
    (run / "model").mkdir(parents=True)
    old = {"data": ["x"], "out": str(run / "model"), "scale": 2, "steps": 200}  # run.json as written before names
    (run / "run.json").write_text(json.dumps({"config": old, "skipped": []}))
    shutil.copy(compact_file, run / "model" / "model.safetensors")
    (run / "model" / "config.json").write_text(json.dumps({"scale": 2, "architecture": "Compact"}))
    assert runs.run_name(run) == run.name
    assert TrainConfig.from_json(old).name is None  # and it resumes: the checkpoint's run key never holds a name
    assert TrainConfig.from_json({**old, "name": "renamed"}).run_key() == TrainConfig.from_json(old).run_key()
    (spec,) = [s for s in models.catalogue(Caller("old-owner")) if s.kind == "run"]
    assert spec.label == "Your model run-20261201-010322-e7e0e8 (trained here)" and spec.file_slug == run.name
    assert models.load(spec.id, Caller("old-owner")).scale == 2
    assert runs.model_zip(run).name == f"{run.name}.zip"
    assert runs.repo_suggestion(run) == run.name


# ---------------------------------------------------------------- progress


def _progress(step: int, steps: int, seconds: float, first_step: int = 0):
    from srdemo.training import History, Progress

    return Progress(step, steps, 0.0123, History(), seconds, first_step)


def test_time_left_is_measured_from_the_start_or_the_resume():
    assert runs.progress_line(_progress(120, 600, 60)) == "step 120/600, about 4 min left"  # no loss: issue 41
    # resumed at step 100: 20 steps in 20 s is one a second, so 480 s left (not 120 steps in 20 s)
    assert runs.progress_line(_progress(120, 600, 20, first_step=100)) == "step 120/600, about 8 min left"
    assert runs.progress_line(_progress(2, 600, 1)) == "step 2/600"  # too early to tell
    assert wording.time_left(20) == "about 20 s left"
    assert wording.time_left(150 * 60) == "about 2 h 30 min left"
