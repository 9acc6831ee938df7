"""Classic resizing in float with Pillow's filters, for the catalogue's resamplers, the exact resize after a model
pass and alpha. Channels are resized on threads at once: Pillow lets go of the GIL while it resizes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

FILTERS = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}
_POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="srdemo-resample")


def resample(img: np.ndarray, size: tuple[int, int], method: str = "lanczos") -> np.ndarray:
    """A float HxWxC image resized to ``size`` (width, height), always as a new array (callers work on it in place)."""
    filt = FILTERS[method]
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return img.astype(np.float32, copy=True)
    out = np.empty((size[1], size[0], img.shape[2]), dtype=np.float32)

    def channel(c: int) -> None:
        out[..., c] = Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, filt)

    small = img.shape[2] == 1 or img.size < 1 << 18  # threads would cost more than they save
    list((map if small else _POOL.map)(channel, range(img.shape[2])))
    return out
