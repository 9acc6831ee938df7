"""srdemo: super-resolution for e-commerce product photos.

The public API is the request and the function the app and the command line call:

    >>> import srdemo
    >>> done = srdemo.upscale("shot.jpg", srdemo.UpscaleRequest(model="x4", scale=4, caller=srdemo.LOCAL))
    >>> done.save("out")            # out/shot_x4.png
    >>> print(done.summary())       # model, device, time, sizes, quality check, advice

Also here: ``compare``, ``run_batch``, the model catalogue, ``decode``/``encode`` and the published metrics.
"""

import importlib

_WHERE = {
    "run_batch": "batch", "LOCAL": "caller", "Caller": "caller", "compare": "compare", "EngineOptions": "engine",
    "Cancelled": "errors", "SrdemoError": "errors", "Picture": "images", "decode": "images", "encode": "images",
    "MetadataPolicy": "metadata", "psnr_y": "metrics", "ssim_y": "metrics", "ModelSpec": "models",
    "catalogue": "models", "resolve": "models", "load_model": "models", "PRESETS": "presets",
    "get_preset": "presets", "Upscaled": "request", "UpscaleRequest": "request", "upscale": "request",
}
"""Where each public name lives: imported when first used, so a command loads only what it runs (no torch for a CPU built-in)."""


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), "load" if name == "load_model" else name)
        globals()[name] = value
        return value
    try:  # a module of the package: srdemo.request
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__version__ = "0.1.0"

__all__ = sorted(_WHERE)
