"""Batches: many files in, a zip with the same folders and a report out, whatever goes wrong with one file."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from srdemo import workspace
from srdemo.batch import read_report, run_batch
from srdemo.caller import LOCAL, mint_key, owner_of_key
from srdemo.report import preview_names
from srdemo.request import UpscaleRequest
from srdemo.synthetic import render_product

from conftest import ROOT, png_bytes


@pytest.fixture()
def delivery(tmp_path) -> Path:
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tea.png", png_bytes(render_product(1, 120)))
        zf.writestr("shelf/a/jam.png", png_bytes(render_product(2, 90).resize((120, 90))))
        zf.writestr("shelf/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
        zf.writestr("../../evil.png", png_bytes(render_product(3, 64)))
        zf.writestr("readme.txt", "hello")
    return path


def test_batch_keeps_folders_reports_failures_and_refuses_traversal(delivery, tmp_path):
    out = tmp_path / "out"
    result = run_batch([delivery], out, UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        assert Image.open(io.BytesIO(zf.read("shelf/a/jam.png"))).size == (240, 180)
    assert names == {"tea.png", "shelf/a/jam.png", "report.csv", "report.html", *preview_names("tea.png"),
                     *preview_names("shelf/a/jam.png")}
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
        (src / f"p{i}.png").write_bytes(png_bytes(render_product(60 + i, 48)))
    (src / "p0.jpg").write_bytes(png_bytes(render_product(70, 48)))  # lands on p0.png's output name
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
    request = UpscaleRequest(model="x4", scale=2, format="png", caller=LOCAL)
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
        done = [r["file"] for r in b if r["status"] == "ok"]
        assert sorted(zf.namelist()) == sorted(done + [n for f in done for n in preview_names(f)] + ["report.csv", "report.html"])


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
    key = mint_key("browser")
    owner_dir = workspace.batches_dir(owner_of_key(key))
    run_batch([delivery], owner_dir / "older" / "output", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    status, gallery, problems, zip_copy, _ = batch_tab.on_batch_status("someone-else", None)
    assert (status, gallery, problems, zip_copy) == ("No batch yet.", [], "", None)

    status, gallery, problems, zip_copy, pairs = batch_tab.on_batch_status(key, None)

    assert status == "Finished earlier: 2 of 5 done (1 failed, 2 skipped, 0 with warnings). Download the zip below."
    assert sorted(caption.split(":")[0] for _, caption in gallery) == ["shelf/a/jam.png", "tea.png"] and len(pairs) == 2
    assert "shelf/broken\\.jpg: Failed: " in problems and "damaged" in problems
    with zipfile.ZipFile(zip_copy) as zf:
        assert {"tea.png", "shelf/a/jam.png", "report.csv"} <= set(zf.namelist())


def test_the_time_left_is_the_pace_so_far_times_the_files_not_finished():
    from srdemo.batch import Tally, status_line

    tally = Tally(total=10, started=100.0)
    assert tally.summary(now=105.0).seconds_left is None  # no file finished: no pace yet
    assert status_line(tally.summary(now=105.0), "running") == "Running: 0 of 10 done (0 failed, 0 with warnings) · 5 s so far"
    tally.rows += [{"file": "a", "status": "ok", "warnings": ""}, {"file": "b", "status": "ok", "warnings": "colours changed"},
                   {"file": "c", "status": "failed", "warnings": "damaged"}, {"file": "d", "status": "skipped", "warnings": "x"}]
    summary = tally.summary(now=170.0)
    assert (summary.done, summary.failed, summary.skipped, summary.warned, summary.total) == (2, 1, 1, 1, 10)
    assert summary.seconds == 70.0 and summary.seconds_left == 70.0 / 4 * 6
    assert status_line(summary, "running") == (
        "Running: 2 of 10 done (1 failed, 1 skipped, 1 with warnings) · 1 min 10 s so far · about 2 min left"
    )
    tally.seconds = 3725.0  # it ended: nothing is left, the time is the whole batch's
    assert tally.summary().seconds_left is None
    assert status_line(tally.summary(), "cancelled").endswith("· took 1 h 2 min. What was done is in the zip below.")


def test_a_running_batch_knows_its_total_before_the_first_file(delivery, tmp_path):
    from srdemo.batch import Tally

    tally, seen = Tally(), []
    result = run_batch([delivery], tmp_path / "out", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL), tally=tally,
                       progress=lambda i, name: seen.append((tally.summary().total, len(tally.rows))))
    assert seen == [(5, i) for i in range(1, 6)]  # two images, a broken one, one outside the zip, a text file
    done = result.summary()
    assert (done.total, done.done, done.failed, done.skipped) == (5, 2, 1, 2)
    assert tally.seconds is not None and result.seconds == tally.seconds and done.seconds_left is None


def test_the_report_for_people_leads_with_file_result_and_problem_in_plain_words(delivery, tmp_path):
    from srdemo.batch import people_table

    result = run_batch([delivery], tmp_path / "out", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    headers, cells = people_table(result.rows)
    assert headers[:3] == ["File", "Result", "Problem, and what to do"]
    assert headers[3:] == ["Size before", "Size after", "Model", "Why this model", "Time (s)",
                           "Sharper than a plain enlargement by (dB)", "Colour change (under 2 is hard to see)"]
    rows = {row[0]: row for row in cells}
    assert rows["tea.png"][1:3] == ["done", ""] and rows["tea.png"][4] == "240x240"
    assert rows["shelf/broken.jpg"][1] == "failed" and "damaged" in rows["shelf/broken.jpg"][2]
    assert rows["../../evil.png"][1] == "skipped" and "outside" in rows["../../evil.png"][2]
    assert all(len(row) == len(headers) for row in cells)


def test_report_csv_keeps_its_english_columns_and_a_copy_for_people_comes_in_their_language(delivery, tmp_path, monkeypatch):
    import codecs
    import csv

    from srdemo import wording
    from srdemo.batch import PEOPLE_COLUMNS

    monkeypatch.setitem(wording.MESSAGES, "zh", {
        "batch_col_file": "文件", "batch_col_result": "结果", "batch_result_done": "完成",
        "err_image_unreadable": "'{name}' 已损坏（{detail}）",  # said in a worker thread: the language must reach it
    })
    with wording.language("zh"):
        result = run_batch([delivery], tmp_path / "zh", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL), workers=2)
        people_headers = [wording.text(key) for key, _ in PEOPLE_COLUMNS]
    english = run_batch([delivery], tmp_path / "en", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))

    stable = ["file", "status", "input size", "output size", "model", "seconds", "self-check gain (dB)",
              "colour difference (dE2000)", "warnings", "model reason"]  # spelled out: programs read these names
    for out in (tmp_path / "zh", tmp_path / "en"):
        with open(out / "report.csv", newline="", encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == stable
    rows = {r["file"]: r for r in read_report(tmp_path / "zh" / "report.csv")}
    assert rows["tea.png"]["status"] == "ok" and "已损坏" in rows["shelf/broken.jpg"]["warnings"]

    raw = (tmp_path / "zh" / "report-zh.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # spreadsheet programs need it to read Chinese as UTF-8
    header, *lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == people_headers and header[:2] == ["文件", "结果"] and len(lines) == len(result.rows) == 5
    assert all(len(line) == len(header) for line in lines)
    assert dict((line[0], line[1]) for line in lines)["tea.png"] == "完成"
    with zipfile.ZipFile(result.zip_path) as zf:
        assert zf.read("report-zh.csv") == raw
    with zipfile.ZipFile(english.zip_path) as zf:
        assert not [n for n in zf.namelist() if n.startswith("report-")]
    assert not list((tmp_path / "en").glob("report-*.csv"))


def test_a_job_speaks_the_language_it_was_started_in(monkeypatch):
    import time

    from srdemo import wording
    from srdemo.jobs import JobManager

    jobs = JobManager()
    with wording.language("zh"):
        job = jobs.submit("browser:lang", "batch", lambda job: wording.current_language())
    deadline = time.time() + 10
    while job.running and time.time() < deadline:
        time.sleep(0.01)
    assert job.result == "zh"


def test_the_preset_greys_out_the_controls_it_overrides():
    from srdemo.ui.batch import on_preset

    def interactive(preset_id):
        return [update["interactive"] for update in on_preset(preset_id)]  # size, square, scale

    assert interactive("amazon-main") == interactive("shopify") == [False, False, False]
    assert interactive("custom") == [True, True, False]
    assert interactive("none") == [False, False, True]


def test_a_reloaded_page_shows_the_settings_of_its_own_batch_only(delivery, tmp_path, monkeypatch):
    import time

    from srdemo.jobs import JOBS
    from srdemo.ui import batch as batch_tab

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    key = mint_key("browser")
    batch_tab.on_batch_start([str(delivery)], "custom", "1200x900", True, "lanczos", 3, "webp", 80, True, True,
                             key, None)
    deadline = time.time() + 120
    while JOBS.latest(owner_of_key(key), "batch").running and time.time() < deadline:
        time.sleep(0.1)

    updates = batch_tab.on_batch_form(key, None)
    assert [u["value"] for u in updates] == ["custom", "1200x900", True, "lanczos", 3.0, "webp", 80, True, True]
    assert [updates[i]["interactive"] for i in (1, 2, 4)] == [True, True, False]  # size, square; the scale is overridden
    assert not any("value" in u for u in batch_tab.on_batch_form(mint_key("browser"), None))
    status, gallery, problems, zip_copy, _ = batch_tab.on_batch_status(key, None)
    assert status.startswith("Finished: 2 of 5 done (1 failed, 2 skipped") and "· took " in status
    assert len(gallery) == 2 and "shelf/broken\\.jpg" in problems and zip_copy


def test_a_batch_still_counting_its_files_says_so_rather_than_0_of_0():
    from srdemo.batch import Summary, status_line

    assert status_line(Summary(total=0), "running") == "Starting: counting the files..."
    assert status_line(Summary(total=3, seconds=4.0), "running").startswith("Running: 0 of 3 done")


def _five_with_one_broken(tmp_path) -> list[Path]:
    sources = []
    for i in range(4):
        path = tmp_path / f"shot{i}.png"
        render_product(10 + i, 96).save(path)
        sources.append(path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return [*sources, broken]


def test_the_tab_shows_a_picture_of_each_finished_file_and_each_problem_in_full(tmp_path):
    """While it runs and once finished (its previews then only in the zip): a gallery item per done file,
    captioned with its name and verdict; the broken file's reason whole, once."""
    from srdemo.batch import at_a_glance

    seen = []
    out = tmp_path / "out"

    def look(i, name):  # as the page's poll does, while the batch runs
        seen.append(at_a_glance(out, list(tally.rows), tmp_path / "running-view"))

    from srdemo.batch import Tally

    tally = Tally()
    result = run_batch(_five_with_one_broken(tmp_path), out, UpscaleRequest(model="lanczos", scale=2, caller=LOCAL),
                       progress=look, tally=tally)
    reason = next(r["warnings"] for r in result.rows if r["file"] == "broken.jpg")
    assert "damaged" in reason
    assert max(len(shown) for shown, _ in seen) >= 3  # pictures while it runs, from the batch's record

    shown, lines = at_a_glance(out, result.rows, tmp_path / "view")

    done = {r["file"]: r["verdict"] for r in result.rows if r["status"] == "ok"}
    assert len(done) == 4 and sorted(s.file for s in shown) == sorted(done)
    for item in shown:
        assert item.caption == f"{item.file}: {done[item.file]}" and done[item.file]
        for picture in (item.before, item.after):
            with Image.open(picture) as img:
                assert img.format == "JPEG" and max(img.size) <= 480
    assert [line for line in lines if "broken.jpg" in line] == [f"broken.jpg: Failed: {reason}"]
    assert len(lines) == 1  # the done files had nothing to warn about
