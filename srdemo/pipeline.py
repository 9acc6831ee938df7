"""From a decoded picture to an upscaled one with its figures: image modes around the engine (alpha, grey, 16-bit)
and the product-photo guarantees (pure white stays white, crisp alpha, no dark fringe). Adapters use ``request.upscale``."""

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
        raise SrdemoError(text("err_output_too_big", width=size[0], height=size[1], megapixels=size[0] * size[1] / 1e6,
                               limit=limit / 1e6))
    return size


MALLOC_SLACK = 1.3  # resident memory grows this much more than the arrays counted: freed blocks stay in malloc arenas
SCORING_BYTES_PER_PIXEL = 150  # the self-check per input pixel: the rebuild in float32, PSNR and SSIM of it and of bicubic


def resampler_memory(pic: Picture, size: tuple[int, int]) -> int:
    """Bytes a classic resampler's job takes at its peak: the decoded photo and the larger of resizing (float32
    copies, Pillow's passes and result) and finishing (result, file, bicubic 'before', encoding, self-check or
    the float32 composite on white of a photo with transparency or 16 bits)."""
    n, m, h = pic.size[0] * pic.size[1], size[0] * size[1], pic.size[1]
    decoded = pic.rgb.nbytes + (0 if pic.alpha is None else pic.alpha.nbytes)
    result = m * pic.rgb.itemsize * (3 if pic.alpha is None else 4)
    resize = 36 * n + 12 * size[0] * h + 36 * m  # float32 photo and its copies for Pillow; Pillow's first pass; result, read-out
    composite = 40 * m if pic.alpha is not None or pic.rgb.itemsize > 1 else 0
    finish = 2 * result + 7 * m + max(SCORING_BYTES_PER_PIXEL * n, composite)  # 7: bicubic 'before' 3 B, encoder's copy 4
    return int(MALLOC_SLACK * (decoded + max(resize, finish)))


def job_memory(model: LoadedModel, pic: Picture, size: tuple[int, int]) -> int:
    """Bytes a job holds of the process's budget (``devices.MEMORY``): a neural job its share of
    ``SRDEMO_MEMORY_MB`` (its pieces are sized to fill it), a resampler what its pixels take."""
    settings = get_settings()
    return settings.memory_bytes // settings.neural_jobs if model.is_neural else resampler_memory(pic, size)


def bleed_transparent(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Fully transparent pixels take the nearest visible colour: the black cut-outs often store there would fringe the edge."""
    from scipy import ndimage  # here: scipy's import would slow every command, ``--help`` too

    hidden = alpha == 0
    if not hidden.any() or hidden.all():
        return rgb
    _, (iy, ix) = ndimage.distance_transform_edt(hidden, return_indices=True)
    return rgb[iy, ix]


def forced_white(pic: Picture) -> np.ndarray:
    """Input pixels whose output is set to pure white (marketplaces want 255, models leave 253-254): white
    in their whole 3x3 neighbourhood. The model need not compute them at all (``engine.content_box``)."""
    from scipy import ndimage

    mask = white_mask(pic.rgb, pic.max_value)
    if not mask.any():
        return mask
    return ndimage.binary_erosion(mask, structure=np.ones((3, 3)), border_value=1)


def model_box(pic: Picture) -> Box | None:
    """The part of ``pic`` a model pass must compute (``engine.content_box`` of its forced white)."""
    return content_box(forced_white(pic))


def _nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``mask`` resized to ``size`` (width, height) by nearest neighbour."""
    ys = (np.arange(size[1]) * mask.shape[0]) // size[1]
    xs = (np.arange(size[0]) * mask.shape[1]) // size[0]
    return mask[ys][:, xs]


def keep_pure_white(out: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Set output pixels to exactly white, in place, where the input pixel under them is ``forced`` white."""
    if forced.any():
        out |= _nearest(forced, (out.shape[1], out.shape[0])).astype(out.dtype)[..., None] * np.iinfo(out.dtype).max
    return out


def upscale_alpha(alpha: np.ndarray, size: tuple[int, int], max_value: int) -> np.ndarray:
    """Alpha is a mask: Lanczos, but never beyond the source's range within 2 px (no ringing), and within 1%
    of transparent or opaque snapped to it."""
    from scipy import ndimage

    src = alpha.astype(np.float32) / max_value
    a = resample(src[..., None], size, "lanczos")[..., 0]
    a = np.clip(a, _nearest(ndimage.minimum_filter(src, size=5), size), _nearest(ndimage.maximum_filter(src, size=5), size))
    a[a < 0.01] = 0
    a[a > 0.99] = 1
    return a


def _to_dtype(arr: np.ndarray, max_value: int) -> np.ndarray:
    """Clamped [0, 1] floats to integers, rounding half up; in place, as a big result has no memory to spare."""
    arr *= max_value
    arr += 0.5
    return arr.astype(np.uint16 if max_value > 255 else np.uint8)


def plain_progress(progress: ProgressFn | None, clock=time.monotonic) -> ProgressFn | None:
    """The engine's fraction passed on with the time left at its pace ('about 6 s left') in the request's language."""
    if progress is None:
        return None
    start, lang = clock(), current_language()
    return lambda fraction, _said: progress(fraction, progress_words(fraction, clock() - start, lang))


def upscale_pixels(model: LoadedModel, pic: Picture, size: tuple[int, int], options: EngineOptions = EngineOptions(),
                   progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> Picture:
    """The model's output as a Picture of the same kind (grey, alpha, bit depth) as the input."""
    rgb = pic.rgb.astype(np.float32) / pic.max_value
    if pic.alpha is not None:
        rgb = bleed_transparent(rgb, pic.alpha)
    forced = forced_white(pic)
    out = upscale_array(model, rgb, size, options, plain_progress(progress), should_stop, box=content_box(forced))
    if pic.grey:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    out = keep_pure_white(_to_dtype(out, pic.max_value), forced)
    alpha = None if pic.alpha is None else _to_dtype(upscale_alpha(pic.alpha, size, pic.max_value), pic.max_value)
    return pic.with_pixels(out, alpha)


def _bicubic(pic_rgb8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The plain enlargement every figure compares with (Pillow bicubic, in 8 bits to stay small)."""
    return np.asarray(Image.fromarray(pic_rgb8).resize(size, Image.Resampling.BICUBIC))


def upscale_picture(model: LoadedModel, pic: Picture, scale: float | None = None, size: tuple[int, int] | None = None, *,
                    reference: Picture | None = None, check: bool = True, options: EngineOptions | None = None,
                    progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> UpscaleResult:
    """Upscale one picture and measure it: against ``reference`` (the sharp original) if given, else self-check if ``check``."""
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
        sharp = visible_rgb(reference)
        comparison = metrics.Comparison("reference", metrics.score(visible_rgb(result_pic), sharp, border),
                                        metrics.score(bicubic, sharp, border))
    result = UpscaleResult(result_pic, bicubic, model.spec.id, device_label(device), seconds, pic.size, out_size, comparison,
                           scale_used)
    return with_self_check(result, model, pic, options) if reference is None and check else result


def with_self_check(result: UpscaleResult, model: LoadedModel, pic: Picture, options: EngineOptions) -> UpscaleResult:
    """The result with its self-check: the input shrunk by the scale, rebuilt by the model and by bicubic, both
    scored against it (or marked skipped when too small to shrink). Apart so ``request.upscale`` runs it while encoding."""
    src = visible_rgb(pic)
    h, w = src.shape[:2]
    small_size = (max(1, round(w / result.scale)), max(1, round(h / result.scale)))
    if min(small_size) < 8:
        return replace(result, check_skipped=True)
    small = _bicubic(src, small_size)
    rebuilt = upscale_pixels(model, pic.with_pixels(small, None), (w, h), options).rgb
    border = math.ceil(result.scale)
    scores = metrics.score(rebuilt, src, border), metrics.score(_bicubic(small, (w, h)), src, border)
    return replace(result, comparison=metrics.Comparison("self-check", *scores))
