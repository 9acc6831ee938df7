"""The training loop: the network to train, the steps, validation, and progress reports."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import spandrel
import torch
from PIL import Image

from .. import metrics
from ..arch import span
from ..caller import LOCAL
from ..degradations import matlab_imresize
from ..devices import DEVICE_LOCK, pick_device
from ..errors import SrdemoError
from ..models import load as load_model
from ..wording import text
from .checkpoints import BEST, CHECKPOINT, atomic_save, load_state, save_state
from .config import LOSSES, History, TrainConfig, check_fits
from .export import export, shown_path
from .sampling import load_data, make_batch, val_pairs


def build_network(config: TrainConfig) -> tuple[torch.nn.Module, str | None]:
    """The network to train and, when fine-tuning, the base model's name for the model card (a weights file's
    by its path, as ``shown_path`` shows it: several runs' files are all called model.safetensors)."""
    torch.manual_seed(config.seed)
    if config.init:
        base = load_model(config.init, LOCAL)  # the app resolved it for its visitor before writing the config
        base_name = shown_path(config.init) if base.spec.kind == "file" else base.spec.id
        if not base.is_neural:
            raise SrdemoError(text("err_init_resampler", init=config.init))
        arch = base.descriptor.architecture
        if arch.id != "SPAN" and (base.scale != config.scale or config.channels is not None):
            raise SrdemoError(text("err_init_fixed_architecture", init=config.init, scale=base.scale, architecture=arch.name))
        # A private copy: the loaded model stays untouched for users of the Upscale tab.
        state = {k: v.clone() for k, v in base.descriptor.model.state_dict().items()}
        if base.scale != config.scale:
            state = span.at_scale(state, base.scale, config.scale)
        if config.channels is not None:
            state = span.widened(state, config.channels)
        return spandrel.ModelLoader().load_from_state_dict(state).model, base_name
    if config.arch != "span":
        raise SrdemoError(text("err_scratch_architecture", arch=config.arch))
    return span.new_span(config.channels or 28, config.scale), None


def evaluate(net: torch.nn.Module, pairs, scale: int, device: torch.device, preview: Path | None = None) -> tuple[float, float]:
    """Mean PSNR/SSIM-Y (border = scale) of the network on validation pairs. With ``preview``, the first pair is
    written there as bicubic and as the network sees it now (the Train tab's before/after view)."""
    was_training = net.training
    net.eval()
    scores, first = [], None
    with torch.inference_mode(), DEVICE_LOCK:
        for lr, hr in pairs:
            x = torch.from_numpy(lr.transpose(2, 0, 1).copy())[None].to(device)
            sr = net(x).clamp(0, 1)[0].float().cpu().numpy().transpose(1, 2, 0)
            first = sr if first is None else first
            scores.append(metrics.score(sr * 255, hr, scale))
    net.train(was_training)
    if preview is not None:  # bicubic first: the page shows the pair once the model's image exists
        for name, pixels in (("preview_bicubic.png", matlab_imresize(pairs[0][0], scale)), ("preview_model.png", first)):
            tmp = preview / f".{name}.tmp"  # then renamed: the page may be reading the last one
            Image.fromarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8)).save(tmp, "PNG")
            os.replace(tmp, preview / name)
    return float(np.mean([s.psnr for s in scores])), float(np.mean([s.ssim for s in scores]))


def bicubic_scores(pairs, scale: int) -> tuple[float, float]:
    scores = [metrics.score(np.clip(matlab_imresize(lr * 255, scale), 0, 255), hr, scale) for lr, hr in pairs]
    return float(np.mean([s.psnr for s in scores])), float(np.mean([s.ssim for s in scores]))


@dataclass
class Progress:
    """One report to the CLI or the Train tab, after each step."""

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
    """Whether oneDNN runs bfloat16 natively on this CPU (elsewhere bf16 is emulated, many times slower)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN: assume the user knows their CPU
        return True


def train(config: TrainConfig, progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> Path:
    """Train (or resume, from its checkpoint) the run in ``config.out``; returns the exported folder.
    ``should_stop`` ends the run early after writing a checkpoint; the best weights so far are exported."""
    check_fits(config)  # refused before anything is written, with the reason
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    rank, world = _distributed()
    if config.batch % world:
        raise SrdemoError(text("err_batch_world", batch=config.batch, world=world))
    torch.use_deterministic_algorithms(True, warn_only=True)
    device = torch.device(str(pick_device(config.device)))  # torch needs its own kind of device
    data = load_data(config)
    pairs = val_pairs(data, config)

    net, base_id = build_network(config)
    # channels-last convolutions are faster with oneDNN on a CPU and with CUDA tensor cores
    net.to(device, memory_format=torch.channels_last).train()
    span.fuse_reparameterised(net)
    for layer in span.reparameterised_layers(net):  # fused kernels are derived from the training branches, never trained
        layer.eval_conv.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=config.lr, betas=(0.9, 0.99), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr * 0.01)
    ema = {k: v.detach().clone() for k, v in net.state_dict().items()} if config.ema > 0 else None
    step, history = 0, History()
    ckpt = out / CHECKPOINT
    if ckpt.exists():
        step, history, ema = load_state(ckpt, config, net, ema, opt, sched, device)
    elif rank == 0:
        history.bicubic = bicubic_scores(pairs, config.scale) if pairs else None
        if base_id is not None and pairs:
            history.base = evaluate(net, pairs, config.scale, device)

    model = torch.nn.parallel.DistributedDataParallel(net) if world > 1 else net

    def save_checkpoint() -> None:
        if rank == 0:
            save_state(ckpt, step=step, config=config, net=net, ema=ema, opt=opt, sched=sched, history=history, base=base_id)

    def eval_net() -> torch.nn.Module:
        if ema is None:
            return net
        twin, _ = build_network(config)
        twin.load_state_dict(ema)
        span.fuse_reparameterised(twin)
        return twin.to(device)

    bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    if bf16 and device.type == "cpu" and not cpu_has_native_bf16():
        warnings.warn(text("warn_bf16_emulated"), stacklevel=2)
    start, first_step = time.perf_counter(), step
    local = config.batch // world
    while step < config.steps:
        if should_stop is not None and should_stop():
            save_checkpoint()
            break
        lr_img, hr_img = (t[rank * local : (rank + 1) * local].to(device, memory_format=torch.channels_last)
                          for t in make_batch(data.train, config, step))
        with DEVICE_LOCK:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                sr = model(lr_img)
            loss = LOSSES[config.loss](sr.float() - hr_img)
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
            psnr, ssim = evaluate(scored, pairs, config.scale, device, preview=out)
            if psnr > history.best_psnr():
                atomic_save(span.fused_state(scored), {"step": step, "psnr": psnr}, out / BEST)
            history.val.append((step, psnr, ssim))
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint()
        if progress is not None and rank == 0:
            progress(Progress(step, config.steps, loss_value, history, time.perf_counter() - start, first_step))
    return export(out, config, history, base_id, eval_net()) if rank == 0 else out
