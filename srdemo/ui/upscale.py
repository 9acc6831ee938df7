"""The Upscale tab: one photo, one model, a verdict, a before/after slider and the figures behind it.

Laid out for a laptop: the photo, the scale, the model and the run button fit above the fold at 1366x768; the
rest waits in *More options*. Uploads arrive as files (``gr.File``), so srdemo's own decoder, with its plain
messages, sees every file first, broken ones included.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import gradio as gr

from .. import advice, hub, images, report, workspace
from ..auto import AUTO
from ..errors import Cancelled, SrdemoError
from ..examples import example_photos
from ..presets import custom_preset
from ..request import UpscaleRequest, estimate, pick_model, upscale
from ..wording import text
from .common import (
    ON_SPACE,
    WORDS,
    caller_of,
    decode_upload,
    display,
    format_choices,
    gpu,
    model_choices,
    not_done,
    on_refresh_models,
    path_of,
    plain_errors,
    session_of,
    upload_path,
)

_running: dict[str, threading.Event] = {}  # a running run's cancel flag
_early: dict[str, bool] = {}  # cancels of runs not started yet, oldest first (the endpoint is public: 4096 kept)
_finished: deque[str] = deque(maxlen=1024)
_progress: dict[str, tuple[float, str]] = {}  # a running run's latest fraction and words, for the line under the button
_flags_lock = threading.Lock()

# A click names its run in the page before the request leaves, so a Cancel clicked while the run is on its way (or
# waiting for a slot) names the same run, and it starts cancelled; the line that will say how far it is is kept in view.
NAME_RUN = """() => {
    window.srdemoRunId = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    const line = document.querySelector('#progress'), box = line?.getBoundingClientRect();
    if (box && (box.top < 0 || box.bottom > window.innerHeight)) line.scrollIntoView({block: 'center', behavior: 'smooth'});
}"""
RUN_ID = "() => [window.srdemoRunId || '']"
WITH_RUN_ID = "(...args) => [...args.slice(0, -1), window.srdemoRunId || '']"
# After a run: when the slider's top half is out of view (a phone stacks it under the form), show the verdict and it.
SCROLL_TO_RESULT = """() => {
    const box = document.querySelector('#slider')?.getBoundingClientRect();
    if (box && (box.top < 0 || box.top + box.height / 2 > window.innerHeight)) {
        document.querySelector('#verdict')?.scrollIntoView({block: 'start', behavior: 'smooth'});
    }
}"""
# After an upload, the lines under the photo push the button down (on a phone below the fold): for a few seconds
# the page brings it back into view, never upwards.
KEEP_RUN_IN_VIEW = """() => {
    const until = Date.now() + 5000;
    const check = () => {
        const run = document.querySelector('#run');
        if (run?.getBoundingClientRect().bottom > window.innerHeight) run.scrollIntoView({block: 'center', behavior: 'smooth'});
        else if (Date.now() < until) setTimeout(check, 250);
    };
    setTimeout(check, 250);
}"""


def _run_key(request: gr.Request | None, run_id: str) -> str:
    """Whose run: the browser session, and the page's name for the run (API callers send none)."""
    return f"{session_of(request)}/{str(run_id or '')[:64]}"


def _shown(markdown: str):
    """A line of the form that takes no room while it has nothing to say (an empty box leaves a gap)."""
    return gr.update(value=markdown, visible=bool(markdown))


def _no_advice():
    return _shown(""), gr.update(visible=False), gr.update(visible=False)


def _advice(upload, model_id: str, scale: float, white_square: bool, key: str, request: gr.Request | None):
    """The photo, and its advice lines with the one-click buttons that apply (the compressed model, a white square)."""
    pic = decode_upload(upload)
    job = UpscaleRequest(model=model_id, scale=float(scale), caller=caller_of(key, request))
    try:
        spec, choice = pick_model(pic, job, job.target(pic.size)[0])
    except SrdemoError:
        spec, choice = None, None  # a model the visitor is still typing: advice about the photo only
    notes = ([advice.UploadNote(choice)] if choice else []) + advice.upload_notes(pic, spec, float(scale))
    notes = [n for n in notes if not (white_square and n.action == "white_square")]
    actions = {n.action for n in notes}
    lines = "\n".join(f"- {n.sentence}" for n in notes)
    return pic, (_shown(lines), gr.update(visible="compressed_model" in actions), gr.update(visible="white_square" in actions))


@plain_errors
def on_preview(upload, model_id: str = "", scale: float = 4, white_square: bool = False, key: str = "",
               request: gr.Request = None):
    """Show the photo where the result will be, say what is worth knowing about it, clear the last result."""
    cleared = (None, "", "")  # download, verdict, figures: a new photo starts clean (old errors too)
    if path_of(upload) is None:
        return None, _shown(""), *_no_advice(), *cleared
    try:
        pic, notes = _advice(upload, model_id, scale, white_square, key, request)
    except SrdemoError as exc:  # said once, where the photo's details go: not as a pop-up too, nor red badges
        return None, _shown(f"**{exc}**"), *_no_advice(), *cleared
    info = text("ui_upscale_file_info", name=pic.name, width=pic.size[0], height=pic.size[1], mode=pic.source_mode)
    shown = display(pic)
    return (shown, shown), _shown(info + "".join(f"  \n{n}" for n in pic.notes)), *notes, *cleared


@plain_errors
def on_advice(upload, model_id: str, scale: float, white_square: bool, key: str = "", request: gr.Request = None):
    """The advice again after a choice changed (picking the suggested model or the white square settles it)."""
    return _advice(upload, model_id, scale, white_square, key, request)[1] if path_of(upload) else _no_advice()


@plain_errors
def on_use_compressed(request: gr.Request = None):
    """Switch the model list to the built-in model for compressed photos."""
    other = advice.compressed_model()
    return gr.update(value=other.id) if other else gr.skip()


@plain_errors
def on_estimate(upload, model_id: str, scale: float, repo: str, key="", request: gr.Request = None):
    """A time estimate from the model's measured speed on this device."""
    if (repo or "").strip():
        return text("estimate_hub")
    job = UpscaleRequest(model=model_id, scale=float(scale), caller=caller_of(key, request))
    try:
        pic = decode_upload(upload) if path_of(upload) else None
    except SrdemoError:
        return ""  # a photo that cannot be read is said once, under it (on_preview)
    try:
        return estimate(pic, job)
    except SrdemoError as exc:
        return str(exc)


@gpu
@plain_errors
def on_run(upload, model_id, scale, white_square, repo, filename, revision, token, reference, fmt, quality, key="",
           run_id="", request: gr.Request = None, progress=gr.Progress(), oauth_token: gr.OAuthToken | None = None):
    """Upscale the photo; the first output is the line that says how it went (the verdict and where the file is,
    what a cancel kept, or why it failed), the last the comparison picture to share (kept in a ``gr.State``).
    ``run_id`` is the page's name for the run (``NAME_RUN``): a Cancel that came first stops it before its first tile.
    ``oauth_token`` is the visitor's own when signed in on a Space (Gradio passes it by its annotation)."""
    run_key = _run_key(request, run_id)
    start = time.monotonic()
    flag = threading.Event()
    with _flags_lock:
        if _early.pop(run_key, False):
            flag.set()
        _running[run_key] = flag
    try:
        if flag.is_set():
            raise Cancelled()  # cancelled on its way here
        preset = custom_preset(scale=float(scale), square=True, white=True, fmt=fmt) if white_square else None
        if (repo or "").strip():  # the Hub fields, as one ``owner/repo:file@revision`` reference
            model_id = str(hub.hub_file(repo, filename, revision))
        job = UpscaleRequest(
            model=model_id, scale=float(scale), preset=preset, format=fmt,
            quality=int(quality), reference=upload_path(reference) if path_of(reference) else None,
            caller=caller_of(key, request, token, oauth_token),
        )
        done = upscale(upload_path(upload), job, progress=_reporter(run_key, progress), should_stop=flag.is_set)
    except Cancelled:
        return text("ui_upscale_cancelled", seconds=time.monotonic() - start), *[gr.skip()] * 4
    except SrdemoError as exc:  # in the result line, the last result left as it was
        return not_done(exc, 4)
    finally:
        with _flags_lock:
            _running.pop(run_key, None)
            _progress.pop(run_key, None)
            if run_id:
                _finished.append(run_key)
    out_path = done.save(workspace.scratch_dir(job.caller.owner))
    shared = out_path.with_name(f"{out_path.stem}_before_after.jpg")
    shared.write_bytes(report.before_after_picture(done))
    first, saved, *todo = done.outcome()
    todo = [line for line in todo if line != done.choice]  # Automatic's sentence is said once, in the notes above
    verdict = "\n\n".join([f"**{first}**", f"{saved} {text('ui_upscale_download_below')}", *[f"- {t}" for t in todo]])
    return verdict, (display(done.before), display(done.result.picture)), str(out_path), done.summary(), str(shared)


def _reporter(run_key: str, progress):
    """A run's progress to the bar over the result and to the line under the button (read by ``on_progress``)."""
    def report(fraction: float, words: str) -> None:
        progress(fraction, desc=words)
        _progress[run_key] = (fraction, words)

    return report


@plain_errors
def on_progress(run_id: str = "", request: gr.Request = None):
    """The line under the button while this page's run works: '42% — about 6 s left', or that it is stopping."""
    run_key = _run_key(request, run_id)
    if _early.get(run_key) or (run_key in _running and _running[run_key].is_set()):  # on its way, or between tiles
        return text("ui_upscale_cancelling")
    fraction, words = _progress.get(run_key, (0.0, ""))
    return text("ui_upscale_progress", percent=min(99, int(fraction * 100)), words=words) if fraction > 0 else words


@plain_errors
def on_cancel_shown(shown: str = "", run_id: str = "", request: gr.Request = None):
    """Once Cancel's answer is on the page: had the run ended before it arrived, its 'Cancelling' is stale; blank it."""
    run_key = _run_key(request, run_id)
    over = not _early.get(run_key) and run_key not in _running
    return "" if over and shown == text("ui_upscale_cancelling") else gr.skip()


@plain_errors
def on_failed(request: gr.Request = None):
    """The result line after a run that failed on a bug (plain failures end the run with their own line)."""
    return text("ui_common_not_done", reason=text("err_unexpected_page"))


@plain_errors
def on_cancel(run_id: str = "", request: gr.Request = None):
    """Stop this page's upscale between two tiles, or before it starts. The run says what was kept, in the result line;
    this answer goes under the button, as it may arrive after the run's own (which it must not replace)."""
    run_key = _run_key(request, run_id)
    with _flags_lock:
        if run_key in _finished or not (run_id or run_key in _running):
            return text("ui_upscale_nothing_to_cancel")
        if run_key in _running:
            _running[run_key].set()
        else:
            _early[run_key] = True
            if len(_early) > 4096:
                del _early[next(iter(_early))]
    return text("ui_upscale_cancelling")


def build(browser_key: gr.BrowserState, language: gr.Radio) -> None:
    """The tab's components and events (called inside ``gr.Blocks``); ``language`` is the page's switch."""
    examples = [str(p) for p in example_photos()]
    w = WORDS
    with gr.Tab(w("ui_upscale_tab"), id="upscale") as tab:
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=300):
                upload = gr.File(label=w("ui_upscale_photo"), file_count="single", elem_id="upload", height=120)
                info = gr.Markdown(elem_id="file-info", visible=False)
                notes = gr.Markdown(elem_id="advice", visible=False)
                with gr.Row():
                    use_compressed = gr.Button(w("ui_upscale_use_compressed"), visible=False, size="sm", elem_id="use-compressed")
                    pad_white = gr.Button(w("ui_upscale_pad_white"), visible=False, size="sm", elem_id="pad-white")
                with gr.Row():
                    scale = gr.Slider(1, 8, value=4, step=0.5, label=w("ui_upscale_scale"), elem_id="scale", min_width=180)
                    model = gr.Dropdown(model_choices(), value=AUTO, label=w("ui_common_model"), elem_id="model",
                                        allow_custom_value=True, min_width=180)
                white_square = gr.Checkbox(label=w("ui_upscale_white_square"), info=w("ui_upscale_white_square_info"),
                                           elem_id="white-square")
                with gr.Row():
                    run = gr.Button(w("ui_upscale_run"), variant="primary", elem_id="run", min_width=120)
                    cancel = gr.Button(w("ui_upscale_cancel"), elem_id="cancel", min_width=100)
                run_id = gr.Textbox(value="", visible=False)  # set by NAME_RUN; API callers send ""
                progress_line = gr.Markdown(elem_id="progress")
                ticker = gr.Timer(0.5, active=False)  # reads the run's progress while it works
                estimate = gr.Markdown(elem_id="estimate")
                with gr.Accordion(w("ui_upscale_more"), open=False, elem_id="more-options"):
                    with gr.Row():
                        fmt = gr.Radio(format_choices(), value="png", label=w("ui_upscale_format"))
                        quality = gr.Slider(50, 100, value=92, step=1, label=w("ui_common_quality", formats=images.QUALITY_FORMATS))
                    reference = gr.File(label=w("ui_upscale_reference"), file_count="single", height=90)
                    with gr.Accordion(w("ui_upscale_hub"), open=False):
                        repo = gr.Textbox(label=w("ui_upscale_repo"), placeholder=w("ui_upscale_repo_placeholder"))
                        filename = gr.Textbox(label=w("ui_upscale_filename"), placeholder=w("ui_upscale_filename_placeholder"))
                        revision = gr.Textbox(label=w("ui_upscale_revision"), placeholder=w("ui_upscale_revision_placeholder"))
                        token = gr.Textbox(label=w("ui_upscale_token"), type="password")
                        if ON_SPACE:
                            gr.LoginButton(w("ui_common_sign_in"))
            with gr.Column(scale=7, min_width=300):
                verdict = gr.Markdown(elem_id="verdict")
                slider = gr.ImageSlider(label=w("ui_upscale_slider"), format="png", type="numpy", elem_id="slider", height=420)
                download = gr.File(label=w("ui_upscale_download"), elem_id="download", height=60)
                share = gr.File(label=w("ui_common_share"), elem_id="share", height=60)
                shared = gr.State(None)
                with gr.Accordion(w("ui_upscale_details"), open=False, elem_id="details"):
                    figures = gr.Textbox(label=w("ui_upscale_figures"), lines=8, interactive=False, elem_id="figures")
                    gr.Markdown(w("ui_upscale_glossary"))
        if examples:
            gr.Examples(examples, inputs=[upload], label=w("ui_upscale_examples"))

    choices = [upload, model, scale, white_square, browser_key]
    quiet = {"api_name": False, "show_progress": "hidden"}
    upload.change(lambda: (None, None), None, [shared, share], **quiet)
    upload.change(on_preview, choices, [slider, info, notes, use_compressed, pad_white, download, verdict, figures],
                  api_name="preview", api_visibility="undocumented")
    gr.on([info.change, notes.change], None, js=KEEP_RUN_IN_VIEW)  # not one more event after each upload
    gr.on([model.change, scale.change, white_square.change], on_advice, choices, [notes, use_compressed, pad_white],
          **quiet)  # Automatic's sentence follows the photo, the scale and the model
    use_compressed.click(on_use_compressed, None, [model], api_name=False)
    pad_white.click(lambda: True, None, [white_square], api_name=False)
    estimate_inputs = [upload, model, scale, repo, browser_key]
    gr.on([upload.change, model.change, scale.change, repo.change], on_estimate, estimate_inputs, [estimate],
          api_name="estimate", api_visibility="undocumented", show_progress="hidden")
    # before the run's own event: Gradio runs a trigger's events one after another
    run.click(lambda: gr.Timer(active=True), None, [ticker], js=NAME_RUN, queue=False, **quiet)
    ticker.tick(on_progress, [run_id], [progress_line], js=RUN_ID, **quiet)
    run_event = run.click(
        on_run,
        [upload, model, scale, white_square, repo, filename, revision, token, reference, fmt, quality, browser_key, run_id],
        [verdict, slider, download, figures, shared], js=WITH_RUN_ID, api_name="upscale", api_visibility="undocumented",
        concurrency_limit=None,  # neural jobs are limited by srdemo.request.NEURAL_SLOTS, classic ones never wait
    )
    run_event.then(lambda: (gr.Timer(active=False), ""), None, [ticker, progress_line], **quiet)
    run_event.success(on_estimate, estimate_inputs, [estimate], **quiet).then(None, js=SCROLL_TO_RESULT)
    run_event.success(lambda path: path, [shared], [share], **quiet)
    run_event.failure(on_failed, None, [verdict], api_name=False)
    cancel.click(on_cancel, [run_id], [progress_line], js=RUN_ID, api_name="cancel", api_visibility="undocumented",
                 queue=False).then(on_cancel_shown, [progress_line, run_id], [progress_line], js=WITH_RUN_ID, queue=False, **quiet)
    gr.on([tab.select, language.change], on_refresh_models, [browser_key], [model], api_name="models",
          api_visibility="undocumented", show_progress="hidden")
