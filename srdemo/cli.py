"""The command line: ``srdemo upscale | compare | batch | models | download | export-onnx | eval | train | publish | render``.

A thin adapter: it fills in the same requests the app builds, calls the same functions, and turns
:class:`SrdemoError` into one line on stderr with exit status 2. It speaks English; ``batch --lang``
chooses the language of a batch's report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import backends, hub, images, models
from .auto import AUTO
from .caller import LOCAL, Caller
from .devices import pick_device
from .engine import EngineOptions
from .errors import SrdemoError
from .evaluation import evaluate_folder, format_table
from .metadata import MetadataPolicy
from .presets import parse_preset
from .request import UpscaleRequest, named_model, upscale
from .speed import speed_of
from .weights import load_descriptor
from .wording import language, pick_language, text


def _progress(name: str):
    """A progress line on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float, message: str) -> None:
        print(f"\r{name}: {fraction * 100:5.1f}% {message}   ", end="", file=sys.stderr, flush=True)

    return show


def _request(args: argparse.Namespace) -> UpscaleRequest:
    """The request the options describe (the same dataclass the app fills in)."""
    chosen = {"tile": args.tile, "device": args.device, "backend": args.backend}
    return UpscaleRequest(
        model=getattr(args, "model", None) or "", scale=args.scale, preset=parse_preset(args.preset, args.size, args.square),
        format=args.format, quality=args.quality,
        metadata=MetadataPolicy(keep_private=args.keep_metadata, provenance=args.mark_ai),
        reference=getattr(args, "reference", None), check=not args.no_check,
        engine=EngineOptions.from_settings(**{k: v for k, v in chosen.items() if v}), caller=LOCAL,
    )


def cmd_upscale(args: argparse.Namespace) -> int:
    if args.reference and len(args.inputs) > 1:
        raise SrdemoError("--reference scores one photo: give one input with it.")
    request = _request(args)
    named_model(request)  # a bad model fails once, up front
    failures = 0
    for path in map(Path, args.inputs):
        try:
            done = upscale(path, request, progress=_progress(path.name))
            print(f"{done.save(Path(args.out))}\n{done.summary()}\n")
        except SrdemoError as exc:
            failures += 1
            print(f"srdemo: {path}: {exc}", file=sys.stderr)
    return 2 if failures else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare

    photo = Path(args.photo)
    result = compare(photo, _request(args), args.model_a, args.model_b, progress=_progress(photo.name))
    for side, done in (("A", result.a), ("B", result.b)):
        print(f"{side}: {done.save(Path(args.out))}\n{done.summary()}\n")
    print(result.sentence)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from huggingface_hub import get_token

    from .runs import publish

    # Your own token, as huggingface_hub finds it on your machine (HF_TOKEN, or `hf auth login`).
    print(publish(Path(args.run_dir), args.repo, Caller.local(get_token()), private=not args.public))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    indent = " " * 22
    print(f"{AUTO:<22} {'':<4} {'ready':<15} {text('model_label_auto')}")
    print(f"{indent} per photo, from its JPEG quality, transparency, the scale and the device; the table and its benchmark "
          "figures: srdemo/auto_rules.json (made by benchmarks/auto.py)")
    for spec in models.catalogue(LOCAL):
        scale = f"x{spec.native_scale}" if spec.native_scale > 1 else ("any" if spec.kind == "resampler" else "?")
        ready = models.availability(spec) == "ready"
        speed = ""
        if spec.is_neural and ready and args.speed:
            speed = f"  {speed_of(models.load(spec, LOCAL)):.2f} output MP/s on this {pick_device().type}"
        print(f"{spec.id:<22} {scale:<4} {'ready' if ready else 'needs download':<15} {spec.label}{speed}")
        print(f"{indent} good for: {spec.good_for}  licence: {spec.licence}\n{indent} source: {spec.source}")
        if spec.notes:
            print(f"{indent} note: {spec.notes}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    spec = models.resolve(args.model, LOCAL)
    if spec.kind != "hub" or spec.hub_file is None:
        print(f"{spec.id} needs no download.")
    else:
        print(hub.download(spec.hub_file))
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    """Export a model for ONNX Runtime (checked against torch); the built-ins ship theirs made this way."""
    spec = models.resolve(args.model, LOCAL)
    if not spec.is_neural:
        print(f"{spec.id} is a classic resampler: it has no network to export.")
        return 0
    weights = models.weights_file(spec, LOCAL)
    out = Path(args.out) if args.out else weights.with_suffix(".onnx")
    try:
        backends.export(load_descriptor(weights), out, backends.digest(weights))
    except backends.ExportFailed as exc:
        print(f"{spec.id} cannot run on ONNX Runtime; it runs on torch. ({exc})")
        return 1
    print(out)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    model = models.load(args.model, LOCAL)
    rows = evaluate_folder(model, Path(args.hr), args.scale, Path(args.lr) if args.lr else None)
    print(format_table(rows, model.spec.id))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .training import TrainConfig, train

    # The options not given are left out of ``args``: TrainConfig holds their defaults.
    given = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    val_files = tuple(Path(args.val_list).read_text().split()) if "val_list" in args else ()
    config = TrainConfig(**{**given, "data": tuple(args.data), "val_files": val_files})
    tty = sys.stderr.isatty()

    def show(p) -> None:
        val = f"  val {p.history.val[-1][1]:.2f} dB" if p.history.val else ""
        line = f"step {p.step}/{p.steps}  loss {p.loss:.4f}{val}  eta {p.eta_seconds / 60:.1f} min"
        if tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        elif p.step % max(1, config.val_every // 5) == 0 or p.step == p.steps:
            print(line, file=sys.stderr, flush=True)

    out = train(config, progress=show)
    print(f"\n{out}" if tty else str(out))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    def show(i: int, name: str) -> None:
        print(f"{i}: {name}", file=sys.stderr, flush=True)

    with language(pick_language(None, args.lang)):  # the report and its warnings; these lines stay English
        result = run_batch([Path(p) for p in args.inputs], Path(args.out), _request(args), progress=show)
    done = sum(r["status"] == "ok" for r in result.rows)
    skipped = len(result.rows) - done - result.failed
    print(f"{result.zip_path}\n{done} done, {result.failed} failed, {skipped} skipped (see report.csv)")
    return 0 if result.failed == 0 else 2


def cmd_render(args: argparse.Namespace) -> int:
    from .synthetic import render_set

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(render_set(args.count, args.size, args.seed)):
        img.save(out / f"product_{args.seed}_{i:04d}.png")
    print(f"{args.count} images in {out}")
    return 0


MODEL_HELP = (
    "auto (the default: per photo, the built-in model that measured best for such input), a catalogue id, "
    "a weights file, or owner/repo:file"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srdemo", description="Super-resolution for product photos.")
    sub = parser.add_subparsers(dest="command", required=True)

    # What every upscale takes, whichever command runs it: the fields of UpscaleRequest.
    job = argparse.ArgumentParser(add_help=False)
    job.add_argument("--scale", type=float, default=4)
    job.add_argument("--preset", help="marketplace preset: amazon-main, shopify, web-1600, custom")
    job.add_argument("--size", help="custom: longest side (1600) or exact WxH (1200x900)")
    job.add_argument("--square", action="store_true", help="custom: pad to a square")
    job.add_argument("--format", choices=list(images.FORMATS), help="default: the preset's, else png")
    job.add_argument("--quality", type=int, default=92, help=f"{images.QUALITY_FORMATS} quality, 1-100")
    job.add_argument("--keep-metadata", action="store_true", help="keep GPS, serial numbers, owner names, XMP/IPTC")
    job.add_argument("--mark-ai", action="store_true", help="mark outputs as AI-processed (IPTC + EXIF Software)")
    job.add_argument("--no-check", action="store_true", help="skip the round-trip self-check")
    job.add_argument("--tile", type=int, default=0, help="tile size in input pixels (default: SRDEMO_TILE)")
    job.add_argument("--device", help="cpu, cuda, mps (default: best available)")
    job.add_argument("--backend", choices=["auto", "torch"], help=(
        "auto: ONNX Runtime on a CPU where the model has an export, else torch; torch: always torch (default: SRDEMO_BACKEND)"
    ))

    up = sub.add_parser("upscale", parents=[job], help="upscale image files")
    up.add_argument("inputs", nargs="+")
    up.add_argument("--model", default=AUTO, help=MODEL_HELP)
    up.add_argument("--reference", help="the sharp original at the output size, to score against")
    up.add_argument("--out", default="out")
    up.set_defaults(func=cmd_upscale)

    ab = sub.add_parser("compare", parents=[job], help="two models on one photo, with one sentence on the difference")
    for name in ("model_a", "model_b", "photo"):
        ab.add_argument(name)
    ab.add_argument("--reference", help="the sharp original at the output size, to score both against")
    ab.add_argument("--out", default="out")
    ab.set_defaults(func=cmd_compare)

    bt = sub.add_parser("batch", parents=[job], help="upscale a folder or zip of photos into a zip with report.csv")
    bt.add_argument("inputs", nargs="+", help="folders, zips or image files")
    bt.add_argument("--model", default=AUTO, help=MODEL_HELP)
    bt.add_argument("--out", required=True)
    bt.add_argument("--lang", default="en", help="the language of the report and its warnings: en (default) or zh-CN")
    bt.set_defaults(func=cmd_batch, quality=90)

    pb = sub.add_parser(
        "publish", help="publish a trained model to the Hugging Face Hub (your token: HF_TOKEN or `hf auth login`)"
    )
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

    ox = sub.add_parser("export-onnx", help="export a model for ONNX Runtime, checked against torch")
    ox.add_argument("model")
    ox.add_argument("--out", help="where to write the .onnx file (default: next to the weights)")
    ox.set_defaults(func=cmd_export_onnx)

    ev = sub.add_parser("eval", help="PSNR/SSIM table on a folder of sharp images")
    ev.add_argument("--model", required=True)
    ev.add_argument("--scale", type=int, required=True)
    ev.add_argument("--hr", required=True)
    ev.add_argument("--lr", help="folder of LR images with the same names (default: MATLAB bicubic)")
    ev.set_defaults(func=cmd_eval)

    # Options left out stay out of the namespace (SUPPRESS): cmd_train takes their defaults from TrainConfig.
    tr = sub.add_parser(
        "train", help="train or fine-tune a model (resumes if --out holds a checkpoint)", argument_default=argparse.SUPPRESS
    )
    tr.add_argument("--data", nargs="+", required=True, help="folders or zips of sharp images")
    tr.add_argument("--out", required=True)
    for flag in ("--scale", "--steps", "--batch", "--val-every", "--val-count", "--checkpoint-every", "--seed"):
        tr.add_argument(flag, type=int)
    for flag in ("--lr", "--ema"):
        tr.add_argument(flag, type=float)
    tr.add_argument("--arch")
    tr.add_argument("--device")
    tr.add_argument("--init", help="model to fine-tune (default: train from scratch)")
    tr.add_argument("--channels", type=int,
                    help="SPAN width: 28 from scratch; with --init, widen the base SPAN (it starts computing the same)")
    tr.add_argument("--degrade", help="bicubic, product or compressed; join with + for a mixture (bicubic+product+compressed)")
    tr.add_argument("--patch", type=int, help="HR patch side in pixels")
    tr.add_argument("--loss", help=(
        "pixel loss: l1, charbonnier, mse or luma-mse (the MSEs suit a short final stage; "
        "luma-mse weights brightness detail over colour, which suits JPEG inputs)"
    ))
    tr.add_argument("--val-list", help="file listing held-out image names (relative paths)")
    tr.add_argument("--precision", choices=["auto", "bf16", "fp32"],
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
        with backends.exports_paused():  # else the command would end inside a background export, or wait for it
            return args.func(args)
    except SrdemoError as exc:
        print(f"srdemo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("srdemo: interrupted", file=sys.stderr)
        return 130
