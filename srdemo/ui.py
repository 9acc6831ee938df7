"""The Gradio app: an adapter between the browser and ``srdemo``.

Handlers are short: they turn UI values into calls to the package and its
results into components. Uploads arrive as files (``gr.File``) rather than
``gr.Image`` so that srdemo's own decoder, with its plain messages, sees
every file first, including broken ones.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio is imported

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from . import hub, images, models, runs  # noqa: E402
from .batch import REPORT_FIELDS, BatchOptions, parse_preset, run_batch  # noqa: E402
from .compare import compare, zoom  # noqa: E402
from .engine import EngineOptions, estimate_seconds, pick_device, recorded_speed  # noqa: E402
from .errors import SrdemoError  # noqa: E402
from .jobs import JOBS  # noqa: E402
from .metadata import MetadataPolicy  # noqa: E402
from .pipeline import target_size, upscale_picture  # noqa: E402
from .presets import PRESETS  # noqa: E402
from .settings import get_settings  # noqa: E402

try:  # On a ZeroGPU Space, GPU work must be declared; elsewhere this is a no-op.
    import spaces

    gpu = spaces.GPU
except ImportError:  # pragma: no cover - depends on the platform
    def gpu(fn):
        return fn

ZERO_GPU = bool(os.environ.get("SPACES_ZERO_GPU"))
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


def _choose_model(model_id: str, repo: str, filename: str, revision: str, token: str, owner: str = "") -> models.LoadedModel:
    if (repo or "").strip():
        ref = hub.hub_file(repo, filename, revision)
        return models.load(models.hub_spec(ref), token=(token or "").strip() or None)
    owned = runs.resolve_owned(owner, model_id)
    if owned is not None:
        return models.load(owned)
    if model_id not in {spec.id for spec in models.catalogue()}:  # no server paths or other refs from the page
        raise SrdemoError(f"Unknown model '{model_id}'. Pick one from the list, or use the Hub fields.")
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


@gpu
def on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key="",
           request: gr.Request = None, progress=gr.Progress(), oauth_token=None):
    flag = _cancel_flag(request)
    flag.clear()
    # A typed token wins; otherwise the signed-in user's own token (on a Space). Never the owner's.
    user_token = (token or "").strip() or (oauth_token.token if oauth_token is not None else "")
    try:
        pic = _decode_upload(upload)
        ref = _decode_upload(reference, "reference") if _path_of(reference) else None
        progress(0.0, desc="Loading model")
        model = _choose_model(model_id, repo, filename, revision, user_token, owner_of(key, request))
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


def on_run_signed_in(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key,
                     request: gr.Request, oauth_token: gr.OAuthToken | None, progress=gr.Progress()):
    """``on_run`` with the visitor's sign-in token (Spaces only)."""
    return on_run(upload, model_id, scale, repo, filename, revision, token, reference, fmt, quality, key,
                  request, progress, oauth_token)


# ---------------------------------------------------------------- owners, batch, compare


def owner_of(browser_key: str | None, request: gr.Request | None) -> str:
    """Who a job belongs to: the signed-in user on a Space, else this browser, else this session."""
    user = getattr(request, "username", None)
    if user:
        return f"user:{user}"
    if browser_key:
        return f"browser:{browser_key}"
    return f"session:{getattr(request, 'session_hash', None) or 'local'}"


def _served(path: Path) -> str:
    """A copy of a result in the temp folder, which Gradio may serve (run folders are never exposed)."""
    digest = hashlib.sha256(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:16]
    copy = Path(tempfile.gettempdir()) / "srdemo-downloads" / digest / path.name
    if not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)
    return str(copy)


def on_load_key(key: str | None) -> str:
    return key or uuid.uuid4().hex


def _owner_dir(owner: str) -> Path:
    return get_settings().run_dir / "batches" / hashlib.sha256(owner.encode()).hexdigest()[:16]


def on_batch_start(files, preset_id, size, square, model_id, scale, fmt, quality, keep_meta, mark_ai, key,
                   request: gr.Request):
    owner = owner_of(key, request)
    paths = [p for p in (_path_of(f) for f in (files or [])) if p]
    if not paths:
        raise gr.Error("Please upload images or a zip first.")
    try:
        options = BatchOptions(
            model=model_id, scale=float(scale),
            preset=parse_preset(None if preset_id in ("none", "custom") else preset_id, size if preset_id == "custom" else None, bool(square)),
            fmt=None if fmt == "preset default" else fmt, quality=int(quality),
            metadata=MetadataPolicy(keep_private=bool(keep_meta), provenance=bool(mark_ai)),
        )
        models.resolve(model_id)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    job_dir = _owner_dir(owner) / uuid.uuid4().hex[:12]
    inputs = job_dir / "input"
    inputs.mkdir(parents=True)
    copies = []
    for p in paths:  # copy now: Gradio's upload cache is not ours to keep
        copies.append(inputs / Path(p).name)
        shutil.copy(p, copies[-1])

    def work(job):
        def step(i, name):
            job.done, job.message = i, name

        return run_batch(copies, job_dir / "output", options, progress=step, should_stop=job.should_stop)

    try:
        JOBS.submit(owner, "batch", work)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_batch_status(key, request)


def on_batch_status(key, request: gr.Request):
    """The owner's latest batch: a status line, the report so far, and the zip when finished."""
    job = JOBS.latest(owner_of(key, request), "batch")
    if job is None:
        return "No batch yet.", [], None
    if job.running:
        return f"Running: {job.done} file(s) done, last: {job.message}", [], None
    if job.status == "failed":
        return f"Failed: {job.error}", [], None
    result = job.result
    rows = [[r.get(f, "") for f in REPORT_FIELDS] for r in result.rows] if result else []
    done = sum(r.get("status") == "ok" for r in result.rows) if result else 0
    state = "Cancelled" if job.status == "cancelled" else "Finished"
    text = f"{state}: {done} image(s) done, {result.failed if result else 0} failed. Download the zip below."
    return text, rows, _served(result.zip_path) if result else None


def on_batch_cancel(key, request: gr.Request):
    cancelled = JOBS.cancel(owner_of(key, request), "batch")
    return "Cancelling after the current file..." if cancelled else "No batch is running."


def on_compare(upload, model_a, model_b, scale, request: gr.Request, progress=gr.Progress()):
    try:
        pic = _decode_upload(upload)
        a, b = models.load(model_a), models.load(model_b)
        with _NEURAL_SLOTS:
            result = compare(pic, a, b, float(scale), options=EngineOptions.from_settings())
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    out_dir = Path(tempfile.mkdtemp(prefix="srdemo-ab-"))
    saved = []
    for tag, res in (("A", result.a), ("B", result.b)):
        path = out_dir / f"{tag}.png"
        path.write_bytes(images.encode(res.picture, "png"))
        saved.append(str(path))
    state = {"paths": saved, "in_size": list(pic.size)}
    slider = (_display(result.a.picture), _display(result.b.picture))
    return slider, result.a.summary(), result.b.summary(), result.sentence, state, _display(pic)


def on_zoom(state, evt: gr.SelectData):
    if not state:
        raise gr.Error("Run the comparison first, then click the photo.")
    x, y = evt.index
    crops = [zoom(images.decode(Path(p)), x, y, tuple(state["in_size"])) for p in state["paths"]]
    return crops[0], crops[1]


# ---------------------------------------------------------------- training tab


def _owner_for_training(key, request) -> str:
    if ON_SPACE and not getattr(request, "username", None):
        raise gr.Error("On this shared Space, please sign in with Hugging Face to train: your runs and models stay yours.")
    return owner_of(key, request)


def on_train_start(files, use_examples, base, scale, degrade, length, lr, batch, patch, seed, key, request: gr.Request):
    if ZERO_GPU:
        raise gr.Error(ZERO_GPU_TEXT)
    owner = _owner_for_training(key, request)
    paths = [Path(p) for p in (_path_of(f) for f in (files or [])) if p]
    try:
        runs.start(owner, paths, bool(use_examples), runs.RunSettings(
            base=None if base == "scratch" else base, scale=int(scale), degrade=degrade, length=length,
            lr=float(lr), batch=int(batch), patch=int(patch), seed=int(seed),
        ))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_train_status(key, request)


def on_train_status(key, request: gr.Request):
    """Status line, loss and PSNR curves, reference figures, preview pair, zip."""
    import pandas as pd

    owner = owner_of(key, request)
    job = JOBS.latest(owner, "training")
    run = job.info.get("run") if job else runs.latest_run(owner)
    empty = pd.DataFrame({"step": [], "value": []})
    if run is None:
        return "No training run yet.", empty, empty, "", None, None
    history = job.result if job is not None and job.result is not None and not isinstance(job.result, Path) else None
    hist_file = Path(run) / "model" / "history.json"
    if history is None and hist_file.exists():
        import json as _json

        from .train import History

        history = History(**_json.loads(hist_file.read_text()))
    loss = pd.DataFrame(history.loss if history else [], columns=["step", "value"])
    val = pd.DataFrame([(s_, p) for s_, p, _ in history.val] if history else [], columns=["step", "value"])
    figures = []
    if history is not None and history.bicubic:
        figures.append(f"Bicubic on your held-out photos: {history.bicubic[0]:.2f} dB")
    if history is not None and history.base:
        figures.append(f"Base model before training: {history.base[0]:.2f} dB")
    if history is not None and history.val:
        figures.append(f"Your model now: {history.val[-1][1]:.2f} dB (best {max(v[1] for v in history.val):.2f} dB)")
    model_dir = Path(run) / "model"
    preview = None
    if (model_dir / "preview_model.png").exists():
        preview = (_served(model_dir / "preview_bicubic.png"), _served(model_dir / "preview_model.png"))
    zip_path = None
    if job is None or not job.running:
        if (model_dir / "model.safetensors").exists():
            zip_path = _served(runs.model_zip(Path(run)))
    if job is None:
        state = "Stopped earlier; press Resume to continue." if not (model_dir / "model.safetensors").exists() else "Finished."
    elif job.running:
        state = f"Training: {job.message}" if job.done else "Preparing (checking photos, scoring the base model)..."
    elif job.status == "failed":
        state = f"Failed: {job.error}"
    elif job.status == "cancelled":
        state = "Stopped. The best weights so far are saved; press Resume to continue."
    else:
        state = "Finished. Your model is in the Upscale tab's model list and can be downloaded or published."
    if not runs.storage_is_persistent():
        state += " Note: this machine's storage is temporary; download your model to keep it."
    return state, loss, val, "\n".join(figures), preview, zip_path


def on_train_stop(key, request: gr.Request):
    stopped = JOBS.cancel(owner_of(key, request), "training")
    return "Stopping after this step; the best weights so far are kept." if stopped else "No training is running."


def on_train_resume(key, request: gr.Request):
    owner = _owner_for_training(key, request)
    try:
        runs.resume(owner)
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return on_train_status(key, request)


def on_publish(repo_id, private, token, key, request: gr.Request, oauth_token=None):
    owner = owner_of(key, request)
    run = runs.latest_run(owner)
    if run is None or not (run / "model" / "model.safetensors").exists():
        raise gr.Error("Train a model first (or let the current run finish or stop).")
    user_token = (token or "").strip() or (oauth_token.token if oauth_token is not None else "")
    try:
        url = hub.publish(run / "model", repo_id, user_token or None, private=bool(private))
    except SrdemoError as exc:
        raise gr.Error(str(exc)) from None
    return f"Published: {url} (load it back in the Upscale tab with repo '{repo_id}' and file 'model.safetensors')"


def on_publish_signed_in(repo_id, private, token, key, request: gr.Request, oauth_token: gr.OAuthToken | None):
    return on_publish(repo_id, private, token, key, request, oauth_token)


def on_refresh_models(key, request: gr.Request):
    owned = [(s.label, s.id) for s in runs.trained_models(owner_of(key, request))]
    return gr.update(choices=owned + model_choices())


ZERO_GPU_TEXT = (
    "Training is not offered on a ZeroGPU Space: its GPU is lent for seconds per request, and a training run "
    "needs it for minutes to hours. Duplicate this Space on dedicated GPU hardware, or train with the command "
    "line (`srdemo train`) and load the result here."
)


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
        with gr.Tab("Upscale") as upscale_tab:
            with gr.Row():
                with gr.Column():
                    upload = gr.File(label="Product photo (PNG, JPEG, WebP, TIFF...)", file_count="single", elem_id="upload")
                    preview = gr.Image(label="Your image", interactive=False, height=240, elem_id="preview")
                    info = gr.Textbox(label="File", interactive=False, lines=2, elem_id="file-info")
                    scale = gr.Slider(1, 8, value=4, step=0.5, label="How much bigger (x)", elem_id="scale")
                    model = gr.Dropdown(choices, value=default, label="Model", elem_id="model", allow_custom_value=True)
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

        browser_key = gr.BrowserState("", storage_key="srdemo-owner")
        with gr.Tab("Batch"):
            gr.Markdown(
                "Upscale a whole delivery: several images or one zip (sub-folders are kept). "
                "The result is a zip with the same folders and a `report.csv`. It keeps running if you close or reload the page."
            )
            with gr.Row():
                with gr.Column():
                    batch_files = gr.File(label="Images or a zip", file_count="multiple", elem_id="batch-files")
                    preset = gr.Dropdown(
                        [("No preset: just the scale below", "none")] + [(p.label, p.id) for p in PRESETS.values()]
                        + [("Custom size", "custom")],
                        value="none", label="Marketplace preset", elem_id="batch-preset",
                    )
                    with gr.Row():
                        custom_size = gr.Textbox(label="Custom size: longest side (1600) or WxH (1200x900)", value="1600")
                        custom_square = gr.Checkbox(label="Pad to a square on white", value=False)
                    batch_model = gr.Dropdown(choices, value=default, label="Model")
                    batch_scale = gr.Slider(1, 8, value=4, step=0.5, label="Scale (when no preset)")
                    with gr.Row():
                        batch_fmt = gr.Radio(["preset default", "png", "jpeg", "webp"], value="preset default", label="Format")
                        batch_quality = gr.Slider(50, 100, value=90, step=1, label="JPEG/WebP quality")
                    keep_meta = gr.Checkbox(label="Keep private metadata (GPS, serial numbers, owner names, XMP/IPTC)", value=False)
                    mark_ai = gr.Checkbox(label="Mark as AI-processed (IPTC DigitalSourceType, EXIF Software)", value=False)
                    with gr.Row():
                        batch_run = gr.Button("Run batch", variant="primary", elem_id="batch-run")
                        batch_stop = gr.Button("Cancel batch", elem_id="batch-cancel")
                with gr.Column():
                    batch_status = gr.Textbox(label="Status", interactive=False, elem_id="batch-status")
                    batch_zip = gr.File(label="Results (zip)", elem_id="batch-zip")
                    batch_report = gr.Dataframe(headers=REPORT_FIELDS, label="Report", elem_id="batch-report", wrap=True)
            gr.Markdown("Presets: " + "; ".join(f"**{p.label}**, source: {p.source} (checked {p.checked})" for p in PRESETS.values()))

        with gr.Tab("Train"):
            gr.Markdown(
                "Teach a model your own packaging, fonts and backgrounds. Upload sharp product photos (a few hundred is "
                "best), pick a starting model and a length, and start. Training runs in the background: you can close "
                "or reload the page. " + ("" if runs.storage_is_persistent() else
                                          "**This machine's storage is temporary**: download your model when it is done.")
            )
            if ZERO_GPU:
                gr.Markdown(ZERO_GPU_TEXT)
            with gr.Row():
                with gr.Column():
                    train_files = gr.File(label="Sharp product photos (files or one zip)", file_count="multiple", elem_id="train-files")
                    use_examples = gr.Checkbox(label="Use the example set instead (48 rendered product photos)", value=False, elem_id="train-examples")
                    neural = [(s.label, s.id) for s in models.catalogue() if s.is_neural]
                    train_base = gr.Dropdown(neural + [("Start from scratch (SPAN)", "scratch")],
                                             value=(neural[0][1] if neural else "scratch"), label="Starting model", elem_id="train-base")
                    train_scale = gr.Radio([2, 4], value=4, label="Scale")
                    train_degrade = gr.Radio([("Clean (sharp originals)", "bicubic"), ("Supplier photos (blur, JPEG)", "product")],
                                             value="bicubic", label="What the inputs look like")
                    train_length = gr.Radio([(f"{k} ({v} steps)", k) for k, v in runs.LENGTHS.items()], value="quick",
                                            label="Length", elem_id="train-length")
                    with gr.Accordion("Advanced", open=False):
                        train_lr = gr.Number(2e-4, label="Learning rate")
                        train_batch = gr.Number(8, label="Batch", precision=0)
                        train_patch = gr.Number(96, label="Patch size (px)", precision=0, elem_id="train-patch")
                        train_seed = gr.Number(0, label="Seed", precision=0)
                    with gr.Row():
                        train_go = gr.Button("Start training", variant="primary", elem_id="train-start", interactive=not ZERO_GPU)
                        train_stop = gr.Button("Stop", elem_id="train-stop")
                        train_resume = gr.Button("Resume", elem_id="train-resume")
                with gr.Column():
                    train_status = gr.Textbox(label="Status", interactive=False, elem_id="train-status")
                    train_figures = gr.Textbox(label="Validation PSNR on your held-out photos", lines=3, interactive=False, elem_id="train-figures")
                    loss_plot = gr.LinePlot(x="step", y="value", title="Training loss", elem_id="loss-plot")
                    psnr_plot = gr.LinePlot(x="step", y="value", title="Validation PSNR (dB)", elem_id="psnr-plot")
                    train_preview = gr.ImageSlider(label="Validation image: bicubic (left) / your model (right)", type="filepath", elem_id="train-preview")
                    train_zip = gr.File(label="Your model (zip: model.safetensors, config.json, README.md)", elem_id="train-zip")
                    with gr.Accordion("Publish to the Hugging Face Hub", open=False):
                        pub_repo = gr.Textbox(label="Repo id (you/your-model)", elem_id="pub-repo")
                        pub_private = gr.Checkbox(label="Private", value=True)
                        pub_token = gr.Textbox(label="Token with write access (used for this push only, never stored)", type="password")
                        if ON_SPACE:
                            gr.LoginButton("Or sign in with Hugging Face")
                        pub_go = gr.Button("Publish", elem_id="pub-go")
                        pub_result = gr.Textbox(label="Result", interactive=False, elem_id="pub-result")

        with gr.Tab("Compare A/B"):
            gr.Markdown("Two models on the same photo. Click a spot on the photo to zoom both results there.")
            with gr.Row():
                with gr.Column():
                    ab_upload = gr.File(label="Product photo", elem_id="ab-upload")
                    ab_a = gr.Dropdown(choices, value="bicubic", label="Model A")
                    ab_b = gr.Dropdown(choices, value=default, label="Model B")
                    ab_scale = gr.Slider(1, 8, value=4, step=0.5, label="Scale")
                    ab_run = gr.Button("Compare", variant="primary", elem_id="ab-run")
                    ab_photo = gr.Image(label="Click to zoom", interactive=False, elem_id="ab-photo")
                with gr.Column():
                    ab_slider = gr.ImageSlider(label="A (left) / B (right)", format="png", type="numpy", elem_id="ab-slider")
                    ab_sentence = gr.Textbox(label="In one sentence", interactive=False, elem_id="ab-sentence")
                    with gr.Row():
                        ab_fig_a = gr.Textbox(label="A", lines=6, interactive=False)
                        ab_fig_b = gr.Textbox(label="B", lines=6, interactive=False)
                    with gr.Row():
                        zoom_a = gr.Image(label="A, zoomed", interactive=False, elem_id="zoom-a")
                        zoom_b = gr.Image(label="B, zoomed", interactive=False, elem_id="zoom-b")
            ab_state = gr.State(None)

        upload.change(on_preview, [upload], [preview, info], api_name="preview")
        gr.on(
            [upload.change, model.change, scale.change, repo.change],
            on_estimate, [upload, model, scale, repo], [estimate], api_name="estimate", show_progress="hidden",
        )
        run_event = run.click(
            on_run_signed_in if ON_SPACE else on_run,
            [upload, model, scale, repo, filename, revision, token, reference, fmt, quality, browser_key],
            [slider, download, figures],
            api_name="upscale",
            concurrency_limit=None,  # neural jobs are limited by _NEURAL_SLOTS, classic ones never wait
        )
        cancel.click(on_cancel, None, [figures], api_name="cancel", cancels=[run_event])

        demo.load(on_load_key, [browser_key], [browser_key], api_name="owner_key")
        batch_outputs = [batch_status, batch_report, batch_zip]
        batch_run.click(
            on_batch_start,
            [batch_files, preset, custom_size, custom_square, batch_model, batch_scale, batch_fmt, batch_quality,
             keep_meta, mark_ai, browser_key],
            batch_outputs, api_name="batch_start",
        )
        batch_stop.click(on_batch_cancel, [browser_key], [batch_status], api_name="batch_cancel")
        gr.Timer(1.0).tick(on_batch_status, [browser_key], batch_outputs, api_name="batch_status", show_progress="hidden")
        demo.load(on_batch_status, [browser_key], batch_outputs, api_name="batch_status_on_load")
        ab_run.click(
            on_compare, [ab_upload, ab_a, ab_b, ab_scale],
            [ab_slider, ab_fig_a, ab_fig_b, ab_sentence, ab_state, ab_photo], api_name="compare",
        )
        ab_photo.select(on_zoom, [ab_state], [zoom_a, zoom_b], api_name="zoom")

        train_outputs = [train_status, loss_plot, psnr_plot, train_figures, train_preview, train_zip]
        train_go.click(
            on_train_start,
            [train_files, use_examples, train_base, train_scale, train_degrade, train_length, train_lr, train_batch,
             train_patch, train_seed, browser_key],
            train_outputs, api_name="train_start",
        )
        train_stop.click(on_train_stop, [browser_key], [train_status], api_name="train_stop")
        train_resume.click(on_train_resume, [browser_key], train_outputs, api_name="train_resume")
        gr.Timer(2.0).tick(on_train_status, [browser_key], train_outputs, api_name="train_status", show_progress="hidden")
        demo.load(on_train_status, [browser_key], train_outputs, api_name="train_status_on_load")
        pub_go.click(on_publish_signed_in if ON_SPACE else on_publish, [pub_repo, pub_private, pub_token, browser_key],
                     [pub_result], api_name="publish")
        upscale_tab.select(on_refresh_models, [browser_key], [model], api_name="models")
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
