"""Classic resizing in float, channel by channel, with Pillow's filters.

The resamplers in the catalogue (Lanczos, bicubic), the exact final resize after
a model pass, and the alpha channel all go through ``resample``. Channels are
resized on threads at once: Pillow lets go of the GIL while it resizes, and a
big final resize is otherwise one core's work while the other waits.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

FILTERS = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}


def resample(img: np.ndarray, size: tuple[int, int], method: str = "lanczos") -> np.ndarray:
    """Resize a float HxWxC image to ``size`` (width, height) with Pillow, channel by channel in float.

    Pillow antialiases when shrinking, so this serves for enlarging and for exact final sizes.
    """
    filt = FILTERS[method]
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return img.astype(np.float32, copy=True)  # always a new array: callers may work on it in place
    out = np.empty((size[1], size[0], img.shape[2]), dtype=np.float32)

    def channel(c: int) -> None:
        out[..., c] = Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, filt)

    if img.shape[2] == 1 or img.size < 1 << 18:  # small: threads would cost more than they save
        for c in range(img.shape[2]):
            channel(c)
    else:
        list(_POOL.map(channel, range(img.shape[2])))
    return out


_POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="srdemo-resample")
