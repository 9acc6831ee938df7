"""The model catalogue: where models come from, who may use which, and loading them.

Each model is described once, by a :class:`ModelSpec`; labels, the CLI listing,
the README and the Space metadata are read from these descriptions. Each
*source* of models (srdemo's built-ins, the classic resamplers, a folder of
weights files, the Hugging Face Hub, the runs trained in the app) is one
:class:`Source` in ``SOURCES``: it lists what it offers to a caller, parses the
references it understands, says whether a model is ready, and fetches its
weights. :func:`resolve` is the one place a reference becomes a model, and it
decides what a given :class:`~srdemo.caller.Caller` may use: a visitor of the
app never gets a server path they typed, nor another owner's run.

Neural models are loaded by spandrel (``srdemo.weights``), which detects the
architecture from the weights, so any file spandrel knows works.
"""

from __future__ import annotations

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
    exports: bool = True  # False: its ONNX export was tried and is not torch's (the built-in's json says), so never retried
    bytes_per_pixel: float | None = None  # a built-in's json: its memory per pixel (engine.memory_per_pixel), so
    # ONNX Runtime runs it without reading it into torch

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

# Public Hub weights. Each 'source' cites public code that downloads the same
# repo and file with hf_hub_download, which shows they exist.
HUB_MODELS = (
    ModelSpec(
        "realesrgan-x4", "Real-ESRGAN x4 (Hub download): bold detail for worn or soft photos", "hub", (4,),
        "Old or soft supplier photos where a crisper look matters more than faithfulness.",
        "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x4.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x4.pth"),
        notes="Large RRDB network (16.7 M parameters): slow on a CPU.",
    ),
    ModelSpec(
        "realesrgan-x2", "Real-ESRGAN x2 (Hub download): bold detail, doubles the size", "hub", (2,),
        "Soft photos that need only doubling.",
        "BSD-3-Clause (Real-ESRGAN)",
        "huggingface.co/ai-forever/Real-ESRGAN, file RealESRGAN_x2.pth; downloaded the same way by "
        "github.com/ai-forever/Real-ESRGAN (RealESRGAN/model.py)",
        hub_file=hub.HubFile("ai-forever/Real-ESRGAN", "RealESRGAN_x2.pth"),
    ),
    ModelSpec(
        "nomos-span-x2-jpeg", "Nomos SPAN x2 for JPEG photos (Hub download): cleans compression blocks", "hub", (2,),
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

    Each base model comes before its variants (``x4`` before ``x4-best`` and ``x4-product``): the
    first of a scale is that scale's default unless the device's tier (``DEFAULT_TIER``) has one.
    """
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
    """A model trained in the app: ``<run>/model/model.safetensors``, by the name its owner gave it (its
    ``config.json`` says), or by its run's folder when it has none (models trained before runs had names)."""
    run = weights.parent.parent.name
    try:
        name = json.loads((weights.parent / "config.json").read_text()).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return ModelSpec(
        f"run:{run}", text("model_run_label", run=name or run), "run", (0,), text("model_run_good_for"),
        text("model_run_licence"), text("model_run_source"), path=weights, slug=names.file_name(name) if name else run,
    )


# ---------------------------------------------------------------- sources


class Source:
    """One place models come from. Subclasses override what applies to them."""

    kind: str = ""

    def listed(self, caller: Caller) -> list[ModelSpec]:
        """What this source offers ``caller`` by id (the lists in the app and ``srdemo models``)."""
        return []

    def parse(self, ref: str, caller: Caller) -> ModelSpec | None:
        """A model for a reference that is not a listed id, if this source understands it and ``caller`` may use it."""
        return None

    def available(self, spec: ModelSpec) -> bool:
        """Whether it can be loaded without a download."""
        return True

    def weights(self, spec: ModelSpec, caller: Caller) -> Path:
        """The weights file on this machine (downloading it if need be)."""
        assert spec.path is not None
        if not spec.path.is_file():
            raise SrdemoError(text("err_weights_missing", model_id=spec.id))
        return spec.path

    def cache_key(self, spec: ModelSpec, caller: Caller) -> str:
        """Loaded models are shared between callers with the same key; a changed file is a new key."""
        stat = spec.path.stat() if spec.path is not None and spec.path.is_file() else None
        return f"{self.kind}:{spec.path}:{stat.st_mtime_ns if stat else 0}:{stat.st_size if stat else 0}"

    def export_dir(self, spec: ModelSpec, caller: Caller) -> Path:
        """Where this model's ONNX export is kept: shared, unless the model is the caller's alone."""
        return workspace.onnx_cache_dir()


class Builtins(Source):
    kind = "builtin"

    def listed(self, caller: Caller) -> list[ModelSpec]:
        return builtin_specs()


class Resamplers(Source):
    kind = "resampler"

    def listed(self, caller: Caller) -> list[ModelSpec]:
        return list(RESAMPLERS)


class LocalFiles(Source):
    """The operator's folder (``SRDEMO_MODEL_DIR``, listed to everyone); any path for a trusted caller."""

    kind = "file"

    def listed(self, caller: Caller) -> list[ModelSpec]:
        folder = get_settings().model_dir
        if folder is None or not folder.is_dir():
            return []
        return [file_spec(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in SUFFIXES]

    def parse(self, ref: str, caller: Caller) -> ModelSpec | None:
        if not caller.trusted:
            return None  # the app never opens a server path a visitor typed
        path = Path(ref).expanduser()
        try:
            return file_spec(path) if path.is_file() else None
        except OSError:  # a name the filesystem refuses (over 255 bytes a component) is no file here
            return None


class HubModels(Source):
    kind = "hub"

    def listed(self, caller: Caller) -> list[ModelSpec]:
        return list(HUB_MODELS)

    def parse(self, ref: str, caller: Caller) -> ModelSpec | None:
        if ref.startswith("hub:"):
            return hub_spec(hub.parse_hub_ref(ref[4:]))
        head = ref.split(":", 1)[0]
        if ":" in ref and "/" in head and not Path(head).is_absolute():
            return hub_spec(hub.parse_hub_ref(ref))
        return None

    def available(self, spec: ModelSpec) -> bool:
        """In the shared cache, which holds only what was fetched without a token."""
        return spec.hub_file is not None and hub.cached_path(spec.hub_file) is not None

    def weights(self, spec: ModelSpec, caller: Caller) -> Path:
        """Without a token: the shared cache. With one: the caller's own cache, which nobody else reads."""
        assert spec.hub_file is not None
        if caller.token is None:
            return hub.download(spec.hub_file)
        try:
            return hub.download(spec.hub_file, token=caller.token_value, cache_dir=workspace.hub_cache_dir(caller.owner))
        except SrdemoError:
            public = hub.cached_path(spec.hub_file)  # the shared cache holds only what anyone may read
            if public is None:
                raise
            return public

    def cache_key(self, spec: ModelSpec, caller: Caller) -> str:
        # A model loaded with a token may be private: key it by a digest of that
        # token so other users (without it) never get it from the cache.
        key = f"hub:{spec.hub_file}"
        if caller.token is not None:
            key += ":" + hashlib.sha256(caller.token_value.encode()).hexdigest()[:16]
        return key

    def export_dir(self, spec: ModelSpec, caller: Caller) -> Path:
        return workspace.onnx_cache_dir(caller.owner if caller.token is not None else None)


class TrainedRuns(Source):
    """Models trained in the app: each owner sees and uses only their own."""

    kind = "run"

    def listed(self, caller: Caller) -> list[ModelSpec]:
        return [run_spec(w) for w in workspace.trained_weights(caller.owner)]

    def parse(self, ref: str, caller: Caller) -> ModelSpec | None:
        if ref.startswith("run:"):
            raise SrdemoError(text("err_not_your_run"))  # listed ids were matched before parsing
        return None

    def export_dir(self, spec: ModelSpec, caller: Caller) -> Path:
        return workspace.onnx_cache_dir(caller.owner)


SOURCES: tuple[Source, ...] = (TrainedRuns(), Builtins(), Resamplers(), LocalFiles(), HubModels())
"""In the order the lists show them: your own models, srdemo's, classic, the operator's files, the Hub."""
_BY_KIND = {source.kind: source for source in SOURCES}


def catalogue(caller: Caller) -> list[ModelSpec]:
    """Every model ``caller`` may pick from a list, best default first."""
    return [spec for source in SOURCES for spec in source.listed(caller)]


DEFAULT_TIER = {"cuda": "best"}
"""The built-in tier each device type starts on; others get the plain tier (""). On a GPU the best tier's
extra cost is a fraction of a second; on a CPU it is over ten times the fast built-in's time."""


def default_model(scale: float = 4, device: Device | None = None, tier: str | None = None) -> ModelSpec:
    """The built-in model for this scale and device (this machine's by default), else Lanczos (always available).

    Variants for compressed photos are suggested for JPEGs, never the default. Of the rest, ``tier``
    comes first (by default the one ``DEFAULT_TIER`` names for the device), then the first listed.
    x4 is the app's and the command line's starting scale.
    """
    fits = [spec for spec in builtin_specs() if spec.native_scale == scale and not spec.for_compressed]
    if tier is None:
        tier = DEFAULT_TIER.get((device or pick_device()).type, "")
    return next((spec for spec in fits if spec.tier == tier), fits[0] if fits else RESAMPLERS[0])


def resolve(ref: str, caller: Caller) -> ModelSpec:
    """The model a reference names, if ``caller`` may use it.

    A reference is a listed id (``x4``, ``lanczos``, ``local:<file>``, ``run:<run>``), a Hub file
    (``owner/repo:file[@revision]``, optionally prefixed ``hub:``), or, for a trusted caller
    only, a path to a weights file.
    """
    ref = hub.check_length((ref or "").strip())  # before it becomes a path, a URL or a message
    if not ref:
        raise SrdemoError(text("err_choose_model"))
    for spec in catalogue(caller):
        if spec.id == ref:
            return spec
    for source in SOURCES:
        spec = source.parse(ref, caller)
        if spec is not None:
            return spec
    if not caller.trusted:
        raise SrdemoError(text("err_unknown_model_app", ref=ref[:80]))
    raise SrdemoError(text("err_unknown_model", ref=ref, known=", ".join(s.id for s in catalogue(caller))))


def availability(spec: ModelSpec) -> str:
    """'ready' or 'needs download' (Hub files not yet in the local cache)."""
    return "ready" if _BY_KIND[spec.kind].available(spec) else "needs download"


# ---------------------------------------------------------------- loading + cache


@dataclass(eq=False)
class LoadedModel:
    """A spec plus, for a neural model, what runs it: spandrel's descriptor (read from ``weights`` the first
    time it is asked for, torch with it) and its ONNX Runtime network, once there is one. A built-in whose
    json says its memory per pixel runs on ONNX Runtime without ever reading its descriptor."""

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
        """A network that runs through the engine (not a resampler)."""
        return self.spec.is_neural

    @property
    def architecture(self) -> str:
        return self.descriptor.architecture.name if self.is_neural else self.spec.id


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


def weights_file(spec: ModelSpec, caller: Caller) -> Path:
    """The weights file of a neural model on this machine (downloaded if need be)."""
    return _BY_KIND[spec.kind].weights(spec, caller)


def load(ref: ModelSpec | str, caller: Caller) -> LoadedModel:
    """Load (or take from the cache) a model that ``caller`` may use; a token is used for its download only."""
    spec = ref if isinstance(ref, ModelSpec) else resolve(ref, caller)
    if not spec.is_neural:
        return LoadedModel(spec)
    source = _BY_KIND[spec.kind]

    def build() -> LoadedModel:
        path = weights_file(spec, caller)
        model = LoadedModel(spec, path, spec.native_scale, bytes_per_pixel=spec.bytes_per_pixel)
        if spec.bytes_per_pixel and backends.available():  # its json describes it: its shipped export needs no torch
            model.onnx = backends.open_export(path.with_suffix(".onnx"), backends.digest(path), model.scale)
        if model.onnx is not None:
            return model
        descriptor = model.descriptor  # spandrel reads the network (and its scale)

        def exported(net: OnnxNetwork) -> None:
            model.onnx = net  # made in the background: the next pass runs on it

        if spec.exports:
            model.onnx = backends.find_export(descriptor, path, source.export_dir(spec, caller), spec.id, exported)
        return model

    return MODEL_CACHE.get(source.cache_key(spec, caller), build)
