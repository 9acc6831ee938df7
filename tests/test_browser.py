"""One real user journey in headless Chromium (Debian's, driven by Playwright)."""

import os

import pytest

from srdemo import models

from conftest import ROOT, chromium_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=FLAGS, headless=True)
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        pg.requested_urls = []
        pg.on("request", lambda req: pg.requested_urls.append(req.url))
        pg.goto(app_url)
        yield pg
        browser.close()


def test_upload_run_and_see_slider_and_figures(page, artifacts_dir):
    page.locator("#upload input[type=file]").set_input_files(str(ROOT / "examples" / "packaging_small.png"))
    page.wait_for_function(
        "() => (document.querySelector('#file-info textarea') || {}).value?.includes('128x128')", timeout=60_000
    )
    estimate = page.locator("#estimate")
    estimate.get_by_text("not measured yet").wait_for(timeout=30_000)  # a fresh app has timed nothing
    page.locator("#run").click()
    page.wait_for_function(
        "() => (document.querySelector('#figures textarea') || {}).value?.includes('Self-check')", timeout=120_000
    )
    estimate.get_by_text("output MP/s").wait_for(timeout=30_000)  # the run measured the speed: a real estimate now
    assert "About" in estimate.inner_text()
    figures = page.locator("#figures textarea").input_value()
    # The page starts on the catalogue's default: the built-in x4 once its weights ship.
    assert f"Model: {models.default_model().id}\n" in figures and "128x128 -> 512x512" in figures
    page.wait_for_function(
        "() => [...document.querySelectorAll('#slider img')].filter(i => i.naturalWidth === 512 && i.naturalHeight === 512).length >= 2",
        timeout=30_000,
    )
    assert page.locator("#download a, #download [download]").count() >= 1
    page.screenshot(path=str(artifacts_dir / "upscale_tab.png"), full_page=True)
    assert (artifacts_dir / "upscale_tab.png").stat().st_size > 10_000
    assert os.path.exists(artifacts_dir / "upscale_tab.png")


def test_the_page_never_calls_outside_the_machine(page):
    """Offline means offline: fonts, scripts and API calls all come from the app itself."""
    from urllib.parse import urlparse

    assert page.requested_urls
    outside = [u for u in page.requested_urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []


def _textarea(page, elem_id):
    return page.locator(f"#{elem_id} textarea").input_value()


def test_batch_tab_survives_a_reload_and_shows_the_report(page, app_url, tmp_path, artifacts_dir):
    import zipfile

    from srdemo.synthetic import render_product

    delivery = tmp_path / "delivery.zip"
    with zipfile.ZipFile(delivery, "w") as zf:
        for i in range(24):
            path = tmp_path / f"p{i}.png"
            render_product(100 + i, 240).save(path)
            zf.write(path, f"shelf{i % 3}/p{i:02d}.png")
        zf.writestr("notes.txt", "not an image")
    page.goto(app_url)
    page.get_by_role("tab", name="Batch").click()
    page.locator("#batch-files input[type=file]").set_input_files(str(delivery))
    page.locator("#batch-preset input").click()
    page.get_by_role("option", name="Shopify product image (2048 x 2048 square)").click()
    page.locator("#batch-model input").click()  # a classic resampler keeps this test quick on CPU
    page.get_by_role("option", name=models.resolve("lanczos").label).click()
    page.wait_for_timeout(500)
    page.locator("#batch-run").click()
    page.wait_for_function("() => (document.querySelector('#batch-status textarea') || {}).value?.startsWith('Running')", timeout=60_000)
    page.reload()  # the job must keep going and be shown again
    page.get_by_role("tab", name="Batch").click()
    page.wait_for_function(
        "() => (document.querySelector('#batch-status textarea') || {}).value?.startsWith('Finished')", timeout=240_000
    )
    assert "24 image(s) done, 0 failed" in _textarea(page, "batch-status")
    table = page.locator("#batch-report").inner_text()
    assert "shelf0/p00.png" in table and "2048x2048" in table and "notes.txt" in table
    assert page.locator("#batch-zip a, #batch-zip [download]").count() >= 1
    page.screenshot(path=str(artifacts_dir / "batch_tab.png"), full_page=True)


def test_ab_view_shows_both_results_and_zooms_where_clicked(page, app_url, artifacts_dir):
    page.goto(app_url)
    page.get_by_role("tab", name="Compare A/B").click()
    page.locator("#ab-upload input[type=file]").set_input_files(str(ROOT / "examples" / "jar_label_text.png"))
    page.wait_for_timeout(500)
    page.locator("#ab-run").click()
    page.wait_for_function("() => (document.querySelector('#ab-sentence textarea') || {}).value?.startsWith('B ')", timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ab-slider img')].filter(i => i.naturalWidth === 640).length >= 2",
        timeout=30_000,
    )
    photo = page.locator("#ab-photo img")
    box = photo.bounding_box()
    photo.click(position={"x": box["width"] * 0.45, "y": box["height"] * 0.45})  # on the label's text
    page.wait_for_function(
        "() => ['#zoom-a img', '#zoom-b img'].every(s => (document.querySelector(s) || {}).naturalWidth === 384)",
        timeout=60_000,
    )
    page.screenshot(path=str(artifacts_dir / "ab_view.png"), full_page=True)
    import io

    import numpy as np
    from PIL import Image

    for elem in ("zoom-a", "zoom-b"):
        shot = np.asarray(Image.open(io.BytesIO(page.locator(f"#{elem} img").screenshot())).convert("L"), dtype=float)
        assert shot.std() > 20  # the crop shows printed text, not blank background


def test_training_tab_keeps_running_through_a_reload(page, app_url, artifacts_dir):
    page.goto(app_url)
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-examples input").check()
    page.locator("#train-base input").click()  # the app's tiny local model keeps this test quick on CPU
    page.get_by_role("option", name="compact_x2.safetensors (local file)").click()
    page.get_by_label("2", exact=True).check()
    page.locator("#train-start").click()
    page.wait_for_function(
        "() => (document.querySelector('#train-status textarea') || {}).value?.startsWith('Training: step')", timeout=120_000
    )
    page.reload()
    page.get_by_role("tab", name="Train").click()
    page.wait_for_function(
        "() => /^(Training: step|Finished)/.test((document.querySelector('#train-status textarea') || {}).value || '')",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => (document.querySelector('#train-status textarea') || {}).value?.startsWith('Finished')", timeout=300_000
    )
    assert "Bicubic on your held-out photos" in _textarea(page, "train-figures")
    assert page.locator("#train-zip a, #train-zip [download]").count() >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('#train-preview img')].filter(i => i.naturalWidth > 0).length >= 2",
        timeout=30_000,
    )
    page.screenshot(path=str(artifacts_dir / "train_tab.png"), full_page=True)
