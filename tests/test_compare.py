"""A/B: the same request with two models, one sentence about the difference, and the zoom."""

import numpy as np
import pytest

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.cli import main
from srdemo.compare import compare, describe, zoom
from srdemo.metrics import Comparison, Scores
from srdemo.pipeline import UpscaleResult
from srdemo.request import Upscaled, UpscaleRequest, upscale
from srdemo.synthetic import render_product


def _upscaled(psnr: float, seconds: float, model_id: str = "lanczos") -> Upscaled:
    comp = Comparison("self-check", Scores(psnr, 0.9), Scores(28.0, 0.8))
    result = UpscaleResult(None, None, model_id, "CPU", seconds, (1, 1), (4, 4), comp, 4)
    return Upscaled(b"", "x.png", "png", None, None, result, models.resolve(model_id, LOCAL), 0.0)


def test_ab_sentence_states_speed_quality_and_the_compressed_caveat():
    text = describe(_upscaled(30.0, 1.0), _upscaled(30.8, 3.0))
    assert text.startswith("B is better than A on the sharpness check (by 0.8 dB) and 3.0x slower")
    assert "JPEG" not in text
    text = describe(_upscaled(30.0, 2.0), _upscaled(29.0, 1.0, "nomos-span-x2-jpeg"))
    assert "B is worse than A on the sharpness check (by 1.0 dB)" in text and "2.0x faster" in text
    assert "B is made for compressed (JPEG) photos" in text and "cannot see the blocks it removes" in text


def test_compare_runs_the_same_request_with_each_model(tmp_path, capsys):
    photo = tmp_path / "tea.png"
    render_product(6, 64).save(photo)
    req = UpscaleRequest(scale=2, format="png", caller=LOCAL)
    result = compare(photo, req, "bicubic", "lanczos")
    assert result.a.model.id == "bicubic" and result.b.model.id == "lanczos"
    assert result.a.data == upscale(photo, UpscaleRequest(model="bicubic", scale=2, caller=LOCAL)).data
    gap = result.b.result.comparison.model.psnr - result.a.result.comparison.model.psnr
    expected = "B is as good as A" if abs(gap) < 0.05 else f"B is {'better' if gap > 0 else 'worse'} than A"
    assert result.sentence.startswith(expected) and (abs(gap) < 0.05 or f"(by {abs(gap):.1f} dB)" in result.sentence)

    assert main(["compare", "bicubic", "lanczos", str(photo), "--scale", "2", "--out", str(tmp_path / "ab")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(result.sentence.split(" and ")[0]) and " s vs " in last  # the timings differ run to run
    assert (tmp_path / "ab" / "tea_bicubic_x2.png").read_bytes() == result.a.data
    assert (tmp_path / "ab" / "tea_lanczos_x2.png").read_bytes() == result.b.data


def test_zoom_crops_both_sides_at_the_same_place():
    from srdemo.images import Picture

    rgb = np.zeros((200, 200, 3), np.uint8)
    rgb[100:110, 150:160] = 255
    crop = zoom(Picture(rgb), 155 / 2, 105 / 2, (100, 100), box=20, show=40)
    assert crop.shape == (40, 40, 3)
    assert crop[crop.shape[0] // 2, crop.shape[1] // 2].tolist() == [255, 255, 255]


@pytest.mark.parametrize("bad", ["no-such-model"])
def test_an_unknown_model_on_either_side_is_a_plain_error(tmp_path, bad):
    photo = tmp_path / "p.png"
    render_product(1, 32).save(photo)
    assert main(["compare", "lanczos", bad, str(photo), "--out", str(tmp_path)]) == 2
