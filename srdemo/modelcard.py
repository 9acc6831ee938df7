"""The model card (README.md) of every model srdemo trains: metadata the Hub reads (licence, base model,
``model-index`` results), and a body that says in plain words what the model is for and how it was made."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .degradations import mixture_parts

_DEGRADATION_TEXT = {
    "bicubic": "clean bicubic downscaling (MATLAB's antialiased bicubic, the benchmark protocol)",
    "product": (
        "supplier-photo degradations: mild Gaussian blur (half the samples, sigma 0.2-1.0), a resize with a "
        "random kernel (bicubic, bilinear, box or Lanczos), sensor noise (30%, sigma 1-3 levels), JPEG at "
        "quality 50-95 (85%); two in five samples stay clean bicubic"
    ),
    "compressed": "clean bicubic downscaling, then a Pillow JPEG round trip at quality 50-95 (4:2:0)",
}


def degradation_text(name: str) -> str:
    """Plain words for a degradation name; a mixture ``a+b`` lists its parts, a repeated part once with its share."""
    parts = mixture_parts(name)
    if len(parts) == 1:
        return _DEGRADATION_TEXT.get(name, name)
    shares = Counter(parts)
    equal = len(shares) == len(parts)
    return ("one of these per sample, with equal odds: " if equal else "one of these per sample: ") + "; ".join(
        f"({i}) {_DEGRADATION_TEXT.get(p, p)}" + ("" if equal else f" ({n} in {len(parts)} samples)")
        for i, (p, n) in enumerate(shares.items(), 1)
    )


def write_model_card(
    out: Path, cfg: dict, history, eval_name: str = "held-out images", license: str = "mit", extra: str = ""
) -> Path:
    """Write ``out/README.md``; ``extra`` is Markdown appended to the body (benchmarks, how to reproduce)."""
    best = max(history.val, key=lambda v: v[1]) if history.val else None
    results = [
        EvalResult(
            task_type="image-to-image", task_name="Image Super-Resolution", dataset_type="custom", dataset_name=eval_name,
            metric_type=metric, metric_name=f"{metric.upper()}-Y (x{cfg['scale']})", metric_value=round(value, digits),
        )
        for metric, value, digits in (("psnr", best[1], 2), ("ssim", best[2], 4))
    ] if best else []
    base = cfg.get("base_model")
    data = ModelCardData(
        license=license, pipeline_tag="image-to-image", library_name="spandrel",
        tags=["super-resolution", "srdemo", cfg["architecture"].lower(), f"x{cfg['scale']}", *mixture_parts(cfg["degradation"])],
        base_model=base[4:].split(":", 1)[0] if base and base.startswith("hub:") else None,  # metadata wants a Hub repo id
        model_name=cfg.get("name") or out.name, eval_results=results or None,
    )
    scored = [("bicubic", history.bicubic), (f"base model ({base})", history.base)]
    if best:
        scored.append((f"this model (step {best[0]})", best[1:]))
    rows = [f"| {who} | {v[0]:.2f} | {v[1]:.4f} |" for who, v in scored if v]
    table = "| model | PSNR-Y (dB) | SSIM-Y |\n|---|---|---|\n" + "\n".join(rows) if rows else "No validation images."
    body = f"""
# {cfg.get("name") or out.name}

A x{cfg['scale']} super-resolution model ({cfg['architecture']}, {cfg['parameters']:,} parameters) trained with
srdemo for product photos. It loads anywhere [spandrel](https://github.com/chaiNNer-org/spandrel)
does (chaiNNer, ComfyUI, srdemo): `spandrel.ModelLoader().load_from_file("model.safetensors")`.

## How it was trained

- Base: {cfg.get('base_model') or 'none (trained from scratch)'}
- Degradation (how low-resolution inputs were made): {degradation_text(cfg['degradation'])}
- Steps: {cfg['steps']}, batch {cfg.get('batch')}, patch {cfg.get('patch')} px, learning rate {cfg.get('lr')} (AdamW, cosine),
  loss {cfg.get('loss')}, EMA {cfg.get('ema')}, seed {cfg['seed']}
- Data: {', '.join(str(d) for d in cfg['data'])}

## Results on {eval_name}

PSNR and SSIM on the Y channel (MATLAB rgb2ycbcr), {cfg['scale']} px border cropped, the published SR protocol.
The low-resolution inputs are centre crops degraded as in training (above), each with a seed taken from its file
name: runs validated on the same photos with the same degradation score the same inputs and can be compared.

{table}
{extra}"""
    ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body).save(out / "README.md")
    return out / "README.md"


# The one run whose tables every built-in card carries: each model beside the others, with what it costs.
BUILTIN_BENCHMARK = "python benchmarks/quality.py x2 x2-best x4 x4-best x4-product --jpeg --tile 4096 --speed"


def benchmark_section(tables: str) -> str:
    """A card's ``## Benchmarks`` section: what the figures are, the command that printed them, its tables."""
    return (
        "\n## Benchmarks\n\nPSNR-Y (dB) on the standard sets with the given MATLAB-bicubic LR images, one pass per "
        f"image (`{BUILTIN_BENCHMARK}`); `jpeg75` = those LR images after a Pillow JPEG quality-75 round trip. The speed table "
        "is output megapixels per second through srdemo's own path, on the machine it names.\n\n" + tables.strip() + "\n"
    )


def with_benchmark_section(text: str, tables: str) -> str:
    """``text`` with its Benchmarks section replaced by one of ``tables`` (added before Reproduce when it has none)."""
    section = benchmark_section(tables)
    start = text.find("\n## Benchmarks\n")
    if start < 0:
        start = end = text.find("\n## Reproduce") if "\n## Reproduce" in text else len(text)
    else:
        end = text.find("\n## ", start + 1)
        end = len(text) if end < 0 else end
    return text[:start].rstrip("\n") + "\n" + section + text[end:]


def add_benchmark_results(card: ModelCard, column: str) -> ModelCard:
    """Copy ``column``'s figures from the card's own benchmark table into ``model-index`` (the Hub's evaluation
    results), so the metadata cannot drift from the body."""
    table = [[c.strip() for c in line.strip().strip("|").split("|")] for line in card.text.splitlines() if line.startswith("| ")]
    header = next((cells for cells in table if cells[:3] == ["input", "set", "scale"]), None)
    if header is None or column not in header:
        raise ValueError(f"the card has no benchmark table with a {column!r} column")
    kept = [r for r in card.data.eval_results or [] if r.dataset_type == "custom"]  # the held-out photos
    for cells in table:
        if len(cells) != len(header) or cells[:3] == header[:3]:
            continue
        row = dict(zip(header, cells))
        try:
            value = float(row[column])
        except ValueError:
            continue  # '-' (another scale) or the separator row
        inputs = "JPEG-75 LR" if row["input"] == "jpeg75" else "MATLAB-bicubic LR"
        kept.append(
            EvalResult(
                task_type="image-to-image", task_name="Image Super-Resolution", dataset_type=row["set"],
                dataset_name=f"{row['set']} ({inputs})", dataset_config=row["input"], metric_type="psnr",
                metric_name=f"PSNR-Y ({row['scale']})", metric_value=value,
            )
        )
    card.data.eval_results = kept
    return card
