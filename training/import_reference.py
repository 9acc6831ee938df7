"""Ship a public reference model from ``../shared/ref-weights`` as a srdemo built-in (run from the repo root).

    python training/import_reference.py x4-best x2-best [--dtype float16|float32] [--tables quality-best.md]
        [--note "..."] [--onnx] [--out FOLDER]

Each id names one entry of ``REFERENCES``. For each, in this order:

1. the source ``.safetensors`` is hashed and compared with ``SHA256SUMS`` beside it; a file that
   differs stops the import before a byte of it is read as weights (pickled ``.pt`` files are never opened);
2. spandrel reads it and must find the architecture and scale the entry says (and, for SPAN, the width);
3. the tensors are written (same keys) to ``srdemo/weights/<id>.safetensors``, in float16
   unless ``--dtype float32`` (integers, such as BatchNorm counters, stay integers): unchanged, except that a
   network with re-parameterised convolutions (SPAN's ``Conv3XC``) has its fused kernels rebuilt from the
   training branches in float32 first (``srdemo.arch.span.fused_state``, as srdemo's own SPAN files are), and
   its output through srdemo's loader is compared with plain spandrel's on the source file (printed);
4. ``<id>.json`` (what the catalogue shows: label, scale, licence, tier, the source and its SHA-256)
   and the model card ``<id>.md`` (licence, attribution, citation, ``--tables`` as the benchmark table
   and as ``model-index``) are written;
5. with ``--onnx``, the export the CPU path runs is made and checked as ``srdemo export-onnx`` does;
   a model whose export differs from torch by more than ``backends.TOLERANCE``, or runs slower on ONNX
   Runtime than on torch on this machine (one 256x256 pass, best of 3), ships without one, and its
   json says ``"onnx": false`` with the reason, so the app runs it on torch and never retries.

Benchmark the weights first by importing without ``--tables``, then import again with them (the
weights come out byte-identical). ``--out FOLDER`` writes the same files (and the licence text) into another
folder instead of ``srdemo/weights/``: a base to fine-tune from without touching the shipped built-ins, e.g.

    python training/import_reference.py x4 --dtype float32 --out runs/span-ch28   # the training scripts' base
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import spandrel
import torch
from huggingface_hub import ModelCard, ModelCardData
from safetensors.torch import load_file, save_file

from srdemo import backends
from srdemo.arch.span import fused_state, reparameterised_layers, width
from srdemo.devices import cpu_name
from srdemo.modelcard import BUILTIN_BENCHMARK, add_benchmark_results, benchmark_section
from srdemo.weights import load_descriptor

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "srdemo" / "weights"
REF = ROOT.parent / "shared" / "ref-weights"
LICENCE_FILE = "LICENSE-Apache-2.0.txt"  # the licence's standard text, shipped beside the weights
SPAN_LICENCE_FILE = "LICENSE-MIT-SPAN-ch28.txt"  # MIT with the source repository's own copyright line

SPAN_CITATION = """@inproceedings{wan2024span,
  title     = {Swift Parameter-free Attention Network for Efficient Super-Resolution},
  author    = {Wan, Cheng and Yu, Hongyuan and Li, Zhiqi and Chen, Yihang and Zou, Yajun and Liu, Yuqing and Yin, Xuanwu and Zuo, Kunlong},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR) Workshops},
  year      = {2024}
}
@inproceedings{ren2024ntire,
  title     = {The Ninth NTIRE 2024 Efficient Super-Resolution Challenge Report},
  author    = {Ren, Bin and others},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR) Workshops},
  year      = {2024}
}"""

DCTLSA_CITATION = """@article{zeng2023dctlsa,
  title   = {Densely Connected Transformer With Linear Self-Attention for Lightweight Image Super-Resolution},
  author  = {Zeng, Kun and Lin, Hanjiang and Yan, Zhiqiang and Fang, Jinsheng},
  journal = {IEEE Transactions on Instrumentation and Measurement},
  volume  = {72},
  pages   = {1--12},
  year    = {2023},
  doi     = {10.1109/TIM.2023.3304672}
}"""


@dataclass(frozen=True)
class Reference:
    """One public model srdemo ships as it was published, and what the catalogue says of it."""

    file: str  # in ../shared/ref-weights, listed in its SHA256SUMS
    checkpoint: str  # the authors' original file beside it (hashed for the record, never opened)
    architecture: str  # what spandrel must detect
    scale: int
    label: str
    good_for: str
    licence: str
    upstream: str  # where the network and weights come from, for the catalogue's 'source'
    authors: str
    citation: str
    tier: str = "best"  # "best": the slow, finest tier; "": the fast tier (the built-in x2/x4 and their variants)
    licence_file: str = LICENCE_FILE  # the licence's text in srdemo/weights, copied beside an import elsewhere
    channels: int | None = None  # SPAN's width, checked on import


_DCTLSA_UPSTREAM = "github.com/zengkun301/DCTLSA (Zeng et al., IEEE TIM 2023), the authors' pretrained weights"
_DCTLSA_AUTHORS = "Kun Zeng, Hanjiang Lin, Zhiqiang Yan and Jinsheng Fang"

REFERENCES = {
    "x4-best": Reference(
        "dctlsa_x4.safetensors", "dctlsa_x4.pt", "DCTLSA", 4,
        "Best quality x4 (DCTLSA, built-in): slower, finest detail",
        "Clean product photos where the finest detail matters more than speed: over ten times the built-in x4's "
        "time on a CPU, a fraction of a second on a GPU (its default there).",
        "Apache-2.0", _DCTLSA_UPSTREAM, _DCTLSA_AUTHORS, DCTLSA_CITATION,
    ),
    "x2-best": Reference(
        "dctlsa_x2.safetensors", "dctlsa_x2.pt", "DCTLSA", 2,
        "Best quality x2 (DCTLSA, built-in): slower, finest detail, doubles the size",
        "Clean product photos that need only doubling, where the finest detail matters more than speed "
        "(the default at x2 on a GPU).",
        "Apache-2.0", _DCTLSA_UPSTREAM, _DCTLSA_AUTHORS, DCTLSA_CITATION,
    ),
    # The fast tier's base (issue 42): SPAN, 28 channels, an NTIRE 2024 efficient-SR entry. Imported into runs/ as the
    # starting point of training/builtin_*.sh's SPAN-ch28 stages; imported into srdemo/weights only if shipped as is.
    "x4": Reference(
        "span_ch28_x4.safetensors", "team38_span_ch28_slim.pth", "SPAN", 4,
        "srdemo x4 (SPAN, built-in): fast, sharp and faithful, for packaging text",
        "Product photos: packaging text, logos, flat colours. The fast default at x4 on a CPU.",
        "MIT",
        "github.com/Amazingren/NTIRE2024_ESR (NTIRE 2024 ESR model zoo, model_zoo/team38_span_ch28_slim.pth), "
        "an NTIRE 2024 efficient super-resolution challenge entry",
        "the NTIRE 2024 Efficient Super-Resolution challenge's team 38 (SPAN, 28 channels), distributed in the "
        "challenge's model zoo (Copyright (c) 2024 Bin Ren, MIT); the SPAN architecture by Cheng Wan, Hongyuan Yu, "
        "Zhiqi Li, Yihang Chen, Yajun Zou, Yuqing Liu, Xuanwu Yin and Kunlong Zuo",
        SPAN_CITATION, tier="", licence_file=SPAN_LICENCE_FILE, channels=28,
    ),
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def listed_sums(folder: Path) -> dict[str, str]:
    """``SHA256SUMS`` as {file name: digest} (the ``sha256sum`` format: digest, two spaces, name)."""
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest.lower()
    return sums


def verified(ref: Reference, folder: Path) -> tuple[Path, str, str]:
    """The source file and its digest, once it matches ``SHA256SUMS``; the checkpoint's listed digest."""
    sums = listed_sums(folder)
    path = folder / ref.file
    if ref.file not in sums:
        raise SystemExit(f"{ref.file} is not listed in {folder / 'SHA256SUMS'}: not importing it")
    actual = sha256(path)
    if actual != sums[ref.file]:
        raise SystemExit(f"{path}: SHA-256 {actual} differs from SHA256SUMS ({sums[ref.file]}): not importing it")
    return path, actual, sums.get(ref.checkpoint, "")


def convert(state: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Floating-point tensors in ``dtype``, the rest (BatchNorm's num_batches_tracked) as they are."""
    return {k: v.to(dtype).contiguous() if v.is_floating_point() else v.contiguous() for k, v in state.items()}


def _intro(model_id: str, ref: Reference, params: int) -> str:
    """The card's first paragraph: what the model is in srdemo's catalogue."""
    loads = (f"It loads anywhere [spandrel](https://github.com/chaiNNer-org/spandrel) does: "
             f'`spandrel.ModelLoader().load_from_file("{model_id}.safetensors")`.')
    if ref.tier == "best":
        return f"""srdemo's best-quality tier at x{ref.scale}: the {ref.architecture} network ({params:,} parameters) with its authors'
pretrained weights, unchanged except for the file format. It is the default for x{ref.scale} on a GPU; on a CPU the
built-in `x{ref.scale}` stays the default and this model is one choice away in the list. {loads}"""
    return f"""srdemo's fast tier at x{ref.scale}: the {ref.architecture} network ({params:,} parameters as it runs, its
re-parameterised convolutions fused) with its authors' pretrained weights, unchanged except for the file format. It is
the default for x{ref.scale} on a CPU. {loads}"""


def _changes(ref: Reference, model_id: str, meta: dict) -> str:
    fused = (" The fused 3x3 kernels (`eval_conv`) were recomputed from the training branches in float32"
             " (`srdemo.arch.span.fused_state`), as srdemo's own SPAN files are." if meta.get("fused") else "")
    return (f"the tensors were read from `{ref.file}` and written to `{model_id}.safetensors` with the same\n"
            f"  keys, stored in {meta['stored_as']} (`training/import_reference.py`).{fused} No weight was trained or altered otherwise.")


def _checkpoint_line(ref: Reference, meta: dict) -> str:
    if meta["checkpoint_sha256"]:
        return f"It holds the same tensors as the authors' checkpoint beside it, `{ref.checkpoint}` (SHA-256 `{meta['checkpoint_sha256']}`)."
    return (f"It holds the same tensors as the authors' checkpoint `{ref.checkpoint}`, converted losslessly to spandrel's "
            f"key layout (the original is not in the shared folder).")


def card_text(model_id: str, ref: Reference, meta: dict, params: int, tables: str, note: str) -> str:
    data = ModelCardData(
        license=ref.licence.lower(), pipeline_tag="image-to-image", library_name="spandrel",
        tags=["super-resolution", "srdemo", ref.architecture.lower(), f"x{ref.scale}"], model_name=f"srdemo-{model_id}",
    )
    note = f"\n{note.strip()}\n" if note.strip() else ""
    bench = benchmark_section(tables) if tables else ""
    return f"""---
{data.to_yaml()}
---

# srdemo-{model_id}

{_intro(model_id, ref, params)}

## Licence and attribution

- Licence: {ref.licence}. The full text is `{ref.licence_file}` beside this card.
- Network and weights: {ref.architecture} by {ref.authors}, {ref.upstream.split(" (")[0]}.
- Changes made by srdemo: {_changes(ref, model_id, meta)}

## Citation

```bibtex
{ref.citation}
```

## Source

- `{ref.file}` from srdemo's shared reference weights (`../shared/ref-weights`), SHA-256 `{meta['source_sha256']}`,
  checked against that folder's `SHA256SUMS` before conversion.
- {_checkpoint_line(ref, meta)}
{bench}{note}
## Reproduce

From the srdemo repository root, beside `../shared`:

```bash
python training/import_reference.py {model_id} --dtype {meta['stored_as']} --onnx{meta.get('out_flag', '')}
{BUILTIN_BENCHMARK}
```
"""


def test_image(seed: int = 0) -> torch.Tensor:
    """A 64x72 picture-like input: smooth random colour fields (uniform noise would drive a network far outside what
    it meets, where float16's rounding of the weights alone moves its unclamped output by tenths)."""
    coarse = torch.rand(1, 3, 5, 6, generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.interpolate(coarse, size=(64, 72), mode="bicubic", align_corners=False).clamp(0, 1)


def max_difference(source: Path, written: Path) -> tuple[float, float]:
    """(srdemo's loader against plain spandrel, both running the written file; plain spandrel on the written file
    against the source file: the storage precision's rounding), largest differences of outputs clamped to [0, 1]."""
    x = test_image()
    with torch.no_grad():
        plain = spandrel.ModelLoader().load_from_file(str(written)).model.float().eval()(x).clamp(0, 1)
        ours = load_descriptor(written).model.float()(x).clamp(0, 1)
        original = spandrel.ModelLoader().load_from_file(str(source)).model.float().eval()(x).clamp(0, 1)
    return float((ours - plain).abs().max()), float((plain - original).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ids", nargs="+", choices=sorted(REFERENCES))
    parser.add_argument("--ref", type=Path, default=REF, help="folder with the source files and SHA256SUMS")
    parser.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    parser.add_argument("--tables", default=None, help="Markdown file with benchmarks/quality.py's table")
    parser.add_argument("--note", default="", help="Markdown for the card: how the storage precision was chosen")
    parser.add_argument("--onnx", action="store_true", help="also make and check the ONNX Runtime export")
    parser.add_argument("--out", type=Path, default=WEIGHTS,
                        help="folder to write into (default srdemo/weights): e.g. runs/span-ch28, a base to fine-tune")
    args = parser.parse_args()
    tables = Path(args.tables).read_text() if args.tables else ""
    folder = args.out
    folder.mkdir(parents=True, exist_ok=True)

    for model_id in args.ids:
        ref = REFERENCES[model_id]
        if not (WEIGHTS / ref.licence_file).is_file():
            raise SystemExit(f"{WEIGHTS / ref.licence_file} is missing: the licence text ships with the weights")
        if folder.resolve() != WEIGHTS.resolve():
            (folder / ref.licence_file).write_bytes((WEIGHTS / ref.licence_file).read_bytes())
        path, digest, checkpoint_digest = verified(ref, args.ref)
        state = load_file(str(path))
        descriptor = spandrel.ModelLoader().load_from_state_dict(dict(state))
        if (descriptor.architecture.name, descriptor.scale) != (ref.architecture, ref.scale):
            raise SystemExit(f"{path}: spandrel reads {descriptor.architecture.name} x{descriptor.scale}, "
                             f"expected {ref.architecture} x{ref.scale}")
        if ref.channels is not None and width(state) != ref.channels:
            raise SystemExit(f"{path}: a SPAN {width(state)} channels wide, expected {ref.channels}")
        fused = bool(reparameterised_layers(descriptor.model))
        if fused:  # the fused kernels must be what the branches compute: rebuilt in float32, before any rounding
            state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
            net = spandrel.ModelLoader().load_from_state_dict(dict(state)).model
            state = fused_state(net)
        out = folder / f"{model_id}.safetensors"
        save_file(convert(state, getattr(torch, args.dtype)), str(out))
        ours, rounding = max_difference(path, out)
        print(f"{out}: max abs difference of srdemo's loader against plain spandrel on these weights {ours:.3g}; "
              f"of these weights against {ref.file} {rounding:.3g} ({args.dtype}; a 64x72 picture-like input, "
              f"outputs in [0, 1])")
        onnx = out.with_suffix(".onnx")
        before = json.loads(out.with_suffix(".json").read_text()) if out.with_suffix(".json").exists() else {}
        onnx_note = before.get("onnx_note", "not exported: run with --onnx")  # why an earlier --onnx failed
        if args.onnx:
            try:
                net = backends.export(load_descriptor(out), onnx, backends.digest(out))
                print(f"{onnx}: exported, equal to torch within {backends.TOLERANCE}")
                speedup = backends.speedup(net, load_descriptor(out), 256)
                print(f"{onnx}: ONNX Runtime at {speedup:.2f}x torch's speed on {cpu_name()} (256x256, best of 3)")
                if speedup < 1:
                    onnx.unlink()
                    onnx_note = (f"its export equals torch within {backends.TOLERANCE}, but ONNX Runtime ran it at "
                                 f"{speedup:.2f}x torch's speed on {cpu_name()} (256x256), so it runs on torch")
                    print(f"{model_id}: no ONNX export ({onnx_note})")
            except backends.ExportFailed as exc:
                onnx.unlink(missing_ok=True)
                onnx_note = f"the export {exc} on the check, so it runs on torch"
                print(f"{model_id}: no ONNX export ({exc}); it runs on torch")
        shipped_onnx = backends.open_export(onnx, backends.digest(out), load_descriptor(out)) is not None
        meta = {
            "label": ref.label, "scale": ref.scale, "good_for": ref.good_for, "licence": ref.licence,
            "architecture": ref.architecture, "tier": ref.tier, "upstream": ref.upstream,
            "source": f"{ref.file} from ../shared/ref-weights, converted by training/import_reference.py",
            "source_file": ref.file, "source_sha256": digest, "checkpoint_sha256": checkpoint_digest, "stored_as": args.dtype,
            "onnx": shipped_onnx, **({} if shipped_onnx else {"onnx_note": onnx_note}),
        }
        if ref.tier:
            meta["tier"] = ref.tier
        else:
            del meta["tier"]
        (folder / f"{model_id}.json").write_text(json.dumps(meta, indent=2) + "\n")
        meta["fused"] = fused
        if folder.resolve() != WEIGHTS.resolve():
            meta["out_flag"] = f" --out {folder}"
        params = sum(p.numel() for p in descriptor.model.parameters())
        card = ModelCard(card_text(model_id, ref, meta, params, tables, args.note))
        if model_id in tables:
            add_benchmark_results(card, model_id)
        card.save(folder / f"{model_id}.md")
        print(f"{out}: {ref.architecture} x{ref.scale}, {args.dtype}, {out.stat().st_size / 1e6:.2f} MB, "
              f"source {ref.file} sha256 {digest[:12]}... verified")


if __name__ == "__main__":
    main()
