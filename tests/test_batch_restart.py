"""Batches outlive their process: killed with ``kill -9`` part-way, a batch is found again, what it
finished can be downloaded, and a resume does only the rest. And a batch decides a file's kind by
its content, as a single upscale does."""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict

import pytest
from PIL import Image

from srdemo import batch, wording
from srdemo.caller import Caller
from srdemo.errors import SrdemoError
from srdemo.report import preview_names
from srdemo.request import UpscaleRequest, upscale
from srdemo.synthetic import render_product

from conftest import ROOT

PHOTOS, FINISHED = 8, 3  # the batch is killed once its first 3 of 8 photos are done

CHILD = """
import json, sys, time
from pathlib import Path
from srdemo import batch, workspace
from srdemo.caller import Caller
from srdemo.request import UpscaleRequest

owner, inputs, marks, keep, settings = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
files = sorted(inputs.glob("*.png"))
first = {f.name for f in files[:keep]}
real = batch.process_one

def stalls_after_the_first_files(name, *args, **kwargs):
    if name not in first:
        time.sleep(3600)  # still working on this file when the app is killed
    done = real(name, *args, **kwargs)
    (marks / name).touch()
    return done

batch.process_one = stalls_after_the_first_files
folder = workspace.new_batch_dir(owner)
copies = workspace.copy_uploads(owner, files, folder / "uploads")
request = UpscaleRequest(model="lanczos", scale=2.0, format="png", caller=Caller.visitor(owner))
batch.run_batch(copies, folder / "output", request, settings=settings)
"""


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _settings() -> dict:
    from srdemo.ui.batch import BatchForm

    return asdict(BatchForm(model="lanczos", scale=2.0, format="png"))


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A run folder as the app leaves it when it is killed with ``kill -9`` during a batch of 8 photos,
    3 of them finished; and the browser key and owner the batch belongs to."""
    from srdemo.ui.common import on_load_key, owner_of

    key = on_load_key(None)
    owner = owner_of(key, None)
    base = tmp_path_factory.mktemp("killed")
    inputs, marks, runs = base / "in", base / "marks", base / "runs"
    inputs.mkdir()
    marks.mkdir()
    for i in range(PHOTOS):
        render_product(40 + i, 48).save(inputs / f"p{i}.png")
    env = {**os.environ, "SRDEMO_RUN_DIR": str(runs), "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, owner, str(inputs), str(marks), str(FINISHED), json.dumps(_settings())],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 240
        while len(list(marks.iterdir())) < FINISHED:  # the app has done 3 files...
            assert child.poll() is None, child.stdout.read().decode()[-3000:]
            assert time.time() < deadline, "the batch did not get through its first files"
            time.sleep(0.1)
        logs = lambda: list(runs.glob("owners/*/batches/*/output/.srdemo-batch/rows-*.jsonl"))  # noqa: E731
        settle = time.time() + 10
        while time.time() < settle and sum(len(p.read_bytes().splitlines()) for p in logs()) < FINISHED:
            time.sleep(0.1)  # ...and has them on disk (a batch that keeps nothing never gets there)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return runs, key, owner


@pytest.fixture()
def restarted(killed, tmp_path, monkeypatch):
    """The killed app's run folder, copied for this test, as a freshly started app finds it."""
    runs, key, owner = killed
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(copy))
    return copy, key, owner


def _counting(monkeypatch) -> list[str]:
    """Count the files that go through the model from now on."""
    calls, real = [], batch.process_one

    def counted(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(batch, "process_one", counted)
    return calls


def test_a_batch_killed_part_way_is_found_interrupted_with_its_finished_files_and_resumes_only_the_rest(
        restarted, monkeypatch):
    runs, _, owner = restarted
    out = next(runs.glob("owners/*/batches/*/output"))
    assert not (out / "results.zip").exists()  # no half-written zip where the finished one will be
    log = out / batch.STATE / "rows-0.jsonl"
    with open(log, "ab") as fh:
        fh.write(b'{"index": 3, "output": "p3.png", "stored": "000003.png", "row": {"fi')  # a line cut short by the kill
    (out / ".results.zip.0badc0de.part").write_bytes(b"PK\x03\x04 a zip its process never finished")

    found = batch.interrupted(owner)

    assert found is not None and not found.finished and found.resumable
    assert (len(found.rows), found.total) == (FINISHED, PHOTOS)
    assert {r["file"] for r in found.rows} == {"p0.png", "p1.png", "p2.png"}
    assert found.line() == "Interrupted after 3 of 8 (the app stopped): download those below, or resume the rest."
    with wording.language("zh"):
        assert found.line() == "共 8 个，处理完 3 个后中断（应用停止了）：可在下方下载这些结果，或继续处理其余文件。"

    partial = batch.finished_zip(found)
    assert partial.name == "finished-3-of-8.zip"
    assert not list(out.glob(".*.part"))  # the dead process's half zip is gone, never offered
    with zipfile.ZipFile(partial) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(["p0.png", "p1.png", "p2.png", "report.csv", "report.html",
                                                *[n for i in range(3) for n in preview_names(f"p{i}.png")]])
        assert Image.open(io.BytesIO(zf.read("p1.png"))).size == (96, 96)
        report = zf.read("report.csv").decode()
    assert report.count("\n") == 1 + FINISHED and ",ok," in report
    before = {name: (out / batch.STATE / "files" / f"{i:06d}.png").read_bytes() for i, name in enumerate(["p0", "p1", "p2"])}

    calls = _counting(monkeypatch)
    request = UpscaleRequest(model="lanczos", scale=2.0, format="png", caller=Caller.visitor(owner))
    result = batch.resume(found, request)

    assert sorted(calls) == ["p3.png", "p4.png", "p5.png", "p6.png", "p7.png"]  # the 3 finished ones are not redone
    assert [r["status"] for r in result.rows] == ["ok"] * PHOTOS
    with zipfile.ZipFile(result.zip_path) as zf:
        assert sorted(zf.namelist()) == sorted([f"p{i}.png" for i in range(PHOTOS)] + ["report.csv", "report.html"]
                                               + [n for i in range(PHOTOS) for n in preview_names(f"p{i}.png")])
        assert all(zf.read(f"{name}.png") == data for name, data in before.items())  # the files of the first run
    assert result.zip_path == out / "results.zip" and not partial.exists()
    assert batch.interrupted(owner) is None
    assert batch.on_disk(owner).line().startswith("Finished earlier: 8 of 8 done (0 failed, ")
    assert not (out / batch.STATE / "files").exists()  # the loose results are in the zip now


def test_after_a_restart_the_tab_shows_the_interrupted_batch_its_settings_and_resumes_it(restarted, monkeypatch):
    from srdemo.jobs import JOBS
    from srdemo.ui import batch as batch_tab
    from srdemo.ui.common import on_load_key

    _, key, owner = restarted
    status, gallery, _, zip_copy, _ = batch_tab.on_batch_status(key, None)

    assert status == "Interrupted after 3 of 8 (the app stopped): download those below, or resume the rest."
    assert sorted(caption.split(":")[0] for _, caption in gallery) == ["p0.png", "p1.png", "p2.png"]
    with zipfile.ZipFile(zip_copy) as zf:
        assert sorted(n for n in zf.namelist() if not n.startswith("previews/")) == [
            "p0.png", "p1.png", "p2.png", "report.csv", "report.html"]
    updates = batch_tab.on_batch_form(key, None)
    assert [updates[i]["value"] for i in (0, 3, 4, 5)] == ["none", "lanczos", 2.0, "png"]  # preset, model, scale, format
    stranger = on_load_key(None)
    assert batch_tab.on_batch_status(stranger, None)[0] == "No batch yet."
    assert batch_tab.on_batch_resume(stranger, None)[0] == "There is no interrupted batch to resume."

    calls = _counting(monkeypatch)
    batch_tab.on_batch_resume(key, None)
    deadline = time.time() + 120
    while JOBS.latest(owner, "batch").running and time.time() < deadline:
        time.sleep(0.1)

    assert sorted(calls) == ["p3.png", "p4.png", "p5.png", "p6.png", "p7.png"]
    status, gallery, _, zip_copy, _ = batch_tab.on_batch_status(key, None)
    assert status.startswith("Finished: 8 of 8 done (0 failed, "), status
    assert len(gallery) == PHOTOS  # the three from before the restart too
    with zipfile.ZipFile(zip_copy) as zf:
        assert len([n for n in zf.namelist() if n.endswith(".png")]) == PHOTOS


def test_an_interrupted_batch_whose_uploads_expired_offers_its_files_but_no_resume(restarted):
    runs, _, owner = restarted
    for uploads in runs.glob("owners/*/batches/*/uploads"):
        shutil.rmtree(uploads)

    found = batch.interrupted(owner)

    assert not found.resumable and found.line().startswith("Interrupted after 3 of 8 (the app stopped): download those below.")
    assert "cannot be resumed" in found.line()
    with zipfile.ZipFile(batch.finished_zip(found)) as zf:
        assert len(zf.namelist()) == 3 * FINISHED + 2  # each with its two previews, the two reports
    with pytest.raises(SrdemoError, match="uploads have been deleted"):
        batch.resume(found, UpscaleRequest(model="lanczos", scale=2.0, caller=Caller.visitor(owner)))


def test_after_a_resume_the_time_left_counts_only_this_runs_pace():
    tally = batch.Tally(total=10, started=100.0, earlier=4)
    tally.rows += [{"file": f"f{i}", "status": "ok", "warnings": ""} for i in range(6)]  # 4 kept, then 2 in 10 s
    assert tally.summary(now=110.0).seconds_left == 10.0 / 2 * 4


def test_a_photo_with_a_zip_appended_is_one_photo_in_a_batch_as_in_a_single_upscale(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("hidden.png", _png(render_product(2, 32)))
    photo = _png(render_product(1, 40).resize((40, 30)))
    polyglot = tmp_path / "photo.png"
    polyglot.write_bytes(photo + inner.getvalue())
    assert zipfile.is_zipfile(polyglot)  # it does read as a zip too
    archive = tmp_path / "named-like-a-photo.png"
    archive.write_bytes(inner.getvalue())  # and a real zip with a photo's name is still a zip
    request = UpscaleRequest(model="lanczos", scale=2, check=False, caller=Caller.visitor("browser:polyglot"))

    single = upscale(polyglot.read_bytes(), request, name="photo.png")
    result = batch.run_batch([polyglot, archive], tmp_path / "out", request)

    rows = {r["file"]: r for r in result.rows}
    assert set(rows) == {"photo.png", "hidden.png"}
    assert rows["photo.png"]["status"] == "ok" and rows["photo.png"]["output size"] == "80x60"
    assert single.picture.size == (80, 60)
    with zipfile.ZipFile(result.zip_path) as zf:
        assert zf.read("photo.png") == single.data
