"""From a decoded picture to an upscaled picture with figures you can trust.

This is where image modes are handled around the engine (alpha, greyscale,
16-bit), where product-photo guarantees are enforced (pure white stays pure
white, alpha stays crisp with no dark fringe), and where the quality figures
are computed. Adapters do not call it directly: they go through
``srdemo.request.upscale``, which adds admission, advice and encoding.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from . import metrics
from .devices import device_label, pick_device
from .engine import Box, EngineOptions, ProgressFn, StopFn, content_box, upscale_array
from .errors import SrdemoError
from .images import Picture, visible_rgb, white_mask
from .models import LoadedModel
from .resampling import resample
from .settings import get_settings
from .wording import current_language, progress_words, text


@dataclass
class UpscaleResult:
    picture: Picture  # the full-size result: what is downloaded and scored
    bicubic: np.ndarray  # uint8 RGB bicubic enlargement to the same size (transparency on white), the slider's 'before'
    model_id: str
    device: str
    seconds: float
    in_size: tuple[int, int]
    out_size: tuple[int, int]
    comparison: metrics.Comparison | None
    scale: float
    check_skipped: bool = False  # the photo was too small for a self-check at this scale


def target_size(in_size: tuple[int, int], scale: float | None = None, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Output (width, height) from a scale or an explicit size, checked against the output limit."""
    if size is None:
        if scale is None or not (0 < scale <= 16):
            raise SrdemoError(text("err_scale"))
        size = (max(1, round(in_size[0] * scale)), max(1, round(in_size[1] * scale)))
    limit = get_settings().max_output_pixels
    if size[0] * size[1] > limit:
        raise SrdemoError(
            text("err_output_too_big", width=size[0], height=size[1], megapixels=size[0] * size[1] / 1e6, limit=limit / 1e6)
        )
    return size


MALLOC_SLACK = 1.3
"""How much more a resampler job's resident memory grows than the arrays ``resampler_memory`` counts:
freed blocks stay in the resize threads' malloc arenas (measured on Lanczos x2 of RGB noise)."""
SCORING_BYTES_PER_PIXEL = 150
"""The self-check per input pixel: the shrunk photo rebuilt in float32, and PSNR and SSIM (skimage, in
float64) of it and of bicubic; 606 MB at 2000x2000, measured."""


def resampler_memory(pic: Picture, size: tuple[int, int]) -> int:
    """Bytes a classic resampler's job takes at its peak, counted from what its steps allocate.

    Beside the decoded photo, the larger of two moments. Resizing (``upscale_pixels``, ``resample``):
    the float32 photo (12 B a pixel) and each channel's two copies handed to Pillow (24), Pillow's first
    pass (output width x input height, 4 B a channel: 12), the float32 result (12 B an output pixel) and,
    three channels at once, each channel's Pillow image with the bytes it is read out through (24).
    Finishing (``request.upscale``): the result and its file (at most its raw bytes), the bicubic
    'before' (3 B), Pillow's copy while encoding (4 B), and the self-check (``SCORING_BYTES_PER_PIXEL``)
    or, for a photo with transparency or 16 bits, the float32 composite on white the colour figure reads.
    """
    n, m, h = pic.size[0] * pic.size[1], size[0] * size[1], pic.size[1]
    decoded = pic.rgb.nbytes + (0 if pic.alpha is None else pic.alpha.nbytes)
    result = m * pic.rgb.itemsize * (3 if pic.alpha is None else 4)
    resize = 36 * n + 12 * size[0] * h + 36 * m
    composite = 40 * m if pic.alpha is not None or pic.rgb.itemsize > 1 else 0
    finish = 2 * result + 7 * m + max(SCORING_BYTES_PER_PIXEL * n, composite)
    return int(MALLOC_SLACK * (decoded + max(resize, finish)))


def job_memory(model: LoadedModel, pic: Picture, size: tuple[int, int]) -> int:
    """Bytes a job holds of the process's memory budget (``devices.MEMORY``) while it runs: a neural
    job its share of ``SRDEMO_MEMORY_MB`` (its passes' pieces are sized to fill it, ``engine.piece_area``),
    a classic resampler what its pixels take (``resampler_memory``)."""
    if model.is_neural:
        settings = get_settings()
        return settings.memory_bytes // settings.neural_jobs
    return resampler_memory(pic, size)


def bleed_transparent(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Give fully transparent pixels the colour of the nearest visible one.

    Cut-outs often store black under transparent pixels; a model would blend
    that black into the product's edge (a dark fringe). Nearest-colour fill
    keeps edges clean without changing any visible pixel.
    """
    from scipy import ndimage  # here: scipy's import is a quarter second of every command, ``--help`` too

    hidden = alpha == 0
    if not hidden.any() or hidden.all():
        return rgb
    _, (iy, ix) = ndimage.distance_transform_edt(hidden, return_indices=True)
    return rgb[iy, ix]


def forced_white(pic: Picture) -> np.ndarray:
    """Input pixels whose output is set to pure white: white themselves and in their whole 3x3 neighbourhood.

    Marketplaces ask for a pure white (255) background; models leave 253-254 specks in flat white. This
    is also what the model need not compute at all (``engine.content_box``): its output there is overwritten.
    """
    from scipy import ndimage

    mask = white_mask(pic.rgb, pic.max_value)
    if not mask.any():
        return mask
    return ndimage.binary_erosion(mask, structure=np.ones((3, 3)), border_value=1)


def model_box(pic: Picture) -> Box | None:
    """The part of ``pic`` a model pass must compute (``engine.content_box`` of its forced white)."""
    return content_box(forced_white(pic))


def keep_pure_white(out: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Set output pixels to exactly white where the input pixel under them is ``forced`` white.

    ``out`` is 8- or 16-bit, so white is every bit set: an OR with the mask does it in place, 3x faster
    than a masked assignment.
    """
    if not forced.any():
        return out
    ys = (np.arange(out.shape[0]) * forced.shape[0]) // out.shape[0]
    xs = (np.arange(out.shape[1]) * forced.shape[1]) // out.shape[1]
    out |= forced[ys][:, xs].astype(out.dtype)[..., None] * np.iinfo(out.dtype).max
    return out


def upscale_alpha(alpha: np.ndarray, size: tuple[int, int], max_value: int) -> np.ndarray:
    """Alpha is a mask, not a photo: upscale it with Lanczos, but never beyond
    the range of the source pixels within 2 px (no ringing), and snap values
    within 1% of transparent/opaque. Flat areas stay exactly 0 or max."""
    from scipy import ndimage

    src = alpha.astype(np.float32) / max_value
    a = resample(src[..., None], size, "lanczos")[..., 0]
    ys = (np.arange(size[1]) * src.shape[0]) // size[1]
    xs = (np.arange(size[0]) * src.shape[1]) // size[0]
    lo = ndimage.minimum_filter(src, size=5)[ys][:, xs]
    hi = ndimage.maximum_filter(src, size=5)[ys][:, xs]
    a = np.clip(a, lo, hi)
    a[a < 0.01] = 0
    a[a > 0.99] = 1
    return a


def _to_dtype(arr: np.ndarray, max_value: int) -> np.ndarray:
    """[0, 1] floats to integers, rounding half up (values are already clamped).

    Works in place on ``arr`` (a 64 MP float result is 768 MB; copies would double that).
    """
    dtype = np.uint16 if max_value > 255 else np.uint8
    arr *= max_value
    arr += 0.5
    return arr.astype(dtype)


def plain_progress(progress: ProgressFn | None, clock=time.monotonic) -> ProgressFn | None:
    """The engine's fraction passed on with the time left at the pace so far ('about 6 s left'), in the
    request's language: its passes and tiles ('pass 1/1, tile 2/12') are its own business, not a person's."""
    if progress is None:
        return None
    start, lang = clock(), current_language()
    return lambda fraction, _said: progress(fraction, progress_words(fraction, clock() - start, lang))


def upscale_pixels(
    model: LoadedModel,
    pic: Picture,
    size: tuple[int, int],
    options: EngineOptions = EngineOptions(),
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> Picture:
    """The model's output as a Picture of the same kind (grey, alpha, bit depth) as the input."""
    rgb = pic.rgb.astype(np.float32) / pic.max_value
    if pic.alpha is not None:
        rgb = bleed_transparent(rgb, pic.alpha)
    forced = forced_white(pic)
    out = upscale_array(model, rgb, size, options, plain_progress(progress), should_stop, box=content_box(forced))
    if pic.grey:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    out = keep_pure_white(_to_dtype(out, pic.max_value), forced)  # on integers: 4x less to touch
    alpha = None
    if pic.alpha is not None:
        a = upscale_alpha(pic.alpha, size, pic.max_value)
        alpha = _to_dtype(a, pic.max_value)
    return pic.with_pixels(out, alpha)


def _bicubic(pic_rgb8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The plain enlargement every figure compares with (Pillow bicubic, in 8 bits to stay small)."""
    return np.asarray(Image.fromarray(pic_rgb8).resize(size, Image.Resampling.BICUBIC))


def self_check(model: LoadedModel, pic: Picture, scale: float, options: EngineOptions = EngineOptions()) -> metrics.Comparison:
    """Shrink the input by ``scale``, rebuild it with the model and with bicubic, score both against it."""
    src = visible_rgb(pic)
    h, w = src.shape[:2]
    small_size = (max(1, round(w / scale)), max(1, round(h / scale)))
    if min(small_size) < 8:
        raise SrdemoError(text("err_self_check_small"))
    small = _bicubic(src, small_size)
    shrunk = pic.with_pixels(small, None)
    rebuilt = upscale_pixels(model, shrunk, (w, h), options).rgb
    border = math.ceil(scale)
    return metrics.Comparison("self-check", metrics.score(rebuilt, src, border), metrics.score(_bicubic(small, (w, h)), src, border))


def upscale_picture(
    model: LoadedModel,
    pic: Picture,
    scale: float | None = None,
    size: tuple[int, int] | None = None,
    *,
    reference: Picture | None = None,
    check: bool = True,
    options: EngineOptions | None = None,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> UpscaleResult:
    """Upscale one picture and measure it.

    With a ``reference`` (the sharp original), scores are full-reference;
    otherwise, if ``check``, the round-trip self-check is run.
    """
    options = options or EngineOptions.from_settings()
    out_size = target_size(pic.size, scale, size)
    scale_used = max(out_size[0] / pic.size[0], out_size[1] / pic.size[1])
    device = pick_device(options.device)
    if reference is not None and reference.size != out_size:
        raise SrdemoError(text("err_reference_size", ref_w=reference.size[0], ref_h=reference.size[1],
                               out_w=out_size[0], out_h=out_size[1]))

    start = time.perf_counter()
    result_pic = upscale_pixels(model, pic, out_size, options, progress, should_stop)
    seconds = time.perf_counter() - start

    bicubic = _bicubic(visible_rgb(pic), out_size)
    comparison = None
    if reference is not None:
        border = math.ceil(scale_used)
        comparison = metrics.Comparison(
            "reference",
            metrics.score(visible_rgb(result_pic), visible_rgb(reference), border),
            metrics.score(bicubic, visible_rgb(reference), border),
        )
    result = UpscaleResult(
        result_pic, bicubic, model.spec.id, device_label(device), seconds, pic.size, out_size, comparison, scale_used,
    )
    return with_self_check(result, model, pic, options) if reference is None and check else result


def with_self_check(result: UpscaleResult, model: LoadedModel, pic: Picture, options: EngineOptions) -> UpscaleResult:
    """The result with its self-check figures (or the note that the photo is too small for one).

    Separate from ``upscale_picture`` so ``request.upscale`` can run it while the file is being encoded.
    """
    try:
        return replace(result, comparison=self_check(model, pic, result.scale, options))
    except SrdemoError:
        return replace(result, check_skipped=True)  # too small to shrink at this scale
