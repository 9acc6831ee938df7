"""The Gradio app: a thin adapter between the browser and ``srdemo`` (no image or model logic lives here).

One module per tab, each with its event handlers and a ``build`` function; ``common`` holds what they share
and ``tools`` what AI agents may call over MCP.
"""

from __future__ import annotations

import os
import threading

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio is imported

import gradio as gr  # noqa: E402

from .. import speed  # noqa: E402
from ..settings import get_settings  # noqa: E402
from ..wording import LANGUAGES  # noqa: E402
from . import batch, compare, tools, training, upscale  # noqa: E402
from .common import WORDS, choose_language, on_load_key  # noqa: E402

CSS = """
#header { align-items: center; }
#header h2 { margin: 0; }
#language { max-width: 260px; margin-left: auto; }
/* the Batch tab's pictures: each caption (name and verdict) whole, under its picture, not cut at the side */
#batch-gallery .thumbnail-item { aspect-ratio: auto; height: auto; overflow: visible; display: flex; flex-direction: column; }
#batch-gallery .thumbnail-item > img { height: 170px; flex: none; }
#batch-gallery .caption-label { position: static; max-width: none; white-space: normal; overflow: visible;
  overflow-wrap: anywhere; text-overflow: clip; opacity: 1; border: 0; border-radius: 0; }
@media (max-width: 640px) {  /* a phone: the title on one line */
  #header h2 { font-size: 1.3rem !important; }
}
"""


def build_demo() -> gr.Blocks:
    settings = get_settings()
    # Gradio's own copies of uploads and results are removed hourly once an hour old
    with gr.Blocks(title=WORDS("ui_page_title"), analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        with gr.Row(elem_id="header", equal_height=True):
            with gr.Column(scale=4, min_width=300):
                gr.Markdown(WORDS("ui_page_intro"))
            with gr.Column(scale=1, min_width=220):
                lang = gr.Radio([(name, code) for code, name in LANGUAGES.items()], show_label=False, container=False,
                                elem_id="language")
        # Owner key for background jobs: kept in the browser, so a reload finds its batch or training again.
        browser_key = gr.BrowserState("", storage_key="srdemo-owner")
        lang_choice = gr.BrowserState("", storage_key="srdemo-language")
        demo.load(on_load_key, [browser_key], [browser_key], api_name="owner_key", api_visibility="undocumented")
        with gr.Tabs():
            upscale.build(browser_key, lang)
            batch.build(demo, browser_key, lang)
            training.build(demo, browser_key, lang)
            compare.build(browser_key, lang)
        tools.build()
        gr.Markdown(WORDS("ui_page_limits", input_mp=settings.max_input_pixels / 1e6, output_mp=settings.max_output_pixels / 1e6,
                          file_mb=settings.max_file_bytes / 1e6))
        worded, relabel = WORDS.switch(demo)

        def on_language(choice: str, request: gr.Request):
            """The page in the chosen language (or the browser's): every fixed word, and later messages."""
            spoken = choose_language(choice, request)
            return spoken, choice, *relabel(spoken)

        outputs = [lang, lang_choice, *worded]
        demo.load(on_language, [lang_choice], outputs, api_visibility="undocumented", show_progress="hidden")
        lang.input(on_language, [lang], outputs, api_visibility="undocumented", show_progress="hidden")
    demo.queue(max_size=32, default_concurrency_limit=2)
    return demo


def launch(host: str | None = None, port: int | None = None, **kwargs) -> None:
    """Serve the app (host and port default to Gradio's env variables, then 127.0.0.1:7860), with its tools over MCP
    (``/gradio_api/mcp/``) unless ``SRDEMO_MCP=0`` or ``mcp_server=False`` is passed."""
    demo = build_demo()
    kwargs.setdefault("mcp_server", get_settings().mcp_server)
    # measured speeds and a grown memory pool before the first visitor, not in their first job
    threading.Thread(target=speed.warm_up, name="srdemo-warm-up", daemon=True).start()
    demo.launch(server_name=host, server_port=port, max_file_size=get_settings().max_file_bytes, show_error=True,
                i18n=WORDS.i18n, css=CSS, **kwargs)
