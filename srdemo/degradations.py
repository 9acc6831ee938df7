"""Ways of making a low-resolution image from a high-resolution one.

The benchmark protocol every published SR table uses is MATLAB's ``imresize(img, 1/s, 'bicubic')``;
Pillow's bicubic differs from it by up to 12 grey levels on Set14, so it is reimplemented here.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from .errors import SrdemoError
from .wording import text


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5, as MATLAB's ``cubic``."""
    ax = np.abs(x)
    near = (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
    return near + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


def _resize_axis(img: np.ndarray, axis: int, out_len: int, scale: float) -> np.ndarray:
    """MATLAB's ``imresize`` along one axis (``scale`` = out/in); shrinking stretches the kernel by 1/scale (antialiasing).

    Borders repeat the edge pixel: mirrored ones put the given Set5/Set14 LR images up to 11 levels off along the edges."""
    width = 4.0 / min(scale, 1.0)
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    idx = np.floor(u - width / 2)[:, None] + np.arange(int(np.ceil(width)) + 2)[None, :]
    weights = scale * _cubic(scale * (u[:, None] - idx)) if scale < 1 else _cubic(u[:, None] - idx)
    weights /= weights.sum(axis=1, keepdims=True)
    keep = np.any(weights != 0, axis=0)
    idx = np.clip(idx.astype(np.int64) - 1, 0, img.shape[axis] - 1)[:, keep]
    moved = np.moveaxis(img, axis, 0)
    w = weights[:, keep].reshape(idx.shape + (1,) * (moved.ndim - 1))
    return np.moveaxis((moved[idx] * w).sum(axis=1), 0, axis)


def matlab_imresize(img: np.ndarray, scale: float, *, uint8_between: bool = False) -> np.ndarray:
    """MATLAB's ``imresize(img, scale, 'bicubic')`` of HW or HWC of any range, in float64 (the caller rounds): height
    first, then width; ``uint8_between`` rounds and clips between, as MATLAB does for uint8."""
    img = np.asarray(img, dtype=np.float64)
    out_h, out_w = int(np.ceil(img.shape[0] * scale)), int(np.ceil(img.shape[1] * scale))
    img = _resize_axis(img, 0, out_h, scale)
    if uint8_between:
        img = np.clip(np.round(img), 0, 255)
    return _resize_axis(img, 1, out_w, scale)


def bicubic_downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """The benchmark protocol: uint8 HR to uint8 LR with MATLAB's antialiased bicubic."""
    return np.clip(np.round(matlab_imresize(hr, 1.0 / scale, uint8_between=True)), 0, 255).astype(np.uint8)


# Training degradations: each takes an HR float32 HxWx3 patch in [0, 1], the scale and a numpy Generator (so a
# step's data depends only on (seed, step)), and returns the LR patch, float32 in [0, 1], exactly 1/scale the size.


def bicubic(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """The benchmark protocol: MATLAB's antialiased bicubic, nothing else."""
    return np.clip(matlab_imresize(hr, 1.0 / scale), 0, 1).astype(np.float32)


def jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """uint8 RGB through a Pillow JPEG (default 4:2:0 chroma subsampling, as suppliers' tools save) and back."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=int(quality))
    return np.asarray(Image.open(buf).convert("RGB"))


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    return jpeg_round_trip(np.clip(np.round(img * 255), 0, 255).astype(np.uint8), quality).astype(np.float32) / 255


CLEAN_SHARE = 0.4  # with a quarter, a model tuned from the built-in x4 learnt to sharpen and denoise clean inputs too


def product(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """Supplier photos: mild blur, a resize with a random Pillow kernel, sensor noise, JPEG 50-95 (CLEAN_SHARE stay clean)."""
    if rng.random() < CLEAN_SHARE:
        return bicubic(hr, scale, rng)
    from scipy.ndimage import gaussian_filter

    img = hr
    if rng.random() < 0.5:
        sigma = rng.uniform(0.2, 1.0)
        img = gaussian_filter(img, sigma=(sigma, sigma, 0), mode="reflect")
    size = (hr.shape[1] // scale, hr.shape[0] // scale)
    kernel = getattr(Image.Resampling, ("BICUBIC", "BILINEAR", "BOX", "LANCZOS")[rng.integers(4)])
    img = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, kernel))
                    for c in range(3)], axis=-1)
    if rng.random() < 0.3:
        img = img + rng.normal(0, rng.uniform(1, 3) / 255, img.shape).astype(np.float32)
    img = np.clip(img, 0, 1)
    if rng.random() < 0.85:
        img = _jpeg(img, rng.integers(50, 96))
    return img.astype(np.float32)


def compressed(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """A catalogue export (a web tool resizes and saves as JPEG): the benchmark's bicubic, then JPEG at quality 50-95."""
    return _jpeg(bicubic(hr, scale, rng), rng.integers(50, 96))


DEGRADATIONS = {"bicubic": bicubic, "product": product, "compressed": compressed}  # srdemo train --degrade, the Training tab


def mixture_parts(name: str) -> list[str]:
    """The names a degradation name is made of: ``'bicubic+compressed'`` -> ``['bicubic', 'compressed']``."""
    return name.split("+")


def degradation(name: str) -> Callable[[np.ndarray, int, np.random.Generator], np.ndarray]:
    """The degradation called ``name``; ``a+b`` draws one of them per sample, with equal odds."""
    chosen = [DEGRADATIONS.get(p) for p in mixture_parts(name)]
    if None in chosen:
        raise SrdemoError(text("err_unknown_degradation", name=name, choices=", ".join(DEGRADATIONS)))
    if len(chosen) == 1:
        return chosen[0]

    def mixture(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
        return chosen[rng.integers(len(chosen))](hr, scale, rng)

    return mixture
