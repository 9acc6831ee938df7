"""Put one ``benchmarks/quality.py`` run's tables into every built-in model card (run from the repo root).

    python benchmarks/quality.py x2 x2-best x4 x4-best x4-product --jpeg --tile 4096 --speed \\
        | sed -n '/^| input/,$p' > quality-builtins.md
    python training/refresh_cards.py quality-builtins.md

Each card's Benchmarks section and its ``model-index`` figures are replaced; the weights, the json and
the rest of the card stay as they are. So a table measured again (a new model beside the others, another
machine's speeds) needs neither the training runs nor the reference files at hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from huggingface_hub import ModelCard

from srdemo.modelcard import add_benchmark_results, with_benchmark_section

WEIGHTS = Path(__file__).resolve().parents[1] / "srdemo" / "weights"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tables", type=Path, help="Markdown tables printed by benchmarks/quality.py")
    parser.add_argument("ids", nargs="*", help="the cards to refresh (default: every built-in's)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="folder of the built-in models' cards")
    args = parser.parse_args()
    tables = args.tables.read_text()
    for path in sorted(p for p in args.weights.glob("*.md") if not args.ids or p.stem in args.ids):
        card = ModelCard.load(path)
        card = ModelCard(with_benchmark_section(str(card), tables))
        add_benchmark_results(card, path.stem)  # raises if the tables have no column for this model
        card.save(path)
        print(f"{path.name}: {sum(1 for r in card.data.eval_results if r.dataset_type != 'custom')} benchmark figures")


if __name__ == "__main__":
    main()
