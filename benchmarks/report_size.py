"""What the page in a batch's zip costs: report.html and its previews, per photo and in all.

    python benchmarks/report_size.py [--count 100] [--model lanczos] [--scale 4] [--lang en]

Runs ``srdemo.run_batch`` on ``--count`` photos: real grocery shelf photos from
../shared/data/train/grocery_store_photos when the folder is there (348x348 JPEGs), else rendered
600 px products (``srdemo.synthetic``). Then reads the zip and prints, per photo and for the batch,
the bytes of report.html, of its previews (``previews/*.jpg``, two per photo) and, for scale, of the
results themselves. The model changes the results, hardly the page: the fast classic one is the default.
Target (issue 41): previews under 150 KB a photo, so a page of 100 photos travels in a few MB.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image

from srdemo.batch import run_batch
from srdemo.caller import LOCAL
from srdemo.request import UpscaleRequest
from srdemo.synthetic import render_product
from srdemo.wording import language

ROOT = Path(__file__).resolve().parent.parent
SHELF = ROOT.parent / "shared" / "data" / "train" / "grocery_store_photos"


def _photos(folder: Path, count: int) -> str:
    """``count`` photos in ``folder``; says where they came from."""
    real = sorted(SHELF.rglob("*.jpg"))[:count] if SHELF.is_dir() else []
    for k, path in enumerate(real):
        (folder / f"{k:03d}_{path.name}").write_bytes(path.read_bytes())
    for k in range(len(real), count):
        render_product(k, 600).convert("RGB").save(folder / f"{k:03d}_product.png")
    return f"{len(real)} shelf photos from ../shared, {count - len(real)} rendered 600 px products"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--model", default="lanczos")
    parser.add_argument("--scale", type=float, default=4)
    parser.add_argument("--lang", default="en", help="the batch's language: en or zh")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        source = _photos(inputs, args.count)
        start = time.perf_counter()
        with language(args.lang):
            result = run_batch([inputs], Path(tmp) / "out", UpscaleRequest(model=args.model, scale=args.scale, caller=LOCAL))
        seconds = time.perf_counter() - start
        with zipfile.ZipFile(result.zip_path) as zf:
            sizes = {i.filename: i.file_size for i in zf.infolist()}
            sample = next(n for n in sizes if n.startswith("previews/"))
            side = max(Image.open(io.BytesIO(zf.read(sample))).size)
        zip_bytes = result.zip_path.stat().st_size
    done = sum(r["status"] == "ok" for r in result.rows)
    page = sizes["report.html"]
    previews = sum(v for k, v in sizes.items() if k.startswith("previews/"))
    results = sum(v for k, v in sizes.items() if not k.startswith("previews/") and not k.startswith("report"))
    print(f"{args.count} photos ({source}), model {args.model} x{args.scale:g}, {args.lang}: "
          f"{done} done in {seconds:.1f} s; previews {side} px on the longest side")
    print()
    print("| part | per photo | in all | share of the zip |")
    print("|---|---:|---:|---:|")
    for name, size in (("report.html", page), ("previews (before + after)", previews),
                       ("page + previews", page + previews), ("results", results), ("whole zip", zip_bytes)):
        print(f"| {name} | {size / done / 1e3:.1f} KB | {size / 1e6:.2f} MB | {size / zip_bytes:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
