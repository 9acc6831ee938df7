"""The one safe reader for every place that takes many files from a user (folders, zips: training and batches).

Zips are streamed, never extracted: an entry stops at the per-file limit and an upload has a budget of unpacked
bytes, so a zip bomb costs at most one file's memory; paths that would escape are refused. Whatever cannot be read
becomes an :class:`Entry` with its problem, never an exception that ends a batch, and names are made unique.
"""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image

from .errors import SrdemoError
from .images import Picture, decode, unique_name
from .settings import get_settings
from .wording import text

MAX_ZIP_RATIO = 200  # uncompressed / compressed, per entry; images barely compress
MAX_ZIP_ENTRIES = 100_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".avif", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".gif"}
CHUNK = 1 << 20
# What a broken zip entry raises: bad CRC or headers, encryption, an unknown compression method, a truncated stream.
_ENTRY_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error,
                 OSError, ValueError)


@dataclass(frozen=True)
class Entry:
    """One file found in the sources: its bytes, or why they could not be read."""

    name: str  # relative path, unique among the entries of one read
    data: bytes | None = None
    problem: str | None = None  # could not be read (damaged, too big...): a failure
    skip: str | None = None  # not for us (not an image, outside the archive): listed, not a failure
    renamed_from: str | None = None

    @property
    def notes(self) -> list[str]:
        return [text("note_renamed_duplicate", name=self.renamed_from)] if self.renamed_from else []


@dataclass
class Collection:
    """What was read: pictures with their relative paths, and what was skipped and why."""

    pictures: list[tuple[str, Picture]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def report(self, most: int = 20) -> str:
        """The count, then the first ``most`` problems and how many more."""
        lines = [text("datasets_images_read", count=len(self.pictures))]
        if self.skipped:
            lines.append(text("datasets_skipped", count=len(self.skipped)))
            lines.extend(text("datasets_skipped_item", name=name, reason=reason) for name, reason in self.skipped[:most])
            if len(self.skipped) > most:
                lines.append(text("datasets_and_more", count=len(self.skipped) - most))
        return "\n".join(lines)


def safe_member_name(name: str) -> str | None:
    """The entry's relative path, or None if it would escape the destination."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or name[1:2] == ":" or ".." in parts or not parts:
        return None
    return "/".join(parts)


def _opens_as_image(path: Path) -> bool:
    """Whether Pillow finds an image in the file, as :func:`images.decode` would (its header only: cheap)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path):
                return True
    except Image.DecompressionBombError:
        return True  # an image, only too big: decoding refuses it with its own sentence
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is not an image to us
        return False


class _Walk:
    """One upload's walk: whether to read bytes at all, the per-file limit, and the unpacked bytes all its files may take."""

    def __init__(self, read: bool) -> None:
        self.read, self.per_file, self.total = read, get_settings().max_file_bytes, get_settings().max_upload_bytes
        self.left = self.total

    def too_big(self, size: int) -> str | None:
        return text("skip_zip_entry_too_big", size_mb=size / 1e6, limit_mb=self.per_file / 1e6) if size > self.per_file else None

    def spend(self, n: int) -> str | None:
        """Why ``n`` more bytes are refused, or None."""
        self.left -= n
        return None if self.left >= 0 else text("skip_upload_budget", limit_mb=self.total / 1e6)

    def source(self, src: Path) -> Iterator[Entry]:
        if src.is_dir():
            yield from self.folder(src)
        elif src.is_file() and _opens_as_image(src):  # by content, image first: a PNG with a zip appended is a photo
            yield self.file(src, src.name)
        elif src.suffix.lower() == ".zip" or (src.is_file() and zipfile.is_zipfile(src)):
            yield from self.zip(src, "")
        elif src.is_file():
            yield self.file(src, src.name)
        else:
            yield Entry(src.name, skip=text("skip_not_found"))

    def folder(self, root: Path) -> Iterator[Entry]:
        """Every file below ``root``; a zip inside the folder is read as a sub-folder of its own name."""
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.suffix.lower() == ".zip":
                yield from self.zip(path, rel[: -len(path.name)])
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                yield Entry(rel, skip=text("skip_not_image"))
            else:
                yield self.file(path, rel)

    def file(self, path: Path, name: str) -> Entry:
        if not self.read:
            return Entry(name)
        size = path.stat().st_size
        problem = self.too_big(size) or self.spend(size)
        return Entry(name, problem=problem) if problem else Entry(name, path.read_bytes())

    def zip(self, path: Path, prefix: str) -> Iterator[Entry]:
        try:
            zf = zipfile.ZipFile(path)
            infos = [i for i in zf.infolist() if not i.is_dir()]
        except (*_ENTRY_ERRORS, SrdemoError):
            yield Entry(prefix + path.name, problem=text("err_zip_unreadable", name=path.name))
            return
        with zf:
            if len(infos) > MAX_ZIP_ENTRIES:
                yield Entry(prefix + path.name, problem=text("err_zip_too_many_files", name=path.name, count=len(infos),
                                                             limit=MAX_ZIP_ENTRIES))
                return
            for info in sorted(infos, key=lambda i: i.filename):
                name = safe_member_name(info.filename)
                if name is None:
                    yield Entry(info.filename, skip=text("skip_outside_archive"))
                elif name.split("/")[-1].startswith(".") or name.startswith("__MACOSX/"):
                    continue  # system clutter, not the user's files
                elif PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES:
                    yield Entry(prefix + name, skip=text("skip_not_image"))
                else:
                    yield Entry(prefix + name, *self.zip_entry(zf, info)) if self.read else Entry(prefix + name)

    def zip_entry(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str | None]:
        """The entry's bytes, read in chunks and stopped at the first limit it passes; or its problem."""
        if info.flag_bits & 0x1:
            return None, text("skip_zip_encrypted")
        if problem := self.too_big(info.file_size):
            return None, problem
        if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
            return None, text("skip_zip_bomb", ratio=info.file_size // max(1, info.compress_size))
        chunks, size = [], 0
        try:
            with zf.open(info) as fh:
                while chunk := fh.read(CHUNK):
                    size += len(chunk)
                    if size > info.file_size:
                        return None, text("skip_zip_lies")
                    if problem := self.spend(len(chunk)):
                        return None, problem
                    chunks.append(chunk)
        except _ENTRY_ERRORS:
            return None, text("skip_zip_damaged")
        if size != info.file_size:
            return None, text("skip_zip_damaged")
        return b"".join(chunks), None


def iter_files(sources: list[Path], read: bool = True) -> Iterator[Entry]:
    """Every file in folders, zips and plain files, streamed one at a time, each under one unique name ('same (2).png':
    no result overwrites another); ``read=False`` lists them without reading or unpacking any (a batch's total)."""
    walk, seen = _Walk(read), set()
    for src in sources:
        for entry in walk.source(Path(src)):
            name = unique_name(entry.name, seen.__contains__)
            seen.add(name)
            yield entry if name == entry.name else Entry(name, entry.data, entry.problem, entry.skip, renamed_from=entry.name)


def collect(sources: list[Path] | Path, min_side: int = 0) -> Collection:
    """Decode every image in folders, zips and files; skip (and list) the rest."""
    if isinstance(sources, (str, Path)):
        sources = [Path(sources)]
    out = Collection()
    for entry in iter_files(list(sources)):
        if entry.problem is not None or entry.skip is not None:
            out.skipped.append((entry.name, entry.problem or entry.skip))
            continue
        try:
            pic = decode(entry.data, entry.name)
        except SrdemoError as exc:
            out.skipped.append((entry.name, str(exc)))
            continue
        if min(pic.size) < min_side:
            out.skipped.append((entry.name, text("skip_too_small", width=pic.size[0], height=pic.size[1], min_side=min_side)))
            continue
        out.pictures.append((entry.name, pic))
    return out
