"""The Gradio app: a thin adapter between the browser and ``srdemo``.

One module per tab (``upscale``, ``batch``, ``training``, ``compare``), each
with its event handlers and a ``build`` function; ``common`` holds what they
share. Handlers turn UI values into calls to the package and its results into
components; no image or model logic lives here.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio is imported

import gradio as gr  # noqa: E402

from ..settings import get_settings  # noqa: E402
from ..wording import text  # noqa: E402
from . import batch, compare, training, upscale  # noqa: E402
from .common import on_load_key  # noqa: E402


def build_demo() -> gr.Blocks:
    settings = get_settings()
    # delete_cache: Gradio's own copies of uploads and results are removed hourly once an hour old.
    with gr.Blocks(title=text("ui_page_title"), analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(text("ui_page_intro"))
        # Owner key for background jobs: kept in the browser, so a reload finds its batch or training again.
        browser_key = gr.BrowserState("", storage_key="srdemo-owner")
        demo.load(on_load_key, [browser_key], [browser_key], api_name="owner_key")
        upscale.build(browser_key)
        batch.build(demo, browser_key)
        training.build(demo, browser_key)
        compare.build(browser_key)
        gr.Markdown(
            text("ui_page_limits", input_mp=settings.max_input_pixels / 1e6, output_mp=settings.max_output_pixels / 1e6,
                 file_mb=settings.max_file_bytes / 1e6)
        )
    demo.queue(max_size=32, default_concurrency_limit=2)
    return demo


def launch(host: str | None = None, port: int | None = None, **kwargs) -> None:
    """Serve the app. Host and port default to Gradio's env variables, then 127.0.0.1:7860."""
    demo = build_demo()
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=get_settings().max_file_bytes,
        show_error=True,
        **kwargs,
    )
