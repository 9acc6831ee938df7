"""What metadata leaves srdemo with an image. A supplier's GPS position, serial numbers and names do not belong on a
marketplace: by default the useful EXIF (camera, date, copyright) is kept, private fields and XMP/IPTC (where
location lives) dropped, Orientation reset; on request the file is marked as AI-processed."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from PIL.ExifTags import IFD, Base

PRIVATE_EXIF = (Base.MakerNote, Base.CameraOwnerName, Base.BodySerialNumber, Base.LensSerialNumber)

# IPTC Digital Source Type vocabulary (cv.iptc.org/newscodes/digitalsourcetype): "edited using AI".
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SOFTWARE_NAME = "srdemo (AI super-resolution)"


@dataclass(frozen=True)
class MetadataPolicy:
    keep_private: bool = False  # GPS, MakerNote, serial numbers, owner names, XMP/IPTC
    provenance: bool = False  # mark as AI-processed (IPTC DigitalSourceType + EXIF Software)


def clean_exif(exif_bytes: bytes | None, policy: MetadataPolicy) -> bytes | None:
    """EXIF for the output: Orientation reset, private fields removed unless kept."""
    if not exif_bytes and not policy.provenance:
        return None
    exif = Image.Exif()
    if exif_bytes:
        exif.load(exif_bytes)
    exif[Base.Orientation] = 1
    if not policy.keep_private:
        exif.pop(IFD.GPSInfo, None)
        exif.pop(Base.Artist, None)
        sub = exif.get_ifd(IFD.Exif)
        for tag in PRIVATE_EXIF:
            sub.pop(tag, None)
    if policy.provenance:
        exif[Base.Software] = SOFTWARE_NAME
    return exif.tobytes()


def xmp_packet(source_xmp: bytes | str | None, policy: MetadataPolicy) -> str | None:
    """The XMP to write: the source's only when private data is kept; ours when marking provenance."""
    if policy.provenance:
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}"/>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
        )
    if policy.keep_private and source_xmp:
        return source_xmp.decode("utf-8", "replace") if isinstance(source_xmp, bytes) else source_xmp
    return None
