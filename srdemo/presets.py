"""Marketplace presets, and fitting an upscaled product photo to one: its size, a pad to a square on white,
and plain warnings where it breaks a rule. Each preset names its source and when it was checked."""

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


PRESETS = {p.id: p for p in (
    Preset("amazon-main", "Amazon main image (2000 px square, pure white, product ~85% of frame)",
           longest_side=2000, square=True, white_background=True, min_fill=0.85, checked="2026-11-26",
           source="Amazon Seller Central, Product image requirements: main image on pure white RGB 255, product fills "
                  "85% or more of the frame, at least 1000 px on the longest side for zoom (1600+ recommended)"),
    Preset("shopify", "Shopify product image (2048 x 2048 square)", exact=(2048, 2048), square=True, checked="2026-11-26",
           source="Shopify Help Center, Product media types and specifications: 2048 x 2048 px square "
                  "recommended for product images"),
    Preset("web-1600", "Web shop, 1600 px longest side (no padding)", longest_side=1600, format="webp",
           source="srdemo default for a zoomable web image", checked="2026-11-26"),
)}


def custom_preset(longest_side: int | None = None, exact: tuple[int, int] | None = None, square: bool = False,
                  fmt: str = "png", white: bool = False, scale: float | None = None) -> Preset:
    """A size of the user's own (a longest side, an exact size, or a scale); ``white`` puts a transparent
    product on pure white and checks that the border is white."""
    if not longest_side and not exact and not (scale and scale > 0):
        raise SrdemoError(text("err_custom_size"))
    return Preset("custom", text("preset_custom_label"), longest_side=longest_side, exact=exact, square=square,
                  white_background=white, format=fmt, scale=scale)


def get_preset(preset_id: str) -> Preset:
    """A marketplace preset by id, or a plain refusal listing the ids."""
    if preset_id not in PRESETS:
        raise SrdemoError(text("err_unknown_preset", preset_id=preset_id, choices=", ".join(PRESETS)))
    return PRESETS[preset_id]


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


def pad_to_canvas(pic: Picture, canvas: tuple[int, int]) -> Picture:
    """Centre the picture on a canvas: pure white, or transparent when it has alpha."""
    (cw, ch), (w, h) = canvas, pic.size
    if (w, h) == (cw, ch):
        return pic
    x0, y0 = (cw - w) // 2, (ch - h) // 2
    pad = ((y0, ch - h - y0), (x0, cw - w - x0))
    rgb = np.pad(pic.rgb, (*pad, (0, 0)), constant_values=pic.max_value)
    return pic.with_pixels(rgb, None if pic.alpha is None else np.pad(pic.alpha, pad))


def background(pic: Picture) -> str:
    """What surrounds the product: "white", "grey" (a light studio backdrop) or "scene" (a shelf, a room).

    Judged edge by edge, as a shopper sees it: a background that is not white covers at least half of an
    edge, a product touching the frame less, and a white backdrop keeps only unseen JPEG noise.
    """
    covered = []
    for cut in (np.s_[0], np.s_[-1], np.s_[:, 0], np.s_[:, -1]):
        edge = pic.rgb[cut].astype(np.float32) * (255 / pic.max_value)
        if pic.alpha is not None:  # transparency on white
            opacity = pic.alpha[cut].astype(np.float32)[:, None] / pic.max_value
            edge = edge * opacity + 255 * (1 - opacity)
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
        mask = ~white_mask(pic.rgb, pic.max_value)  # the product: visible and not pure white
        if pic.alpha is not None:
            mask &= pic.alpha > 0
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))  # the product's bounding box
        if rows.size:
            fill = max((cols[-1] - cols[0] + 1) / pic.size[0], (rows[-1] - rows[0] + 1) / pic.size[1])
            if fill < preset.min_fill:
                name = re.split(r" ?[(（]", translated("preset_label", preset.id, preset.label))[0]  # 'Amazon main image'
                warnings.append(text("warn_fill", fill=fill, preset=name, min_fill=preset.min_fill))
    return warnings
