"""What a batch passes on: report.html and its previews in every zip, and the comparison picture to share."""

import html
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image, ImageFilter

from srdemo import batch, report, wording
from srdemo.batch import run_batch
from srdemo.caller import LOCAL
from srdemo.request import UpscaleRequest
from srdemo.synthetic import render_product

from conftest import ROOT, png_bytes

FAILED_REASON = ("'broken.jpg' is damaged or incomplete and could not be read; ask the supplier to send it again, "
                 "or export it once more from the original.")


def _rows() -> list[report.Photo]:
    return [
        report.Photo({"file": "tea.png", "status": "ok", "output size": "240x240", "model": "lanczos",
                      "model label": "Lanczos (classic, instant): smooth, adds no detail",
                      "verdict": "Much sharper than a plain enlargement.",
                      "warning list": ["colours changed visibly (by 2.4; under 2 is hard to see): check it", "second one"],
                      "warnings": "colours changed visibly (by 2.4; under 2 is hard to see): check it; second one"},
                     "tea.png", 123_456, *report.preview_names("tea.png")),
        report.Photo({"file": "shelf/<script>alert(1)</script> & #1.png", "status": "ok", "output size": "90x90",
                      "model": "x4", "verdict": "About the same.", "warnings": ""},
                     "shelf/<script>alert(1)</script> & #1.png", 1000,
                     *report.preview_names("shelf/<script>alert(1)</script> & #1.png")),
        report.Photo({"file": "shelf/broken.jpg", "status": "failed", "warnings": FAILED_REASON}),
        report.Photo({"file": "readme.txt", "status": "skipped", "warnings": "not an image file"}),
    ]


def _sources(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'\b(?:src|href)="([^"]*)"', page)]


def test_the_page_has_every_row_its_verdict_and_a_failed_files_reason_in_full():
    page = report.page(_rows(), "2 of 4 done (1 failed, 1 skipped, 1 with warnings)")
    assert page.count("<article") == 4
    for name in ("tea.png", "shelf/broken.jpg", "readme.txt"):
        assert f"<h2>{name}</h2>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; #1.png" in page
    assert html.escape(FAILED_REASON) in page  # whole, not cut at its ';'
    assert "Much sharper than a plain enlargement." in page and "2 of 4 done (1 failed" in page
    # each warning a sentence of its own, though it holds a ';' itself
    assert "<li>Colours changed visibly (by 2.4; under 2 is hard to see): check it.</li><li>Second one.</li>" in page
    assert "After (Lanczos (classic, instant))" in page and "adds no detail" not in page  # the name, not the blurb
    assert "Saved as tea.png (240x240, 0.1 MB)." in page
    attention = page.split('class="attention"')[1].split("</section>")[0]
    assert "shelf/broken.jpg" in attention and "tea.png" in attention and "readme.txt" not in attention


def test_the_page_refers_to_nothing_outside_itself_and_escapes_names_in_its_links():
    page = report.page(_rows(), "counts")
    assert not re.search(r"https?:|//[a-z]|@import|<link|url\(", page, re.I)
    sources = _sources(page)
    assert sources and all(s.startswith(("previews/", "#photo-")) for s in sources)
    assert "previews/shelf/%3Cscript%3Ealert%281%29%3C/script%3E%20%26%20%231.after.jpg" in sources  # '#' is no fragment
    assert unquote(sources[sources.index("previews/tea.before.jpg")]) == "previews/tea.before.jpg"


def test_the_chinese_page_speaks_chinese():
    with wording.language("zh"):
        page = report.page(_rows(), batch.counts(batch.summarise([p.row for p in _rows()])))
    assert '<html lang="zh">' in page and "批量处理结果" in page and "已完成 2/4" in page
    assert "处理前" in page and "处理后（Lanczos (classic, instant)）" in page
    assert "Colours changed visibly (by 2.4; under 2 is hard to see): check it。" in page  # a Chinese full stop




@pytest.fixture()
def delivery(tmp_path) -> Path:
    """Three 600 px product photos (one under a name that needs escaping), a broken file and a note."""
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tea.png", png_bytes(render_product(1, 600)))
        zf.writestr("shelf/jam & honey #2.png", png_bytes(render_product(2, 600)))
        zf.writestr("shelf/茶叶.png", png_bytes(render_product(3, 600)))
        zf.writestr("shelf/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
        zf.writestr("readme.txt", "hello")
    return path


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _check_page_against_zip(files: dict[str, bytes]) -> str:
    """The page's pictures are all in the zip, and every photo that came out has its two."""
    page = files["report.html"].decode("utf-8")
    pictures = [unquote(s) for s in _sources(page) if not s.startswith("#")]
    assert pictures and all(p in files for p in pictures)
    done = [n for n in files if n.endswith(".png")]
    assert sorted(pictures) == sorted(n for out in done for n in report.preview_names(out))
    return page


def test_a_batch_zip_carries_the_page_and_small_previews_beside_the_results(delivery, tmp_path):
    result = run_batch([delivery], tmp_path / "out", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    files = _zip(result.zip_path)
    assert {"tea.png", "shelf/jam & honey #2.png", "shelf/茶叶.png", "report.csv", "report.html"} <= set(files)
    page = _check_page_against_zip(files)
    assert page.count("<article") == 5 and "3 of 5 done (1 failed, 1 skipped" in page
    broken = next(r for r in result.rows if r["file"] == "shelf/broken.jpg")["warnings"]
    assert len(broken) > 40 and html.escape(broken) in page
    for out in ("tea.png", "shelf/jam & honey #2.png", "shelf/茶叶.png"):
        previews = [files[n] for n in report.preview_names(out)]
        assert sum(map(len, previews)) < 150_000  # for a 1200 px result: a page of 100 photos stays a few MB
        assert [Image.open(io.BytesIO(p)).size for p in previews] == [(480, 480)] * 2
    assert not (tmp_path / "out" / batch.STATE / "previews").exists()  # in the zip now, like the results


def test_an_interrupted_batch_offers_the_page_and_a_resume_keeps_the_previews_it_had(delivery, tmp_path, monkeypatch):
    """The process dies after two photos (here: before its zip, with the rest cancelled); its partial zip has
    the page, and the resumed batch's page shows the photos finished before the restart too."""
    out = tmp_path / "out"
    seen = []
    monkeypatch.setattr(batch, "_finish", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        run_batch([delivery], out, UpscaleRequest(model="lanczos", scale=2, caller=LOCAL), workers=1,
                  progress=lambda i, name: seen.append(name), should_stop=lambda: len(seen) >= 3)
    monkeypatch.undo()
    found = batch.found_in(out)
    assert found is not None and not found.finished and len(found.rows) == 3
    finished = sum(r["status"] == "ok" for r in found.rows)
    assert finished >= 1
    partial = _zip(batch.finished_zip(found))
    page = _check_page_against_zip(partial)
    assert len([n for n in partial if n.endswith(".png")]) == finished
    assert wording.text("report_partial", done=3, total=5) in page

    result = batch.resume(found, UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    files = _zip(result.zip_path)
    assert len([n for n in files if n.endswith(".png")]) == 3
    page = _check_page_against_zip(files)
    assert "stopped before the end" not in page and page.count('class="verdict"') == 3


def test_the_command_line_runs_a_batch_in_chinese(delivery, tmp_path):
    from srdemo.cli import main

    assert main(["batch", str(delivery), "--model", "lanczos", "--scale", "2", "--out", str(tmp_path / "o"),
                 "--lang", "zh-CN"]) == 2  # the broken file
    files = _zip(tmp_path / "o" / "results.zip")
    page = files["report.html"].decode("utf-8")
    assert '<html lang="zh">' in page and "已完成 3/5" in page and "处理前" in page and "report-zh.csv" in files
    assert "<h1>Batch results</h1>" not in page
    assert wording.current_language() == "en"


def _halves(picture: bytes) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(Image.open(io.BytesIO(picture)).convert("L"), dtype=np.int16)
    return arr[:, : arr.shape[1] // 2], arr[:, arr.shape[1] // 2 :]


def test_the_comparison_picture_is_chat_sized_with_both_sides_labelled():
    sharp = render_product(4, 512)
    soft = sharp.resize((128, 128)).resize((512, 512), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2))
    picture = report.comparison_picture(np.asarray(soft), np.asarray(sharp), ("Before", "After (x4)"))
    img = Image.open(io.BytesIO(picture))
    assert img.format == "JPEG" and img.width == 1200 and 600 < img.height < 800
    left, right = _halves(picture)
    assert np.abs(left - right).mean() > 2  # the two sides show different pictures
    band = np.asarray(img.convert("L"))[: 50]
    assert (band[:, :600] < 100).sum() > 50 and (band[:, 600:] < 100).sum() > 50  # a label over each side


def test_a_tall_photo_and_a_long_label_still_fit():
    tall = np.full((3000, 400, 3), 200, np.uint8)
    picture = report.comparison_picture(tall, tall, ("Before", "After (" + "a very long model name " * 10 + ")"))
    img = Image.open(io.BytesIO(picture))
    assert img.width == 1200 and report.SHARE_MAX_HEIGHT < img.height < report.SHARE_MAX_HEIGHT + 150
    band = np.asarray(img.convert("L"))[:60]
    assert (band[:, 1188:] > 235).all() and (band[:, 594:606] > 235).all()  # cut short, not run off its side


def test_chinese_labels_are_drawn_with_chinese_glyphs():
    if not any(p.exists() for p in report.CJK_FONTS):
        pytest.skip("needs fonts-noto-cjk (Pillow's own font has no Chinese: every character would be one box)")
    flat = np.full((100, 100, 3), 255, np.uint8)
    one, other = (report.comparison_picture(flat, flat, (word, word)) for word in ("处理前", "处理后"))
    assert _halves(one)[0][:50].tolist() != _halves(other)[0][:50].tolist()


def test_the_upscale_and_ab_pictures_name_the_model_in_the_pages_language():
    from srdemo.compare import compare
    from srdemo.request import upscale

    photo = ROOT / "examples" / "packaging_small.png"
    request = UpscaleRequest(model="lanczos", scale=2, caller=LOCAL)
    done = upscale(photo, request)
    with wording.language("zh"):
        chinese = report.before_after_picture(done)
    english = report.before_after_picture(done)
    assert Image.open(io.BytesIO(chinese)).width == Image.open(io.BytesIO(english)).width == 1200
    assert _halves(chinese)[0][:40].tolist() != _halves(english)[0][:40].tolist()  # "处理前" is not "Before"
    ab = report.ab_picture(compare(photo, request, "bicubic", "lanczos"))
    left, right = _halves(ab)
    assert Image.open(io.BytesIO(ab)).width == 1200 and np.abs(left[60:] - right[60:]).mean() > 0.5
