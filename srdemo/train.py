"""Training and fine-tuning super-resolution models (CLI now, the Training tab next).

One loop for every case: from scratch with srdemo's chosen architecture, or
fine-tuning any model spandrel can load. Data for step k depends only on
(seed, k), and checkpoints hold everything else (weights, EMA, optimiser,
schedule, history) in one safetensors file written atomically; so a run killed
at any moment and resumed ends bit-identical to one that never stopped.

Several GPUs or machines: launch the same command with ``torchrun``; each
process takes its share of the same global batch and torch.distributed's
DistributedDataParallel averages the gradients.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import spandrel
import torch
from safetensors.torch import load_file, save_file

from . import metrics
from .datasets import collect
from .degradations import degradation, matlab_imresize
from .engine import DEVICE_LOCK, pick_device
from .errors import SrdemoError
from .models import fuse_reparameterised, reparameterised_layers
from .models import load as load_model

CHECKPOINT = "checkpoint.safetensors"
BEST = "best.safetensors"


def luma_mse(diff: torch.Tensor) -> torch.Tensor:
    """MSE that spends most of a small network's capacity on luma, where the eye (and PSNR-Y) looks.

    Four fifths: the squared error of the BT.601 luma difference (the Y of ``metrics.rgb_to_y``),
    scaled so a grey error counts as in RGB; one fifth: the plain RGB MSE, which keeps colours right.
    JPEG keeps chroma at half resolution, so on compressed inputs detail lives in luma.
    """
    weights = torch.as_tensor(metrics.Y_WEIGHTS, dtype=diff.dtype, device=diff.device)
    luma = torch.einsum("nchw,c->nhw", diff, weights / weights.sum())
    return 0.8 * (luma * luma).mean() + 0.2 * (diff * diff).mean()


# Pixel losses on (SR - HR). L1 trains best from scratch; a short MSE tail at a low learning rate then
# aims straight at PSNR (the common recipe of efficient-SR entries such as SPAN's).
LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "l1": lambda d: d.abs().mean(),
    "charbonnier": lambda d: torch.sqrt(d * d + 1e-6).mean(),
    "mse": lambda d: (d * d).mean(),
    "luma-mse": luma_mse,
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; saved with it, so a resume needs only the folder."""

    data: tuple[str, ...]
    out: str
    scale: int = 4
    steps: int = 1000
    init: str | None = None  # model to fine-tune (catalogue id, file, owner/repo:file); None = from scratch
    arch: str = "span"
    channels: int | None = None  # SPAN width: 28 from scratch; fine-tuning keeps the base's, or widens it
    degrade: str = "bicubic"
    batch: int = 16
    patch: int = 128  # HR patch side
    lr: float = 5e-4
    loss: str = "l1"  # a key of LOSSES
    ema: float = 0.999  # 0 disables
    val_every: int = 250
    val_count: int = 10
    val_files: tuple[str, ...] = ()  # explicit held-out names (relative paths); else val_count chosen by seed
    val_crop: int = 256  # HR centre crop used for validation, to keep it quick
    checkpoint_every: int = 100
    seed: int = 0
    device: str | None = None
    # bfloat16 autocast for the forward pass (weights, loss and optimiser stay float32). "auto" uses it on
    # CUDA only; "bf16" also on CPUs with native bf16 (AVX512-BF16, AMX), where a step is ~1.8x faster.
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "bf16", "fp32"):
            raise SrdemoError("Precision must be 'auto', 'bf16' or 'fp32'.")
        degradation(self.degrade)  # a plain message for an unknown name
        if self.loss not in LOSSES:
            raise SrdemoError(f"The loss must be one of: {', '.join(LOSSES)}.")
        if self.patch % self.scale:
            raise SrdemoError(f"The patch size ({self.patch}) must be a multiple of the scale ({self.scale}).")
        if self.steps < 1 or self.batch < 1:
            raise SrdemoError("Steps and batch size must be at least 1.")


@dataclass
class History:
    loss: list[tuple[int, float]] = field(default_factory=list)
    val: list[tuple[int, float, float]] = field(default_factory=list)  # step, psnr, ssim
    bicubic: tuple[float, float] | None = None  # on the same validation images
    base: tuple[float, float] | None = None  # the starting model's scores

    def best_psnr(self) -> float:
        return max((v[1] for v in self.val), default=-math.inf)


# ---------------------------------------------------------------- networks


def build_network(config: TrainConfig) -> tuple[torch.nn.Module, str | None]:
    """The network to train and, when fine-tuning, the base model's name for the model card.

    A weights file is named by the path it was given as (its catalogue id would be only its
    file name, and several runs' files are all called model.safetensors).
    """
    torch.manual_seed(config.seed)
    if config.init:
        base = load_model(config.init)
        base_name = config.init if base.spec.kind == "file" else base.spec.id
        if base.descriptor is None:
            raise SrdemoError(f"'{config.init}' is a classic resampler; choose a neural model to fine-tune.")
        is_span = base.descriptor.architecture.id == "SPAN"
        if not is_span and (base.scale != config.scale or config.channels is not None):
            raise SrdemoError(
                f"'{config.init}' is a x{base.scale} {base.descriptor.architecture.name} model; only SPAN models "
                f"can change scale or width when fine-tuned (keep --scale {base.scale}, leave out --channels)."
            )
        # A private copy: the loaded model stays untouched for users of the Upscale tab.
        state = {k: v.clone() for k, v in base.descriptor.model.state_dict().items()}
        if base.scale != config.scale:
            state = _span_at_scale(state, base.scale, config.scale)
        if config.channels is not None:
            state = _span_widened(state, config.channels)
        return spandrel.ModelLoader().load_from_state_dict(state).model, base_name
    if config.arch != "span":
        raise SrdemoError(f"From scratch srdemo trains 'span'; to train '{config.arch}', give --init weights.")
    return _new_span(config.channels or 28, config.scale), None


def _new_span(channels: int, scale: int) -> torch.nn.Module:
    from spandrel.architectures.SPAN import SPAN

    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=channels, upscale=scale)
    # SPAN scales its input by 255 but not its output back, so a default-initialised
    # network starts ~13 off in L1; a near-zero last layer starts it at ~0.7 instead.
    with torch.no_grad():
        net.upsampler[0].weight.mul_(0.01)
        net.upsampler[0].bias.zero_()
    return net


def _span_width(state: dict[str, torch.Tensor]) -> int:
    return state["conv_1.sk.weight"].shape[0]


def _span_at_scale(state: dict[str, torch.Tensor], old: int, new: int) -> dict[str, torch.Tensor]:
    """Weights of a SPAN for scale ``new`` that starts from a trained SPAN at scale ``old``.

    The feature body carries over unchanged (it does not depend on the scale). When
    ``new`` divides ``old`` (x4 -> x2), each new sub-pixel output averages the old
    sub-pixels it covers, so the network starts as "the old model, box-downscaled":
    already far better than bicubic, instead of a blank last layer.
    """
    out = _new_span(_span_width(state), new).state_dict()
    out.update({k: v for k, v in state.items() if not k.startswith("upsampler.")})
    if old % new == 0:
        k = old // new
        w, b = state["upsampler.0.weight"], state["upsampler.0.bias"]
        # pixel_shuffle channel c*old*old + i*old + j -> output colour c at sub-pixel (i, j)
        out["upsampler.0.weight"] = w.reshape(3, new, k, new, k, *w.shape[1:]).mean(dim=(2, 4)).reshape(-1, *w.shape[1:])
        out["upsampler.0.bias"] = b.reshape(3, new, k, new, k).mean(dim=(2, 4)).reshape(-1)
    return out


def _span_widened(state: dict[str, torch.Tensor], channels: int) -> dict[str, torch.Tensor]:
    """Weights of a SPAN ``channels`` wide that computes exactly what the narrower trained one did.

    Growing capacity for a harder task (JPEG-damaged input, say) without starting over: every
    old channel keeps its weights and reads nothing from the new ones (those weights start at
    zero), and SPAN's activations and attention act per channel, so the output is unchanged.
    The new channels start small and random; the zero weights from them get gradients at once.
    """
    old_width, scale = _span_width(state), math.isqrt(state["upsampler.0.bias"].numel() // 3)
    if channels < old_width:
        raise SrdemoError(f"The base model is {old_width} channels wide; it can be widened, not narrowed to {channels}.")
    fresh = _new_span(channels, scale).state_dict()
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


def export_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Weights in the architecture's own key layout, with re-parameterised convs fused."""
    for layer in reparameterised_layers(net):
        layer.update_params()
    return {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}


def inference_parameters(net: torch.nn.Module) -> int:
    """Parameters the network runs with: a re-parameterised layer counts its fused kernel, not its branches."""
    total = sum(p.numel() for p in net.parameters())
    for layer in reparameterised_layers(net):
        total -= sum(p.numel() for p in layer.parameters())
        total += sum(p.numel() for p in layer.eval_conv.parameters())
    return total


# ---------------------------------------------------------------- data


@dataclass
class Data:
    train: list[np.ndarray]  # uint8 HxWx3
    val: list[tuple[str, np.ndarray]]
    skipped: list[tuple[str, str]]


def load_data(config: TrainConfig) -> Data:
    found = collect([Path(p) for p in config.data], min_side=config.patch)
    if not found.pictures:
        raise SrdemoError("No usable training images were found." + ("\n" + found.report() if found.skipped else ""))
    names = [n for n, _ in found.pictures]
    if config.val_files:
        val_names = set(config.val_files)
    else:
        order = np.random.default_rng(config.seed).permutation(len(names))
        n_val = min(config.val_count, max(1, len(names) // 5))
        val_names = {names[i] for i in order[:n_val]}
    from .images import to_uint8_rgb

    train = [to_uint8_rgb(p) for n, p in found.pictures if n not in val_names]
    val = [(n, to_uint8_rgb(p)) for n, p in found.pictures if n in val_names]
    need = 2
    if len(train) < need:
        raise SrdemoError(
            f"Only {len(train)} training image(s) left after holding out {len(val)} for validation; "
            f"at least {need} are needed (a few hundred is better)."
        )
    return Data(train, val, found.skipped)


def make_batch(data: list[np.ndarray], config: TrainConfig, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The global batch for ``step``: a pure function of (seed, step), so resumes and ranks agree."""
    rng = np.random.default_rng([config.seed, step])
    degrade = degradation(config.degrade)
    hrs, lrs = [], []
    p = config.patch
    for _ in range(config.batch):
        img = data[rng.integers(len(data))]
        y = rng.integers(img.shape[0] - p + 1)
        x = rng.integers(img.shape[1] - p + 1)
        hr = img[y : y + p, x : x + p].astype(np.float32) / 255
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.rot90(hr, rng.integers(4)).copy()
        hrs.append(hr)
        lrs.append(degrade(hr, config.scale, rng))
    to_t = lambda arrs: torch.from_numpy(np.stack(arrs).transpose(0, 3, 1, 2).copy())  # noqa: E731
    return to_t(lrs), to_t(hrs)


def _val_pairs(data: Data, config: TrainConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed (LR, HR) validation pairs: centre crops, each degraded with a seed taken from its name.

    The seed comes from the file name, not the run's seed, so two runs validated on the same
    held-out photos with the same degradation score the very same LR images, and their
    figures can be compared.
    """
    pairs = []
    degrade = degradation(config.degrade)
    for name, img in data.val:
        c = min(config.val_crop, img.shape[0], img.shape[1])
        c -= c % config.scale
        y, x = (img.shape[0] - c) // 2, (img.shape[1] - c) // 2
        hr = img[y : y + c, x : x + c]
        rng = np.random.default_rng(zlib.crc32(name.encode("utf-8")))
        lr = degrade(hr.astype(np.float32) / 255, config.scale, rng)
        pairs.append((lr, hr))
    return pairs


def evaluate(net: torch.nn.Module, pairs, scale: int, device: torch.device) -> tuple[float, float]:
    """Mean PSNR/SSIM-Y (border = scale) of the network on validation pairs."""
    was_training = net.training
    net.eval()
    psnrs, ssims = [], []
    with torch.inference_mode(), DEVICE_LOCK:
        for lr, hr in pairs:
            x = torch.from_numpy(lr.transpose(2, 0, 1).copy())[None].to(device)
            sr = net(x).clamp(0, 1)[0].float().cpu().numpy().transpose(1, 2, 0) * 255
            s = metrics.score(sr, hr, scale)
            psnrs.append(s.psnr)
            ssims.append(s.ssim)
    net.train(was_training)
    return float(np.mean(psnrs)), float(np.mean(ssims))


def save_preview(net: torch.nn.Module, pair, scale: int, device: torch.device, out: Path) -> None:
    """The first validation image as bicubic and as the model sees it now (for a before/after view)."""
    from PIL import Image

    lr, _ = pair
    was_training = net.training
    net.eval()
    with torch.inference_mode(), DEVICE_LOCK:
        sr = net(torch.from_numpy(lr.transpose(2, 0, 1).copy())[None].to(device)).clamp(0, 1)[0].float().cpu().numpy()
    net.train(was_training)
    to8 = lambda a: (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)  # noqa: E731

    def write(pixels: np.ndarray, name: str) -> None:  # atomically: the Train tab may be reading it
        tmp = out / f".{name}.tmp"
        Image.fromarray(to8(pixels)).save(tmp, "PNG")
        os.replace(tmp, out / name)

    # bicubic first: the page shows the pair once the model's image exists
    write(np.clip(matlab_imresize(lr, scale), 0, 1), "preview_bicubic.png")
    write(sr.transpose(1, 2, 0), "preview_model.png")


def bicubic_scores(pairs, scale: int) -> tuple[float, float]:
    scores = [metrics.score(np.clip(matlab_imresize(lr * 255, scale), 0, 255), hr, scale) for lr, hr in pairs]
    return float(np.mean([s.psnr for s in scores])), float(np.mean([s.ssim for s in scores]))


# ---------------------------------------------------------------- checkpoints


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            tensors[f"optim.{idx}.{key}"] = value.detach().cpu().contiguous() if torch.is_tensor(value) else torch.tensor(value)
    return tensors, {"param_groups": sd["param_groups"]}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def atomic_save(tensors: dict[str, torch.Tensor], metadata: dict, path: Path) -> None:
    """Write, flush to disk, then rename: a crash leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"srdemo": json.dumps(metadata)})
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_metadata(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as fh:
        return json.loads(fh.metadata()["srdemo"])


# ---------------------------------------------------------------- the loop


@dataclass
class Progress:
    step: int
    steps: int
    loss: float
    history: History
    seconds: float  # since this process started (or resumed) the run
    first_step: int = 0  # the step it resumed from

    @property
    def eta_seconds(self) -> float:
        """Time left at this process's pace; a resumed run's earlier steps are not in ``seconds``."""
        return self.seconds / max(1, self.step - self.first_step) * (self.steps - self.step)


def _distributed() -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bfloat16 natively on this CPU.

    Without it (AVX2-only CPUs such as AMD Zen 3) autocast still works but is emulated: the x4-product
    network's forward, backward and update (batch 16, HR 192) took 27 s in bf16 against 2.4 s in float32 on a
    2-core Zen 3 EPYC.
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN: assume the user knows their CPU
        return True


def train(
    config: TrainConfig,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    """Train (or resume) the run in ``config.out``; returns the exported folder.

    Resumes automatically from ``checkpoint.safetensors`` when present and the
    config matches. ``should_stop`` ends the run early after writing a
    checkpoint; the best weights so far are exported.
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    rank, world = _distributed()
    if config.batch % world:
        raise SrdemoError(f"The batch ({config.batch}) must divide evenly across {world} processes.")
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = pick_device(config.device)
    data = load_data(config)
    pairs = _val_pairs(data, config)

    net, base_id = build_network(config)
    # channels-last convolutions train ~20% faster on CPU (oneDNN) and suit CUDA tensor cores.
    net.to(device, memory_format=torch.channels_last).train()
    fuse_reparameterised(net)
    for layer in reparameterised_layers(net):  # fused kernels are derived from the training branches, never trained
        layer.eval_conv.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=config.lr, betas=(0.9, 0.99), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr * 0.01)
    ema = {k: v.detach().clone() for k, v in net.state_dict().items()} if config.ema > 0 else None
    history = History()
    step = 0

    ckpt = out / CHECKPOINT
    if ckpt.exists():
        meta = read_metadata(ckpt)
        if meta["config"] != _config_key(config):
            raise SrdemoError(f"{out} holds a different run; choose a new output folder or the same settings.")
        tensors = load_file(str(ckpt))
        net.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        if ema is not None:
            ema = {k[4:]: v.to(device) for k, v in tensors.items() if k.startswith("ema.")}
        opt.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
        sched.load_state_dict(meta["scheduler"])
        history = History(**{k: (tuple(v) if k in ("bicubic", "base") and v else v) for k, v in meta["history"].items()})
        history.loss = [tuple(x) for x in history.loss]
        history.val = [tuple(x) for x in history.val]
        step = meta["step"]
    elif rank == 0:
        history.bicubic = bicubic_scores(pairs, config.scale) if pairs else None
        if base_id is not None and pairs:
            history.base = evaluate(net, pairs, config.scale, device)

    model = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net)

    def save_checkpoint() -> None:
        if rank != 0:
            return
        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        if ema is not None:
            tensors.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in ema.items()})
        opt_tensors, opt_meta = _flatten_optimizer(opt)
        tensors.update(opt_tensors)
        meta = {
            "step": step, "config": _config_key(config), "optimizer": opt_meta, "scheduler": sched.state_dict(),
            "history": asdict(history), "base": base_id,
        }
        atomic_save(tensors, meta, ckpt)

    def eval_net() -> torch.nn.Module:
        if ema is None:
            return net
        twin, _ = build_network(config)
        twin.load_state_dict(ema)
        fuse_reparameterised(twin)
        return twin.to(device)

    bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    if bf16 and device.type == "cpu" and not cpu_has_native_bf16():
        warnings.warn(
            "This CPU has no native bfloat16 (AVX512-BF16 or AMX), so bf16 training is emulated and runs about "
            "ten times slower than float32 here: use --precision fp32.",
            stacklevel=2,
        )
    start, first_step = time.perf_counter(), step
    local = config.batch // world
    while step < config.steps:
        if should_stop is not None and should_stop():
            save_checkpoint()
            break
        lr_img, hr_img = make_batch(data.train, config, step)
        lr_img = lr_img[rank * local : (rank + 1) * local].to(device, memory_format=torch.channels_last)
        hr_img = hr_img[rank * local : (rank + 1) * local].to(device, memory_format=torch.channels_last)
        with DEVICE_LOCK:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                sr = model(lr_img)
            diff = sr.float() - hr_img
            loss = LOSSES[config.loss](diff)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                decay = min(config.ema, (1 + step) / (10 + step))  # warm-up: early EMA follows the weights
                with torch.no_grad():
                    for k, v in net.state_dict().items():
                        if v.dtype.is_floating_point:
                            ema[k].mul_(decay).add_(v.detach(), alpha=1 - decay)
                        else:
                            ema[k].copy_(v)
        step += 1
        loss_value = float(loss.detach())
        history.loss.append((step, loss_value))
        if pairs and rank == 0 and (step % config.val_every == 0 or step == config.steps):
            scored = eval_net()
            psnr, ssim = evaluate(scored, pairs, config.scale, device)
            save_preview(scored, pairs[0], config.scale, device, out)
            if psnr > history.best_psnr():
                atomic_save(export_state(scored), {"step": step, "psnr": psnr}, out / BEST)
            history.val.append((step, psnr, ssim))
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint()
        if progress is not None and rank == 0:
            progress(Progress(step, config.steps, loss_value, history, time.perf_counter() - start, first_step))
    if rank != 0:
        return out
    return export(out, config, history, base_id, eval_net())


def _config_key(config: TrainConfig) -> dict:
    """The settings that define the run's numbers (not where or how precisely it runs, nor where it is written)."""
    d = asdict(config)
    for k in ("out", "device", "precision", "val_every", "checkpoint_every"):
        d.pop(k)
    d["data"] = list(d["data"])
    d["val_files"] = list(d["val_files"])
    return d


# ---------------------------------------------------------------- export


def export(out: Path, config: TrainConfig, history: History, base_id: str | None, net: torch.nn.Module) -> Path:
    """Write ``model.safetensors`` (original key layout), ``config.json`` and a model card."""
    from .modelcard import write_model_card

    state = export_state(net)
    if (out / BEST).exists() and history.val:
        state = load_file(str(out / BEST))  # the best validation weights, not merely the last
    save_file(state, str(out / "model.safetensors"))
    descriptor = spandrel.ModelLoader().load_from_file(str(out / "model.safetensors"))
    cfg = {
        "scale": config.scale,
        "architecture": descriptor.architecture.name,
        "degradation": config.degrade,
        "data": list(config.data),
        "steps": config.steps,
        "seed": config.seed,
        "base_model": base_id,
        "batch": config.batch,
        "patch": config.patch,
        "lr": config.lr,
        "loss": config.loss,
        "ema": config.ema,
        "parameters": inference_parameters(descriptor.model),
    }
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "history.json").write_text(json.dumps(asdict(history)))
    write_model_card(out, cfg, history)
    return out
