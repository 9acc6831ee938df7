"""What a merchandiser passes on to a colleague: a batch's page, and one before/after picture.

``report.html`` travels in every batch zip and needs no server or internet (style and script inline, pictures
as small JPEGs beside it under ``previews/``), so it opens from a shared drive or an e-mail attachment.
The comparison picture is one JPEG about 1200 px wide, the size a chat or an e-mail shows whole.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import images
from .wording import current_language, model_label, text

if TYPE_CHECKING:
    from .compare import ABResult
    from .request import Upscaled

RESULT_WORDS = {"ok": "batch_result_done", "failed": "batch_result_failed", "skipped": "batch_result_skipped",
                "cancelled": "batch_result_cancelled"}
"""A report status code -> the key of its plain word."""

PREVIEW_SIDE = 480  # px on the longest side: sharp on a laptop's page, ~30 KB as JPEG
PREVIEW_QUALITY = 80
SHARE_WIDTH = 1200  # px: what chats and e-mail show whole, without a click to open
SHARE_QUALITY = 88
SHARE_MAX_HEIGHT = 1400  # px of picture under the labels: a tall bottle must not make a scroll of it
CJK_FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"))
"""Fonts with Chinese glyphs (Debian's fonts-noto-cjk); without one, Pillow's own font (Latin only)."""
CJK_FACE = 2  # in the .ttc: Noto Sans CJK SC, simplified Chinese shapes

STOPS = ".!?。！？"


# ---- the small pictures a page shows


def preview_names(output: str) -> tuple[str, str]:
    """Where a result's before and after previews go in the zip (a batch's outputs share one extension,
    so their stems are as unique as their names)."""
    stem = PurePosixPath(output).with_suffix("")
    return f"previews/{stem}.before.jpg", f"previews/{stem}.after.jpg"


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def preview_pair(before: np.ndarray, after: np.ndarray) -> tuple[bytes, bytes]:
    """The page's before and after (uint8 RGB, HWC) as small JPEGs of one size, ``PREVIEW_SIDE`` px at most on
    the longest side, so the slider lays one exactly over the other."""
    pics = [Image.fromarray(np.ascontiguousarray(a)) for a in (before, after)]
    f = min(1.0, PREVIEW_SIDE / max(pics[1].size))  # shrunk, never enlarged
    size = (max(1, round(pics[1].width * f)), max(1, round(pics[1].height * f)))
    return tuple(_jpeg(p if p.size == size else p.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), PREVIEW_QUALITY)
                 for p in pics)


# ---- the page


@dataclass(frozen=True)
class Photo:
    """One row of a batch's report as the page shows it: ``report.csv``'s fields, and where the batch kept them
    ``verdict``, ``model label`` and ``warning list``; its result's name and size and its previews' names in the zip."""

    row: dict
    output: str | None = None
    output_bytes: int | None = None
    before: str | None = None
    after: str | None = None


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _href(zip_name: str) -> str:
    """A relative URL for a file beside the page: every character a name may hold, percent-encoded."""
    return _e(quote(zip_name, safe="/"))


def sentence(words: str) -> str:
    """A warning as a sentence: a capital first letter and a full stop in the page's language."""
    words = words.strip()
    if not words:
        return ""
    words = words[0].upper() + words[1:]
    return words if words[-1] in STOPS else words + text("report_full_stop")


def short_label(label: str) -> str:
    """A model's name without its description ("Lanczos (classic, instant): smooth..."): what fits a caption."""
    return re.split(r": |：", label, maxsplit=1)[0].strip()


def warning_list(row: dict) -> list[str]:
    """A row's warnings one by one (``warnings`` joins them with '; ', which some sentences contain)."""
    listed = row.get("warning list")
    if isinstance(listed, list):
        return [w for w in listed if w]
    return [row["warnings"]] if row.get("warnings") else []  # one line from report.csv: kept whole


def problem_sentence(row: dict) -> str:
    """Why a file was not done, with what to do (the reason says it), in one sentence."""
    result = text(RESULT_WORDS.get(row.get("status"), "batch_result_failed"))
    return sentence(text("labelled", label=result, words=row.get("warnings") or text("report_no_reason")))


def _card(k: int, photo: Photo) -> str:
    """One photo: its name, then its before/after beside what to know (verdict, file, model, warnings)."""
    row = photo.row
    status = row.get("status", "")
    warned = " warned" if status == "ok" and warning_list(row) else ""
    model = short_label(row.get("model label") or row.get("model") or "")
    pair, facts = "", []
    if photo.before and photo.after:
        before, after = text("report_before"), text("report_after", model=model)
        pair = (
            f'<div class="pair" data-label="{_e(text("report_slider"))}">'
            f'<figure class="before"><img src="{_href(photo.before)}" alt="{_e(before)}"><figcaption>{_e(before)}</figcaption></figure>'
            f'<figure class="after"><img src="{_href(photo.after)}" alt="{_e(after)}"><figcaption>{_e(after)}</figcaption></figure>'
            "</div>"
        )
    if status != "ok":
        facts.append(f'<p class="problem">{_e(problem_sentence(row))}</p>')
    else:
        if row.get("verdict"):
            facts.append(f'<p class="verdict">{_e(row["verdict"])}</p>')
        if photo.output:
            w, _, h = str(row.get("output size", "")).partition("x")
            saved = text("outcome_saved", name=photo.output, width=w, height=h, size_mb=(photo.output_bytes or 0) / 1e6)
            facts.append(f'<p class="output">{_e(saved)}</p>')
        if model:
            facts.append(f'<p class="model">{_e(text("report_model", model=model))}</p>')
        if warnings := warning_list(row):
            facts.append('<ul class="warnings">' + "".join(f"<li>{_e(sentence(w))}</li>" for w in warnings) + "</ul>")
    return (f'<article class="photo {_e(status)}{warned}" id="photo-{k}"><h2>{_e(row.get("file", ""))}</h2>'
            f'<div class="cols">{pair}<div class="facts">{"".join(facts)}</div></div></article>')


STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#1d2330;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;overflow-wrap:anywhere;word-break:break-word}
main{max-width:1040px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6em;margin:0 0 8px}
h2{font-size:1.1em;margin:0 0 10px}
.headline{font-size:1.25em;font-weight:600;margin:0 0 12px}
.notice,.attention,.photo{background:#fff;border:1px solid #d9dce3;border-radius:8px;padding:16px;margin:0 0 16px}
.notice{border-color:#d48a00;background:#fff8e6}
.attention ul{margin:0;padding-left:1.2em}
.photo.failed,.photo.cancelled{border-left:6px solid #c62828}
.photo.ok.warned{border-left:6px solid #d48a00}
.photo.skipped{color:#555}
.cols{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.facts{flex:1 1 260px;min-width:0}
.facts p{margin:0 0 6px}
.problem{color:#b71c1c;font-weight:600}
.verdict{font-weight:600;font-size:1.1em}
.warnings{margin:0;padding-left:1.2em;color:#7a4b00}
.pair{flex:1 1 480px;min-width:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,220px),1fr));gap:12px;max-width:980px}
.pair figure{margin:0;min-width:0}
.pair img{display:block;max-width:100%;height:auto;background:#fff;border:1px solid #e3e5ea}
.pair figcaption{font-size:.9em;color:#444;margin-top:4px}
.pair.slider{flex:0 1 auto;display:block;position:relative;width:fit-content;max-width:100%}
.pair.slider figure.before{position:absolute;top:0;left:0;width:100%;z-index:1;clip-path:inset(0 calc(100% - var(--pos,50%)) 0 0)}
.pair.slider figcaption{position:absolute;top:6px;z-index:2;max-width:calc(50% - 9px);margin:0;padding:1px 6px;border-radius:4px;background:rgba(255,255,255,.88);font-size:.8em}
.pair.slider .before figcaption{left:6px}
.pair.slider .after figcaption{right:6px}
.pair.slider input{display:block;width:100%;margin:8px 0 0}
footer{color:#555;font-size:.9em;margin-top:24px}
"""

SCRIPT = """
document.querySelectorAll('.pair').forEach(function (pair) {
  var range = document.createElement('input');
  range.type = 'range'; range.min = '0'; range.max = '100'; range.value = '50';
  range.setAttribute('aria-label', pair.getAttribute('data-label'));
  range.addEventListener('input', function () { pair.style.setProperty('--pos', range.value + '%'); });
  pair.classList.add('slider');
  pair.appendChild(range);
});
"""
"""Side by side without a script (a locked-down viewer); with one, a slider: before on the left of the handle."""


def page(photos: Iterable[Photo], headline: str, notices: Iterable[str] = ()) -> str:
    """The batch's page, whole: ``headline`` is the batch's count in its own words ("118 of 120 done
    (2 failed, 3 with warnings)"); ``notices`` are batch-wide lines (it stopped early, it was interrupted)."""
    photos = list(photos)
    title = text("report_title")
    look = [(k, p.row) for k, p in enumerate(photos, 1)  # failed, cancelled, or done with warnings
            if p.row.get("status") in ("failed", "cancelled") or (p.row.get("status") == "ok" and warning_list(p.row))]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(current_language())}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="headline">{_e(headline)}</p>',
        *[f'<p class="notice">{_e(n)}</p>' for n in notices],
    ]
    if look:
        items = "".join(
            f'<li><a href="#photo-{k}">{_e(row.get("file", ""))}</a>{_e(text("report_attention_separator"))}'
            f"{_e(problem_sentence(row) if row.get('status') != 'ok' else sentence(warning_list(row)[0]))}</li>"
            for k, row in look
        )
        out.append(f'<section class="attention"><h2>{_e(text("report_attention", count=len(look)))}</h2><ul>{items}</ul></section>')
    out.append(f"<p>{_e(text('report_intro'))}</p>")
    out += [_card(k, photo) for k, photo in enumerate(photos, 1)]
    out.append(f"<footer>{_e(text('report_footer'))}</footer></main><script>{SCRIPT}</script></body></html>")
    return "\n".join(out)


# ---- one picture to pass on


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONTS:
        with contextlib.suppress(OSError):  # not installed, or not readable
            return ImageFont.truetype(str(path), size, index=CJK_FACE)
    return ImageFont.load_default(size=size)


def _fitted_label(draw: ImageDraw.ImageDraw, label: str, font, width: float) -> str:
    """``label``, cut with an ellipsis where it would not fit ``width`` (a long model name)."""
    if draw.textlength(label, font=font) <= width:
        return label
    while len(label) > 1 and draw.textlength(label + "…", font=font) > width:
        label = label[:-1]
    return label.rstrip() + "…"


def comparison_picture(before: np.ndarray, after: np.ndarray, labels: tuple[str, str]) -> bytes:
    """``before`` and ``after`` (uint8 RGB, HWC) side by side on white under their labels, one JPEG ``SHARE_WIDTH`` px
    wide, both at one scale so the same detail is the same size on both sides."""
    pad = max(8, SHARE_WIDTH // 75)
    half = (SHARE_WIDTH - 3 * pad) // 2
    pics = [Image.fromarray(np.ascontiguousarray(a)) for a in (before, after)]
    f = min(half / max(p.width for p in pics), SHARE_MAX_HEIGHT / max(p.height for p in pics))
    pics = [p.resize((max(1, round(p.width * f)), max(1, round(p.height * f))),
                     Image.Resampling.LANCZOS if f < 1 else Image.Resampling.BICUBIC) for p in pics]
    font = _font(max(14, SHARE_WIDTH // 40))
    band = round(font.getbbox("Ag")[3] * 1.8)
    canvas = Image.new("RGB", (SHARE_WIDTH, pad + band + max(p.height for p in pics) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    for k, (pic, label) in enumerate(zip(pics, labels)):
        left = pad + k * (half + pad)
        shown = _fitted_label(draw, label, font, half)
        draw.text((left + half / 2, pad + band / 2), shown, fill=(29, 35, 48), font=font, anchor="mm")
        canvas.paste(pic, (left + (half - pic.width) // 2, pad + band))
    return _jpeg(canvas, SHARE_QUALITY)


def before_after_picture(done: Upscaled) -> bytes:
    """The Upscale tab's picture to share: the plain enlargement and the model's result, labelled in the page's language."""
    model = short_label(model_label(done.model.id, done.model.label))
    return comparison_picture(done.before, images.visible_rgb(done.result.picture),
                              (text("report_before"), text("report_after", model=model)))


def ab_picture(result: ABResult) -> bytes:
    """The A/B tab's picture to share: A and B side by side, each named by its model."""
    pictures = [images.visible_rgb(side.result.picture) for side in (result.a, result.b)]
    labels = [text("labelled", label=tag, words=short_label(model_label(side.model.id, side.model.label)))
              for tag, side in (("A", result.a), ("B", result.b))]
    return comparison_picture(*pictures, tuple(labels))
