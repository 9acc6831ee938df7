"""Ways of making a low-resolution image from a high-resolution one.

Each degradation is a small pure function on float arrays (HWC, values in
[0, 255] or [0, 1], the range is kept). The benchmark protocol every published
SR table uses is MATLAB's ``imresize(img, 1/s, 'bicubic')``; Pillow's bicubic
differs from it by up to 12 grey levels on Set14, so it is reimplemented here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import SrdemoError
from .wording import text


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5, as MATLAB's ``cubic``."""
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    near = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return near + far


def _contributions(in_len: int, out_len: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and weights of MATLAB's ``imresize`` along one axis.

    ``scale`` is out/in. When shrinking, the kernel is stretched by 1/scale
    (MATLAB's antialiasing). Borders repeat the edge pixel: with mirrored
    borders the given Set5/Set14 LR images differ by up to 11 levels along the
    edges, with repeated ones by at most 1 (measured, tests/test_degradations.py).
    """
    width = 4.0
    if scale < 1:
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731
        width = width / scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    weights = kernel(u[:, None] - idx)
    weights /= weights.sum(axis=1, keepdims=True)
    idx = np.clip(idx.astype(np.int64) - 1, 0, in_len - 1)
    keep = np.any(weights != 0, axis=0)
    return idx[:, keep], weights[:, keep]


def _resize_axis(img: np.ndarray, axis: int, out_len: int, scale: float) -> np.ndarray:
    idx, weights = _contributions(img.shape[axis], out_len, scale)
    moved = np.moveaxis(img, axis, 0)
    gathered = moved[idx]  # (out_len, taps, ...)
    w = weights.reshape(weights.shape + (1,) * (moved.ndim - 1))
    return np.moveaxis((gathered * w).sum(axis=1), 0, axis)


def matlab_imresize(img: np.ndarray, scale: float, *, uint8_between: bool = False) -> np.ndarray:
    """Resize like MATLAB's ``imresize(img, scale, 'bicubic')``, in float64.

    Works on HW or HWC arrays of any value range; the caller rounds. Height is
    resized first, then width, which is MATLAB's order for equal scales.
    ``uint8_between`` rounds and clips after the first pass, as MATLAB does
    for uint8 images.
    """
    img = np.asarray(img, dtype=np.float64)
    out_h = int(np.ceil(img.shape[0] * scale))
    out_w = int(np.ceil(img.shape[1] * scale))
    img = _resize_axis(img, 0, out_h, scale)
    if uint8_between:
        img = np.clip(np.round(img), 0, 255)
    return _resize_axis(img, 1, out_w, scale)


def bicubic_downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """The benchmark protocol: uint8 HR to uint8 LR with MATLAB's antialiased bicubic."""
    lr = matlab_imresize(hr, 1.0 / scale, uint8_between=True)
    return np.clip(np.round(lr), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- training degradations
#
# Each takes an HR float32 HxWx3 patch in [0, 1], the scale, and a numpy
# Generator (so a training step's data depends only on (seed, step)), and
# returns the LR patch, float32 in [0, 1], exactly 1/scale the size.


def bicubic(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """The benchmark protocol: MATLAB's antialiased bicubic, nothing else."""
    return np.clip(matlab_imresize(hr, 1.0 / scale), 0, 1).astype(np.float32)


_PIL_KERNELS = ("bicubic", "bilinear", "box", "lanczos")


def _pil_resize(img: np.ndarray, size: tuple[int, int], kernel: str) -> np.ndarray:
    from PIL import Image

    filt = {
        "bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR,
        "box": Image.Resampling.BOX, "lanczos": Image.Resampling.LANCZOS,
    }[kernel]
    return np.stack(
        [np.asarray(Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, filt)) for c in range(3)],
        axis=-1,
    )


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """Pillow JPEG round trip (default 4:2:0 chroma subsampling), as suppliers' tools save."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.clip(np.round(img * 255), 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=int(quality))
    return np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255


CLEAN_SHARE = 0.4


def product(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """Supplier photos: mild blur, a resize with a random kernel, sensor noise, JPEG 50-95.

    Two in five samples stay clean bicubic so clean inputs do not suffer: with a quarter,
    a model tuned from the built-in x4 lost 0.5-0.8 dB on clean Set5/Set14 inputs after
    1000 steps, having learnt to sharpen and denoise everything.
    """
    if rng.random() < CLEAN_SHARE:
        return bicubic(hr, scale, rng)
    from scipy.ndimage import gaussian_filter

    img = hr
    if rng.random() < 0.5:
        sigma = rng.uniform(0.2, 1.0)
        img = gaussian_filter(img, sigma=(sigma, sigma, 0), mode="reflect")
    h, w = hr.shape[:2]
    size = (w // scale, h // scale)
    img = _pil_resize(img, size, _PIL_KERNELS[rng.integers(len(_PIL_KERNELS))])
    if rng.random() < 0.3:
        img = img + rng.normal(0, rng.uniform(1, 3) / 255, img.shape).astype(np.float32)
    img = np.clip(img, 0, 1)
    if rng.random() < 0.85:
        img = jpeg(img, rng.integers(50, 96))
    return img.astype(np.float32)


def compressed(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """A catalogue export: the benchmark's bicubic shrink, then JPEG at quality 50-95.

    The commonest supplier pipeline (a web tool resizes and saves as JPEG) has neither blur
    nor noise; ``product`` draws it only by chance among its kernels and blurs.
    """
    return jpeg(bicubic(hr, scale, rng), rng.integers(50, 96))


DEGRADATIONS = {"bicubic": bicubic, "product": product, "compressed": compressed}
"""By name: what ``srdemo train --degrade NAME`` and the Training tab use."""

Degradation = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def mixture_parts(name: str) -> list[str]:
    """The names a degradation name is made of: ``'bicubic+compressed'`` -> ``['bicubic', 'compressed']``."""
    return name.split("+")


def degradation(name: str) -> Degradation:
    """The degradation called ``name``; ``a+b`` draws one of them per sample, with equal odds.

    A mixture is how the share of each kind of input is set without a new function:
    ``bicubic+product+compressed`` keeps about half the samples clean.
    """
    parts = mixture_parts(name)
    if any(p not in DEGRADATIONS for p in parts):
        raise SrdemoError(text("err_unknown_degradation", name=name, choices=", ".join(DEGRADATIONS)))
    if len(parts) == 1:
        return DEGRADATIONS[name]
    chosen = [DEGRADATIONS[p] for p in parts]

    def mixture(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
        return chosen[rng.integers(len(chosen))](hr, scale, rng)

    return mixture
