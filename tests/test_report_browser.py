"""report.html as a colleague opens it: unzipped from a batch's zip, from disk (file://), with no network, in
headless Chromium; at 1366x768, in English and in Chinese."""

import zipfile
from pathlib import Path

import pytest

from srdemo import wording
from srdemo.batch import run_batch
from srdemo.caller import LOCAL
from srdemo.request import UpscaleRequest
from srdemo.synthetic import render_product

from conftest import png_bytes

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LONG_NAME = "supplier_delivery_" + "x" * 120 + ".png"  # one word wider than the page, if it would not wrap


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("delivery") / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tea.png", png_bytes(render_product(1, 300)))
        zf.writestr("shelf/jam & honey #2.png", png_bytes(render_product(2, 240).resize((300, 240))))
        zf.writestr("shelf/茶叶 100%.png", png_bytes(render_product(3, 260)))
        zf.writestr(LONG_NAME, png_bytes(render_product(4, 200)))
        zf.writestr("shelf/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_opens_from_disk_with_no_network_and_shows_every_photo(browser, delivery, tmp_path, lang):
    with wording.language(lang):
        result = run_batch([delivery], tmp_path / "out", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(result.zip_path) as zf:
        zf.extractall(unzipped)
    failed = next(r for r in result.rows if r["status"] == "failed")["warnings"]

    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN" if lang == "zh" else "en-US")
    outside, requested = [], []
    ctx.route(lambda url: not url.startswith("file://"), lambda route: (outside.append(route.request.url), route.abort()))
    pg = ctx.new_page()
    pg.on("request", lambda req: requested.append(req.url))
    pg.goto((unzipped / "report.html").as_uri())
    pg.wait_for_load_state("load")

    assert outside == [] and requested and all(u.startswith("file://") for u in requested), requested
    pictures = pg.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])")
    assert len(pictures) == 2 * 4 and all(width > 0 for _, width in pictures), pictures  # before and after of 4 photos
    assert pg.locator("article.photo").count() == 5
    assert failed in pg.locator("article.failed .problem").inner_text()  # the reason whole, with what to do
    assert pg.evaluate("document.documentElement.scrollWidth") <= 1366
    headline = pg.locator(".headline").inner_text()
    assert headline == wording.text("batch_counts", lang, done=4, total=5, failed=1, warned=0)
    if lang == "zh":
        assert "已完成 4/5" in headline and pg.locator("figcaption").first.inner_text() == "处理前"

    # the slider: the handle at 20% shows the before picture's left 20%, laid exactly over the after
    pair = pg.locator(".pair").first
    pair.locator("input[type=range]").fill("20")
    before, after = (pair.locator(f"figure.{side} img").bounding_box() for side in ("before", "after"))
    assert before == after
    assert pair.locator("figure.before").evaluate("f => getComputedStyle(f).clipPath") == "inset(0px 80% 0px 0px)"
    ctx.close()
