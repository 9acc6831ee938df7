"""The words: every key the package uses exists, languages agree on parameters, sentences say the limits."""

import math
import re
from pathlib import Path

import srdemo
from srdemo import wording

PACKAGE = Path(srdemo.__file__).parent


def test_every_key_the_package_looks_up_exists():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"""\btext\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    assert used, "the scan found no lookups"
    assert used <= set(wording.EN), sorted(used - set(wording.EN))


def test_every_language_names_the_same_parameters_as_english():
    for lang, table in wording.MESSAGES.items():
        for key, template in table.items():
            assert key in wording.EN, (lang, key)
            assert wording.parameters(template) == wording.parameters(wording.EN[key]), (lang, key)


def test_a_missing_key_in_another_language_falls_back_to_english(monkeypatch):
    monkeypatch.setitem(wording.MESSAGES, "xx", {"closer_to": "plus proche de"})
    assert wording.text("closer_to", "xx") == "plus proche de"
    assert wording.text("further_from", "xx") == "further from"


def test_gain_sentence_states_the_limits_of_the_self_check():
    text = wording.gain_sentence("self-check", 30.0, 28.0, 4)
    assert "2.00 dB closer" in text and "clean downscaling only" in text and "x4" in text
    worse = wording.gain_sentence("reference", 27.0, 28.0)
    assert "1.00 dB further from" in worse and "reference" in worse


def test_no_sentence_when_a_flat_photo_is_rebuilt_exactly():
    assert wording.gain_sentence("self-check", 66.5, math.inf, 2) is None
    assert wording.gain_sentence("self-check", math.inf, math.inf, 2) is None
