"""What metadata an output keeps, drops or adds, read back from each format."""

import io

import pytest
from PIL import Image

from srdemo import images
from srdemo.metadata import DIGITAL_SOURCE_TYPE, MetadataPolicy


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
