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


def _progress_printer(name: str):
    def show(fraction: float, message: str) -> None:
        print(f"\r{name}: {fraction * 100:5.1f}% {message}   ", end="", file=sys.stderr, flush=True)

    return show


def _request(args: argparse.Namespace, **overrides) -> UpscaleRequest:
    """The request the options describe (the same dataclass the app fills in)."""
    chosen = {"tile": getattr(args, "tile", 0), "device": getattr(args, "device", None), "backend": getattr(args, "backend", None)}
    engine = EngineOptions.from_settings(**{k: v for k, v in chosen.items() if v})
    return UpscaleRequest(
        model=getattr(args, "model", None) or "", scale=args.scale,
        preset=parse_preset(getattr(args, "preset", None), getattr(args, "size", None), getattr(args, "square", False)),
        format=args.format, quality=args.quality,
        metadata=MetadataPolicy(keep_private=args.keep_metadata, provenance=args.mark_ai),
        reference=getattr(args, "reference", None), check=not args.no_check, engine=engine, caller=LOCAL, **overrides,
    )


def cmd_upscale(args: argparse.Namespace) -> int:
    if args.reference and len(args.inputs) > 1:
        raise SrdemoError(text("cli_reference_one_input"))
    request = _request(args)
    named_model(request)  # a bad model fails once, up front
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

    from .runs import publish

    # Your own token, as huggingface_hub finds it on your machine (HF_TOKEN, or `hf auth login`).
    caller = Caller.local(get_token())
    print(publish(Path(args.run_dir), args.repo, caller, private=not args.public))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    print(f"{AUTO:<22} {'':<4} {text('cli_model_ready'):<15} {text('model_label_auto')}")
    print(f"{'':<22} {text('cli_model_auto')}")
    for spec in models.catalogue(LOCAL):
        scale = f"x{spec.native_scale}" if spec.native_scale > 1 else (text("cli_model_scale_any") if spec.kind == "resampler" else "?")
        speed = ""
        if spec.is_neural and models.availability(spec) == "ready" and args.speed:
            model = models.load(spec, LOCAL)
            speed = "  " + text("cli_model_speed", speed=speed_of(model), device=pick_device().type)
        ready = text("cli_model_ready") if models.availability(spec) == "ready" else text("cli_model_needs_download")
        print(f"{spec.id:<22} {scale:<4} {ready:<15} {spec.label}{speed}")
        print(f"{'':<22} {text('cli_model_good_for', good_for=spec.good_for, licence=spec.licence)}")
        print(f"{'':<22} {text('cli_model_source', source=spec.source)}")
        if spec.notes:
            print(f"{'':<22} {text('cli_model_note', note=spec.notes)}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    spec = models.resolve(args.model, LOCAL)
    if spec.kind != "hub" or spec.hub_file is None:
        print(text("cli_needs_no_download", model_id=spec.id))
        return 0
    path = hub.download(spec.hub_file)
    print(path)
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    """Export a model for ONNX Runtime (checked against torch); the built-ins ship theirs made this way."""
    spec = models.resolve(args.model, LOCAL)
    if not spec.is_neural:
        print(text("cli_export_not_neural", model_id=spec.id))
        return 0
    weights = models.weights_file(spec, LOCAL)
    out = Path(args.out) if args.out else weights.with_suffix(".onnx")
    try:
        backends.export(load_descriptor(weights), out, backends.digest(weights))
    except backends.ExportFailed as exc:
        print(text("cli_export_failed", model_id=spec.id, reason=exc))
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

    config = TrainConfig(
        data=tuple(args.data), out=args.out, scale=args.scale, steps=args.steps, init=args.init, arch=args.arch,
        channels=args.channels, degrade=args.degrade, batch=args.batch, patch=args.patch, lr=args.lr, loss=args.loss,
        ema=args.ema, val_every=args.val_every, val_count=args.val_count,
        val_files=tuple(Path(args.val_list).read_text().split()) if args.val_list else (),
        checkpoint_every=args.checkpoint_every, seed=args.seed, device=args.device, precision=args.precision,
    )
    tty = sys.stderr.isatty()

    def show(p) -> None:
        val = "  " + text("cli_train_val", psnr=p.history.val[-1][1]) if p.history.val else ""
        line = text("cli_train_progress", step=p.step, steps=p.steps, loss=p.loss, val=val, eta_minutes=p.eta_seconds / 60)
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

    with language(pick_language(None, args.lang)):  # the report and its warnings; these lines stay English
        result = run_batch([Path(p) for p in args.inputs], Path(args.out), _request(args), progress=show)
    print(result.zip_path)
    done = sum(r["status"] == "ok" for r in result.rows)
    print(text("cli_batch_summary", done=done, failed=result.failed, skipped=len(result.rows) - done - result.failed))
    return 0 if result.failed == 0 else 2


def cmd_render(args: argparse.Namespace) -> int:
    from .synthetic import render_set

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(render_set(args.count, args.size, args.seed)):
        img.save(out / f"product_{args.seed}_{i:04d}.png")
    print(text("cli_render_done", count=args.count, folder=out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srdemo", description=text("cli_description"))
    sub = parser.add_subparsers(dest="command", required=True)

    # What every upscale takes, whichever command runs it: the fields of UpscaleRequest.
    job = argparse.ArgumentParser(add_help=False)
    job.add_argument("--scale", type=float, default=4)
    job.add_argument("--preset", default=None, help=text("cli_help_preset"))
    job.add_argument("--size", default=None, help=text("cli_help_size"))
    job.add_argument("--square", action="store_true", help=text("cli_help_square"))
    job.add_argument("--format", default=None, choices=list(images.FORMATS), help=text("cli_help_format"))
    job.add_argument("--quality", type=int, default=92, help=text("cli_help_quality", formats=images.QUALITY_FORMATS))
    job.add_argument("--keep-metadata", action="store_true", help=text("cli_help_keep_metadata"))
    job.add_argument("--mark-ai", action="store_true", help=text("cli_help_mark_ai"))
    job.add_argument("--no-check", action="store_true", help=text("cli_help_no_check"))
    job.add_argument("--tile", type=int, default=0, help=text("cli_help_tile"))
    job.add_argument("--device", default=None, help=text("cli_help_device"))
    job.add_argument("--backend", default=None, choices=["auto", "torch"], help=text("cli_help_backend"))
    model_help = text("cli_help_model")

    up = sub.add_parser("upscale", parents=[job], help=text("cli_help_upscale"))
    up.add_argument("inputs", nargs="+")
    up.add_argument("--model", default=AUTO, help=model_help)
    up.add_argument("--reference", default=None, help=text("cli_help_reference"))
    up.add_argument("--out", default="out")
    up.set_defaults(func=cmd_upscale)

    ab = sub.add_parser("compare", parents=[job], help=text("cli_help_compare"))
    ab.add_argument("model_a")
    ab.add_argument("model_b")
    ab.add_argument("photo")
    ab.add_argument("--reference", default=None, help=text("cli_help_reference_both"))
    ab.add_argument("--out", default="out")
    ab.set_defaults(func=cmd_compare)

    bt = sub.add_parser("batch", parents=[job], help=text("cli_help_batch"))
    bt.add_argument("inputs", nargs="+", help=text("cli_help_batch_inputs"))
    bt.add_argument("--model", default=AUTO, help=model_help)
    bt.add_argument("--out", required=True)
    bt.add_argument("--lang", default="en", help=text("cli_help_lang"))
    bt.set_defaults(func=cmd_batch, quality=90)

    pb = sub.add_parser("publish", help=text("cli_help_publish"))
    pb.add_argument("run_dir", help=text("cli_help_run_dir"))
    pb.add_argument("--repo", required=True, help=text("cli_help_repo"))
    pb.add_argument("--public", action="store_true", help=text("cli_help_public"))
    pb.set_defaults(func=cmd_publish)

    ls = sub.add_parser("models", help=text("cli_help_models"))
    ls.add_argument("--speed", action="store_true", help=text("cli_help_speed"))
    ls.set_defaults(func=cmd_models)

    dl = sub.add_parser("download", help=text("cli_help_download"))
    dl.add_argument("model")
    dl.set_defaults(func=cmd_download)

    ox = sub.add_parser("export-onnx", help=text("cli_help_export_onnx"))
    ox.add_argument("model")
    ox.add_argument("--out", default=None, help=text("cli_help_export_out"))
    ox.set_defaults(func=cmd_export_onnx)

    ev = sub.add_parser("eval", help=text("cli_help_eval"))
    ev.add_argument("--model", required=True)
    ev.add_argument("--scale", type=int, required=True)
    ev.add_argument("--hr", required=True)
    ev.add_argument("--lr", default=None, help=text("cli_help_lr_folder"))
    ev.set_defaults(func=cmd_eval)

    tr = sub.add_parser("train", help=text("cli_help_train"))
    tr.add_argument("--data", nargs="+", required=True, help=text("cli_help_data"))
    tr.add_argument("--scale", type=int, default=4)
    tr.add_argument("--steps", type=int, default=1000)
    tr.add_argument("--out", required=True)
    tr.add_argument("--init", default=None, help=text("cli_help_init"))
    tr.add_argument("--arch", default="span")
    tr.add_argument("--channels", type=int, default=None,
                    help=text("cli_help_channels"))
    tr.add_argument("--degrade", default="bicubic",
                    help=text("cli_help_degrade"))
    tr.add_argument("--batch", type=int, default=16)
    tr.add_argument("--patch", type=int, default=128, help=text("cli_help_patch"))
    tr.add_argument("--lr", type=float, default=5e-4)
    tr.add_argument("--loss", default="l1",
                    help=text("cli_help_loss"))
    tr.add_argument("--ema", type=float, default=0.999)
    tr.add_argument("--val-every", type=int, default=250)
    tr.add_argument("--val-count", type=int, default=10)
    tr.add_argument("--val-list", default=None, help=text("cli_help_val_list"))
    tr.add_argument("--checkpoint-every", type=int, default=100)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device", default=None)
    tr.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                    help=text("cli_help_precision"))
    tr.set_defaults(func=cmd_train)

    rd = sub.add_parser("render", help=text("cli_help_render"))
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
        print(f"srdemo: {text('cli_interrupted')}", file=sys.stderr)
        return 130
