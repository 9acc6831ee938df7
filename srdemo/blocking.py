"""Whether a decoded photo shows JPEG's 8x8 block grid: what the pixels say when the file says nothing.

A JPEG codes its luma in 8x8 blocks, each one's DCT coefficients divided by a quantisation step and
rounded, so most of a block's high-frequency coefficients become exactly zero. Decoding and saving
the pixels losslessly (PNG, a screenshot at 100 %, a design tool's export) or as a JPEG of high
quality keeps that: on the photo's own 8-pixel grid its block DCT coefficients stay zero up to the
rounding to whole grey levels, while on any other grid a block straddles two JPEG blocks and its
coefficients are not small. A clean photo has no grid, so no position stands out.

This is the observation forensic work uses to tell a decompressed JPEG from a never-compressed
bitmap and to find its grid after a crop: Fan and de Queiroz, "Identification of bitmap compression
history: JPEG detection and quantizer estimation", IEEE Trans. Image Processing 12(2), 2003 (whether
a bitmap was JPEG-compressed, from its 8x8 grid); Luo, Huang and Qiu, "JPEG error analysis and its
applications to digital image forensics", IEEE Trans. Information Forensics and Security 5(3), 2010
(the same question from the rounding error left on a decompressed JPEG's block DCT coefficients);
Bianchi and Piva, "Detection of nonaligned double JPEG compression based on integer periodicity
maps", IEEE TIFS 7(2), 2012 (the block DCT taken at every one of the grid's shifts to find the one
of an earlier compression). What is measured here is a simple one-dimensional, separable form of
that test, so that it stays a few milliseconds at any size. Along rows (then along columns):

- every run of 8 pixels of JFIF luma starting at position ``p`` gets an 8-point DCT-II, and its AC
  coefficients above ``tau`` grey levels are counted. A row of a JPEG block transforms to a sum of
  the block's 2-D coefficients, so where a column of them was quantised to zero, so is the 1-D one;
- ``ratio``: the share of coefficients above ``tau`` on each of the 8 grid positions (``p`` modulo
  8), the second-lowest over the lowest. About 1 for a clean photo. Taking the *second* lowest, not
  the mean of the rest, keeps patterns that repeat every 4, 6, 10, 12... pixels (a checkerboard, a
  tiled texture) from scoring: they make two or more positions alike;
- ``agreement``: whether the grid shows all over the photo or only at a few edges. Each run on the
  sparsest position is compared with the two runs half a block to its left and right (counts summed
  over all lines, so each block column votes once); the share of those comparisons where the grid's
  run is sparser, less the share where it is denser. A JPEG's grid wins nearly everywhere; a clean
  graphic whose few rectangle edges happen to fall on one position (flat colours and text, as
  ``srdemo.synthetic`` draws) wins at those edges only;
- the direction's score is ``(ratio - 1) * max(agreement, 0)``, and the photo's the smaller of the
  two directions': a JPEG grid runs both ways, stripes or a banded gradient one way only.

The 8x8 gradient-ratio measures (the boundary-over-interior ``B`` / ``A`` of Wang, Sheikh and Bovik,
ICIP 2002) were tried first; on photos shrunk x4 texture drowns the boundary steps
(docs/models-and-benchmarks.md gives the comparison).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

BLOCK = 8  # the JPEG block side (ITU-T T.81)
LUMA = (0.299, 0.587, 0.114)  # JFIF's luma (BT.601 weights): the channel JPEG's blocks are coded in


@dataclass(frozen=True)
class Along:
    """What one direction shows: how much sparser the grid position is, and how widely."""

    ratio: float  # second-lowest share of AC coefficients above tau over the lowest: 1 when no position stands out
    agreement: float  # -1..1: block columns sparser on the grid than half a block off, less those denser, over those that differ
    start: int  # the sparsest position: where a block starts, modulo BLOCK

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
        """0 for no grid; the higher, the clearer one shows (srdemo/auto_rules.json says from where it counts)."""
        return min(self.rows.score, self.columns.score)

    @property
    def offset(self) -> tuple[int, int]:
        """(x, y) of the first pixel of a block, modulo BLOCK."""
        return self.rows.start, self.columns.start


@functools.lru_cache(maxsize=4)
def _dct_ac(n: int) -> np.ndarray:
    """The orthonormal DCT-II's AC basis as columns (n, n - 1): JPEG's transform (T.81, A.3.3) along one axis."""
    k, x = np.arange(1, n)[None, :], np.arange(n)[:, None]
    return (np.sqrt(2 / n) * np.cos(np.pi * (2 * x + 1) * k / (2 * n))).astype(np.float32)


def _luma(pixels: np.ndarray, max_value: int) -> np.ndarray:
    """JFIF luma in 8-bit grey levels (float32) of HxWx3(+) or HxW pixels of range 0..``max_value``."""
    arr = np.asarray(pixels)
    if arr.ndim == 3:
        arr = arr[..., :3].astype(np.float32) @ np.array(LUMA, np.float32)
    return arr.astype(np.float32) * np.float32(255 / max_value)


def _lines(n: int, length: int, budget: int) -> np.ndarray:
    """Evenly spread indices of ``budget // length`` (at least 8, at most all ``n``) lines."""
    count = min(n, max(8, budget // max(1, length)))
    return np.unique(np.linspace(0, n - 1, count).round().astype(int))


def _along(lines: np.ndarray, block: int, tau: float, eps: float) -> Along:
    count, length = lines.shape
    above = np.zeros(length - block + 1)  # coefficients above tau of the run starting at each pixel, over all lines
    shares = np.empty(block)
    for start in range(block):
        runs = (length - start) // block
        coefficients = lines[:, start : start + runs * block].reshape(-1, block) @ _dct_ac(block)
        per_run = np.count_nonzero((np.abs(coefficients) > tau).reshape(count, runs, block - 1), axis=(0, 2))
        above[start::block] = per_run
        shares[start] = per_run.sum() / (runs * count * (block - 1))
    order = np.argsort(shares, kind="stable")
    grid, half = int(order[0]), block // 2
    at = np.arange(grid, above.size, block)
    left, right = at[at >= half], at[at + half < above.size]
    off_grid = np.concatenate([above[left - half] - above[left], above[right + half] - above[right]])
    sparser, denser = np.count_nonzero(off_grid > 0), np.count_nonzero(off_grid < 0)
    return Along(
        ratio=float((shares[order[1]] + eps) / (shares[grid] + eps)),
        agreement=(sparser - denser) / max(1, sparser + denser),
        start=grid,
    )


def blockiness(
    pixels: np.ndarray,
    *,
    max_value: int = 255,
    block: int = BLOCK,
    tau: float = 1.0,
    eps: float = 0.005,
    budget: int = 1 << 16,
) -> Blocking | None:
    """The JPEG grid ``pixels`` (HxWx3 or HxW, 0..``max_value``) shows; None under 4 blocks a side (too few to tell).

    ``tau`` (8-bit grey levels) is where a coefficient stops counting as zero: the rounding of a decoded
    JPEG to whole levels leaves its zeros within about half a level. ``eps`` keeps a flat photo (no
    coefficient above ``tau`` anywhere) at a ratio of 1. Whole rows and whole columns are read, evenly
    spread, about ``budget`` pixels each way: all of a small photo, a sample of a large one.
    """
    arr = np.asarray(pixels)
    h, w = arr.shape[:2]
    if min(h, w) < 4 * block:
        return None
    rows = _luma(arr[_lines(h, w, budget)], max_value)
    columns = np.ascontiguousarray(_luma(arr[:, _lines(w, h, budget)], max_value).T)
    return Blocking(_along(rows, block, tau, eps), _along(columns, block, tau, eps))
