"""Run settings, losses and history: checks, and their JSON form (the one every file and resume relies on)."""

import json
from dataclasses import fields

import numpy as np
import pytest
import torch
from tiny_runs import tiny_config as _cfg

from srdemo import metrics
from srdemo.errors import SrdemoError
from srdemo.training.config import LOSSES, History, TrainConfig


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


def test_config_goes_to_json_and_back_unchanged(tmp_path):
    cfg = _cfg(tmp_path / "a", tmp_path / "b", val_files=("x.png", "y.png"), init="x2", device="cpu")
    as_json = cfg.to_json()
    assert as_json["data"] == [str(tmp_path / "a")] and as_json["val_files"] == ["x.png", "y.png"]
    assert list(as_json) == [f.name for f in fields(TrainConfig)]
    assert TrainConfig.from_json(json.loads(json.dumps(as_json))) == cfg


def test_the_run_key_is_what_checkpoints_have_always_recorded(tmp_path):
    """Checkpoints compare it on resume: its keys and their order must not change, or old runs stop resuming."""
    cfg = _cfg(tmp_path, tmp_path / "out", val_files=("x.png",), precision="fp32", device="cpu")
    key = cfg.run_key()
    assert list(key) == ["data", "scale", "steps", "init", "arch", "channels", "degrade", "batch", "patch", "lr", "loss",
                         "ema", "val_count", "val_files", "val_crop", "seed"]
    assert key["data"] == [str(tmp_path)] and key["val_files"] == ["x.png"]
    # where, how precisely, and how often it reports are not part of what the run computes
    from dataclasses import replace

    assert replace(cfg, out="elsewhere", device=None, precision="bf16", val_every=1, checkpoint_every=1).run_key() == key
    assert replace(cfg, seed=1).run_key() != key
    assert TrainConfig.from_json({**json.loads(json.dumps(key)), "out": str(tmp_path / "out"), "precision": "fp32",
                                  "device": "cpu", "val_every": 20, "checkpoint_every": 10}) == cfg


def test_history_goes_to_json_and_back_unchanged():
    history = History(loss=[(1, 0.5), (2, 0.25)], val=[(2, 30.0, 0.9)], bicubic=(28.0, 0.8), base=None)
    back = History.from_json(json.loads(json.dumps(history.to_json())))
    assert back == history and isinstance(back.loss[0], tuple) and isinstance(back.bicubic, tuple)
    assert History.from_json(json.loads(json.dumps(History().to_json()))) == History()
    assert back.best_psnr() == 30.0 and History().best_psnr() == -np.inf
