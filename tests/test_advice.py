"""Advice: which built-in suits this photo better than the model chosen."""

import io

from PIL import Image

from srdemo import images, models
from srdemo.advice import model_hints
from srdemo.caller import LOCAL

from conftest import rgb_noise


def _hints(model: models.LoadedModel, pic: images.Picture, scale: float) -> list[str]:
    return model_hints(model.spec, model.scale, pic, scale)


def test_compressed_jpegs_are_pointed_at_the_builtin_model_for_them(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from conftest import make_compact

    monkeypatch.setattr(models, "BUILTIN_DIR", tmp_path)
    save_file(make_compact(4), str(tmp_path / "x4-product.safetensors"))
    (tmp_path / "x4-product.json").write_text(
        '{"label": "srdemo x4 for compressed photos", "scale": 4, "good_for": "JPEGs", "for_compressed": true}'
    )

    def encoded(fmt: str, **kw) -> images.Picture:
        buf = io.BytesIO()
        Image.fromarray(rgb_noise(24, 24)).save(buf, fmt, **kw)
        return images.decode(buf.getvalue(), f"photo.{fmt.lower()}")

    lanczos = models.load("lanczos", LOCAL)
    hinted = _hints(lanczos, encoded("JPEG", quality=70), 4)
    label = "srdemo x4 for compressed photos"  # its own label (the json above), as the page's model list names it
    assert any("quality ~70" in n and f"'{label}' (x4-product)" in n for n in hinted)
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("JPEG", quality=95), 4))
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("PNG"), 4))
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("JPEG", quality=70), 2))
    product = models.load("x4-product", LOCAL)
    assert not any("compressed photos" in n for n in _hints(product, encoded("JPEG", quality=70), 4))


def test_a_builtin_made_for_the_chosen_scale_is_suggested(tmp_path, monkeypatch):
    """x4 weights asked for x2 run at x4 and shrink; a built-in x2 does it directly."""
    from safetensors.torch import save_file

    from conftest import make_compact

    monkeypatch.setattr(models, "BUILTIN_DIR", tmp_path)
    for name, scale in (("x2", 2), ("x4", 4)):
        save_file(make_compact(scale), str(tmp_path / f"{name}.safetensors"))
        (tmp_path / f"{name}.json").write_text(f'{{"label": "srdemo {name}", "scale": {scale}, "good_for": "all"}}')
    assert models.default_model().id == "x4" and models.default_model(2).id == "x2"
    pic = images.Picture(rgb_noise(16, 16))
    x4 = models.load("x4", LOCAL)

    def hinted(model, scale):
        return [n for n in _hints(model, pic, scale) if "is made for" in n]

    label = "srdemo x2"
    assert hinted(x4, 2) == [f"'{label}' (x2) is made for x2: try it at this scale (faster than an x4 model shrunk to fit)."]
    assert hinted(x4, 4) == hinted(x4, 2.5) == hinted(models.load("x2", LOCAL), 2) == hinted(models.load("lanczos", LOCAL), 2) == []


# ---- advice the moment a photo is read, and the verdict after a run

def _pic(rgb, alpha=None, jpeg_quality=None, name="p.png") -> images.Picture:
    import numpy as np

    return images.Picture(rgb=np.ascontiguousarray(rgb), alpha=alpha, name=name, jpeg_quality=jpeg_quality)


def _framed(border: int, size=(160, 160)):
    import numpy as np

    rgb = np.full((*size, 3), border, np.uint8)
    rgb[40:-40, 40:-40] = (40, 90, 160)  # the product
    return rgb


def test_a_compressed_jpeg_is_offered_the_model_for_compressed_photos_in_one_click():
    from srdemo.advice import upload_notes

    product = next(s for s in models.builtin_specs() if s.for_compressed)
    notes = upload_notes(_pic(_framed(255), jpeg_quality=40), models.resolve("x4", LOCAL))
    action = [n for n in notes if n.action == "compressed_model"]
    assert len(action) == 1 and action[0].model_id == product.id and "~40" in action[0].sentence
    assert not [n for n in upload_notes(_pic(_framed(255), jpeg_quality=40), product) if n.action]  # already chosen
    assert not upload_notes(_pic(_framed(255), jpeg_quality=95))  # a clean JPEG needs nothing


def test_transparency_is_offered_a_white_square_and_an_opaque_alpha_is_not():
    import numpy as np

    from srdemo.advice import upload_notes

    alpha = np.full((160, 160), 255, np.uint8)
    assert upload_notes(_pic(_framed(255), alpha)) == []
    alpha[:8] = 0
    assert [n.action for n in upload_notes(_pic(_framed(255), alpha))] == ["white_square"]


def test_a_near_white_background_is_flagged_but_a_pure_white_or_styled_one_is_not():
    from srdemo.advice import upload_notes

    assert ["not pure white" in n.sentence for n in upload_notes(_pic(_framed(246)))] == [True]
    assert upload_notes(_pic(_framed(255))) == []
    assert upload_notes(_pic(_framed(120))) == []  # a shelf or a room: a styled photo, not a failed white


def test_large_and_tiny_photos_are_told_what_to_expect():
    import numpy as np

    from srdemo.advice import upload_notes

    large = upload_notes(_pic(np.zeros((900, 2400, 3), np.uint8)))
    tiny = upload_notes(_pic(np.zeros((86, 57, 3), np.uint8)))
    assert len(large) == 1 and "2400x900" in large[0].sentence and "2000 px" in large[0].sentence
    assert len(tiny) == 1 and "57x86" in tiny[0].sentence and "thumbnail" in tiny[0].sentence
    assert upload_notes(_pic(np.zeros((500, 500, 3), np.uint8))) == []


def test_the_verdict_reads_the_gain_over_a_plain_enlargement():
    import math

    from srdemo.advice import verdict
    from srdemo.metrics import Comparison, Scores

    def said(gain: float) -> str:
        return verdict(Comparison("self-check", Scores(30 + gain, 0.9), Scores(30, 0.9)))

    assert said(2.5).startswith("Much sharper") and said(1.0).startswith("Much sharper")
    assert said(0.5).startswith("Sharper")
    assert said(0.1).startswith("About the same") and said(-0.2).startswith("About the same")
    assert said(math.inf).startswith("About the same")  # a flat photo rebuilt exactly: no "inf dB"
    assert said(-0.8).startswith("Worse") and "another model" in said(-0.8)
    assert verdict(None).startswith("Finished")


def test_heavy_jpeg_says_what_to_do_with_the_model_at_hand():
    """Point at the built-in model for compressed photos; once it is the model, at a better original."""
    from srdemo.advice import input_warnings

    buf = io.BytesIO()
    Image.fromarray(rgb_noise(32, 32)).save(buf, "JPEG", quality=30)
    pic = images.decode(buf.getvalue(), "heavy.jpg")
    compressed = next(s for s in models.builtin_specs() if s.for_compressed)
    (warning,) = input_warnings(pic, models.resolve("lanczos", LOCAL))
    assert warning.startswith("heavy JPEG blocks") and f"model for compressed photos ({compressed.id})" in warning
    (warning,) = input_warnings(pic, compressed)
    assert "ask the supplier for a better original" in warning and compressed.id not in warning
    buf = io.BytesIO()
    Image.fromarray(rgb_noise(32, 32)).save(buf, "JPEG", quality=95)
    assert input_warnings(images.decode(buf.getvalue(), "fine.jpg"), models.resolve("lanczos", LOCAL)) == []
