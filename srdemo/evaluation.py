"""Scoring a model on a folder of sharp images with the published SR protocol (``srdemo eval``, the benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from . import metrics
from .datasets import IMAGE_SUFFIXES
from .degradations import bicubic_downscale, matlab_imresize
from .engine import EngineOptions, upscale_array
from .errors import SrdemoError
from .models import LoadedModel
from .wording import text


@dataclass(frozen=True)
class EvalRow:
    name: str
    model: metrics.Scores
    bicubic: metrics.Scores


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    """``img`` cropped to a multiple of ``scale`` on each side, as the benchmark sets' HR images are."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def evaluate_folder(model: LoadedModel, hr_dir: Path, scale: int, lr_dir: Path | None = None, degrade=None,
                    options: EngineOptions = EngineOptions()) -> list[EvalRow]:
    """PSNR/SSIM-Y (border = scale) of the model and of MATLAB bicubic, per image; ``degrade`` alters each LR image
    (e.g. JPEG compression) before both see it."""
    hr_paths = sorted(p for p in Path(hr_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not hr_paths:
        raise SrdemoError(text("err_eval_no_images", folder=hr_dir))
    rows = []
    for hr_path in hr_paths:
        hr = mod_crop(np.asarray(Image.open(hr_path).convert("RGB")), scale)
        if lr_dir is not None:
            lr_path = Path(lr_dir) / hr_path.name
            if not lr_path.exists():
                raise SrdemoError(text("err_eval_no_lr", lr_path=lr_path, name=hr_path.name))
            lr = np.asarray(Image.open(lr_path).convert("RGB"))
        else:
            lr = bicubic_downscale(hr, scale)
        if degrade is not None:
            lr = degrade(lr)
        sr = upscale_array(model, lr.astype(np.float32) / 255, (lr.shape[1] * scale, lr.shape[0] * scale), options) * 255
        bic = matlab_imresize(lr, scale)  # both rounded to 8-bit levels by the metrics, as the protocol asks
        rows.append(EvalRow(hr_path.stem, metrics.score(sr, hr, scale), metrics.score(bic, hr, scale)))
    return rows


def mean_scores(rows: list[EvalRow]) -> tuple[metrics.Scores, metrics.Scores]:
    model = metrics.Scores(float(np.mean([r.model.psnr for r in rows])), float(np.mean([r.model.ssim for r in rows])))
    bic = metrics.Scores(float(np.mean([r.bicubic.psnr for r in rows])), float(np.mean([r.bicubic.ssim for r in rows])))
    return model, bic


def format_table(rows: list[EvalRow], model_name: str) -> str:
    """A plain-text table: one line per image, then the mean."""
    cell = lambda s: f"{s.psnr:.2f} dB / SSIM {s.ssim:.4f}"  # noqa: E731
    lines = [f"{'image':<16} {model_name[:22]:>22} {'bicubic':>22}"]
    for r in [*rows, EvalRow("mean", *mean_scores(rows))]:
        lines.append(f"{r.name:<16} {cell(r.model):>22} {cell(r.bicubic):>22}")
    return "\n".join(lines)
