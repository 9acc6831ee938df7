"""Batches, marketplace presets and metadata rules."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srdemo import images, metrics, models
from srdemo.batch import BatchOptions, parse_preset, read_report, run_batch
from srdemo.metadata import DIGITAL_SOURCE_TYPE, MetadataPolicy
from srdemo.pipeline import upscale_picture
from srdemo.presets import PRESETS, check_against, get_preset, pad_to_canvas
from srdemo.synthetic import render_product

from conftest import ROOT


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def delivery(tmp_path) -> Path:
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tea.png", _png(render_product(1, 120)))
        zf.writestr("shelf/a/jam.png", _png(render_product(2, 90).resize((120, 90))))
        zf.writestr("shelf/broken.jpg", b"\xff\xd8\xff\xe0 truncated")
        zf.writestr("../../evil.png", _png(render_product(3, 64)))
        zf.writestr("readme.txt", "hello")
    return path


def test_batch_keeps_folders_reports_failures_and_refuses_traversal(delivery, tmp_path):
    out = tmp_path / "out"
    result = run_batch([delivery], out, BatchOptions(model="lanczos", scale=2))
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        assert Image.open(io.BytesIO(zf.read("shelf/a/jam.png"))).size == (240, 180)
    assert names == {"tea.png", "shelf/a/jam.png", "report.csv"}
    rows = {r["file"]: r for r in read_report(out / "report.csv")}
    assert rows["tea.png"]["status"] == "ok" and rows["tea.png"]["output size"] == "240x240"
    assert rows["shelf/broken.jpg"]["status"] == "failed" and "damaged" in rows["shelf/broken.jpg"]["warnings"]
    assert rows["../../evil.png"]["status"] == "skipped" and "outside" in rows["../../evil.png"]["warnings"]
    assert rows["readme.txt"]["status"] == "skipped"
    assert not (tmp_path.parent / "evil.png").exists()
    assert result.failed == 1


@pytest.mark.parametrize("preset_id,size", [("amazon-main", (2000, 2000)), ("shopify", (2048, 2048)), ("web-1600", (1600, 1200))])
def test_presets_give_exact_sizes(tmp_path, preset_id, size):
    src = tmp_path / "in"
    src.mkdir()
    render_product(4, 200).resize((200, 150)).save(src / "p.png")
    result = run_batch([src], tmp_path / "out", BatchOptions(model="lanczos", preset=get_preset(preset_id), check=False))
    with zipfile.ZipFile(result.zip_path) as zf:
        name = next(n for n in zf.namelist() if n.startswith("p."))
        assert Image.open(io.BytesIO(zf.read(name))).size == size


def test_custom_sizes_parse():
    assert parse_preset(None, "1200x900").exact == (1200, 900)
    assert parse_preset("custom", "1500").longest_side == 1500
    assert parse_preset(None, None) is None
    with pytest.raises(Exception, match="not a size"):
        parse_preset(None, "big")


def test_pad_to_square_centres_the_product_on_pure_white():
    pic = images.decode(_png(Image.new("RGB", (40, 20), (200, 0, 0))), "wide.png")
    out = pad_to_canvas(pic, (40, 40))
    assert out.size == (40, 40)
    assert (out.rgb[:10] == 255).all() and (out.rgb[30:] == 255).all()
    ys, xs = np.nonzero(~np.all(out.rgb == 255, axis=2))
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10, 29, 0, 39)
    transparent = images.decode(_png(Image.new("RGBA", (20, 40), (0, 0, 200, 255))), "tall.png")
    padded = pad_to_canvas(transparent, (40, 40))
    assert padded.alpha[:, :10].max() == 0 and padded.alpha[:, 10:30].min() == 255


def test_preset_warnings():
    amazon = PRESETS["amazon-main"]
    small_product = Image.new("RGB", (100, 100), (255, 255, 255))
    small_product.paste((10, 10, 10), (40, 40, 60, 60))
    assert any("fills 20%" in w for w in check_against(images.decode(_png(small_product), "s.png"), amazon))
    grey_bg = images.decode(_png(Image.new("RGB", (50, 50), (250, 250, 250))), "g.png")
    assert "background not pure white" in check_against(grey_bg, amazon)


def _exif_with_private_fields() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SupplierCam"  # Make: kept
    exif[0x013B] = "Jane Photographer"  # Artist: personal name, removed
    exif[0x0112] = 1
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    sub = exif.get_ifd(0x8769)
    sub[0xA431] = "SN-123456"  # body serial
    sub[0xA430] = "Jane Owner"  # camera owner
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_metadata_rules_read_back_from_each_format(fmt):
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description photoshop:City="Gothenburg"/></rdf:RDF></x:xmpmeta>'
    icc = __import__("PIL.ImageCms").ImageCms.ImageCmsProfile(__import__("PIL.ImageCms").ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 130, 140)).save(buf, "JPEG", exif=_exif_with_private_fields(), xmp=xmp, icc_profile=icc)
    pic = images.decode(buf.getvalue(), "shot.jpg")

    def read(policy):
        out = Image.open(io.BytesIO(images.encode(pic, fmt, 90, policy)))
        out.load()
        return out

    default = read(MetadataPolicy())
    exif = default.getexif()
    assert exif.get(0x010F) == "SupplierCam" and exif.get(0x0112) == 1
    assert 0x8825 not in exif and 0x013B not in exif
    assert 0xA431 not in exif.get_ifd(0x8769) and 0xA430 not in exif.get_ifd(0x8769)
    assert "Gothenburg" not in str(default.info.get("xmp", ""))
    assert default.info.get("icc_profile") == icc

    kept = read(MetadataPolicy(keep_private=True))
    assert kept.getexif().get_ifd(0x8769).get(0xA431) == "SN-123456"
    assert "Gothenburg" in str(kept.info.get("xmp", ""))

    marked = read(MetadataPolicy(provenance=True))
    assert "srdemo" in marked.getexif().get(0x0131)
    assert DIGITAL_SOURCE_TYPE in str(marked.info.get("xmp", ""))


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".png", ".jpg")))
def test_colour_stays_within_two_de2000_on_every_example(path):
    pic = images.decode(path)
    for model_id in ("lanczos", "bicubic"):
        result = upscale_picture(models.load(model_id), pic, 4, check=False).picture
        seen = lambda p: images.to_uint8_rgb(images.on_white(p))  # noqa: E731
        assert metrics.colour_difference(seen(pic), seen(result)) <= 2.0


def test_colour_difference_matches_published_ciede2000_data():
    from skimage.color import deltaE_ciede2000, rgb2lab

    # Sharma, Wu & Dalal (2005), CIEDE2000 test data, pair 1: dE00 = 2.0425.
    pair = deltaE_ciede2000(np.array([50.0, 2.6772, -79.7751]), np.array([50.0, 0.0, -82.7485]))
    assert float(pair) == pytest.approx(2.0425, abs=1e-4)

    a = np.full((8, 8, 3), (200, 50, 50), np.uint8)
    b = np.full((8, 8, 3), (190, 60, 50), np.uint8)
    expected = float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())
    assert metrics.colour_difference(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.colour_difference(a, a) == 0


@pytest.mark.slow
def test_two_torchrun_workers_process_each_file_once_and_merge_the_same_report(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import _free_port

    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i in range(7):
        render_product(50 + i, 64).save(src / ("sub" if i % 2 else "") / f"p{i}.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    args = ["batch", str(src), "--model", "lanczos", "--scale", "2", "--no-check"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", "srdemo", *args, "--out", str(tmp_path / "one")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert one.returncode == 2  # one broken file
    two = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
         "-m", "srdemo", *args, "--out", str(tmp_path / "two")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert (tmp_path / "two" / "report.csv").exists(), two.stderr[-2000:]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    a, b = read_report(tmp_path / "one" / "report.csv"), read_report(tmp_path / "two" / "report.csv")
    assert strip(a) == strip(b)
    files = [r["file"] for r in b]
    assert len(files) == len(set(files)) == 8
    for part in ("report-0.csv", "report-1.csv"):
        assert 0 < len(read_report(tmp_path / "two" / part)) < 8  # the work really was split
    with zipfile.ZipFile(tmp_path / "two" / "results.zip") as zf:
        assert sorted(zf.namelist()) == sorted([r["file"] for r in b if r["status"] == "ok"] + ["report.csv"])


def test_cli_batch_with_a_messy_zip(delivery, tmp_path):
    from srdemo.cli import main

    assert main(["batch", str(delivery), "--model", "lanczos", "--preset", "shopify", "--out", str(tmp_path / "o")]) == 2
    rows = {r["file"]: r for r in read_report(tmp_path / "o" / "report.csv")}
    assert rows["shelf/a/jam.png"]["output size"] == "2048x2048"
    assert rows["shelf/broken.jpg"]["status"] == "failed"
    assert rows["../../evil.png"]["status"] == "skipped"
    with zipfile.ZipFile(tmp_path / "o" / "results.zip") as zf:
        assert "shelf/a/jam.jpg" in zf.namelist()


def test_ab_sentence_states_speed_quality_and_the_compressed_caveat():
    from srdemo.compare import describe
    from srdemo.metrics import Comparison, Scores
    from srdemo.pipeline import UpscaleResult

    def result(psnr, seconds):
        comp = Comparison("self-check", Scores(psnr, 0.9), Scores(28.0, 0.8))
        return UpscaleResult(None, None, "m", "CPU", seconds, (1, 1), (4, 4), comp, 4)

    plain, jpeg_model = models.resolve("lanczos"), models.resolve("nomos-span-x2-jpeg")
    text = describe(result(30.0, 1.0), result(30.8, 3.0), plain, plain)
    assert text.startswith("B is 0.8 dB closer on the round-trip check and 3.0x slower")
    assert "JPEG" not in text
    text = describe(result(30.0, 2.0), result(29.0, 1.0), plain, jpeg_model)
    assert "B is 1.0 dB further" in text and "2.0x faster" in text
    assert "B is trained for compressed (JPEG) photos" in text and "clean downscaling only" in text


def test_a_finished_batch_is_shown_again_after_an_app_restart(delivery, tmp_path, monkeypatch):
    """Jobs live in memory; the Batch tab finds the owner's newest finished batch on disk instead."""
    from srdemo.ui import batch as batch_tab

    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    owner_dir = batch_tab._owner_dir("browser:restart-key")
    run_batch([delivery], owner_dir / "older" / "output", BatchOptions(model="lanczos", scale=2))
    assert batch_tab.on_batch_status("someone-else", None) == ("No batch yet.", [], None)

    status, rows, zip_copy = batch_tab.on_batch_status("restart-key", None)

    assert status == "Finished earlier: 2 image(s) done, 1 failed. Download the zip below."
    assert {r[0] for r in rows} >= {"tea.png", "shelf/a/jam.png", "shelf/broken.jpg"}
    with zipfile.ZipFile(zip_copy) as zf:
        assert {"tea.png", "shelf/a/jam.png", "report.csv"} <= set(zf.namelist())
