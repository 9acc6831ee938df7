"""The Batch tab: a whole supplier delivery in, a zip with the same folders and a report out.

The batch runs as a background job (``srdemo.jobs``), so reloading the page does not stop it.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from .. import images, models, workspace
from ..batch import REPORT_FIELDS, parse_preset, read_report, run_batch
from ..jobs import JOBS
from ..metadata import MetadataPolicy
from ..presets import PRESETS
from ..request import UpscaleRequest
from ..settings import get_settings
from ..wording import text
from .common import caller_of, model_choices, owner_of, path_of, plain_errors, served


def last_finished(owner: str) -> tuple[Path, list[dict]] | None:
    """The owner's newest finished batch on disk: jobs live in memory, results outlive a restart."""
    reports = sorted(workspace.batches_dir(owner).glob("*/output/report.csv"), key=lambda p: p.stat().st_mtime)
    for report in reversed(reports):
        zip_path = report.with_name("results.zip")
        if zip_path.exists():
            return zip_path, read_report(report)
    return None


def _counts(rows: list[dict]) -> dict[str, int]:
    """How many files of a finished batch were done and how many failed, for its status line (cancelled ones did not fail)."""
    done = sum(r.get("status") == "ok" for r in rows)
    failed = sum(r.get("status") == "failed" for r in rows)
    return {"done": done, "failed": failed}


@plain_errors
def on_batch_start(files, preset_id, size, square, model_id, scale, fmt, quality, keep_meta, mark_ai, key,
                   request: gr.Request):
    caller = caller_of(key, request)
    owner = caller.owner
    paths = [p for p in (path_of(f) for f in (files or [])) if p]
    if not paths:
        raise gr.Error(text("ui_batch_upload_first"))
    job_request = UpscaleRequest(
        model=model_id, scale=float(scale),
        preset=parse_preset(None if preset_id in ("none", "custom") else preset_id,
                            size if preset_id == "custom" else None, bool(square)),
        format=None if fmt == "preset default" else fmt, quality=int(quality),
        metadata=MetadataPolicy(keep_private=bool(keep_meta), provenance=bool(mark_ai)), caller=caller,
    )
    job_request.output_format  # noqa: B018 - a bad format or model is refused now, not per file
    models.resolve(model_id, caller)
    job_dir = workspace.new_batch_dir(owner)
    copies = workspace.copy_uploads(owner, [Path(p) for p in paths], job_dir / "uploads")  # Gradio's cache is not ours to keep

    def work(job):
        def step(i, name):
            job.done, job.message = i, name

        return run_batch(copies, job_dir / "output", job_request, progress=step, should_stop=job.should_stop)

    JOBS.submit(owner, "batch", work, limit=get_settings().max_batches, max_waiting=get_settings().max_waiting)
    return on_batch_status(key, request)


@plain_errors
def on_batch_status(key, request: gr.Request):
    """The owner's latest batch: a status line, the report so far, and the zip when finished."""
    owner = owner_of(key, request)
    job = JOBS.latest(owner, "batch")
    if job is None:
        earlier = last_finished(owner)
        if earlier is None:
            return text("ui_batch_none"), [], None
        zip_path, rows = earlier
        return text("ui_batch_finished_earlier", **_counts(rows)), [[r.get(f, "") for f in REPORT_FIELDS] for r in rows], served(zip_path)
    if job.queued:
        return text("ui_batch_queued", ahead=JOBS.ahead(job)), [], None
    if job.running:
        return text("ui_batch_running", done=job.done, last=job.message), [], None
    if job.status == "failed":
        return text("ui_common_failed", error=job.error), [], None
    result = job.result
    rows = result.rows if result else []
    line = text("ui_batch_cancelled", **_counts(rows)) if job.status == "cancelled" else text("ui_batch_finished", **_counts(rows))
    return line, [[r.get(f, "") for f in REPORT_FIELDS] for r in rows], served(result.zip_path) if result else None


@plain_errors
def on_batch_cancel(key, request: gr.Request):
    cancelled = JOBS.cancel(owner_of(key, request), "batch")
    return text("ui_batch_cancelling") if cancelled else text("ui_batch_not_running")


def build(demo: gr.Blocks, browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    with gr.Tab(text("ui_batch_tab")):
        gr.Markdown(text("ui_batch_intro"))
        with gr.Row():
            with gr.Column():
                files = gr.File(label=text("ui_batch_files"), file_count="multiple", elem_id="batch-files")
                preset = gr.Dropdown(
                    [(text("ui_batch_no_preset"), "none")] + [(p.label, p.id) for p in PRESETS.values()]
                    + [(text("ui_batch_custom"), "custom")],
                    value="none", label=text("ui_batch_preset"), elem_id="batch-preset",
                )
                with gr.Row():
                    custom_size = gr.Textbox(label=text("ui_batch_custom_size"), value="1600")
                    custom_square = gr.Checkbox(label=text("ui_batch_square"), value=False)
                model = gr.Dropdown(model_choices(), value=models.default_model().id, label=text("ui_common_model"), elem_id="batch-model")
                scale = gr.Slider(1, 8, value=4, step=0.5, label=text("ui_batch_scale"))
                with gr.Row():
                    fmt = gr.Radio([(text("ui_batch_preset_default"), "preset default"), *((f, f) for f in images.FORMATS)],
                                   value="preset default", label=text("ui_batch_format"))
                    quality = gr.Slider(50, 100, value=90, step=1, label=text("ui_common_quality"))
                keep_meta = gr.Checkbox(label=text("ui_batch_keep_metadata"), value=False)
                mark_ai = gr.Checkbox(label=text("ui_batch_mark_ai"), value=False)
                with gr.Row():
                    run = gr.Button(text("ui_batch_run"), variant="primary", elem_id="batch-run")
                    stop = gr.Button(text("ui_batch_cancel"), elem_id="batch-cancel")
            with gr.Column():
                status = gr.Textbox(label=text("ui_common_status"), interactive=False, elem_id="batch-status")
                zip_file = gr.File(label=text("ui_batch_zip"), elem_id="batch-zip")
                report = gr.Dataframe(headers=REPORT_FIELDS, label=text("ui_batch_report"), elem_id="batch-report", wrap=True)
        gr.Markdown(text("ui_batch_presets", presets="; ".join(
            text("ui_batch_preset_source", label=p.label, source=p.source, checked=p.checked) for p in PRESETS.values()
        )))

    outputs = [status, report, zip_file]
    run.click(
        on_batch_start,
        [files, preset, custom_size, custom_square, model, scale, fmt, quality, keep_meta, mark_ai, browser_key],
        outputs, api_name="batch_start",
    )
    stop.click(on_batch_cancel, [browser_key], [status], api_name="batch_cancel")
    gr.Timer(1.0).tick(on_batch_status, [browser_key], outputs, api_name="batch_status", show_progress="hidden")
    demo.load(on_batch_status, [browser_key], outputs, api_name="batch_status_on_load")
