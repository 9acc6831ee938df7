"""The model catalogue: each model described once (:class:`ModelSpec`), who may use which, and loading them.

:func:`resolve` is the one place a reference becomes a model and decides what a caller may use: a visitor
of the app never gets a server path they typed, nor another owner's run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import backends, hub, names, workspace
from .backends import OnnxNetwork
from .caller import Caller
from .devices import Device, pick_device
from .errors import SrdemoError
from .settings import get_settings
from .weights import SUFFIXES, load_descriptor
from .wording import text

if TYPE_CHECKING:
    import spandrel

Kind = Literal["resampler", "builtin", "file", "hub", "run"]
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
    slug: str = ""  # a short name for output files ('RealESRGAN_x4'); the id when empty
    tier: str = ""  # 'best': the slowest and finest of its scale, the default where DEFAULT_TIER says so
    exports: bool = True  # False: its ONNX export was tried and is not torch's (the built-in's json says)
    bytes_per_pixel: float | None = None  # a built-in's json: lets ONNX Runtime run it without torch

    @property
    def native_scale(self) -> int:
        return self.scales[0]

    @property
    def is_neural(self) -> bool:
        return self.kind != "resampler"

    @property
    def file_slug(self) -> str:
        return self.slug or self.id


RESAMPLERS = (
    ModelSpec(
        "lanczos", "Lanczos (classic, instant): smooth, adds no detail", "resampler", (1,),
        "Quick previews; images that must not gain any invented detail.", "n/a (Pillow)", "Pillow's Lanczos filter",
    ),
    ModelSpec(
        "bicubic", "Bicubic (classic, instant): the plain enlargement every figure compares with", "resampler", (1,),
        "A reference point: the plain enlargement every shop already has.", "n/a (Pillow)", "Pillow's bicubic filter",
    ),
)

# Public Hub weights; each 'source' cites public code that downloads the same file, which shows it exists.
HUB_MODELS = (
    ModelSpec(
        "realesrgan-x4", "Real-ESRGAN x4 (Hub download): bold detail for worn or soft photos", "hub", (4,),
        "Old or soft supplier photos where a crisper look matters more than faithfulness.", "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x4.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x4.pth"),
        notes="Large RRDB network (16.7 M parameters): slow on a CPU.",
    ),
    ModelSpec(
        "realesrgan-x2", "Real-ESRGAN x2 (Hub download): bold detail, doubles the size", "hub", (2,),
        "Soft photos that need only doubling.", "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x2.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x2.pth"),
    ),
    ModelSpec(
        "nomos-span-x2-jpeg", "Nomos SPAN x2 for JPEG photos (Hub download): cleans compression blocks", "hub", (2,),
        "Supplier photos saved as low-quality JPEG.", "see the model page",
        "huggingface.co/Phips/2xNomosUni_span_multijpg, file 2xNomosUni_span_multijpg.pth (listed in srdemo's "
        "shared data README)",
        hub_file=hub.HubFile("Phips/2xNomosUni_span_multijpg", "2xNomosUni_span_multijpg.pth"), for_compressed=True,
    ),
)


def builtin_specs() -> list[ModelSpec]:
    """srdemo's own weights (``weights/<id>.safetensors`` and ``<id>.json``), each base model before its variants."""
    specs = []
    for meta_path in sorted(BUILTIN_DIR.glob("*.json"), key=lambda p: (p.stem.split("-")[0], p.stem)):
        meta = json.loads(meta_path.read_text())
        weights = meta_path.with_suffix(".safetensors")
        if weights.exists():
            specs.append(
                ModelSpec(
                    meta_path.stem, meta["label"], "builtin", (int(meta["scale"]),), meta["good_for"],
                    meta.get("licence", "MIT"), meta.get("upstream") or text("model_builtin_source"), path=weights,
                    for_compressed=bool(meta.get("for_compressed", False)), tier=meta.get("tier", ""),
                    exports=meta.get("onnx", True) is not False, bytes_per_pixel=meta.get("bytes_per_pixel"),
                )
            )
    return specs


def _weights_stem(name: str) -> str:
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def file_spec(path: Path) -> ModelSpec:
    """A weights file on this machine; its scale is known only once loaded (0 until then)."""
    return ModelSpec(
        f"local:{path.name}", text("model_file_label", file=path.name), "file", (0,), text("model_file_good_for"),
        text("model_file_licence"), str(path), path=path, slug=_weights_stem(path.name),
    )


def hub_spec(ref: hub.HubFile) -> ModelSpec:
    """Any Hub repo and file a user names."""
    return ModelSpec(
        f"hub:{ref}", text("model_hub_label", ref=ref), "hub", (0,), text("model_hub_good_for"),
        text("model_hub_licence"), ref.url, hub_file=ref, slug=_weights_stem(ref.filename.rsplit("/", 1)[-1]),
    )


def run_spec(weights: Path) -> ModelSpec:
    """A model trained in the app (``<run>/model/model.safetensors``), by the name in its ``config.json``, else its run's."""
    run = weights.parent.parent.name
    try:
        name = json.loads((weights.parent / "config.json").read_text()).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return ModelSpec(
        f"run:{run}", text("model_run_label", run=name or run), "run", (0,), text("model_run_good_for"),
        text("model_run_licence"), text("model_run_source"), path=weights, slug=names.file_name(name) if name else run,
    )


def catalogue(caller: Caller) -> list[ModelSpec]:
    """Every model ``caller`` may pick from a list: their own runs, srdemo's, classic, the operator's folder, the Hub."""
    folder = get_settings().model_dir  # SRDEMO_MODEL_DIR, listed to everyone
    files = sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []
    return [
        *(run_spec(w) for w in workspace.trained_weights(caller.owner)),  # each owner sees only their own
        *builtin_specs(),
        *RESAMPLERS,
        *(file_spec(p) for p in files if p.is_file() and p.suffix.lower() in SUFFIXES),
        *HUB_MODELS,
    ]


DEFAULT_TIER = {"cuda": "best"}  # the built-in tier each device type starts on (others: ""): on a CPU "best" is slow


def default_model(scale: float = 4, device: Device | None = None, tier: str | None = None) -> ModelSpec:
    """The built-in model for this scale and device (this machine's by default), else Lanczos: of those not made
    for compressed photos, ``tier`` first (by default the one ``DEFAULT_TIER`` names), then the first listed."""
    fits = [spec for spec in builtin_specs() if spec.native_scale == scale and not spec.for_compressed]
    if tier is None:
        tier = DEFAULT_TIER.get((device or pick_device()).type, "")
    return next((spec for spec in fits if spec.tier == tier), fits[0] if fits else RESAMPLERS[0])


def resolve(ref: str, caller: Caller) -> ModelSpec:
    """The model a reference names, if ``caller`` may use it: a listed id (``x4``, ``local:<file>``, ``run:<run>``),
    a Hub file (``[hub:]owner/repo:file[@revision]``), or, for a trusted caller only, a weights file's path."""
    ref = hub.check_length((ref or "").strip())  # before it becomes a path, a URL or a message
    if not ref:
        raise SrdemoError(text("err_choose_model"))
    for spec in catalogue(caller):
        if spec.id == ref:
            return spec
    if ref.startswith("run:"):
        raise SrdemoError(text("err_not_your_run"))  # the caller's own runs were matched above
    if caller.trusted:  # the app never opens a server path a visitor typed
        with contextlib.suppress(OSError):  # a name the filesystem refuses (over 255 bytes a component) is no file here
            if (path := Path(ref).expanduser()).is_file():
                return file_spec(path)
    head = ref.split(":", 1)[0]
    if ref.startswith("hub:") or (":" in ref and "/" in head and not Path(head).is_absolute()):
        return hub_spec(hub.parse_hub_ref(ref.removeprefix("hub:")))
    if not caller.trusted:
        raise SrdemoError(text("err_unknown_model_app", ref=ref[:80]))
    raise SrdemoError(text("err_unknown_model", ref=ref, known=", ".join(s.id for s in catalogue(caller))))


def availability(spec: ModelSpec) -> str:
    """'ready', or 'needs download' for a Hub file not in the shared cache (which holds only what was fetched without a token)."""
    return "needs download" if spec.kind == "hub" and hub.cached_path(spec.hub_file) is None else "ready"


def weights_file(spec: ModelSpec, caller: Caller) -> Path:
    """The weights file of a neural model on this machine. A Hub file with the caller's token goes to
    their own cache, which nobody else reads; without one, to the shared cache."""
    if spec.kind != "hub":
        if spec.path is None or not spec.path.is_file():
            raise SrdemoError(text("err_weights_missing", model_id=spec.id))
        return spec.path
    if caller.token is None:
        return hub.download(spec.hub_file)
    try:
        return hub.download(spec.hub_file, token=caller.token_value, cache_dir=workspace.hub_cache_dir(caller.owner))
    except SrdemoError:
        public = hub.cached_path(spec.hub_file)  # the shared cache holds only what anyone may read
        if public is None:
            raise
        return public


def _cache_key(spec: ModelSpec, caller: Caller) -> str:
    """Loaded models are shared between callers with the same key; a changed file is a new key. A Hub model
    loaded with a token may be private: its key has a digest of that token, so nobody without it gets it."""
    if spec.kind == "hub":
        token = caller.token_value
        return f"hub:{spec.hub_file}" + (":" + hashlib.sha256(token.encode()).hexdigest()[:16] if token is not None else "")
    stat = spec.path.stat() if spec.path is not None and spec.path.is_file() else None
    return f"{spec.kind}:{spec.path}:{stat.st_mtime_ns if stat else 0}:{stat.st_size if stat else 0}"


@dataclass(eq=False)
class LoadedModel:
    """A spec plus, for a neural model, what runs it: spandrel's descriptor (read from ``weights`` when first
    asked for) and its ONNX Runtime network, once there is one."""

    spec: ModelSpec
    weights: Path | None = None
    scale: int = 1
    tiling: str = "supported"  # spandrel's ModelTiling in lower case ('supported', 'discouraged', 'internal')
    bytes_per_pixel: float | None = None  # peak inference memory per input pixel (engine.memory_per_pixel)
    onnx: OnnxNetwork | None = None
    _descriptor: spandrel.ImageModelDescriptor | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def descriptor(self) -> spandrel.ImageModelDescriptor | None:
        with self._lock:
            if self._descriptor is None and self.weights is not None:
                found = load_descriptor(self.weights, str(self.spec.hub_file) if self.spec.hub_file is not None else None)
                self._descriptor, self.scale, self.tiling = found, found.scale, found.tiling.name.lower()
        return self._descriptor

    @property
    def is_neural(self) -> bool:
        return self.spec.is_neural

    @property
    def architecture(self) -> str:
        return self.descriptor.architecture.name if self.is_neural else self.spec.id


class _ModelCache:
    """A small LRU of loaded models. Each key has its own lock, so a slow Hub download never blocks other models."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, build) -> LoadedModel:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # held only while this key builds
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
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


def load(ref: ModelSpec | str, caller: Caller) -> LoadedModel:
    """Load (or take from the cache) a model that ``caller`` may use; a token is used for its download only."""
    spec = ref if isinstance(ref, ModelSpec) else resolve(ref, caller)
    if not spec.is_neural:
        return LoadedModel(spec)

    def build() -> LoadedModel:
        path = weights_file(spec, caller)
        model = LoadedModel(spec, path, spec.native_scale, bytes_per_pixel=spec.bytes_per_pixel)
        if spec.bytes_per_pixel and backends.available():  # its json describes it: its shipped export needs no torch
            model.onnx = backends.open_export(path.with_suffix(".onnx"), backends.digest(path), model.scale)
        if model.onnx is None:
            descriptor = model.descriptor  # spandrel reads the network (and its scale)
            if spec.exports:  # an export made in the background is set on the model: the next pass runs on it
                private = spec.kind == "run" or (spec.kind == "hub" and caller.token is not None)
                export_dir = workspace.onnx_cache_dir(caller.owner if private else None)  # a private model's: its owner's
                model.onnx = backends.find_export(descriptor, path, export_dir, spec.id, lambda net: setattr(model, "onnx", net))
        return model

    return MODEL_CACHE.get(_cache_key(spec, caller), build)
