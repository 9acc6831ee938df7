"""What a person calls a model they trained ('我的商品-x4', 'Shoes, spring (2)'), and the forms that name takes
in file names and Hub repo ids, which accept fewer characters. The name is only a label: a run's folder keeps its id."""

from __future__ import annotations

import hashlib
import re
import unicodedata

NAME_LIMIT = 60  # characters of a name as typed (a ' (2)' added to keep it unique may go past it)

_NUMBERED = re.compile(r"^(.*) \((\d+)\)$")


def clean(name: str | None) -> str:
    """The name as typed, tidied: control characters and runs of spaces made one space, trimmed, ``NAME_LIMIT`` long at most."""
    spaced = "".join(" " if unicodedata.category(c).startswith("C") else c for c in name or "")
    return " ".join(spaced.split())[:NAME_LIMIT].strip()


def unique(name: str, taken: set[str]) -> str:
    """``name``, or 'name (2)', 'name (3)'... the first not in ``taken``, ignoring case; a numbered name counts on
    from its number ('shoes (2)' gives 'shoes (3)', not 'shoes (2) (2)')."""
    folded = {t.casefold() for t in taken}
    if name.casefold() not in folded:
        return name
    numbered = _NUMBERED.match(name)
    stem, k = (numbered.group(1), int(numbered.group(2)) + 1) if numbered else (name, 2)
    while f"{stem} ({k})".casefold() in folded:
        k += 1
    return f"{stem} ({k})"


def file_name(name: str) -> str:
    """A file-name stem anyone's disk accepts: letters and digits of any script, '-', '_' and '.'; anything
    else (spaces, slashes, brackets) becomes one '-'; never hidden ('.x'), never empty ('model')."""
    kept = "".join(c if c.isalnum() or c in "-_." or unicodedata.category(c).startswith("M") else "-" for c in name)
    stem = re.sub(r"-{2,}", "-", kept).strip("-._")
    return stem[:NAME_LIMIT].rstrip("-._") or "model"


def repo_name(name: str) -> str:
    """A Hugging Face repo name for ``name``: ASCII letters, digits and single '-', at most 96 characters; a name
    with under three ASCII letters (Chinese, say) gets 'srdemo-', its ASCII and a digest ('srdemo-x4-1a2b3c')."""
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    if sum(c.isalpha() for c in ascii_part) < 3:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        ascii_part = "-".join(p for p in ("srdemo", ascii_part, digest) if p)
    return ascii_part[:96].rstrip("-")
