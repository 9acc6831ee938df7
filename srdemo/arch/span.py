"""SPAN (Swift Parameter-free Attention Network): everything srdemo does that depends on its internals.

srdemo trains SPAN from scratch, changes a trained SPAN's scale or width when fine-tuning, and runs its
re-parameterised convolutions (``Conv3XC``: several branches while training, one fused 3x3 conv at
inference) efficiently. All of that reads SPAN's layers or weight keys (``conv_1.sk.weight``,
``upsampler.0.*``, ``conv_cat.weight``), so it lives here: a change in spandrel's SPAN touches one module.
"""

from __future__ import annotations

import math

import torch

from ..errors import SrdemoError
from ..wording import text


def new_span(channels: int, scale: int) -> torch.nn.Module:
    """A freshly initialised SPAN, ``channels`` wide, whose output starts close to zero.

    SPAN scales its input by 255 but not its output back, so a default-initialised
    network starts ~13 off in L1; a near-zero last layer starts it at ~0.7 instead.
    """
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
    """Weights of a SPAN for scale ``new`` that starts from a trained SPAN at scale ``old``.

    The feature body carries over unchanged (it does not depend on the scale). When
    ``new`` divides ``old`` (x4 -> x2), each new sub-pixel output averages the old
    sub-pixels it covers, so the network starts as "the old model, box-downscaled":
    already far better than bicubic, instead of a blank last layer.
    """
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
    """Weights of a SPAN ``channels`` wide that computes exactly what the narrower trained one did.

    Growing capacity for a harder task (JPEG-damaged input, say) without starting over: every
    old channel keeps its weights and reads nothing from the new ones (those weights start at
    zero), and SPAN's activations and attention act per channel, so the output is unchanged.
    The new channels start small and random; the zero weights from them get gradients at once.
    """
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
                new[:rows].view(rows, groups, channels, *new.shape[2:])[:, :, :old_width] = old.view(
                    rows, groups, old_width, *old.shape[2:]
                )
            else:
                new[:rows, :cols] = old
        out[key] = new
    return out


# ---------------------------------------------------------------- re-parameterised convolutions


def reparameterised_layers(module: torch.nn.Module) -> list[torch.nn.Module]:
    """Layers that train as several branches and run as one fused conv (SPAN's ``Conv3XC``).

    Recognised by what they do (``update_params`` rebuilds ``eval_conv`` from the branches), not by
    class, so any spandrel network built from such layers is handled too.
    """
    return [m for m in module.modules() if hasattr(m, "update_params") and hasattr(m, "eval_conv")]


def fuse_reparameterised(module: torch.nn.Module) -> int:
    """Fuse re-parameterised convolutions (SPAN's ``Conv3XC``) once, not on every call.

    spandrel's SPAN rebuilds its fused 3x3 kernel from the training branches on
    every eval forward. Here each such layer fuses when its weights change
    (tracked by the tensors' version counters, so fine-tuning stays correct)
    and otherwise runs the fused conv directly. Returns how many layers it patched.
    """
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
    """Weights in the architecture's own key layout, with re-parameterised convs fused first.

    A file holds both the training branches and the fused ``eval_conv``; plain spandrel runs
    the fused kernel as stored, so it must match the branches (the branches are what trained).
    """
    for layer in reparameterised_layers(net):
        layer.update_params()
    return {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}


def inference_parameters(net: torch.nn.Module) -> int:
    """Parameters the network runs with: a re-parameterised layer counts its fused kernel, not its branches.

    What a model card should state: the branches exist only while training.
    """
    total = sum(p.numel() for p in net.parameters())
    for layer in reparameterised_layers(net):
        total -= sum(p.numel() for p in layer.parameters())
        total += sum(p.numel() for p in layer.eval_conv.parameters())
    return total
