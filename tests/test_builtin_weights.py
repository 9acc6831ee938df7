"""The weights srdemo ships: small, loadable anywhere spandrel is, documented, and better than bicubic."""

from __future__ import annotations

import json

import pytest
import spandrel
from huggingface_hub import ModelCard

from srdemo import models
from srdemo.evaluation import evaluate_folder, mean_scores

from conftest import ROOT, shared_path

BUILTINS = models.builtin_specs()


@pytest.mark.parametrize("spec", BUILTINS, ids=[s.id for s in BUILTINS])
def test_shipped_weights_are_small_plain_spandrel_and_carded(spec):
    assert spec.path.stat().st_size < 2_000_000
    plain = spandrel.ModelLoader().load_from_file(str(spec.path))  # what chaiNNer or ComfyUI would do
    assert plain.scale == json.loads(spec.path.with_suffix(".json").read_text())["scale"]
    card = ModelCard.load(spec.path.with_suffix(".md"))
    assert card.data.pipeline_tag == "image-to-image" and card.data.license == "mit"
    assert {r.metric_type for r in card.data.eval_results} >= {"psnr", "ssim"}
    assert "| jpeg75 | Set5 |" in card.text  # the benchmark tables
    script = next(line for line in card.text.splitlines() if line.startswith("# Reproduces"))
    assert any(script in p.read_text() for p in (ROOT / "training").glob("*.sh"))


@pytest.mark.parametrize("spec", BUILTINS, ids=[s.id for s in BUILTINS])
def test_shipped_weights_beat_bicubic_on_set5(spec):
    scale = spec.native_scale
    folder = shared_path("data", "benchmarks", "Set5", f"x{scale}")
    model_scores, bicubic_scores = mean_scores(evaluate_folder(models.load(spec.id), folder / "HR", scale, folder / "LR"))
    assert model_scores.psnr > bicubic_scores.psnr + 1.5
    # The card's model-index (what the Hub shows as evaluation results) states this very figure.
    card = ModelCard.load(spec.path.with_suffix(".md"))
    stated = [r.metric_value for r in card.data.eval_results if (r.dataset_type, r.dataset_config) == ("Set5", "clean")]
    assert stated == [pytest.approx(model_scores.psnr, abs=0.0051)]
