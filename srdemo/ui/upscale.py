"""The Upscale tab: one photo, one model, a before/after slider and honest figures.

Uploads arrive as files (``gr.File``) rather than ``gr.Image`` so that srdemo's
own decoder, with its plain messages, sees every file first, including broken ones.
"""

from __future__ import annotations

import threading

import gradio as gr

from .. import hub, images, models
from ..errors import SrdemoError
from ..examples import example_photos
from ..request import UpscaleRequest, estimate, upscale
from ..wording import text
from .common import (
    ON_SPACE,
    caller_of,
    decode_upload,
    display,
    gpu,
    model_choices,
    path_of,
    plain_errors,
    preview_array,
    scratch_dir,
    upload_path,
)

_cancel_flags: dict[str, threading.Event] = {}
_flags_lock = threading.Lock()


def _cancel_flag(request: gr.Request | None) -> threading.Event:
    key = getattr(request, "session_hash", None) or "local"
    with _flags_lock:
        return _cancel_flags.setdefault(key, threading.Event())


def model_ref(model_id: str, repo: str, filename: str, revision: str) -> str:
    """The dropdown's id, or the Hub fields as one ``owner/repo:file@revision`` reference when a repo is given."""
    if (repo or "").strip():
        return str(hub.hub_file(repo, filename, revision))
    return model_id


@plain_errors
def on_preview(upload):
    """Show what was uploaded, or say plainly why it can't be used."""
    if path_of(upload) is None:
        return None, ""
    pic = decode_upload(upload)
    info = text("ui_upscale_file_info", name=pic.name, width=pic.size[0], height=pic.size[1], mode=pic.source_mode)
    info += "".join(f"\n{n}" for n in pic.notes)
    return display(pic), info


@plain_errors
def on_estimate(upload, model_id: str, scale: float, repo: str, key="", request: gr.Request = None):
    """A time estimate from the model's measured speed on this device."""
    if (repo or "").strip():
        return text("estimate_hub")
    job = UpscaleRequest(model=model_id, scale=float(scale), caller=caller_of(key, request))
    try:
        return estimate(upload_path(upload) if path_of(upload) else None, job)
    except SrdemoError as exc:
        return str(exc)


@gpu
@plain_errors
def on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key="",
           request: gr.Request = None, progress=gr.Progress(), oauth_token=None):
    flag = _cancel_flag(request)
    flag.clear()
    job = UpscaleRequest(
        model=model_ref(model_id, repo, filename, revision), scale=float(scale), format=fmt, quality=int(quality),
        reference=upload_path(reference) if path_of(reference) else None,
        caller=caller_of(key, request, token, oauth_token),
    )
    done = upscale(upload_path(upload), job, progress=lambda f, msg: progress(f, desc=msg), should_stop=flag.is_set)
    out_path = done.save(scratch_dir())
    slider = (preview_array(done.before), display(done.result.picture))
    # A neural model's first run here measured its speed: the estimate can now be given.
    return slider, str(out_path), done.summary(), done.estimate if done.estimate is not None else gr.skip()


@plain_errors
def on_run_signed_in(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key,
                     request: gr.Request, oauth_token: gr.OAuthToken | None, progress=gr.Progress()):
    """``on_run`` with the visitor's sign-in token (Spaces only)."""
    return on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key,
                  request, progress, oauth_token)


@plain_errors
def on_cancel(request: gr.Request):
    _cancel_flag(request).set()
    return text("ui_upscale_cancelling")


@plain_errors
def on_refresh_models(key, request: gr.Request):
    """The catalogue plus the models this owner trained (nobody else's)."""
    return gr.update(choices=model_choices(caller_of(key, request)))


def build(browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    examples = [str(p) for p in example_photos()]
    with gr.Tab(text("ui_upscale_tab")) as tab:
        with gr.Row():
            with gr.Column():
                upload = gr.File(label=text("ui_upscale_photo"), file_count="single", elem_id="upload")
                preview = gr.Image(label=text("ui_upscale_preview"), interactive=False, height=240, elem_id="preview")
                info = gr.Textbox(label=text("ui_upscale_file"), interactive=False, lines=2, elem_id="file-info")
                scale = gr.Slider(1, 8, value=4, step=0.5, label=text("ui_upscale_scale"), elem_id="scale")
                model = gr.Dropdown(model_choices(), value=models.default_model().id, label=text("ui_common_model"), elem_id="model",
                                    allow_custom_value=True)
                with gr.Accordion(text("ui_upscale_hub"), open=False):
                    repo = gr.Textbox(label=text("ui_upscale_repo"), placeholder=text("ui_upscale_repo_placeholder"))
                    filename = gr.Textbox(label=text("ui_upscale_filename"), placeholder=text("ui_upscale_filename_placeholder"))
                    revision = gr.Textbox(label=text("ui_upscale_revision"), placeholder=text("ui_upscale_revision_placeholder"))
                    token = gr.Textbox(
                        label=text("ui_upscale_token"), type="password",
                    )
                    if ON_SPACE:
                        gr.LoginButton(text("ui_upscale_sign_in"))
                reference = gr.File(label=text("ui_upscale_reference"), file_count="single")
                with gr.Row():
                    fmt = gr.Radio(list(images.FORMATS), value="png", label=text("ui_upscale_format"))
                    quality = gr.Slider(50, 100, value=92, step=1, label=text("ui_common_quality"))
                estimate = gr.Markdown(elem_id="estimate")
                with gr.Row():
                    run = gr.Button(text("ui_upscale_run"), variant="primary", elem_id="run")
                    cancel = gr.Button(text("ui_upscale_cancel"), elem_id="cancel")
            with gr.Column():
                slider = gr.ImageSlider(
                    label=text("ui_upscale_slider"), format="png", type="numpy", elem_id="slider",
                )
                download = gr.File(label=text("ui_upscale_download"), elem_id="download")
                figures = gr.Textbox(label=text("ui_upscale_figures"), lines=8, interactive=False, elem_id="figures")
        if examples:
            gr.Examples(examples, inputs=[upload], label=text("ui_upscale_examples"))

    upload.change(on_preview, [upload], [preview, info], api_name="preview")
    gr.on(
        [upload.change, model.change, scale.change, repo.change],
        on_estimate, [upload, model, scale, repo, browser_key], [estimate], api_name="estimate", show_progress="hidden",
    )
    run_event = run.click(
        on_run_signed_in if ON_SPACE else on_run,
        [upload, model, scale, repo, filename, revision, token, reference, fmt, quality, browser_key],
        [slider, download, figures, estimate],
        api_name="upscale",
        concurrency_limit=None,  # neural jobs are limited by srdemo.request.NEURAL_SLOTS, classic ones never wait
    )
    cancel.click(on_cancel, None, [figures], api_name="cancel", cancels=[run_event])
    tab.select(on_refresh_models, [browser_key], [model], api_name="models")
