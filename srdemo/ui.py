"""The Gradio app: an adapter between the browser and ``srdemo``.

Handlers are short: they turn UI values into calls to the package and its
results into components. Uploads arrive as files (``gr.File``) rather than
``gr.Image`` so that srdemo's own decoder, with its plain messages, sees
every file first, including broken ones.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from . import hub, images, models  # noqa: E402
from .engine import EngineOptions, estimate_seconds, pick_device, recorded_speed  # noqa: E402
from .errors import Cancelled, SrdemoError  # noqa: E402
from .pipeline import target_size, upscale_picture  # noqa: E402
from .settings import get_settings  # noqa: E402

PREVIEW_PIXELS = 4_000_000  # the slider shows at most ~4 MP; the download is full size
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

_cancel_flags: dict[str, threading.Event] = {}
_flags_lock = threading.Lock()
# Neural jobs hold big buffers: at most two run at once. They wait here, not in
# Gradio's queue, so classic resamplers (instant) never wait behind them.
_NEURAL_SLOTS = threading.BoundedSemaphore(2)


def _cancel_flag(request: gr.Request | None) -> threading.Event:
    key = getattr(request, "session_hash", None) or "local"
    with _flags_lock:
        return _cancel_flags.setdefault(key, threading.Event())


def model_choices() -> list[tuple[str, str]]:
    out = []
    for spec in models.catalogue():
        status = models.availability(spec)
        out.append((spec.label + (" [needs download]" if status != "ready" else ""), spec.id))
    return out


def preview_array(arr: np.ndarray, max_pixels: int = PREVIEW_PIXELS) -> np.ndarray:
    """Downscale for display only (never for scoring or download)."""
    h, w = arr.shape[:2]
    if h * w <= max_pixels:
        return arr
    from PIL import Image

    f = (max_pixels / (h * w)) ** 0.5
    return np.asarray(Image.fromarray(arr).resize((max(1, int(w * f)), max(1, int(h * f))), Image.Resampling.LANCZOS))


def _display(pic: images.Picture) -> np.ndarray:
    """RGB for the screen: transparency shown on white, 16-bit shown as 8-bit."""
    return preview_array(images.to_uint8_rgb(images.on_white(pic)))


def _path_of(upload) -> str | None:
    if upload is None:
        return None
    return upload if isinstance(upload, str) else getattr(upload, "name", None) or upload.get("path")


def _decode_upload(upload, what: str = "image") -> images.Picture:
    path = _path_of(upload)
    if not path:
        raise SrdemoError(f"Please upload an {what} first.")
    return images.decode(Path(path), name=Path(path).name)


def _choose_model(model_id: str, repo: str, filename: str, revision: str, token: str) -> models.LoadedModel:
    if (repo or "").strip():
        ref = hub.hub_file(repo, filename, revision)
        return models.load(models.hub_spec(ref), token=(token or "").strip() or None)
    return models.load(model_id)


def on_preview(upload):
    """Show what was uploaded, or say plainly why it can't be used."""
    if _path_of(upload) is None:
        return None, ""
    try:
        pic = _decode_upload(upload)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    info = f"{pic.name}: {pic.size[0]}x{pic.size[1]}, {pic.source_mode}" + "".join(f"\n{n}" for n in pic.notes)
    return _display(pic), info


def on_estimate(upload, model_id: str, scale: float, repo: str):
    """A time estimate from the model's measured speed on this device."""
    if (repo or "").strip():
        return "Hub model: speed is measured on first use."
    try:
        spec = models.resolve(model_id)
    except SrdemoError as exc:
        return str(exc)
    if spec.kind == "resampler":
        return "Instant (classic resampling)."
    if models.availability(spec) != "ready":
        return "This model needs downloading first (the machine must be online)."
    path = _path_of(upload)
    if not path:
        return ""
    try:
        pic = images.decode(Path(path))
        out = target_size(pic.size, float(scale))
        model = models.load(spec)
    except SrdemoError as exc:
        return str(exc)
    seconds = estimate_seconds(model, pic.size, out)
    device = pick_device().type.upper()
    if seconds is None:
        return f"Speed on this {device} not measured yet; it is measured before the first run."
    return f"About {seconds:.1f} s on this {device} (measured {recorded_speed(model):.2f} output MP/s)."


ON_SPACE = bool(os.environ.get("SPACE_ID"))
"""On a Hugging Face Space, users may sign in; locally there is no sign-in (Gradio would need your own login)."""


def on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality,
           request: gr.Request, progress=gr.Progress(), oauth_token=None):
    flag = _cancel_flag(request)
    flag.clear()
    # A typed token wins; otherwise the signed-in user's own token (on a Space). Never the owner's.
    user_token = (token or "").strip() or (oauth_token.token if oauth_token is not None else "")
    try:
        pic = _decode_upload(upload)
        ref = _decode_upload(reference, "reference") if _path_of(reference) else None
        progress(0.0, desc="Loading model")
        model = _choose_model(model_id, repo, filename, revision, user_token)
        run = lambda: upscale_picture(  # noqa: E731
            model, pic, float(scale), reference=ref,
            progress=lambda f, msg: progress(f, desc=msg), should_stop=flag.is_set,
            options=EngineOptions.from_settings(),
        )
        if model.descriptor is None:
            result = run()
        else:
            progress(0.0, desc="Waiting for the device")
            with _NEURAL_SLOTS:
                result = run()
        data = images.encode(result.picture, fmt, int(quality))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    out_dir = Path(tempfile.mkdtemp(prefix="srdemo-"))
    out_path = out_dir / images.output_name(pic.name, model.spec.id, result.scale, fmt)
    out_path.write_bytes(data)
    slider = (preview_array(result.bicubic), _display(result.picture))
    return slider, str(out_path), result.summary()


def on_run_signed_in(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality,
                     request: gr.Request, oauth_token: gr.OAuthToken | None, progress=gr.Progress()):
    """``on_run`` with the visitor's sign-in token (Spaces only)."""
    return on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality,
                  request, progress, oauth_token)


def on_cancel(request: gr.Request):
    _cancel_flag(request).set()
    return "Cancelling..."


def build_demo() -> gr.Blocks:
    settings = get_settings()
    choices = model_choices()
    default = models.default_model().id
    examples = sorted(str(p) for p in EXAMPLES_DIR.glob("*") if p.suffix.lower() in (".png", ".jpg"))
    with gr.Blocks(title="srdemo - sharper product photos", analytics_enabled=False) as demo:
        gr.Markdown(
            "# srdemo - sharper product photos\n"
            "Drop in a small or soft product shot, choose how much bigger and which model, and compare."
        )
        with gr.Tab("Upscale"):
            with gr.Row():
                with gr.Column():
                    upload = gr.File(label="Product photo (PNG, JPEG, WebP, TIFF...)", file_count="single", elem_id="upload")
                    preview = gr.Image(label="Your image", interactive=False, height=240, elem_id="preview")
                    info = gr.Textbox(label="File", interactive=False, lines=2, elem_id="file-info")
                    scale = gr.Slider(1, 8, value=4, step=0.5, label="How much bigger (x)", elem_id="scale")
                    model = gr.Dropdown(choices, value=default, label="Model", elem_id="model")
                    with gr.Accordion("Use a model from the Hugging Face Hub", open=False):
                        repo = gr.Textbox(label="Repo id (owner/name)", placeholder="e.g. ai-forever/Real-ESRGAN")
                        filename = gr.Textbox(label="Weights file in the repo", placeholder="e.g. RealESRGAN_x4.pth")
                        revision = gr.Textbox(label="Revision (optional)", placeholder="main")
                        token = gr.Textbox(
                            label="Access token, only for private repos (used for this download only, never stored)",
                            type="password",
                        )
                        if ON_SPACE:
                            gr.LoginButton("Or sign in with Hugging Face (uses your own access)")
                    reference = gr.File(label="Optional: the sharp original, at the output size, to score against", file_count="single")
                    with gr.Row():
                        fmt = gr.Radio(["png", "jpeg", "webp"], value="png", label="Download format")
                        quality = gr.Slider(50, 100, value=92, step=1, label="JPEG/WebP quality")
                    estimate = gr.Markdown(elem_id="estimate")
                    with gr.Row():
                        run = gr.Button("Upscale", variant="primary", elem_id="run")
                        cancel = gr.Button("Cancel", elem_id="cancel")
                with gr.Column():
                    slider = gr.ImageSlider(
                        label="Before (bicubic, left) / after (model, right)", format="png", type="numpy",
                        elem_id="slider",
                    )
                    download = gr.File(label="Download the full-size result", elem_id="download")
                    figures = gr.Textbox(label="Figures", lines=8, interactive=False, elem_id="figures")
            if examples:
                gr.Examples(examples, inputs=[upload], label="Examples (click one)")

        upload.change(on_preview, [upload], [preview, info], api_name="preview")
        gr.on(
            [upload.change, model.change, scale.change, repo.change],
            on_estimate, [upload, model, scale, repo], [estimate], api_name="estimate", show_progress="hidden",
        )
        run_event = run.click(
            on_run_signed_in if ON_SPACE else on_run,
            [upload, model, scale, repo, filename, revision, token, reference, fmt, quality],
            [slider, download, figures],
            api_name="upscale",
            concurrency_limit=None,  # neural jobs are limited by _NEURAL_SLOTS, classic ones never wait
        )
        cancel.click(on_cancel, None, [figures], api_name="cancel", cancels=[run_event])
        gr.Markdown(
            f"Limits: {settings.max_input_pixels / 1e6:.0f} MP in, {settings.max_output_pixels / 1e6:.0f} MP out, "
            f"{settings.max_file_bytes / 1e6:.0f} MB per file. Scores are PSNR/SSIM on luma (the published SR protocol)."
        )
    demo.queue(max_size=32, default_concurrency_limit=2)
    return demo


def launch(host: str | None = None, port: int | None = None, **kwargs) -> None:
    """Serve the app. Host and port default to Gradio's env variables, then 127.0.0.1:7860."""
    demo = build_demo()
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=get_settings().max_file_bytes,
        show_error=True,
        **kwargs,
    )
