"""The NTIRE 2024 SPAN with 28 channels (../shared/ref-weights/span_ch28_x4.safetensors, MIT), the fast tier's base
(issue 42): srdemo runs it as spandrel does, and the importer brings it in as a base to fine-tune from."""

import json
import subprocess
import sys
from pathlib import Path

import spandrel
import torch
from safetensors.torch import load_file

from srdemo.training import TrainConfig, build_network
from srdemo.weights import load_descriptor

from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]


def test_srdemo_runs_the_ntire_span_ch28_as_spandrel_does():
    """srdemo's SPAN (spandrel's network with its kernels fused once, srdemo.arch.span) gives spandrel's very output."""
    path = shared_path("ref-weights", "span_ch28_x4.safetensors")
    plain = spandrel.ModelLoader().load_from_file(str(path)).model.eval()
    ours = load_descriptor(path).model
    assert ours.conv_1.sk.weight.shape[0] == 28
    x = torch.rand(1, 3, 40, 52, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = plain(x)
        first, again = ours(x), ours(x)  # the second call runs the kernels fused by the first
        branches = spandrel.ModelLoader().load_from_file(str(path)).model.train()(x)  # what fine-tuning starts from
    assert float((first - want).abs().max()) <= 1e-5 and torch.equal(first, again)
    assert float((branches - want).abs().max()) < 1e-3  # float32 rounding of two ways to sum the same kernels


def test_the_importer_brings_span_ch28_in_as_a_base_to_fine_tune(tmp_path):
    source = shared_path("ref-weights", "span_ch28_x4.safetensors")
    done = subprocess.run(
        [sys.executable, "training/import_reference.py", "x4", "--dtype", "float32", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert "srdemo's loader against plain spandrel on these weights 0;" in done.stdout and "verified" in done.stdout
    written, reference = load_file(str(tmp_path / "x4.safetensors")), load_file(str(source))
    assert written.keys() == reference.keys()
    for key, tensor in written.items():  # the fused kernels rebuilt from the branches are the ones published
        torch.testing.assert_close(tensor, reference[key], atol=1e-6, rtol=0)
    assert "Copyright (c) 2024 BinRen" in (tmp_path / "LICENSE-MIT-SPAN-ch28.txt").read_text()
    meta = json.loads((tmp_path / "x4.json").read_text())
    assert meta["licence"] == "MIT" and meta["architecture"] == "SPAN" and "tier" not in meta  # the fast tier
    card = (tmp_path / "x4.md").read_text()
    for fact in ("Amazingren/NTIRE2024_ESR", "team38_span_ch28_slim.pth", "LICENSE-MIT-SPAN-ch28.txt", "Bin Ren",
                 "Cheng Wan", meta["source_sha256"], f"--out {tmp_path}"):
        assert fact in card, fact
    assert not (ROOT / "srdemo" / "weights" / "x4.md").read_text().count(meta["source_sha256"])  # shipped x4 untouched
    # srdemo train --init starts from it, at x4 and (body kept, output layer box-averaged) at x2
    for scale, size in ((4, 48), (2, 24)):
        net, base = build_network(TrainConfig(data=("x",), out=str(tmp_path / "run"), scale=scale,
                                              init=str(tmp_path / "x4.safetensors")))
        assert base.endswith("x4.safetensors")
        with torch.no_grad():
            assert net.eval()(torch.rand(1, 3, 12, 12)).shape == (1, 3, size, size)
