"""The Compare A/B tab: two models on one photo, a slider between them, and a zoom on a clicked point."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from .. import images, report, workspace
from ..auto import AUTO
from ..compare import compare, zoom
from ..errors import SrdemoError
from ..request import UpscaleRequest, read_picture
from ..wording import text
from .common import WORDS, caller_of, display, model_choices, not_done, on_refresh_models, plain_errors, upload_path


@plain_errors
def on_compare(upload, model_a, model_b, scale, key="", request: gr.Request = None, progress=gr.Progress()):
    """Both models on the photo; the first output is the line that says which is better, or why nothing ran.
    The state keeps both files for the zoom and the comparison picture to share."""
    try:
        pic = read_picture(upload_path(upload))
        job = UpscaleRequest(scale=float(scale), format="png", caller=caller_of(key, request))
        result = compare(pic, job, model_a, model_b, progress=lambda f, msg: progress(f, desc=msg))
    except SrdemoError as exc:  # in the sentence's place; the last comparison stays as it was
        return not_done(exc, 5)
    out_dir = workspace.scratch_dir(job.caller.owner)
    a, b, shared = (out_dir / name for name in ("A.png", "B.png", "A_vs_B.jpg"))
    for path, data in ((a, result.a.data), (b, result.b.data), (shared, report.ab_picture(result))):
        path.write_bytes(data)
    state = {"paths": [str(a), str(b)], "in_size": list(pic.size), "shared": str(shared)}
    slider = (display(result.a.picture), display(result.b.picture))
    return f"**{result.sentence}**", slider, result.a.summary(), result.b.summary(), state, display(pic)


@plain_errors
def on_zoom(state, evt: gr.SelectData, request: gr.Request = None):
    if not state:
        raise gr.Error(text("ui_ab_zoom_first"))
    x, y = evt.index
    return tuple(zoom(images.decode(Path(p)), x, y, tuple(state["in_size"])) for p in state["paths"])


def build(browser_key: gr.BrowserState, language: gr.Radio) -> None:
    """The tab's components and events (called inside ``gr.Blocks``); ``language`` is the page's switch."""
    choices = model_choices()
    with gr.Tab(WORDS("ui_ab_tab"), id="compare") as tab:
        gr.Markdown(WORDS("ui_ab_intro"))
        with gr.Row():
            with gr.Column():
                upload = gr.File(label=WORDS("ui_ab_photo"), elem_id="ab-upload")
                model_a = gr.Dropdown(choices, value="bicubic", label=WORDS("ui_ab_model_a"))
                model_b = gr.Dropdown(choices, value=AUTO, label=WORDS("ui_ab_model_b"), elem_id="ab-model-b")
                scale = gr.Slider(1, 8, value=4, step=0.5, label=WORDS("ui_common_scale"))
                run = gr.Button(WORDS("ui_ab_run"), variant="primary", elem_id="ab-run")
                photo = gr.Image(label=WORDS("ui_ab_click_to_zoom"), interactive=False, elem_id="ab-photo")
            with gr.Column():
                sentence = gr.Markdown(elem_id="ab-sentence")
                slider = gr.ImageSlider(label=WORDS("ui_ab_slider"), format="png", type="numpy", elem_id="ab-slider")
                with gr.Row():
                    fig_a = gr.Textbox(label=WORDS("ui_ab_a"), lines=6, interactive=False)
                    fig_b = gr.Textbox(label=WORDS("ui_ab_b"), lines=6, interactive=False)
                with gr.Row():
                    zoom_a = gr.Image(label=WORDS("ui_ab_zoom_a"), interactive=False, elem_id="zoom-a")
                    zoom_b = gr.Image(label=WORDS("ui_ab_zoom_b"), interactive=False, elem_id="zoom-b")
                share = gr.File(label=WORDS("ui_common_share"), elem_id="ab-share", height=60)
        state = gr.State(None)

    run.click(on_compare, [upload, model_a, model_b, scale, browser_key], [sentence, slider, fig_a, fig_b, state, photo],
              api_name="compare", api_visibility="undocumented").success(
        lambda kept: (kept or {}).get("shared"), [state], [share], api_name=False, show_progress="hidden")
    photo.select(on_zoom, [state], [zoom_a, zoom_b], api_name="zoom", api_visibility="undocumented")
    for dropdown in (model_a, model_b):
        gr.on([tab.select, language.change], on_refresh_models, [browser_key], [dropdown], api_name=False, show_progress="hidden")

