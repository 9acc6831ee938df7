"""The model catalogue, and loading weights safely through spandrel.

Each model is described once, by a :class:`ModelSpec`; everything else (UI
labels, CLI listing, README, Space metadata) is read from these descriptions.
Neural models are loaded by spandrel, which detects the architecture from the
weights, so any file spandrel knows works, wherever it comes from.

Safety: weights are judged by their content, never by their extension.
safetensors files are plain tensors and always safe. Anything else is refused
if it is a TorchScript archive (which carries code), and otherwise opened with
``torch.load(weights_only=True)``, which refuses pickles that would run code.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import spandrel
import torch
from safetensors.torch import load_file as load_safetensors

from . import hub
from .arch.span import fuse_reparameterised
from .errors import SrdemoError
from .settings import get_settings

Kind = Literal["resampler", "builtin", "file", "hub"]
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")
BUILTIN_DIR = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class ModelSpec:
    """Everything srdemo knows about one model before loading it."""

    id: str
    label: str  # what a merchandiser reads in the dropdown
    kind: Kind
    scales: tuple[int, ...]  # native scale(s); other scales are reached by repeating + exact resize
    good_for: str
    licence: str
    source: str  # where it comes from, with a public citation for Hub models
    path: Path | None = None
    hub_file: hub.HubFile | None = None
    notes: str = ""
    for_compressed: bool = False  # trained to undo JPEG damage: a clean self-check understates it

    @property
    def native_scale(self) -> int:
        return self.scales[0]

    @property
    def is_neural(self) -> bool:
        return self.kind != "resampler"


RESAMPLERS = (
    ModelSpec(
        "lanczos", "Lanczos (classic, instant) - smooth, no invented detail", "resampler", (1,),
        "Quick previews; images that must not gain any invented detail.", "n/a (Pillow)", "Pillow's Lanczos filter",
    ),
    ModelSpec(
        "bicubic", "Bicubic (classic, instant) - the baseline every figure compares with", "resampler", (1,),
        "A reference point: the plain enlargement every shop already has.", "n/a (Pillow)", "Pillow's bicubic filter",
    ),
)

# Public Hub weights. Each 'source' cites public code that downloads the same
# repo and file with hf_hub_download, which shows they exist.
HUB_MODELS = (
    ModelSpec(
        "realesrgan-x4", "Real-ESRGAN x4 (Hub download) - bold detail for worn or soft photos", "hub", (4,),
        "Old or soft supplier photos where a crisper look matters more than faithfulness.",
        "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x4.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x4.pth"),
        notes="Large RRDB network (16.7 M parameters): slow on a CPU.",
    ),
    ModelSpec(
        "realesrgan-x2", "Real-ESRGAN x2 (Hub download) - bold detail, doubling size", "hub", (2,),
        "Soft photos that need only doubling.",
        "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x2.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x2.pth"),
    ),
    ModelSpec(
        "nomos-span-x2-jpeg", "Nomos SPAN x2 for JPEG photos (Hub download) - cleans compression blocks", "hub", (2,),
        "Supplier photos saved as low-quality JPEG.",
        "see the model page",
        "huggingface.co/Phips/2xNomosUni_span_multijpg, file 2xNomosUni_span_multijpg.pth (listed in srdemo's "
        "shared data README)",
        hub_file=hub.HubFile("Phips/2xNomosUni_span_multijpg", "2xNomosUni_span_multijpg.pth"),
        for_compressed=True,
    ),
)


def builtin_specs() -> list[ModelSpec]:
    """srdemo's own weights: ``weights/<id>.safetensors`` with a ``<id>.json`` description.

    Each base model comes before its variants (``x4`` before ``x4-product``): the first of a
    scale is that scale's default.
    """
    specs = []
    for meta_path in sorted(BUILTIN_DIR.glob("*.json"), key=lambda p: (p.stem.split("-")[0], p.stem)):
        meta = json.loads(meta_path.read_text())
        weights = meta_path.with_suffix(".safetensors")
        if weights.exists():
            specs.append(
                ModelSpec(
                    meta_path.stem, meta["label"], "builtin", (int(meta["scale"]),), meta["good_for"],
                    meta.get("licence", "MIT"), "srdemo's own weights (see its model card)", path=weights,
                    for_compressed=bool(meta.get("for_compressed", False)),
                )
            )
    return specs


def _local_specs(folder: Path | None) -> list[ModelSpec]:
    if folder is None or not folder.is_dir():
        return []
    return [
        file_spec(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES
    ]


def file_spec(path: Path) -> ModelSpec:
    """A local weights file; its scale is known only once loaded (0 until then)."""
    return ModelSpec(
        f"local:{path.name}", f"{path.name} (local file)", "file", (0,), "Your own weights file.",
        "as the file's author states", str(path), path=path,
    )


def hub_spec(ref: hub.HubFile) -> ModelSpec:
    """Any Hub repo and file a user types in."""
    return ModelSpec(
        f"hub:{ref}", f"{ref} (Hub)", "hub", (0,), "A model you chose on the Hub.",
        "as its model card states", ref.url, hub_file=ref,
    )


def catalogue() -> list[ModelSpec]:
    """All models, best default first: built-in, then classic, then local files, then Hub downloads."""
    return [*builtin_specs(), *RESAMPLERS, *_local_specs(get_settings().model_dir), *HUB_MODELS]


def default_model(scale: float = 4) -> ModelSpec:
    """The built-in model for this scale if there is one, else Lanczos (always available).

    Variants for compressed photos are suggested for JPEGs, never the default. x4 is the
    app's and the command line's starting scale.
    """
    return next(
        (spec for spec in builtin_specs() if spec.native_scale == scale and not spec.for_compressed), RESAMPLERS[0]
    )


def resolve(ref: str) -> ModelSpec:
    """A catalogue id, a path to a weights file, or ``owner/repo:file[@revision]``."""
    ref = (ref or "").strip()
    if not ref:
        raise SrdemoError("Please choose a model.")
    for spec in catalogue():
        if spec.id == ref:
            return spec
    if ref.startswith("hub:"):
        return hub_spec(hub.parse_hub_ref(ref[4:]))
    path = Path(ref).expanduser()
    if path.is_file():
        return file_spec(path)
    if ":" in ref and "/" in ref.split(":", 1)[0]:
        return hub_spec(hub.parse_hub_ref(ref))
    known = ", ".join(s.id for s in catalogue())
    raise SrdemoError(f"Unknown model '{ref}'. Choose one of: {known}; or a weights file path; or 'owner/repo:file'.")


def availability(spec: ModelSpec) -> str:
    """'ready' or 'needs download' (Hub files not yet in the local cache)."""
    if spec.kind == "hub" and spec.hub_file is not None and hub.cached_path(spec.hub_file) is None:
        return "needs download"
    return "ready"


# ---------------------------------------------------------------- safe reading


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
        raise SrdemoError(f"Could not read the weights file '{name}': {exc.strerror or exc}.") from None
    if _is_safetensors(head):
        try:
            return load_safetensors(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own SafetensorError
            raise SrdemoError(f"'{name}' looks like safetensors but is damaged ({exc}).") from None
    if _is_torchscript(path):
        raise SrdemoError(
            f"'{name}' is a TorchScript program, not plain weights. srdemo does not run code from model "
            "files; ask for a .safetensors or .pth state dict instead."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise SrdemoError(
            f"'{name}' was refused: it is not plain weights (it may contain code, which srdemo never runs) "
            "or it is damaged. Use a .safetensors file."
        ) from None
    if not isinstance(state, dict):
        raise SrdemoError(f"'{name}' does not hold a state dict of tensors.")
    return state


def load_descriptor(path: Path, name: str | None = None) -> spandrel.ImageModelDescriptor:
    """Read weights safely and let spandrel detect the architecture."""
    state = spandrel.canonicalize_state_dict(read_state_dict(path, name))
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise SrdemoError(
            f"'{name or path.name}' is not an architecture spandrel recognises, so srdemo cannot run it."
        ) from None
    except Exception as exc:
        raise SrdemoError(f"'{name or path.name}' could not be loaded as a model ({type(exc).__name__}: {exc}).") from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.purpose not in ("SR", "Restoration"):
        raise SrdemoError(f"'{name or path.name}' is not an image upscaling model.")
    fuse_reparameterised(descriptor.model)
    return descriptor.eval()


# ---------------------------------------------------------------- loading + cache


@dataclass
class LoadedModel:
    """A spec plus, for neural models, spandrel's descriptor (which says how to run it)."""

    spec: ModelSpec
    descriptor: spandrel.ImageModelDescriptor | None = None
    scale: int = field(init=False)

    def __post_init__(self) -> None:
        self.scale = self.descriptor.scale if self.descriptor is not None else 1

    @property
    def architecture(self) -> str:
        return self.descriptor.architecture.name if self.descriptor is not None else self.spec.id


class _ModelCache:
    """A small LRU of loaded models. Loads of different models run in parallel:
    each key has its own lock, so a slow Hub download never blocks other users."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, build) -> LoadedModel:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            model = build()
            with self._lock:
                self._items[key] = model
                while len(self._items) > get_settings().model_cache_size:
                    self._items.popitem(last=False)
            return model

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


MODEL_CACHE = _ModelCache()


def load(spec: ModelSpec | str, token: str | None = None) -> LoadedModel:
    """Load (or fetch from the cache) a model. ``token`` is used for this download only."""
    if isinstance(spec, str):
        spec = resolve(spec)
    if spec.kind == "resampler":
        return LoadedModel(spec)
    if spec.kind == "hub":
        assert spec.hub_file is not None

        def build() -> LoadedModel:
            path = hub.download(spec.hub_file, token=token)
            return LoadedModel(spec, load_descriptor(path, str(spec.hub_file)))

        # A model loaded with a token may be private: key it by a digest of that
        # token so other users (without it) never get it from the cache.
        key = f"hub:{spec.hub_file}"
        if token:
            key += ":" + hashlib.sha256(token.encode()).hexdigest()[:16]
        return MODEL_CACHE.get(key, build)
    assert spec.path is not None
    path = spec.path
    if not path.is_file():
        raise SrdemoError(f"The weights file for '{spec.id}' is missing ({path}).")
    stat = path.stat()
    return MODEL_CACHE.get(
        f"file:{path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}",
        lambda: LoadedModel(spec, load_descriptor(path)),
    )
