"""A/B: two models on the same photo (the same request through :func:`srdemo.request.upscale` but the model),
and one plain sentence a merchandiser can show a colleague: which to use for this photo, and why.
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


SAME_SECONDS = 0.5  # times this close, or within a quarter of each other, read as 'about the same time'


def _about_as_fast(x: float, y: float) -> bool:
    return abs(x - y) < SAME_SECONDS or max(x, y) <= 1.25 * min(x, y)


def _speed(side: str, mine: float, other: float) -> str:
    """How the chosen side's time compares, as the tail of the sentence (', and A is 3.0x faster (...)')."""
    if _about_as_fast(mine, other):
        return text("ab_speed_same")
    fast, slow = min(mine, other), max(mine, other)
    return text("ab_speed_faster" if mine <= other else "ab_speed_slower", side=side, ratio=slow / max(fast, 1e-6),
                fast=fast, slow=slow)


def describe(a: Upscaled, b: Upscaled, compressed: bool = False) -> str:
    """Which to use for this photo and why, in one sentence that never argues with itself.

    On a ``compressed`` photo a model made for compressed photos wins whatever the quality check says (the check
    sees sharpness, not the JPEG blocks it removes); otherwise the better score, and within ``advice.SAME_DB`` the faster.
    """
    ca, cb = a.result.comparison, b.result.comparison
    made_for_it = [side for side, up in (("A", a), ("B", b)) if up.model.for_compressed]
    if compressed and len(made_for_it) == 1:
        side, why = made_for_it[0], text("ab_why_compressed")
    elif ca is None or cb is None:
        return text("ab_unchecked", a_seconds=a.seconds, b_seconds=b.seconds)
    else:
        where = text("ab_where_reference" if ca.kind == "reference" else "ab_where_self_check")
        diff = cb.model.psnr - ca.model.psnr
        if np.isnan(diff) or abs(diff) < advice.SAME_DB:  # nan: both rebuilt exactly
            if _about_as_fast(a.seconds, b.seconds):
                return text("ab_either", where=where)
            side, why = "A" if a.seconds <= b.seconds else "B", text("ab_why_same", where=where)
        else:
            side, why = "B" if diff > 0 else "A", text("ab_why_better", amount=abs(diff), where=where)
    mine, other = (a.seconds, b.seconds) if side == "A" else (b.seconds, a.seconds)
    return text("ab_use", side=side, why=why + _speed(side, mine, other))


def is_compressed(pic: Picture) -> bool:
    """Whether a photo carries JPEG blocks: saved as a compressed JPEG, or showing the blocks of an earlier one."""
    low_quality = pic.jpeg_quality is not None and pic.jpeg_quality < advice.COMPRESSED_JPEG
    return low_quality or auto.kind_of(auto.facts_of(pic, pic.size, "cpu"), auto.load_rules())[1]


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
    """``box`` output pixels around the input point (x, y), enlarged to ``show`` px pixel for pixel: A and B at the same
    place and magnification, so packaging text compares letter by letter."""
    rgb = visible_rgb(pic)
    h, w = rgb.shape[:2]
    cx, cy = x * w / in_size[0], y * h / in_size[1]
    box = min(box, w, h)
    x0 = int(min(max(0, round(cx - box / 2)), w - box))
    y0 = int(min(max(0, round(cy - box / 2)), h - box))
    crop = Image.fromarray(np.ascontiguousarray(rgb[y0 : y0 + box, x0 : x0 + box]))
    return np.asarray(crop.resize((show, show), Image.Resampling.NEAREST))
