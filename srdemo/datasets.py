"""Reading a folder or a zip of photos safely, for training and batches.

One reader for every place that takes many files from a user. Zips are read
without extracting them to disk: entries with absolute paths or ``..`` are
refused, as are archives whose unpacked size or compression ratio says "zip
bomb". Files that are not images, or are damaged, are skipped and listed with
the reason, so nothing is silently lost.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import SrdemoError
from .images import Picture, decode

MAX_ZIP_TOTAL = 4_000_000_000  # bytes unpacked
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per entry; images barely compress
MAX_ZIP_ENTRIES = 100_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".avif", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".gif"}


@dataclass
class Collection:
    """What was read: pictures with their relative paths, and what was skipped and why."""

    pictures: list[tuple[str, Picture]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"{len(self.pictures)} images read"]
        if self.skipped:
            lines.append(f"{len(self.skipped)} skipped:")
            lines.extend(f"  {name}: {reason}" for name, reason in self.skipped)
        return "\n".join(lines)


def safe_member_name(name: str) -> str | None:
    """The entry's relative path, or None if it would escape the destination."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return None
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if any(p == ".." for p in parts) or not parts:
        return None
    return "/".join(parts)


def _iter_zip(path: Path, skipped: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SrdemoError(f"'{path.name}' is not a readable zip file.") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_ENTRIES:
            raise SrdemoError(f"'{path.name}' holds {len(infos)} files; the limit is {MAX_ZIP_ENTRIES}.")
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_TOTAL:
            raise SrdemoError(f"'{path.name}' would unpack to {total / 1e9:.1f} GB; refused (the limit is {MAX_ZIP_TOTAL / 1e9:.0f} GB).")
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise SrdemoError(f"'{path.name}' looks like a zip bomb ('{info.filename}' expands {info.file_size // max(1, info.compress_size)}x); refused.")
        for info in sorted(infos, key=lambda i: i.filename):
            name = safe_member_name(info.filename)
            if name is None:
                skipped.append((info.filename, "refused: path points outside the archive"))
                continue
            if name.split("/")[-1].startswith(".") or name.startswith("__MACOSX/"):
                continue  # system clutter, not the user's files
            if PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append((name, "not an image file"))
                continue
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
            if len(data) > info.file_size:
                raise SrdemoError(f"'{path.name}' lies about its sizes (zip bomb?); refused.")
            yield name, data


def _iter_folder(root: Path, skipped: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append((rel, "not an image file"))
            continue
        yield rel, path.read_bytes()


def iter_files(sources: list[Path], skipped: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    """Bytes of every image file in folders, zips and files, streamed; refusals go to ``skipped``."""
    for src in sources:
        src = Path(src)
        if src.is_dir():
            yield from _iter_folder(src, skipped)
        elif zipfile.is_zipfile(src):
            yield from _iter_zip(src, skipped)
        elif src.is_file():
            yield src.name, src.read_bytes()
        else:
            skipped.append((str(src), "not found"))


def collect(sources: list[Path] | Path, min_side: int = 0) -> Collection:
    """Decode every image in folders, zips and files; skip (and list) the rest."""
    if isinstance(sources, (str, Path)):
        sources = [Path(sources)]
    out = Collection()
    for name, data in iter_files(list(sources), out.skipped):
        try:
            pic = decode(data, name)
        except SrdemoError as exc:
            out.skipped.append((name, str(exc)))
            continue
        if min(pic.size) < min_side:
            out.skipped.append((name, f"too small ({pic.size[0]}x{pic.size[1]}; needs at least {min_side} px on each side)"))
            continue
        out.pictures.append((name, pic))
    return out
