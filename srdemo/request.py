"""One upscale, described once (:class:`UpscaleRequest`) and run by one function (:func:`upscale`): the path
every adapter takes (tabs, batch, command line, Python API), so reference scoring, the metadata policy, the
model whitelist and the admission limits hold everywhere."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import advice, auto, images, metrics, models, speed, workspace
from .caller import Caller
from .devices import DEVICE_LOCK, MEMORY
from .engine import EngineOptions, ProgressFn, StopFn
from .errors import SrdemoError
from .images import Picture
from .metadata import MetadataPolicy
from .pipeline import UpscaleResult, job_memory, model_box, target_size, upscale_picture, with_self_check
from .presets import Preset, check_against, pad_to_canvas
from .wording import gain_sentence, model_label, speaking, text


@dataclass(frozen=True)
class UpscaleRequest:
    """Everything about one upscale except the photo itself. Values only: safe to log (the token is masked)."""

    model: str = auto.AUTO  # a model reference (see srdemo.models.resolve); "auto" (or "") = Automatic's choice per photo
    scale: float | None = 4.0  # used when there is neither a size nor a preset
    size: tuple[int, int] | None = None  # exact output (width, height)
    preset: Preset | None = None  # a marketplace preset: target size, canvas, rules, default format
    format: str | None = None  # png, jpeg or webp; None = the preset's format, else PNG
    quality: int = 92  # JPEG/WebP quality
    metadata: MetadataPolicy = MetadataPolicy()
    reference: bytes | str | Path | Picture | None = field(default=None, repr=False)  # the sharp original, to score against
    check: bool = True  # the round-trip self-check when there is no reference
    engine: EngineOptions | None = None  # device, tile, precision; None = from the settings
    caller: Caller = field(kw_only=True)  # who asks: required, so no adapter can forget it (``LOCAL`` for CLI/Python)

    @property
    def output_format(self) -> str:
        return images.output_format(self.format or (self.preset.format if self.preset else "png")).name.lower()

    def target(self, in_size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """(size the model's result is made at, size of the saved canvas), checked against the output limit."""
        if self.preset is not None:
            fitted, canvas = self.preset.target(in_size)
        else:
            fitted = canvas = target_size(in_size, self.scale, self.size)
        target_size(in_size, size=canvas)  # the canvas is what is allocated and saved
        return fitted, canvas


@dataclass
class Upscaled:
    """What one request produced: the file, and what to tell the person about it."""

    data: bytes  # the encoded file, as it is downloaded
    filename: str  # <input>_<model>_x<scale>.<ext>
    format: str
    picture: Picture  # the saved picture (on white for JPEG, on the preset's canvas)
    before: np.ndarray  # plain bicubic enlargement, uint8 RGB, the slider's left side
    result: UpscaleResult  # the model's output and its figures
    model: models.ModelSpec
    colour_difference: float  # mean CIEDE2000 between the photo and the result (what a shopper would see)
    advice: list[str] = field(default_factory=list)  # why Automatic chose the model, or a better model for this photo
    choice: str | None = None  # Automatic's sentence: which model it chose and why (None: the model was named)
    warnings: list[str] = field(default_factory=list)  # about the output (preset rules, colour, compression)
    notes: list[str] = field(default_factory=list)  # about how the photo was read (modes, profiles, frames)

    @property
    def seconds(self) -> float:
        return self.result.seconds

    @property
    def verdict(self) -> str:
        """One plain line before any figure: sharper, about the same, or worse than a plain enlargement."""
        return advice.verdict(self.result.comparison)

    def figures(self) -> list[str]:
        """The figures as plain lines for the UI and CLI."""
        r = self.result
        lines = [
            text("figure_model", model=model_label(self.model.id, self.model.label), model_id=r.model_id),
            text("figure_device", device=r.device),
            text("figure_time", seconds=r.seconds),
            text("figure_size", in_w=r.in_size[0], in_h=r.in_size[1], out_w=r.out_size[0], out_h=r.out_size[1],
                 scale=r.scale),
        ]
        c = r.comparison
        if c is not None:
            key = "figure_scores_reference" if c.kind == "reference" else "figure_scores_self_check"
            gain = text("gain_db", gain=c.gain_db) if math.isfinite(c.gain_db) else text("gain_none")
            lines.append(text(key, model=_scores(c.model), bicubic=_scores(c.bicubic), gain=gain))
            sentence = gain_sentence(c.kind, c.model.psnr, c.bicubic.psnr, r.scale)
            if sentence:
                lines.append(sentence)
        lines.append(text("figure_colour", delta_e=self.colour_difference))
        return lines + self.warnings + self.notes + self.advice

    def summary(self) -> str:
        return "\n".join(self.figures())

    def outcome(self) -> list[str]:
        """What a person reads first, in order: the verdict, the file made, then what to do about anything."""
        w, h = self.picture.size
        saved = text("outcome_saved", name=self.filename, width=w, height=h, size_mb=len(self.data) / 1e6)
        return [self.verdict, saved, *self.warnings, *self.advice]

    def save(self, folder: str | Path) -> Path:
        """Write the file into ``folder`` under its own name; returns its path."""
        path = Path(folder) / self.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path


def _scores(s: metrics.Scores) -> str:
    """A side's figures; a perfect rebuild (a flat photo) is 'exact', never 'inf dB'."""
    return text("scores", psnr=s.psnr, ssim=s.ssim) if math.isfinite(s.psnr) else text("scores_exact", ssim=s.ssim)


def read_picture(source: bytes | str | Path | Picture, name: str | None = None) -> Picture:
    """A decoded picture from bytes, a path or a Picture (passed through)."""
    return source if isinstance(source, Picture) else images.decode(source, name)


def named_model(request: UpscaleRequest) -> models.ModelSpec | None:
    """The model the request names, for its caller (a bad one fails here, once); None when Automatic chooses per photo."""
    return None if auto.is_auto(request.model) else models.resolve(request.model, request.caller)


def pick_model(pic: Picture, request: UpscaleRequest, out_size: tuple[int, int]) -> tuple[models.ModelSpec, str | None]:
    """The model this job runs: the one the request names, or Automatic's choice for this photo with its sentence."""
    if auto.is_auto(request.model):
        choice = auto.choose(pic, out_size, request.caller, (request.engine or EngineOptions.from_settings()).device)
        return choice.spec, choice.reason
    return models.resolve(request.model, request.caller), None


def estimate(source: bytes | str | Path | Picture | None, request: UpscaleRequest, name: str | None = None) -> str:
    """What this job would take here, in a sentence, before it runs (nothing is run or downloaded); without a
    photo, only what needs none ("" for a neural model and for Automatic, which chooses from the photo)."""
    if auto.is_auto(request.model):
        if source is None:
            return ""
        pic = read_picture(source, name)
        spec, _ = pick_model(pic, request, request.target(pic.size)[0])
        return estimate(pic, replace(request, model=spec.id))
    spec = models.resolve(request.model, request.caller)
    if not spec.is_neural:
        return text("estimate_instant")
    if models.availability(spec) != "ready":
        return text("estimate_needs_download")
    if source is None:
        return ""
    pic = read_picture(source, name)
    fitted, _ = request.target(pic.size)
    return speed.sentence(speed.plan(models.load(spec, request.caller), pic.size, fitted, box=model_box(pic)))


@DEVICE_LOCK.working()
def upscale(source: bytes | str | Path | Picture, request: UpscaleRequest, *, name: str | None = None,
            progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> Upscaled:
    """Decode ``source`` (``name`` names bytes, and so the output), upscale it as ``request`` says, encode the file.
    ``progress(fraction, message)`` and ``should_stop()`` come from the adapter; cancelling raises ``Cancelled``."""
    pic = read_picture(source, name)
    fmt = request.output_format
    if not isinstance(request.quality, int) or not 1 <= request.quality <= 100:
        raise SrdemoError(text("err_quality"))
    fitted, canvas = request.target(pic.size)
    reference = read_picture(request.reference, "reference") if request.reference is not None else None
    if progress is not None:
        progress(0.0, text("loading_model"))
    options = request.engine or EngineOptions.from_settings()
    spec, choice = pick_model(pic, request, fitted)
    model = models.load(spec, request.caller)
    plan = speed.admit(model, pic.size, fitted, options, model_box(pic))  # white margins cost no model time
    if not request.caller.trusted:  # a visitor's file must fit their disk budget (a file is no bigger than its pixels)
        raw = canvas[0] * canvas[1] * pic.rgb.itemsize * (3 if pic.alpha is None else 4)
        workspace.check_room(request.caller.owner, raw, "err_owner_disk_result")
    waiting = None if progress is None else (lambda: progress(0.0, text("waiting_for_device")))
    with MEMORY.hold(job_memory(model, pic, fitted), waiting, should_stop):  # its memory, in line, until its file is encoded
        result = upscale_picture(model, pic, size=fitted, reference=reference, check=False, options=options,
                                 progress=progress, should_stop=should_stop)
        speed.record(plan, result.seconds)

        # JPEG keeps no transparency; a preset that asks for pure white gets it, not a transparent canvas.
        on_white = fmt == "jpeg" or (request.preset is not None and request.preset.white_background)
        saved = images.on_white(result.picture) if on_white else result.picture
        warnings = advice.input_warnings(pic, model.spec)
        if request.preset is not None:
            if fitted[0] <= pic.size[0] and fitted[1] <= pic.size[1]:
                warnings.append(text("warn_large_enough"))
            saved = pad_to_canvas(saved, canvas)
            warnings += check_against(saved, request.preset)
        elif saved.alpha is not None:
            warnings.append(text("warn_transparent_kept"))
        # The file is written (Pillow lets go of the GIL) while the figures are worked out; its notes in the visitor's language.
        dropped: list[str] = []
        with ThreadPoolExecutor(1) as pool:
            encoding = pool.submit(speaking(images.encode), saved, fmt, request.quality, request.metadata, dropped)
            if reference is None and request.check:
                result = with_self_check(result, model, pic, options)
            colour = metrics.colour_difference(images.visible_rgb(pic), images.visible_rgb(result.picture))
            data = encoding.result()
    warnings += advice.colour_warnings(colour) + dropped
    return Upscaled(data, images.output_name(pic.name, model.spec.file_slug, result.scale, fmt), fmt, saved, result.bicubic,
                    result, model.spec, colour, choice=choice, warnings=warnings,
                    advice=[choice] if choice else advice.model_hints(model.spec, model.scale, pic, result.scale),
                    notes=[*pic.notes, *([text("err_self_check_small")] if result.check_skipped else [])])
