"""Every sentence srdemo says to a person, looked up by key with named parameters.

Computation modules return numbers and facts; they turn them into words only
here, through ``text(key, **params)`` or the small functions below that choose
between keys. A second language is a second table with the same keys
(``MESSAGES[lang]``); a key missing there falls back to English, and a test
checks that every key used in the package exists and that each language's
templates name the same parameters.
"""

from __future__ import annotations

import math
import string

DEFAULT_LANGUAGE = "en"

EN: dict[str, str] = {
    # ---- the figures of one upscale
    "figure_model": "Model: {model}",
    "figure_device": "Device: {device}",
    "figure_time": "Time: {seconds:.2f} s",
    "figure_size": "Size: {in_w}x{in_h} -> {out_w}x{out_h} (x{scale:g})",
    "figure_scores_reference": "Against your reference: model {model}, bicubic {bicubic}, gain {gain:+.2f} dB",
    "figure_scores_self_check": "Self-check (round trip): model {model}, bicubic {bicubic}, gain {gain:+.2f} dB",
    "figure_colour": "Colour difference from your photo: {delta_e:.2f} (mean CIEDE2000; under 2 is hard to see)",
    "scores": "{psnr:.2f} dB / SSIM {ssim:.4f}",
    "gain_reference": (
        "Against your reference image the model is {amount:.2f} dB {direction} it than plain bicubic "
        "(PSNR {model_db:.2f} vs {bicubic_db:.2f} dB; higher is more faithful)."
    ),
    "gain_self_check": (
        "Self-check: your image was shrunk x{scale:g} and rebuilt. The model came {amount:.2f} dB {direction} the "
        "original than plain bicubic ({model_db:.2f} vs {bicubic_db:.2f} dB). This measures clean downscaling only; "
        "it cannot see JPEG artefacts, blur or noise in your photo."
    ),
    "closer_to": "closer to",
    "further_from": "further from",
    "device_gpu": "GPU ({name})",
    "device_mps": "Apple GPU (MPS)",
    "device_cpu": "CPU ({threads} threads)",
    # ---- advice: a better model for this photo
    "hint_compressed": (
        "This photo was saved as JPEG at quality ~{quality}: try '{label}' ({model_id}), trained on compressed "
        "photos to remove their blocks instead of enlarging them."
    ),
    "hint_native_scale": (
        "'{label}' ({model_id}) is made for x{scale:g}: try it at this scale (faster than an x{native} model shrunk to fit)."
    ),
    # ---- warnings about one output (batch report, figures)
    "warn_heavy_jpeg": "heavy JPEG artefacts (saved at quality ~{quality})",
    "warn_large_enough": "already large enough",
    "warn_transparent_kept": "transparent background kept",
    "warn_not_white": "background not pure white",
    "warn_fill": "product fills {fill:.0%} of the frame; {preset} asks for {min_fill:.0%}",
    "warn_colour_shift": "colours shifted (mean dE2000 {delta_e:.1f})",
    # ---- time
    "estimate": "About {seconds:.1f} s on this {device} (measured {speed:.2f} output MP/s).",
    "estimate_unmeasured": "Speed on this {device} not measured yet; it is measured before the first run.",
    "estimate_instant": "Instant (classic resampling).",
    "estimate_hub": "Hub model: speed is measured on first use.",
    "estimate_needs_download": "This model needs downloading first (the machine must be online).",
    "waiting_for_device": "Waiting for the device",
    "loading_model": "Loading model",
    # ---- A/B
    "ab_same": "B scores the same as A {where}",
    "ab_diff": "B is {amount:.1f} dB {direction} {where}",
    "ab_closer": "closer",
    "ab_further": "further",
    "ab_where_reference": "against your reference",
    "ab_where_self_check": "on the round-trip check",
    "ab_no_check": "No quality check was run",
    "ab_sentence": "{quality} and {speed} ({b_seconds:.2f} s vs {a_seconds:.2f} s).",
    "ab_about_as_fast": "about as fast",
    "ab_slower": "{ratio:.1f}x slower",
    "ab_faster": "{ratio:.1f}x faster",
    "ab_compressed_caveat": (
        " {side} is trained for compressed (JPEG) photos; the self-check measures clean downscaling only, "
        "so it understates {side} on such photos."
    ),
    # ---- errors a request can meet
    "err_scale": "Please choose a scale between 1 and 16.",
    "err_output_too_big": (
        "The result would be {width}x{height} ({megapixels:.0f} MP); the limit is {limit:.0f} MP. Choose a smaller scale."
    ),
    "err_reference_size": (
        "The reference image is {ref_w}x{ref_h} but the result is {out_w}x{out_h}. Give the sharp original at the "
        "output size."
    ),
    "err_self_check_small": "The image is too small for a self-check at this scale.",
    "err_format": "Unknown output format '{fmt}'. Choose one of: {choices}.",
    "err_quality": "The quality must be a whole number from 1 to 100.",
    "err_no_image": "Please upload an {what} first.",
    "too_slow_on_cpu": (
        "This would take about {minutes:.0f} min on this CPU, more than the {cap_minutes:.0f} min allowed. "
        "Choose a smaller scale, a faster model, or run it on a GPU."
    ),
    # ---- models
    "err_choose_model": "Please choose a model.",
    "err_unknown_model": "Unknown model '{ref}'. Choose one of: {known}; or a weights file path; or 'owner/repo:file'.",
    "err_unknown_model_app": "Unknown model '{ref}'. Pick one from the list, or use the Hub fields.",
    "err_not_your_run": "That trained model is not yours or no longer exists.",
    "err_weights_missing": "The weights file for '{model_id}' is missing.",
}

MESSAGES: dict[str, dict[str, str]] = {"en": EN}
"""Language code -> key -> template. Add a language by adding a table with the same keys."""


def text(key: str, lang: str | None = None, **params) -> str:
    """The sentence for ``key`` in ``lang`` (English when missing), filled with ``params``."""
    table = MESSAGES.get(lang or DEFAULT_LANGUAGE, EN)
    template = table.get(key, EN[key])
    return template.format(**params)


def parameters(template: str) -> set[str]:
    """The named parameters a template uses (for the consistency test)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}


def scores(psnr: float, ssim: float, lang: str | None = None) -> str:
    return text("scores", lang, psnr=psnr, ssim=ssim)


def gain_sentence(kind: str, model_db: float, bicubic_db: float, scale: float = 1.0, lang: str | None = None) -> str | None:
    """How much closer the model came than bicubic, in plain words; None when the gain has no meaning.

    Identical images score an infinite PSNR (a flat single-colour photo rebuilt exactly), and
    'inf dB further' helps nobody; such a comparison gets no sentence.
    """
    gain = model_db - bicubic_db
    if not math.isfinite(gain):
        return None
    direction = text("closer_to" if gain >= 0 else "further_from", lang)
    key = "gain_reference" if kind == "reference" else "gain_self_check"
    return text(key, lang, amount=abs(gain), direction=direction, model_db=model_db, bicubic_db=bicubic_db, scale=scale)
