"""Which model suits this photo, and what to say about a finished output, in ``srdemo.wording``'s sentences."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .images import Picture
from .metrics import Comparison
from .models import ModelSpec, builtin_specs, default_model
from .presets import background
from .wording import model_label, text

COMPRESSED_JPEG = 90  # estimated JPEG quality below which a photo counts as compressed
HEAVY_JPEG = 60  # estimated JPEG quality below which artefacts are "heavy"
COLOUR_LIMIT = 2.0  # mean CIEDE2000 above which colours visibly shifted
LARGE_SIDE = 2000  # px on the longest side: what the big marketplaces ask for their zoomable main image
TINY_SIDE = 100  # px on the longest side below which a photo is a thumbnail: details can only be guessed
MUCH_SHARPER_DB = 1.0  # gain over bicubic from which the result is "much sharper"
SAME_DB = 0.3  # gains within this of zero read as "about the same" (the spread between similar photos)


@dataclass(frozen=True)
class UploadNote:
    """One thing worth knowing about a photo before it is run, and the page's one-click fix if there is one."""

    sentence: str
    action: str | None = None  # "compressed_model" (switch to model_id), "white_square" (pad to a white square)
    model_id: str | None = None


def compressed_model() -> ModelSpec | None:
    """The built-in model trained for compressed photos (what every JPEG tip points at), if it ships."""
    return next((s for s in builtin_specs() if s.for_compressed), None)


def _better_for_jpeg(pic: Picture, spec: ModelSpec | None) -> ModelSpec | None:
    """The model for compressed photos when ``pic`` is a compressed JPEG and ``spec`` is not already that model."""
    other = compressed_model()
    compressed = pic.jpeg_quality is not None and pic.jpeg_quality < COMPRESSED_JPEG
    return other if compressed and other is not None and not (spec and spec.for_compressed) else None


def upload_notes(pic: Picture, spec: ModelSpec | None = None, scale: float = 4) -> list[UploadNote]:
    """What to tell a merchandiser the moment a photo is read, before anything runs."""
    notes = []
    if other := _better_for_jpeg(pic, spec):
        notes.append(UploadNote(text("upload_compressed", quality=pic.jpeg_quality, label=model_label(other.id, other.label)),
                                "compressed_model", other.id))
    if pic.alpha is not None and (pic.alpha < pic.max_value).any():
        notes.append(UploadNote(text("upload_transparent"), "white_square"))
    elif background(pic) == "grey":  # meant as white; a shelf or a room is a choice, not a slip
        notes.append(UploadNote(text("upload_not_white")))
    longest = max(pic.size)
    if longest >= LARGE_SIDE:
        notes.append(UploadNote(text("upload_large", width=pic.size[0], height=pic.size[1], side=LARGE_SIDE)))
    elif longest < TINY_SIDE:
        notes.append(UploadNote(text("upload_tiny", width=pic.size[0], height=pic.size[1])))
    return notes


def verdict(comparison: Comparison | None) -> str:
    """One plain line on how the result compares with a plain enlargement, before any number."""
    if comparison is None:
        return text("verdict_unchecked")
    gain = comparison.gain_db
    if not math.isfinite(gain) or abs(gain) < SAME_DB:
        return text("verdict_same")
    if gain < 0:
        return text("verdict_worse")
    return text("verdict_much_sharper" if gain >= MUCH_SHARPER_DB else "verdict_sharper")


def model_hints(spec: ModelSpec, native_scale: int, pic: Picture, scale: float) -> list[str]:
    """Point at a built-in model that suits this photo better than ``spec`` (``native_scale``: the loaded model's own)."""
    hints = []
    other = _better_for_jpeg(pic, spec)
    if other and round(scale) in other.scales:
        hints.append(text("hint_compressed", quality=pic.jpeg_quality, label=model_label(other.id, other.label),
                          model_id=other.id))
    if spec.is_neural and native_scale != scale:  # e.g. an x4 model shrunk to x2: slower, and not what it learnt
        made_for_it = default_model(scale)
        if made_for_it.kind == "builtin":
            hints.append(text("hint_native_scale", label=model_label(made_for_it.id, made_for_it.label),
                              model_id=made_for_it.id, scale=scale, native=native_scale))
    return hints


def input_warnings(pic: Picture, spec: ModelSpec | None = None) -> list[str]:
    """Heavy compression, and what to do about it: the model for compressed photos, or with it already, a better original."""
    if pic.jpeg_quality is None or pic.jpeg_quality >= HEAVY_JPEG:
        return []
    if other := _better_for_jpeg(pic, spec):  # heavy is compressed: None when that model is missing or already chosen
        return [text("warn_heavy_jpeg", quality=pic.jpeg_quality, model_id=other.id)]
    return [text("warn_heavy_jpeg_left", quality=pic.jpeg_quality)]


def colour_warnings(delta_e: float) -> list[str]:
    return [text("warn_colour_shift", delta_e=delta_e)] if delta_e > COLOUR_LIMIT else []
