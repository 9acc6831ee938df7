"""Training and fine-tuning super-resolution models (the CLI and the Train tab run the same loop).

Data for step k depends only on (seed, k) and checkpoints hold everything else, so a run killed at any moment
and resumed ends bit-identical to one that never stopped. Under ``torchrun`` each process takes its share of a batch.
"""

from .checkpoints import BEST, CHECKPOINT, read_metadata
from .config import LOSSES, History, TrainConfig, check_fits
from .export import export
from .loop import Progress, build_network, train

__all__ = [
    "BEST", "CHECKPOINT", "LOSSES", "History", "Progress", "TrainConfig", "build_network", "check_fits", "export",
    "read_metadata", "train",
]
