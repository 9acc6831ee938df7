"""Speed bookkeeping: measured, recorded per device, turned into estimates and the CPU time cap."""

import pytest

from srdemo import models, speed
from srdemo.caller import LOCAL


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file), LOCAL)


def test_speed_is_measured_recorded_and_used_for_estimates(compact):
    measured = speed.measure_speed(compact)
    assert measured > 0
    assert speed.recorded_speed(compact) == pytest.approx(measured, rel=1e-3)
    small = speed.estimate_range(compact, (100, 100), (200, 200))
    big = speed.estimate_range(compact, (200, 200), (400, 400))
    assert big[0] == pytest.approx(4 * small[0], rel=1e-6)  # one untiled pass: four times the pixels


def test_admit_measures_an_unmeasured_model_then_refuses_a_cpu_job_over_the_cap(compact, monkeypatch, tmp_path):
    from srdemo.engine import EngineOptions
    from srdemo.errors import SrdemoError

    assert speed.recorded_speed(compact) is None
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "0.000001")
    with pytest.raises(SrdemoError, match=r"would take [\d.]+ to [\d.]+ min on this CPU, more than the 0.0 min allowed"):
        speed.admit(compact, (100, 100), (200, 200), EngineOptions())
    assert speed.recorded_speed(compact) is not None  # measured on the way
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "600")
    speed.admit(compact, (100, 100), (200, 200), EngineOptions())  # within the cap: no error
    speed.admit(models.load("lanczos", LOCAL), (100, 100), (20000, 20000), EngineOptions())  # resamplers are never refused


def test_an_estimate_is_a_range_under_2x_from_the_median_of_recent_runs(compact):
    in_size, out_size = (100, 100), (200, 200)
    for mp_per_s in (1.0, 4.0, 2.0):  # three runs at different loads: the median is 2 MP/s
        speed.record_speed(compact, 1_000_000, 1 / mp_per_s)
    assert speed.recorded_speed(compact) == pytest.approx(2.0)
    low, high = speed.estimate_range(compact, in_size, out_size)
    pixels = 200 * 200  # one x2 pass makes the target
    assert high / low < 2
    assert low < pixels / 2e6 < high
    assert speed.estimate_sentence(compact, in_size, out_size) == "Takes under a second on this CPU."  # not "0.0 to 0.0 s"
    low, high = speed.estimate_range(compact, (1000, 1000), (2000, 2000))
    assert speed.estimate_sentence(compact, (1000, 1000), (2000, 2000)) == f"Takes about {low:.1f} to {high:.1f} s on this CPU."


def test_speeds_are_kept_per_tile_size_and_only_in_this_process(compact):
    from srdemo.engine import EngineOptions

    speed.record_speed(compact, 1_000_000, 1.0, options=EngineOptions(tile=128))
    assert speed.recorded_speed(compact, options=EngineOptions(tile=128)) == pytest.approx(1.0)
    assert speed.recorded_speed(compact, options=EngineOptions(tile=512)) is None
    speed.SPEEDS.clear()
    assert speed.recorded_speed(compact, options=EngineOptions(tile=128)) is None


def test_a_job_is_refused_only_when_even_the_low_end_passes_the_cap(compact, monkeypatch):
    from srdemo.engine import EngineOptions
    from srdemo.errors import SrdemoError

    options = EngineOptions(tile=128)
    speed.record_speed(compact, 1_000_000, 1.0, options=options)  # 1 MP/s
    low, high = speed.estimate_range(compact, (1000, 1000), (2000, 2000), options)  # 4 MP: 2.9 to 5.6 s
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", str((low + high) / 2))  # the cap falls inside the range
    speed.admit(compact, (1000, 1000), (2000, 2000), options)
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", str(low * 0.9))
    with pytest.raises(SrdemoError) as err:
        speed.admit(compact, (1000, 1000), (2000, 2000), options)
    assert f"{low / 60:.1f} to {high / 60:.1f} min" in str(err.value)


def test_white_margins_are_left_out_of_the_estimate(compact, compact_file):
    """A packshot on white costs the model its product's box only; the estimate says so, the grey twin does not."""
    import io

    import numpy as np
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

    speed.record_speed(compact, 1_000_000, 1.0)  # 1 MP/s
    box = model_box(decode(png(white)))
    assert model_box(decode(png(grey))) is None
    on_white = speed.estimate_range(compact, (300, 300), (600, 600), box=box)
    on_grey = speed.estimate_range(compact, (300, 300), (600, 600))
    assert on_white[0] < 0.7 * on_grey[0]
    request = UpscaleRequest(model=str(compact_file), scale=4, caller=LOCAL)
    sentences = estimate(png(white), request, name="w.png"), estimate(png(grey), request, name="g.png")
    assert sentences[0] != sentences[1]


def test_a_finished_job_teaches_its_model_time_and_the_rest_apart(compact):
    """The model's speed comes from the time its passes held the device; the rest of the job's time is
    the cost of its other pixels (learnt from big jobs) or the fixed cost of a job (from small ones)."""
    from srdemo.engine import EngineOptions, plan_work

    options = EngineOptions(tile=512)
    seed = speed.post_seconds_per_pixel()
    work, post, _ = plan_work(compact, (1000, 1000), (3000, 3000), options)  # an x2 pass, then Lanczos to x3
    speed.record_job(compact, (1000, 1000), (3000, 3000), 5.0, 2.0, options)
    assert speed.recorded_speed(compact, options=options) == pytest.approx(work / 2.0 / 1e6)
    learnt = (seed + 3.0 / post) / 2  # the median of the probe and this job
    assert speed.post_seconds_per_pixel() == pytest.approx(learnt)
    assert speed.job_fixed_seconds() == 0  # no small job yet
    speed.record_job(compact, (100, 100), (150, 150), 1.0, 0.5, options)
    assert speed.post_seconds_per_pixel() == pytest.approx(learnt)
    small_post = plan_work(compact, (100, 100), (150, 150), options)[1]
    assert speed.job_fixed_seconds() == pytest.approx(0.5 - small_post * learnt)
    low, high = speed.estimate_range(compact, (100, 100), (150, 150), options)
    assert low < 0.5 < high  # the fixed cost is in every estimate


def test_a_result_names_the_time_its_model_passes_took(compact, monkeypatch):
    import time

    import numpy as np

    from srdemo import engine
    from srdemo.images import Picture
    from srdemo.pipeline import upscale_picture

    real_forward, real_resample = engine._forward, engine.resample

    def slow_forward(*args):
        with engine.DEVICE_LOCK:  # a slow network: 0.3 s more on the device
            time.sleep(0.3)
        return real_forward(*args)

    def slow_resample(*args, **kwargs):
        time.sleep(0.2)
        return real_resample(*args, **kwargs)

    monkeypatch.setattr(engine, "_forward", slow_forward)
    monkeypatch.setattr(engine, "resample", slow_resample)
    pic = Picture(np.random.default_rng(0).integers(0, 250, (40, 40, 3), dtype=np.uint8))
    result = upscale_picture(compact, pic, scale=3, check=False, options=engine.EngineOptions(tile=512))
    assert 0.3 <= result.model_seconds < result.seconds - 0.2  # one pass held the device; the resize did not


def test_a_model_loaded_again_keeps_its_pieces_to_the_time_cap(compact, compact_file):
    """The model cache may let a model go; loaded again, its pieces stay within the time cap its tiles set."""
    import torch

    from srdemo.engine import TILE_RATES, EngineOptions, tile_for
    from srdemo.models import MODEL_CACHE

    by_memory = tile_for(compact, EngineOptions())
    TILE_RATES.learn(compact, torch.device("cpu"), "auto", 2.0, 1_000_000)  # 0.5 output MP/s
    capped = tile_for(compact, EngineOptions())
    assert capped < by_memory  # 2 s at 0.5 MP/s: 500x500 of x2 output
    MODEL_CACHE.clear()
    again = models.load(str(compact_file), LOCAL)
    assert again is not compact and tile_for(again, EngineOptions()) == capped


def test_a_job_that_grows_the_memory_pool_pays_for_it_and_teaches_that_not_the_speed(monkeypatch):
    """The first job whose pieces need more of ONNX Runtime's pool than any before grows it (the first
    700 px pass of the x2: 183,000 page faults, 0.2-0.7 s more than the next, measured): its estimate adds
    that cost, a large growth teaches it and leaves the speed alone, a small one is taken off the model
    time. On torch, whose first job at a new size ran as fast as the next, none is added."""
    from srdemo.backends import POOL
    from srdemo.engine import EngineOptions, memory_per_pixel, plan_work

    model, options = models.load("x4", LOCAL), EngineOptions(tile=512)
    speed.record_speed(model, 1_000_000, 1.0, options=options)  # 1 MP/s
    job = (500, 500), (2000, 2000)  # one 500 px piece
    monkeypatch.setattr(POOL, "_per_pixel", {})  # no pass has measured or bounded its need: the torch count stands in
    monkeypatch.setattr(POOL, "_at_most", {})
    need = int(memory_per_pixel(model) * plan_work(model, *job, options).piece)
    assert need == int(memory_per_pixel(model) * 500 * 500)
    monkeypatch.setattr(POOL, "size", need // 4)  # the pool holds a quarter of what the piece needs
    first = speed.estimate_range(model, *job, options)
    monkeypatch.setattr(POOL, "size", need)
    usual = speed.estimate_range(model, *job, options)
    grown = need - need // 4
    assert grown > speed.LEARN_FIRST_TOUCH
    assert first[0] == pytest.approx(usual[0] + grown * speed.FIRST_TOUCH / speed.SPREAD)

    speed.record_job(model, *job, 10.0, 4.0, options, pool_grown=grown)
    assert speed.recorded_speed(model, options=options) == pytest.approx(1.0)  # not 4 MP in 4 s
    rate = (10.0 - (usual[0] * usual[1]) ** 0.5) / grown
    assert speed.first_touch_seconds() == pytest.approx((speed.FIRST_TOUCH + rate) / 2)  # the seed stays one of them
    rate = speed.first_touch_seconds()

    small = (100, 100), (400, 400)  # 0.16 MP in 0.5 s, of which the growth's share is not the model's
    speed.record_job(model, *small, 1.0, 0.5, options, pool_grown=speed.LEARN_FIRST_TOUCH // 2)
    taught = 0.16 / (0.5 - speed.LEARN_FIRST_TOUCH // 2 * rate)
    assert speed.recorded_speed(model, options=options) == pytest.approx((1.0 + taught) / 2)  # the median of two

    on_torch = EngineOptions(tile=512, backend="torch")
    speed.record_speed(model, 1_000_000, 1.0, options=on_torch)
    monkeypatch.setattr(POOL, "size", 0)
    empty = speed.estimate_range(model, *job, on_torch)
    monkeypatch.setattr(POOL, "size", need)
    assert speed.estimate_range(model, *job, on_torch) == pytest.approx(empty)


def test_warming_up_measures_each_onnx_builtin_and_runs_its_largest_piece(monkeypatch):
    """What the app does at start, so a visitor's first job neither waits for the probe nor pays to grow
    the memory pool: each built-in on ONNX Runtime is measured, then runs one piece of the largest size
    its jobs would run (the torch best tier, which keeps no pool, is left alone)."""
    from srdemo.engine import EngineOptions, tile_for

    options = EngineOptions.from_settings()
    ran = []  # (model, the image's sides, the largest piece's side at that moment)
    real = speed.run_model

    def spy(model, img, *rest):
        ran.append((model.spec.id, img.shape[:2], tile_for(model, options)))
        return real(model, img, *rest)

    monkeypatch.setattr(speed, "run_model", spy)
    speed.warm_up()
    onnx = [models.load(spec, LOCAL) for spec in models.builtin_specs() if spec.exports]
    assert onnx and all(model.onnx is not None for model in onnx)
    for model in onnx:
        assert speed.recorded_speed(model, options=options) is not None
        assert any(i == model.spec.id and shape == (side, side) and side > speed.PROBE for i, shape, side in ran)
    assert {model_id for model_id, _, _ in ran} == {model.spec.id for model in onnx}


def test_a_failed_warm_up_leaves_the_app_running(monkeypatch, caplog):
    def broken(*_a, **_k):
        raise OSError("disk gone")

    monkeypatch.setattr(models, "load", broken)
    speed.warm_up()  # logs, does not raise
    assert "warming up" in caplog.text
