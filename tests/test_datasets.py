"""The one safe reader for folders and zips of photos."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from srdemo.datasets import collect, safe_member_name


def _png(seed=0, size=40) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _heic(seed=0, size=40) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buf, "HEIF")
    return buf.getvalue()


def test_zip_with_nested_folders_junk_traversal_and_corrupt_files(tmp_path):
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.png", _png(1))
        zf.writestr("shelf/deep/b.png", _png(2))
        zf.writestr("shelf/phone.HEIC", _heic(5))  # straight from an iPhone
        zf.writestr("notes.txt", "hello")
        zf.writestr("broken.jpg", b"\xff\xd8\xff not really")
        zf.writestr("../escape.png", _png(3))
        zf.writestr("/etc/abs.png", _png(4))
        zf.writestr("__MACOSX/._a.png", b"junk")
    found = collect(path)
    assert [n for n, _ in found.pictures] == ["a.png", "shelf/deep/b.png", "shelf/phone.HEIC"]
    reasons = dict(found.skipped)
    assert reasons["notes.txt"] == "not an image file"
    assert "damaged" in reasons["broken.jpg"]
    assert "outside" in reasons["../escape.png"] and "outside" in reasons["/etc/abs.png"]
    assert not (tmp_path.parent / "escape.png").exists()


def test_a_zip_bomb_entry_is_refused_and_the_rest_is_read(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.png", b"\x00" * 50_000_000)
        zf.writestr("ok.png", _png(1))
    found = collect(path)
    assert [n for n, _ in found.pictures] == ["ok.png"]
    assert "zip bomb" in dict(found.skipped)["huge.png"]


def test_folder_recursion_and_minimum_size(tmp_path):
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "y" / "big.png").write_bytes(_png(1, 64))
    (tmp_path / "small.png").write_bytes(_png(2, 16))
    (tmp_path / ".hidden.png").write_bytes(_png(3, 64))
    found = collect(tmp_path, min_side=32)
    assert [n for n, _ in found.pictures] == ["x/y/big.png"]
    assert "too small (16x16; needs at least 32 px" in dict(found.skipped)["small.png"]


@pytest.mark.parametrize(
    "name,ok", [("a/b.png", True), ("../b.png", False), ("/b.png", False), ("C:/b.png", False), ("a/../../b", False)]
)
def test_member_names(name, ok):
    assert (safe_member_name(name) is not None) == ok
