"""PSNR and SSIM the way published super-resolution tables compute them (see ../shared/README.md).

Y channel of MATLAB's ``rgb2ycbcr``, ``border = scale`` pixels cropped from every side, SR output rounded to
uint8 first, SSIM with a Gaussian window (sigma 1.5) and population covariance, ``data_range=255``.
scikit-image computes SSIM; PSNR is written out (scikit-image's module for it imports all of ``scipy.stats``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
COLOUR_SIDE = 256  # px both sides are shrunk to before colours are compared: shifts are broad


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luma of a uint8 HxWx3 (or HxW grey) image, as float64 in [16, 235]."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return 16.0 + img[..., :3] @ Y_WEIGHTS


def _prepare(sr: np.ndarray, hr: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
    """Both images' Y, ``sr`` rounded to uint8 levels first, ``border`` px cropped from every side."""
    if sr.shape[:2] != hr.shape[:2]:
        raise ValueError(f"sizes differ: {sr.shape[:2]} vs {hr.shape[:2]}")
    inner = (slice(border, -border), slice(border, -border)) if border > 0 else ...
    return rgb_to_y(np.clip(np.round(np.asarray(sr, dtype=np.float64)), 0, 255))[inner], rgb_to_y(hr)[inner]


def psnr_y(sr: np.ndarray, hr: np.ndarray, border: int) -> float:
    """PSNR in dB on Y after cropping ``border`` px; ``inf`` when identical."""
    a, b = _prepare(sr, hr, border)
    if np.array_equal(a, b):
        return float("inf")
    return float(10 * np.log10(255**2 / np.mean((b - a) ** 2, dtype=np.float64)))


def ssim_y(sr: np.ndarray, hr: np.ndarray, border: int) -> float:
    """SSIM on Y after cropping ``border`` px (Gaussian sigma 1.5, population covariance)."""
    from skimage.metrics import structural_similarity  # with scipy: a quarter second no command needs to start

    a, b = _prepare(sr, hr, border)
    return float(structural_similarity(b, a, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


@dataclass(frozen=True)
class Scores:
    psnr: float
    ssim: float


def score(sr: np.ndarray, hr: np.ndarray, border: int) -> Scores:
    return Scores(psnr_y(sr, hr, border), ssim_y(sr, hr, border))


@dataclass(frozen=True)
class Comparison:
    """The model's scores next to bicubic's on the same target: a sharp ``"reference"`` the user gave,
    or the input shrunk and rebuilt (``"self-check"``)."""

    kind: str
    model: Scores
    bicubic: Scores

    @property
    def gain_db(self) -> float:
        return self.model.psnr - self.bicubic.psnr


def colour_difference(reference: np.ndarray, result: np.ndarray) -> float:
    """Mean CIEDE2000 (under 2 is hard to see) of two uint8 RGB images, averaged to ``reference``'s size within COLOUR_SIDE."""
    from PIL import Image
    from skimage.color import deltaE_ciede2000, rgb2lab

    ref = Image.fromarray(reference)
    f = min(1.0, COLOUR_SIDE / max(ref.size))
    size = (max(1, round(ref.size[0] * f)), max(1, round(ref.size[1] * f)))
    a = np.asarray(ref.resize(size, Image.Resampling.BOX)) if f < 1 else reference
    b = np.asarray(Image.fromarray(result).resize(size, Image.Resampling.BOX))
    return float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())
