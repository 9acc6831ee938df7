"""ONNX Runtime beside torch: shipped exports, equality, the background export, fallbacks and the switch."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from srdemo import backends, models, workspace
from srdemo.caller import LOCAL, Caller
from srdemo.devices import GPU_SIGNS
from srdemo.engine import EngineOptions, upscale_array
from srdemo.weights import load_descriptor

from conftest import make_compact


def _img(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _torch(descriptor, tile):
    with torch.inference_mode():
        return descriptor(torch.from_numpy(tile.transpose(2, 0, 1).copy())[None])[0].numpy().transpose(1, 2, 0)


def _exact(weights, tile):
    """The network's output in float64: a fresh load, so its fused kernels are computed in float64 too."""
    descriptor = load_descriptor(weights)
    descriptor.model.double()
    with torch.inference_mode():
        x = torch.from_numpy(tile.transpose(2, 0, 1).copy()).double()[None]
        return descriptor.model(x)[0].clamp(0, 1).float().numpy().transpose(1, 2, 0)


@pytest.mark.parametrize("model_id", [spec.id for spec in models.builtin_specs() if spec.exports])
def test_each_builtin_ships_an_export_of_its_own_weights_as_exact_as_torch(model_id):
    model = models.load(model_id, LOCAL)
    assert model.onnx is not None, "the built-in's .onnx is missing or was made from other weights"
    assert model.onnx.path == model.spec.path.with_suffix(".onnx")
    tile = _img(37, 53)  # odd sizes: nothing lines up by luck
    ours = model.onnx(tile)
    assert ours.shape == (37 * model.scale, 53 * model.scale, 3)
    exact = _exact(model.spec.path, tile)
    torch_error = np.abs(np.clip(_torch(model.descriptor, tile), 0, 1) - exact).max()
    assert np.abs(ours - exact).max() <= backends.TOLERANCE + torch_error


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


def test_a_pass_leaves_no_threads_spinning_after_it():
    """ONNX Runtime's threads spin between operators (faster passes), but not on after a pass, where they
    would take the cores from the job's own resizing and encoding (``benchmarks/backends.py`` measures the
    CPU they would burn): every session the engine opens is told so."""
    model = models.load("x4", LOCAL)
    for threads in (1, 2):
        model.onnx(_img(24, 24), threads=threads)
        config = model.onnx._session(threads).get_session_options()
        assert config.get_session_config_entry("session.force_spinning_stop") == "1"


def test_every_session_draws_from_one_memory_pool():
    """A pool per session grew again for each model, thread count and copy loaded again, each time paying
    the kernel for every new page (and keeping it). One shared pool grows once: in a fresh process, the
    first pass of the ``x4`` after a pass of the ``x2`` of the same size, and a 1-thread session of the
    ``x2`` after them, take next to no page faults."""
    import subprocess
    import sys

    script = """
import resource
import numpy as np
from srdemo import models
from srdemo.caller import LOCAL

def faults(model_id, threads):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    models.load(model_id, LOCAL).onnx(np.random.default_rng(0).random((320, 320, 3), dtype=np.float32), threads)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults("x2", 2), faults("x4", 2), faults("x2", 1))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    first, other_model, other_threads = map(int, done.stdout.splitlines()[0].split())
    assert first > 10_000  # 320 px of the x2: about 150 MB of new pages
    assert other_model < first / 10 and other_threads < first / 10


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


def test_speedup_times_both_runtimes_on_the_same_input_after_a_warm_up(compact_file, monkeypatch):
    """Torch's best time over ONNX Runtime's, each the best of three after a first run (a fake clock: each
    network's call moves it on by what it costs)."""
    clock = [0.0]
    monkeypatch.setattr(backends.time, "perf_counter", lambda: clock[0])
    descriptor = load_descriptor(compact_file)
    seen = []

    def runs(*costs):
        left = list(costs)

        def run(tile):
            seen.append(tile.shape)
            clock[0] += left.pop(0)

        return run

    class Torch:  # the descriptor, costing 10 s the first time and 0.5 s at best after
        input_channels = descriptor.input_channels

        def __init__(self):
            self.run = runs(10.0, 0.6, 0.5, 0.7)

        def __call__(self, x):
            self.run(x.numpy()[0].transpose(1, 2, 0))

    assert backends.speedup(runs(10.0, 1.0, 1.2, 1.1), Torch(), size=64) == pytest.approx(0.5)
    assert backends.speedup(runs(10.0, 0.25, 0.3, 0.4), Torch(), size=64) == pytest.approx(2.0)
    assert seen and all(shape == (64, 64, 3) for shape in seen)


def test_an_export_further_from_the_exact_output_than_torch_plus_the_tolerance_is_refused(compact_file, tmp_path, monkeypatch):
    run = backends.OnnxNetwork.__call__
    monkeypatch.setattr(backends.OnnxNetwork, "__call__", lambda self, *a, **k: run(self, *a, **k) * 0.999)  # 1e-3 off
    with pytest.raises(backends.ExportFailed, match="differs from the network's exact output"):
        backends.export(load_descriptor(compact_file), tmp_path / "c.onnx", "sha")
    assert list(tmp_path.glob("*c.onnx*")) == []  # nothing half-written is left


def test_the_export_command_writes_an_export_the_app_then_uses(compact_file, tmp_path, capsys):
    from srdemo.cli import main

    out = tmp_path / "c.onnx"
    assert main(["export-onnx", str(compact_file), "--out", str(out)]) == 0
    net = backends.open_export(out, backends.digest(compact_file), 2)
    assert net is not None and net.metadata()["format"] == backends.FORMAT
    assert backends.open_export(out, "0" * 64, 2) is None  # other weights: not used
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


@pytest.mark.skipif(any(Path(sign).exists() for sign in GPU_SIGNS), reason="on a GPU machine an upscale asks torch")
def test_a_builtin_upscale_on_the_cpu_imports_neither_torch_nor_spandrel(tmp_path):
    """The built-ins run on ONNX Runtime: a command-line upscale in a fresh process (Automatic's choice, the
    self-check, the estimate) never loads torch (2-4 s) or spandrel's architectures (2 s more)."""
    import subprocess
    import sys

    from srdemo.synthetic import render_product

    photo = tmp_path / "shot.png"
    render_product(0, 96).save(photo)
    script = f"""
import sys
from srdemo.cli import main
assert main(["upscale", {str(photo)!r}, "--scale", "4", "--out", {str(tmp_path / "out")!r}]) == 0
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "spandrel"))
assert 'torch' not in sys.modules and 'spandrel' not in sys.modules, loaded[:5]
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Model: x4 " in done.stdout and [p.name for p in (tmp_path / "out").iterdir()] == ["shot_x4.png"]
