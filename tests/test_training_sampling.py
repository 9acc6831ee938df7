"""Training data: batches and validation images that depend only on what defines them."""

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_runs import tiny_config as _cfg
from tiny_runs import tiny_photos

from srdemo.training.sampling import load_data, make_batch, val_pairs


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    return tiny_photos(tmp_path_factory.mktemp("tiny-data"))


def test_batches_depend_only_on_seed_and_step(tiny_data):
    cfg = _cfg(tiny_data, "unused")
    data = load_data(cfg).train
    a, b = make_batch(data, cfg, 5), make_batch(data, cfg, 5)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(make_batch(data, cfg, 6)[1], a[1])
    assert a[0].shape == (4, 3, 16, 16) and a[1].shape == (4, 3, 32, 32)


def test_validation_images_are_degraded_the_same_whatever_the_run_seed(tiny_data):
    """Two runs on the same held-out photos must score the same LR images, or their figures can't be compared."""
    held_out = ("p01.png", "p04.png")
    pairs = {}
    for seed in (0, 7):
        cfg = _cfg(tiny_data, "unused", degrade="product", val_files=held_out, seed=seed)
        pairs[seed] = val_pairs(load_data(cfg), cfg)
    for (lr0, hr0), (lr7, hr7) in zip(pairs[0], pairs[7], strict=True):
        assert np.array_equal(hr0, hr7) and np.array_equal(lr0, lr7)
    # The degradation is random per photo, not one draw shared by all: the same crop under another name
    # (another seed) comes out differently.
    cfg = _cfg(tiny_data, "unused", degrade="product", val_files=held_out)
    (name, img), _ = load_data(cfg).val
    renamed = type(load_data(cfg))(train=[], val=[(name, img), ("other-" + name, img)], skipped=[])
    (lr_a, _), (lr_b, _) = val_pairs(renamed, cfg)
    assert not np.array_equal(lr_a, lr_b)
