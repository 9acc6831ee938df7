"""Whether a decoded photo shows JPEG's 8x8 block grid: what the pixels say when the file says nothing.

A JPEG rounds most of each block's high-frequency DCT coefficients to zero, and a lossless (or high-quality)
re-save keeps them near zero on the photo's own 8-pixel grid only: the forensic test of Fan and de Queiroz
(IEEE TIP 12(2), 2003), Luo, Huang and Qiu (IEEE TIFS 5(3), 2010) and Bianchi and Piva (IEEE TIFS 7(2), 2012),
here in a separable 1-D form that stays a few milliseconds at any size. Along rows, then columns, each run of 8
luma pixels gets an 8-point DCT-II; ``Along`` says what its AC coefficients above ``TAU`` show. A JPEG grid runs
both ways, stripes one way only, so the photo scores the lower direction. docs/models-and-benchmarks.md has the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK = 8  # the JPEG block side (ITU-T T.81)
LUMA = np.array((0.299, 0.587, 0.114), np.float32)  # JFIF luma: the channel JPEG's blocks are coded in
TAU = 1.0  # grey levels under which a coefficient counts as zero (a decoded JPEG's rounding leaves about half)
EPS = 0.005  # keeps a flat photo (nothing above TAU anywhere) at a ratio of 1
BUDGET = 1 << 16  # about this many pixels are read each way, in whole evenly spread lines


@dataclass(frozen=True)
class Along:
    """One direction: how much sparser the sparsest of the 8 grid positions is, how widely, and where it starts."""

    ratio: float  # the second-sparsest position's share above TAU over the sparsest's (the second: not patterns of 4, 6...)
    agreement: float  # -1..1: runs on the grid sparser than those half a block off, less those denser (JPEGs: near 1)
    start: int  # where a block starts, modulo BLOCK

    @property
    def score(self) -> float:
        return (self.ratio - 1) * max(self.agreement, 0.0)


@dataclass(frozen=True)
class Blocking:
    """The grid a photo shows along its rows (block edges that cross a row: x) and its columns (y)."""

    rows: Along
    columns: Along

    @property
    def score(self) -> float:
        """0 for no grid; the higher, the clearer (srdemo/auto_rules.json says from where it counts)."""
        return min(self.rows.score, self.columns.score)

    @property
    def offset(self) -> tuple[int, int]:
        """(x, y) of the first pixel of a block, modulo BLOCK."""
        return self.rows.start, self.columns.start


# The orthonormal DCT-II's AC basis as columns (BLOCK, BLOCK - 1): JPEG's transform (T.81, A.3.3) along one axis
_K, _X = np.arange(1, BLOCK)[None, :], np.arange(BLOCK)[:, None]
_DCT_AC = (np.sqrt(2 / BLOCK) * np.cos(np.pi * (2 * _X + 1) * _K / (2 * BLOCK))).astype(np.float32)


def _luma_rows(pixels: np.ndarray, max_value: int) -> np.ndarray:
    """JFIF luma in 8-bit grey levels (float32) of ``BUDGET // width`` rows (at least 8, at most all), evenly spread."""
    n, length = pixels.shape[:2]
    count = min(n, max(8, BUDGET // max(1, length)))
    rows = pixels[np.unique(np.linspace(0, n - 1, count).round().astype(int))]
    if rows.ndim == 3:
        rows = rows[..., :3].astype(np.float32) @ LUMA
    return np.ascontiguousarray(rows.astype(np.float32) * np.float32(255 / max_value))


def _along(lines: np.ndarray) -> Along:
    count, length = lines.shape
    above = np.zeros(length - BLOCK + 1)  # coefficients above TAU of the run starting at each pixel, over all lines
    shares = np.empty(BLOCK)
    for start in range(BLOCK):
        runs = (length - start) // BLOCK
        coefficients = lines[:, start : start + runs * BLOCK].reshape(-1, BLOCK) @ _DCT_AC
        per_run = np.count_nonzero((np.abs(coefficients) > TAU).reshape(count, runs, BLOCK - 1), axis=(0, 2))
        above[start::BLOCK] = per_run
        shares[start] = per_run.sum() / (runs * count * (BLOCK - 1))
    order = np.argsort(shares, kind="stable")
    grid, half = int(order[0]), BLOCK // 2
    at = np.arange(grid, above.size, BLOCK)
    left, right = at[at >= half], at[at + half < above.size]
    off_grid = np.concatenate([above[left - half] - above[left], above[right + half] - above[right]])
    sparser, denser = np.count_nonzero(off_grid > 0), np.count_nonzero(off_grid < 0)
    return Along(float((shares[order[1]] + EPS) / (shares[grid] + EPS)), (sparser - denser) / max(1, sparser + denser), grid)


def blockiness(pixels: np.ndarray, *, max_value: int = 255) -> Blocking | None:
    """The JPEG grid ``pixels`` (HxWx3 or HxW, 0..``max_value``) shows; None under 4 blocks a side (too few to tell)."""
    arr = np.asarray(pixels)
    if min(arr.shape[:2]) < 4 * BLOCK:
        return None
    return Blocking(_along(_luma_rows(arr, max_value)), _along(_luma_rows(arr.swapaxes(0, 1), max_value)))
