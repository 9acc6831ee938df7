"""A/B: two models on the same photo, and one plain sentence about the difference.

Merchandisers need to show a colleague why model A beats model B; the
sentence says it in their words, with the self-check's limits stated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .images import Picture, visible_rgb
from .models import LoadedModel
from .pipeline import UpscaleResult, upscale_picture


@dataclass
class ABResult:
    a: UpscaleResult
    b: UpscaleResult
    sentence: str


def _speed_words(a_seconds: float, b_seconds: float) -> str:
    ratio = b_seconds / max(a_seconds, 1e-6)
    if 0.8 <= ratio <= 1.25:
        return "about as fast"
    return f"{ratio:.1f}x slower" if ratio > 1 else f"{1 / ratio:.1f}x faster"


def describe(a: UpscaleResult, b: UpscaleResult, a_spec, b_spec) -> str:
    """'B is 0.8 dB closer on the round-trip check and 3.0x slower', plus the caveats that apply."""
    words = []
    if a.comparison is not None and b.comparison is not None:
        diff = b.comparison.model.psnr - a.comparison.model.psnr
        kind = "against your reference" if a.comparison.kind == "reference" else "on the round-trip check"
        if abs(diff) < 0.05:
            words.append(f"B scores the same as A {kind}")
        else:
            words.append(f"B is {abs(diff):.1f} dB {'closer' if diff > 0 else 'further'} {kind}")
    else:
        words.append("No quality check was run")
    sentence = f"{words[0]} and {_speed_words(a.seconds, b.seconds)} ({b.seconds:.2f} s vs {a.seconds:.2f} s)."
    for label, spec in (("A", a_spec), ("B", b_spec)):
        if spec.for_compressed:
            sentence += (
                f" {label} is trained for compressed (JPEG) photos; the self-check measures clean downscaling only, "
                f"so it understates {label} on such photos."
            )
    return sentence


def compare(pic: Picture, model_a: LoadedModel, model_b: LoadedModel, scale: float,
            reference: Picture | None = None, **kwargs) -> ABResult:
    a = upscale_picture(model_a, pic, scale, reference=reference, **kwargs)
    b = upscale_picture(model_b, pic, scale, reference=reference, **kwargs)
    return ABResult(a, b, describe(a, b, model_a.spec, model_b.spec))


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
