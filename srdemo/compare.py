"""A/B: two models on the same photo, and one plain sentence about the difference.

Merchandisers need to show a colleague why model A beats model B; the
sentence says it in their words, with the self-check's limits stated. Both
sides go through :func:`srdemo.request.upscale` with the same request but the model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .engine import ProgressFn, StopFn
from .images import Picture, visible_rgb
from .request import Upscaled, UpscaleRequest, read_picture, upscale
from .wording import text


@dataclass
class ABResult:
    a: Upscaled
    b: Upscaled
    sentence: str


def _speed_words(a_seconds: float, b_seconds: float) -> str:
    ratio = b_seconds / max(a_seconds, 1e-6)
    if 0.8 <= ratio <= 1.25:
        return text("ab_about_as_fast")
    return text("ab_slower", ratio=ratio) if ratio > 1 else text("ab_faster", ratio=1 / ratio)


def describe(a: Upscaled, b: Upscaled) -> str:
    """'B is better than A on the sharpness check (by 0.8 dB) and 3.0x slower', plus the caveats that apply."""
    ca, cb = a.result.comparison, b.result.comparison
    if ca is not None and cb is not None:
        diff = cb.model.psnr - ca.model.psnr
        where = text("ab_where_reference" if ca.kind == "reference" else "ab_where_self_check")
        if np.isnan(diff) or abs(diff) < 0.05:  # nan: both rebuilt exactly
            quality = text("ab_same", where=where)
        else:
            quality = text("ab_diff", amount=abs(diff), direction=text("ab_closer" if diff > 0 else "ab_further"),
                           where=where)
    else:
        quality = text("ab_no_check")
    sentence = text("ab_sentence", quality=quality, speed=_speed_words(a.seconds, b.seconds),
                    a_seconds=a.seconds, b_seconds=b.seconds)
    for side, up in (("A", a), ("B", b)):
        if up.model.for_compressed:
            sentence += text("ab_compressed_caveat", side=side)
    return sentence


def compare(source: bytes | str | Path | Picture, request: UpscaleRequest, model_a: str, model_b: str, *,
            name: str | None = None, progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> ABResult:
    """The same request run with ``model_a`` and with ``model_b``."""
    pic = read_picture(source, name)
    runs = []
    for k, model in enumerate((model_a, model_b)):
        sub = None if progress is None else (lambda f, msg, k=k: progress((k + f) / 2, f"{'AB'[k]}: {msg}"))
        runs.append(upscale(pic, dataclasses.replace(request, model=model), progress=sub, should_stop=should_stop))
    return ABResult(runs[0], runs[1], describe(runs[0], runs[1]))


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
