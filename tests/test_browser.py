"""One real user journey in headless Chromium (Debian's, driven by Playwright)."""

import os

import pytest

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
    page.locator("#run").click()
    page.wait_for_function(
        "() => (document.querySelector('#figures textarea') || {}).value?.includes('Self-check')", timeout=120_000
    )
    figures = page.locator("#figures textarea").input_value()
    assert "Model: lanczos" in figures and "128x128 -> 512x512" in figures
    imgs = page.locator("#slider img")
    assert imgs.count() >= 2
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('#slider img')].map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert [512, 512] in sizes
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
