"""The words: every key the package uses exists, languages agree on parameters, sentences say the limits."""

import ast
import math
import re
from pathlib import Path

import srdemo
from srdemo import wording
from srdemo.caller import LOCAL

PACKAGE = Path(srdemo.__file__).parent
OWN_WORDS = ("model_label_", "preset_label_", "preset_source_")  # wording.translated's kinds


def test_every_key_the_package_looks_up_exists():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"""\b(?:text|WORDS|w)\(\s*["']([a-z0-9_]+)["']\s*[,)]""", path.read_text()))
    assert used, "the scan found no lookups"
    assert used <= set(wording.EN), sorted(used - set(wording.EN))


def test_no_key_is_written_twice():
    """A dict literal keeps the last of two equal keys silently; the first sentence would be lost."""
    tree = ast.parse((PACKAGE / "wording.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            assert len(keys) == len(set(keys)), sorted(k for k in set(keys) if keys.count(k) > 1)

def test_every_language_names_the_same_parameters_as_english():
    for lang, table in wording.MESSAGES.items():
        for key, template in table.items():
            if key.startswith(OWN_WORDS) and key not in wording.EN:
                continue  # a model's or preset's own words, whose English is theirs (the test below)
            assert key in wording.EN, (lang, key)
            assert wording.parameters(template) == wording.parameters(wording.EN[key]), (lang, key)


def test_a_missing_key_in_another_language_falls_back_to_english(monkeypatch):
    monkeypatch.setitem(wording.MESSAGES, "xx", {"closer_to": "plus proche de"})
    assert wording.text("closer_to", "xx") == "plus proche de"
    assert wording.text("further_from", "xx") == "further from"


def test_gain_sentence_states_the_limits_of_the_self_check():
    text = wording.gain_sentence("self-check", 30.0, 28.0, 4)
    assert "2.00 dB closer" in text and "sharpness only" in text and "JPEG blocks" in text and "x4" in text
    worse = wording.gain_sentence("reference", 27.0, 28.0)
    assert "1.00 dB further from" in worse and "sharp original" in worse


def test_no_sentence_when_a_flat_photo_is_rebuilt_exactly():
    assert wording.gain_sentence("self-check", 66.5, math.inf, 2) is None
    assert wording.gain_sentence("self-check", math.inf, math.inf, 2) is None


# Where the tabs put words on the page: these keywords of any call, and the first argument of these gr.* calls.
UI_TEXT_KEYWORDS = {"label", "placeholder", "info", "title"}
UI_TEXT_FIRST_ARGUMENT = {"Markdown", "Error", "Info", "Warning", "Button", "Tab", "Accordion", "LoginButton"}


def _is_literal_text(node: ast.expr) -> bool:
    """A string constant or f-string, alone or joined with '+' (``"Presets: " + ...``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_literal_text(node.left) or _is_literal_text(node.right)
    return False


def literal_ui_text(source: str) -> list[int]:
    """Lines where UI code writes words itself instead of looking them up with ``text(...)``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("text", "WORDS", "w"):
            continue  # the parameters of a lookup are not words on the page
        shown = [kw.value for kw in node.keywords if kw.arg in UI_TEXT_KEYWORDS]
        on_gradio = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "gr"
        if on_gradio and func.attr in UI_TEXT_FIRST_ARGUMENT and node.args:
            shown.append(node.args[0])
        lines += [value.lineno for value in shown if _is_literal_text(value)]
    return sorted(lines)


def test_the_scan_for_literal_ui_text_finds_constants_and_f_strings():
    source = "\n".join([
        'gr.Markdown("Hello")',
        'gr.Textbox(label=f"Scale x{s}")',
        'gr.Error("Presets: " + names)',
        'gr.Textbox(placeholder="e.g. owner/name")',
        'gr.Markdown(text("ui_page_intro"))',
        'gr.Textbox(label=text("ui_common_status"), elem_id="status")',
        'gr.Error(str(exc))',
        'gr.Markdown(ZERO_GPU_TEXT)',
        'text("ui_batch_preset_source", label="not a page label")',
    ])
    assert literal_ui_text(source) == [1, 2, 3, 4]


def test_the_tabs_look_up_every_label_and_message():
    found = []
    for path in sorted((PACKAGE / "ui").glob("*.py")):
        found += [f"{path.name}:{line}" for line in literal_ui_text(path.read_text())]
    assert not found, "UI text written in place; add a key to srdemo/wording.py and use text(): " + ", ".join(found)


def test_the_language_follows_the_choice_then_the_browser_then_english():
    assert wording.pick_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert wording.pick_language(None, "en-US,zh;q=0.5") == "en"
    assert wording.pick_language(None, "fr-FR, zh;q=0.4, en;q=0.3") == "zh"  # the first one we speak, by weight
    assert wording.pick_language("en", "zh-CN") == "en"  # the page's switch wins over the browser
    assert wording.pick_language("xx", "zh-CN") == "zh"  # an unknown choice is no choice
    assert wording.pick_language(None, None) == wording.pick_language(None, "de;q=oops") == "en"


def test_a_language_block_reaches_every_lookup_below_it_and_ends_with_it(monkeypatch):
    monkeypatch.setitem(wording.MESSAGES, "zh", {"closer_to": "更接近"})
    with wording.language("zh"):
        assert wording.text("closer_to") == "更接近"
        assert wording.text("further_from") == "further from"  # missing there: English
        assert wording.text("closer_to", "en") == "closer to"  # an explicit language still wins
    assert wording.text("closer_to") == "closer to"
    with wording.language("klingon"):
        assert wording.current_language() == "en"


def test_chinese_says_everything_the_page_says():
    """The command line stays English; every other sentence has a Chinese one (else a zh page shows English)."""
    shown = {k for k in wording.EN if not k.startswith("cli_")}
    assert shown - set(wording.MESSAGES["zh"]) == set()
    assert not [k for k in wording.MESSAGES["zh"] if k.startswith("cli_")]


def test_models_and_presets_keep_their_english_and_every_other_language_names_each_of_them():
    """A model's label lives in its json (or models.py), a preset's label and source in presets.py; the English
    table holds no copy, and each other language names every one of them, and nothing else."""
    from srdemo import models
    from srdemo.presets import PRESETS

    own = {f"preset_{what}_{p.replace('-', '_')}" for p in PRESETS for what in ("label", "source")}
    own |= {f"model_label_{s.id.replace('-', '_')}" for s in (*models.builtin_specs(), *models.RESAMPLERS, *models.HUB_MODELS)}
    for lang, table in wording.MESSAGES.items():
        named = {k for k in table if k.startswith(OWN_WORDS)} - {"model_label_auto"}  # Automatic is no model's
        assert named == (set() if lang == "en" else own), lang
    spec = models.resolve("x4-product", LOCAL)
    assert wording.model_label(spec.id, spec.label) == spec.label
    with wording.language("zh"):
        assert wording.model_label(spec.id, spec.label) == wording.MESSAGES["zh"]["model_label_x4_product"]
        assert wording.model_label("run:mine", "My model") == "My model"  # a model no table names: its own label


def test_speaking_carries_the_language_to_another_thread_and_no_further(monkeypatch):
    import threading

    monkeypatch.setitem(wording.MESSAGES, "zh", {**wording.MESSAGES["zh"], "closer_to": "更接近"})
    heard = []
    with wording.language("zh"):
        carried = wording.speaking(lambda: wording.text("closer_to"))
    plain = threading.Thread(target=lambda: heard.append(wording.text("closer_to")))
    for thread in (threading.Thread(target=lambda: heard.append(carried())), plain):
        thread.start()
        thread.join()
    assert heard == ["更接近", "closer to"]  # a thread of its own starts in English
