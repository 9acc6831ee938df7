"""What an AI agent may call over MCP: every documented endpoint, named after its function and described by its
docstring, written for a model to act on (the page's own endpoints are undocumented, never offered to an agent).

Every tool's caller is a visitor, never the machine's user; an agent's batch belongs to the batch id its start
returns, minted and signed by this server: the only way to follow, download or cancel that batch.
"""

from __future__ import annotations

import gradio as gr

from .. import workspace
from ..caller import mint_key
from ..presets import get_preset
from ..request import UpscaleRequest, upscale
from .batch import on_batch_cancel, on_batch_start, on_batch_status
from .common import caller_of, plain_errors, upload_path

NO_PRESET = "none"


@plain_errors
def upscale_product_photo(photo, preset: str = NO_PRESET, scale: float = 4, model: str = "",
                          request: gr.Request = None):
    """Upscale one product photo: sharper and bigger, ready for a shop or a marketplace.

    Args:
        photo: the product photo (PNG, JPEG, WebP, HEIC or TIFF).
        preset: a marketplace size: "amazon-main" (2000 px square on pure white, JPEG), "shopify" (2048x2048 square,
            JPEG), "web-1600" (1600 px longest side, WebP), or "none" to enlarge by `scale` and keep PNG.
        scale: how many times bigger (1 to 8) when preset is "none".
        model: "auto" or empty (recommended: per photo, the built-in model that measured best for such input,
            said in the summary), or a model id from the app's list ("x4", "x2", "x4-product" for compressed JPEGs,
            "lanczos").

    Returns:
        the upscaled file, and a plain summary: verdict, size, and any warnings.
    """
    job = UpscaleRequest(model=model or "", scale=float(scale),
                         preset=None if preset in ("", NO_PRESET) else get_preset(preset), caller=caller_of("", request))
    done = upscale(upload_path(photo), job)
    return str(done.save(workspace.scratch_dir(job.caller.owner))), "\n".join(done.outcome())


@plain_errors
def upscale_many_photos(photos, preset: str = NO_PRESET, scale: float = 4, model: str = "", request: gr.Request = None):
    """Start upscaling many product photos at once (a batch); it runs in the background.

    Args:
        photos: one zip of photos (folders inside are kept), or a single photo.
        preset: "amazon-main", "shopify", "web-1600", or "none" to enlarge by `scale`.
        scale: how many times bigger (1 to 8) when preset is "none".
        model: "auto" or empty (recommended: the built-in model that suits each photo), or a model id ("x4",
            "x2", "x4-product" for compressed JPEGs).

    Returns:
        the batch's status line, and the batch id: give it to batch_progress to follow the batch and get its results,
        or to batch_cancel to stop it. Only this id gives access to the batch.
    """
    files, batch_id = photos if isinstance(photos, list) else [photos], mint_key("batch")
    status = on_batch_start(files, preset or NO_PRESET, "", False, model, scale, "", 90, False, False, batch_id, request)[0]
    return status, batch_id


@plain_errors
def batch_progress(batch_id: str = "", request: gr.Request = None):
    """How a batch started with upscale_many_photos is going, and its results when it has finished.

    Args:
        batch_id: the id upscale_many_photos returned.

    Returns:
        the status line (files done, failed, time left), and the zip of results (with report.csv) once finished.
    """
    status, *_, zip_path, _ = on_batch_status(batch_id, request)
    return status, zip_path


@plain_errors
def batch_cancel(batch_id: str = "", request: gr.Request = None):
    """Stop a batch started with upscale_many_photos; the photos finished so far are kept.

    Args:
        batch_id: the id upscale_many_photos returned.

    Returns:
        whether the batch is being stopped.
    """
    return on_batch_cancel(batch_id, request)


def build() -> None:
    """Hidden components that give the tools their endpoints (called inside ``gr.Blocks``)."""
    with gr.Group(visible=False):
        photo, photos = gr.File(), gr.File()  # one file each: a list of files has no schema MCP clients can use
        preset, model, batch_id = gr.Textbox(value=NO_PRESET), gr.Textbox(), gr.Textbox()
        scale = gr.Number(value=4)
        out_file, out_text, out_id = gr.File(), gr.Textbox(), gr.Textbox()
        one, many, progress, cancel = gr.Button(), gr.Button(), gr.Button(), gr.Button()
    one.click(upscale_product_photo, [photo, preset, scale, model], [out_file, out_text], api_name="upscale_product_photo")
    many.click(upscale_many_photos, [photos, preset, scale, model], [out_text, out_id], api_name="upscale_many_photos")
    progress.click(batch_progress, [batch_id], [out_text, out_file], api_name="batch_progress")
    cancel.click(batch_cancel, [batch_id], [out_text], api_name="batch_cancel")
