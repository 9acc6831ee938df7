"""A/B: two models on the same photo, and one plain sentence: which to use for this photo, and why.

Merchandisers need to show a colleague why model A beats model B; the
sentence says it in their words, and never against itself: where the check
cannot see what a model is for (JPEG blocks), the sentence does not lean on it. Both
sides go through :func:`srdemo.request.upscale` with the same request but the model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from . import advice, auto
from .engine import ProgressFn, StopFn
from .images import Picture, visible_rgb
from .request import Upscaled, UpscaleRequest, read_picture, upscale
from .wording import text


@dataclass
class ABResult:
    a: Upscaled
    b: Upscaled
    sentence: str


SAME_SECONDS = 0.5
"""Times this close, or within a quarter of each other, read as 'about the same time': nobody waits for the rest."""


def _about_as_fast(x: float, y: float) -> bool:
    return abs(x - y) < SAME_SECONDS or max(x, y) <= 1.25 * min(x, y)


def _speed(winner: str, mine: float, other: float) -> str:
    """How the chosen side's time compares, as the tail of the sentence (', and A is 3.0x faster (...)')."""
    if _about_as_fast(mine, other):
        return text("ab_speed_same")
    fast, slow = min(mine, other), max(mine, other)
    return text("ab_speed_faster" if mine <= other else "ab_speed_slower", side=winner, ratio=slow / max(fast, 1e-6),
                fast=fast, slow=slow)


def describe(a: Upscaled, b: Upscaled, compressed: bool = False) -> str:
    """Which to use for this photo and why, in one sentence that never argues with itself.

    A model made for compressed photos wins on a ``compressed`` photo whatever the quality check says (the
    check shrinks the photo and rebuilds it: it sees sharpness, not the JPEG blocks that model removes);
    otherwise the better score wins, and within ``advice.SAME_DB`` the faster one.
    """
    ca, cb = a.result.comparison, b.result.comparison
    made_for_it = [side for side, up in (("A", a), ("B", b)) if up.model.for_compressed]
    seconds = {"A": a.seconds, "B": b.seconds}
    if compressed and len(made_for_it) == 1:
        side = made_for_it[0]
        other = "B" if side == "A" else "A"
        return text("ab_use", side=side, why=text("ab_why_compressed") + _speed(side, seconds[side], seconds[other]))
    if ca is None or cb is None:
        return text("ab_unchecked", a_seconds=a.seconds, b_seconds=b.seconds)
    where = text("ab_where_reference" if ca.kind == "reference" else "ab_where_self_check")
    diff = cb.model.psnr - ca.model.psnr
    if np.isnan(diff) or abs(diff) < advice.SAME_DB:  # nan: both rebuilt exactly
        if _about_as_fast(a.seconds, b.seconds):
            return text("ab_either", where=where)
        side = "A" if a.seconds <= b.seconds else "B"
        other = "B" if side == "A" else "A"
        return text("ab_use", side=side, why=text("ab_why_same", where=where) + _speed(side, seconds[side], seconds[other]))
    side = "B" if diff > 0 else "A"
    other = "B" if side == "A" else "A"
    why = text("ab_why_better", amount=abs(diff), where=where) + _speed(side, seconds[side], seconds[other])
    return text("ab_use", side=side, why=why)


def is_compressed(pic: Picture) -> bool:
    """Whether a photo carries JPEG blocks: saved as a compressed JPEG, or showing the blocks of an earlier one."""
    if pic.jpeg_quality is not None and pic.jpeg_quality < advice.COMPRESSED_JPEG:
        return True
    return auto.shows_blocks(auto.facts_of(pic, pic.size, "cpu"), auto.load_rules())


def compare(source: bytes | str | Path | Picture, request: UpscaleRequest, model_a: str, model_b: str, *,
            name: str | None = None, progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> ABResult:
    """The same request run with ``model_a`` and with ``model_b``."""
    pic = read_picture(source, name)
    runs = []
    for k, model in enumerate((model_a, model_b)):
        # each side's own fraction beside its own time left: "A: about 5 s left" at A's 42%, not at 21% of both
        sub = None if progress is None else (lambda f, msg, k=k: progress(f, f"{'AB'[k]}: {msg}"))
        runs.append(upscale(pic, dataclasses.replace(request, model=model), progress=sub, should_stop=should_stop))
    return ABResult(runs[0], runs[1], describe(runs[0], runs[1], is_compressed(pic)))


def zoom(pic: Picture, x: float, y: float, in_size: tuple[int, int], box: int = 64, show: int = 384) -> np.ndarray:
    """Crop ``box`` output pixels around the input point (x, y) and enlarge it to ``show`` px, pixel for pixel.

    Both A and B are cropped at the same place and magnification, so packaging
    text can be compared letter by letter.
    """
    rgb = visible_rgb(pic)
    h, w = rgb.shape[:2]
    cx, cy = x * w / in_size[0], y * h / in_size[1]
    box = min(box, w, h)
    x0 = int(min(max(0, round(cx - box / 2)), w - box))
    y0 = int(min(max(0, round(cy - box / 2)), h - box))
    crop = Image.fromarray(np.ascontiguousarray(rgb[y0 : y0 + box, x0 : x0 + box]))
    return np.asarray(crop.resize((show, show), Image.Resampling.NEAREST))
