"""The command line: ``srdemo upscale | compare | batch | models | download | eval | train | publish | render``.

A thin adapter: it parses arguments into the same requests the app builds,
calls the same functions (``srdemo.request.upscale``, ``srdemo.compare.compare``,
``srdemo.batch.run_batch``, ``srdemo.runs.publish``), and turns
:class:`SrdemoError` into one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import hub, images, models
from .devices import pick_device
from .engine import EngineOptions
from .errors import SrdemoError
from .evaluation import evaluate_folder, format_table
from .metadata import MetadataPolicy
from .request import UpscaleRequest, upscale
from .speed import measure_speed, recorded_speed


def _progress_printer(name: str):
    def show(fraction: float, message: str) -> None:
        print(f"\r{name}: {fraction * 100:5.1f}% {message}   ", end="", file=sys.stderr, flush=True)

    return show


def _request(args: argparse.Namespace, **overrides) -> UpscaleRequest:
    """The request the options describe (the same dataclass the app fills in)."""
    from .batch import parse_preset

    engine = EngineOptions.from_settings(**({"tile": args.tile} if getattr(args, "tile", 0) else {}),
                                         device=getattr(args, "device", None))
    return UpscaleRequest(
        model=getattr(args, "model", None) or "", scale=args.scale,
        preset=parse_preset(getattr(args, "preset", None), getattr(args, "size", None), getattr(args, "square", False)),
        format=args.format, quality=args.quality,
        metadata=MetadataPolicy(keep_private=args.keep_metadata, provenance=args.mark_ai),
        reference=getattr(args, "reference", None), check=not args.no_check, engine=engine, **overrides,
    )


def cmd_upscale(args: argparse.Namespace) -> int:
    if args.reference and len(args.inputs) > 1:
        raise SrdemoError("--reference scores one photo: give one input with it.")
    request = _request(args)
    models.resolve(request.model or models.default_model(args.scale).id, request.caller)  # a bad model fails once, up front
    out_dir = Path(args.out)
    failures = 0
    for path in args.inputs:
        try:
            done = upscale(Path(path), request,
                           progress=_progress_printer(Path(path).name) if sys.stderr.isatty() else None)
            print(f"{done.save(out_dir)}\n{done.summary()}\n")
        except SrdemoError as exc:
            failures += 1
            print(f"srdemo: {path}: {exc}", file=sys.stderr)
    return 2 if failures else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare

    result = compare(Path(args.photo), _request(args), args.model_a, args.model_b,
                     progress=_progress_printer(Path(args.photo).name) if sys.stderr.isatty() else None)
    out_dir = Path(args.out)
    for side, done in (("A", result.a), ("B", result.b)):
        print(f"{side}: {done.save(out_dir)}\n{done.summary()}\n")
    print(result.sentence)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from huggingface_hub import get_token

    from .caller import Caller, secret
    from .runs import publish

    # Your own token, as huggingface_hub finds it on your machine (HF_TOKEN, or `hf auth login`).
    caller = Caller(token=secret(get_token()))
    print(publish(Path(args.run_dir), args.repo, caller, private=not args.public))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    for spec in models.catalogue():
        scale = f"x{spec.native_scale}" if spec.native_scale > 1 else ("any" if spec.kind == "resampler" else "?")
        speed = ""
        if spec.is_neural and models.availability(spec) == "ready" and args.speed:
            model = models.load(spec)
            speed = f"  {recorded_speed(model) or measure_speed(model):.2f} output MP/s on this {pick_device().type}"
        print(f"{spec.id:<22} {scale:<4} {models.availability(spec):<15} {spec.label}{speed}")
        print(f"{'':<22} good for: {spec.good_for}  licence: {spec.licence}")
        print(f"{'':<22} source: {spec.source}")
        if spec.notes:
            print(f"{'':<22} note: {spec.notes}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    spec = models.resolve(args.model)
    if spec.kind != "hub" or spec.hub_file is None:
        print(f"{spec.id} needs no download.")
        return 0
    path = hub.download(spec.hub_file)
    print(path)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    model = models.load(args.model)
    rows = evaluate_folder(model, Path(args.hr), args.scale, Path(args.lr) if args.lr else None)
    print(format_table(rows, model.spec.id))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .training import TrainConfig, train

    config = TrainConfig(
        data=tuple(args.data), out=args.out, scale=args.scale, steps=args.steps, init=args.init, arch=args.arch,
        channels=args.channels, degrade=args.degrade, batch=args.batch, patch=args.patch, lr=args.lr, loss=args.loss,
        ema=args.ema, val_every=args.val_every, val_count=args.val_count,
        val_files=tuple(Path(args.val_list).read_text().split()) if args.val_list else (),
        checkpoint_every=args.checkpoint_every, seed=args.seed, device=args.device, precision=args.precision,
    )
    tty = sys.stderr.isatty()

    def show(p) -> None:
        val = f"  val {p.history.val[-1][1]:.2f} dB" if p.history.val else ""
        line = f"step {p.step}/{p.steps}  loss {p.loss:.4f}{val}  eta {p.eta_seconds / 60:.1f} min"
        if tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        elif p.step % max(1, args.val_every // 5 or 1) == 0 or p.step == p.steps:
            print(line, file=sys.stderr, flush=True)

    out = train(config, progress=show)
    print(f"\n{out}" if tty else str(out))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    def show(i: int, name: str) -> None:
        print(f"{i}: {name}", file=sys.stderr, flush=True)

    result = run_batch([Path(p) for p in args.inputs], Path(args.out), _request(args), progress=show)
    print(result.zip_path)
    done = sum(r["status"] == "ok" for r in result.rows)
    print(f"{done} done, {result.failed} failed, {len(result.rows) - done - result.failed} skipped (see report.csv)")
    return 0 if result.failed == 0 else 2


def cmd_render(args: argparse.Namespace) -> int:
    from .synthetic import render_set

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(render_set(args.count, args.size, args.seed)):
        img.save(out / f"product_{args.seed}_{i:04d}.png")
    print(f"{args.count} images in {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srdemo", description="Super-resolution for product photos.")
    sub = parser.add_subparsers(dest="command", required=True)

    # What every upscale takes, whichever command runs it: the fields of UpscaleRequest.
    job = argparse.ArgumentParser(add_help=False)
    job.add_argument("--scale", type=float, default=4)
    job.add_argument("--preset", default=None, help="marketplace preset: amazon-main, shopify, web-1600, custom")
    job.add_argument("--size", default=None, help="custom: longest side (1600) or exact WxH (1200x900)")
    job.add_argument("--square", action="store_true", help="custom: pad to a square")
    job.add_argument("--format", default=None, choices=list(images.FORMATS), help="default: the preset's, else png")
    job.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality, 1-100")
    job.add_argument("--keep-metadata", action="store_true", help="keep GPS, serial numbers, owner names, XMP/IPTC")
    job.add_argument("--mark-ai", action="store_true", help="mark outputs as AI-processed (IPTC + EXIF Software)")
    job.add_argument("--no-check", action="store_true", help="skip the round-trip self-check")
    job.add_argument("--tile", type=int, default=0, help="tile size in input pixels (default: SRDEMO_TILE)")
    job.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    model_help = "catalogue id, weights file, or owner/repo:file (default: the built-in model for --scale)"

    up = sub.add_parser("upscale", parents=[job], help="upscale image files")
    up.add_argument("inputs", nargs="+")
    up.add_argument("--model", default=None, help=model_help)
    up.add_argument("--reference", default=None, help="the sharp original at the output size, to score against")
    up.add_argument("--out", default="out")
    up.set_defaults(func=cmd_upscale)

    ab = sub.add_parser("compare", parents=[job], help="two models on one photo, with one sentence on the difference")
    ab.add_argument("model_a")
    ab.add_argument("model_b")
    ab.add_argument("photo")
    ab.add_argument("--reference", default=None, help="the sharp original at the output size, to score both against")
    ab.add_argument("--out", default="out")
    ab.set_defaults(func=cmd_compare)

    bt = sub.add_parser("batch", parents=[job], help="upscale a folder or zip of photos into a zip with report.csv")
    bt.add_argument("inputs", nargs="+", help="folders, zips or image files")
    bt.add_argument("--model", default=None, help=model_help)
    bt.add_argument("--out", required=True)
    bt.set_defaults(func=cmd_batch, quality=90)

    pb = sub.add_parser("publish", help="publish a trained model to the Hugging Face Hub (your token: HF_TOKEN or `hf auth login`)")
    pb.add_argument("run_dir", help="a training output folder (srdemo train --out), or a run folder of the app")
    pb.add_argument("--repo", required=True, help="you/your-model")
    pb.add_argument("--public", action="store_true", help="make the repo public (default: private)")
    pb.set_defaults(func=cmd_publish)

    ls = sub.add_parser("models", help="list the model catalogue")
    ls.add_argument("--speed", action="store_true", help="show measured speed on this device")
    ls.set_defaults(func=cmd_models)

    dl = sub.add_parser("download", help="fill the Hugging Face cache with a Hub model")
    dl.add_argument("model")
    dl.set_defaults(func=cmd_download)

    ev = sub.add_parser("eval", help="PSNR/SSIM table on a folder of sharp images")
    ev.add_argument("--model", required=True)
    ev.add_argument("--scale", type=int, required=True)
    ev.add_argument("--hr", required=True)
    ev.add_argument("--lr", default=None, help="folder of LR images with the same names (default: MATLAB bicubic)")
    ev.set_defaults(func=cmd_eval)

    tr = sub.add_parser("train", help="train or fine-tune a model (resumes if --out holds a checkpoint)")
    tr.add_argument("--data", nargs="+", required=True, help="folders or zips of sharp images")
    tr.add_argument("--scale", type=int, default=4)
    tr.add_argument("--steps", type=int, default=1000)
    tr.add_argument("--out", required=True)
    tr.add_argument("--init", default=None, help="model to fine-tune (default: train from scratch)")
    tr.add_argument("--arch", default="span")
    tr.add_argument("--channels", type=int, default=None,
                    help="SPAN width: 28 from scratch; with --init, widen the base SPAN (it starts computing the same)")
    tr.add_argument("--degrade", default="bicubic",
                    help="bicubic, product or compressed; join with + for a mixture (bicubic+product+compressed)")
    tr.add_argument("--batch", type=int, default=16)
    tr.add_argument("--patch", type=int, default=128, help="HR patch side in pixels")
    tr.add_argument("--lr", type=float, default=5e-4)
    tr.add_argument("--loss", default="l1",
                    help="pixel loss: l1, charbonnier, mse or luma-mse (the MSEs suit a short final stage; "
                         "luma-mse weights brightness detail over colour, which suits JPEG inputs)")
    tr.add_argument("--ema", type=float, default=0.999)
    tr.add_argument("--val-every", type=int, default=250)
    tr.add_argument("--val-count", type=int, default=10)
    tr.add_argument("--val-list", default=None, help="file listing held-out image names (relative paths)")
    tr.add_argument("--checkpoint-every", type=int, default=100)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device", default=None)
    tr.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                    help="bf16 autocast: auto = on CUDA only; bf16 also on CPUs with native bf16 (faster)")
    tr.set_defaults(func=cmd_train)

    rd = sub.add_parser("render", help="render synthetic product photos (for training or trying the app)")
    rd.add_argument("--count", type=int, default=40)
    rd.add_argument("--size", type=int, default=384)
    rd.add_argument("--seed", type=int, default=0)
    rd.add_argument("--out", required=True)
    rd.set_defaults(func=cmd_render)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SrdemoError as exc:
        print(f"srdemo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("srdemo: interrupted", file=sys.stderr)
        return 130
