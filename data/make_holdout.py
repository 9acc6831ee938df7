"""Choose the 40 grocery store photos no built-in model trains on (run from the repo root).

They are the validation set of the Training tab's figures and of the built-in
models' model cards. Fixed seed, sorted input: the same 40 on every machine.
"""

from pathlib import Path

import numpy as np

SOURCE = Path("../shared/data/train/grocery_store_photos")
SEED = 2026
COUNT = 40


def main() -> None:
    files = sorted(p.relative_to(SOURCE).as_posix() for p in SOURCE.rglob("*.jpg"))
    pick = sorted(files[i] for i in np.random.default_rng(SEED).choice(len(files), COUNT, replace=False))
    Path(__file__).with_name("holdout_grocery_store_photos.txt").write_text("\n".join(pick) + "\n")


if __name__ == "__main__":
    main()
