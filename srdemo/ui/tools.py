"""What an AI agent may call: the app's upscale and batch, served as MCP tools.

Gradio serves every documented endpoint as a tool (``launch(mcp_server=True)``), named after its
function and described by its docstring; so these functions' names and docstrings are written for
a model to act on. Endpoints that take tokens or act on an owner's runs (publishing, training, the
page's own upscale with its Hub token field) are registered ``api_visibility="undocumented"``:
still there for the page and the Python client, never offered to an agent.
"""

from __future__ import annotations

import gradio as gr

from ..presets import get_preset
from ..request import UpscaleRequest, upscale
from .batch import on_batch_start, on_batch_status
from .common import path_of, plain_errors, scratch_dir, upload_path

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
                         preset=None if preset in ("", NO_PRESET) else get_preset(preset))
    done = upscale(upload_path(photo), job)
    return str(done.save(scratch_dir())), "\n".join(done.outcome())


@plain_errors
def upscale_many_photos(files, preset: str = NO_PRESET, scale: float = 4, model: str = "", key: str = "",
                        request: gr.Request = None):
    """Start upscaling many product photos at once (a batch); it runs in the background.

    Args:
        files: the photos, or one zip of photos (folders inside are kept).
        preset: "amazon-main", "shopify", "web-1600", or "none" to enlarge by `scale`.
        scale: how many times bigger (1 to 8) when preset is "none".
        model: "auto" or empty (recommended: the built-in model that suits each photo), or a model id ("x4",
            "x2", "x4-product" for compressed JPEGs).
        key: a private word you choose; give the same one to batch_progress to follow this batch.

    Returns:
        the batch's status line.
    """
    paths = [path_of(f) for f in (files if isinstance(files, list) else [files]) if path_of(f)]
    status, _, _ = on_batch_start(paths, preset or NO_PRESET, "", False, model, scale, "", 90, False, False, key, request)
    return status


@plain_errors
def batch_progress(key: str = "", request: gr.Request = None):
    """How a batch started with upscale_many_photos is going, and its results when it has finished.

    Args:
        key: the same private word given to upscale_many_photos.

    Returns:
        the status line (files done, failed, time left), and the zip of results (with report.csv) once finished.
    """
    status, _, zip_path = on_batch_status(key, request)
    return status, zip_path


def build() -> None:
    """Hidden components that give the tools their endpoints (called inside ``gr.Blocks``)."""
    with gr.Group(visible=False):
        photo, files = gr.File(), gr.File(file_count="multiple")
        preset, model, key = gr.Textbox(value=NO_PRESET), gr.Textbox(), gr.Textbox()
        scale = gr.Number(value=4)
        out_file, out_text = gr.File(), gr.Textbox()
        one, many, progress = gr.Button(), gr.Button(), gr.Button()
    one.click(upscale_product_photo, [photo, preset, scale, model], [out_file, out_text],
              api_name="upscale_product_photo")
    many.click(upscale_many_photos, [files, preset, scale, model, key], [out_text], api_name="upscale_many_photos")
    progress.click(batch_progress, [key], [out_text, out_file], api_name="batch_progress")
