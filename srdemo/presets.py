"""Marketplace presets, and fitting an upscaled product photo to one.

Presets are data: each names its source and the date it was checked, so a
merchandiser can see where a rule comes from (labels and sources in English here,
in other languages in their ``srdemo.wording`` tables). Fitting means: the size to
upscale to, an optional pad to a square on pure white (or kept transparency)
with the product centred, and plain warnings when the photo breaks a rule
(not on white, product too small in the frame), each saying what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import SrdemoError
from .images import Picture, white_mask
from .wording import text, translated

WHITE_NOISE = 8  # levels (of 255) below white that JPEG and resampling leave on a white background: unseen
GREY = 235  # off-white border pixels this light on average are a grey background, not a scene
EDGE_SHARE = 0.5  # share of an edge not white from which the background is not white (a product touching covers less)


@dataclass(frozen=True)
class Preset:
    id: str
    label: str
    longest_side: int | None = None  # target for the longest side
    exact: tuple[int, int] | None = None  # exact (width, height) of the canvas
    square: bool = False  # pad to a square canvas
    white_background: bool = False  # the rules ask for pure white (255, 255, 255)
    min_fill: float = 0.0  # product should fill at least this share of the longest side
    scale: float | None = None  # without a longest side or exact size: enlarge by this much (a custom square)
    format: str = "jpeg"
    source: str = ""
    checked: str = ""

    def target(self, size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """(size to upscale the photo to, canvas size). Aspect ratio is always kept."""
        w, h = size
        if self.exact is not None:
            cw, ch = self.exact
            f = min(cw / w, ch / h)
        else:
            side = self.longest_side or round(max(w, h) * (self.scale or 1))
            f = side / max(w, h)
            cw, ch = (side, side) if self.square else (round(w * f), round(h * f))
        fitted = (max(1, min(cw, round(w * f))), max(1, min(ch, round(h * f))))
        canvas = (cw, ch) if (self.square or self.exact) else fitted
        return fitted, canvas


PRESETS = {
    p.id: p
    for p in (
        Preset(
            "amazon-main", "Amazon main image (2000 px square, pure white, product ~85% of frame)",
            longest_side=2000, square=True, white_background=True, min_fill=0.85, format="jpeg",
            source="Amazon Seller Central, Product image requirements: main image on pure white RGB 255, "
                   "product fills 85% or more of the frame, at least 1000 px on the longest side for zoom "
                   "(1600+ recommended)",
            checked="2026-11-26",
        ),
        Preset(
            "shopify", "Shopify product image (2048 x 2048 square)",
            exact=(2048, 2048), square=True, format="jpeg",
            source="Shopify Help Center, Product media types and specifications: 2048 x 2048 px square "
                   "recommended for product images",
            checked="2026-11-26",
        ),
        Preset(
            "web-1600", "Web shop, 1600 px longest side (no padding)",
            longest_side=1600, format="webp", source="srdemo default for a zoomable web image", checked="2026-11-26",
        ),
    )
}


def custom_preset(longest_side: int | None = None, exact: tuple[int, int] | None = None, square: bool = False,
                  fmt: str = "png", white: bool = False, scale: float | None = None) -> Preset:
    """A size of the user's own (a longest side, an exact size, or a scale); ``white`` puts a transparent
    product on pure white and checks that the border is white."""
    if not longest_side and not exact and not (scale and scale > 0):
        raise SrdemoError(text("err_custom_size"))
    return Preset("custom", text("preset_custom_label"), longest_side=longest_side, exact=exact, square=square,
                  white_background=white, format=fmt, scale=scale)


def get_preset(preset_id: str) -> Preset:
    try:
        return PRESETS[preset_id]
    except KeyError:
        raise SrdemoError(text("err_unknown_preset", preset_id=preset_id, choices=", ".join(PRESETS))) from None


def parse_preset(preset: str | None, size: str | None = None, square: bool = False) -> Preset | None:
    """A preset by id, else a custom size: a longest side (``1600``) or width x height (``1200x900``); else None."""
    if preset and preset != "custom":
        return get_preset(preset)
    if not size:
        return None
    try:
        if "x" in size.lower():
            w, h = (int(v) for v in size.lower().split("x"))
            return custom_preset(exact=(w, h), square=square)
        return custom_preset(longest_side=int(size), square=square)
    except ValueError:
        raise SrdemoError(text("err_size", size=size)) from None


def _product_mask(pic: Picture) -> np.ndarray:
    """Pixels that are product: visible and not pure white."""
    mask = ~white_mask(pic.rgb, pic.max_value)
    if pic.alpha is not None:
        mask &= pic.alpha > 0
    return mask


def pad_to_canvas(pic: Picture, canvas: tuple[int, int]) -> Picture:
    """Centre the picture on a canvas: pure white, or transparent when it has alpha."""
    cw, ch = canvas
    w, h = pic.size
    if (w, h) == (cw, ch):
        return pic
    x0, y0 = (cw - w) // 2, (ch - h) // 2
    rgb = np.full((ch, cw, 3), pic.max_value, dtype=pic.rgb.dtype)
    rgb[y0 : y0 + h, x0 : x0 + w] = pic.rgb
    alpha = None
    if pic.alpha is not None:
        alpha = np.zeros((ch, cw), dtype=pic.alpha.dtype)
        alpha[y0 : y0 + h, x0 : x0 + w] = pic.alpha
    return pic.with_pixels(rgb, alpha)


def _sides(pic: Picture) -> list[np.ndarray]:
    """The picture's four edges as a shopper sees them: 8-bit scale, transparency on white."""
    edges = []
    for cut in (np.s_[0], np.s_[-1], np.s_[:, 0], np.s_[:, -1]):
        rgb = pic.rgb[cut].astype(np.float32) * (255 / pic.max_value)
        if pic.alpha is not None:
            opacity = pic.alpha[cut].astype(np.float32)[:, None] / pic.max_value
            rgb = rgb * opacity + 255 * (1 - opacity)
        edges.append(rgb)
    return edges


def background(pic: Picture) -> str:
    """What surrounds the product: "white", "grey" (light but not white: a studio backdrop) or "scene"
    (a shelf, a room).

    Judged edge by edge: a background that is not white covers at least half of an edge, while a
    product touching the frame covers less, and a white backdrop keeps only the few levels of noise
    JPEG and resampling leave (unseen). The earlier rule, every border pixel exactly 255, failed
    nearly every real catalogue photo on white, so its warning told a merchandiser nothing.
    (A scene photo wider than 2:1 padded to a square covers under half of its edges and is missed.)
    """
    covered = []
    for edge in _sides(pic):
        off = (edge < 255 - WHITE_NOISE).any(axis=1)
        if off.mean() >= EDGE_SHARE:
            covered.append(edge[off])
    if not covered:
        return "white"
    return "grey" if np.concatenate(covered).mean() >= GREY else "scene"


def check_against(pic: Picture, preset: Preset) -> list[str]:
    """Plain warnings where the finished image breaks the preset's rules, each saying what to do."""
    warnings = []
    if pic.alpha is not None:
        warnings.append(text("warn_transparent_kept"))
    if preset.white_background:
        kind = background(pic)
        if kind != "white":
            warnings.append(text("warn_off_white" if kind == "grey" else "warn_not_on_white"))
    if preset.min_fill > 0:
        mask = _product_mask(pic)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))  # the product's bounding box
        if rows.size:
            fill = max((cols[-1] - cols[0] + 1) / pic.size[0], (rows[-1] - rows[0] + 1) / pic.size[1])
            if fill < preset.min_fill:
                name = re.split(r" ?[(（]", translated("preset_label", preset.id, preset.label))[0]  # 'Amazon main image'
                warnings.append(text("warn_fill", fill=fill, preset=name, min_fill=preset.min_fill))
    return warnings
