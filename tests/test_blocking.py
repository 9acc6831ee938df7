"""srdemo.blocking: the JPEG grid a photo's pixels show, whatever file they came in."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from srdemo import auto, images
from srdemo.blocking import blockiness
from srdemo.degradations import bicubic_downscale
from srdemo.synthetic import render_product

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "holdout_grocery_store_photos.txt"
THRESHOLD = auto.load_rules()["blocking"]["thresholds"]["clean"]  # what Automatic reads for a file without tables


def _resaved(rgb: np.ndarray, quality: int) -> np.ndarray:
    """Saved as a Pillow JPEG, decoded, saved as PNG and read back as the app reads an upload."""
    jpeg, png = io.BytesIO(), io.BytesIO()
    Image.fromarray(rgb).save(jpeg, "JPEG", quality=quality)
    Image.open(jpeg).convert("RGB").save(png, "PNG")
    pic = images.decode(png.getvalue(), "resaved.png")
    assert pic.jpeg_quality is None  # the file says nothing
    return pic.rgb


def _product(seed: int, size: int = 256) -> np.ndarray:
    return np.asarray(render_product(seed, size).convert("RGB"))


def _real_photo() -> np.ndarray:
    """A held-out grocery store photo shrunk x2, as Automatic gets one (skips without ../shared)."""
    if not HOLDOUT.exists() or not (SHARED / "train" / "grocery_store_photos").exists():
        pytest.skip("../shared/data/train/grocery_store_photos is not here")
    name = HOLDOUT.read_text().split()[0]
    hr = np.asarray(Image.open(SHARED / "train" / "grocery_store_photos" / name).convert("RGB"))
    return bicubic_downscale(hr[: hr.shape[0] // 2 * 2, : hr.shape[1] // 2 * 2], 2)


def test_a_real_photo_resaved_as_png_after_jpeg_75_shows_the_grid_and_its_clean_original_does_not():
    photo = _real_photo()
    clean, resaved = blockiness(photo), blockiness(_resaved(photo, 75))
    assert clean.score <= THRESHOLD < resaved.score
    assert resaved.offset == (0, 0)  # Pillow's grid starts at the top left
    assert resaved.rows.agreement > 0.5 and resaved.columns.agreement > 0.5  # nearly every block column agrees


def test_rendered_products_resaved_as_png_after_jpeg_75_mostly_show_the_grid_and_never_when_clean():
    """Flat colours and text leave few coefficients to count: evidence says most are caught, not all."""
    products = [_product(seed) for seed in range(8)]
    clean = [blockiness(p).score for p in products]
    resaved = [blockiness(_resaved(p, 75)).score for p in products]
    assert max(clean) <= THRESHOLD
    assert sum(s > THRESHOLD for s in resaved) >= 6
    assert all(r > c for r, c in zip(resaved, clean))


@pytest.mark.parametrize("crop", [(3, 3), (3, 0), (0, 5), (1, 6)])
def test_a_crop_that_moves_the_grid_is_followed(crop):
    top, left = crop
    resaved = _resaved(_product(2), 75)
    cropped = blockiness(resaved[top:, left:])
    assert cropped.offset == ((8 - left) % 8, (8 - top) % 8)
    assert cropped.score > THRESHOLD
    assert blockiness(_product(2)[top:, left:]).score <= THRESHOLD


def test_a_crop_of_a_real_photo_is_followed():
    resaved = _resaved(_real_photo(), 75)[3:, 3:]
    grid = blockiness(resaved)
    assert grid.offset == (5, 5) and grid.score > THRESHOLD


def _checkerboard(side: int, size: int = 256, photo: bool = False) -> np.ndarray:
    y, x = np.mgrid[:size, :size]
    board = Image.fromarray(((x // side + y // side) % 2 * 200 + 28).astype(np.uint8)).convert("RGB")
    if not photo:
        return np.asarray(board)
    # as photographed: a little blur and sensor noise
    soft = np.asarray(board.filter(ImageFilter.GaussianBlur(1.0)), np.float32)
    noisy = soft + np.random.default_rng(side).normal(0, 2.0, soft.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("side", [3, 5, 6, 10, 12, 20])
def test_a_checkerboard_of_another_period_is_no_grid(side):
    """Squares of 6 or 12 px raise two or four grid positions alike; only multiples of 8 would look like JPEG's."""
    assert blockiness(_checkerboard(side)).score <= THRESHOLD
    assert blockiness(_checkerboard(side, photo=True)).score <= THRESHOLD


@pytest.mark.parametrize("side", [3, 5, 6, 10, 12, 20])
def test_a_photographed_checkerboard_saved_as_jpeg_shows_the_grid(side):
    """The same measure is not blind to such a photo: compressed, it shows JPEG's grid (a crisp board of 3 px
    squares does not: every run of 8 pixels holds an edge, on the grid or off it)."""
    assert blockiness(_resaved(_checkerboard(side, photo=True), 75)).score > THRESHOLD


@pytest.mark.parametrize("tile", [12, 20, 36])
def test_a_tiled_texture_is_no_grid_but_its_jpeg_is(tile):
    rng = np.random.default_rng(tile)
    texture = Image.fromarray(rng.integers(0, 256, (tile, tile, 3), dtype=np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
    tiled = np.tile(np.asarray(texture), (300 // tile + 1, 300 // tile + 1, 1))[:300, :300]
    assert blockiness(tiled).score <= THRESHOLD
    assert blockiness(_resaved(tiled, 75)).score > THRESHOLD


def test_a_flat_photo_and_a_smooth_gradient_show_nothing_and_a_thumbnail_is_too_small_to_tell():
    assert blockiness(np.full((64, 64, 3), 200, np.uint8)).score == 0
    ramp = np.tile(np.linspace(0, 255, 300).astype(np.uint8)[None, :, None], (200, 1, 3))
    assert blockiness(ramp).score <= THRESHOLD
    assert blockiness(_product(0, 31)) is None and blockiness(_product(0, 32)) is not None


def test_grey_and_16_bit_pixels_are_read_in_8_bit_grey_levels():
    resaved = _resaved(_product(3), 75)
    grey = np.asarray(Image.fromarray(resaved).convert("L"))
    assert blockiness(grey).score > THRESHOLD
    wide = resaved.astype(np.uint16) * 257  # the same picture with 16 bits a channel
    assert blockiness(wide, max_value=65535) == blockiness(resaved)
