"""PSNR/SSIM-Y of models on the 40 held-out store photos (data/holdout_grocery_store_photos.txt): the validation set
that chooses between built-in candidates (run from the repo root, beside ../shared).

    python training/heldout.py MODEL [MODEL ...] [--jpeg [Q ...]] [--scale N]

MODEL is a catalogue id of a built-in (``x4``: ``srdemo/weights/x4.safetensors``), a weights file, a training run's
folder or its ``checkpoint.safetensors``. A finished run is scored with its ``model.safetensors``; an unfinished one
with the EMA weights of its latest checkpoint (the step is printed), so a run can be followed while it trains. Examples:

    python training/heldout.py runs/span-ch28/x4.safetensors runs/builtin-x4-span28 x4
    python training/heldout.py runs/span-ch28/x4.safetensors runs/builtin-x4-product-span28 x4-product --jpeg
    python training/heldout.py x2 runs/builtin-x2-span28
    python training/heldout.py runs/builtin-x4-span28 --save runs/builtin-x4-span28/ema.safetensors  # then:
    python benchmarks/quality.py runs/builtin-x4-span28/ema.safetensors --tile 4096   # report-only figures

Whole photos (not the training loop's 256 px centre crops), mod-cropped to the scale; LR made with MATLAB's
antialiased bicubic (``srdemo.degradations.bicubic_downscale``), and with ``--jpeg`` also a Pillow JPEG-75 round
trip of that LR (``benchmarks/quality.py --jpeg``'s degradation; ``--jpeg 75 90`` for other qualities); one float32 pass of the network per photo, its
output rounded to uint8, scored on Y with ``scale`` pixels of border cropped (the published protocol). The first
model is the reference the others' differences are given against. Set5/Set14/BSD100 stay report-only
(``benchmarks/quality.py``): choosing a checkpoint by them would select on the test sets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import spandrel
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from srdemo import metrics  # noqa: E402
from srdemo.arch.span import fuse_reparameterised, fused_state  # noqa: E402
from srdemo.degradations import bicubic_downscale, jpeg_round_trip, matlab_imresize  # noqa: E402
from srdemo.evaluation import mod_crop  # noqa: E402

HOLDOUT = ROOT / "data" / "holdout_grocery_store_photos.txt"
PHOTOS = ROOT.parent / "shared" / "data" / "train" / "grocery_store_photos"


def _network(state: dict[str, torch.Tensor]) -> torch.nn.Module:
    """The float32 network, its re-parameterised kernels fused from the branches (an EMA of fused kernels is not one)."""
    descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    net = descriptor.model.float().eval()
    fuse_reparameterised(net)  # rebuilds each fused kernel from its branches on the first call
    net.scale = descriptor.scale
    return net


def load(ref: str) -> tuple[torch.nn.Module, str]:
    """The network MODEL names, and what was taken (file, run step)."""
    path = Path(ref)
    if not path.exists() and (ROOT / "srdemo" / "weights" / f"{ref}.safetensors").exists():
        path = ROOT / "srdemo" / "weights" / f"{ref}.safetensors"
    if path.is_dir():
        if (path / "model.safetensors").exists():
            return _network(load_file(str(path / "model.safetensors"))), f"{path}/model.safetensors (finished run)"
        path = path / "checkpoint.safetensors"
    if not path.is_file():
        raise SystemExit(f"heldout.py: {ref}: no such model, weights file or run folder")
    with safe_open(str(path), "pt") as fh:
        meta = json.loads((fh.metadata() or {}).get("srdemo", "{}"))
        keys = list(fh.keys())
    if any(k.startswith("ema.") for k in keys) or any(k.startswith("model.") for k in keys):
        tensors = load_file(str(path))
        prefix = "ema." if any(k.startswith("ema.") for k in keys) else "model."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        steps = meta.get("config", {}).get("steps", "?")
        return _network(state), f"{path} ({prefix[:-1]} weights at step {meta.get('step', '?')} of {steps})"
    return _network(load_file(str(path))), str(path)


def photos(scale: int, quality: int | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, LR, HR) of each held-out photo, uint8; the LR through JPEG at ``quality`` unless it is None."""
    out = []
    for name in HOLDOUT.read_text().split():
        hr = mod_crop(np.asarray(Image.open(PHOTOS / name).convert("RGB")), scale)
        lr = bicubic_downscale(hr, scale)
        out.append((name, lr if quality is None else jpeg_round_trip(lr, quality), hr))
    return out


def score(net: torch.nn.Module, pairs, scale: int) -> tuple[float, float]:
    psnrs, ssims = [], []
    with torch.inference_mode():
        for _, lr, hr in pairs:
            x = torch.from_numpy(lr.astype(np.float32).transpose(2, 0, 1) / 255)[None]
            y = net(x).clamp(0, 1)[0].numpy().transpose(1, 2, 0)
            s = metrics.score(np.round(y * 255), hr, scale)
            psnrs.append(s.psnr)
            ssims.append(s.ssim)
    return float(np.mean(psnrs)), float(np.mean(ssims))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--jpeg", type=int, nargs="*", default=None, metavar="Q",
                        help="also score JPEG round trips of the LR photos at these qualities (none given: 75)")
    parser.add_argument("--scale", type=int, default=None, help="default: the first model's")
    parser.add_argument("--save", type=Path, default=None,
                        help="write the last model's weights (fused, float32) here, e.g. a checkpoint's EMA for quality.py")
    args = parser.parse_args()
    if not PHOTOS.is_dir():
        raise SystemExit(f"heldout.py: the store photos are not at {PHOTOS}")
    nets = [load(ref) for ref in args.models]
    scale = args.scale or nets[0][0].scale
    if args.save is not None:
        save_file(fused_state(nets[-1][0]), str(args.save))
        print(f"{args.save}: the weights of {nets[-1][1]}")
    for quality in [None] + ([] if args.jpeg is None else args.jpeg or [75]):
        pairs = photos(scale, quality)
        bic = [metrics.score(np.clip(np.round(matlab_imresize(lr, scale)), 0, 255), hr, scale).psnr for _, lr, hr in pairs]
        print(f"# {len(pairs)} held-out photos, x{scale}, {'clean LR' if quality is None else f'JPEG-{quality} LR'}; bicubic {np.mean(bic):.3f} dB")
        first = None
        for ref, (net, what) in zip(args.models, nets):
            start = time.perf_counter()
            psnr, ssim = score(net, pairs, scale)
            first = psnr if first is None else first
            print(f"{ref:<44} {psnr:8.3f} dB  SSIM {ssim:.4f}  {psnr - first:+.3f}  [{what}; {time.perf_counter() - start:.0f} s]",
                  flush=True)


if __name__ == "__main__":
    main()
