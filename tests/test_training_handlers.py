"""The Train tab's handlers called directly (no app launched): what the page gets for each event."""

import json
import re
import threading
import time
import warnings
from types import SimpleNamespace

import gradio as gr
import pytest
from tiny_runs import tiny_config

from srdemo import runs, wording, workspace
from srdemo.caller import mint_key
from srdemo.training import History, Progress
from srdemo.ui import training
from srdemo.ui.common import owner_of
from srdemo.wording import text

KEY = mint_key("browser")  # as the page gets it on its first load


@pytest.fixture()
def request_(tmp_path, monkeypatch):
    """A page's request, with runs kept in this test's folder."""
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    return gr.Request()


def _start(files, use_examples, name, request, scale=4):
    return training.on_train_start(files, use_examples, "scratch", scale, "bicubic", "quick", 2e-4, 8, 96, 0, name,
                                   KEY, request)


def test_starting_without_photos_says_why_beside_the_buttons(request_):
    for files, name in ((None, ""), ([], "my shoes")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # said once, in the line: no pop-up too (gr.Warning outside a page warns)
            line, *rest = _start(files, False, name, request_)
        assert line == text("ui_common_not_done", reason=text("err_train_no_photos"))
        assert rest == [gr.skip()] * 7  # the status, curves and files keep showing the last run
    assert not workspace.run_dirs(owner_of(KEY, request_))  # nothing was started or left behind


def _finished_run(owner: str, psnr: list[float], loss: list[float], bicubic: float | None = None, base: float | None = None):
    run = workspace.owner_dir(owner) / "run-20261201-000000-abcdef"
    (run / "model").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"config": {"data": ["x"], "out": str(run / "model"), "name": "我的商品-x4"}}))
    history = History(loss=list(enumerate(loss, 1)), val=[(10 * (i + 1), p, 0.9) for i, p in enumerate(psnr)],
                      bicubic=None if bicubic is None else (bicubic, 0.8), base=None if base is None else (base, 0.85))
    (run / "model" / "history.json").write_text(json.dumps(history.to_json()))
    return run


def test_the_charts_y_range_is_padded_around_the_data_with_the_decimals_it_needs(request_):
    _finished_run(owner_of(KEY, request_), psnr=[26.70, 26.85, 26.92], loss=[0.09, 0.05, 0.031])
    _, loss, psnr, *_ = training.on_train_status(KEY, request_)
    assert psnr["y_lim"] == [26.5, 27.2] and psnr["y_axis_format"] == ".1f"  # at least half a dB: labels 26.5, 26.6 ...
    assert loss["y_lim"] == [0.02, 0.1] and loss["y_axis_format"] == ".2f"
    assert list(psnr["value"]["step"]) == [10, 20, 30]
    assert training.y_axis([26.70, 26.85, 26.92]) == (26.67, 26.95, 2)  # unbounded, the range hugs the data
    assert training.y_axis([27.0, 28.5], least=0.5) == (26.8, 28.7, 1)  # a run that moved more keeps its own range
    # one point, a flat line, a loss: a band around the data, never below zero for what cannot be
    assert training.y_axis([26.8]) == (26.77, 26.83, 2)
    assert training.y_axis([30.0, 30.0]) == (29.97, 30.03, 2)
    assert training.y_axis([0.5, 0.1, 0.02]) == (0.0, 0.6, 1)
    assert training.y_axis([0.031, 0.027]) == (0.026, 0.032, 3)


def test_the_publish_field_suggests_an_ascii_repo_name_for_the_models_name(request_):
    run = _finished_run(owner_of(KEY, request_), psnr=[26.7], loss=[0.05])
    repo = training.on_train_status(KEY, request_)[6]
    assert repo["placeholder"] == runs.repo_suggestion(run) and repo["placeholder"].startswith("srdemo-x4-")
    assert "value" not in repo  # what the visitor typed there stays


def test_the_name_field_suggests_a_name_from_the_upload(request_, tmp_path):
    assert training.on_default_name([str(tmp_path / "shoes.zip")], False, 2, request_)["placeholder"] == "shoes-x2"
    assert training.on_default_name(None, True, 4, request_)["placeholder"] == "example-products-x4"
    assert training.on_default_name(None, False, 4, request_)["placeholder"] == "my-products-x4"


def test_the_status_line_says_the_time_left(request_, monkeypatch):
    """A run's status as the page polls it: the step, the time left at the pace since it (re)started, the loss."""
    reported, release = threading.Event(), threading.Event()

    def report_then_wait(config, progress=None, should_stop=None):
        progress(Progress(120, 600, 0.0123, History(), 60.0, 0))
        reported.set()
        release.wait(10)

    monkeypatch.setattr(runs, "train", report_then_wait)
    monkeypatch.setattr(runs, "_check_free", lambda owner: None)
    owner = owner_of(KEY, request_)
    run = workspace.new_run_dir(owner)
    job = runs._submit(owner, run, tiny_config(run / "uploads", run / "model"))  # what start and resume both end in
    try:
        assert reported.wait(10)
        status = training.on_train_status(KEY, request_)[0]
        assert status.startswith("Training: step 120/600, about 4 min left") and "loss" not in status  # issue 41
        assert training.on_train_status(KEY, request_)[-1] == gr.skip()  # while it runs, the start's line stays
    finally:
        release.set()
        while job.running:
            time.sleep(0.02)
    assert job.status == "done", job.error


def test_a_named_start_reaches_the_run(request_, monkeypatch):
    seen = []

    def start(caller, files, use_examples, settings):
        seen.append(settings)
        return SimpleNamespace(info={"run": _finished_run(caller.owner, [26.0], [0.1])})

    monkeypatch.setattr(runs, "start", start)
    line, *_ = training.on_train_start(None, True, "scratch", 4, "bicubic", "quick", 2e-4, 8, 96, 0, "我的商品-x4", KEY,
                                       request_)
    assert seen[0].name == "我的商品-x4" and seen[0].scale == 4
    assert line == text("ui_train_started", name="我的商品-x4")  # the start confirms the run by the name it got


def test_the_quality_chart_reads_well_from_its_first_point(request_):
    """Issue 41: one check once drew a strip labelled '26.3997878157'; now two lines in a half-dB band or more."""
    key = mint_key("browser")  # a page of its own: no earlier test's job is its latest
    _finished_run(owner_of(key, request_), psnr=[26.3997878157], loss=[0.05], bicubic=25.91234, base=26.0876)
    state, loss, psnr, figures, *_ = training.on_train_status(key, request_)
    frame = psnr["value"]
    mine = frame[frame["series"] == "Your model"]
    assert list(mine["step"]) == [0, 10] and list(mine["value"]) == [26.0876, 26.4]  # from the starting model
    plain = frame[frame["series"] == "Plain enlargement"]
    assert list(plain["step"]) == [0, 10] and set(plain["value"]) == {25.91}  # a level to read it against
    low, high = psnr["y_lim"]
    assert high - low >= training.QUALITY_BAND_DB and low < 25.91 and high > 26.4 and psnr["y_axis_format"] == ".1f"
    assert figures.splitlines()[0] == (
        "Your model now: +0.5 dB against a plain enlargement on your held-out photos (26.4 dB; best so far 26.4 dB; "
        "higher is better)")
    assert not re.search(r"\d\.\d{3,}", figures) and "PSNR" not in figures and "loss" not in figures.lower()
    with wording.language("zh"):
        zh = training._figures(History(val=[(10, 26.3997878157, 0.9)], bicubic=(25.91234, 0.8)))
    assert zh.startswith("你现在的模型：在你留出的照片上比普通放大 +0.5 dB") and "26.4 dB" in zh


def _ended(status: str):
    return SimpleNamespace(running=False, status=status, error="boom", info={})


def test_after_stop_or_the_end_the_line_under_the_buttons_says_what_was_kept(tmp_path):
    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"config": {"data": ["x"], "out": str(run / "model"), "name": "shoes-x4"}}))
    history = History(val=[(100, 26.61, 0.9), (200, 26.93, 0.9), (300, 26.88, 0.9)])
    assert training._ended_line(_ended("cancelled"), run, history) == text("ui_train_kept_nothing")  # no weights yet
    (run / "model" / "model.safetensors").write_bytes(b"weights")
    stopped = training._ended_line(_ended("cancelled"), run, history)
    assert stopped == ("Kept “shoes-x4”: its best weights, from step 200 (26.9 dB on your held-out photos). "
                       "It is in the Upscale tab's model list now; press Resume to train it further.")
    finished = training._ended_line(_ended("done"), run, history)
    assert finished.endswith("It is in the Upscale tab's model list now.") and "Started" not in finished
    assert training._ended_line(SimpleNamespace(running=True), run, history) == gr.skip()
