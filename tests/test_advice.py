"""Advice: which built-in suits this photo better than the model chosen."""

import io

from PIL import Image

from srdemo import images, models
from srdemo.advice import model_hints

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

    lanczos = models.load("lanczos")
    hinted = _hints(lanczos, encoded("JPEG", quality=70), 4)
    assert any("quality ~70" in n and "'srdemo x4 for compressed photos' (x4-product)" in n for n in hinted)
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("JPEG", quality=95), 4))
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("PNG"), 4))
    assert not any("compressed photos" in n for n in _hints(lanczos, encoded("JPEG", quality=70), 2))
    product = models.load("x4-product")
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
    x4 = models.load("x4")

    def hinted(model, scale):
        return [n for n in _hints(model, pic, scale) if "is made for" in n]

    assert hinted(x4, 2) == ["'srdemo x2' (x2) is made for x2: try it at this scale (faster than an x4 model shrunk to fit)."]
    assert hinted(x4, 4) == hinted(x4, 2.5) == hinted(models.load("x2"), 2) == hinted(models.load("lanczos"), 2) == []
