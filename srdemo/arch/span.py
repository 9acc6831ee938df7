"""SPAN (Swift Parameter-free Attention Network): everything srdemo does that reads its layers or weight keys,
so a change in spandrel's SPAN touches one module: new networks, a new scale or width for fine-tuning, and its
re-parameterised convolutions (``Conv3XC``: several branches while training, one fused 3x3 conv at inference).
"""

from __future__ import annotations

import math

import torch

from ..errors import SrdemoError
from ..wording import text


def new_span(channels: int, scale: int) -> torch.nn.Module:
    """A freshly initialised SPAN whose output starts close to zero (SPAN scales its input by 255 but not its
    output back, so a default-initialised one starts far off)."""
    from spandrel.architectures.SPAN import SPAN

    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=channels, upscale=scale)
    with torch.no_grad():
        net.upsampler[0].weight.mul_(0.01)
        net.upsampler[0].bias.zero_()
    return net


def width(state: dict[str, torch.Tensor]) -> int:
    """The feature channels of a SPAN state dict (the output channels of its first conv's 3x3 branch)."""
    return state["conv_1.sk.weight"].shape[0]


def at_scale(state: dict[str, torch.Tensor], old: int, new: int) -> dict[str, torch.Tensor]:
    """Weights of a SPAN for scale ``new`` from a trained one at scale ``old``: the feature body carries over.
    When ``new`` divides ``old``, each new sub-pixel averages the old ones it covers ("the old model, box-downscaled")."""
    out = new_span(width(state), new).state_dict()
    out.update({k: v for k, v in state.items() if not k.startswith("upsampler.")})
    if old % new == 0:
        k = old // new
        w, b = state["upsampler.0.weight"], state["upsampler.0.bias"]
        # pixel_shuffle channel c*old*old + i*old + j -> output colour c at sub-pixel (i, j)
        out["upsampler.0.weight"] = w.reshape(3, new, k, new, k, *w.shape[1:]).mean(dim=(2, 4)).reshape(-1, *w.shape[1:])
        out["upsampler.0.bias"] = b.reshape(3, new, k, new, k).mean(dim=(2, 4)).reshape(-1)
    return out


def widened(state: dict[str, torch.Tensor], channels: int) -> dict[str, torch.Tensor]:
    """Weights of a SPAN ``channels`` wide that computes exactly what the narrower trained one did: old channels
    read nothing from the new ones (those weights start at zero), and SPAN's activations act per channel."""
    old_width, scale = width(state), math.isqrt(state["upsampler.0.bias"].numel() // 3)
    if channels < old_width:
        raise SrdemoError(text("err_span_narrower", width=old_width, channels=channels))
    fresh = new_span(channels, scale).state_dict()
    out = {}
    for key, old in state.items():
        new = fresh[key].clone()
        if key.endswith(".bias"):
            new.zero_()
            new[: old.shape[0]] = old
        else:
            new.mul_(0.1)
            rows, cols = old.shape[:2]
            new[:rows] = 0
            if key == "conv_cat.weight":  # reads four C-wide feature maps side by side
                groups = cols // old_width
                grouped = new[:rows].view(rows, groups, channels, *new.shape[2:])
                grouped[:, :, :old_width] = old.view(rows, groups, old_width, *old.shape[2:])
            else:
                new[:rows, :cols] = old
        out[key] = new
    return out


def reparameterised_layers(module: torch.nn.Module) -> list[torch.nn.Module]:
    """Layers that train as several branches and run as one fused conv (SPAN's ``Conv3XC``), recognised by what
    they do (``update_params`` rebuilds ``eval_conv``), not by class."""
    return [m for m in module.modules() if hasattr(m, "update_params") and hasattr(m, "eval_conv")]


def fuse_reparameterised(module: torch.nn.Module) -> int:
    """Fuse re-parameterised convolutions once, not on every eval forward as spandrel's SPAN does, and again when
    their weights change (their version counters say), so fine-tuning stays correct. Returns how many it patched."""
    patched = 0
    for layer in reparameterised_layers(module):
        if not hasattr(layer, "has_relu"):
            continue
        original = layer.forward
        sources = [p for name, p in layer.named_parameters() if not name.startswith("eval_conv")]

        def forward(x, layer=layer, original=original, sources=sources):
            if layer.training:
                return original(x)
            version = tuple(p._version for p in sources)
            if getattr(layer, "_srdemo_fused", None) != version:
                layer.update_params()
                layer._srdemo_fused = version
            out = layer.eval_conv(x)
            return torch.nn.functional.leaky_relu(out, negative_slope=0.05) if layer.has_relu else out

        layer.forward = forward
        patched += 1
    return patched


def fused_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Weights in the architecture's own key layout, re-parameterised convs fused first: plain spandrel runs the
    stored ``eval_conv``, so it must match the branches that trained."""
    for layer in reparameterised_layers(net):
        layer.update_params()
    return {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}


def inference_parameters(net: torch.nn.Module) -> int:
    """Parameters the network runs with (a model card's figure): a re-parameterised layer counts its fused kernel."""
    total = sum(p.numel() for p in net.parameters())
    for layer in reparameterised_layers(net):
        total -= sum(p.numel() for p in layer.parameters())
        total += sum(p.numel() for p in layer.eval_conv.parameters())
    return total
