"""Metrics checked against an independent computation written here from the formulas."""

import math

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from srdemo import metrics
from srdemo.caller import LOCAL

from conftest import rgb_noise, shared_path


def _y(img):
    img = img.astype(np.float64) / 255.0
    return 16 + 65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]


def _psnr_reference(a, b, border):
    ya, yb = _y(a)[border:-border, border:-border], _y(b)[border:-border, border:-border]
    mse = np.mean((ya - yb) ** 2)
    return 10 * math.log10(255.0**2 / mse)


def _ssim_reference(a, b, border, sigma=1.5):
    """Wang et al. 2004 with a Gaussian window (truncated at 3.5 sigma, an 11x11 window),
    population statistics, C1=(0.01*255)^2, C2=(0.03*255)^2, mean over the valid region."""
    x, y = _y(a)[border:-border, border:-border], _y(b)[border:-border, border:-border]
    f = lambda im: gaussian_filter(im, sigma, truncate=3.5)  # noqa: E731
    mx, my = f(x), f(y)
    vx, vy, cxy = f(x * x) - mx * mx, f(y * y) - my * my, f(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    pad = 5
    return s[pad:-pad, pad:-pad].mean()


def test_y_channel_is_matlab_rgb2ycbcr():
    assert metrics.rgb_to_y(np.array([[[0, 0, 0]]], np.uint8))[0, 0] == pytest.approx(16)
    assert metrics.rgb_to_y(np.array([[[255, 255, 255]]], np.uint8))[0, 0] == pytest.approx(235)
    grey = np.full((2, 2), 128, np.uint8)
    assert metrics.rgb_to_y(grey) == pytest.approx(metrics.rgb_to_y(np.dstack([grey] * 3)))


def test_psnr_and_ssim_match_independent_formulas():
    hr = rgb_noise(64, 80, seed=1)
    noisy = np.clip(hr.astype(int) + np.random.default_rng(2).integers(-20, 21, hr.shape), 0, 255).astype(np.uint8)
    assert metrics.psnr_y(noisy, hr, 4) == pytest.approx(_psnr_reference(noisy, hr, 4), abs=1e-9)
    assert metrics.ssim_y(noisy, hr, 4) == pytest.approx(_ssim_reference(noisy, hr, 4), abs=1e-6)


def test_border_is_cropped():
    hr = rgb_noise(40, 40, seed=3)
    sr = hr.copy()
    sr[:3] = 0  # damage only inside a 3 px border
    assert metrics.psnr_y(sr, hr, 3) == math.inf
    assert metrics.psnr_y(sr, hr, 2) < 40


def test_sr_output_is_rounded_before_scoring():
    hr = rgb_noise(32, 32, seed=4)
    assert metrics.psnr_y(hr.astype(np.float64) + 0.4, hr, 2) == math.inf


@pytest.mark.slow
def test_reproduces_published_dctlsa_figures_on_set5():
    """The protocol as a whole: DCTLSA x4 on Set5 must give 32.53 dB / 0.8991 (shared README)."""
    from srdemo import models
    from srdemo.evaluation import evaluate_folder, mean_scores

    weights = shared_path("ref-weights", "dctlsa_x4.safetensors")
    folder = shared_path("data", "benchmarks", "Set5", "x4")
    rows = evaluate_folder(models.load(str(weights), LOCAL), folder / "HR", 4, folder / "LR")
    model, _ = mean_scores(rows)
    assert model.psnr == pytest.approx(32.53, abs=0.02)
    assert model.ssim == pytest.approx(0.8991, abs=0.0005)


def test_colour_difference_matches_published_ciede2000_data():
    from skimage.color import deltaE_ciede2000, rgb2lab

    # Sharma, Wu & Dalal (2005), CIEDE2000 test data, pair 1: dE00 = 2.0425.
    pair = deltaE_ciede2000(np.array([50.0, 2.6772, -79.7751]), np.array([50.0, 0.0, -82.7485]))
    assert float(pair) == pytest.approx(2.0425, abs=1e-4)

    a = np.full((8, 8, 3), (200, 50, 50), np.uint8)
    b = np.full((8, 8, 3), (190, 60, 50), np.uint8)
    expected = float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())
    assert metrics.colour_difference(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.colour_difference(a, a) == 0
