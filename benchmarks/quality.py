"""PSNR/SSIM-Y tables on the standard benchmark sets (../shared/data/benchmarks).

    python benchmarks/quality.py [MODEL ...] [--sets Set5 Set14 BSD100] [--scales 2 4] [--jpeg] [--full-path] [--tile N] [--speed]

MODEL is a catalogue id, a weights file or owner/repo:file; bicubic (MATLAB,
the published baseline) is always printed beside each. Uses the given MATLAB
LR images, so figures compare with published tables; ``--jpeg`` also scores
those LR images after a Pillow JPEG-75 round trip (suppliers' compression).
Rows come as they are measured, then one Markdown table with the models side
by side (what the built-in models' cards carry). ``--full-path`` scores what a user gets instead
of the engine's array: each LR image as PNG bytes through ``srdemo.upscale`` (decode, model, PNG
encode) and the file it writes decoded again. ``--speed`` adds a second table: each model's output
megapixels per second through srdemo's path on this machine (``benchmarks/speed.py``'s interleaved
timing, 256x256 input), so a card's figures say what the quality costs. Examples:

    python benchmarks/quality.py ../shared/ref-weights/dctlsa_x4.safetensors --sets Set5 Set14
    python benchmarks/quality.py x2 x2-best x4 x4-best x4-product --jpeg --speed
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import srdemo
from srdemo import metrics, models
from srdemo.caller import LOCAL
from srdemo.degradations import jpeg_round_trip, matlab_imresize
from srdemo.devices import cpu_name, pick_device
from srdemo.engine import EngineOptions
from srdemo.errors import SrdemoError
from srdemo.evaluation import EvalRow, evaluate_folder, mean_scores, mod_crop

BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks"


def jpeg75(lr: np.ndarray) -> np.ndarray:
    """Supplier-style compression: Pillow JPEG quality 75, default 4:2:0 subsampling."""
    return jpeg_round_trip(lr, 75)


def png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def full_path_rows(ref: str, folder: Path, scale: int, degrade=None) -> list[EvalRow]:
    """Scores of the PNG files ``srdemo.upscale`` writes for the folder's LR images (no self-check), beside bicubic's."""
    request = srdemo.UpscaleRequest(model=ref, scale=scale, check=False, caller=LOCAL)
    rows = []
    for hr_path in sorted((folder / "HR").glob("*.png")):
        hr = mod_crop(np.asarray(Image.open(hr_path).convert("RGB")), scale)
        lr = np.asarray(Image.open(folder / "LR" / hr_path.name).convert("RGB"))
        lr = degrade(lr) if degrade is not None else lr
        sr = np.asarray(Image.open(io.BytesIO(srdemo.upscale(png(lr), request).data)).convert("RGB"))
        bic = np.clip(np.round(matlab_imresize(lr, scale)), 0, 255).astype(np.uint8)
        rows.append(EvalRow(hr_path.stem, metrics.score(sr, hr, scale), metrics.score(bic, hr, scale)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=[])
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14", "BSD100"])
    parser.add_argument("--scales", nargs="+", type=int, default=None, help="default: each model's native scale")
    parser.add_argument("--jpeg", action="store_true", help="also score JPEG-75 compressed LR inputs")
    parser.add_argument("--full-path", action="store_true", help="score the PNG srdemo.upscale writes, not the engine's array")
    parser.add_argument("--tile", type=int, default=None, help="tile size in input pixels (default: sized by this machine's "
                        "speed; 4096: one pass per image, a model's own figure)")
    parser.add_argument("--speed", action="store_true", help="also a table of output MP/s on this machine")
    args = parser.parse_args()
    if not BENCH.exists():
        raise SystemExit(f"benchmark data not found at {BENCH}")

    table: dict[tuple[str, str, int], dict[str, float]] = {}  # (input, set, scale) -> {model: PSNR}
    header = f"{'model':<28} {'input':<6} {'set':<7} {'scale':>5} {'PSNR-Y':>8} {'SSIM-Y':>7} {'bicubic':>8} {'gain':>6}"
    print(header)
    print("-" * len(header))
    for ref in args.models or ["lanczos"]:
        try:
            model = models.load(ref, LOCAL)
        except SrdemoError as exc:
            raise SystemExit(f"quality.py: {exc}") from None
        scales = args.scales or ([model.scale] if model.scale > 1 else [2, 4])
        for degrade_name, degrade in [("clean", None)] + ([("jpeg75", jpeg75)] if args.jpeg else []):
            for bench in args.sets:
                for scale in scales:
                    folder = BENCH / bench / f"x{scale}"
                    if not folder.exists():
                        continue
                    if args.full_path:
                        rows = full_path_rows(ref, folder, scale, degrade)
                    else:
                        rows = evaluate_folder(model, folder / "HR", scale, folder / "LR", degrade=degrade,
                                               options=EngineOptions(tile=args.tile))
                    m, b = mean_scores(rows)
                    name = ref  # as given: two runs' files are both called model.safetensors
                    cell = table.setdefault((degrade_name, bench, scale), {})
                    cell["bicubic"] = b.psnr
                    cell[name] = m.psnr
                    print(
                        f"{name[-28:]:<28} {degrade_name:<6} {bench:<7} {scale:>5} {m.psnr:>8.2f} {m.ssim:>7.4f} "
                        f"{b.psnr:>8.2f} {m.psnr - b.psnr:>+6.2f}",
                        flush=True,
                    )
    print()
    print(markdown_table(table))
    if args.speed:
        print()
        print(speed_table(args.models or ["lanczos"]))


def markdown_table(table: dict[tuple[str, str, int], dict[str, float]]) -> str:
    """PSNR-Y with models as columns: one row per (input, set, scale); '-' where not measured."""
    names = list(dict.fromkeys(n for cell in table.values() for n in cell))
    lines = ["| input | set | scale | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
    for (inp, bench, scale), cell in table.items():
        values = " | ".join(f"{cell[n]:.2f}" if n in cell else "-" for n in names)
        lines.append(f"| {inp} | {bench} | x{scale} | {values} |")
    return "\n".join(lines)


def speed_table(refs: list[str], size: int = 256, repeat: int = 3) -> str:
    """Output MP/s through srdemo's path, models as columns, the CPU and threads named (figures are this machine's)."""
    from speed import measure  # benchmarks/speed.py, beside this script

    speeds = {name: mp / ours for name, (ours, _, mp) in measure(refs, size, repeat).items()}
    device = pick_device()
    where = f"{cpu_name()}, {torch.get_num_threads()} threads" if device.type == "cpu" else str(device)
    lines = [f"| speed ({where}; {size}x{size} in) | " + " | ".join(speeds) + " |", "|---|" + "---|" * len(speeds),
             "| output MP/s | " + " | ".join(f"{v:.2f}" if v >= 0.1 else f"{v:.3f}" for v in speeds.values()) + " |"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
