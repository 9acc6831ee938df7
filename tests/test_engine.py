"""Tiling, any-scale, cancellation, progress, the device lock, and the fallbacks."""

import contextlib
import threading
import unittest.mock as mock

import numpy as np
import pytest
import torch

from srdemo import backends, engine, models
from srdemo.caller import LOCAL
from srdemo.devices import Device
from srdemo.engine import EngineOptions, run_model, upscale_array
from srdemo.errors import Cancelled, SrdemoError
from srdemo.weights import load_descriptor

from conftest import shared_path


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file), LOCAL)


def _img(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _u8(x):
    return np.round(x * 255).astype(int)


def _key(model, device=Device("cpu"), backend="auto"):
    return engine.speed_key(model, device, backend)


@contextlib.contextmanager
def _forwards():
    """Record each piece the engine runs through a model: (input pixels, output pixels)."""
    seen = []
    real = engine._forward

    def spy(model, piece, device, dtype, backend):
        out = real(model, piece, device, dtype, backend)
        seen.append((piece.shape[0] * piece.shape[1], out.shape[0] * out.shape[1]))
        return out

    with mock.patch.object(engine, "_forward", spy):
        yield seen


def test_tiled_output_equals_untiled_for_a_convolutional_model(compact):
    img = _img(150, 170)
    whole = run_model(compact, img, EngineOptions(tile=512))
    tiled = run_model(compact, img, EngineOptions(tile=64, pad=16, blend=4))
    assert tiled.shape == whole.shape == (300, 340, 3)
    assert np.abs(_u8(whole) - _u8(tiled)).max() <= 1


@pytest.mark.slow
def test_tiled_equals_untiled_for_span(compact_file):
    span = models.load(str(shared_path("ref-weights", "span_ch28_x4.safetensors")), LOCAL)
    img = _img(90, 110, seed=2)
    whole = run_model(span, img, EngineOptions(tile=512))
    tiled = run_model(span, img, EngineOptions(tile=48))
    assert np.abs(_u8(whole) - _u8(tiled)).max() <= 1


def test_blend_weights_sum_to_one():
    bounds = engine._cores(300, 70)
    total = np.zeros(600)
    for k in range(len(bounds) - 1):
        lo, hi = max(0, bounds[k] - 16), min(300, bounds[k + 1] + 16)
        total[lo * 2 : hi * 2] += engine._axis_weights(bounds, k, lo, hi, 2, 4)
    assert np.allclose(total, 1, atol=1e-6)


@pytest.mark.parametrize("native,in_size,out_size,kinds", [
    (2, (17, 21), (26, 32), ["model", "resize"]),  # x1.5: one pass, shrink
    (2, (17, 21), (34, 42), ["model"]),
    (2, (17, 21), (51, 63), ["model", "resize"]),  # x3: the x1.5 left is Lanczos
    (2, (17, 21), (68, 84), ["model", "model"]),
    (2, (17, 21), (85, 105), ["model", "model", "resize"]),  # x5
    (4, (100, 100), (800, 800), ["model", "resize", "model", "resize"]),  # x8: x4, shrink, x4 to 1.4x the pixels, shrink
    (4, (57, 86), (1325, 2000), ["model", "model", "resize"]),  # a preset from a thumbnail
])
def test_pass_plans_reach_the_exact_size_and_never_enlarge_before_a_model(compact, native, in_size, out_size, kinds):
    plan = engine.plan_passes(native, in_size, out_size)
    assert [s.kind for s in plan] == kinds and plan[-1].size == out_size
    if native == 2:
        out = upscale_array(compact, _img(in_size[1], in_size[0]), out_size)
        assert out.shape == (out_size[1], out_size[0], 3) and 0 <= out.min() and out.max() <= 1


def test_no_pass_after_the_first_computes_more_than_the_overshoot_allows():
    rng = np.random.default_rng(0)
    for _ in range(500):
        native = int(rng.choice([2, 3, 4, 8]))
        w, h = (int(v) for v in rng.integers(8, 400, 2))
        scale = float(rng.uniform(1.0, 24.0))
        out = (max(1, round(w * scale)), max(1, round(h * scale)))
        plan = engine.plan_passes(native, (w, h), out)
        models_run = [s for s in plan if s.kind == "model"]
        assert plan[0].kind == "model" and plan[0].size == (w * native, h * native)
        assert plan[-1].size == out
        for step in models_run[1:]:
            assert step.size[0] * step.size[1] <= engine.OVERSHOOT * out[0] * out[1] + 2 * native * (out[0] + out[1])
        enlarged_before = [i for i, s in enumerate(plan[:-1]) if s.kind == "resize" and i + 1 < len(plan)
                           and plan[i + 1].kind == "model" and s.size[0] > (plan[i - 1].size[0] if i else w)]
        assert not enlarged_before  # a resize before a model pass only ever shrinks


def test_resamplers_reach_the_exact_size():
    out = upscale_array(models.load("lanczos", LOCAL), _img(10, 13), (40, 31))
    assert out.shape == (31, 40, 3)


def test_progress_is_reported_and_cancel_stops_between_tiles(compact):
    seen = []
    run_model(compact, _img(130, 130), EngineOptions(tile=64), progress=lambda f, m: seen.append(f))
    assert len(seen) > 1 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)

    calls = []

    def stop_after_two():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        run_model(compact, _img(130, 130), EngineOptions(tile=64), should_stop=stop_after_two)
    assert len(calls) == 3


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_every_forward_holds_the_device_lock(compact, compact_file, backend, tmp_path, monkeypatch):
    if backend == "onnx":
        compact.onnx = backends.export(load_descriptor(compact_file), tmp_path / "c.onnx", "test")
    network = compact.onnx if backend == "onnx" else compact.descriptor
    held = []
    real_call = type(network).__call__

    def spy(self, x, *rest):
        held.append(engine.DEVICE_LOCK.locked())
        return real_call(self, x, *rest)

    monkeypatch.setattr(type(network), "__call__", spy)
    run_model(compact, _img(150, 150), EngineOptions(tile=64, backend="auto" if backend == "onnx" else "torch"))
    assert len(held) == 25 and all(held)  # 5 x 5 tiles of 32 px cores


def test_out_of_memory_halves_the_tile_then_explains(compact, monkeypatch):
    real = engine._forward
    sizes = []

    def limited(model, tile, device, dtype, backend):
        sizes.append(max(tile.shape[:2]))
        if max(tile.shape[:2]) > 70:
            raise engine._OutOfMemory
        return real(model, tile, device, dtype, backend)

    monkeypatch.setattr(engine, "_forward", limited)
    img = _img(120, 120)
    out = run_model(compact, img, EngineOptions(tile=256, pad=8, min_tile=32))
    assert out.shape == (240, 240, 3) and min(sizes) <= 70

    monkeypatch.setattr(engine, "_forward", lambda *a: (_ for _ in ()).throw(engine._OutOfMemory()))
    with pytest.raises(SrdemoError, match="ran out of memory"):
        run_model(compact, img, EngineOptions(tile=128, min_tile=64))


def test_half_precision_garbage_is_rerun_in_float32(compact, monkeypatch):
    real = engine._forward
    dtypes = []

    def flaky(model, tile, device, dtype, backend):
        dtypes.append(dtype)
        out = real(model, tile, device, torch.float32, backend)
        return np.full_like(out, np.nan) if dtype != torch.float32 else out

    monkeypatch.setattr(engine, "pick_dtype", lambda *a: torch.bfloat16)
    monkeypatch.setattr(engine, "_forward", flaky)
    out = run_model(compact, _img(100, 100), EngineOptions(tile=64))
    assert np.isfinite(out).all()
    assert dtypes[0] == torch.bfloat16 and dtypes[1] == torch.float32
    assert dtypes.count(torch.bfloat16) == 1  # once it failed, the rest ran in fp32


def test_the_network_moves_only_when_device_or_precision_changes(compact, monkeypatch):
    d = compact.descriptor
    run = lambda tile, device, dtype: engine._forward(compact, tile, device, dtype, "torch")  # noqa: E731
    moves = []
    real_to = type(d).to
    monkeypatch.setattr(type(d), "to", lambda self, *a, **k: (moves.append(k.get("dtype")), real_to(self, *a, **k))[1])
    tile = _img(32, 32)
    cpu = torch.device("cpu")
    single = run(tile, cpu, torch.float32)
    run(tile, cpu, torch.float32)
    assert moves == []  # loaded on the CPU in float32 already: no walk over the modules per tile
    double = run(tile, cpu, torch.float64)
    assert moves == [torch.float64] and next(d.model.parameters()).dtype == torch.float64
    assert np.abs(double - single).max() < 1e-5  # really ran in the new precision, same result
    run(tile, cpu, torch.float32)
    assert moves == [torch.float64, torch.float32] and next(d.model.parameters()).dtype == torch.float32


def test_concurrent_jobs_interleave_safely(compact):
    img = _img(100, 100)
    expected = run_model(compact, img, EngineOptions(tile=64))
    results = [None, None]

    def job(i):
        results[i] = run_model(compact, img, EngineOptions(tile=64))

    threads = [threading.Thread(target=job, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, expected) for r in results)


def test_the_planned_work_counts_the_context_each_tile_computes(compact):
    opts = EngineOptions(tile=128, pad=16)
    assert engine.plan_work(compact, (100, 100), (200, 200), opts).model_pixels == 200 * 200  # one piece: no context
    tiled = engine.plan_work(compact, (1000, 1000), (2000, 2000), opts).model_pixels
    ys, xs = engine.tile_grid(1000, 1000, 128, opts)
    assert len(ys) > 2 and 1.5 < tiled / (2000 * 2000) < 1.8  # 96 px cores with 16 px either side: ~1.7x
    # the same grid the engine runs: counting its forwards' inputs gives the same work
    with _forwards() as seen:
        run_model(compact, _img(300, 260), opts)
    assert sum(i for i, _ in seen) * 4 == engine.plan_work(compact, (260, 300), (520, 600), opts).model_pixels


def test_the_tile_fits_the_memory_share_and_about_two_seconds(compact, monkeypatch):
    opts = EngineOptions()
    bpp = engine.memory_per_pixel(compact)
    assert 100 < bpp < 10_000  # 16 float channels at a time, three alive: a few hundred bytes per input pixel
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "40")
    monkeypatch.setenv("SRDEMO_NEURAL_JOBS", "2")
    side = engine.tile_for(compact, opts)
    assert side * side * bpp <= 20e6 < (side + 2) ** 2 * bpp  # the largest tile within this job's half
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "100000")
    engine.SPEEDS.learn(_key(compact), 1.0, 1_000_000)  # 1 MP/s: 2 s make 2 MP, 707 px at x2
    assert abs(engine.tile_for(compact, opts) - 707) <= 1
    assert engine.tile_for(compact, EngineOptions(tile=96)) == 96  # a forced tile is kept
    img = _img(150, 170)  # the automatic tile still gives the untiled result
    auto = run_model(compact, img, EngineOptions())
    assert np.abs(_u8(auto) - _u8(run_model(compact, img, EngineOptions(tile=512)))).max() <= 1


def test_one_piece_fits_the_memory_share_and_the_time_cap(compact, monkeypatch):
    """Up to 4x a forced tile's area may run in one piece; an automatic piece never passes the memory share
    nor about two seconds of work (a 397 px photo once ran 10.7 s in one piece of DCTLSA)."""
    opts = EngineOptions(pad=16)
    assert engine.tile_grid(1000, 1000, 600, opts) == ([0, 1000], [0, 1000])  # no area bound given: one piece
    ys, xs = engine.tile_grid(1000, 1000, 600, opts, max_area=500_000)
    assert len(ys) > 2 and len(xs) > 2
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "80")
    monkeypatch.setenv("SRDEMO_NEURAL_JOBS", "1")
    memory = int(80e6 / engine.memory_per_pixel(compact))
    assert engine.piece_area(compact, opts) == memory  # no speed measured yet: memory alone
    engine.SPEEDS.learn(_key(compact), 2.0, int(0.35 * memory * 4))  # 2 s: 0.35x the share
    area = engine.piece_area(compact, opts)
    assert abs(area - 0.35 * memory) <= 1
    tile = engine.tile_for(compact, opts)
    assert abs(tile - int(area**0.5)) <= 1
    side = int(1.5 * tile)  # within 2 tiles each way and inside the memory share, but over the time cap
    assert side * side < memory
    with _forwards() as seen:
        run_model(compact, _img(side, side), opts)
    assert len(seen) > 1 and max(i for i, _ in seen) <= area


def test_a_job_counts_each_resize_at_its_larger_side():
    """An x4 model asked for x2 computes 400x400 and then reads all of it to shrink to 200x200."""
    x4 = models.load("x4", LOCAL)
    opts = EngineOptions(tile=512)
    assert engine.plan_work(x4, (100, 100), (200, 200), opts)[:2] == (400 * 400, 400 * 400 + 200 * 200)
    assert engine.plan_work(x4, (100, 100), (400, 400), opts)[:2] == (400 * 400, 400 * 400)  # no resize: post only


@pytest.mark.parametrize("in_size,out_size", [
    ((160, 140), (320, 280)),  # one pass
    ((160, 140), (533, 467)),  # a pass, then Lanczos for the remaining 1.67x
    ((120, 104), (600, 520)),  # two passes, then Lanczos
])
def test_a_box_computes_only_its_part_and_matches_a_whole_run_there(compact, in_size, out_size):
    """White margins are left out of every pass; inside the content the output is the whole run's (within 1/255),
    even with an untrained model whose output on white is far from white; the work counted is the work done."""
    w, h = in_size
    img = np.ones((h, w, 3), np.float32)
    y0, y1, x0, x1 = h // 3, h // 3 + 12, w // 3, w // 3 + 16
    img[y0:y1, x0:x1] = _img(y1 - y0, x1 - x0)
    box = engine.content_box((img == 1).all(axis=2))
    assert box == (x0 - engine.MARGIN, y0 - engine.MARGIN, x1 + engine.MARGIN, y1 + engine.MARGIN)
    opts = EngineOptions(tile=512)
    with _forwards() as pieces:
        boxed = upscale_array(compact, img, out_size, opts, box=box)
    seen = [o for _, o in pieces]
    whole = upscale_array(compact, img, out_size, opts)
    sx, sy = out_size[0] / w, out_size[1] / h
    keep = np.s_[int(y0 * sy) + 1 : int(y1 * sy) - 1, int(x0 * sx) + 1 : int(x1 * sx) - 1]
    assert boxed.shape == whole.shape
    assert np.abs(_u8(boxed[keep]) - _u8(whole[keep])).max() <= 1
    assert sum(seen) == engine.plan_work(compact, in_size, out_size, opts, box)[0]
    assert sum(seen) < 0.5 * engine.plan_work(compact, in_size, out_size, opts)[0]


def test_an_all_white_image_runs_no_model_at_all(compact, monkeypatch):
    img = np.ones((40, 30, 3), np.float32)
    box = engine.content_box(np.ones((40, 30), bool))
    monkeypatch.setattr(engine, "_forward", lambda *a: pytest.fail("the model ran"))
    out = upscale_array(compact, img, (90, 120), box=box)
    assert out.shape == (120, 90, 3) and (out == 1).all()
    assert engine.plan_work(compact, (30, 40), (90, 120), EngineOptions(tile=512), box)[0] == 0


def test_a_box_covering_the_image_is_no_box():
    blank = np.zeros((20, 30), bool)
    blank[:2] = True  # a white strip thinner than the margin
    assert engine.content_box(blank) is None


@pytest.mark.parametrize("tile", [64, 512])  # blended tiles; one piece
def test_a_pass_writes_into_the_buffer_it_is_given_and_nowhere_else(compact, tile):
    """How a boxed pass avoids a second full-size array: the model's output goes straight into its place."""
    img = _img(150, 170)
    full = np.full((400, 440, 3), 7, np.float32)
    view = full[50:350, 50:390]
    written = run_model(compact, img, EngineOptions(tile=tile), out=view)
    assert np.shares_memory(written, full)
    assert np.array_equal(view, run_model(compact, img, EngineOptions(tile=tile)))
    view[...] = 7
    assert (full == 7).all()  # nothing outside the view was touched


def test_a_speed_weighs_tiles_by_their_pixels_and_is_kept_per_device_and_runtime(compact):
    """Small pieces of a heavy model run faster per pixel; a run of them must not make the next tile huge."""
    speeds, key = engine.Speeds(), _key(compact)
    speeds.learn(key, 2.0, 1_000_000)  # a big tile: 2 us per pixel
    for _ in range(10):
        speeds.learn(key, 0.001, 1000)  # small ones at half that
    assert speeds.get(key) == pytest.approx(2e-6, rel=0.1)
    speeds.learn(key, 4.0, 1_000_000)  # a big slow one counts at once
    assert speeds.get(key) > 3.5e-6
    assert _key(compact, backend="torch") == key  # it runs on torch either way
    x4 = models.load("x4", LOCAL)
    assert _key(x4) != _key(x4, backend="torch")  # ONNX Runtime and torch are two speeds
    assert _key(compact, Device("cuda", 0)) != key  # kept per device
    speeds.forget(key)
    assert speeds.get(key) is None
