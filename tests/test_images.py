"""Decoding odd files into Pictures and writing them back out."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from srdemo import images
from srdemo.errors import SrdemoError

CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def _bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_rgb_round_trip_keeps_pixels_and_icc():
    rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pic = images.decode(_bytes(Image.fromarray(rgb), icc_profile=icc), "x.png")
    assert pic.size == (30, 20) and pic.alpha is None and not pic.grey
    assert np.array_equal(pic.rgb, rgb)
    out = Image.open(io.BytesIO(images.encode(pic, "png")))
    assert out.info.get("icc_profile") == icc
    assert np.array_equal(np.asarray(out), rgb)


@pytest.mark.parametrize(
    "mode,expected_out",
    [("L", "L"), ("LA", "LA"), ("RGBA", "RGBA"), ("RGB", "RGB")],
)
def test_modes_map_to_the_documented_output_mode(mode, expected_out):
    img = Image.new(mode, (16, 12))
    pic = images.decode(_bytes(img), "m.png")
    assert images.to_pillow(pic).mode == expected_out


def test_palette_with_transparency_becomes_rgba_and_without_becomes_rgb():
    p = Image.new("P", (8, 8), 1)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    assert images.to_pillow(images.decode(_bytes(p), "p.png")).mode == "RGB"
    p.info["transparency"] = 0
    pic = images.decode(_bytes(p, transparency=0), "pt.png")
    assert images.to_pillow(pic).mode == "RGBA"
    assert np.array_equal(pic.rgb[0, 0], [255, 0, 0])


def test_16bit_grey_stays_16bit_through_png():
    grey = (np.arange(48 * 32).reshape(32, 48) * 40).astype(np.uint16)
    pic = images.decode(_bytes(Image.fromarray(grey)), "g16.png")
    assert pic.bits == 16 and pic.grey
    out = Image.open(io.BytesIO(images.encode(pic, "png")))
    assert out.mode in ("I;16", "I")
    assert np.array_equal(np.asarray(out).astype(np.uint16), grey)


def test_16bit_colour_png_is_read_as_8bit_with_a_note():
    # Pillow cannot hold 16-bit RGB; write a tiny one by hand to check we say so.
    raw = b"".join(b"\x00" + b"\x80\x00" * 3 * 2 for _ in range(2))
    ihdr = struct.pack(">IIBBBBB", 2, 2, 16, 2, 0, 0, 0)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    pic = images.decode(png, "rgb16.png")
    assert any("16-bit colour" in n for n in pic.notes)


@pytest.mark.skipif(not CMYK_PROFILE.exists(), reason="needs Debian's libgs-common (a CMYK ICC profile); .ci/run installs it")
def test_cmyk_is_converted_to_srgb_through_its_profile():
    cmyk = Image.new("CMYK", (10, 10), (0, 255, 255, 0))  # full magenta + yellow = red ink
    data = _bytes(cmyk, "JPEG", icc_profile=CMYK_PROFILE.read_bytes(), quality=100)
    pic = images.decode(data, "print.jpg")
    r, g, b = pic.rgb[5, 5].astype(int)
    assert r > 180 and g < 90 and b < 90  # a printed red, seen on screen
    naive = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[5, 5].astype(int)
    assert abs(int(r) - naive[0]) + abs(int(g) - naive[1]) + abs(int(b) - naive[2]) > 10  # the profile was used
    assert images.to_pillow(pic).mode == "RGB" and pic.icc is None
    assert any("CMYK" in n for n in pic.notes)


def test_cmyk_without_profile_is_converted_with_a_note():
    pic = images.decode(_bytes(Image.new("CMYK", (4, 4), (0, 0, 0, 0)), "JPEG"), "c.jpg")
    assert images.to_pillow(pic).mode == "RGB"
    assert any("without a usable colour profile" in n for n in pic.notes)


def test_exif_orientation_is_applied_and_reset():
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 10, 20))  # blue strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    exif[0x0131] = "supplier camera"
    pic = images.decode(_bytes(img, "JPEG", exif=exif.tobytes(), quality=95), "rot.jpg")
    assert pic.size == (20, 40)
    assert pic.rgb[2, 10, 2] > 200  # the blue strip is now on top
    out = Image.open(io.BytesIO(images.encode(pic, "jpeg")))
    tags = out.getexif()
    assert tags.get(0x0112, 1) == 1
    assert tags.get(0x0131) == "supplier camera"


def test_animated_gif_uses_first_frame_and_says_so():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    pic = images.decode(buf.getvalue(), "anim.gif")
    assert pic.rgb[0, 0, 0] > 200 and pic.rgb[0, 0, 1] < 50
    assert any("animated" in n and "first frame" in n for n in pic.notes)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_phone_formats_open_like_any_other(fmt):
    """HEIC (iPhones' default) and AVIF: decoded to the right size and colours; a cut-off file is called damaged."""
    ramp = np.linspace(0, 255, 64)
    arr = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:48, None], np.full((48, 64), 128.0)), -1).astype(np.uint8)
    data = _bytes(Image.fromarray(arr), fmt, quality=95)
    pic = images.decode(data, f"shelf.{fmt.lower()}")
    assert pic.size == (64, 48) and pic.alpha is None
    assert np.abs(pic.rgb.astype(int) - arr).mean() < 3  # lossy, but the same picture
    for cut in (len(data) // 2, 40):
        with pytest.raises(SrdemoError, match="damaged or incomplete"):
            images.decode(data[:cut], f"cut.{fmt.lower()}")
    # Turned upright exactly once, as a JPEG is (phones store the camera's orientation).
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 10, 20))  # blue strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    pic = images.decode(_bytes(img, fmt, exif=exif.tobytes(), quality=95), f"rot.{fmt.lower()}")
    assert pic.size == (20, 40) and pic.rgb[2, 10, 2] > 200  # the blue strip is now on top


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged or incomplete"),
    ],
)
def test_bad_bytes_get_plain_messages(data, needle):
    with pytest.raises(SrdemoError, match=needle):
        images.decode(data, "upload.png")


def test_truncated_file_is_reported_as_damaged():
    data = _bytes(Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    with pytest.raises(SrdemoError, match="damaged or incomplete"):
        images.decode(data[: len(data) // 2], "cut.png")


def test_decompression_bomb_is_refused_before_decoding():
    # A valid 1x1 PNG whose header claims 60000 x 60000 pixels.
    data = bytearray(_bytes(Image.new("L", (1, 1))))
    ihdr = struct.pack(">II", 60000, 60000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    with pytest.raises(SrdemoError, match="largest input|decompression bomb"):
        images.decode(bytes(data), "bomb.png")


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SRDEMO_MAX_INPUT_MP", "0.001")
    with pytest.raises(SrdemoError, match="largest input accepted is 0 MP|largest input"):
        images.decode(_bytes(Image.new("RGB", (100, 100))), "big.png")
    monkeypatch.setenv("SRDEMO_MAX_INPUT_MP", "16")
    monkeypatch.setenv("SRDEMO_MAX_FILE_MB", "0.0001")
    with pytest.raises(SrdemoError, match="largest file accepted"):
        images.decode(_bytes(Image.new("RGB", (100, 100))), "heavy.png")


def test_missing_path_is_a_plain_error(tmp_path):
    with pytest.raises(SrdemoError, match="Could not read"):
        images.decode(tmp_path / "nope.png")


def test_jpeg_flattens_alpha_on_white_and_webp_keeps_it():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[2:6, 2:6] = (200, 0, 0, 255)
    pic = images.decode(_bytes(Image.fromarray(rgba)), "cut.png")
    jpg = np.asarray(Image.open(io.BytesIO(images.encode(pic, "jpeg", 95))))
    assert jpg[0, 0].min() > 245  # transparent became white, not black
    webp = Image.open(io.BytesIO(images.encode(pic, "webp", 100)))
    assert webp.mode == "RGBA" and np.asarray(webp)[0, 0, 3] == 0


@pytest.mark.parametrize("key", list(images.FORMATS))
def test_each_formats_facts_are_what_its_files_hold(key):
    """The table the CLI, the tabs and the encoder read: Pillow's format, the extension, alpha, quality."""
    fmt = images.FORMATS[key]
    rng = np.random.default_rng(0)
    alpha = np.full((32, 32), 255, np.uint8)
    alpha[:8] = 0
    colour = images.Picture(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), alpha)
    grey = images.Picture(np.repeat(rng.integers(0, 256, (32, 32, 1), dtype=np.uint8), 3, axis=2), alpha, grey=True)
    for pic in (colour, grey):
        low, high = (images.encode(pic, key, quality) for quality in (10, 95))
        out = Image.open(io.BytesIO(high))
        assert out.format == fmt.pillow and ("A" in out.mode) == fmt.alpha, (key, out.mode)
        assert (len(low) < len(high)) == fmt.quality
    assert images.output_name("shoe.png", "x4", 4, key) == f"shoe_x4.{fmt.extension}"
    assert images.output_format(fmt.extension.upper()) is images.output_format("." + key) is fmt


def test_an_unknown_format_is_refused_in_one_sentence():
    with pytest.raises(SrdemoError, match=r"^Unknown output format 'gif'. Choose one of: png, jpeg, webp.$"):
        images.encode(images.Picture(np.zeros((4, 4, 3), np.uint8)), "gif")


def test_webp_size_limit_is_explained():
    pic = images.Picture(np.zeros((1, 17000, 3), np.uint8))
    with pytest.raises(SrdemoError, match="WebP cannot be larger than 16383 px"):
        images.encode(pic, "webp")


def test_output_name_says_what_was_done():
    assert images.output_name("shoe.JPG", "realesrgan-x4", 4.0, "png") == "shoe_realesrgan-x4.png"  # the scale once
    assert images.output_name("shoe.JPG", "x4", 4.0, "png") == "shoe_x4.png"
    assert images.output_name("shoe.JPG", "x4", 2.0, "png") == "shoe_x4_x2.png"  # an x4 model asked for x2
    assert images.output_name("shoe.JPG", "x4-product", 4, "png") == "shoe_x4-product_x4.png"
    assert images.output_name("a b.png", "my", 2.5, "jpeg") == "a b_my_x2.5.jpg"
    assert images.output_name("x.png", "o/r:f", 2, "webp") == "x_o-r-f_x2.webp"  # never a path separator


def test_unique_name_numbers_a_name_already_taken():
    taken = {"a/same.png", "a/same (2).png"}
    assert images.unique_name("a/same.png", taken.__contains__) == "a/same (3).png"
    assert images.unique_name("a/other.png", taken.__contains__) == "a/other.png"


def _png_bytes(img: Image.Image, setting: dict) -> int:
    buf = io.BytesIO()
    img.save(buf, "PNG", **setting)
    return buf.tell()


def test_png_compression_writes_photos_fast_and_graphics_small():
    """Photo-like pixels (smooth shading and sensor noise) take the fast setting; flat colours and text keep
    zlib's search, where run-length coding alone makes the file far bigger. Either way the file is lossless
    and at most 15% larger than Pillow's default level."""
    from srdemo.synthetic import render_product

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:600, 0:800]
    shade = 90 + 60 * np.sin(xx / 90.0)[..., None] + 40 * np.cos(yy / 70.0)[..., None] + rng.normal(0, 6, (600, 800, 3))
    photo = Image.fromarray(np.clip(shade, 0, 255).astype(np.uint8))
    graphic = render_product(4, 600).convert("RGB")
    assert images.png_compression(photo) is images.PNG_FAST
    assert images.png_compression(graphic) is images.PNG_SMALL
    assert _png_bytes(graphic, images.PNG_FAST) > images.PNG_FAST_ROOM * _png_bytes(graphic, images.PNG_SMALL)  # why
    for img in (photo, graphic):
        written = images.encode(images.Picture(np.asarray(img)), "png")
        assert len(written) <= 1.15 * _png_bytes(img, {"compress_level": 6})  # Pillow's default
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(written))), np.asarray(img))
