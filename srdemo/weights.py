"""Reading a weights file safely, and letting spandrel say what network it holds.

Weights are judged by their content, never by their extension: safetensors files are plain tensors; anything
else is refused if it is a TorchScript archive (which carries code), and otherwise opened with
``torch.load(weights_only=True)``, which refuses pickles that would run code. A stranger's file is judged on
what it says of itself (size, header, a zip's entry count and pickle size) before any tensor is made.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SrdemoError
from .wording import text

if TYPE_CHECKING:
    import spandrel
    import torch

SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")  # for listing a folder and naming outputs, not for loading

MAX_WEIGHTS_BYTES = 1_000_000_000  # HAT-L, among the largest upscalers spandrel loads, is 205 MB
MAX_TENSORS = 10_000  # HAT-L has 1,710
MAX_HEADER_BYTES = 4_000_000  # a safetensors header or a torch zip's pickle (HAT-L's header is about 220 KB)
_ZIP_OVERHEAD = 16  # entries of a torch zip besides one per tensor storage (data.pkl, version, byteorder, ...)

_DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64,
}


def _is_safetensors(head: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON object."""
    return len(head) >= 9 and 0 < int.from_bytes(head[:8], "little") < 100_000_000 and head[8:9] == b"{"


def _parse_header(raw: bytes, name: str) -> dict:
    """The header's JSON, stopped soon after ``MAX_TENSORS`` objects, so many tiny tensors never become that many."""
    objects = 0

    def count(pairs: list) -> dict:
        nonlocal objects
        objects += 1
        if objects > MAX_TENSORS + 2:  # one per tensor, one for __metadata__, one around them
            raise SrdemoError(text("err_weights_too_many_tensors", name=name, limit=MAX_TENSORS))
        return dict(pairs)

    return json.loads(raw, object_pairs_hook=count)


def _check_safetensors_header(path: Path, name: str) -> None:
    """Refuse a safetensors file whose header is too large, lists too many tensors, or does not match the
    file (each dtype x shape must fill its byte range; ranges inside the file, not overlapping)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        if length > MAX_HEADER_BYTES:
            raise SrdemoError(text("err_weights_header_too_big", name=name, size_mb=length / 1e6,
                                   limit_mb=MAX_HEADER_BYTES / 1e6))
        raw = f.read(length)
    damaged = SrdemoError(text("err_weights_header_damaged", name=name))
    if len(raw) < length:
        raise damaged
    try:
        header = _parse_header(raw, name)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep
        raise damaged from None
    if len(header) - ("__metadata__" in header) > MAX_TENSORS:
        raise SrdemoError(text("err_weights_too_many_tensors", name=name, limit=MAX_TENSORS))
    data_bytes = size - 8 - length
    spans = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            bits = _DTYPE_BITS[dtype]
            if len(shape) > 8 or not all(type(n) is int and n >= 0 for n in (*shape, start, end)) or start > end:
                raise ValueError  # 8 dimensions at most: a product of thousands of huge numbers is slow
        except (TypeError, KeyError, ValueError):
            raise damaged from None
        tensor = key[:60]
        if math.prod(shape) * bits != (end - start) * 8:
            raise SrdemoError(text("err_weights_tensor_size", name=name, tensor=tensor, dtype=dtype, shape=shape,
                                   got=end - start))
        if end > data_bytes:
            raise SrdemoError(text("err_weights_tensor_outside", name=name, tensor=tensor, end=end, size=data_bytes))
        spans.append((start, end, tensor))
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise SrdemoError(text("err_weights_tensors_overlap", name=name, first=first, second=second))


def _zip_entries(f, size: int) -> int | None:
    """How many entries a torch zip archive says it holds, from its end record alone (before its directory
    is read). None if it is no zip to torch (which reads the first four bytes) or has no end record."""
    if f.read(4) != b"PK\x03\x04":
        return None
    tail_len = min(size, 22 + 65_535)  # the end record, then at most a 64 KB comment
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    if entries == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # zip64: count in its own record
        f.seek(int.from_bytes(tail[at - 12 : at - 4], "little"))
        record = f.read(40)
        if record[:4] == b"PK\x06\x06" and len(record) == 40:
            entries = int.from_bytes(record[32:40], "little")
    return entries


def _check_archive(path: Path, name: str) -> None:
    """Refuse a zip archive (torch's format since 1.6) with too many entries or too large a pickle, and
    TorchScript archives, which hold Python code (``code/`` entries, ``constants.pkl``)."""
    with open(path, "rb") as f:
        entries = _zip_entries(f, path.stat().st_size)
    if entries is None:
        return
    if entries > MAX_TENSORS + _ZIP_OVERHEAD:
        raise SrdemoError(text("err_weights_too_many_tensors", name=name, limit=MAX_TENSORS))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError):  # torch may read what the checks above cannot: refused unread
        raise SrdemoError(text("err_weights_refused", name=name)) from None
    names = [info.filename for info in infos]
    if any("/code/" in n or n.endswith("/constants.pkl") or n.startswith("code/") for n in names):
        raise SrdemoError(text("err_weights_torchscript", name=name))
    pickled = sum(info.file_size for info in infos if info.filename.endswith(".pkl"))
    if pickled > MAX_HEADER_BYTES:
        raise SrdemoError(text("err_weights_header_too_big", name=name, size_mb=pickled / 1e6,
                               limit_mb=MAX_HEADER_BYTES / 1e6))


def read_state_dict(path: Path, name: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors from a weights file, decided by content: never runs its code, and makes no tensor until what
    it says of itself is within the limits above. Every route to a model reads its weights here."""
    name = name or path.name
    try:
        with open(path, "rb") as f:
            head = f.read(16)
        safetensors = _is_safetensors(head)
        size = path.stat().st_size
        if size > MAX_WEIGHTS_BYTES:
            raise SrdemoError(text("err_weights_too_big", name=name, size_mb=size / 1e6, limit_mb=MAX_WEIGHTS_BYTES / 1e6))
        (_check_safetensors_header if safetensors else _check_archive)(path, name)
    except OSError as exc:
        raise SrdemoError(text("err_weights_unreadable", name=name, reason=exc.strerror or exc)) from None
    import torch  # not at the top: a built-in run on ONNX Runtime never reads its tensors
    from safetensors.torch import load_file as load_safetensors

    if safetensors:
        try:
            return load_safetensors(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own SafetensorError
            raise SrdemoError(text("err_weights_damaged_safetensors", name=name, detail=exc)) from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise SrdemoError(text("err_weights_refused", name=name)) from None
    if not isinstance(state, dict):
        raise SrdemoError(text("err_weights_not_state_dict", name=name))
    return state


def load_descriptor(path: Path, name: str | None = None) -> spandrel.ImageModelDescriptor:
    """Read weights safely and let spandrel detect the architecture."""
    import spandrel

    from .arch.span import fuse_reparameterised

    name = name or path.name
    state = spandrel.canonicalize_state_dict(read_state_dict(path, name))
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise SrdemoError(text("err_weights_unknown_arch", name=name)) from None
    except Exception as exc:
        raise SrdemoError(text("err_weights_load_failed", name=name, error_type=type(exc).__name__, detail=exc)) from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.purpose not in ("SR", "Restoration"):
        raise SrdemoError(text("err_weights_not_upscaler", name=name))
    fuse_reparameterised(descriptor.model)
    return descriptor.eval()
