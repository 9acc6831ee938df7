"""Decoding, validating and encoding product images.

Everything that touches a file's bytes lives here, so that the rest of srdemo
sees one shape of data: a :class:`Picture` whose colour is an RGB array, with
alpha, greyscale-ness, bit depth and colour profile carried beside it and put
back on the way out. Pillow does the decoding; the checks around it turn every
way a file can be wrong into a sentence a merchandiser can act on.
"""

from __future__ import annotations

import io
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo
from pillow_heif import register_heif_opener

from .errors import SrdemoError
from .metadata import MetadataPolicy, clean_exif, xmp_packet
from .settings import get_settings
from .wording import text

# Phones save HEIC by default (iPhone's 'High Efficiency'), so supplier photos often arrive that way; Pillow
# reads AVIF itself, pillow-heif adds HEIC/HEIF, after which they open like any other format.
register_heif_opener()

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Picture:
    """A decoded image, ready for a model.

    ``rgb`` is HxWx3, uint8 or (for 16-bit greyscale sources) uint16; ``alpha``
    is HxW of the same dtype or None. ``grey`` says the source was greyscale
    and the output should be too. ``notes`` are things the user should know
    about how the file was read (animated, converted from CMYK...).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    grey: bool = False
    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | str | None = None
    name: str = "image"
    source_mode: str = "RGB"
    jpeg_quality: int | None = None  # estimated from the file's quantisation tables
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), Pillow's order."""
        return self.rgb.shape[1], self.rgb.shape[0]

    @property
    def bits(self) -> int:
        return 16 if self.rgb.dtype == np.uint16 else 8

    @property
    def max_value(self) -> int:
        return 65535 if self.bits == 16 else 255

    def with_pixels(self, rgb: np.ndarray, alpha: np.ndarray | None) -> Picture:
        return replace(self, rgb=rgb, alpha=alpha)


def _png_is_16bit_colour(data: bytes) -> bool:
    # IHDR: bit depth at byte 24, colour type at 25 (2 = RGB, 6 = RGBA).
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 25 and data[24] == 16 and data[25] in (2, 6)


def decode(data: bytes | str | Path, name: str | None = None) -> Picture:
    """Turn a file (bytes or path) into a :class:`Picture`, or raise SrdemoError.

    Applies EXIF orientation (and resets the tag), keeps the ICC profile,
    converts CMYK to sRGB through its embedded profile, takes the first frame
    of animations, and refuses files that are empty, too big, not images,
    truncated, or decompression bombs.
    """
    settings = get_settings()
    if isinstance(data, (str, Path)):
        path = Path(data)
        name = name or path.name
        try:
            if path.stat().st_size > settings.max_file_bytes:
                raise SrdemoError(_too_big_file(path.stat().st_size, settings.max_file_bytes, name))
            data = path.read_bytes()
        except OSError as exc:
            raise SrdemoError(text("err_file_unreadable", name=name, reason=exc.strerror or exc)) from None
    name = name or "image"
    if not data:
        raise SrdemoError(text("err_file_empty", name=name))
    if len(data) > settings.max_file_bytes:
        raise SrdemoError(_too_big_file(len(data), settings.max_file_bytes, name))

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > settings.max_input_pixels:
                raise SrdemoError(
                    text("err_too_many_pixels", name=name, width=width, height=height, megapixels=width * height / 1e6,
                         limit_mp=settings.max_input_pixels / 1e6)
                )
            if getattr(img, "n_frames", 1) > 1:
                notes.append(text("note_animated", name=name, frames=img.n_frames))
                img.seek(0)
            img.load()
    except SrdemoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SrdemoError(text("err_decompression_bomb", name=name)) from None
    except UnidentifiedImageError:
        if _looks_like_image(data):
            raise SrdemoError(text("err_image_damaged", name=name)) from None
        raise SrdemoError(text("err_not_an_image", name=name)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise SrdemoError(text("err_image_unreadable", name=name, detail=exc)) from None

    if _png_is_16bit_colour(data):
        notes.append(text("note_16bit_colour_png"))
    quality = estimate_jpeg_quality(img)
    return replace(_from_pillow(img, name, notes), jpeg_quality=quality)


# The IJG standard luminance quantisation table (JPEG spec, Annex K), in zigzag-independent order.
_STD_LUMA_SUM = 16 + 11 + 10 + 16 + 24 + 40 + 51 + 61 + 12 + 12 + 14 + 19 + 26 + 58 + 60 + 55 + 14 + 13 + 16 + 24 + 40 + 57 + 69 + 56 + 14 + 17 + 22 + 29 + 51 + 87 + 80 + 62 + 18 + 22 + 37 + 56 + 68 + 109 + 103 + 77 + 24 + 35 + 55 + 64 + 81 + 104 + 113 + 92 + 49 + 64 + 78 + 87 + 103 + 121 + 120 + 101 + 72 + 92 + 95 + 98 + 112 + 100 + 103 + 99


def estimate_jpeg_quality(img: Image.Image) -> int | None:
    """IJG quality (1-100) that would produce this file's luminance table; None if not a JPEG."""
    tables = getattr(img, "quantization", None)
    if not tables or 0 not in tables:
        return None
    scale = sum(tables[0]) * 100 / _STD_LUMA_SUM  # IJG: table = std * scale / 100
    quality = 5000 / scale if scale > 100 else (200 - scale) / 2
    return int(round(min(100, max(1, quality))))


_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def _looks_like_image(data: bytes) -> bool:
    """A known image signature: the file was meant to be an image, so call it damaged, not foreign."""
    return (
        data.startswith(_SIGNATURES)
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)  # an ISO box file: HEIC or AVIF
    )


def _too_big_file(size: int, limit: int, name: str) -> str:
    return text("err_file_too_big", name=name, size_mb=size / 1e6, limit_mb=limit / 1e6)


def _from_pillow(img: Image.Image, name: str, notes: list[str]) -> Picture:
    source_mode = img.mode
    icc = img.info.get("icc_profile")
    transposed = ImageOps.exif_transpose(img)  # also resets the Orientation tag
    img = transposed if transposed is not None else img
    exif = img.getexif()
    exif_bytes = exif.tobytes() if len(exif) else None
    xmp = img.info.get("xmp")

    def picture(rgb: np.ndarray, alpha: np.ndarray | None, grey: bool) -> Picture:
        return Picture(rgb, alpha, grey, icc=icc, exif=exif_bytes, xmp=xmp, name=name, source_mode=source_mode,
                       notes=tuple(notes))

    if img.mode == "CMYK":
        img, icc = _cmyk_to_srgb(img, icc, name, notes)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGB", "L") and "transparency" in img.info:  # a PNG colour key (tRNS): that colour is transparent
        img = img.convert("RGBA" if img.mode == "RGB" else "LA")
    if img.mode == "PA":
        img = img.convert("RGBA")
    if img.mode == "1":
        img = img.convert("L")

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey16 = np.asarray(img).astype(np.int64)
        if grey16.min() < 0 or grey16.max() > 65535:
            raise SrdemoError(text("err_int32_pixels", name=name))
        grey16 = grey16.astype(np.uint16)
        return picture(np.repeat(grey16[..., None], 3, axis=2), None, True)
    if img.mode == "F":
        raise SrdemoError(text("err_float_pixels", name=name))
    if img.mode in ("L", "LA"):
        arr = np.asarray(img)
        grey = arr if arr.ndim == 2 else arr[..., 0]
        alpha = arr[..., 1].copy() if img.mode == "LA" else None
        return picture(np.repeat(grey[..., None], 3, axis=2), alpha, True)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    arr = np.asarray(img)
    alpha = arr[..., 3].copy() if img.mode == "RGBA" else None
    return picture(np.ascontiguousarray(arr[..., :3]), alpha, False)


def _cmyk_to_srgb(img: Image.Image, icc: bytes | None, name: str, notes: list[str]) -> tuple[Image.Image, None]:
    """CMYK means print; screens and marketplaces want sRGB. Use the file's profile when it has one."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            rgb = ImageCms.profileToProfile(img, src, _SRGB, outputMode="RGB")
            notes.append(text("note_cmyk_converted", name=name))
            return rgb, None
        except (ImageCms.PyCMSError, OSError):
            pass
    notes.append(text("note_cmyk_approximate", name=name))
    return img.convert("RGB"), None


def to_pillow(pic: Picture) -> Image.Image:
    """The Pillow image that ``encode`` writes: L, LA, I;16, RGB or RGBA."""
    if pic.grey:
        grey = pic.rgb[..., 0]
        if pic.alpha is not None:
            return Image.fromarray(np.stack([grey, pic.alpha], axis=-1))  # LA
        return Image.fromarray(np.ascontiguousarray(grey))  # L, or I;16 for uint16
    if pic.alpha is not None:
        return Image.fromarray(np.dstack([pic.rgb, pic.alpha]))  # RGBA
    return Image.fromarray(np.ascontiguousarray(pic.rgb))  # RGB


def white_mask(rgb: np.ndarray, max_value: int) -> np.ndarray:
    """Pixels whose every channel is at ``max_value`` (pure white). White is every bit set, so an AND
    of the channels says it: several times faster than comparing and reducing over the channel axis."""
    both = np.bitwise_and(rgb[..., 0], rgb[..., 1])
    np.bitwise_and(both, rgb[..., 2], out=both)
    return both == max_value


def to_uint8_rgb(pic: Picture) -> np.ndarray:
    """Colour as 8-bit RGB: what metrics and previews use."""
    if pic.bits == 16:
        return np.round(pic.rgb.astype(np.float32) / 257.0).astype(np.uint8)
    return pic.rgb


PNG_FAST = {"compress_level": 1, "compress_type": zlib.Z_RLE}
"""Run-length coding at zlib level 1: photos (most outputs) write about 3x faster than Pillow's default
level 6 and come out the same size or smaller, but flat graphics and text come out 35-45% larger."""
PNG_SMALL = {"compress_level": 4, "compress_type": zlib.Z_FILTERED}
"""For flat graphics and text: 2-9% larger than level 6 in 0.6-0.9x its time. Levels 1-3 use zlib's
fast matcher, which made these 13-39% larger (``benchmarks/png.py``)."""
PNG_FAST_ROOM = 1.08
"""The fast setting is kept when a sample of the image comes out at most this much larger with it."""


def png_compression(img: Image.Image) -> dict:
    """How to compress this PNG: try both settings on four bands of the image (an eighth of its rows),
    and write fast unless the sample says the file would grow."""
    w, h = img.size
    band = max(1, h // 32)
    sample = Image.new(img.mode, (w, 4 * band))
    for k in range(4):
        top = min(h - band, (2 * k + 1) * h // 8)
        sample.paste(img.crop((0, top, w, top + band)), (0, k * band))
    sizes = []
    for setting in (PNG_FAST, PNG_SMALL):
        buf = io.BytesIO()
        sample.save(buf, "PNG", **setting)
        sizes.append(buf.tell())
    return PNG_FAST if sizes[0] <= PNG_FAST_ROOM * sizes[1] else PNG_SMALL


def _png_options(img: Image.Image, quality: int, xmp: str | None) -> dict:
    """Lossless, compressed as the image suits; XMP in PNG's own text chunk."""
    options = dict(png_compression(img))
    if xmp:
        options["pnginfo"] = PngInfo()
        options["pnginfo"].add_itxt("XML:com.adobe.xmp", xmp)
    return options


def _lossy_options(img: Image.Image, quality: int, xmp: str | None) -> dict:
    return {"quality": int(min(100, max(1, quality))), **({"xmp": xmp.encode("utf-8")} if xmp else {})}


JPEG_MARKER_BYTES = 65533  # one JPEG APP segment's payload; EXIF and XMP must each fit in one (ICC may span several)
_XMP_MARKER_OVERHEAD = 29  # b"http://ns.adobe.com/xap/1.0/\x00"


@dataclass(frozen=True)
class Format:
    """An output file type and what it can hold."""

    name: str  # as people write it
    pillow: str  # Pillow's name for it
    extension: str
    quality: bool  # lossy: takes a quality from 1 to 100
    alpha: bool  # keeps transparency; without it a transparent product is put on white
    options: Callable[[Image.Image, int, str | None], dict]  # the encoder's options for (image, quality, XMP)
    deep: bool = False  # keeps 16-bit greyscale (else written as 8-bit)
    max_side: int | None = None
    segment: int | None = None  # the most bytes EXIF, and XMP, may each take


FORMATS = {
    "png": Format("PNG", "PNG", "png", quality=False, alpha=True, options=_png_options, deep=True),
    "jpeg": Format("JPEG", "JPEG", "jpg", quality=True, alpha=False, options=_lossy_options, segment=JPEG_MARKER_BYTES),
    "webp": Format("WebP", "WEBP", "webp", quality=True, alpha=True, options=_lossy_options, max_side=16383),
}
"""Output formats by srdemo's name for them: the CLI's choices, the tabs' radios, file names and ``encode`` read them here."""
QUALITY_FORMATS = "/".join(f.name for f in FORMATS.values() if f.quality)
"""What a quality setting applies to, as its label says ('JPEG/WebP')."""


def output_format(fmt: str) -> Format:
    """The format a name asks for (``png``, ``JPEG``, ``.jpg``...); any other is refused in one sentence."""
    name = fmt.lower().lstrip(".")
    for key, out in FORMATS.items():
        if name in (key, out.extension):
            return out
    raise SrdemoError(text("err_format", fmt=fmt, choices=", ".join(FORMATS)))


def encode(pic: Picture, fmt: str = "png", quality: int = 92, policy: MetadataPolicy = MetadataPolicy(),
           dropped: list[str] | None = None) -> bytes:
    """Write one of ``FORMATS`` with the ICC profile and the metadata ``policy`` allows.

    A format without alpha gets transparent pixels put on white (the product photo convention).
    Metadata the format cannot hold (EXIF or XMP over one JPEG segment) is left out rather than failing
    the file; each such loss is said in ``dropped`` when a list is given.
    """
    out = output_format(fmt)
    pic = pic if out.alpha else on_white(pic)
    img = to_pillow(pic)
    if out.max_side and max(img.size) > out.max_side:
        raise SrdemoError(text("err_format_too_big", format=out.name, max_side=out.max_side, width=img.size[0],
                               height=img.size[1]))
    if img.mode == "I;16" and not out.deep:
        img = Image.fromarray(to_uint8_rgb(pic)[..., 0])
    exif = clean_exif(pic.exif, policy)
    if exif and out.segment and len(exif) > out.segment:
        exif = None
        if dropped is not None:
            dropped.append(text("note_exif_dropped", size_kb=len(clean_exif(pic.exif, policy)) / 1000))
    xmp = xmp_packet(pic.xmp, policy)
    if xmp and out.segment and len(xmp.encode("utf-8")) > out.segment - _XMP_MARKER_OVERHEAD:
        xmp = None
        if dropped is not None:
            dropped.append(text("note_xmp_dropped"))
    options = out.options(img, quality, xmp)
    if pic.icc:
        options["icc_profile"] = pic.icc
    if exif:
        options["exif"] = exif
    buf = io.BytesIO()
    img.save(buf, out.pillow, **options)
    return buf.getvalue()


def on_white(pic: Picture) -> Picture:
    """Composite onto pure white (the marketplace background); pictures without alpha are returned as they are."""
    if pic.alpha is None:
        return pic
    a = pic.alpha.astype(np.float32)[..., None] / pic.max_value
    rgb = pic.rgb.astype(np.float32) * a + pic.max_value * (1 - a)
    return pic.with_pixels((rgb + 0.5).astype(pic.rgb.dtype), None)


def visible_rgb(pic: Picture) -> np.ndarray:
    """8-bit RGB as a shopper sees the picture: transparency on white.

    What previews show and what every figure scores, so a cut-out's hidden
    pixels (often black) never enter a comparison.
    """
    return to_uint8_rgb(on_white(pic))


def unique_name(name: str, taken) -> str:
    """``name``, or 'stem (2).ext', 'stem (3).ext'... the first that ``taken(candidate)`` says is free.

    For every place two files could land on one name: uploads, zip entries, a batch's results.
    """
    path, k, out = PurePosixPath(name), 1, name
    while taken(out):
        k += 1
        out = str(path.with_name(f"{path.stem} ({k}){path.suffix}"))
    return out


def output_name(input_name: str, model_slug: str, scale: float, fmt: str) -> str:
    """``<input>_<model>_x<scale>.<ext>``: a name that says what was done.

    ``model_slug`` is the model's short name (``ModelSpec.file_slug``), not its reference. A model
    whose name already ends in the scale says it once: ``shoe_x4.png``, not ``shoe_x4_x4.png``.
    """
    stem = Path(input_name).stem or "image"
    safe_model = "".join(c if c.isalnum() or c in "-_." else "-" for c in model_slug).strip("-") or "model"
    said = safe_model.lower().endswith(f"x{scale:g}")
    return f"{stem}_{safe_model}{'' if said else f'_x{scale:g}'}.{output_format(fmt).extension}"
