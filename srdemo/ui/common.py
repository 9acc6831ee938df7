"""What every tab shares: who owns a job, how uploads are read, how results are served and shown."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from .. import images, models, workspace
from ..auto import AUTO
from ..caller import ANONYMOUS, ANYONE, Caller, mint_key, owner_of_key
from ..errors import SrdemoError
from ..wording import LANGUAGES, language, model_label, pick_language, text, translated

try:  # On a ZeroGPU Space, GPU work must be declared; elsewhere this is a no-op.
    from spaces import GPU as gpu
except ImportError:  # pragma: no cover - depends on the platform
    def gpu(fn):
        return fn

ZERO_GPU = bool(os.environ.get("SPACES_ZERO_GPU"))
ON_SPACE = bool(os.environ.get("SPACE_ID"))  # visitors may sign in on a Hugging Face Space, not locally

logger = logging.getLogger(__name__)
PREVIEW_PIXELS = 4_000_000  # the slider shows at most ~4 MP; the download is full size
_language_choice: dict[str, str] = {}  # page session -> the language picked on its switch (the newest 10,000 pages)


def session_of(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "local"


def choose_language(choice: str | None, request: gr.Request | None) -> str:
    """Record the page's language switch for this page's later events; return the language it speaks."""
    if choice in LANGUAGES:
        session = session_of(request)
        _language_choice.pop(session, None)
        _language_choice[session] = choice
        if len(_language_choice) > 10_000:
            del _language_choice[next(iter(_language_choice))]
    return request_language(request)


def request_language(request: gr.Request | None) -> str:
    """The page's switch if it was used, else the browser's Accept-Language, else English."""
    headers = getattr(request, "headers", None) or {}
    return pick_language(_language_choice.get(session_of(request)), headers.get("accept-language"))


DEFAULT_TITLE = inspect.signature(gr.Error).parameters["title"].default  # Gradio's English pop-up heading


def plain_errors(handler):
    """Run an event handler in the visitor's language; its errors shown as a plain sentence under a heading in
    that language (a bug's details go to the server log only, never to the page)."""

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        request = next((a for a in (*args, *kwargs.values()) if isinstance(a, gr.Request)), None)
        with language(request_language(request)):
            try:
                return handler(*args, **kwargs)
            except gr.Error as exc:
                if exc.title == DEFAULT_TITLE:
                    exc.title = text("ui_popup_title")
                raise
            except SrdemoError as exc:
                raise gr.Error(str(exc), title=text("ui_popup_title")) from None
            except Exception:
                logger.exception("unexpected error in %s", handler.__name__)
                raise gr.Error(text("err_unexpected_page"), title=text("ui_popup_title")) from None

    return wrapped


def not_done(exc: SrdemoError, skipped: int):
    """A plain failure said once, in the line that would have confirmed the action (not as a pop-up or red badges);
    the ``skipped`` outputs after it keep what they showed."""
    line = text("ui_common_not_done", reason=str(exc))
    return (line, *[gr.skip()] * skipped) if skipped else line


def format_choices() -> list[tuple[str, str]]:
    """The file types as people write them (PNG, JPEG, WebP), with srdemo's format names as values."""
    return [(f.name, key) for key, f in images.FORMATS.items()]


def model_choices(caller: Caller | None = None) -> list[tuple[str, str]]:
    """The model dropdown: Automatic first, then what this visitor may pick (their own trained models first)."""
    out = [(model_label(AUTO, ""), AUTO)]
    for spec in models.catalogue(caller or ANYONE):
        label = model_label(spec.id, spec.label)
        out.append((text("ui_common_needs_download", label=label) if models.availability(spec) != "ready" else label, spec.id))
    return out


@plain_errors
def on_refresh_models(key, request: gr.Request):
    """The model list in the page's language, with this owner's trained models (nobody else's)."""
    return gr.update(choices=model_choices(caller_of(key, request)))


def display(image: images.Picture | np.ndarray) -> np.ndarray:
    """RGB for the screen (transparency on white, 16-bit as 8-bit), downscaled to ~4 MP: never for scoring or download."""
    arr = image if isinstance(image, np.ndarray) else images.visible_rgb(image)
    h, w = arr.shape[:2]
    f = (PREVIEW_PIXELS / (h * w)) ** 0.5
    if f >= 1:
        return arr
    return np.asarray(Image.fromarray(arr).resize((max(1, int(w * f)), max(1, int(h * f))), Image.Resampling.LANCZOS))


def path_of(upload) -> str | None:
    if upload is None:
        return None
    return upload if isinstance(upload, str) else getattr(upload, "name", None) or upload.get("path")


def upload_path(upload) -> Path:
    """The uploaded file's path, or a plain message when nothing was uploaded."""
    path = path_of(upload)
    if not path:
        raise SrdemoError(text("err_no_image"))
    return Path(path)


def decode_upload(upload) -> images.Picture:
    """The uploaded photo, decoded once however many handlers read it (Gradio's upload path is unique per upload)."""
    path = upload_path(upload)
    stat = path.stat()
    return _decoded(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _decoded(path: str, mtime_ns: int, size: int) -> images.Picture:
    return images.decode(Path(path), name=Path(path).name)


def owner_of(key: str | None, request: gr.Request | None) -> str:
    """Who a job belongs to: the batch a batch id names; else the signed-in user on a Space; else the browser
    whose key this server minted; else ``ANONYMOUS``, who owns nothing (a made-up key is the same as none)."""
    user = getattr(request, "username", None)
    return owner_of_key(key, "batch") or (f"user:{user}" if user else None) or owner_of_key(key, "browser") or ANONYMOUS


def caller_of(browser_key: str | None, request: gr.Request | None, token: str | None = None, oauth_token=None) -> Caller:
    """The one place a page event, API call or agent's tool becomes a :class:`Caller`: always a visitor, with
    the typed token, else the signed-in user's own (never the Space owner's)."""
    typed = (token or "").strip()
    return Caller.visitor(owner_of(browser_key, request), typed or (oauth_token.token if oauth_token is not None else None))


def on_load_key(key: str | None) -> str:
    """A browser's owner key: the one it holds if this server minted it, else a new one (kept in its local storage)."""
    return key if owner_of_key(key, "browser") else mint_key("browser")


def served(path: Path, owner: str) -> str:
    """A copy of a result in the owner's scratch folder, which Gradio may serve (run folders are never exposed);
    made once per version of the file, however often the status is polled."""
    digest = hashlib.sha256(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:16]
    copy = workspace.scratch_dir(owner, digest) / path.name
    if not copy.exists():
        shutil.copy(path, copy)
    return str(copy)


GRADIO_LOCALES = {"en": ("en",), "zh": ("zh-CN", "zh")}  # our language codes -> the browser locales Gradio matches
GRADIO_GAPS = {"common.complete": "ui_gradio_complete"}  # Gradio's own front-end words its zh-CN table lacks
_I18N_PREFIX = "__i18n__"
_WORDED_PROPS = ("label", "info", "placeholder", "value", "title", "x_title", "y_title")


class PageWords:
    """The page's fixed words, each a ``gr.I18n`` key: the first render is in the browser's language with no round
    trip, and ``switch`` turns them all into the language picked on the page. Both from ``srdemo.wording``."""

    def __init__(self) -> None:
        self.i18n = gr.I18n(**{loc: {} for locales in GRADIO_LOCALES.values() for loc in locales})
        self._sources: dict[str, Callable[[str], str]] = {}  # I18n key -> its words in a language
        for ident, key in GRADIO_GAPS.items():
            self._word(ident, functools.partial(text, key))

    def __call__(self, key: str, **params):
        ident = key if not params else f"{key}:{hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()[:8]}"
        return self._word(ident, lambda lang: text(key, lang, **params))

    def fact(self, kind: str, fact_id: str, english: str):
        """A model's or preset's words (``wording.translated``), such as a preset's label."""
        return self._word(f"{kind}_{fact_id}", lambda lang: translated(kind, fact_id, english, lang))

    def _word(self, ident: str, say: Callable[[str], str]):
        self._sources[ident] = say
        for lang, locales in GRADIO_LOCALES.items():
            for loc in locales:
                self.i18n.translations[loc][ident] = say(lang)
        return self.i18n(ident)

    def _words(self, value, lang: str) -> str | None:
        """The text of an I18n key held by a component (as the object or as Gradio's string form), else None."""
        raw = str(value) if value is not None else ""
        if not raw.startswith(_I18N_PREFIX):
            return None
        return self._sources[json.loads(raw[len(_I18N_PREFIX):])["key"]](lang)

    def switch(self, demo: gr.Blocks) -> tuple[list, Callable[[str], list]]:
        """The blocks of ``demo`` that show these words, and ``relabel(lang)``, their updates to that language."""
        worded = []
        for block in demo.blocks.values():
            props = [p for p in _WORDED_PROPS if self._words(getattr(block, p, None), "en") is not None]
            if any(isinstance(c, tuple) and self._words(c[0], "en") is not None for c in getattr(block, "choices", None) or []):
                props.append("choices")
            if props:
                worded.append((block, props))

        def say(block, prop: str, lang: str):
            if prop == "choices":
                return [(self._words(label, lang) or label, value) for label, value in block.choices]
            return self._words(getattr(block, prop), lang)

        def relabel(lang: str) -> list:
            return [gr.update(**{prop: say(block, prop, lang) for prop in props}) for block, props in worded]

        return [block for block, _ in worded], relabel


WORDS = PageWords()  # the app's one catalogue of page words (tabs call ``WORDS("ui_...")`` for a label)
