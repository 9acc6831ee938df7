"""srdemo: super-resolution for e-commerce product photos.

The small public API: decode an image, pick a model, upscale it, read the figures.

    >>> import srdemo
    >>> pic = srdemo.decode("shot.jpg")
    >>> result = srdemo.upscale_picture(srdemo.load_model("lanczos"), pic, scale=4)
    >>> open("shot_x4.png", "wb").write(srdemo.encode(result.picture))
"""

from .engine import DEVICE_LOCK, EngineOptions, upscale_array
from .errors import Cancelled, SrdemoError
from .images import Picture, decode, encode
from .metrics import psnr_y, ssim_y
from .models import ModelSpec, catalogue, resolve
from .models import load as load_model
from .pipeline import UpscaleResult, upscale_picture

__version__ = "0.1.0"

__all__ = [
    "DEVICE_LOCK",
    "Cancelled",
    "EngineOptions",
    "ModelSpec",
    "Picture",
    "SrdemoError",
    "UpscaleResult",
    "catalogue",
    "decode",
    "encode",
    "load_model",
    "psnr_y",
    "resolve",
    "ssim_y",
    "upscale_array",
    "upscale_picture",
]
