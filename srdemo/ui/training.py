"""The Train tab: fine-tune on your own catalogue, watch it learn, download or publish the model.

Training runs as a background job (``srdemo.runs``); this tab starts, polls, stops and resumes it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gradio as gr

from .. import models, names, runs, workspace
from ..caller import ANYONE, Caller
from ..errors import SrdemoError
from ..jobs import JOBS
from ..training import History
from ..wording import model_label, text
from .common import ON_SPACE, WORDS, ZERO_GPU, caller_of, not_done, owner_of, path_of, plain_errors, served

# What the model will be given (the wording key of its words in the tab) and the degradation name each trains with.
INPUT_KINDS = (
    ("ui_train_input_clean", "bicubic"),
    ("ui_train_input_supplier", "product"),
    ("ui_train_input_catalogue", "compressed"),
    ("ui_train_input_mix", "bicubic+product+compressed"),
)
TRAIN_SCALES = (2, 4)  # what the tab offers


def _caller_for_training(key, request) -> Caller:
    if ON_SPACE and not getattr(request, "username", None):
        raise SrdemoError(text("ui_train_sign_in_first"))
    return caller_of(key, request)


def _base_choices() -> list[tuple[str, str]]:
    """The starting models: the neural models of the catalogue, or none (a new SPAN)."""
    return [(model_label(s.id, s.label), s.id) for s in models.catalogue(ANYONE) if s.is_neural] + [(text("ui_train_scratch"), "scratch")]


@plain_errors
def on_refresh_bases(request: gr.Request = None):
    """The starting models in the page's language."""
    return gr.update(choices=_base_choices())


@plain_errors
def on_base(base_id: str, request: gr.Request = None):
    """The scale follows the starting model's own: tuning the x2 for x4 would start from a re-made output layer."""
    try:
        native = models.resolve(base_id, ANYONE).native_scale
    except SrdemoError:
        return gr.skip()  # "scratch": any scale
    return native if native in TRAIN_SCALES else gr.skip()


def _uploads(files) -> list[Path]:
    return [Path(p) for p in (path_of(f) for f in (files or [])) if p]


@plain_errors
def on_default_name(files, use_examples, scale, request: gr.Request = None):
    """The name field's grey suggestion: what the run is called if the field is left empty."""
    return gr.update(placeholder=runs.default_name(_uploads(files), bool(use_examples), int(scale or 4)))


@plain_errors
def on_train_start(files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, name, key,
                   request: gr.Request):
    """Start a run; the first output is the line beside the buttons that confirms it or says why it did not start."""
    try:
        if ZERO_GPU:
            raise SrdemoError(text("ui_train_zero_gpu"))
        caller = _caller_for_training(key, request)
        job = runs.start(caller, _uploads(files), bool(use_examples), runs.RunSettings(
            base=None if base == "scratch" else base, scale=int(scale), degrade=degrade, length=length,
            lr=float(lr), batch=int(batch), patch=int(patch), seed=int(seed), name=name or "",
        ))
    except SrdemoError as exc:
        return not_done(exc, 7)
    return _started(job, key, request)


def _started(job, key, request):
    return text("ui_train_started", name=runs.run_name(Path(job.info["run"]))), *on_train_status(key, request)[:-1]


QUALITY_BAND_DB = 0.5  # the quality chart's least span: a barely moving run reads 26.2, 26.3 ..., not hundredths


def y_axis(values: list[float], least: float = 0.0) -> tuple[float, float, int]:
    """A curve's y range (at least ``least`` wide, padded a tenth of its spread each way, rounded out to its tick
    step) and the decimals that step needs: the line stays off the frame, and every label has the same decimals."""
    low, high = min(values), max(values)
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    spread = high - low or max(abs(high) * 0.01, 1e-3)  # one point, or a flat line: a band around it
    step = 10 ** math.floor(math.log10(spread / 4))  # about five ticks
    decimals = max(0, -math.floor(math.log10(step)))
    padded_low = math.floor((low - spread / 10) / step) * step
    high = math.ceil((high + spread / 10) / step) * step
    low = max(padded_low, 0.0) if low >= 0 else padded_low  # a loss never goes below zero: neither does its axis
    return round(low, decimals), round(high, decimals), decimals


def _curve(points: list[tuple], least: float = 0.0, lines: bool = False):
    """A plot's new points with the range and label format that fit them; with ``lines``, a third item in each
    point names its line, and the legend's title is worded."""
    import pandas as pd

    frame = pd.DataFrame(points, columns=["step", "value", "series"] if lines else ["step", "value"])
    named = {"color_title": text("ui_train_series_title")} if lines else {}
    if not points:
        return gr.update(value=frame, **named)
    low, high, decimals = y_axis([p[1] for p in points], least)
    return gr.update(value=frame, y_lim=[low, high], y_axis_format=f".{decimals}f", **named)


def quality_points(history: History | None) -> list[tuple[int, float, str]]:
    """The quality chart: the model on the held-out photos from step 0 (the starting model, if any), and a plain
    enlargement's level across the same steps, so the first check already draws two lines."""
    if history is None or not history.val:
        return []
    mine = text("ui_train_series_model")
    points = [(0, history.base[0], mine)] if history.base else []
    points += [(step, round(psnr, 2), mine) for step, psnr, _ in history.val]
    if history.bicubic:
        plain = text("ui_train_series_bicubic")
        points += [(0, round(history.bicubic[0], 2), plain), (history.val[-1][0], round(history.bicubic[0], 2), plain)]
    return points


def _figures(history: History | None) -> str:
    """The quality on the held-out photos in words, the model's own first, each number to a tenth of a dB."""
    if history is None:
        return ""
    lines = []
    if history.val:
        now, best = history.val[-1][1], history.best_psnr()
        gain = {"gain": now - history.bicubic[0]} if history.bicubic else {}
        lines.append(text("ui_train_figure_now_vs_plain" if gain else "ui_train_figure_now", psnr=now, best=best, **gain))
    if history.base:
        lines.append(text("ui_train_figure_base", psnr=history.base[0]))
    if history.bicubic:
        lines.append(text("ui_train_figure_bicubic", psnr=history.bicubic[0]))
    return "\n".join(lines)


def _ended_line(job, run: Path, history: History | None):
    """The line under the buttons once a run has ended: what was kept, and where the model is now."""
    if job is None or job.running:
        return gr.skip()
    if job.status == "failed":
        return text("ui_common_failed", error=job.error)
    if not (run / "model" / "model.safetensors").exists():
        return text("ui_train_kept_nothing")
    step, psnr, _ = max(history.val, key=lambda v: v[1]) if history and history.val else (None, None, None)
    name = runs.run_name(run)
    kept = text("ui_train_kept", name=name, step=step, psnr=psnr) if step is not None else text("ui_train_kept_unscored", name=name)
    return kept + " " + text("ui_train_kept_stopped" if job.status == "cancelled" else "ui_train_kept_finished")


def _state_line(job, model_dir: Path) -> str:
    if job is None:
        return text("ui_train_stopped_earlier") if not (model_dir / "model.safetensors").exists() else text("ui_train_done")
    if job.running:
        progress = job.info.get("progress")
        return text("ui_train_running", progress=runs.progress_line(progress)) if progress else text("ui_train_preparing")
    if job.status == "failed":
        return text("ui_common_failed", error=job.error)
    if job.status == "cancelled":
        return text("ui_train_time_limit" if job.info.get("time_limit") else "ui_train_stopped")
    return text("ui_train_finished")


@plain_errors
def on_train_status(key, request: gr.Request):
    """Status line, loss and quality curves, quality in words, preview pair, zip, the repo name suggested for
    publishing, and the line under the buttons once the run has ended."""
    owner = owner_of(key, request)
    job = JOBS.latest(owner, "training")
    run = job.info.get("run") if job else runs.latest_run(owner)
    if run is None:
        return text("ui_train_none"), _curve([]), _curve([], lines=True), "", None, None, gr.skip(), gr.skip()
    run = Path(run)
    model_dir = run / "model"
    history = job.result if job is not None and isinstance(job.result, History) else None
    if history is None and (model_dir / "history.json").exists():
        history = History.from_json(json.loads((model_dir / "history.json").read_text()))
    loss = _curve(history.loss if history else [])
    val = _curve(quality_points(history), least=QUALITY_BAND_DB, lines=True)
    preview = None
    if (model_dir / "preview_model.png").exists():
        preview = (served(model_dir / "preview_bicubic.png", owner), served(model_dir / "preview_model.png", owner))
    zip_path = None
    if (job is None or not job.running) and (model_dir / "model.safetensors").exists():
        zip_path = served(runs.model_zip(run), owner)
    state = _state_line(job, model_dir)
    if not workspace.storage_is_persistent():
        state = text("ui_train_storage_note", status=state)
    return (state, loss, val, _figures(history), preview, zip_path, gr.update(placeholder=runs.repo_suggestion(run)),
            _ended_line(job, run, history))


@plain_errors
def on_train_stop(key, request: gr.Request):
    return text("ui_train_stopping" if JOBS.cancel(owner_of(key, request), "training") else "ui_train_not_running")


@plain_errors
def on_train_resume(key, request: gr.Request):
    try:
        job = runs.resume(_caller_for_training(key, request).job_owner())
    except SrdemoError as exc:
        return not_done(exc, 7)
    return _started(job, key, request)


@plain_errors
def on_publish(repo_id, private, token, key, request: gr.Request, oauth_token: gr.OAuthToken | None = None):
    """Publish the owner's latest model with the typed token, else the visitor's own when signed in on a Space."""
    caller = caller_of(key, request, token, oauth_token)
    try:
        run = runs.latest_run(caller.owner)
        if run is None:
            raise SrdemoError(text("err_no_trained_model"))
        url = runs.publish(run, repo_id, caller, private=bool(private))
    except SrdemoError as exc:  # said in the result box, where the link would have been
        return not_done(exc, 0)
    return text("ui_train_published", url=url, repo_id=getattr(url, "repo_id", repo_id))


def build(demo: gr.Blocks, browser_key: gr.BrowserState, language: gr.Radio) -> None:
    """The tab's components and events (called inside ``gr.Blocks``); ``language`` is the page's switch."""
    w = WORDS
    with gr.Tab(w("ui_train_tab"), id="train"):
        gr.Markdown(w("ui_train_intro"))
        if not workspace.storage_is_persistent():
            gr.Markdown(w("ui_train_intro_storage_temporary"))
        if ZERO_GPU:
            gr.Markdown(w("ui_train_zero_gpu"))
        with gr.Row():
            with gr.Column():
                files = gr.File(label=w("ui_train_files"), file_count="multiple", elem_id="train-files")
                use_examples = gr.Checkbox(label=w("ui_train_examples"), value=False, elem_id="train-examples")
                # the fast built-in x4 on every device: a run steps it thousands of times; its model stays quick on a CPU
                x4 = models.default_model(4, tier="")
                base = gr.Dropdown(_base_choices(), value=x4.id if x4.is_neural else "scratch", label=w("ui_train_base"),
                                   elem_id="train-base")
                scale = gr.Radio(list(TRAIN_SCALES), value=4, label=w("ui_common_scale"), elem_id="train-scale")
                degrade = gr.Radio([(w(key), kind) for key, kind in INPUT_KINDS], value="bicubic", label=w("ui_train_inputs"),
                                   elem_id="train-degrade")
                lengths = [(w(f"ui_train_length_{k}", steps=v), k) for k, v in runs.LENGTHS.items()]
                length = gr.Radio(lengths, value="quick", label=w("ui_train_length"), elem_id="train-length")
                with gr.Accordion(w("ui_train_advanced"), open=False):
                    lr = gr.Number(2e-4, label=w("ui_train_lr"))
                    batch = gr.Number(8, label=w("ui_train_batch"), precision=0)
                    patch = gr.Number(96, label=w("ui_train_patch"), precision=0, elem_id="train-patch")
                    seed = gr.Number(0, label=w("ui_train_seed"), precision=0)
                name = gr.Textbox(label=w("ui_train_name"), info=w("ui_train_name_info"), max_length=names.NAME_LIMIT,
                                  placeholder=runs.default_name([], False, 4), elem_id="train-name")
                with gr.Row():
                    go = gr.Button(w("ui_train_start"), variant="primary", elem_id="train-start", interactive=not ZERO_GPU)
                    stop = gr.Button(w("ui_train_stop"), elem_id="train-stop")
                    resume = gr.Button(w("ui_train_resume"), elem_id="train-resume")
                message = gr.Markdown(elem_id="train-message")
            with gr.Column():
                status = gr.Textbox(label=w("ui_common_status"), interactive=False, elem_id="train-status")
                figures = gr.Textbox(label=w("ui_train_figures"), lines=3, interactive=False, elem_id="train-figures")
                psnr_plot = gr.LinePlot(x="step", y="value", color="series", title=w("ui_train_psnr_plot"),
                                        x_title=w("ui_train_step_axis"), y_title=w("ui_train_psnr_axis"),
                                        elem_id="psnr-plot")  # its legend's title comes with the points, worded
                loss_plot = gr.LinePlot(x="step", y="value", title=w("ui_train_loss_plot"), x_title=w("ui_train_step_axis"),
                                        y_title=w("ui_train_loss_axis"), elem_id="loss-plot")
                preview = gr.ImageSlider(label=w("ui_train_preview"), type="filepath", elem_id="train-preview")
                zip_file = gr.File(label=w("ui_train_zip"), elem_id="train-zip")
                with gr.Accordion(w("ui_train_publish_section"), open=False):
                    repo = gr.Textbox(label=w("ui_train_repo"), info=w("ui_train_repo_info"), elem_id="pub-repo")
                    private = gr.Checkbox(label=w("ui_train_private"), value=True)
                    token = gr.Textbox(label=w("ui_train_token"), type="password")
                    if ON_SPACE:
                        gr.LoginButton(w("ui_common_sign_in"))
                    publish = gr.Button(w("ui_train_publish"), elem_id="pub-go")
                    result = gr.Textbox(label=w("ui_train_result"), interactive=False, elem_id="pub-result")
        poll = gr.Timer(2.0)  # inside the tab: a Tabs child that is not a Tab shifts the tabs' order in the page

    outputs = [status, loss_plot, psnr_plot, figures, preview, zip_file, repo]
    go.click(on_train_start, [files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, name, browser_key],
             [message, *outputs], api_name="train_start", api_visibility="undocumented")
    gr.on([demo.load, files.change, use_examples.change, scale.change], on_default_name, [files, use_examples, scale],
          [name], api_name="train_default_name", api_visibility="undocumented", show_progress="hidden")
    base.change(on_base, [base], [scale], api_name="train_base_scale", api_visibility="undocumented", show_progress="hidden")
    language.change(on_refresh_bases, None, [base], api_name=False, show_progress="hidden")
    stop.click(on_train_stop, [browser_key], [status], api_name="train_stop", api_visibility="undocumented")
    resume.click(on_train_resume, [browser_key], [message, *outputs], api_name="train_resume", api_visibility="undocumented")
    poll.tick(on_train_status, [browser_key], [*outputs, message], api_name="train_status", api_visibility="undocumented",
              show_progress="hidden")
    demo.load(on_train_status, [browser_key], [*outputs, message], api_name="train_status_on_load", api_visibility="undocumented")
    publish.click(on_publish, [repo, private, token, browser_key], [result], api_name="publish", api_visibility="undocumented")
