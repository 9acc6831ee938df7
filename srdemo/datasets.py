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
from .wording import text

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
        lines = [text("datasets_images_read", count=len(self.pictures))]
        if self.skipped:
            lines.append(text("datasets_skipped", count=len(self.skipped)))
            lines.extend(text("datasets_skipped_item", name=name, reason=reason) for name, reason in self.skipped)
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
        raise SrdemoError(text("err_zip_unreadable", name=path.name)) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_ENTRIES:
            raise SrdemoError(text("err_zip_too_many_files", name=path.name, count=len(infos), limit=MAX_ZIP_ENTRIES))
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_TOTAL:
            raise SrdemoError(text("err_zip_too_large", name=path.name, size_gb=total / 1e9, limit_gb=MAX_ZIP_TOTAL / 1e9))
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise SrdemoError(text("err_zip_bomb", name=path.name, member=info.filename,
                                        ratio=info.file_size // max(1, info.compress_size)))
        for info in sorted(infos, key=lambda i: i.filename):
            name = safe_member_name(info.filename)
            if name is None:
                skipped.append((info.filename, text("skip_outside_archive")))
                continue
            if name.split("/")[-1].startswith(".") or name.startswith("__MACOSX/"):
                continue  # system clutter, not the user's files
            if PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append((name, text("skip_not_image")))
                continue
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
            if len(data) > info.file_size:
                raise SrdemoError(text("err_zip_sizes_lie", name=path.name))
            yield name, data


def _iter_folder(root: Path, skipped: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append((rel, text("skip_not_image")))
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
            skipped.append((str(src), text("skip_not_found")))


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
            out.skipped.append((name, text("skip_too_small", width=pic.size[0], height=pic.size[1], min_side=min_side)))
            continue
        out.pictures.append((name, pic))
    return out
