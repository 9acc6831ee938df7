"""Automatic: the built-in model that measured best for this kind of photo, and why, in one sentence.

The rule table (``auto_rules.json``, written by ``benchmarks/auto.py``) ranks the built-ins by mean PSNR-Y per input
kind (clean, or JPEG around quality 95, 90, 75), scale band and device; this module finds a photo's row from the facts
it carries and takes the row's first model the catalogue has.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from . import models
from .blocking import blockiness
from .caller import Caller
from .devices import pick_device
from .errors import SrdemoError
from .images import Picture
from .wording import text

AUTO = "auto"  # the model reference that asks for Automatic's choice (as does an empty one)
RULES_FILE = Path(__file__).with_name("auto_rules.json")
LOW_JPEG, HIGH_JPEG = 83, 93  # below LOW reads as low quality, from HIGH as high: where the jpeg-90 and jpeg-95 kinds start


def is_auto(ref: str | None) -> bool:
    """Whether a model reference asks Automatic to choose: ``auto``, or nothing (every adapter's default)."""
    return (ref or "").strip().lower() in ("", AUTO)


@dataclass(frozen=True)
class Facts:
    """What Automatic looks at, all read when the photo is decoded or the job is set."""

    jpeg_quality: int | None  # estimated from the quantisation tables; None when not a JPEG
    transparent: bool
    size: tuple[int, int]
    scale: float  # output over input, the larger side's
    device: str  # "cuda" or "cpu" (the table's device column)
    blocking: float | None = None  # the JPEG grid the pixels show (srdemo.blocking); None when too small to tell


@dataclass(frozen=True)
class Choice:
    """Automatic's pick for one photo: the model, the row of the table it came from, and the sentence."""

    spec: models.ModelSpec
    facts: Facts
    kind: str
    band: str
    reason: str
    blocks: bool = False  # the pixels showed JPEG blocks the file did not tell of (the kind is the rules' counts_as)


@functools.lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> dict:
    """The rule table with its evidence (see ``benchmarks/auto.py`` for how it is made)."""
    return json.loads(Path(path).read_text())


def facts_of(pic: Picture, out_size: tuple[int, int], device: str) -> Facts:
    transparent = pic.alpha is not None and bool((pic.alpha < pic.max_value).any())
    scale = max(out_size[0] / pic.size[0], out_size[1] / pic.size[1])
    grid = blockiness(pic.rgb, max_value=pic.max_value)
    return Facts(pic.jpeg_quality, transparent, pic.size, scale, device, None if grid is None else grid.score)


def kind_of(facts: Facts, rules: dict) -> tuple[str, bool]:
    """The input kind, and whether the pixels made it: the file's kind (the first whose quality range holds its
    estimated JPEG quality; 'clean' if none), or ``counts_as`` where they show JPEG blocks above its threshold."""
    q = facts.jpeg_quality
    told = [k["kind"] for k in rules["kinds"] if q is not None and k["jpeg_quality"]
            and k["jpeg_quality"][0] <= q <= k["jpeg_quality"][1]]
    kind = (told or [k["kind"] for k in rules["kinds"] if k["jpeg_quality"] is None])[0]
    limit = rules.get("blocking", {}).get("thresholds", {}).get(kind)
    if limit is not None and facts.blocking is not None and facts.blocking > limit:
        return rules["blocking"]["counts_as"], True
    return kind, False


def row_for(kind: str, band: str, device: str, rules: dict) -> dict:
    return next(r for r in rules["rows"] if r["kind"] == kind and r["band"] == band and r["device"] == device)


def choose_for(facts: Facts, caller: Caller, rules: dict | None = None) -> Choice:
    """The row for these facts and its first model ``caller`` may use (a tier not shipped yet is skipped)."""
    rules = rules or load_rules()
    kind, blocks = kind_of(facts, rules)
    band = next(b for b in rules["bands"] if b["up_to"] is None or facts.scale <= b["up_to"] + 1e-9)
    for ref in row_for(kind, band["band"], facts.device, rules)["models"]:
        try:
            spec = models.resolve(ref, caller)
        except SrdemoError:
            continue
        return Choice(spec, facts, kind, band["band"], _reason(spec, facts, band["scale"], blocks), blocks)
    raise SrdemoError(text("err_auto_no_model"))  # the catalogue lost every built-in in the row


def choose(pic: Picture, out_size: tuple[int, int], caller: Caller, device: str | None = None) -> Choice:
    """Automatic's choice for ``pic`` made at ``out_size`` on ``device`` (as EngineOptions names it; None = this machine's)."""
    device_class = "cuda" if pick_device(device).type == "cuda" else "cpu"
    return choose_for(facts_of(pic, out_size, device_class), caller)


def _reason(spec: models.ModelSpec, facts: Facts, band_scale: int, blocks: bool) -> str:
    """One short sentence in a merchandiser's words: which kind of model, and the one fact that chose it."""
    what = (text("auto_what_compressed") if spec.for_compressed
            else text("auto_what_best" if spec.tier == "best" else "auto_what_sharp", scale=band_scale))
    if blocks:
        why = text("auto_why_blocks")
    elif facts.jpeg_quality is not None:
        level = "low" if facts.jpeg_quality < LOW_JPEG else "high" if facts.jpeg_quality >= HIGH_JPEG else "medium"
        why = text(f"auto_why_jpeg_{level}")
    else:
        why = text("auto_why_cutout" if facts.transparent else "auto_why_clean")
    if facts.device == "cuda" and spec.tier == "best":
        why = text("auto_why_gpu", why=why)
    return text("auto_chose", what=what, why=why)
