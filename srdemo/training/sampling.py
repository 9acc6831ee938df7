"""Training data: the photos, split into training and held-out validation images, and the batches drawn from them
(a pure function of (seed, step); a validation pair, of (file name, degradation))."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..datasets import collect
from ..degradations import degradation
from ..errors import SrdemoError
from ..images import to_uint8_rgb
from ..wording import text
from .config import TrainConfig


@dataclass
class Data:
    train: list[np.ndarray]  # uint8 HxWx3
    val: list[tuple[str, np.ndarray]]
    skipped: list[tuple[str, str]]


def load_data(config: TrainConfig) -> Data:
    """The run's photos as uint8 RGB, split: ``val_files`` or ``val_count`` chosen by seed are held out."""
    found = collect([Path(p) for p in config.data], min_side=config.patch)
    if not found.pictures:
        raise SrdemoError(text("err_no_training_images", detail="\n" + found.report() if found.skipped else ""))
    names = [n for n, _ in found.pictures]
    if config.val_files:
        val_names = set(config.val_files)
    else:
        order = np.random.default_rng(config.seed).permutation(len(names))
        n_val = min(config.val_count, max(1, len(names) // 5))
        val_names = {names[i] for i in order[:n_val]}
    train = [to_uint8_rgb(p) for n, p in found.pictures if n not in val_names]
    val = [(n, to_uint8_rgb(p)) for n, p in found.pictures if n in val_names]
    if len(train) < 2:
        raise SrdemoError(text("err_too_few_training_images", train=len(train), val=len(val), need=2))
    return Data(train, val, found.skipped)


def make_batch(data: list[np.ndarray], config: TrainConfig, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The global batch for ``step``: a pure function of (seed, step), so resumes and ranks agree."""
    rng = np.random.default_rng([config.seed, step])
    degrade = degradation(config.degrade)
    hrs, lrs = [], []
    p = config.patch
    for _ in range(config.batch):
        img = data[rng.integers(len(data))]
        y = rng.integers(img.shape[0] - p + 1)
        x = rng.integers(img.shape[1] - p + 1)
        hr = img[y : y + p, x : x + p].astype(np.float32) / 255
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.rot90(hr, rng.integers(4)).copy()
        hrs.append(hr)
        lrs.append(degrade(hr, config.scale, rng))
    to_t = lambda arrs: torch.from_numpy(np.stack(arrs).transpose(0, 3, 1, 2).copy())  # noqa: E731
    return to_t(lrs), to_t(hrs)


def val_pairs(data: Data, config: TrainConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed (LR, HR) validation pairs: centre crops, each degraded with a seed from its file name (not the
    run's seed), so runs validated on the same photos with the same degradation can be compared."""
    pairs = []
    degrade = degradation(config.degrade)
    for name, img in data.val:
        c = min(config.val_crop, img.shape[0], img.shape[1])
        c -= c % config.scale
        y, x = (img.shape[0] - c) // 2, (img.shape[1] - c) // 2
        hr = img[y : y + c, x : x + c]
        rng = np.random.default_rng(zlib.crc32(name.encode("utf-8")))
        lr = degrade(hr.astype(np.float32) / 255, config.scale, rng)
        pairs.append((lr, hr))
    return pairs
