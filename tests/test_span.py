"""SPAN's internals: changing a trained SPAN's scale or width, and its re-parameterised convolutions."""

from dataclasses import replace

import pytest
import spandrel
import torch
from safetensors.torch import save_file

from srdemo import models
from srdemo.arch.span import fused_state
from srdemo.caller import LOCAL
from srdemo.errors import SrdemoError
from srdemo.training import TrainConfig, build_network


def test_span_changes_scale_starting_from_the_box_downscaled_old_model(tmp_path):
    """x4 -> x2 keeps the body and averages the sub-pixels, so x2(img) == avgpool2(x4(img))."""
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(0)
    x4 = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=4).train()
    save_file({k: v.contiguous() for k, v in x4.state_dict().items()}, str(tmp_path / "x4.safetensors"))
    net, base = build_network(TrainConfig(data=("x",), out=str(tmp_path), scale=2, init=str(tmp_path / "x4.safetensors")))
    assert base.endswith("x4.safetensors")
    img = torch.rand(1, 3, 12, 10)
    with torch.no_grad():
        expected = torch.nn.functional.avg_pool2d(x4(img), 2)
        got = net.train()(img)
    assert got.shape == (1, 3, 24, 20)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_parameter_count_is_what_inference_runs():
    """SPAN's training branches fuse into one 3x3 conv per layer; the card counts the fused kernels."""
    import re

    from spandrel.architectures.SPAN import SPAN

    from srdemo.arch.span import inference_parameters

    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2)
    branch = re.compile(r"\.(sk|conv\.\d)\.")
    expected = sum(v.numel() for k, v in net.state_dict().items() if not branch.search(k))
    assert inference_parameters(net) == expected < sum(p.numel() for p in net.parameters())


def test_a_widened_span_starts_computing_what_the_narrow_one_did(tmp_path):
    """--channels with a SPAN --init grows it: new channels are silent at first, then learn."""
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(0)
    narrow = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2).train()
    save_file({k: v.contiguous() for k, v in narrow.state_dict().items()}, str(tmp_path / "n.safetensors"))
    cfg = TrainConfig(data=("x",), out=str(tmp_path), scale=2, init=str(tmp_path / "n.safetensors"), channels=12)
    wide, _ = build_network(cfg)
    assert wide.conv_1.sk.weight.shape[0] == 12
    img = torch.rand(2, 3, 10, 12)
    with torch.no_grad():
        expected = narrow(img)
    got = wide.train()(img)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-5)
    got.square().mean().backward()  # the zero weights from new channels into old ones learn at once
    assert wide.block_3.c2_r.sk.weight.grad[:8, 8:].abs().sum() > 0
    assert wide.conv_cat.weight.grad[:8, 8:12].abs().sum() > 0
    # widening keeps what the network is: it exports and reloads as a 12-channel SPAN
    assert spandrel.ModelLoader().load_from_state_dict(fused_state(wide)).model.conv_1.sk.weight.shape[0] == 12
    with pytest.raises(SrdemoError, match="narrowed"):
        build_network(replace(cfg, channels=6))


def _tiny_span_state(seed=0):
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(seed)
    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2)
    return {k: v.contiguous() for k, v in net.state_dict().items()}


def test_span_is_fused_once_and_refused_after_weights_change(tmp_path):
    path = tmp_path / "span.safetensors"
    save_file(_tiny_span_state(), str(path))
    ours = models.load(str(path), LOCAL).descriptor
    plain = spandrel.ModelLoader().load_from_file(str(path)).eval()
    x = torch.rand(1, 3, 20, 20)
    assert torch.equal(ours(x), plain(x))
    calls = []
    layer = next(m for m in ours.model.modules() if hasattr(m, "update_params"))
    real = layer.update_params
    layer.update_params = lambda: (calls.append(1), real())[1]
    ours(x)
    ours(x)
    assert calls == []  # already fused: no recomputation per call
    with torch.no_grad():  # as an optimiser step would
        layer.conv[1].weight.add_(0.1)
        plain_layer = next(m for m in plain.model.modules() if hasattr(m, "update_params"))
        plain_layer.conv[1].weight.add_(0.1)
    assert torch.equal(ours(x), plain(x)) and calls == [1]
