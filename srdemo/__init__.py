"""srdemo: super-resolution for e-commerce product photos.

The public API is one request and one function, the same ones the app and the
command line call:

    >>> import srdemo
    >>> done = srdemo.upscale("shot.jpg", srdemo.UpscaleRequest(model="x4", scale=4, caller=srdemo.LOCAL))
    >>> done.save("out")            # out/shot_x4.png
    >>> print(done.summary())       # model, device, time, sizes, quality check, advice

Also here: two models side by side (``compare``), a whole folder or zip
(``run_batch``), the model catalogue (``catalogue``, ``resolve``, ``load_model``),
decoding and encoding (``decode``, ``encode``) and the published metrics
(``psnr_y``, ``ssim_y``).
"""

from .batch import run_batch
from .caller import LOCAL, Caller
from .compare import compare
from .engine import EngineOptions
from .errors import Cancelled, SrdemoError
from .images import Picture, decode, encode
from .metadata import MetadataPolicy
from .metrics import psnr_y, ssim_y
from .models import ModelSpec, catalogue, resolve
from .models import load as load_model
from .presets import PRESETS, get_preset
from .request import Upscaled, UpscaleRequest, upscale

__version__ = "0.1.0"

__all__ = [
    "LOCAL",
    "PRESETS",
    "Caller",
    "Cancelled",
    "EngineOptions",
    "MetadataPolicy",
    "ModelSpec",
    "Picture",
    "SrdemoError",
    "UpscaleRequest",
    "Upscaled",
    "catalogue",
    "compare",
    "decode",
    "encode",
    "get_preset",
    "load_model",
    "psnr_y",
    "resolve",
    "run_batch",
    "ssim_y",
    "upscale",
]
