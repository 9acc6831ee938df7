"""ONNX Runtime beside torch: shipped exports, equality, the background export, fallbacks and the switch."""

import json
import resource
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from srdemo import backends, models, workspace
from srdemo.caller import LOCAL, Caller
from srdemo.engine import EngineOptions, upscale_array
from srdemo.weights import load_descriptor

from conftest import make_compact


def _img(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _torch(descriptor, tile):
    with torch.inference_mode():
        return descriptor(torch.from_numpy(tile.transpose(2, 0, 1).copy())[None])[0].numpy().transpose(1, 2, 0)


@pytest.mark.parametrize("model_id", [spec.id for spec in models.builtin_specs() if spec.exports])
def test_each_builtin_ships_an_export_of_its_own_weights_that_equals_torch(model_id):
    model = models.load(model_id, LOCAL)
    assert model.onnx is not None, "the built-in's .onnx is missing or was made from other weights"
    assert model.onnx.path == model.spec.path.with_suffix(".onnx")
    tile = _img(37, 53)  # odd sizes: nothing lines up by luck
    ours = model.onnx(tile)
    assert ours.shape == (37 * model.scale, 53 * model.scale, 3)
    assert np.abs(ours - _torch(model.descriptor, tile)).max() <= backends.TOLERANCE


@pytest.mark.parametrize("model_id", ["x2-best", "x4-best"])
def test_a_builtin_whose_json_refuses_an_export_runs_on_torch_and_never_retries_it(model_id, monkeypatch):
    """x2-best's export differs from torch by more than the tolerance, x4-best's is slower than torch (their
    json says so, with the reason): no file, no background try."""
    spec = models.resolve(model_id, LOCAL)
    assert not spec.exports and not spec.path.with_suffix(".onnx").exists()
    assert json.loads(spec.path.with_suffix(".json").read_text())["onnx_note"]
    submitted = []
    monkeypatch.setattr(backends._EXPORTER, "submit", lambda *args: submitted.append(args))
    model = models.load(spec, LOCAL)
    assert model.onnx is None and submitted == []


def test_a_whole_tiled_upscale_on_onnx_runtime_equals_torch():
    model = models.load("x4", LOCAL)
    img = _img(150, 170, seed=3)
    onnx = upscale_array(model, img, (600, 680), EngineOptions(tile=64))
    plain = upscale_array(model, img, (600, 680), EngineOptions(tile=64, backend="torch"))
    assert np.abs(onnx - plain).max() <= backends.TOLERANCE
    assert np.abs(onnx - plain).max() > 0  # two different runtimes really ran


@pytest.mark.skipif(torch.get_num_threads() < 2, reason="a 1-thread session has no threads to spin")
def test_a_pass_leaves_no_threads_spinning_after_it():
    """ONNX Runtime's threads spin between operators (faster passes), but not on after a pass, where they
    would take the cores from the job's own resizing and encoding (about 50 ms of CPU per pass here)."""
    import time

    model = models.load("x4", LOCAL)
    idle = []
    for seed in range(3):  # the least of three: another thread of the test process may wake once
        model.onnx(_img(96, 96, seed), threads=2)
        cpu = time.process_time()
        time.sleep(0.2)
        idle.append(time.process_time() - cpu)
    assert min(idle) < 0.01


def test_every_session_draws_from_one_memory_pool():
    """A pool per session grew again for each model, thread count and copy loaded again, each time paying
    the kernel for every new page (and keeping it). One shared pool grows once: in a fresh process, the
    first pass of the ``x4`` after a pass of the ``x2`` of the same size, and a 1-thread session of the
    ``x2`` after them, take next to no page faults. A job's result says how far its passes grew the pool."""
    import subprocess
    import sys

    script = """
import resource
import numpy as np
from srdemo import models
from srdemo.engine import EngineOptions
from srdemo.images import Picture
from srdemo.pipeline import upscale_picture
from srdemo.caller import LOCAL

def faults(model_id, threads):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    models.load(model_id, LOCAL).onnx(np.random.default_rng(0).random((320, 320, 3), dtype=np.float32), threads)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults("x2", 2), faults("x4", 2), faults("x2", 1))
pic = Picture(np.random.default_rng(0).integers(0, 250, (480, 480, 3), dtype=np.uint8))
job = lambda: upscale_picture(models.load("x2", LOCAL), pic, scale=2, check=False, options=EngineOptions(tile=512))
print(job().pool_grown, job().pool_grown)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    first, other_model, other_threads = map(int, done.stdout.splitlines()[0].split())
    assert first > 10_000  # 320 px of the x2: about 150 MB of new pages
    assert other_model < first / 10 and other_threads < first / 10
    grown, again = map(int, done.stdout.splitlines()[1].split())
    assert grown > 0.5 * (480**2 - 320**2) / 320**2 * first * resource.getpagesize()  # 480 px after 320 px
    assert again < grown / 10


def test_the_pool_learns_each_models_need_from_passes_that_grow_it_alone(monkeypatch):
    """What the estimates charge new memory by: the bytes a pass faults in grow the pool; a pass that grew
    it with no other pass beside it says what its model needs per pixel (the pool just fits it)."""
    faults = [0]
    monkeypatch.setattr(backends, "_faults", lambda: faults[0])
    pool = backends.Pool()

    def run(model_id, pixels, pages, beside=None):
        with pool.running(model_id, pixels):
            faults[0] += pages
            if beside:
                beside()

    assert pool.growth("a", 100_000, guess=1000.0) == 100_000_000  # a guess until a pass has measured it
    run("a", 100_000, 12_000)  # it grew the pool by 12,000 pages: the pool now holds what it needs
    assert pool.size == 12_000 * backends.PAGE
    assert pool.growth("a", 100_000, guess=1000.0) == 0
    assert pool.growth("a", 300_000, guess=1000.0) == pytest.approx(2 * pool.size, abs=1)
    assert pool.growth("b", 100_000, guess=2000.0) == 200_000_000 - pool.size
    run("b", 50_000, 10)  # b ran in the pool as it was: it needs at most size / 50,000 a pixel, not the guess
    assert pool.growth("b", 100_000, guess=2000.0) == pytest.approx(pool.size, abs=1)
    size = pool.size
    run("c", 100_000, 6_000, beside=lambda: run("a", 50_000, 6_000))  # side by side: neither learns
    assert pool.size == size + 12_000 * backends.PAGE  # every page faulted meanwhile counted once
    assert pool.growth("c", 100_000, guess=5000.0) == 500_000_000 - pool.size


def test_the_setting_forces_torch(monkeypatch):
    model = models.load("x4", LOCAL)
    calls = []
    real = type(model.onnx).__call__
    monkeypatch.setattr(type(model.onnx), "__call__", lambda self, t, *rest: (calls.append(t.shape), real(self, t, *rest))[1])
    upscale_array(model, _img(40, 40), (160, 160), EngineOptions.from_settings())
    assert len(calls) == 1
    monkeypatch.setenv("SRDEMO_BACKEND", "torch")
    upscale_array(model, _img(40, 40), (160, 160), EngineOptions.from_settings())
    assert len(calls) == 1  # torch ran this time
    models.MODEL_CACHE.clear()
    assert models.load("x4", LOCAL).onnx is None  # nor is an export opened


def test_an_export_made_from_other_weights_is_not_used(tmp_path):
    weights = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2), str(weights))
    shutil.copy(models.load("x4", LOCAL).spec.path.with_suffix(".onnx"), weights.with_suffix(".onnx"))  # x4's graph, not this
    models.MODEL_CACHE.clear()
    assert models.load(str(weights), LOCAL).onnx is None


def test_a_damaged_export_is_ignored(tmp_path):
    weights = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2), str(weights))
    weights.with_suffix(".onnx").write_bytes(b"\x08\x07not an onnx file")
    assert models.load(str(weights), LOCAL).onnx is None
    assert models.load(str(weights), LOCAL).descriptor is not None  # torch runs it


@pytest.mark.exports
def test_a_new_model_is_exported_in_the_background_into_the_shared_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "speedup", lambda net, descriptor: 1.5)  # where ONNX Runtime is the faster
    weights = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2, seed=5), str(weights))
    model = models.load(str(weights), LOCAL)
    backends.wait_for_exports()
    sha = backends.digest(weights)
    assert model.onnx is not None and model.onnx.path == workspace.onnx_cache_dir() / f"{sha}.onnx"
    tile = _img(45, 31)
    assert np.abs(model.onnx(tile) - _torch(model.descriptor, tile)).max() <= backends.TOLERANCE
    models.MODEL_CACHE.clear()
    assert models.load(str(weights), LOCAL).onnx.path == model.onnx.path  # found again, not exported again


@pytest.mark.exports
def test_a_trained_models_export_is_the_owners_and_leaves_with_their_uploads(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "speedup", lambda net, descriptor: 1.5)
    owner = Caller(owner="alice")
    run = workspace.new_run_dir(owner.owner)
    (run / "model").mkdir(parents=True)
    save_file(make_compact(2, seed=6), str(run / "model" / "model.safetensors"))
    (run / "run.json").write_text("{}")
    spec = next(s for s in models.catalogue(owner) if s.kind == "run")
    model = models.load(spec.id, owner)
    backends.wait_for_exports()
    assert model.onnx is not None and model.onnx.path.parent == workspace.onnx_cache_dir("alice")
    assert not any(workspace.onnx_cache_dir().glob(f"{backends.digest(spec.path)}*"))  # nothing in the shared cache
    workspace.purge_old_uploads(hours=0)
    assert not workspace.onnx_cache_dir("alice").exists()


@pytest.mark.exports
def test_a_model_that_will_not_export_runs_on_torch_and_is_not_tried_again(tmp_path, monkeypatch):
    tried = []

    def broken(*args, **kwargs):
        tried.append(1)
        raise RuntimeError("this network cannot be traced")

    monkeypatch.setattr(torch.onnx, "export", broken)
    weights = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2, seed=7), str(weights))
    model = models.load(str(weights), LOCAL)
    backends.wait_for_exports()
    assert model.onnx is None and tried == [1]
    note = workspace.onnx_cache_dir() / f"{backends.digest(weights)}.{backends.FORMAT}.failed"
    assert "cannot be traced" in note.read_text()
    img = _img(30, 30)
    assert np.abs(upscale_array(model, img, (60, 60)) - _torch(model.descriptor, img)).max() < 1e-6  # torch's own
    models.MODEL_CACHE.clear()
    models.load(str(weights), LOCAL)
    backends.wait_for_exports()
    assert tried == [1]


@pytest.mark.exports
def test_an_export_slower_than_torch_here_is_dropped_and_not_tried_again(tmp_path, monkeypatch):
    """The tiny test network is such a model on a 2-core CPU (about 0.75x); the rule must not depend on it."""
    gains = []

    def slower(net, descriptor):
        gains.append(0.6)
        return 0.6

    monkeypatch.setattr(backends, "speedup", slower)
    weights = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2, seed=8), str(weights))
    model = models.load(str(weights), LOCAL)
    backends.wait_for_exports()
    sha = backends.digest(weights)
    assert model.onnx is None and gains == [0.6]
    assert not (workspace.onnx_cache_dir() / f"{sha}.onnx").exists()
    assert "0.60x its speed" in (workspace.onnx_cache_dir() / f"{sha}.{backends.FORMAT}.failed").read_text()
    models.MODEL_CACHE.clear()
    assert models.load(str(weights), LOCAL).onnx is None
    backends.wait_for_exports()
    assert gains == [0.6]  # measured once


def test_speedup_times_both_runtimes_on_the_same_input(compact_file):
    import time

    descriptor = load_descriptor(compact_file)
    seen = []

    def slow(tile):
        seen.append(tile.shape)
        time.sleep(0.05)

    assert backends.speedup(slow, descriptor, size=64) < 1
    assert seen and all(shape == (64, 64, 3) for shape in seen)
    assert backends.speedup(lambda tile: None, descriptor, size=64) > 1  # doing nothing beats any network


def test_an_export_that_differs_from_torch_is_refused(compact_file, tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "TOLERANCE", 0.0)  # any float difference at all now counts
    with pytest.raises(backends.ExportFailed, match="differs from torch"):
        backends.export(load_descriptor(compact_file), tmp_path / "c.onnx", "sha")
    assert list(tmp_path.glob("*c.onnx*")) == []  # nothing half-written is left


def test_the_export_command_writes_an_export_the_app_then_uses(compact_file, tmp_path, capsys):
    from srdemo.cli import main

    out = tmp_path / "c.onnx"
    assert main(["export-onnx", str(compact_file), "--out", str(out)]) == 0
    net = backends.open_export(out, backends.digest(compact_file), load_descriptor(compact_file))
    assert net is not None and net.metadata()["format"] == backends.FORMAT
    assert backends.open_export(out, "0" * 64, load_descriptor(compact_file)) is None  # other weights: not used
    assert main(["export-onnx", "lanczos"]) == 0 and "no network to export" in capsys.readouterr().out


ENDS_DURING_AN_EXPORT = """
import sys, threading
from srdemo import backends, models
from srdemo.caller import LOCAL

checking = threading.Event()
check = backends._differs


def differs(net, descriptor):  # the export is written and is being checked on ONNX Runtime
    checking.set()
    return check(net, descriptor)


backends._differs = differs
models.load(sys.argv[1], LOCAL)
assert checking.wait(300), "the export never reached its check"
"""


def test_a_script_that_ends_during_a_background_export_exits_cleanly(tmp_path, compact_file):
    """The Python API: a script that ended while the export thread ran ONNX Runtime aborted ('terminate called
    without an active exception', exit status 134) after its work was done. Now the exit waits for that export."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    pytest.importorskip("onnxruntime")
    env = {**os.environ, "SRDEMO_RUN_DIR": str(tmp_path / "runs"), "SRDEMO_BACKEND": "auto"}
    proc = subprocess.run([sys.executable, "-c", ENDS_DURING_AN_EXPORT, str(compact_file)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    made = [p.name for p in (tmp_path / "runs" / "onnx-cache").iterdir()]
    assert [name for name in made if name.startswith(backends.digest(compact_file))], made  # an export or its .failed note
