"""Render the example images shipped in examples/ (run from the repo root).

The rendered ones are srdemo's own work (MIT). The two grocery photos are
copied from the Grocery Store Dataset (MIT, see examples/GROCERY_LICENSE) when
../shared is present; they are already committed, so this is only for rebuilding.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from srdemo.synthetic import render_product

HERE = Path(__file__).parent
GROCERY = Path(__file__).resolve().parents[2] / "shared/data/train/grocery_iconic/Packages"
PICKS = {
    "grocery_oatly_oatghurt.jpg": "Oatghurt/Oatly-Natural-Oatghurt/Oatly-Natural-Oatghurt_Iconic.jpg",
    "grocery_tropicana_apple.jpg": "Juice/Tropicana-Apple-Juice/Tropicana-Apple-Juice_Iconic.jpg",
}


def main() -> None:
    # Small, soft renders: what a supplier's thumbnail looks like.
    render_product(11, 512).resize((128, 128), Image.Resampling.BICUBIC).save(HERE / "packaging_small.png")
    render_product(7, 512).resize((160, 160), Image.Resampling.BICUBIC).save(HERE / "jar_label_text.png")
    render_product(5, 512, transparent=True).resize((128, 128), Image.Resampling.BICUBIC).save(HERE / "cutout_transparent.png")
    for name, rel in PICKS.items():
        if (GROCERY / rel).exists():
            shutil.copyfile(GROCERY / rel, HERE / name)
    if (GROCERY.parent / "LICENSE").exists():
        shutil.copyfile(GROCERY.parent / "LICENSE", HERE / "GROCERY_LICENSE")


if __name__ == "__main__":
    main()
