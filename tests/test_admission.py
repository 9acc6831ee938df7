"""Admission on the one request path: every job holds its memory of one budget, and a visitor's result
counts against their own disk."""

import io
import threading

import numpy as np
import pytest
from PIL import Image

from srdemo import devices, images, pipeline, request, workspace
from srdemo.caller import LOCAL, Caller
from srdemo.errors import Cancelled, SrdemoError
from srdemo.request import UpscaleRequest, upscale
from srdemo.settings import get_settings


def _noise_png(side: int, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _lanczos(caller: Caller = LOCAL) -> UpscaleRequest:
    return UpscaleRequest(model="lanczos", scale=2, check=False, caller=caller)


@pytest.fixture()
def known_memory(monkeypatch):
    """The machine's free memory out of the way: these tests are about the budget."""
    monkeypatch.setattr(devices, "available_memory", lambda root=None: None)


class Gate:
    """Stands in for the upscale itself: counts the jobs inside it and keeps them there until ``open``."""

    def __init__(self, monkeypatch) -> None:
        self.cond = threading.Condition()
        self.inside = self.most = self.waiting = 0
        self.released = threading.Event()
        real = request.upscale_picture

        def gated(*args, **kwargs):
            with self.cond:
                self.inside += 1
                self.most = max(self.most, self.inside)
                self.cond.notify_all()
            self.released.wait(60)
            try:
                return real(*args, **kwargs)
            finally:
                with self.cond:
                    self.inside -= 1

        monkeypatch.setattr(request, "upscale_picture", gated)

    def progress(self, fraction: float, message: str) -> None:
        if message.startswith("Waiting for a free turn"):
            with self.cond:
                self.waiting += 1
                self.cond.notify_all()

    def until(self, predicate) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), 60)


def test_a_resampler_job_bigger_than_the_memory_budget_is_refused_in_plain_words(monkeypatch, known_memory):
    data = _noise_png(300)
    need = pipeline.resampler_memory(images.decode(data, "n.png"), (600, 600))
    monkeypatch.setenv("SRDEMO_MEMORY_MB", str(need / 2 / 1e6))
    with pytest.raises(SrdemoError, match="GB of memory"):
        upscale(data, _lanczos(Caller.visitor("browser:big")), name="n.png")
    assert devices.MEMORY.in_use == 0


def test_resampler_jobs_beyond_the_budget_wait_their_turn_and_say_so(monkeypatch, known_memory):
    """Three jobs, room for two: the third waits (and is told) until one of the two is done."""
    data = _noise_png(200)
    need = pipeline.resampler_memory(images.decode(data, "n.png"), (400, 400))
    monkeypatch.setenv("SRDEMO_MEMORY_MB", str(2.5 * need / 1e6))
    gate, done = Gate(monkeypatch), []
    workers = [threading.Thread(target=lambda i=i: done.append(upscale(
        data, _lanczos(Caller.visitor(f"browser:{i}")), name="n.png", progress=gate.progress))) for i in range(3)]
    for w in workers:
        w.start()
    gate.until(lambda g: g.inside + g.waiting == 3)
    assert (gate.inside, gate.waiting) == (2, 1)
    gate.released.set()
    for w in workers:
        w.join(60)
    assert len(done) == 3 and gate.most == 2 and devices.MEMORY.in_use == 0


def test_a_resampler_runs_beside_one_neural_share_and_waits_while_neural_jobs_hold_it_all(known_memory):
    settings = get_settings()
    share = settings.memory_bytes // settings.neural_jobs
    with devices.MEMORY.hold(share):  # one neural job under way: room is left
        assert upscale(_noise_png(32), _lanczos(), name="n.png").picture.size == (64, 64)
    told, done = threading.Event(), []
    whole = devices.MEMORY.hold(share * settings.neural_jobs)
    whole.__enter__()  # every neural slot taken
    try:
        worker = threading.Thread(target=lambda: done.append(upscale(
            _noise_png(32), _lanczos(), name="n.png",
            progress=lambda f, msg: msg.startswith("Waiting for a free turn") and told.set())))
        worker.start()
        assert told.wait(60) and not done
    finally:
        whole.__exit__(None, None, None)
    worker.join(60)
    assert done and done[0].picture.size == (64, 64)


def test_a_job_cancelled_while_it_waits_leaves_without_running(known_memory):
    told, stop, outcome = threading.Event(), threading.Event(), []

    def job():
        try:
            upscale(_noise_png(32), _lanczos(), name="n.png", should_stop=stop.is_set,
                    progress=lambda f, msg: msg.startswith("Waiting for a free turn") and told.set())
            outcome.append("ran")
        except Cancelled:
            outcome.append("cancelled")

    with devices.MEMORY.hold(get_settings().memory_bytes):
        worker = threading.Thread(target=job)
        worker.start()
        assert told.wait(60)
        stop.set()
        worker.join(60)
    assert outcome == ["cancelled"] and devices.MEMORY.in_use == 0


def test_a_container_short_of_memory_refuses_a_job_the_budget_would_allow(monkeypatch):
    monkeypatch.setattr(devices, "available_memory", lambda root=None: 1_000_000)  # 1 MB left under the cgroup limit
    with pytest.raises(SrdemoError, match="GB of memory"):
        upscale(_noise_png(300), _lanczos(Caller.visitor("browser:c")), name="n.png")


def test_a_visitors_result_counts_against_their_disk_and_one_beyond_it_is_refused(tmp_path, monkeypatch, known_memory):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    alice = Caller.visitor("browser:alice")
    done = upscale(_noise_png(100), _lanczos(alice), name="n.png")
    saved = done.save(workspace.scratch_dir(alice.owner))
    assert workspace.disk_used(alice.owner) == len(done.data) == saved.stat().st_size
    assert workspace.disk_used("browser:bob") == 0
    # the next result (up to its raw 200x200x3 bytes) would pass alice's budget: refused before any work
    monkeypatch.setenv("SRDEMO_MAX_OWNER_MB", str((len(done.data) + 100_000) / 1e6))
    with pytest.raises(SrdemoError, match="This result"):
        upscale(_noise_png(100, seed=1), _lanczos(alice), name="m.png")
    upscale(_noise_png(100, seed=1), _lanczos(Caller.visitor("browser:bob")), name="m.png")  # bob has room
    upscale(_noise_png(100, seed=1), _lanczos(LOCAL), name="m.png")  # the machine's user writes where they say
