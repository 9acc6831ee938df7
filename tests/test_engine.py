"""Tiling, any-scale, cancellation, progress, the device lock, and the fallbacks."""

import threading

import numpy as np
import pytest
import torch

from srdemo import engine, models
from srdemo.engine import EngineOptions, run_model, upscale_array
from srdemo.errors import Cancelled, SrdemoError

from conftest import shared_path


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file))


def _img(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _u8(x):
    return np.round(x * 255).astype(int)


def test_tiled_output_equals_untiled_for_a_convolutional_model(compact):
    img = _img(150, 170)
    whole = run_model(compact, img, EngineOptions(tile=512))
    tiled = run_model(compact, img, EngineOptions(tile=64, pad=16, blend=4))
    assert tiled.shape == whole.shape == (300, 340, 3)
    assert np.abs(_u8(whole) - _u8(tiled)).max() <= 1


@pytest.mark.slow
def test_tiled_equals_untiled_for_span(compact_file):
    span = models.load(str(shared_path("ref-weights", "span_ch28_x4.safetensors")))
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


@pytest.mark.parametrize("scale,passes", [(1.5, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_any_scale_repeats_native_passes_then_resizes_exactly(compact, scale, passes):
    assert engine.passes_needed(2, scale) == passes
    img = _img(21, 17)
    size = (round(17 * scale), round(21 * scale))
    out = upscale_array(compact, img, size)
    assert out.shape == (size[1], size[0], 3)
    assert 0 <= out.min() and out.max() <= 1


def test_resamplers_reach_the_exact_size():
    out = upscale_array(models.load("lanczos"), _img(10, 13), (40, 31))
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


def test_every_forward_holds_the_device_lock(compact, monkeypatch):
    held = []
    real_call = type(compact.descriptor).__call__

    def spy(self, x):
        held.append(engine.DEVICE_LOCK.locked())
        return real_call(self, x)

    monkeypatch.setattr(type(compact.descriptor), "__call__", spy)
    run_model(compact, _img(100, 100), EngineOptions(tile=64))
    assert held and all(held)


def test_out_of_memory_halves_the_tile_then_explains(compact, monkeypatch):
    real = engine._forward
    sizes = []

    def limited(descriptor, tile, device, dtype):
        sizes.append(max(tile.shape[:2]))
        if max(tile.shape[:2]) > 70:
            raise engine._OutOfMemory
        return real(descriptor, tile, device, dtype)

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

    def flaky(descriptor, tile, device, dtype):
        dtypes.append(dtype)
        out = real(descriptor, tile, device, torch.float32)
        return np.full_like(out, np.nan) if dtype != torch.float32 else out

    monkeypatch.setattr(engine, "pick_dtype", lambda *a: torch.bfloat16)
    monkeypatch.setattr(engine, "_forward", flaky)
    out = run_model(compact, _img(100, 100), EngineOptions(tile=64))
    assert np.isfinite(out).all()
    assert dtypes[0] == torch.bfloat16 and dtypes[1] == torch.float32
    assert dtypes.count(torch.bfloat16) == 1  # once it failed, the rest ran in fp32


def test_the_network_moves_only_when_device_or_precision_changes(compact, monkeypatch):
    d = compact.descriptor
    moves = []
    real_to = type(d).to
    monkeypatch.setattr(type(d), "to", lambda self, *a, **k: (moves.append(k.get("dtype")), real_to(self, *a, **k))[1])
    tile = _img(32, 32)
    cpu = torch.device("cpu")
    single = engine._forward(d, tile, cpu, torch.float32)
    engine._forward(d, tile, cpu, torch.float32)
    assert moves == []  # loaded on the CPU in float32 already: no walk over the modules per tile
    double = engine._forward(d, tile, cpu, torch.float64)
    assert moves == [torch.float64] and next(d.model.parameters()).dtype == torch.float64
    assert np.abs(double - single).max() < 1e-5  # really ran in the new precision, same result
    engine._forward(d, tile, cpu, torch.float32)
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
