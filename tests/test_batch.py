"""Batches: many files in, a zip with the same folders and a report out, whatever goes wrong with one file."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from srdemo import workspace
from srdemo.batch import read_report, run_batch
from srdemo.request import UpscaleRequest
from srdemo.synthetic import render_product

from conftest import ROOT


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def delivery(tmp_path) -> Path:
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tea.png", _png(render_product(1, 120)))
        zf.writestr("shelf/a/jam.png", _png(render_product(2, 90).resize((120, 90))))
        zf.writestr("shelf/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
        zf.writestr("../../evil.png", _png(render_product(3, 64)))
        zf.writestr("readme.txt", "hello")
    return path


def test_batch_keeps_folders_reports_failures_and_refuses_traversal(delivery, tmp_path):
    out = tmp_path / "out"
    result = run_batch([delivery], out, UpscaleRequest(model="lanczos", scale=2))
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        assert Image.open(io.BytesIO(zf.read("shelf/a/jam.png"))).size == (240, 180)
    assert names == {"tea.png", "shelf/a/jam.png", "report.csv"}
    rows = {r["file"]: r for r in read_report(out / "report.csv")}
    assert rows["tea.png"]["status"] == "ok" and rows["tea.png"]["output size"] == "240x240"
    assert rows["shelf/broken.jpg"]["status"] == "failed" and "damaged" in rows["shelf/broken.jpg"]["warnings"]
    assert rows["../../evil.png"]["status"] == "skipped" and "outside" in rows["../../evil.png"]["warnings"]
    assert rows["readme.txt"]["status"] == "skipped"
    assert not (tmp_path.parent / "evil.png").exists()
    assert result.failed == 1


def test_workers_overlap_files_and_give_the_same_zip_and_report_as_one_after_another(tmp_path, monkeypatch):
    import threading

    from srdemo import batch

    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        (src / f"p{i}.png").write_bytes(_png(render_product(60 + i, 48)))
    (src / "p0.jpg").write_bytes(_png(render_product(70, 48)))  # lands on p0.png's output name
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    at_once, running, lock = [], [0], threading.Lock()
    real = batch.process_one

    def counting(*args, **kwargs):
        with lock:
            running[0] += 1
            at_once.append(running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(batch, "process_one", counting)
    request = UpscaleRequest(model="x4", scale=2, format="png")
    results, order = {}, {}
    for workers in (1, 3):
        seen = []
        results[workers] = run_batch([src], tmp_path / f"w{workers}", request, workers=workers,
                                     progress=lambda i, name, seen=seen: seen.append(name))
        order[workers] = seen
        if workers == 1:
            assert max(at_once) == 1
            at_once.clear()
    assert max(at_once) >= 2  # files really were in progress together
    assert order[1] == order[3]  # progress follows the input order either way
    contents = {}
    for workers, result in results.items():
        with zipfile.ZipFile(result.zip_path) as zf:
            contents[workers] = {n: zf.read(n) for n in zf.namelist() if n != "report.csv"}
    assert contents[1] == contents[3] and "p0 (2).png" in contents[3]  # same names, same bytes
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(results[1].rows) == strip(results[3].rows) and results[3].failed == 1


@pytest.mark.slow
def test_two_torchrun_workers_process_each_file_once_and_merge_the_same_report(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import _free_port

    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i in range(7):
        render_product(50 + i, 64).save(src / ("sub" if i % 2 else "") / f"p{i}.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    args = ["batch", str(src), "--model", "lanczos", "--scale", "2", "--no-check"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", "srdemo", *args, "--out", str(tmp_path / "one")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert one.returncode == 2  # one broken file
    two = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
         "-m", "srdemo", *args, "--out", str(tmp_path / "two")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert (tmp_path / "two" / "report.csv").exists(), two.stderr[-2000:]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    a, b = read_report(tmp_path / "one" / "report.csv"), read_report(tmp_path / "two" / "report.csv")
    assert strip(a) == strip(b)
    files = [r["file"] for r in b]
    assert len(files) == len(set(files)) == 8
    for part in ("report-0.csv", "report-1.csv"):
        assert 0 < len(read_report(tmp_path / "two" / part)) < 8  # the work really was split
    with zipfile.ZipFile(tmp_path / "two" / "results.zip") as zf:
        assert sorted(zf.namelist()) == sorted([r["file"] for r in b if r["status"] == "ok"] + ["report.csv"])


def test_cli_batch_with_a_messy_zip(delivery, tmp_path):
    from srdemo.cli import main

    assert main(["batch", str(delivery), "--model", "lanczos", "--preset", "shopify", "--out", str(tmp_path / "o")]) == 2
    rows = {r["file"]: r for r in read_report(tmp_path / "o" / "report.csv")}
    assert rows["shelf/a/jam.png"]["output size"] == "2048x2048"
    assert rows["shelf/broken.jpg"]["status"] == "failed"
    assert rows["../../evil.png"]["status"] == "skipped"
    with zipfile.ZipFile(tmp_path / "o" / "results.zip") as zf:
        assert "shelf/a/jam.jpg" in zf.namelist()


def test_a_finished_batch_is_shown_again_after_an_app_restart(delivery, tmp_path, monkeypatch):
    """Jobs live in memory; the Batch tab finds the owner's newest finished batch on disk instead."""
    from srdemo.ui import batch as batch_tab

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    owner_dir = workspace.batches_dir("browser:restart-key")
    run_batch([delivery], owner_dir / "older" / "output", UpscaleRequest(model="lanczos", scale=2))
    assert batch_tab.on_batch_status("someone-else", None) == ("No batch yet.", [], None)

    status, rows, zip_copy = batch_tab.on_batch_status("restart-key", None)

    assert status == "Finished earlier: 2 image(s) done, 1 failed. Download the zip below."
    assert {r[0] for r in rows} >= {"tea.png", "shelf/a/jam.png", "shelf/broken.jpg"}
    with zipfile.ZipFile(zip_copy) as zf:
        assert {"tea.png", "shelf/a/jam.png", "report.csv"} <= set(zf.namelist())
