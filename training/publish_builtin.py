"""Turn a training run into one of srdemo's built-in models (run from the repo root).

    python training/publish_builtin.py runs/builtin-x4 x4 "srdemo x4 (built-in)" \\
        --script training/builtin_x4.sh [--tables quality.md] [--note "..."]

Takes the run's best validation weights (a finished run's ``model.safetensors``;
while it is still training, its best or latest EMA weights), stores them in
float16 (half the size; spandrel loads them into a float32 network unchanged up
to rounding), and writes into ``srdemo/weights/``:

- ``<id>.safetensors``: the weights, in SPAN's own key layout;
- ``<id>.json``: what the catalogue shows (label, scale, licence, provenance);
- ``<id>.md``: the model card, with the benchmark tables from ``--tables``
  (the Markdown table ``benchmarks/quality.py`` prints; its figures also go into
  ``model-index``) and the exact command.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import spandrel
from huggingface_hub import ModelCard
from safetensors.torch import load_file, save_file

from srdemo import engine, models
from srdemo.arch.span import fused_state
from srdemo.modelcard import add_benchmark_results, benchmark_section, write_model_card
from srdemo.training import BEST, CHECKPOINT, History, TrainConfig, build_network, export, read_metadata

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "srdemo" / "weights"
HOLDOUT = "40 held-out Grocery Store Dataset photos (data/holdout_grocery_store_photos.txt)"


def finished_or_interim(run: Path, tmp: Path) -> tuple[Path, str]:
    """A run folder with model.safetensors/config.json/history.json: the run's own, or one exported from its checkpoint."""
    if (run / "model.safetensors").exists():
        return run, "final weights"
    meta = read_metadata(run / CHECKPOINT)
    config = TrainConfig.from_json({**meta["config"], "out": str(tmp)})
    history = History.from_json(meta["history"])
    net, _ = build_network(config)
    net.load_state_dict({k[4:]: v for k, v in load_file(str(run / CHECKPOINT)).items() if k.startswith("ema.")})
    if (run / BEST).exists():
        (tmp / BEST).write_bytes((run / BEST).read_bytes())
        source = f"best validation weights of the unfinished run (step {read_metadata(run / BEST)['step']} of {config.steps})"
    else:
        source = f"EMA weights of the unfinished run (step {meta['step']} of {config.steps})"
    export(tmp, config, history, meta["base"], net)
    return tmp, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("id")
    parser.add_argument("label")
    parser.add_argument("--script", required=True, help="the training/ script that reproduces the run")
    parser.add_argument("--tables", default=None, help="Markdown file with benchmarks/quality.py's table")
    parser.add_argument("--note", default="", help="how this run differed from its script, for the card")
    parser.add_argument("--good-for", default="Product photos: packaging text, logos, flat colours.")
    parser.add_argument("--upstream", default=None, help="where the base network and weights come from (the catalogue's source)")
    parser.add_argument("--tags", nargs="*", default=[], help="more Hub tags, e.g. degradations of earlier stages")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder, source = finished_or_interim(Path(args.run), Path(tmp))
        descriptor = spandrel.ModelLoader().load_from_file(str(folder / "model.safetensors"))
        state = fused_state(descriptor.model)  # fused kernels that match the branches
        half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        WEIGHTS.mkdir(exist_ok=True)
        save_file(half, str(WEIGHTS / f"{args.id}.safetensors"))
        meta = {"label": args.label, "scale": descriptor.scale, "good_for": args.good_for, "licence": "MIT",
                "architecture": descriptor.architecture.name, "source": source}
        if args.upstream:
            meta["upstream"] = args.upstream
        if json.loads((folder / "config.json").read_text())["degradation"] != "bicubic":
            meta["for_compressed"] = True  # the app suggests it for JPEG inputs
        shipped = WEIGHTS / f"{args.id}.safetensors"  # its memory per pixel in its json: the ONNX path then needs no torch
        meta["bytes_per_pixel"] = round(engine.memory_per_pixel(models.LoadedModel(models.file_spec(shipped), shipped)))
        (WEIGHTS / f"{args.id}.json").write_text(json.dumps(meta, indent=2) + "\n")

        cfg = json.loads((folder / "config.json").read_text())
        history = History.from_json(json.loads((folder / "history.json").read_text()))
        extra = f"\n## Weights\n\n`{args.id}.safetensors`: {source}, stored in float16. {args.note}".rstrip() + "\n"
        if args.tables:
            extra += benchmark_section(Path(args.tables).read_text())
        script = (ROOT / args.script).read_text().strip()
        extra += f"\n## Reproduce\n\nFrom the srdemo repository root, beside `../shared`:\n\n```bash\n{script}\n```\n"
        card_dir = Path(tmp) / f"srdemo-{args.id}"
        card_dir.mkdir()
        card = ModelCard.load(write_model_card(card_dir, cfg, history, eval_name=HOLDOUT, extra=extra))
        if args.tables:
            add_benchmark_results(card, args.id)
        card.data.tags = [*card.data.tags, *(t for t in args.tags if t not in card.data.tags)]  # the run's own come first
        card.save(WEIGHTS / f"{args.id}.md")
    size = (WEIGHTS / f"{args.id}.safetensors").stat().st_size / 1e6
    print(f"{WEIGHTS / args.id}.safetensors: {descriptor.architecture.name} x{descriptor.scale}, from {source}, {size:.2f} MB")


if __name__ == "__main__":
    main()
