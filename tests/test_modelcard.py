"""Model cards: how a run's degradation is described, and benchmark figures in model-index."""

import pytest
from huggingface_hub import ModelCard


def test_a_mixed_degradation_is_described_part_by_part_on_the_card(tmp_path):
    from srdemo.modelcard import degradation_text

    mixed = degradation_text("bicubic+compressed")
    assert degradation_text("bicubic") in mixed and degradation_text("compressed") in mixed
    assert "JPEG" in degradation_text("compressed") and "equal odds" in mixed
    weighted = degradation_text("bicubic+compressed+compressed")  # a part named twice: once, with its share
    assert weighted.count(degradation_text("compressed")) == 1 and "(2 in 3 samples)" in weighted
    assert f"{degradation_text('bicubic')} (1 in 3 samples)" in weighted

    from srdemo.modelcard import write_model_card
    from srdemo.training import History

    cfg = {"scale": 4, "architecture": "SPAN", "degradation": "bicubic+compressed", "parameters": 1, "steps": 1,
           "seed": 0, "data": ["photos"]}
    card = ModelCard.load(write_model_card(tmp_path, cfg, History()))
    assert {"bicubic", "compressed"} <= set(card.data.tags) and "bicubic+compressed" not in card.data.tags


def test_benchmark_table_figures_go_into_model_index_once():
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from srdemo.modelcard import add_benchmark_results

    held_out = EvalResult(task_type="image-to-image", dataset_type="custom", dataset_name="held-out",
                          metric_type="psnr", metric_value=28.5)
    table = """
| input | set | scale | bicubic | x2 | x4 |
|---|---|---|---|---|---|
| clean | Set5 | x2 | 33.68 | 37.50 | - |
| clean | Set5 | x4 | 28.43 | - | 31.40 |
| jpeg75 | BSD100 | x4 | 25.40 | - | 25.54 |
"""
    card = ModelCard.from_template(ModelCardData(model_name="m", eval_results=[held_out]), template_str="---\n{{ card_data }}\n---\n" + table)
    for _ in range(2):  # re-running on a published card replaces, never duplicates
        add_benchmark_results(card, "x4")
    got = [(r.dataset_type, r.dataset_config, r.metric_name, r.metric_value) for r in card.data.eval_results]
    assert got == [("custom", None, None, 28.5), ("Set5", "clean", "PSNR-Y (x4)", 31.40), ("BSD100", "jpeg75", "PSNR-Y (x4)", 25.54)]
    assert "BSD100 (JPEG-75 LR)" in ModelCard(str(card)).content  # survives a save and load as YAML
    with pytest.raises(ValueError, match="x4-product"):
        add_benchmark_results(card, "x4-product")


def test_a_cards_benchmark_section_is_replaced_in_place_and_model_index_follows_it():
    """training/refresh_cards.py: a new table (another model beside it, speeds) replaces the old one and only it."""
    from huggingface_hub import ModelCard, ModelCardData

    from srdemo.modelcard import add_benchmark_results, with_benchmark_section

    old = "| input | set | scale | bicubic | x4 |\n|---|---|---|---|---|\n| clean | Set5 | x4 | 28.43 | 31.40 |\n"
    new = (
        "| input | set | scale | bicubic | x4 | x4-best |\n|---|---|---|---|---|---|\n| clean | Set5 | x4 | 28.43 | 31.52 | 32.53 |\n"
        "\n| speed (some CPU, 2 threads; 256x256 in) | x4 | x4-best |\n|---|---|---|\n| output MP/s | 3.71 | 0.13 |\n"
    )
    body = f"# m\n\n## Weights\n\nfloat16.\n\n## Benchmarks\n\nold words\n\n{old}\n## Reproduce\n\n```bash\ntrain\n```\n"
    card = ModelCard.from_template(ModelCardData(model_name="m"), template_str="---\n{{ card_data }}\n---\n" + body)
    add_benchmark_results(card, "x4")
    card = ModelCard(with_benchmark_section(str(card), new))
    add_benchmark_results(card, "x4")
    text = card.text
    assert text.count("## Benchmarks") == 1 and "old words" not in text and "| 31.40 |" not in text
    assert text.index("## Weights") < text.index("## Benchmarks") < text.index("| output MP/s | 3.71 |") < text.index("## Reproduce")
    assert [(r.dataset_type, r.metric_value) for r in card.data.eval_results] == [("Set5", 31.52)]  # speeds are no PSNR
    # a card without the section gets one before Reproduce
    bare = with_benchmark_section("# m\n\n## Reproduce\n\nx\n", new)
    assert bare.index("## Benchmarks") < bare.index("## Reproduce") and bare.count("## Benchmarks") == 1
