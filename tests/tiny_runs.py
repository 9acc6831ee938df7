"""A tiny photo set and run settings for the training tests: a run takes seconds on a CPU."""

from __future__ import annotations

from pathlib import Path

from srdemo.synthetic import render_set
from srdemo.training import TrainConfig


def tiny_photos(folder: Path) -> Path:
    for i, img in enumerate(render_set(10, 64, seed=3)):
        img.save(folder / f"p{i:02d}.png")
    return folder


def tiny_config(data, out, **kw) -> TrainConfig:
    base = dict(data=(str(data),), out=str(out), scale=2, steps=40, batch=4, patch=32, channels=8,
                val_every=20, checkpoint_every=10, val_crop=48, val_count=2)
    base.update(kw)
    return TrainConfig(**base)
