"""Decoding, validating and encoding product images: every file's bytes pass through here, so the rest
of srdemo sees one :class:`Picture` and every way a file can be wrong becomes a sentence a person can act on."""

from __future__ import annotations

import io
import warnings
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo
from pillow_heif import register_heif_opener

from .errors import SrdemoError
from .metadata import MetadataPolicy, clean_exif, xmp_packet
from .names import file_name
from .settings import get_settings
from .wording import text

register_heif_opener()  # phones save HEIC; Pillow reads AVIF itself, pillow-heif adds HEIC/HEIF

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Picture:
    """A decoded image: ``rgb`` HxWx3 (uint8, or uint16 for 16-bit grey), ``alpha`` HxW or None, with what the
    output must keep (greyness, profile, metadata) and ``notes`` on how the file was read."""

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


def decode(data: bytes | str | Path, name: str | None = None) -> Picture:
    """A file (bytes or path) as a :class:`Picture`, upright and in sRGB, or SrdemoError saying what is wrong."""
    settings = get_settings()
    is_path = isinstance(data, (str, Path))
    name = name or (Path(data).name if is_path else "") or "image"
    try:
        size = Path(data).stat().st_size if is_path else len(data)
        if size > settings.max_file_bytes:
            raise SrdemoError(text("err_file_too_big", name=name, size_mb=size / 1e6, limit_mb=settings.max_file_bytes / 1e6))
        data = Path(data).read_bytes() if is_path else data
    except OSError as exc:
        raise SrdemoError(text("err_file_unreadable", name=name, reason=exc.strerror or exc)) from None
    if not data:
        raise SrdemoError(text("err_file_empty", name=name))

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > settings.max_input_pixels:
                raise SrdemoError(text("err_too_many_pixels", name=name, width=width, height=height,
                                       megapixels=width * height / 1e6, limit_mp=settings.max_input_pixels / 1e6))
            if getattr(img, "n_frames", 1) > 1:
                notes.append(text("note_animated", name=name, frames=img.n_frames))
                img.seek(0)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SrdemoError(text("err_decompression_bomb", name=name)) from None
    except UnidentifiedImageError:
        raise SrdemoError(text("err_image_damaged" if _looks_like_image(data) else "err_not_an_image", name=name)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise SrdemoError(text("err_image_unreadable", name=name, detail=exc)) from None

    # PNG's IHDR: bit depth 16 at byte 24, colour type RGB (2) or RGBA (6) at 25; Pillow reads it as 8-bit.
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[24:25] == b"\x10" and data[25:26] in (b"\x02", b"\x06"):
        notes.append(text("note_16bit_colour_png"))
    return replace(_from_pillow(img, name, notes), jpeg_quality=estimate_jpeg_quality(img))


# The sum of IJG's standard luminance quantisation table (JPEG spec, Annex K) at quality 50.
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


def _from_pillow(img: Image.Image, name: str, notes: list[str]) -> Picture:
    icc = img.info.get("icc_profile")
    img = ImageOps.exif_transpose(img)  # also resets the Orientation tag
    exif = img.getexif()
    meta = {"exif": exif.tobytes() if len(exif) else None, "xmp": img.info.get("xmp"), "name": name, "source_mode": img.mode}

    if img.mode == "CMYK":  # print colours: screens and marketplaces want sRGB, through the file's profile if it has one
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc)) if icc else None
            srgb = ImageCms.profileToProfile(img, profile, _SRGB, outputMode="RGB") if icc else None
        except (ImageCms.PyCMSError, OSError):
            srgb = None
        notes.append(text("note_cmyk_approximate" if srgb is None else "note_cmyk_converted", name=name))
        img, icc = img.convert("RGB") if srgb is None else srgb, None
    if "transparency" in img.info and img.mode in ("P", "RGB", "L"):  # a palette's or a PNG colour key's transparency
        img = img.convert("LA" if img.mode == "L" else "RGBA")
    meta.update(icc=icc, notes=tuple(notes))

    if img.mode == "F":
        raise SrdemoError(text("err_float_pixels", name=name))
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey (or 32-bit holding 16-bit values)
        arr = np.asarray(img).astype(np.int64)
        if arr.min() < 0 or arr.max() > 65535:
            raise SrdemoError(text("err_int32_pixels", name=name))
        arr = arr.astype(np.uint16)
    else:
        if img.mode not in ("L", "LA", "RGB", "RGBA"):  # bilevel to grey, the rest to colour
            img = img.convert("L" if img.mode == "1" else "RGBA" if "A" in img.mode else "RGB")
        arr = np.asarray(img)
    arr = arr.reshape(arr.shape[0], arr.shape[1], -1)  # HxWx1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    grey, alpha = arr.shape[2] < 3, arr[..., -1].copy() if arr.shape[2] in (2, 4) else None
    colour = np.repeat(arr[..., :1], 3, axis=2) if grey else np.ascontiguousarray(arr[..., :3])
    return Picture(colour, alpha, grey, **meta)


def to_pillow(pic: Picture) -> Image.Image:
    """The Pillow image that ``encode`` writes: L, LA, I;16, RGB or RGBA."""
    colour = pic.rgb[..., 0] if pic.grey else pic.rgb
    if pic.alpha is not None:
        return Image.fromarray(np.dstack([colour, pic.alpha]))  # LA or RGBA
    return Image.fromarray(np.ascontiguousarray(colour))  # L (I;16 for uint16) or RGB


def white_mask(rgb: np.ndarray, max_value: int) -> np.ndarray:
    """Pixels whose every channel is at ``max_value`` (pure white): an AND of the channels, white being every bit set."""
    return (rgb[..., 0] & rgb[..., 1] & rgb[..., 2]) == max_value


def to_uint8_rgb(pic: Picture) -> np.ndarray:
    """Colour as 8-bit RGB: what metrics and previews use."""
    return np.round(pic.rgb.astype(np.float32) / 257.0).astype(np.uint8) if pic.bits == 16 else pic.rgb


PNG_FAST = {"compress_level": 1, "compress_type": zlib.Z_RLE}
"""Run-length coding at zlib level 1: photos write fast and no larger than at the default level; flat graphics grow."""
PNG_SMALL = {"compress_level": 4, "compress_type": zlib.Z_FILTERED}
"""For flat graphics and text: close to the default level's size in less time (``benchmarks/png.py``)."""
PNG_FAST_ROOM = 1.08  # the fast setting is kept when a sample of the image is at most this much larger with it


def png_compression(img: Image.Image) -> dict:
    """Try both settings on four bands of the image (an eighth of its rows); fast unless the sample says the file would grow."""
    arr, h = np.asarray(img), img.size[1]
    band = max(1, h // 32)
    sample = Image.fromarray(np.concatenate([arr[min(h - band, (2 * k + 1) * h // 8):][:band] for k in range(4)]))
    sizes = []
    for setting in (PNG_FAST, PNG_SMALL):
        buf = io.BytesIO()
        sample.save(buf, "PNG", **setting)
        sizes.append(buf.tell())
    return PNG_FAST if sizes[0] <= PNG_FAST_ROOM * sizes[1] else PNG_SMALL


@dataclass(frozen=True)
class Format:
    """An output file type and what it can hold."""

    name: str  # as people write it
    pillow: str  # Pillow's name for it
    extension: str
    quality: bool  # lossy: takes a quality from 1 to 100 (else PNG: lossless, keeps 16-bit grey)
    alpha: bool  # keeps transparency; without it a transparent product is put on white
    max_side: int | None = None
    segment: int | None = None  # the most bytes EXIF, and XMP, may each take (one JPEG APP segment's payload)


FORMATS = {
    "png": Format("PNG", "PNG", "png", quality=False, alpha=True),
    "jpeg": Format("JPEG", "JPEG", "jpg", quality=True, alpha=False, segment=65533),
    "webp": Format("WebP", "WEBP", "webp", quality=True, alpha=True, max_side=16383),
}
"""Output formats by srdemo's name for them: the CLI's choices, the tabs' radios, file names and ``encode`` read them here."""
QUALITY_FORMATS = "/".join(f.name for f in FORMATS.values() if f.quality)  # what a quality applies to: 'JPEG/WebP'
_XMP_HEADER = len(b"http://ns.adobe.com/xap/1.0/\x00")  # XMP's share of its JPEG segment


def output_format(fmt: str) -> Format:
    """The format a name asks for (``png``, ``JPEG``, ``.jpg``...); any other is refused in one sentence."""
    name = fmt.lower().lstrip(".")
    for key, out in FORMATS.items():
        if name in (key, out.extension):
            return out
    raise SrdemoError(text("err_format", fmt=fmt, choices=", ".join(FORMATS)))


def encode(pic: Picture, fmt: str = "png", quality: int = 92, policy: MetadataPolicy = MetadataPolicy(),
           dropped: list[str] | None = None) -> bytes:
    """Write one of ``FORMATS`` with the ICC profile and the metadata ``policy`` allows; transparency on white where the
    format has none. EXIF or XMP too big for a JPEG segment is left out (and said in ``dropped``), not a failure."""
    out = output_format(fmt)
    pic = pic if out.alpha else on_white(pic)
    img = to_pillow(pic)
    if out.max_side and max(img.size) > out.max_side:
        raise SrdemoError(text("err_format_too_big", format=out.name, max_side=out.max_side, width=img.size[0],
                               height=img.size[1]))
    if img.mode == "I;16" and out.quality:
        img = Image.fromarray(to_uint8_rgb(pic)[..., 0])
    dropped = [] if dropped is None else dropped
    exif = clean_exif(pic.exif, policy)
    if exif and out.segment and len(exif) > out.segment:
        dropped.append(text("note_exif_dropped", size_kb=len(exif) / 1000))
        exif = None
    xmp = xmp_packet(pic.xmp, policy)
    if xmp and out.segment and len(xmp.encode("utf-8")) > out.segment - _XMP_HEADER:
        dropped.append(text("note_xmp_dropped"))
        xmp = None
    if out.quality:
        options: dict = {"quality": int(min(100, max(1, quality))), **({"xmp": xmp.encode("utf-8")} if xmp else {})}
    else:
        options = dict(png_compression(img))
        if xmp:
            options["pnginfo"] = PngInfo()
            options["pnginfo"].add_itxt("XML:com.adobe.xmp", xmp)
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
    """8-bit RGB as a shopper sees the picture (transparency on white): what previews show and figures score."""
    return to_uint8_rgb(on_white(pic))


def unique_name(name: str, taken) -> str:
    """``name``, or 'stem (2).ext', 'stem (3).ext'... the first that ``taken(candidate)`` says is free."""
    path, k, out = PurePosixPath(name), 1, name
    while taken(out):
        k += 1
        out = str(path.with_name(f"{path.stem} ({k}){path.suffix}"))
    return out


def output_name(input_name: str, model_slug: str, scale: float, fmt: str) -> str:
    """``<input>_<model>_x<scale>.<ext>``, the scale said once when the model's short name ends in it (``shoe_x4.png``)."""
    stem = Path(input_name).stem or "image"
    safe_model = file_name(model_slug)
    said = safe_model.lower().endswith(f"x{scale:g}")
    return f"{stem}_{safe_model}{'' if said else f'_x{scale:g}'}.{output_format(fmt).extension}"
