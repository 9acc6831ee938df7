"""Classic resizing in float, channel by channel, with Pillow's filters.

The resamplers in the catalogue (Lanczos, bicubic), the exact final resize after
a model pass, and the alpha channel all go through ``resample``.
"""

from __future__ import annotations

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
    for c in range(img.shape[2]):
        out[..., c] = Image.fromarray(np.ascontiguousarray(img[..., c], dtype=np.float32)).resize(size, filt)
    return out
