"""Estimates: one plan per job from the measured speeds, the sentence, the CPU time cap, and what a job teaches."""

import threading

import numpy as np
import pytest

from srdemo import engine, models, speed
from srdemo.caller import LOCAL
from srdemo.devices import pick_device
from srdemo.engine import SPEEDS, EngineOptions


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file), LOCAL)


def _key(model, options=EngineOptions()):
    return engine.speed_key(model, pick_device(options.device), options.backend)


def _known(model, seconds_per_pixel, options=EngineOptions(), other=0.0, fixed=None):
    """Speeds as if measured: the model's passes, and the cost of a job's other pixels (and of a job)."""
    SPEEDS.learn(_key(model, options), seconds_per_pixel, 1)
    SPEEDS.learn(speed.OTHER, other, 1)
    if fixed is not None:
        SPEEDS.learn(speed.FIXED, fixed, 1)


def test_a_probe_measures_the_speed_and_estimates_follow_the_pixels(compact):
    options = EngineOptions(tile=512)
    unmeasured = speed.plan(compact, (100, 100), (200, 200), options)
    assert unmeasured.seconds is None and speed.sentence(unmeasured).startswith("Speed on this CPU not measured yet")
    assert speed.speed_of(compact, options) > 0
    small = speed.plan(compact, (100, 100), (200, 200), options).seconds
    big = speed.plan(compact, (200, 200), (400, 400), options).seconds
    assert big[0] == pytest.approx(4 * small[0], rel=1e-6)  # one untiled pass: four times the pixels
    assert speed.plan(models.load("lanczos", LOCAL), (100, 100), (200, 200)) is None  # a resampler is instant


def test_admit_measures_an_unmeasured_model_then_refuses_a_cpu_job_over_the_cap(compact, monkeypatch):
    from srdemo.errors import SrdemoError

    options = EngineOptions(tile=512)
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "0.000001")
    with pytest.raises(SrdemoError, match=r"would take [\d.]+ to [\d.]+ min on this CPU, more than the 0.0 min allowed"):
        speed.admit(compact, (100, 100), (200, 200), options)
    assert SPEEDS.get(_key(compact)) is not None  # measured on the way
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "600")
    plan = speed.admit(compact, (100, 100), (200, 200), options)  # within the cap: its plan
    assert plan.seconds is not None and plan.model_pixels == 200 * 200
    assert speed.admit(models.load("lanczos", LOCAL), (100, 100), (20000, 20000), EngineOptions()) is None  # never refused


def test_an_estimate_is_a_range_under_2x_and_reads_as_one_sentence(compact):
    _known(compact, 0.5e-6)  # 2 output MP/s
    low, high = speed.plan(compact, (100, 100), (200, 200)).seconds
    pixels = 200 * 200  # one x2 pass makes the target
    assert high / low < 2
    assert low < pixels / 2e6 < high
    assert speed.sentence(speed.plan(compact, (100, 100), (200, 200))) == "Takes under a second on this CPU."  # not "0.0 to 0.0 s"
    big = speed.plan(compact, (1000, 1000), (2000, 2000))
    assert speed.sentence(big) == f"Takes about {big.seconds[0]:.1f} to {big.seconds[1]:.1f} s on this CPU."


def test_a_job_is_refused_only_when_even_the_low_end_passes_the_cap(compact, monkeypatch):
    from srdemo.errors import SrdemoError

    options = EngineOptions(tile=128)
    _known(compact, 1e-6, options)  # 1 MP/s
    low, high = speed.plan(compact, (1000, 1000), (2000, 2000), options).seconds
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", str((low + high) / 2))  # the cap falls inside the range
    speed.admit(compact, (1000, 1000), (2000, 2000), options)
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", str(low * 0.9))
    with pytest.raises(SrdemoError) as err:
        speed.admit(compact, (1000, 1000), (2000, 2000), options)
    assert f"{low / 60:.1f} to {high / 60:.1f} min" in str(err.value)


def test_white_margins_are_left_out_of_the_estimate(compact, compact_file):
    """A packshot on white costs the model its product's box only; the estimate says so, the grey twin does not."""
    import io

    from PIL import Image

    from srdemo.images import decode
    from srdemo.pipeline import model_box
    from srdemo.request import UpscaleRequest, estimate
    from srdemo.synthetic import render_product

    white = np.asarray(render_product(2, 300).convert("RGB")).copy()
    grey = white.copy()
    grey[(grey == 255).all(axis=2)] = 250

    def png(arr):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "PNG")
        return buf.getvalue()

    _known(compact, 1e-6)  # 1 MP/s
    box = model_box(decode(png(white)))
    assert model_box(decode(png(grey))) is None
    on_white = speed.plan(compact, (300, 300), (600, 600), box=box).seconds
    on_grey = speed.plan(compact, (300, 300), (600, 600)).seconds
    assert on_white[0] < 0.7 * on_grey[0]
    request = UpscaleRequest(model=str(compact_file), scale=4, caller=LOCAL)
    sentences = estimate(png(white), request, name="w.png"), estimate(png(grey), request, name="g.png")
    assert sentences[0] != sentences[1]


def test_a_finished_job_teaches_the_cost_of_its_other_pixels_or_of_a_job(compact, monkeypatch):
    """What a job's time leaves besides its passes is the cost of its other pixels (a big job) or the
    fixed cost of a job (a small one); the passes taught the model's speed themselves, and the plan made at
    admission is the one recorded."""
    options = EngineOptions(tile=512)
    _known(compact, 1e-6, options, other=0.0)
    big = speed.plan(compact, (1000, 1000), (3000, 3000), options)  # an x2 pass, then Lanczos to x3
    assert big.other_pixels >= speed.BIG_JOB_PIXELS
    monkeypatch.setattr(engine, "pass_seconds", lambda: big.started + 2.0)  # its passes took 2 s
    speed.record(big, 5.0)
    other = SPEEDS.get(speed.OTHER)
    assert other == pytest.approx(3.0 / big.other_pixels, rel=1e-5)  # the 3 s besides its passes
    assert SPEEDS.get(_key(compact, options)) == pytest.approx(1e-6)  # the model's speed is the passes' to teach
    assert SPEEDS.get(speed.FIXED) is None  # no small job yet

    small = speed.plan(compact, (100, 100), (150, 150), options)
    monkeypatch.setattr(engine, "pass_seconds", lambda: small.started + 0.5)
    speed.record(small, 1.0)
    assert SPEEDS.get(speed.OTHER) == other
    assert SPEEDS.get(speed.FIXED) == pytest.approx(0.5 - small.other_pixels * other)
    low, high = speed.plan(compact, (100, 100), (150, 150), options).seconds
    mid = small.model_pixels * 1e-6 + small.other_pixels * other + SPEEDS.get(speed.FIXED)
    assert (low * high) ** 0.5 == pytest.approx(mid)  # the fixed cost is in every estimate


def test_a_pass_teaches_its_time_on_the_device_not_its_wait_in_line(compact, monkeypatch):
    """A job waiting behind another's pass must not make its model look slow: the engine times a pass from
    the moment it holds the device (a fake clock jumps 100 s while it waits, and 2 s while it runs)."""
    from srdemo.devices import FairLock

    clock = [0.0]
    monkeypatch.setattr(engine.time, "perf_counter", lambda: clock[0])
    holder, waiting = threading.Event(), threading.Event()

    class Lock(FairLock):
        def acquire(self, shares=None):
            if holder.is_set():
                waiting.set()  # the job is in line now
            return super().acquire(shares)

    lock = Lock()
    monkeypatch.setattr(engine, "DEVICE_LOCK", lock)
    real = compact.descriptor

    class Slow:  # the network, taking 2 s of the fake clock
        def __getattr__(self, name):
            return getattr(real, name)

        def __call__(self, x):
            clock[0] += 2.0
            return real(x)

    monkeypatch.setattr(compact, "_descriptor", Slow())
    lock.acquire()
    holder.set()
    spent = []
    job = threading.Thread(target=lambda: (engine.run_model(compact, np.zeros((20, 30, 3), np.float32),
                                                            EngineOptions(tile=512)), spent.append(engine.pass_seconds())))
    job.start()
    assert waiting.wait(30)
    clock[0] += 100.0  # the other job's pass
    lock.release()
    job.join(30)
    assert SPEEDS.get(_key(compact)) == pytest.approx(2.0 / (40 * 60))
    assert spent == [pytest.approx(2.0)]


def test_a_model_loaded_again_keeps_its_pieces_to_the_time_cap(compact, compact_file):
    """The model cache may let a model go; loaded again, its pieces stay within the time cap its tiles set."""
    from srdemo.engine import tile_for
    from srdemo.models import MODEL_CACHE

    by_memory = tile_for(compact, EngineOptions())
    SPEEDS.learn(_key(compact), 2.0, 1_000_000)  # 0.5 output MP/s
    capped = tile_for(compact, EngineOptions())
    assert capped < by_memory  # 2 s at 0.5 MP/s: 500x500 of x2 output
    MODEL_CACHE.clear()
    again = models.load(str(compact_file), LOCAL)
    assert again is not compact and tile_for(again, EngineOptions()) == capped


def test_warming_up_measures_each_onnx_builtin_and_runs_its_largest_piece_outside_the_speeds():
    """What the app does at start, so a visitor's first job neither waits for the probe nor pays to grow
    the memory pool: each built-in on ONNX Runtime is measured, then runs one piece of the largest size
    its jobs would run, whose time (new memory) teaches no speed. The torch best tier is left alone."""
    from srdemo.engine import tile_for

    options = EngineOptions.from_settings()
    onnx = [models.load(spec, LOCAL) for spec in models.builtin_specs() if spec.exports]
    assert onnx and all(model.onnx is not None for model in onnx)
    ran = []  # (model, the image's sides, its speed then)

    class Spy:
        def __init__(self, model):
            self.model, self.net = model, model.onnx

        def __call__(self, tile, threads=None):
            ran.append((self.model.spec.id, tile.shape[:2], SPEEDS.get(_key(self.model, options))))
            return self.net(tile, threads)

    for model in onnx:
        model.onnx = Spy(model)
    speed.warm_up()
    for model in onnx:
        rate = SPEEDS.get(_key(model, options))
        side = tile_for(model, options)
        assert rate is not None  # measured
        assert (model.spec.id, (side, side), rate) in ran  # the largest piece ran, and the speed stayed
    assert {model_id for model_id, _, _ in ran} == {model.spec.id for model in onnx}


def test_a_failed_warm_up_leaves_the_app_running(monkeypatch, caplog):
    def broken(*_a, **_k):
        raise OSError("disk gone")

    monkeypatch.setattr(models, "load", broken)
    speed.warm_up()  # logs, does not raise
    assert "warming up" in caplog.text
