"""What metadata leaves srdemo with an image, and what does not.

Product photos often carry a supplier's GPS position, camera serial numbers
and owner names: none of that belongs on a marketplace. By default srdemo
keeps the useful EXIF (camera, date, copyright), drops the private fields and
any XMP/IPTC packet (where location lives), resets Orientation (pixels are
already upright), and can mark the file as AI-processed: IPTC's
DigitalSourceType in XMP and EXIF's Software tag.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

ORIENTATION = 0x0112
SOFTWARE = 0x0131
ARTIST = 0x013B
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
MAKER_NOTE = 0x927C
CAMERA_OWNER = 0xA430
BODY_SERIAL = 0xA431
LENS_SERIAL = 0xA435
PRIVATE_EXIF = (MAKER_NOTE, CAMERA_OWNER, BODY_SERIAL, LENS_SERIAL)

# IPTC NewsCodes: "edited using AI" (a photo changed by a trained model), per the IPTC
# Digital Source Type vocabulary (cv.iptc.org/newscodes/digitalsourcetype).
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
    exif[ORIENTATION] = 1
    if not policy.keep_private:
        exif.pop(GPS_IFD, None)
        exif.pop(ARTIST, None)
        sub = exif.get_ifd(EXIF_IFD)
        for tag in PRIVATE_EXIF:
            sub.pop(tag, None)
    if policy.provenance:
        exif[SOFTWARE] = SOFTWARE_NAME
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
