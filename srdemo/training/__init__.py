"""Training and fine-tuning super-resolution models (the CLI and the Train tab run the same loop).

One loop for every case: from scratch with srdemo's chosen architecture, or
fine-tuning any model spandrel can load. Data for step k depends only on
(seed, k), and checkpoints hold everything else (weights, EMA, optimiser,
schedule, history) in one safetensors file written atomically; so a run killed
at any moment and resumed ends bit-identical to one that never stopped.

Several GPUs or machines: launch the same command with ``torchrun``; each
process takes its share of the same global batch and torch.distributed's
DistributedDataParallel averages the gradients.

Modules: ``config`` (settings, losses, history), ``sampling`` (data and batches),
``checkpoints``, ``loop`` (``train``) and ``export``; SPAN's internals are in
``srdemo.arch.span``.
"""

from .checkpoints import BEST, CHECKPOINT, read_metadata
from .config import LOSSES, History, TrainConfig, check_fits
from .export import export
from .loop import Progress, build_network, train

__all__ = [
    "check_fits",
    "BEST", "CHECKPOINT", "LOSSES", "History", "Progress", "TrainConfig", "build_network", "export", "read_metadata", "train",
]
