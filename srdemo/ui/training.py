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
from .common import ON_SPACE, ZERO_GPU, caller_of, owner_of, path_of, served

ZERO_GPU_TEXT = (
    "Training is not offered on a ZeroGPU Space: its GPU is lent for seconds per request, and a training run "
    "needs it for minutes to hours. Duplicate this Space on dedicated GPU hardware, or train with the command "
    "line (`srdemo train`) and load the result here."
)

INPUT_KINDS = [
    ("Clean (sharp originals)", "bicubic"),
    ("Supplier photos (blur, noise, JPEG)", "product"),
    ("Catalogue exports (resized, then saved as JPEG)", "compressed"),
    ("A mix of all three (as the built-in x4 for compressed photos)", "bicubic+product+compressed"),
]
"""What the model will be given, in the tab's words, and the degradation name each trains with."""


def _caller_for_training(key, request) -> Caller:
    if ON_SPACE and not getattr(request, "username", None):
        raise gr.Error("On this shared Space, please sign in with Hugging Face to train: your runs and models stay yours.")
    return caller_of(key, request)


TRAIN_SCALES = (2, 4)  # what the tab offers


def on_base(base_id: str):
    """The scale follows the starting model's own: tuning the x2 for x4 would start from a re-made output layer."""
    try:
        native = models.resolve(base_id).native_scale
    except SrdemoError:
        return gr.skip()  # "scratch": any scale
    return native if native in TRAIN_SCALES else gr.skip()


def on_train_start(files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, key, request: gr.Request):
    if ZERO_GPU:
        raise gr.Error(ZERO_GPU_TEXT)
    caller = _caller_for_training(key, request)
    paths = [Path(p) for p in (path_of(f) for f in (files or [])) if p]
    try:
        runs.start(caller, paths, bool(use_examples), runs.RunSettings(
            base=None if base == "scratch" else base, scale=int(scale), degrade=degrade, length=length,
            lr=float(lr), batch=int(batch), patch=int(patch), seed=int(seed),
        ))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_train_status(key, request)


def _state_line(job, model_dir: Path) -> str:
    if job is None:
        return "Stopped earlier; press Resume to continue." if not (model_dir / "model.safetensors").exists() else "Finished."
    if job.running:
        return f"Training: {job.message}" if job.done else "Preparing (checking photos, scoring the base model)..."
    if job.status == "failed":
        return f"Failed: {job.error}"
    if job.status == "cancelled":
        return "Stopped. The best weights so far are saved; press Resume to continue."
    return "Finished. Your model is in the Upscale tab's model list and can be downloaded or published."


def on_train_status(key, request: gr.Request):
    """Status line, loss and PSNR curves, reference figures, preview pair, zip."""
    import pandas as pd

    owner = owner_of(key, request)
    job = JOBS.latest(owner, "training")
    run = job.info.get("run") if job else runs.latest_run(owner)
    empty = pd.DataFrame({"step": [], "value": []})
    if run is None:
        return "No training run yet.", empty, empty, "", None, None
    model_dir = Path(run) / "model"
    history = job.result if job is not None and isinstance(job.result, History) else None
    if history is None and (model_dir / "history.json").exists():
        history = History.from_json(json.loads((model_dir / "history.json").read_text()))
    loss = pd.DataFrame(history.loss if history else [], columns=["step", "value"])
    val = pd.DataFrame([(s, p) for s, p, _ in history.val] if history else [], columns=["step", "value"])
    figures = []
    if history is not None and history.bicubic:
        figures.append(f"Bicubic on your held-out photos: {history.bicubic[0]:.2f} dB")
    if history is not None and history.base:
        figures.append(f"Base model before training: {history.base[0]:.2f} dB")
    if history is not None and history.val:
        figures.append(f"Your model now: {history.val[-1][1]:.2f} dB (best {max(v[1] for v in history.val):.2f} dB)")
    preview = None
    if (model_dir / "preview_model.png").exists():
        preview = (served(model_dir / "preview_bicubic.png"), served(model_dir / "preview_model.png"))
    zip_path = None
    if (job is None or not job.running) and (model_dir / "model.safetensors").exists():
        zip_path = served(runs.model_zip(Path(run)))
    state = _state_line(job, model_dir)
    if not workspace.storage_is_persistent():
        state += " Note: this machine's storage is temporary; download your model to keep it."
    return state, loss, val, "\n".join(figures), preview, zip_path


def on_train_stop(key, request: gr.Request):
    stopped = JOBS.cancel(owner_of(key, request), "training")
    return "Stopping after this step; the best weights so far are kept." if stopped else "No training is running."


def on_train_resume(key, request: gr.Request):
    owner = _caller_for_training(key, request).owner
    try:
        runs.resume(owner)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_train_status(key, request)


def on_publish(repo_id, private, token, key, request: gr.Request, oauth_token=None):
    caller = caller_of(key, request, token, oauth_token)
    run = runs.latest_run(caller.owner)
    if run is None:
        raise gr.Error("Train a model first (or let the current run finish or stop).")
    try:
        url = runs.publish(run, repo_id, caller, private=bool(private))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return f"Published: {url} (load it back in the Upscale tab with repo '{repo_id}' and file 'model.safetensors')"


def on_publish_signed_in(repo_id, private, token, key, request: gr.Request, oauth_token: gr.OAuthToken | None):
    return on_publish(repo_id, private, token, key, request, oauth_token)


def build(demo: gr.Blocks, browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    with gr.Tab("Train"):
        gr.Markdown(
            "Teach a model your own packaging, fonts and backgrounds. Upload sharp product photos (a few hundred is "
            "best), pick a starting model and a length, and start. Training runs in the background: you can close "
            "or reload the page. " + ("" if workspace.storage_is_persistent() else
                                      "**This machine's storage is temporary**: download your model when it is done.")
        )
        if ZERO_GPU:
            gr.Markdown(ZERO_GPU_TEXT)
        with gr.Row():
            with gr.Column():
                files = gr.File(label="Sharp product photos (files or one zip)", file_count="multiple", elem_id="train-files")
                use_examples = gr.Checkbox(label="Use the example set instead (48 rendered product photos)", value=False,
                                           elem_id="train-examples")
                neural = [(s.label, s.id) for s in models.catalogue() if s.is_neural]
                x4 = models.default_model(4)  # the built-in x4, to match the scale of 4 it opens on
                base = gr.Dropdown(neural + [("Start from scratch (SPAN)", "scratch")], value=x4.id if x4.is_neural else "scratch",
                                   label="Starting model", elem_id="train-base")
                scale = gr.Radio(list(TRAIN_SCALES), value=4, label="Scale", elem_id="train-scale")
                degrade = gr.Radio(INPUT_KINDS, value="bicubic", label="What the inputs look like",
                                   elem_id="train-degrade")
                length = gr.Radio([(f"{k} ({v} steps)", k) for k, v in runs.LENGTHS.items()], value="quick",
                                  label="Length", elem_id="train-length")
                with gr.Accordion("Advanced", open=False):
                    lr = gr.Number(2e-4, label="Learning rate")
                    batch = gr.Number(8, label="Batch", precision=0)
                    patch = gr.Number(96, label="Patch size (px)", precision=0, elem_id="train-patch")
                    seed = gr.Number(0, label="Seed", precision=0)
                with gr.Row():
                    go = gr.Button("Start training", variant="primary", elem_id="train-start", interactive=not ZERO_GPU)
                    stop = gr.Button("Stop", elem_id="train-stop")
                    resume = gr.Button("Resume", elem_id="train-resume")
            with gr.Column():
                status = gr.Textbox(label="Status", interactive=False, elem_id="train-status")
                figures = gr.Textbox(label="Validation PSNR on your held-out photos", lines=3, interactive=False,
                                     elem_id="train-figures")
                loss_plot = gr.LinePlot(x="step", y="value", title="Training loss", elem_id="loss-plot")
                psnr_plot = gr.LinePlot(x="step", y="value", title="Validation PSNR (dB)", elem_id="psnr-plot")
                preview = gr.ImageSlider(label="Validation image: bicubic (left) / your model (right)", type="filepath",
                                         elem_id="train-preview")
                zip_file = gr.File(label="Your model (zip: model.safetensors, config.json, README.md)", elem_id="train-zip")
                with gr.Accordion("Publish to the Hugging Face Hub", open=False):
                    repo = gr.Textbox(label="Repo id (you/your-model)", elem_id="pub-repo")
                    private = gr.Checkbox(label="Private", value=True)
                    token = gr.Textbox(label="Token with write access (used for this push only, never stored)", type="password")
                    if ON_SPACE:
                        gr.LoginButton("Or sign in with Hugging Face")
                    publish = gr.Button("Publish", elem_id="pub-go")
                    result = gr.Textbox(label="Result", interactive=False, elem_id="pub-result")

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
