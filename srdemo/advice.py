"""Which model suits this photo, and what to say about a finished output.

Facts come in (the photo's estimated JPEG quality, transparency, size, the
scale asked, the preset's rules); plain sentences go out, worded by
``srdemo.wording``. Nothing here runs a model.
"""

from __future__ import annotations

from .images import Picture
from .models import ModelSpec, builtin_specs, default_model
from .wording import text

COMPRESSED_JPEG = 90  # estimated JPEG quality below which a photo counts as compressed
HEAVY_JPEG = 60  # estimated JPEG quality below which artefacts are "heavy"
COLOUR_LIMIT = 2.0  # mean CIEDE2000 above which colours visibly shifted


def model_hints(spec: ModelSpec, native_scale: int, pic: Picture, scale: float) -> list[str]:
    """Point at a built-in model that suits this photo better than ``spec``, if there is one.

    Named by its label (what the app's list shows) and its id (what ``--model`` takes).
    ``native_scale`` is the loaded model's own scale (a local file's is known only once loaded).
    """
    hints = []
    if pic.jpeg_quality is not None and pic.jpeg_quality < COMPRESSED_JPEG and not spec.for_compressed:
        hints += [
            text("hint_compressed", quality=pic.jpeg_quality, label=other.label, model_id=other.id)
            for other in builtin_specs()
            if other.for_compressed and round(scale) in other.scales
        ]
    if spec.is_neural and native_scale != scale:  # e.g. an x4 model shrunk to x2: slower, and not what it learnt
        made_for_it = default_model(scale)
        if made_for_it.kind == "builtin":
            hints.append(text("hint_native_scale", label=made_for_it.label, model_id=made_for_it.id, scale=scale,
                              native=native_scale))
    return hints


def input_warnings(pic: Picture) -> list[str]:
    """What the photo itself brings (heavy compression), before any model runs."""
    if pic.jpeg_quality is not None and pic.jpeg_quality < HEAVY_JPEG:
        return [text("warn_heavy_jpeg", quality=pic.jpeg_quality)]
    return []


def colour_warnings(delta_e: float) -> list[str]:
    return [text("warn_colour_shift", delta_e=delta_e)] if delta_e > COLOUR_LIMIT else []
