"""Product-photo guarantees and figures, for every model that can run here."""

import io

import numpy as np
import pytest
from PIL import Image

from srdemo import images, models
from srdemo.caller import LOCAL
from srdemo.errors import SrdemoError
from srdemo.pipeline import bleed_transparent, forced_white, keep_pure_white, upscale_picture
from srdemo.synthetic import render_product

from conftest import SHARED, rgb_noise


def _runnable_models(tmp_path_factory):
    """Every catalogue model available offline, plus the shared SPAN x4 as a neural stand-in."""
    ids = [s.id for s in models.catalogue(LOCAL) if models.availability(s) == "ready"]
    span = SHARED / "ref-weights" / "span_ch28_x4.safetensors"
    if span.exists():
        ids.append(str(span))
    return ids


MODEL_IDS = _runnable_models(None)


def _pic(img: Image.Image, name="x.png") -> images.Picture:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return images.decode(buf.getvalue(), name)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_pure_white_stays_exactly_white(model_id):
    model = models.load(model_id, LOCAL)
    scale = 4
    src = render_product(3, 96)  # product on a pure white background
    pic = _pic(src)
    out = upscale_picture(model, pic, scale, check=False).picture.rgb
    white = np.all(np.asarray(src) == 255, axis=2)
    # output pixels whose whole neighbourhood in the source is white, >= scale px from any edge
    from scipy import ndimage

    inner = ndimage.binary_erosion(white, np.ones((3, 3)), border_value=1)
    inner_big = np.kron(inner, np.ones((scale, scale), bool))
    assert inner_big.sum() > 10000
    assert (out[inner_big] == 255).all()


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_alpha_stays_crisp_and_edges_have_no_dark_fringe(model_id):
    model = models.load(model_id, LOCAL)
    rgba = np.zeros((64, 64, 4), np.uint8)  # transparent pixels store black, as many cut-outs do
    yy, xx = np.mgrid[:64, :64]
    disc = (yy - 32) ** 2 + (xx - 32) ** 2 < 20**2
    rgba[disc] = (230, 180, 40, 255)
    pic = _pic(Image.fromarray(rgba))
    out = upscale_picture(model, pic, 2, check=False).picture
    assert out.alpha is not None and out.rgb.shape[:2] == (128, 128)
    a = out.alpha.astype(int)
    from scipy import ndimage

    big = np.kron(disc, np.ones((2, 2), bool))
    near_edge = ndimage.binary_dilation(big ^ ndimage.binary_erosion(big), iterations=2 * 2 + 1)  # within 2 source px
    far = ~near_edge
    assert set(np.unique(a[far])) <= {0, 255}
    visible = a > 0
    lum = out.rgb[visible].astype(int).sum(axis=1)
    assert lum.min() >= 0.85 * (230 + 180 + 40)  # no pixel pulled towards the hidden black


def test_bleed_only_changes_hidden_pixels():
    rgb = rgb_noise(20, 20).astype(np.float32)
    alpha = np.zeros((20, 20), np.uint8)
    alpha[5:15, 5:15] = 255
    filled = bleed_transparent(rgb, alpha)
    assert np.array_equal(filled[alpha > 0], rgb[alpha > 0])
    assert np.array_equal(filled[0, 0], rgb[5, 5])


def test_keep_pure_white_does_not_touch_non_white_areas():
    src = np.full((10, 10, 3), 255, np.uint8)
    src[4:6, 4:6] = 128
    out = np.full((40, 40, 3), 250, np.uint8)
    result = keep_pure_white(out.copy(), forced_white(images.Picture(src)))
    assert (result[:8, :8] == 255).all()
    assert (result[16:24, 16:24] == 250).all()


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "RGB", "P"])
def test_output_keeps_the_kind_of_image(mode):
    img = render_product(1, 48, transparent=mode in ("LA", "RGBA")).convert(mode)
    out = upscale_picture(models.load("lanczos", LOCAL), _pic(img), 2, check=False).picture
    expected = {"L": "L", "LA": "LA", "RGBA": "RGBA", "RGB": "RGB", "P": "RGB"}[mode]
    assert images.to_pillow(out).mode == expected
    assert out.size == (96, 96)


def test_16bit_input_gives_16bit_output_with_real_precision():
    grey = (np.linspace(0, 65535, 40 * 40).reshape(40, 40)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, "PNG")
    out = upscale_picture(models.load("lanczos", LOCAL), images.decode(buf.getvalue(), "g.png"), 2, check=False).picture
    assert out.bits == 16
    levels = np.unique(out.rgb[..., 0])
    assert len(levels) > 256  # more levels than 8 bits could hold


def test_reference_scores_and_size_check():
    hr = Image.fromarray(rgb_noise(64, 64, 1)).filter(__import__("PIL.ImageFilter").ImageFilter.GaussianBlur(2))
    lr = hr.resize((32, 32), Image.Resampling.BICUBIC)
    res = upscale_picture(models.load("lanczos", LOCAL), _pic(lr), 2, reference=_pic(hr))
    assert res.comparison.kind == "reference"
    from srdemo import metrics

    assert res.comparison.model.psnr == pytest.approx(metrics.psnr_y(res.picture.rgb, np.asarray(hr), 2))
    with pytest.raises(SrdemoError, match="reference image is 64x64"):
        upscale_picture(models.load("lanczos", LOCAL), _pic(lr), 3, reference=_pic(hr))


def test_self_check_is_run_without_a_reference_and_skipped_on_a_tiny_photo():
    res = upscale_picture(models.load("lanczos", LOCAL), _pic(render_product(2, 96)), 2)
    assert res.comparison.kind == "self-check" and not res.check_skipped
    assert (res.in_size, res.out_size) == ((96, 96), (192, 192))
    tiny = upscale_picture(models.load("lanczos", LOCAL), _pic(render_product(2, 24)), 4)
    assert tiny.comparison is None and tiny.check_skipped


def test_a_cut_outs_hidden_pixels_are_shown_and_scored_as_white():
    """A cut-out usually stores black under its transparent pixels: the slider's 'before' and every figure
    must see what a shopper sees (the product on white), not that hidden black."""
    rgba = np.asarray(render_product(5, 96, transparent=True)).copy()
    hidden = rgba[..., 3] == 0
    assert hidden.mean() > 0.2
    figures = {}
    for fill in (0, 200):  # the same visible picture, two different hidden colours
        rgba[hidden, :3] = fill
        pic = _pic(Image.fromarray(rgba))
        res = upscale_picture(models.load("lanczos", LOCAL), pic, 2)
        before = Image.fromarray(rgba).resize((192, 192), Image.Resampling.BICUBIC)
        clear = np.asarray(before)[..., 3] == 0  # transparent after enlargement too
        assert clear.mean() > 0.2 and (res.bicubic[clear] == 255).all()  # white, as the result is shown
        with_ref = upscale_picture(models.load("lanczos", LOCAL), pic, reference=_pic(Image.fromarray(rgba).resize((192, 192))),
                                   size=(192, 192), check=False)
        figures[fill] = (res.comparison.model.psnr, res.comparison.bicubic.psnr,
                         with_ref.comparison.model.psnr, with_ref.comparison.bicubic.psnr)
    assert figures[0] == pytest.approx(figures[200], abs=1e-9)


def test_output_limit(monkeypatch):
    pic = _pic(Image.new("RGB", (100, 100), (10, 20, 30)))
    monkeypatch.setenv("SRDEMO_MAX_OUTPUT_MP", "0.1")
    with pytest.raises(SrdemoError, match="the limit is 0 MP"):
        upscale_picture(models.load("lanczos", LOCAL), pic, 4)


@pytest.mark.parametrize("transparent", [False, True])
@pytest.mark.parametrize("size", [(330, 330), (640, 496)])  # x3.3 (one pass, shrunk); x8 (two passes)
def test_white_margins_skipped_change_no_pixel(transparent, size, monkeypatch):
    """The model computes only the product and a margin around it; the file is the same as a whole-image run."""
    import srdemo.pipeline as pipeline

    model = models.load("x4", LOCAL)
    img = render_product(0, 100, transparent=transparent)
    if size[0] > 400:  # a wide photo: the product on a wider canvas
        img = img.resize((62, 62))
        canvas = Image.new(img.mode, (80, 62), (255, 255, 255, 0) if transparent else (255, 255, 255))
        canvas.paste(img, (9, 0))
        img = canvas
    if transparent:  # a cut-out that stores white under its transparent pixels
        arr = np.asarray(img).copy()
        arr[arr[..., 3] == 0, :3] = 255
        img = Image.fromarray(arr)
    pic = _pic(img)
    box = pipeline.model_box(pic)
    assert box is not None and (box[2] - box[0]) * (box[3] - box[1]) < 0.8 * pic.size[0] * pic.size[1]
    fast = upscale_picture(model, pic, size=size, check=False).picture
    monkeypatch.setattr(pipeline, "content_box", lambda forced: None)
    whole = upscale_picture(model, pic, size=size, check=False).picture
    assert np.abs(fast.rgb.astype(int) - whole.rgb.astype(int)).max() <= 1
    assert (fast.alpha is None) == (whole.alpha is None)
    if fast.alpha is not None:
        assert np.array_equal(fast.alpha, whole.alpha)
