"""The Batch tab: a whole supplier delivery in, a zip with the same folders and a report out.

The batch runs as a background job (``srdemo.jobs``), so reloading the page does not stop it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from .. import images, models, workspace
from ..batch import REPORT_FIELDS, parse_preset, read_report, run_batch
from ..errors import SrdemoError
from ..jobs import JOBS
from ..metadata import MetadataPolicy
from ..presets import PRESETS
from ..request import UpscaleRequest
from .common import caller_of, model_choices, owner_of, path_of, served


def last_finished(owner: str) -> tuple[Path, list[dict]] | None:
    """The owner's newest finished batch on disk: jobs live in memory, results outlive a restart."""
    reports = sorted(workspace.batches_dir(owner).glob("*/output/report.csv"), key=lambda p: p.stat().st_mtime)
    for report in reversed(reports):
        zip_path = report.with_name("results.zip")
        if zip_path.exists():
            return zip_path, read_report(report)
    return None


def _finished_text(state: str, rows: list[dict]) -> str:
    done = sum(r.get("status") == "ok" for r in rows)
    failed = sum(r.get("status") in ("failed", "cancelled") for r in rows)
    return f"{state}: {done} image(s) done, {failed} failed. Download the zip below."


def on_batch_start(files, preset_id, size, square, model_id, scale, fmt, quality, keep_meta, mark_ai, key,
                   request: gr.Request):
    caller = caller_of(key, request)
    owner = caller.owner
    paths = [p for p in (path_of(f) for f in (files or [])) if p]
    if not paths:
        raise gr.Error("Please upload images or a zip first.")
    try:
        job_request = UpscaleRequest(
            model=model_id, scale=float(scale),
            preset=parse_preset(None if preset_id in ("none", "custom") else preset_id,
                                size if preset_id == "custom" else None, bool(square)),
            format=None if fmt == "preset default" else fmt, quality=int(quality),
            metadata=MetadataPolicy(keep_private=bool(keep_meta), provenance=bool(mark_ai)), caller=caller,
        )
        job_request.output_format  # noqa: B018 - a bad format or model is refused now, not per file
        models.resolve(model_id, caller)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    job_dir = workspace.new_batch_dir(owner)
    inputs = job_dir / "input"
    inputs.mkdir(parents=True)
    copies = []
    for p in paths:  # copy now: Gradio's upload cache is not ours to keep
        copies.append(inputs / Path(p).name)
        shutil.copy(p, copies[-1])

    def work(job):
        def step(i, name):
            job.done, job.message = i, name

        return run_batch(copies, job_dir / "output", job_request, progress=step, should_stop=job.should_stop)

    try:
        JOBS.submit(owner, "batch", work)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_batch_status(key, request)


def on_batch_status(key, request: gr.Request):
    """The owner's latest batch: a status line, the report so far, and the zip when finished."""
    owner = owner_of(key, request)
    job = JOBS.latest(owner, "batch")
    if job is None:
        earlier = last_finished(owner)
        if earlier is None:
            return "No batch yet.", [], None
        zip_path, rows = earlier
        return _finished_text("Finished earlier", rows), [[r.get(f, "") for f in REPORT_FIELDS] for r in rows], served(zip_path)
    if job.running:
        return f"Running: {job.done} file(s) done, last: {job.message}", [], None
    if job.status == "failed":
        return f"Failed: {job.error}", [], None
    result = job.result
    rows = result.rows if result else []
    text = _finished_text("Cancelled" if job.status == "cancelled" else "Finished", rows)
    return text, [[r.get(f, "") for f in REPORT_FIELDS] for r in rows], served(result.zip_path) if result else None


def on_batch_cancel(key, request: gr.Request):
    cancelled = JOBS.cancel(owner_of(key, request), "batch")
    return "Cancelling after the current file..." if cancelled else "No batch is running."


def build(demo: gr.Blocks, browser_key: gr.BrowserState) -> None:
    """The tab's components and events (called inside ``gr.Blocks``)."""
    with gr.Tab("Batch"):
        gr.Markdown(
            "Upscale a whole delivery: several images or one zip (sub-folders are kept). "
            "The result is a zip with the same folders and a `report.csv`. It keeps running if you close or reload the page."
        )
        with gr.Row():
            with gr.Column():
                files = gr.File(label="Images or a zip", file_count="multiple", elem_id="batch-files")
                preset = gr.Dropdown(
                    [("No preset: just the scale below", "none")] + [(p.label, p.id) for p in PRESETS.values()]
                    + [("Custom size", "custom")],
                    value="none", label="Marketplace preset", elem_id="batch-preset",
                )
                with gr.Row():
                    custom_size = gr.Textbox(label="Custom size: longest side (1600) or WxH (1200x900)", value="1600")
                    custom_square = gr.Checkbox(label="Pad to a square on white", value=False)
                model = gr.Dropdown(model_choices(), value=models.default_model().id, label="Model", elem_id="batch-model")
                scale = gr.Slider(1, 8, value=4, step=0.5, label="Scale (when no preset)")
                with gr.Row():
                    fmt = gr.Radio(["preset default", *images.FORMATS], value="preset default", label="Format")
                    quality = gr.Slider(50, 100, value=90, step=1, label="JPEG/WebP quality")
                keep_meta = gr.Checkbox(label="Keep private metadata (GPS, serial numbers, owner names, XMP/IPTC)", value=False)
                mark_ai = gr.Checkbox(label="Mark as AI-processed (IPTC DigitalSourceType, EXIF Software)", value=False)
                with gr.Row():
                    run = gr.Button("Run batch", variant="primary", elem_id="batch-run")
                    stop = gr.Button("Cancel batch", elem_id="batch-cancel")
            with gr.Column():
                status = gr.Textbox(label="Status", interactive=False, elem_id="batch-status")
                zip_file = gr.File(label="Results (zip)", elem_id="batch-zip")
                report = gr.Dataframe(headers=REPORT_FIELDS, label="Report", elem_id="batch-report", wrap=True)
        gr.Markdown("Presets: " + "; ".join(f"**{p.label}**, source: {p.source} (checked {p.checked})" for p in PRESETS.values()))

    outputs = [status, report, zip_file]
    run.click(
        on_batch_start,
        [files, preset, custom_size, custom_square, model, scale, fmt, quality, keep_meta, mark_ai, browser_key],
        outputs, api_name="batch_start",
    )
    stop.click(on_batch_cancel, [browser_key], [status], api_name="batch_cancel")
    gr.Timer(1.0).tick(on_batch_status, [browser_key], outputs, api_name="batch_status", show_progress="hidden")
    demo.load(on_batch_status, [browser_key], outputs, api_name="batch_status_on_load")
