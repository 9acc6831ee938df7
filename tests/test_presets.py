"""Marketplace presets: sizes, canvases, custom sizes and their warnings."""

import io

import numpy as np
import pytest
from PIL import Image

from srdemo import images, wording
from srdemo.caller import LOCAL
from srdemo.presets import PRESETS, background, check_against, get_preset, pad_to_canvas, parse_preset
from srdemo.request import UpscaleRequest, upscale
from srdemo.synthetic import render_product

from conftest import ROOT, shared_path


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("preset_id,size", [("amazon-main", (2000, 2000)), ("shopify", (2048, 2048)), ("web-1600", (1600, 1200))])
def test_presets_give_exact_sizes(tmp_path, preset_id, size):
    src = tmp_path / "in"
    src.mkdir()
    render_product(4, 200).resize((200, 150)).save(src / "p.png")
    done = upscale(src / "p.png", UpscaleRequest(model="lanczos", preset=get_preset(preset_id), check=False, caller=LOCAL))
    assert Image.open(io.BytesIO(done.data)).size == size
    assert done.format == get_preset(preset_id).format


def test_custom_sizes_parse():
    assert parse_preset(None, "1200x900").exact == (1200, 900)
    assert parse_preset("custom", "1500").longest_side == 1500
    assert parse_preset(None, None) is None
    with pytest.raises(Exception, match="not a size"):
        parse_preset(None, "big")


def test_pad_to_square_centres_the_product_on_pure_white():
    pic = images.decode(_png(Image.new("RGB", (40, 20), (200, 0, 0))), "wide.png")
    out = pad_to_canvas(pic, (40, 40))
    assert out.size == (40, 40)
    assert (out.rgb[:10] == 255).all() and (out.rgb[30:] == 255).all()
    ys, xs = np.nonzero(~np.all(out.rgb == 255, axis=2))
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10, 29, 0, 39)
    transparent = images.decode(_png(Image.new("RGBA", (20, 40), (0, 0, 200, 255))), "tall.png")
    padded = pad_to_canvas(transparent, (40, 40))
    assert padded.alpha[:, :10].max() == 0 and padded.alpha[:, 10:30].min() == 255


def test_preset_warnings_say_what_to_do():
    amazon = PRESETS["amazon-main"]
    small_product = Image.new("RGB", (100, 100), (255, 255, 255))
    small_product.paste((10, 10, 10), (40, 40, 60, 60))
    assert [w for w in check_against(images.decode(_png(small_product), "s.png"), amazon) if "fills 20%" in w] == [
        "product fills 20% of the frame; Amazon main image asks for 85%: crop closer to the product"
    ]
    with wording.language("zh"):  # the preset named in the page's language, as its list names it
        said = [w for w in check_against(images.decode(_png(small_product), "s.png"), amazon) if "20%" in w]
    assert said == ["商品占画面 20%；Amazon 主图 要求至少 85%：请裁剪得更贴近商品"]
    grey_bg = images.decode(_png(Image.new("RGB", (50, 50), (240, 240, 240))), "g.png")
    assert [w for w in check_against(grey_bg, amazon) if "white" in w] == [
        "background light grey, not pure white: whiten it, or use a cut-out (transparent PNG)"
    ]


def test_a_white_background_is_judged_as_a_shopper_sees_it_not_pixel_by_pixel():
    """Catalogue photos on white carry JPEG noise and often touch the frame: they are on white. A photo
    taken on a shelf is not, and a square pad of white around it does not make it so."""
    on_white = images.decode(ROOT / "examples" / "grocery_oatly_oatghurt.jpg")
    border = np.concatenate([on_white.rgb[0], on_white.rgb[-1], on_white.rgb[:, 0], on_white.rgb[:, -1]])
    assert not (border == 255).all()  # what the old every-pixel rule flagged
    assert background(on_white) == "white"
    assert not [w for w in check_against(on_white, PRESETS["amazon-main"]) if "white" in w]

    noisy = np.full((60, 60, 3), 255, np.uint8)
    noisy[::3, ::2] = 250  # JPEG-like noise a few levels from white
    noisy[0, 20:40] = 30  # and the product touching the top edge
    assert background(images.Picture(noisy)) == "white"

    shelf = images.decode(sorted(shared_path("data", "train", "grocery_store_photos").rglob("*.jpg"))[0])
    wide_shelf = pad_to_canvas(shelf.with_pixels(shelf.rgb[: shelf.size[1] * 2 // 3], None),
                               (shelf.size[0], shelf.size[0]))  # a 3:2 shelf photo padded to a square on white
    for pic in (shelf, wide_shelf):
        warnings = check_against(pic, PRESETS["amazon-main"])
        assert any(w.startswith("not on white") and "cut-out" in w for w in warnings), warnings
    assert not [w for w in check_against(shelf, PRESETS["web-1600"]) if "white" in w]  # no white rule, no warning
