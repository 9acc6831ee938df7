"""The training engine: a real (tiny) run, exact resume after SIGKILL, and data parallelism."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import spandrel
import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file

from srdemo import metrics, models
from srdemo.errors import SrdemoError
from srdemo.synthetic import render_set
from srdemo.train import CHECKPOINT, LOSSES, TrainConfig, build_network, export_state, make_batch, read_metadata, train

from conftest import ROOT


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-data")
    for i, img in enumerate(render_set(10, 64, seed=3)):
        img.save(folder / f"p{i:02d}.png")
    return folder


def _cfg(data, out, **kw):
    base = dict(data=(str(data),), out=str(out), scale=2, steps=40, batch=4, patch=32, channels=8,
                val_every=20, checkpoint_every=10, val_crop=48, val_count=2)
    base.update(kw)
    return TrainConfig(**base)


def test_batches_depend_only_on_seed_and_step(tiny_data):
    from srdemo.train import load_data

    cfg = _cfg(tiny_data, "unused")
    data = load_data(cfg).train
    a, b = make_batch(data, cfg, 5), make_batch(data, cfg, 5)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(make_batch(data, cfg, 6)[1], a[1])
    assert a[0].shape == (4, 3, 16, 16) and a[1].shape == (4, 3, 32, 32)


def test_validation_images_are_degraded_the_same_whatever_the_run_seed(tiny_data):
    """Two runs on the same held-out photos must score the same LR images, or their figures can't be compared."""
    from srdemo.train import _val_pairs, load_data

    held_out = ("p01.png", "p04.png")
    pairs = {}
    for seed in (0, 7):
        cfg = _cfg(tiny_data, "unused", degrade="product", val_files=held_out, seed=seed)
        pairs[seed] = _val_pairs(load_data(cfg), cfg)
    for (lr0, hr0), (lr7, hr7) in zip(pairs[0], pairs[7], strict=True):
        assert np.array_equal(hr0, hr7) and np.array_equal(lr0, lr7)
    # The degradation is random per photo, not one draw shared by all: the same crop under another name
    # (another seed) comes out differently.
    cfg = _cfg(tiny_data, "unused", degrade="product", val_files=held_out)
    (name, img), _ = load_data(cfg).val
    renamed = type(load_data(cfg))(train=[], val=[(name, img), ("other-" + name, img)], skipped=[])
    (lr_a, _), (lr_b, _) = _val_pairs(renamed, cfg)
    assert not np.array_equal(lr_a, lr_b)


def test_losses_match_torch_and_unknown_ones_are_refused(tmp_path):
    sr, hr = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    F = torch.nn.functional
    assert torch.allclose(LOSSES["l1"](sr - hr), F.l1_loss(sr, hr))
    assert torch.allclose(LOSSES["mse"](sr - hr), F.mse_loss(sr, hr))
    assert torch.allclose(LOSSES["charbonnier"](sr - hr), F.l1_loss(sr, hr), atol=1e-3)  # eps of 1e-3
    with pytest.raises(SrdemoError, match="mse"):
        _cfg(tmp_path, tmp_path, loss="l2")


def test_luma_mse_weights_luma_against_the_metrics_own_y():
    sr, hr = torch.rand(2, 3, 8, 8, dtype=torch.float64), torch.rand(2, 3, 8, 8, dtype=torch.float64)
    # Luma from the benchmark's MATLAB rgb2ycbcr, in RGB units (Y spans 219 levels for 255 of grey).
    to_y = lambda t: metrics.rgb_to_y(t.permute(0, 2, 3, 1).numpy() * 255) / 219  # noqa: E731
    luma = np.mean((to_y(sr) - to_y(hr)) ** 2)
    expected = 0.8 * luma + 0.2 * np.mean((sr - hr).numpy() ** 2)
    assert LOSSES["luma-mse"](sr - hr).item() == pytest.approx(expected, rel=1e-9)
    # A colour error that leaves luma unchanged costs a fifth of what the same-sized grey error does.
    grey = torch.full((1, 3, 4, 4), 0.1, dtype=torch.float64)
    chroma = torch.linalg.cross(torch.tensor(metrics.Y_WEIGHTS), torch.ones(3, dtype=torch.float64))  # Y-free
    chroma = (chroma / chroma.norm() * grey[0, :, 0, 0].norm()).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    assert LOSSES["luma-mse"](chroma).item() == pytest.approx(0.2 * LOSSES["mse"](grey).item(), rel=1e-9)
    assert LOSSES["luma-mse"](grey).item() == pytest.approx(LOSSES["mse"](grey).item(), rel=1e-9)


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
    assert models.load(str(out / "model.safetensors")).scale == 2
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
        monkeypatch.setattr("srdemo.train.cpu_has_native_bf16", lambda: native)
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
    assert json.loads((out / "config.json").read_text())["base_model"] == str(compact_file)
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


def test_span_changes_scale_starting_from_the_box_downscaled_old_model(tmp_path):
    """x4 -> x2 keeps the body and averages the sub-pixels, so x2(img) == avgpool2(x4(img))."""
    from safetensors.torch import save_file
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(0)
    x4 = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=4).train()
    save_file({k: v.contiguous() for k, v in x4.state_dict().items()}, str(tmp_path / "x4.safetensors"))
    net, base = build_network(TrainConfig(data=("x",), out=str(tmp_path), scale=2, init=str(tmp_path / "x4.safetensors")))
    assert base.endswith("x4.safetensors")
    img = torch.rand(1, 3, 12, 10)
    with torch.no_grad():
        expected = torch.nn.functional.avg_pool2d(x4(img), 2)
        got = net.train()(img)
    assert got.shape == (1, 3, 24, 20)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_parameter_count_is_what_inference_runs():
    """SPAN's training branches fuse into one 3x3 conv per layer; the card counts the fused kernels."""
    import re

    from spandrel.architectures.SPAN import SPAN

    from srdemo.train import inference_parameters

    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2)
    branch = re.compile(r"\.(sk|conv\.\d)\.")
    expected = sum(v.numel() for k, v in net.state_dict().items() if not branch.search(k))
    assert inference_parameters(net) == expected < sum(p.numel() for p in net.parameters())


def test_a_widened_span_starts_computing_what_the_narrow_one_did(tmp_path):
    """--channels with a SPAN --init grows it: new channels are silent at first, then learn."""
    from safetensors.torch import save_file
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(0)
    narrow = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2).train()
    save_file({k: v.contiguous() for k, v in narrow.state_dict().items()}, str(tmp_path / "n.safetensors"))
    cfg = TrainConfig(data=("x",), out=str(tmp_path), scale=2, init=str(tmp_path / "n.safetensors"), channels=12)
    wide, _ = build_network(cfg)
    assert wide.conv_1.sk.weight.shape[0] == 12
    img = torch.rand(2, 3, 10, 12)
    with torch.no_grad():
        expected = narrow(img)
    got = wide.train()(img)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-5)
    got.square().mean().backward()  # the zero weights from new channels into old ones learn at once
    assert wide.block_3.c2_r.sk.weight.grad[:8, 8:].abs().sum() > 0
    assert wide.conv_cat.weight.grad[:8, 8:12].abs().sum() > 0
    # widening keeps what the network is: it exports and reloads as a 12-channel SPAN
    assert spandrel.ModelLoader().load_from_state_dict(export_state(wide)).model.conv_1.sk.weight.shape[0] == 12
    with pytest.raises(SrdemoError, match="narrowed"):
        build_network(replace(cfg, channels=6))


def test_a_mixed_degradation_is_described_part_by_part_on_the_card(tmp_path):
    from srdemo.modelcard import degradation_text

    mixed = degradation_text("bicubic+compressed")
    assert degradation_text("bicubic") in mixed and degradation_text("compressed") in mixed
    assert "JPEG" in degradation_text("compressed") and "equal odds" in mixed
    weighted = degradation_text("bicubic+compressed+compressed")  # a part named twice: once, with its share
    assert weighted.count(degradation_text("compressed")) == 1 and "(2 in 3 samples)" in weighted
    assert f"{degradation_text('bicubic')} (1 in 3 samples)" in weighted

    from srdemo.modelcard import write_model_card
    from srdemo.train import History

    cfg = {"scale": 4, "architecture": "SPAN", "degradation": "bicubic+compressed", "parameters": 1, "steps": 1,
           "seed": 0, "data": ["photos"]}
    card = ModelCard.load(write_model_card(tmp_path, cfg, History()))
    assert {"bicubic", "compressed"} <= set(card.data.tags) and "bicubic+compressed" not in card.data.tags


def test_benchmark_table_figures_go_into_model_index_once():
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from srdemo.modelcard import add_benchmark_results

    held_out = EvalResult(task_type="image-to-image", dataset_type="custom", dataset_name="held-out",
                          metric_type="psnr", metric_value=28.5)
    table = """
| input | set | scale | bicubic | x2 | x4 |
|---|---|---|---|---|---|
| clean | Set5 | x2 | 33.68 | 37.50 | - |
| clean | Set5 | x4 | 28.43 | - | 31.40 |
| jpeg75 | BSD100 | x4 | 25.40 | - | 25.54 |
"""
    card = ModelCard.from_template(ModelCardData(model_name="m", eval_results=[held_out]), template_str="---\n{{ card_data }}\n---\n" + table)
    for _ in range(2):  # re-running on a published card replaces, never duplicates
        add_benchmark_results(card, "x4")
    got = [(r.dataset_type, r.dataset_config, r.metric_name, r.metric_value) for r in card.data.eval_results]
    assert got == [("custom", None, None, 28.5), ("Set5", "clean", "PSNR-Y (x4)", 31.40), ("BSD100", "jpeg75", "PSNR-Y (x4)", 25.54)]
    assert "BSD100 (JPEG-75 LR)" in ModelCard(str(card)).content  # survives a save and load as YAML
    with pytest.raises(ValueError, match="x4-product"):
        add_benchmark_results(card, "x4-product")
