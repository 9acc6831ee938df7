"""What defines a run: its settings (``TrainConfig``), the pixel losses, and what it has measured (``History``);
both go to and from JSON here only (checkpoints, the app's ``run.json``, ``config.json``, ``history.json``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from .. import devices, metrics
from ..degradations import degradation
from ..errors import SrdemoError
from ..wording import text


def luma_mse(diff: torch.Tensor) -> torch.Tensor:
    """MSE that spends most of a small network's capacity on luma, where the eye (and PSNR-Y) looks: four fifths
    the BT.601 luma error (scaled so a grey error counts as in RGB), one fifth the RGB MSE, which keeps colours right."""
    weights = torch.as_tensor(metrics.Y_WEIGHTS, dtype=diff.dtype, device=diff.device)
    luma = torch.einsum("nchw,c->nhw", diff, weights / weights.sum())
    return 0.8 * (luma * luma).mean() + 0.2 * (diff * diff).mean()


# Pixel losses on (SR - HR). L1 trains best from scratch; a short MSE tail then aims straight at PSNR.
LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "l1": lambda d: d.abs().mean(),
    "charbonnier": lambda d: torch.sqrt(d * d + 1e-6).mean(),
    "mse": lambda d: (d * d).mean(),
    "luma-mse": luma_mse,
}

# Where or how precisely a run is computed, how often it reports, what it is called: a run may resume with others.
_NOT_IN_RUN_KEY = ("out", "device", "precision", "val_every", "checkpoint_every", "name")


BYTES_PER_LR_PIXEL_CHANNEL = 800  # training memory: SPAN's saved activations, the optimiser, the float copies
SAFE_SHARE = 0.6  # of the memory the machine has free when the run starts


def memory_estimate(config: TrainConfig) -> int:
    """Bytes a training step of this run needs, roughly (a SPAN of ``channels`` width; 28 when unknown)."""
    hr_bytes = config.patch**2 * 3 * 4 * 4  # HR patch, LR patch, output and gradient, float32
    return config.batch * ((config.patch // config.scale) ** 2 * (config.channels or 28) * BYTES_PER_LR_PIXEL_CHANNEL + hr_bytes)


def check_fits(config: TrainConfig) -> None:
    """Refuse a run whose step would not fit in this machine's free memory, before it starts."""
    need, free = memory_estimate(config), devices.available_memory()  # a container's limit counts
    if free is not None and need > SAFE_SHARE * free:
        raise SrdemoError(text("err_train_memory", need_gb=need / 1e9, free_gb=free / 1e9))


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; saved with it, so a resume needs only the folder."""

    data: tuple[str, ...]
    out: str
    scale: int = 4
    steps: int = 1000
    init: str | None = None  # model to fine-tune (catalogue id, file, owner/repo:file); None = from scratch
    arch: str = "span"
    channels: int | None = None  # SPAN width: 28 from scratch; fine-tuning keeps the base's, or widens it
    degrade: str = "bicubic"
    batch: int = 16
    patch: int = 128  # HR patch side
    lr: float = 5e-4
    loss: str = "l1"  # a key of LOSSES
    ema: float = 0.999  # 0 disables
    val_every: int = 250
    val_count: int = 10
    val_files: tuple[str, ...] = ()  # explicit held-out names (relative paths); else val_count chosen by seed
    val_crop: int = 256  # HR centre crop used for validation, to keep it quick
    checkpoint_every: int = 100
    seed: int = 0
    device: str | None = None
    precision: str = "auto"  # bfloat16 autocast for the forward pass: "auto" on CUDA only, "bf16" also on CPUs
    name: str | None = None  # what its owner calls the model (its card's title); None: the output folder's name

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "bf16", "fp32"):
            raise SrdemoError(text("err_precision"))
        degradation(self.degrade)  # a plain message for an unknown name
        if self.loss not in LOSSES:
            raise SrdemoError(text("err_loss", choices=", ".join(LOSSES)))
        # A stranger's API call chooses every field: these bounds keep one run from taking the machine.
        for name, value, lo, hi in [
            ("scale", self.scale, 1, 8), ("steps", self.steps, 1, 1_000_000), ("batch", self.batch, 1, 256),
            ("patch", self.patch, 8, 1024), ("lr", self.lr, 1e-8, 0.1), ("seed", self.seed, 0, 2**32 - 1),
            ("ema", self.ema, 0, 0.99999), ("channels", self.channels or 28, 4, 256),
            ("val_every", self.val_every, 1, 1_000_000), ("checkpoint_every", self.checkpoint_every, 1, 1_000_000),
            ("val_count", self.val_count, 0, 10_000), ("val_crop", self.val_crop, 8, 4096),
        ]:
            if not lo <= value <= hi:
                raise SrdemoError(text("err_train_bound", name=name, value=value, lo=lo, hi=hi))
        if self.patch % self.scale:
            raise SrdemoError(text("err_patch_multiple", patch=self.patch, scale=self.scale))

    def to_json(self) -> dict:
        """Every field, in field order, with the tuples as lists (what ``json.dumps`` writes anyway)."""
        return {**asdict(self), "data": list(self.data), "val_files": list(self.val_files)}

    @classmethod
    def from_json(cls, d: dict) -> TrainConfig:
        """The inverse of ``to_json`` (and of ``run_key``, whose missing fields take their defaults)."""
        return cls(**{k: tuple(v) if k in ("data", "val_files") else v for k, v in d.items()})

    def run_key(self) -> dict:
        """The settings that define the run's numbers; a checkpoint resumes only into a config with the same key."""
        return {k: v for k, v in self.to_json().items() if k not in _NOT_IN_RUN_KEY}


@dataclass
class History:
    """What a run has measured: training loss by step, validation scores, and what it was compared with."""

    loss: list[tuple[int, float]] = field(default_factory=list)
    val: list[tuple[int, float, float]] = field(default_factory=list)  # step, psnr, ssim
    bicubic: tuple[float, float] | None = None  # on the same validation images
    base: tuple[float, float] | None = None  # the starting model's scores

    def best_psnr(self) -> float:
        return max((v[1] for v in self.val), default=-math.inf)

    def to_json(self) -> dict:
        """A dict for ``json.dumps`` (which writes the tuples as lists)."""
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> History:
        """The inverse of ``to_json``: JSON's lists back to the tuples of each entry."""
        bicubic, base = d.get("bicubic"), d.get("base")
        return cls([tuple(x) for x in d.get("loss", [])], [tuple(x) for x in d.get("val", [])],
                   tuple(bicubic) if bicubic else bicubic, tuple(base) if base else base)
