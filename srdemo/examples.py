"""Example photos: those shipped beside the package (reached only through ``example_photos()``), and the training set."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_SUFFIXES = (".png", ".jpg")
TRAINING_EXAMPLE_COUNT = 48


def example_photos() -> list[Path]:
    """The shipped example photos, sorted by name (empty when the package is installed without them)."""
    return sorted(p for p in EXAMPLES_DIR.glob("*") if p.suffix.lower() in EXAMPLE_SUFFIXES)


def training_example_set(folder: Path) -> Path:
    """Product-like images rendered by srdemo's own code (deterministic), for a first training run."""
    from .synthetic import render_set

    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.png"))) < TRAINING_EXAMPLE_COUNT:
        for i, img in enumerate(render_set(TRAINING_EXAMPLE_COUNT, 320, seed=7)):
            img.save(folder / f"example_{i:02d}.png")
    return folder
