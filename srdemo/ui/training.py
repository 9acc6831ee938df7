"""The Train tab: fine-tune on your own catalogue, watch it learn, download or publish the model.

Training runs as a background job (``srdemo.runs``); this tab only starts, polls, stops and resumes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from .. import models, runs, workspace
from ..caller import Caller
from ..errors import SrdemoError
from ..jobs import JOBS
from ..training import History
from ..wording import text
from .common import ON_SPACE, ZERO_GPU, caller_of, owner_of, path_of, plain_errors, served

ZERO_GPU_TEXT = text("ui_train_zero_gpu")

INPUT_KINDS = [
    (text("ui_train_input_clean"), "bicubic"),
    (text("ui_train_input_supplier"), "product"),
    (text("ui_train_input_catalogue"), "compressed"),
    (text("ui_train_input_mix"), "bicubic+product+compressed"),
]
"""What the model will be given, in the tab's words, and the degradation name each trains with."""


def _caller_for_training(key, request) -> Caller:
    if ON_SPACE and not getattr(request, "username", None):
        raise gr.Error(text("ui_train_sign_in_first"))
    return caller_of(key, request)


TRAIN_SCALES = (2, 4)  # what the tab offers


def _length_choices() -> list[tuple[str, str]]:
    """The Length radio: each of ``runs.LENGTHS`` in the tab's words, with its number of steps."""
    names = {
        "quick": text("ui_train_length_quick"), "standard": text("ui_train_length_standard"),
        "long": text("ui_train_length_long"),
    }
    return [(text("ui_train_length_choice", length=names.get(k, k), steps=v), k) for k, v in runs.LENGTHS.items()]


@plain_errors
def on_base(base_id: str):
    """The scale follows the starting model's own: tuning the x2 for x4 would start from a re-made output layer."""
    try:
        native = models.resolve(base_id).native_scale
    except SrdemoError:
        return gr.skip()  # "scratch": any scale
    return native if native in TRAIN_SCALES else gr.skip()


@plain_errors
def on_train_start(files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, key, request: gr.Request):
    if ZERO_GPU:
        raise gr.Error(ZERO_GPU_TEXT)
    caller = _caller_for_training(key, request)
    paths = [Path(p) for p in (path_of(f) for f in (files or [])) if p]
    runs.start(caller, paths, bool(use_examples), runs.RunSettings(
        base=None if base == "scratch" else base, scale=int(scale), degrade=degrade, length=length,
        lr=float(lr), batch=int(batch), patch=int(patch), seed=int(seed),
    ))
    return on_train_status(key, request)


def _state_line(job, model_dir: Path) -> str:
    if job is None:
        return text("ui_train_stopped_earlier") if not (model_dir / "model.safetensors").exists() else text("ui_train_done")
    if job.running:
        return text("ui_train_running", progress=job.message) if job.done else text("ui_train_preparing")
    if job.status == "failed":
        return text("ui_common_failed", error=job.error)
    if job.status == "cancelled":
        return text("ui_train_time_limit" if job.info.get("time_limit") else "ui_train_stopped")
    return text("ui_train_finished")


@plain_errors
def on_train_status(key, request: gr.Request):
    """Status line, loss and PSNR curves, reference figures, preview pair, zip."""
    import pandas as pd

    owner = owner_of(key, request)
    job = JOBS.latest(owner, "training")
    run = job.info.get("run") if job else runs.latest_run(owner)
    empty = pd.DataFrame({"step": [], "value": []})
    if run is None:
        return text("ui_train_none"), empty, empty, "", None, None
    model_dir = Path(run) / "model"
    history = job.result if job is not None and isinstance(job.result, History) else None
    if history is None and (model_dir / "history.json").exists():
        history = History.from_json(json.loads((model_dir / "history.json").read_text()))
    loss = pd.DataFrame(history.loss if history else [], columns=["step", "value"])
    val = pd.DataFrame([(s, p) for s, p, _ in history.val] if history else [], columns=["step", "value"])
    figures = []
    if history is not None and history.bicubic:
        figures.append(text("ui_train_figure_bicubic", psnr=history.bicubic[0]))
    if history is not None and history.base:
        figures.append(text("ui_train_figure_base", psnr=history.base[0]))
    if history is not None and history.val:
        figures.append(text("ui_train_figure_now", psnr=history.val[-1][1], best=max(v[1] for v in history.val)))
    preview = None
    if (model_dir / "preview_model.png").exists():
        preview = (served(model_dir / "preview_bicubic.png"), served(model_dir / "preview_model.png"))
    zip_path = None
    if (job is None or not job.running) and (model_dir / "model.safetensors").exists():
        zip_path = served(runs.model_zip(Path(run)))
    state = _state_line(job, model_dir)
    if not workspace.storage_is_persistent():
        state = text("ui_train_storage_note", status=state)
    return state, loss, val, "\n".join(figures), preview, zip_path


@plain_errors
def on_train_stop(key, request: gr.Request):
    stopped = JOBS.cancel(owner_of(key, request), "training")
    return text("ui_train_stopping") if stopped else text("ui_train_not_running")


@plain_errors
def on_train_resume(key, request: gr.Request):
    owner = _caller_for_training(key, request).owner
    runs.resume(owner)
    return on_train_status(key, request)


@plain_errors
def on_publish(repo_id, private, token, key, request: gr.Request, oauth_token=None):
    caller = caller_of(key, request, token, oauth_token)
    run = runs.latest_run(caller.owner)
    if run is None:
        raise SrdemoError(text("ui_train_nothing_to_publish"))
    url = runs.publish(run, repo_id, caller, private=bool(private))
    return text("ui_train_published", url=url, repo_id=repo_id)


@plain_errors
def on_publish_signed_in(repo_id, private, token, key, request: gr.Request, oauth_token: gr.OAuthToken | None):
    return on_publish(repo_id, private, token, key, request, oauth_token)


def build(demo: gr.Blocks, browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    with gr.Tab(text("ui_train_tab")):
        gr.Markdown(
            text("ui_train_intro", storage="" if workspace.storage_is_persistent() else
                 text("ui_train_intro_storage_temporary"))
        )
        if ZERO_GPU:
            gr.Markdown(ZERO_GPU_TEXT)
        with gr.Row():
            with gr.Column():
                files = gr.File(label=text("ui_train_files"), file_count="multiple", elem_id="train-files")
                use_examples = gr.Checkbox(label=text("ui_train_examples"), value=False,
                                           elem_id="train-examples")
                neural = [(s.label, s.id) for s in models.catalogue() if s.is_neural]
                x4 = models.default_model(4)  # the built-in x4, to match the scale of 4 it opens on
                base = gr.Dropdown(neural + [(text("ui_train_scratch"), "scratch")], value=x4.id if x4.is_neural else "scratch",
                                   label=text("ui_train_base"), elem_id="train-base")
                scale = gr.Radio(list(TRAIN_SCALES), value=4, label=text("ui_common_scale"), elem_id="train-scale")
                degrade = gr.Radio(INPUT_KINDS, value="bicubic", label=text("ui_train_inputs"),
                                   elem_id="train-degrade")
                length = gr.Radio(_length_choices(), value="quick", label=text("ui_train_length"), elem_id="train-length")
                with gr.Accordion(text("ui_train_advanced"), open=False):
                    lr = gr.Number(2e-4, label=text("ui_train_lr"))
                    batch = gr.Number(8, label=text("ui_train_batch"), precision=0)
                    patch = gr.Number(96, label=text("ui_train_patch"), precision=0, elem_id="train-patch")
                    seed = gr.Number(0, label=text("ui_train_seed"), precision=0)
                with gr.Row():
                    go = gr.Button(text("ui_train_start"), variant="primary", elem_id="train-start", interactive=not ZERO_GPU)
                    stop = gr.Button(text("ui_train_stop"), elem_id="train-stop")
                    resume = gr.Button(text("ui_train_resume"), elem_id="train-resume")
            with gr.Column():
                status = gr.Textbox(label=text("ui_common_status"), interactive=False, elem_id="train-status")
                figures = gr.Textbox(label=text("ui_train_figures"), lines=3, interactive=False,
                                     elem_id="train-figures")
                loss_plot = gr.LinePlot(x="step", y="value", title=text("ui_train_loss_plot"), elem_id="loss-plot")
                psnr_plot = gr.LinePlot(x="step", y="value", title=text("ui_train_psnr_plot"), elem_id="psnr-plot")
                preview = gr.ImageSlider(label=text("ui_train_preview"), type="filepath",
                                         elem_id="train-preview")
                zip_file = gr.File(label=text("ui_train_zip"), elem_id="train-zip")
                with gr.Accordion(text("ui_train_publish_section"), open=False):
                    repo = gr.Textbox(label=text("ui_train_repo"), elem_id="pub-repo")
                    private = gr.Checkbox(label=text("ui_train_private"), value=True)
                    token = gr.Textbox(label=text("ui_train_token"), type="password")
                    if ON_SPACE:
                        gr.LoginButton(text("ui_train_sign_in"))
                    publish = gr.Button(text("ui_train_publish"), elem_id="pub-go")
                    result = gr.Textbox(label=text("ui_train_result"), interactive=False, elem_id="pub-result")

    outputs = [status, loss_plot, psnr_plot, figures, preview, zip_file]
    go.click(
        on_train_start,
        [files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, browser_key],
        outputs, api_name="train_start",
    )
    base.change(on_base, [base], [scale], api_name="train_base_scale", show_progress="hidden")
    stop.click(on_train_stop, [browser_key], [status], api_name="train_stop")
    resume.click(on_train_resume, [browser_key], outputs, api_name="train_resume")
    gr.Timer(2.0).tick(on_train_status, [browser_key], outputs, api_name="train_status", show_progress="hidden")
    demo.load(on_train_status, [browser_key], outputs, api_name="train_status_on_load")
    publish.click(on_publish_signed_in if ON_SPACE else on_publish, [repo, private, token, browser_key], [result],
                  api_name="publish")
