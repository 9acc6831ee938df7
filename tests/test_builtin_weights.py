"""The weights srdemo ships: small, loadable anywhere spandrel is, documented, and better than bicubic."""

from __future__ import annotations

import io
import json

import pytest
import spandrel
import torch
from huggingface_hub import ModelCard

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.engine import EngineOptions
from srdemo.evaluation import evaluate_folder, mean_scores

from conftest import ROOT, shared_path

BUILTINS = models.builtin_specs()


@pytest.mark.parametrize("spec", BUILTINS, ids=[s.id for s in BUILTINS])
def test_shipped_weights_are_small_plain_spandrel_and_carded(spec):
    # Well under the 10 MB above which the Hub stores a file through LFS/Xet. SPAN's files keep the training branches
    # spandrel recognises it by: the 48-channel x4-product's are 4.5 MB in float16, its fused ONNX export 1.8 MB.
    assert spec.path.stat().st_size < 5_000_000
    plain = spandrel.ModelLoader().load_from_file(str(spec.path))  # what chaiNNer or ComfyUI would do
    assert plain.scale == json.loads(spec.path.with_suffix(".json").read_text())["scale"]
    card = ModelCard.load(spec.path.with_suffix(".md"))
    assert card.data.pipeline_tag == "image-to-image" and card.data.license == spec.licence.lower()
    assert "| jpeg75 | Set5 |" in card.text  # the benchmark tables
    if "source_sha256" in json.loads(spec.path.with_suffix(".json").read_text()):  # published weights, imported as they are
        assert {r.metric_type for r in card.data.eval_results} == {"psnr"}
        assert f"python training/import_reference.py {spec.id} " in card.text
        return
    assert {r.metric_type for r in card.data.eval_results} >= {"psnr", "ssim"}
    script = next(line for line in card.text.splitlines() if line.startswith("# Reproduces"))
    assert any(script in p.read_text() for p in (ROOT / "training").glob("*.sh"))


@pytest.mark.parametrize("spec", BUILTINS, ids=[s.id for s in BUILTINS])
def test_shipped_weights_beat_bicubic_on_set5(spec):
    scale = spec.native_scale
    folder = shared_path("data", "benchmarks", "Set5", f"x{scale}")
    # One pass per image: the cards' figures are the model's own, not those of tiles sized by this machine's speed
    # (DCTLSA's attention sees the whole tile, so small tiles cost it up to 0.02 dB).
    untiled = EngineOptions(tile=4096)
    model_scores, bicubic_scores = mean_scores(
        evaluate_folder(models.load(spec.id, LOCAL), folder / "HR", scale, folder / "LR", options=untiled)
    )
    assert model_scores.psnr > bicubic_scores.psnr + 1.5
    # The card's model-index (what the Hub shows as evaluation results) states this very figure.
    card = ModelCard.load(spec.path.with_suffix(".md"))
    stated = [r.metric_value for r in card.data.eval_results if (r.dataset_type, r.dataset_config) == ("Set5", "clean")]
    assert stated == [pytest.approx(model_scores.psnr, abs=0.0051)]


BEST = [s for s in BUILTINS if s.tier == "best"]


@pytest.mark.parametrize("spec", BEST, ids=[s.id for s in BEST])
def test_the_best_tier_ships_the_published_tensors_verified_and_rounded_only(spec):
    """Same keys, and each tensor the reference's own rounded to the stored precision, nothing else."""
    import hashlib

    from safetensors.torch import load_file

    meta = json.loads(spec.path.with_suffix(".json").read_text())
    source = shared_path("ref-weights", meta["source_file"])
    listed = dict(line.split()[::-1] for line in (source.parent / "SHA256SUMS").read_text().splitlines() if line.strip())
    assert hashlib.sha256(source.read_bytes()).hexdigest() == meta["source_sha256"] == listed[source.name]
    reference, shipped = load_file(str(source)), load_file(str(spec.path))
    assert shipped.keys() == reference.keys()
    stored = {"float16": torch.float16, "float32": torch.float32}[meta["stored_as"]]
    for key, tensor in shipped.items():
        want = reference[key].to(stored) if reference[key].is_floating_point() else reference[key]
        assert tensor.dtype == want.dtype and torch.equal(tensor, want), key


@pytest.mark.parametrize("spec", BEST, ids=[s.id for s in BEST])
def test_the_best_tier_card_names_its_licence_source_and_paper_and_the_licence_ships(spec):
    import fnmatch
    import re

    meta = json.loads(spec.path.with_suffix(".json").read_text())
    card = ModelCard.load(spec.path.with_suffix(".md"))
    assert card.data.license == "apache-2.0" and meta["licence"] == "Apache-2.0"
    for fact in ("github.com/zengkun301/DCTLSA", meta["source_sha256"], "10.1109/TIM.2023.3304672",
                 "IEEE Transactions on Instrumentation and Measurement", "LICENSE-Apache-2.0.txt"):
        assert fact in card.text, fact
    licence = spec.path.parent / "LICENSE-Apache-2.0.txt"
    assert "Apache License" in licence.read_text() and "Version 2.0, January 2004" in licence.read_text()
    line = re.search(r"^srdemo = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.M)  # package-data
    packaged = re.findall(r'"([^"]+)"', line.group(1))
    for shipped in (licence, spec.path, spec.path.with_suffix(".md")):  # what a pip install carries
        assert any(fnmatch.fnmatch(f"weights/{shipped.name}", pattern) for pattern in packaged), shipped.name


@pytest.mark.slow
def test_x4_best_gives_the_published_set5_figure_through_the_whole_upscale_path():
    """PNG bytes in, PNG bytes out, as the app and the command line run it: 32.53 dB (shared README) within 0.02."""
    import numpy as np
    from PIL import Image

    import srdemo
    from srdemo import metrics

    folder = shared_path("data", "benchmarks", "Set5", "x4")
    request = srdemo.UpscaleRequest(model="x4-best", scale=4, check=False, caller=LOCAL)
    scores = []
    for hr_path in sorted((folder / "HR").glob("*.png")):
        done = srdemo.upscale((folder / "LR" / hr_path.name).read_bytes(), request)
        sr = np.asarray(Image.open(io.BytesIO(done.data)).convert("RGB"))
        scores.append(metrics.score(sr, np.asarray(Image.open(hr_path).convert("RGB")), 4).psnr)
    assert sum(scores) / len(scores) == pytest.approx(32.53, abs=0.02)
