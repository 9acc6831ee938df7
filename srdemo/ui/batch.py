"""The Batch tab: a whole supplier delivery in, a zip with the same folders and a report out.

The batch runs as a background job (``srdemo.jobs``) that keeps its form, so a reloaded page finds both. Jobs live
in memory: after a restart the tab shows the batch ``srdemo.batch`` finds on disk, finished or interrupted (to resume).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import gradio as gr

from .. import images, workspace
from ..auto import AUTO
from ..batch import Tally, at_a_glance, finished_zip, interrupted, on_disk, resume, run_batch, status_line
from ..caller import Caller
from ..jobs import JOBS
from ..metadata import MetadataPolicy
from ..presets import PRESETS, parse_preset
from ..request import UpscaleRequest, named_model
from ..settings import get_settings
from ..wording import text, translated
from .common import WORDS, caller_of, format_choices, model_choices, on_refresh_models, owner_of, path_of, plain_errors, served


@dataclass(frozen=True)
class BatchForm:
    """The tab's settings as the form holds them: its defaults, and what a job keeps to show them again."""

    preset: str = "none"  # "none" (just the scale), "custom" (the size below) or a marketplace preset id
    size: str = "1600"  # custom only: a longest side or WxH
    square: bool = False  # custom only: pad to a square
    model: str = AUTO
    scale: float = 4  # no preset only
    format: str = "preset default"
    quality: int = 90
    keep_metadata: bool = False
    mark_ai: bool = False

    def request(self, caller: Caller) -> UpscaleRequest:
        custom = self.preset == "custom"
        return UpscaleRequest(
            model=self.model, scale=float(self.scale),
            preset=parse_preset(None if self.preset in ("none", "custom") else self.preset,
                                self.size if custom else None, bool(self.square)),
            format=None if self.format == "preset default" else self.format, quality=int(self.quality),
            metadata=MetadataPolicy(keep_private=bool(self.keep_metadata), provenance=bool(self.mark_ai)), caller=caller,
        )


def _form_of(settings: dict) -> BatchForm | None:
    """The form a batch on disk was started with (kept by ``run_batch``), or None if it kept none."""
    known = {f.name for f in fields(BatchForm)}
    return BatchForm(**{k: v for k, v in settings.items() if k in known}) if settings else None


def _submit(owner: str, form: BatchForm, out_dir: Path, run, *args, **kwargs) -> None:
    """Start ``run(*args, **kwargs)`` (``run_batch`` or ``resume``) as the owner's batch job, with its form to show."""
    tally = Tally()

    def work(job):
        def step(i, name):
            job.done = i

        return run(*args, progress=step, should_stop=job.should_stop, tally=tally, **kwargs)

    limits = get_settings()
    JOBS.submit(owner, "batch", work, limit=limits.max_batches, max_waiting=limits.max_waiting,
                info={"form": form, "tally": tally, "out_dir": out_dir})


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def _view(owner: str, out_dir: Path, rows: list[dict], zip_path: Path | None = None) -> tuple[list, str, str | None, list]:
    """A batch as the tab shows it (``srdemo.batch.at_a_glance``): the gallery's (after, caption) items, its problems
    in Markdown, the zip, and each item's (before, after) for the slider; all served from the owner's scratch."""
    into = workspace.scratch_dir(owner, "batch-" + hashlib.sha256(str(out_dir).encode()).hexdigest()[:16])
    shown, lines = at_a_glance(out_dir, rows, into)
    escaped = [_MARKDOWN.sub(r"\\\1", line) for line in lines]  # shown as itself: a file may be called '*new* <b>.png'
    problems = f"**{text('ui_batch_problems')}**\n\n" + "\n".join(f"- {x}" for x in escaped) if lines else ""
    zip_copy = served(zip_path, owner) if zip_path else None
    return [(str(s.after), s.caption) for s in shown], problems, zip_copy, [(str(s.before), str(s.after)) for s in shown]


def _nothing(status: str):
    return status, [], "", None, []


@plain_errors
def on_preset_sources(request: gr.Request = None) -> str:
    """Where each preset's rules come from, in the page's language (the marketplaces' own pages, and when checked)."""
    return text("ui_batch_presets", presets="; ".join(
        text("ui_batch_preset_source", label=translated("preset_label", p.id, p.label),
             source=translated("preset_source", p.id, p.source), checked=p.checked)
        for p in PRESETS.values()
    ))


def on_preset(preset_id: str):
    """Grey out what the choice overrides: size and square serve only 'Custom', the scale only 'no preset'."""
    custom = preset_id == "custom"
    return gr.update(interactive=custom), gr.update(interactive=custom), gr.update(interactive=preset_id == "none")


@plain_errors
def on_batch_start(files, preset_id, size, square, model_id, scale, fmt, quality, keep_meta, mark_ai, key,
                   request: gr.Request):
    caller = caller_of(key, request)
    owner = caller.job_owner()
    paths = [p for p in (path_of(f) for f in (files or [])) if p]
    if not paths:
        raise gr.Error(text("ui_batch_upload_first"))
    # "" (as the agents' tool sends) means the form's default, so a reloaded page can show it
    form = BatchForm(preset_id or "none", size, bool(square), model_id or AUTO,
                     float(scale), fmt or "preset default", int(quality), bool(keep_meta), bool(mark_ai))
    job_request = form.request(caller)
    job_request.output_format  # noqa: B018 - a bad format or model is refused now, not per file
    named_model(job_request)
    job_dir = workspace.new_batch_dir(owner)
    copies = workspace.copy_uploads(owner, [Path(p) for p in paths], job_dir / "uploads")  # Gradio's cache is not ours to keep
    _submit(owner, form, job_dir / "output", run_batch, copies, job_dir / "output", job_request, settings=asdict(form))
    return on_batch_status(key, request)


@plain_errors
def on_batch_resume(key, request: gr.Request):
    """Go on with the owner's interrupted batch, with the settings it was started with; its finished files stay."""
    caller = caller_of(key, request)
    found = interrupted(caller.job_owner())
    form = _form_of(found.settings) if found is not None else None
    if form is None:
        return _nothing(text("ui_batch_nothing_to_resume"))
    _submit(caller.job_owner(), form, found.out_dir, resume, found, form.request(caller))
    return on_batch_status(key, request)


@plain_errors
def on_batch_status(key, request: gr.Request):
    """The owner's latest batch: a status line, a picture of each finished file, its problems in full
    sentences, the zip when finished; and (for the slider, not in the API) each picture's before and after."""
    owner = owner_of(key, request)
    job = JOBS.latest(owner, "batch")
    if job is None:  # none since this process started: what the owner's last batch left on disk
        found = on_disk(owner)
        if found is None:
            return _nothing(text("ui_batch_none"))
        return found.line(), *_view(owner, found.out_dir, found.rows, finished_zip(found))
    if job.queued:
        return _nothing(text("ui_batch_queued", ahead=JOBS.ahead(job)))
    if job.running or job.status == "failed":
        tally: Tally = job.info["tally"]
        line = status_line(tally.summary(), "running") if job.running else text("ui_common_failed", error=job.error)
        return line, *_view(owner, job.info["out_dir"], tally.rows)
    if job.result is None:  # cancelled while waiting in line
        return _nothing(text("ui_batch_cancelled_waiting"))
    zip_path = job.result.zip_path
    return status_line(job.result.summary(), job.status), *_view(owner, zip_path.parent, job.result.rows, zip_path)


def on_pick(pairs: list, evt: gr.SelectData):
    """A click on a picture: its before and after in the slider below the gallery."""
    if not isinstance(evt.index, int) or not 0 <= evt.index < len(pairs or []):
        return gr.update()
    return gr.update(value=tuple(pairs[evt.index]), visible=True)


@plain_errors
def on_batch_form(key, request: gr.Request):
    """On page load: the form shows the settings of this owner's latest batch, running, finished or
    interrupted (the browser keeps only the owner key, so a reload would otherwise show the defaults)."""
    owner = owner_of(key, request)
    job = JOBS.latest(owner, "batch")
    found = on_disk(owner) if job is None else None  # after a restart: the settings of the batch found on disk
    form = job.info.get("form") if job is not None else _form_of(found.settings) if found is not None else None
    if form is None:
        return [gr.update() for _ in fields(BatchForm)]
    size, square, scale = on_preset(form.preset)  # each field's value, and what the preset greys out
    more = {"size": size, "square": square, "scale": scale, "model": {"choices": model_choices(caller_of(key, request))}}
    return [{**more.get(f.name, {}), **gr.update(value=getattr(form, f.name))} for f in fields(BatchForm)]


@plain_errors
def on_batch_cancel(key, request: gr.Request):
    return text("ui_batch_cancelling" if JOBS.cancel(owner_of(key, request), "batch") else "ui_batch_not_running")


def build(demo: gr.Blocks, browser_key: gr.BrowserState, language: gr.Radio) -> None:
    """The tab's components and events (called inside ``gr.Blocks``); ``language`` is the page's switch."""
    w, start = WORDS, BatchForm()
    size_on, square_on, scale_on = (u["interactive"] for u in on_preset(start.preset))
    with gr.Tab(w("ui_batch_tab"), id="batch"):
        gr.Markdown(w("ui_batch_intro"))
        with gr.Row():
            with gr.Column():
                files = gr.File(label=w("ui_batch_files"), file_count="multiple", elem_id="batch-files")
                preset = gr.Dropdown(
                    [(w("ui_batch_no_preset"), "none")] + [(w.fact("preset_label", p.id, p.label), p.id) for p in PRESETS.values()]
                    + [(w("ui_batch_custom"), "custom")],
                    value=start.preset, label=w("ui_batch_preset"), elem_id="batch-preset",
                )
                with gr.Row():
                    custom_size = gr.Textbox(label=w("ui_batch_custom_size"), value=start.size, interactive=size_on,
                                             elem_id="batch-size")
                    custom_square = gr.Checkbox(label=w("ui_batch_square"), value=start.square, interactive=square_on,
                                                elem_id="batch-square")
                model = gr.Dropdown(model_choices(), value=start.model, label=w("ui_common_model"), elem_id="batch-model")
                scale = gr.Slider(1, 8, value=start.scale, step=0.5, label=w("ui_batch_scale"), interactive=scale_on,
                                  elem_id="batch-scale")
                with gr.Row():
                    fmt = gr.Radio([(w("ui_batch_preset_default"), "preset default"), *format_choices()],
                                   value=start.format, label=w("ui_batch_format"))
                    quality = gr.Slider(50, 100, value=start.quality, step=1, label=w("ui_common_quality", formats=images.QUALITY_FORMATS))
                keep_meta = gr.Checkbox(label=w("ui_batch_keep_metadata"), info=w("ui_batch_keep_metadata_info"),
                                        value=start.keep_metadata)
                mark_ai = gr.Checkbox(label=w("ui_batch_mark_ai"), info=w("ui_batch_mark_ai_info"), value=start.mark_ai)
                with gr.Row():
                    run = gr.Button(w("ui_batch_run"), variant="primary", elem_id="batch-run")
                    stop = gr.Button(w("ui_batch_cancel"), elem_id="batch-cancel")
                    again = gr.Button(w("ui_batch_resume"), elem_id="batch-resume")
            with gr.Column():
                status = gr.Textbox(label=w("ui_common_status"), interactive=False, elem_id="batch-status")
                problems = gr.Markdown(elem_id="batch-problems")
                zip_file = gr.File(label=w("ui_batch_zip"), elem_id="batch-zip")
                gallery = gr.Gallery(label=w("ui_batch_pictures"), columns=3, height="auto", object_fit="contain",
                                     allow_preview=False, interactive=False, elem_id="batch-gallery")
                compare = gr.ImageSlider(label=w("ui_batch_compare"), type="filepath", visible=False, interactive=False,
                                         max_height=420, elem_id="batch-compare")
                pairs = gr.State([])  # each picture's (before, after), for the slider
        sources = gr.Markdown(on_preset_sources(), elem_id="batch-preset-sources")
        poll = gr.Timer(1.0)  # inside the tab: a Tabs child that is not a Tab shifts the tabs' order in the page

    form = [preset, custom_size, custom_square, model, scale, fmt, quality, keep_meta, mark_ai]
    outputs = [status, gallery, problems, zip_file, pairs]
    run.click(on_batch_start, [files, *form, browser_key], outputs, api_name="batch_start", api_visibility="undocumented")
    preset.change(on_preset, [preset], [custom_size, custom_square, scale], api_name="batch_preset", api_visibility="undocumented",
                  show_progress="hidden")
    stop.click(on_batch_cancel, [browser_key], [status], api_name="batch_stop", api_visibility="undocumented")
    again.click(on_batch_resume, [browser_key], outputs, api_name="batch_resume", api_visibility="undocumented")
    gallery.select(on_pick, [pairs], [compare], api_name=False, show_progress="hidden")
    poll.tick(on_batch_status, [browser_key], outputs, api_name="batch_status", api_visibility="undocumented", show_progress="hidden")
    demo.load(on_batch_status, [browser_key], outputs, api_name="batch_status_on_load", api_visibility="undocumented")
    demo.load(on_batch_form, [browser_key], form, api_name="batch_form_on_load", api_visibility="undocumented")
    language.change(on_refresh_models, [browser_key], [model], api_name=False, show_progress="hidden")
    language.change(on_preset_sources, None, [sources], api_name=False, show_progress="hidden")
