"""The page's plumbing without a browser: its words and languages, and the lines that confirm how a run ended."""

import threading
import time

import gradio as gr
import pytest
from PIL import Image

from srdemo import wording
from srdemo.caller import LOCAL
from srdemo.errors import Cancelled, SrdemoError
from srdemo.ui import common, upscale

from conftest import ROOT


def _request(session: str, accept: str | None = None) -> gr.Request:
    return gr.Request(session_hash=session, headers={"accept-language": accept} if accept else {})


def test_page_words_carry_both_languages_to_the_browser_and_relabel_on_the_switch():
    words = common.PageWords()
    with gr.Blocks() as demo:
        run = gr.Button(words("ui_upscale_run"))
        box = gr.Textbox(label=words("ui_upscale_repo"), placeholder=words("ui_upscale_repo_placeholder"))
        limits = gr.Markdown(words("ui_page_limits", input_mp=16, output_mp=64, file_mb=50))
        fmt = gr.Radio([(words("ui_batch_preset_default"), "default"), ("PNG", "png")])
        plain = gr.Textbox(label="no words")
    for locale, lang in (("en", "en"), ("zh-CN", "zh")):
        table = words.i18n.translations[locale]
        assert table["ui_upscale_run"] == wording.text("ui_upscale_run", lang)
        assert wording.text("ui_page_limits", lang, input_mp=16, output_mp=64, file_mb=50) in table.values()
    assert words.i18n.translations["zh-CN"]["ui_upscale_run"] != words.i18n.translations["en"]["ui_upscale_run"]

    blocks, relabel = words.switch(demo)
    assert blocks == [run, box, limits, fmt] and plain not in blocks
    zh = dict(zip(blocks, relabel("zh")))
    assert zh[run]["value"] == wording.text("ui_upscale_run", "zh")
    assert zh[box]["label"] == wording.text("ui_upscale_repo", "zh")
    assert zh[box]["placeholder"] == wording.text("ui_upscale_repo_placeholder", "zh")
    assert zh[limits]["value"] == wording.text("ui_page_limits", "zh", input_mp=16, output_mp=64, file_mb=50)
    assert zh[fmt]["choices"] == [(wording.text("ui_batch_preset_default", "zh"), "default"), ("PNG", "png")]
    assert dict(zip(blocks, relabel("en")))[run]["value"] == wording.text("ui_upscale_run", "en")


def test_the_switch_outranks_the_browser_for_that_page_only():
    assert common.request_language(_request("page-a", "zh-CN,zh;q=0.9")) == "zh"
    assert common.choose_language("en", _request("page-a", "zh-CN")) == "en"
    assert common.request_language(_request("page-a", "zh-CN")) == "en"
    assert common.request_language(_request("page-b", "zh-CN")) == "zh"  # another page keeps its browser's
    assert common.choose_language("", _request("page-c", "de, zh;q=0.2")) == "zh"


def test_every_handler_speaks_the_pages_language_errors_included():
    @common.plain_errors
    def handler(x, request: gr.Request = None):
        if x == "boom":
            raise SrdemoError(wording.text("err_no_image"))
        return wording.text("ui_upscale_run")

    zh_page = _request("page-zh", "zh-CN")
    assert handler("ok", request=zh_page) == wording.text("ui_upscale_run", "zh")
    assert handler("ok", request=_request("page-en", "en-GB")) == wording.text("ui_upscale_run", "en")
    with pytest.raises(gr.Error) as err:
        handler("boom", zh_page)
    assert err.value.message == wording.text("err_no_image", "zh")
    assert err.value.title == "未完成"  # the pop-up's heading too, not Gradio's "Error" (issue 41)
    assert upscale.on_failed(zh_page) == wording.text("ui_common_not_done", "zh", reason=wording.text("err_unexpected_page", "zh"))
    assert wording.current_language() == "en"  # nothing leaks out of the handler


def _run(request, **kw):
    return upscale.on_run(str(ROOT / "examples" / "packaging_small.png"), "lanczos", 2, kw.get("white", False),
                          "", "", "", "", None, "png", 90, "", kw.get("run_id", ""), request=request,
                          progress=lambda *a, **k: None)


def test_cancel_confirms_what_was_kept_and_a_finished_run_says_where_the_file_is(monkeypatch):
    page = _request("page-cancel", "en")
    assert upscale.on_cancel(request=page) == wording.text("ui_upscale_nothing_to_cancel")

    started, stopped = threading.Event(), threading.Event()

    def slow_upscale(source, job, progress=None, should_stop=None):
        started.set()
        while not should_stop():
            time.sleep(0.01)
        assert stopped.wait(10)
        raise Cancelled()

    monkeypatch.setattr(upscale, "upscale", slow_upscale)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_run(page)))
    worker.start()
    assert started.wait(10)
    assert upscale.on_cancel(request=page) == wording.text("ui_upscale_cancelling")
    # until the run stops, the line under the button (which the page reads twice a second) says so too
    assert upscale.on_progress(request=page) == wording.text("ui_upscale_cancelling")
    cancelling = wording.text("ui_upscale_cancelling")
    assert upscale.on_cancel_shown(cancelling, request=page) == gr.skip()  # Cancel's answer came in time: it stays
    stopped.set()
    worker.join(10)
    assert upscale.on_cancel_shown(cancelling, request=page) == ""  # an answer that came after the run ended: blanked
    line, *rest = outcome[0]
    assert line.startswith("Cancelled after") and "Nothing was saved" in line
    assert rest == [gr.skip()] * 4  # slider, download, figures, picture to share: the earlier result stays on the page
    assert upscale.on_cancel(request=page) == wording.text("ui_upscale_nothing_to_cancel")  # it is over
    assert upscale.on_cancel_shown(wording.text("ui_upscale_nothing_to_cancel"), request=page) == gr.skip()  # said, kept

    monkeypatch.undo()
    line, _, download, _, shared = _run(page)
    assert "packaging_small_lanczos_x2.png" in line and download.endswith("packaging_small_lanczos_x2.png")
    assert line.startswith("**") and "plain enlargement" in line.splitlines()[0]
    assert shared.endswith("packaging_small_lanczos_x2_before_after.jpg") and Image.open(shared).size[0] == 1200


def test_a_cancel_that_arrives_before_its_run_starts_stops_it(monkeypatch):
    """The page names a run before sending it; Cancel sends the same name, even while the run is on its way."""
    page, stranger = _request("page-early", "en"), _request("page-stranger", "en")
    monkeypatch.setattr(upscale, "upscale", lambda *a, **k: pytest.fail("a cancelled run went ahead"))
    assert upscale.on_cancel("run-1", request=stranger) == wording.text("ui_upscale_cancelling")  # another page's
    assert upscale.on_cancel("run-1", request=page) == wording.text("ui_upscale_cancelling")
    assert upscale.on_progress("run-1", request=page) == wording.text("ui_upscale_cancelling")  # the ticker agrees
    assert upscale.on_cancel_shown(wording.text("ui_upscale_cancelling"), "run-1", request=page) == gr.skip()  # on its way
    line, *rest = _run(page, run_id="run-1")
    assert line.startswith("Cancelled after") and rest == [gr.skip()] * 4
    assert upscale.on_cancel("run-1", request=page) == wording.text("ui_upscale_nothing_to_cancel")  # it is over
    monkeypatch.undo()
    line, *_ = _run(stranger, run_id="run-2")  # the stranger's cancel of "run-1" did not touch its own run
    assert "packaging_small_lanczos_x2.png" in line


def test_a_new_photo_clears_the_last_result_and_its_error():
    out = upscale.on_preview(str(ROOT / "examples" / "cutout_transparent.png"), "lanczos", 4, False, "",
                             request=_request("page-new"))
    slider, info, notes, use_compressed, pad_white, download, verdict, figures = out
    assert (download, verdict, figures) == (None, "", "")
    assert "128x128" in info["value"] and pad_white["visible"] is True and use_compressed["visible"] is False
    assert "Transparent background" in notes["value"] and notes["visible"] is True


def test_a_broken_photo_is_explained_where_its_details_go_not_as_red_badges(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    slider, info, notes, *_ , download, verdict, figures = upscale.on_preview(str(broken), "lanczos", 4, False, "",
                                                                            request=_request("page-broken"))
    assert slider is None and "damaged or incomplete" in info["value"] and (download, verdict, figures) == (None, "", "")
    assert notes == {"__type__": "update", "value": "", "visible": False}  # no empty box left as a gap


def test_ab_leads_with_which_is_better_or_why_nothing_ran(tmp_path):
    from srdemo.ui import compare

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    line, *rest = compare.on_compare(str(broken), "bicubic", "lanczos", 2, "", request=_request("ab-broken", "zh-CN"))
    assert line.startswith(wording.text("ui_common_not_done", "zh", reason="")) and "PNG" not in line[:5]
    assert rest == [gr.skip()] * 5  # the last comparison stays on the page

    line, slider, fig_a, fig_b, state, photo = compare.on_compare(
        str(ROOT / "examples" / "packaging_small.png"), "bicubic", "lanczos", 2, "", request=_request("ab-ok"))
    assert line.startswith(("**Use A for this photo: ", "**Use B for this photo: ", "**Either will do")) and line.endswith("**")
    assert slider[0].shape == slider[1].shape == (256, 256, 3) and len(state["paths"]) == 2
    assert Image.open(state["shared"]).size[0] == 1200  # A and B side by side, to pass on
    assert "bicubic" in fig_a and "lanczos" in fig_b  # each side's figures name its own model


def test_figures_and_the_outcome_name_the_model_in_the_pages_language():
    from srdemo import advice
    from srdemo.request import UpscaleRequest
    from srdemo.request import upscale as run

    done = run(ROOT / "examples" / "packaging_small.png", UpscaleRequest(model="lanczos", scale=2, caller=LOCAL))
    with wording.language("zh"):
        first = done.figures()[0]
        verdict, saved, *_ = done.outcome()
        assert verdict == advice.verdict(done.result.comparison)
    assert verdict and verdict != done.verdict  # the verdict leads, in the page's language
    assert first == wording.text("figure_model", "zh", model=wording.MESSAGES["zh"]["model_label_lanczos"], model_id="lanczos")
    assert saved.startswith("已保存为 packaging_small_lanczos_x2.png（256x256")
    assert done.outcome()[1].startswith("Saved as packaging_small_lanczos_x2.png (256x256")


def test_the_tabs_hold_only_tabs():
    """Anything else inside gr.Tabs (a timer once) shifts the tab bar: a click on Train relabelled Compare A/B."""
    from srdemo.ui import build_demo

    demo = build_demo()
    tabs = [b for b in demo.blocks.values() if isinstance(b, gr.Tabs)]
    assert len(tabs) == 1 and [type(c) for c in tabs[0].children] == [gr.Tab] * 4


def test_the_train_tab_starts_from_the_fast_x4_even_on_a_gpu(monkeypatch):
    """A GPU's default upscaler is the best tier, but a training run steps its base thousands of times and
    a model trained from DCTLSA would be slow on every CPU it is used on: the tab offers the fast x4 first."""
    import torch

    from srdemo import models
    from srdemo.ui import build_demo

    monkeypatch.setattr(models, "pick_device", lambda preferred=None: torch.device("cuda", 0))
    assert models.default_model(4).id == "x4-best"  # the upscaler's default did follow the device
    demo = build_demo()
    base = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "train-base")
    assert base.value == "x4" and "x4-best" in [value for _, value in base.choices]


def _clean_photo(tmp_path) -> str:
    from srdemo.synthetic import render_product

    path = tmp_path / "clean_box.png"
    render_product(3, 96).convert("RGB").save(path)
    return str(path)


def test_automatics_sentence_follows_the_scale_and_is_said_once(tmp_path):
    """Issue 41: after 4 -> 2 the notes must not still speak of x4, and the result does not say it a second time."""
    page, photo = _request("page-auto", "en"), _clean_photo(tmp_path)
    at_4, *_ = upscale.on_advice(photo, "auto", 4, False, "", request=page)
    at_2, *_ = upscale.on_advice(photo, "auto", 2, False, "", request=page)
    assert "Chosen for you: the sharp model for x4, because this photo has no JPEG compression." in at_4["value"]
    assert "Chosen for you: the sharp model for x2," in at_2["value"] and "x4" not in at_2["value"]
    named, *_ = upscale.on_advice(photo, "lanczos", 2, False, "", request=page)
    assert "Chosen for you" not in named["value"]  # a model picked by hand: nothing to explain
    verdict, *_ = upscale.on_run(photo, "auto", 2, False, "", "", "", "", None, "png", 90, "", "", request=page,
                                 progress=lambda *a, **k: None)
    assert "x2.png (" in verdict and "Chosen for you" not in verdict  # made at x2; said once: in the notes above


def test_progress_is_a_percentage_and_the_time_left_never_passes_and_tiles(tmp_path):
    """Issue 41: '42% — about 6 s left' under the button, 'about 6 s left' beside Gradio's own bar."""
    from srdemo.pipeline import plain_progress

    said, now = [], [100.0]
    report = plain_progress(lambda f, words: said.append((f, words)), clock=lambda: now[0])
    report(0.0, "pass 1/1, tile 0/12")
    now[0] = 102.0
    report(0.25, "pass 1/1, tile 3/12")
    assert said == [(0.0, "starting"), (0.25, "about 5 s left")]  # 2 s for a quarter: 6 s more, said in 5 s steps
    now[0] = 140.0
    report(0.5, "pass 1/1, tile 6/12")
    assert said[-1] == (0.5, "about 40 s left")
    with wording.language("zh"):
        chinese = plain_progress(lambda f, words: said.append((f, words)), clock=lambda: now[0])
    now[0] = 160.0
    chinese(0.5, "pass 1/1, tile 6/12")  # worded in the request's language, whichever thread reports
    assert said[-1] == (0.5, "大约还剩 20 秒")

    page, seen = _request("page-progress", "zh-CN"), []
    upscale._reporter(upscale._run_key(page, "run-p"), lambda f, desc: seen.append(desc))(0.42, "大约还剩 5 秒")
    assert upscale.on_progress("run-p", request=page) == "42%，大约还剩 5 秒" and seen == ["大约还剩 5 秒"]
    assert upscale.on_progress("run-other", request=page) == ""  # another run of the page: nothing to say

    lines = []
    upscale.on_run(_clean_photo(tmp_path), "x2", 2, False, "", "", "", "", None, "png", 90, "", "run-q",
                   request=page, progress=lambda f, desc=None: lines.append(desc))
    assert lines and not any("tile" in line or "pass" in line for line in lines)
    assert upscale.on_progress("run-q", request=page) == ""  # the run is over: its line is gone


def test_a_pop_up_the_app_raises_has_its_heading_in_the_pages_language():
    from srdemo.ui import compare

    zh, en = _request("page-title-zh", "zh-CN"), _request("page-title-en", "en")
    for request, title in ((zh, "未完成"), (en, "Not done")):
        with pytest.raises(gr.Error) as err:
            compare.on_zoom(None, None, request=request)  # a gr.Error raised inside a handler gets it too
        assert err.value.title == title and err.value.message == wording.text("ui_ab_zoom_first", "zh" if request is zh else "en")
    assert common.DEFAULT_TITLE == "Error"  # what Gradio would have shown on a Chinese page
