"""The training loop: a real (tiny) run, exact resume after SIGKILL, and data parallelism."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
import spandrel
import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file
from tiny_runs import tiny_config as _cfg
from tiny_runs import tiny_photos

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.errors import SrdemoError
from srdemo.training import CHECKPOINT, read_metadata, train

from conftest import ROOT


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    return tiny_photos(tmp_path_factory.mktemp("tiny-data"))


def test_a_short_run_learns_and_exports_a_loadable_model(tiny_data, tmp_path):
    seen = []
    out = train(_cfg(tiny_data, tmp_path / "run", steps=60), progress=lambda p: seen.append(p.step))
    assert seen == list(range(1, 61))
    history = json.loads((out / "history.json").read_text())
    assert history["loss"][-1][1] < history["loss"][0][1] / 2
    assert history["val"][-1][1] > history["val"][0][1] - 0.01
    # plain spandrel loads it (original key layout), and so does srdemo's catalogue path
    plain = spandrel.ModelLoader().load_from_file(str(out / "model.safetensors"))
    assert plain.architecture.name == "SPAN" and plain.scale == 2
    assert models.load(str(out / "model.safetensors"), LOCAL).scale == 2
    cfg = json.loads((out / "config.json").read_text())
    assert {"scale", "architecture", "degradation", "data", "steps", "seed"} <= set(cfg)
    card = ModelCard.load(out / "README.md")
    assert card.data.pipeline_tag == "image-to-image" and card.data.license == "mit"
    assert {r.metric_type for r in card.data.eval_results} == {"psnr", "ssim"}
    assert "bicubic" in card.text


def test_a_resumed_run_times_its_pace_from_where_it_resumed(tiny_data, tmp_path):
    first, resumed = [], []
    cfg = _cfg(tiny_data, tmp_path / "r", steps=12)
    train(cfg, progress=first.append, should_stop=lambda: len(first) >= 5)
    train(cfg, progress=resumed.append)
    assert [p.step for p in resumed] == list(range(6, 13))
    assert {p.first_step for p in resumed} == {5}
    one_step = resumed[0]  # one step done in this process: the ETA is 6 more of it, not 6/6
    assert one_step.eta_seconds == pytest.approx(one_step.seconds * 6)
    assert resumed[-1].eta_seconds == 0


def test_bf16_autocast_on_cpu_learns_and_can_take_over_a_float32_run(tiny_data, tmp_path):
    fp32 = train(_cfg(tiny_data, tmp_path / "fp32", steps=8, val_every=100))
    bf16 = train(_cfg(tiny_data, tmp_path / "bf16", steps=8, val_every=100, precision="bf16"))
    a, b = load_file(str(fp32 / "model.safetensors")), load_file(str(bf16 / "model.safetensors"))
    assert any(not torch.equal(a[k], b[k]) for k in a)  # autocast really ran the forward in bf16
    history = json.loads((bf16 / "history.json").read_text())
    assert history["loss"][-1][1] < history["loss"][0][1]
    # precision is how a run is computed, not what it is: a float32 run resumes in bf16
    first = []
    cfg = _cfg(tiny_data, tmp_path / "switch", steps=8, val_every=100)
    train(cfg, progress=first.append, should_stop=lambda: len(first) >= 4)
    resumed = []
    train(replace(cfg, precision="bf16"), progress=resumed.append)
    assert [p.step for p in resumed] == [5, 6, 7, 8]
    with pytest.raises(SrdemoError, match="Precision"):
        _cfg(tiny_data, tmp_path, precision="fp8")


def test_bf16_on_a_cpu_without_native_bf16_warns_and_nothing_else_does(tiny_data, tmp_path, monkeypatch):
    def bf16_warnings(native: bool, precision: str, name: str) -> list[str]:
        monkeypatch.setattr("srdemo.training.loop.cpu_has_native_bf16", lambda: native)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train(_cfg(tiny_data, tmp_path / name, steps=1, val_every=100, precision=precision))
        return [str(w.message) for w in caught if "bfloat16" in str(w.message)]

    (emulated,) = bf16_warnings(False, "bf16", "emulated")
    assert "--precision fp32" in emulated
    assert bf16_warnings(False, "fp32", "fp32") == []
    assert bf16_warnings(True, "bf16", "native") == []


def test_fine_tuning_keeps_architecture_and_records_the_base(tiny_data, tmp_path, compact_file):
    out = train(_cfg(tiny_data, tmp_path / "ft", steps=10, init=str(compact_file), channels=None))
    assert spandrel.ModelLoader().load_from_file(str(out / "model.safetensors")).architecture.name.startswith("RealESRGAN")
    # the base by its folder and file name: an absolute path would tell where the server keeps its files
    assert json.loads((out / "config.json").read_text())["base_model"] == "/".join(compact_file.parts[-2:])
    history = json.loads((out / "history.json").read_text())
    assert history["base"] is not None and history["bicubic"] is not None


def test_bad_settings_are_explained(tiny_data, tmp_path, compact_file):
    with pytest.raises(SrdemoError, match="multiple of the scale"):
        _cfg(tiny_data, tmp_path, patch=33)
    with pytest.raises(SrdemoError, match="x2 RealESRGAN Compact model; only SPAN models can change scale"):
        train(_cfg(tiny_data, tmp_path / "x", scale=4, init=str(compact_file), channels=None))
    with pytest.raises(SrdemoError, match="leave out --channels"):
        train(_cfg(tiny_data, tmp_path / "x", init=str(compact_file), channels=12))
    with pytest.raises(SrdemoError, match="No usable training images"):
        train(_cfg(tmp_path / "empty-dir-that-is-missing", tmp_path / "y"))


def _cli_train(data, out, steps, extra=(), env=None):
    return [sys.executable, "-m", "srdemo", "train", "--data", str(data), "--out", str(out), "--scale", "2",
            "--steps", str(steps), "--batch", "4", "--patch", "32", "--channels", "8", "--val-every", "5",
            "--val-count", "2", "--checkpoint-every", "1", *extra]


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical(tiny_data, tmp_path):
    steps = 16
    straight = tmp_path / "straight"
    subprocess.run(_cli_train(tiny_data, straight, steps), check=True, cwd=ROOT, capture_output=True, timeout=300)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli_train(tiny_data, killed, steps), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline:
        ckpt = killed / CHECKPOINT
        try:
            if ckpt.exists() and read_metadata(ckpt)["step"] >= 6:
                break
        except Exception:
            pass  # mid-rename; look again
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stopped_at = read_metadata(killed / CHECKPOINT)["step"]
    assert 6 <= stopped_at < steps
    subprocess.run(_cli_train(tiny_data, killed, steps), check=True, cwd=ROOT, capture_output=True, timeout=300)

    a, b = load_file(str(straight / "model.safetensors")), load_file(str(killed / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_gloo_processes_match_one_on_the_same_global_batch(tiny_data, tmp_path):
    steps = 6
    extra = ["--ema", "0", "--seed", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = tmp_path / "one"
    subprocess.run(_cli_train(tiny_data, one, steps, extra), check=True, cwd=ROOT, capture_output=True, timeout=300, env=env)
    two = tmp_path / "two"
    from conftest import _free_port

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
           "-m", "srdemo", *_cli_train(tiny_data, two, steps, extra)[3:]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = load_file(str(one / CHECKPOINT))
    b = load_file(str(two / CHECKPOINT))
    model_keys = [k for k in a if k.startswith("model.")]
    diff = max(float((a[k] - b[k]).abs().max()) for k in model_keys)
    assert diff <= 1e-6
    assert read_metadata(two / CHECKPOINT)["step"] == steps
