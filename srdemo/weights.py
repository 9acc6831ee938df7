"""Reading a weights file safely, and letting spandrel say what network it holds.

Safety: weights are judged by their content, never by their extension.
safetensors files are plain tensors and always safe. Anything else is refused
if it is a TorchScript archive (which carries code), and otherwise opened with
``torch.load(weights_only=True)``, which refuses pickles that would run code.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import spandrel
import torch
from safetensors.torch import load_file as load_safetensors

from .arch.span import fuse_reparameterised
from .errors import SrdemoError
from .wording import text

SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")
"""What a weights file is usually called (for listing a folder and naming outputs; loading decides by content)."""


def _is_safetensors(head: bytes) -> bool:
    # 8-byte little-endian header length, then a JSON object.
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 0 < n < 100_000_000 and head[8:9] == b"{"


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives hold Python code (``code/`` entries, ``constants.pkl``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    return any("/code/" in n or n.endswith("/constants.pkl") or n.startswith("code/") for n in names)


def read_state_dict(path: Path, name: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors from a weights file, decided by content. Never runs code from the file."""
    name = name or path.name
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise SrdemoError(text("err_weights_unreadable", name=name, reason=exc.strerror or exc)) from None
    if _is_safetensors(head):
        try:
            return load_safetensors(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own SafetensorError
            raise SrdemoError(text("err_weights_damaged_safetensors", name=name, detail=exc)) from None
    if _is_torchscript(path):
        raise SrdemoError(text("err_weights_torchscript", name=name))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise SrdemoError(text("err_weights_refused", name=name)) from None
    if not isinstance(state, dict):
        raise SrdemoError(text("err_weights_not_state_dict", name=name))
    return state


def load_descriptor(path: Path, name: str | None = None) -> spandrel.ImageModelDescriptor:
    """Read weights safely and let spandrel detect the architecture."""
    state = spandrel.canonicalize_state_dict(read_state_dict(path, name))
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise SrdemoError(text("err_weights_unknown_arch", name=name or path.name)) from None
    except Exception as exc:
        raise SrdemoError(
            text("err_weights_load_failed", name=name or path.name, error_type=type(exc).__name__, detail=exc)
        ) from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.purpose not in ("SR", "Restoration"):
        raise SrdemoError(text("err_weights_not_upscaler", name=name or path.name))
    fuse_reparameterised(descriptor.model)
    return descriptor.eval()
