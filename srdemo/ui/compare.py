"""The Compare A/B tab: two models on one photo, a slider between them, and a zoom on a clicked point."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from .. import images, models
from ..compare import compare, zoom
from ..errors import SrdemoError
from ..request import UpscaleRequest, read_picture
from .common import caller_of, display, model_choices, upload_path


def on_compare(upload, model_a, model_b, scale, key="", request: gr.Request = None, progress=gr.Progress()):
    try:
        pic = read_picture(upload_path(upload))
        job = UpscaleRequest(scale=float(scale), format="png", caller=caller_of(key, request))
        result = compare(pic, job, model_a, model_b, progress=lambda f, msg: progress(f, desc=msg))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    out_dir = Path(tempfile.mkdtemp(prefix="srdemo-ab-"))
    saved = []
    for tag, res in (("A", result.a), ("B", result.b)):
        path = out_dir / f"{tag}.png"
        path.write_bytes(res.data)
        saved.append(str(path))
    state = {"paths": saved, "in_size": list(pic.size)}
    slider = (display(result.a.picture), display(result.b.picture))
    return slider, result.a.summary(), result.b.summary(), result.sentence, state, display(pic)


def on_zoom(state, evt: gr.SelectData):
    if not state:
        raise gr.Error("Run the comparison first, then click the photo.")
    x, y = evt.index
    crops = [zoom(images.decode(Path(p)), x, y, tuple(state["in_size"])) for p in state["paths"]]
    return crops[0], crops[1]


def build(browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    choices = model_choices()
    with gr.Tab("Compare A/B"):
        gr.Markdown("Two models on the same photo. Click a spot on the photo to zoom both results there.")
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Product photo", elem_id="ab-upload")
                model_a = gr.Dropdown(choices, value="bicubic", label="Model A")
                model_b = gr.Dropdown(choices, value=models.default_model().id, label="Model B")
                scale = gr.Slider(1, 8, value=4, step=0.5, label="Scale")
                run = gr.Button("Compare", variant="primary", elem_id="ab-run")
                photo = gr.Image(label="Click to zoom", interactive=False, elem_id="ab-photo")
            with gr.Column():
                slider = gr.ImageSlider(label="A (left) / B (right)", format="png", type="numpy", elem_id="ab-slider")
                sentence = gr.Textbox(label="In one sentence", interactive=False, elem_id="ab-sentence")
                with gr.Row():
                    fig_a = gr.Textbox(label="A", lines=6, interactive=False)
                    fig_b = gr.Textbox(label="B", lines=6, interactive=False)
                with gr.Row():
                    zoom_a = gr.Image(label="A, zoomed", interactive=False, elem_id="zoom-a")
                    zoom_b = gr.Image(label="B, zoomed", interactive=False, elem_id="zoom-b")
        state = gr.State(None)

    run.click(on_compare, [upload, model_a, model_b, scale, browser_key], [slider, fig_a, fig_b, sentence, state, photo],
              api_name="compare")
    photo.select(on_zoom, [state], [zoom_a, zoom_b], api_name="zoom")
