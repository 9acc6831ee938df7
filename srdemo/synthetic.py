"""Product-like images rendered by our own code: packaging with printed text, a logo, flat colours on pure white,
transparent cut-outs (what supplier photos are made of and public SR datasets lack). Deterministic for a seed, so
examples, tests and training sets are reproducible and free of licence questions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_WORDS = [
    "ORGANIC", "OAT", "MILK", "CRISPY", "MUESLI", "FRESH", "ROAST", "COFFEE", "GREEN", "TEA", "HONEY",
    "PASTA", "TOMATO", "SAUCE", "BERRY", "JUICE", "SEA", "SALT", "DARK", "CHOCO", "RICE", "BEANS",
]
_PALETTE = [
    (200, 30, 45), (20, 90, 170), (30, 140, 70), (240, 170, 20), (90, 40, 120), (15, 15, 15),
    (230, 100, 20), (0, 130, 140), (250, 245, 230), (120, 70, 30),
]


def render_product(seed: int, size: int = 384, transparent: bool = False) -> Image.Image:
    """One packaged product, centred on white (or on transparency), about 80% of the frame."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGBA" if transparent else "RGB", (size, size), (0, 0, 0, 0) if transparent else (255, 255, 255))
    draw = ImageDraw.Draw(img)
    colour = _PALETTE[rng.integers(len(_PALETTE))]
    accent = _PALETTE[rng.integers(len(_PALETTE))]
    box_w = int(size * rng.uniform(0.45, 0.7))
    box_h = int(size * rng.uniform(0.6, 0.82))
    x0, y0 = (size - box_w) // 2, (size - box_h) // 2
    x1, y1 = x0 + box_w, y0 + box_h
    shape = rng.integers(3)
    full = lambda c: c + (255,) if transparent else c  # noqa: E731
    if shape == 0:  # carton
        draw.rectangle((x0, y0, x1, y1), fill=full(colour))
    elif shape == 1:  # pouch with rounded corners
        draw.rounded_rectangle((x0, y0, x1, y1), radius=box_w // 8, fill=full(colour))
    else:  # jar: body and lid
        draw.rounded_rectangle((x0, y0 + box_h // 6, x1, y1), radius=box_w // 5, fill=full(colour))
        draw.rectangle((x0 + box_w // 8, y0, x1 - box_w // 8, y0 + box_h // 6), fill=full(accent))
    # label panel
    lx0, ly0 = x0 + box_w // 10, y0 + box_h // 3
    lx1, ly1 = x1 - box_w // 10, y0 + int(box_h * 0.78)
    label_bg = (255, 255, 255) if sum(colour) < 500 else (30, 30, 30)
    draw.rectangle((lx0, ly0, lx1, ly1), fill=full(label_bg))
    ink = (20, 20, 20) if label_bg == (255, 255, 255) else (250, 250, 250)
    words = [_WORDS[i] for i in rng.choice(len(_WORDS), 3, replace=False)]
    title = max(10, (lx1 - lx0) // max(4, len(words[0])))
    draw.text((lx0 + 4, ly0 + 4), words[0], fill=full(ink), font=ImageFont.load_default(title))
    draw.text((lx0 + 4, ly0 + 8 + title), words[1], fill=full(accent), font=ImageFont.load_default(max(8, title * 2 // 3)))
    small = max(7, title // 3)
    for k in range(3):
        y = ly0 + 14 + title + title * 2 // 3 + k * (small + 3)
        if y + small < ly1:
            line = f"{words[2].title()} {rng.integers(100, 999)} g  No.{rng.integers(1000, 9999)}"
            draw.text((lx0 + 4, y), line, fill=full(ink), font=ImageFont.load_default(small))
    # logo: a circle with an initial
    r = max(6, box_w // 9)
    cx, cy = x0 + box_w // 2, y0 + box_h // 5 + (box_h // 12 if shape == 2 else 0)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=full(accent), outline=full(label_bg), width=max(1, r // 6))
    draw.text((cx, cy), words[0][0], fill=full(label_bg), font=ImageFont.load_default(int(r * 1.2)), anchor="mm")
    # barcode
    bx, by = x1 - box_w // 3, y1 - box_h // 9
    for k in range(18):
        if rng.random() < 0.6:
            draw.line((bx + 2 * k, by, bx + 2 * k, by + box_h // 14), fill=full((0, 0, 0)), width=1)
    return img


def render_set(count: int, size: int = 384, seed: int = 0) -> list[Image.Image]:
    """``count`` different products; a light blur on some mimics a soft photo."""
    images = [render_product(seed * 10_000 + i, size) for i in range(count)]
    return [img.filter(ImageFilter.GaussianBlur(0.6)) if i % 3 == 2 else img for i, img in enumerate(images)]
