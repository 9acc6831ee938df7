"""The one request path: what every adapter shares (scoring, metadata, the model whitelist, admission limits)."""

import dataclasses
import io
import json
import pickle
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import srdemo
from srdemo import devices, images, metrics, models, request
from srdemo.batch import process_one, read_report, run_batch
from srdemo.caller import LOCAL, Caller
from srdemo.cli import main
from srdemo.errors import SrdemoError
from srdemo.examples import example_photos
from srdemo.metadata import MetadataPolicy
from srdemo.request import UpscaleRequest, upscale
from srdemo.settings import get_settings
from srdemo.synthetic import render_product

from conftest import rgb_noise


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _without_time(summary: str) -> list[str]:
    return [line for line in summary.splitlines() if not line.startswith("Time:")]


def test_cli_python_api_and_batch_give_the_same_bytes_and_figures(tmp_path, capsys):
    photo = tmp_path / "jar.png"
    render_product(3, 64).save(photo)
    req = UpscaleRequest(model="lanczos", scale=2, format="jpeg", quality=80, caller=LOCAL)

    api = srdemo.upscale(photo, req)
    assert main(["upscale", str(photo), "--model", "lanczos", "--scale", "2", "--format", "jpeg", "--quality", "80",
                 "--out", str(tmp_path / "cli")]) == 0
    printed = capsys.readouterr().out
    cli_file = tmp_path / "cli" / "jar_lanczos_x2.jpg"
    batch_bytes, row = process_one("jar.png", photo.read_bytes(), req)

    assert api.filename == cli_file.name
    assert cli_file.read_bytes() == api.data == batch_bytes
    assert all(line in printed for line in _without_time(api.summary()))
    assert row["self-check gain (dB)"] == f"{api.result.comparison.gain_db:+.2f}"
    assert row["colour difference (dE2000)"] == f"{api.colour_difference:.2f}"


def test_a_reference_is_scored_from_the_command_line_as_in_the_app(tmp_path, capsys):
    hr = Image.fromarray(rgb_noise(64, 64, 1))
    lr = tmp_path / "lr.png"
    hr.resize((32, 32), Image.Resampling.BICUBIC).save(lr)
    hr.save(tmp_path / "hr.png")
    assert main(["upscale", str(lr), "--model", "lanczos", "--scale", "2", "--reference", str(tmp_path / "hr.png"),
                 "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    result = np.asarray(Image.open(tmp_path / "o" / "lr_lanczos_x2.png").convert("RGB"))
    expected = metrics.psnr_y(result, np.asarray(hr), 2)  # scored independently from the saved file
    assert f"Against your sharp original: model {expected:.2f} dB" in out


def test_the_metadata_policy_holds_for_a_single_upscale_too():
    exif = Image.Exif()
    exif[0x013B] = "Jane Photographer"  # Artist: a personal name
    buf = io.BytesIO()
    Image.fromarray(rgb_noise(32, 32)).save(buf, "JPEG", exif=exif.tobytes())
    plain = upscale(buf.getvalue(), UpscaleRequest(model="lanczos", scale=2, format="jpeg", caller=LOCAL), name="shot.jpg")
    marked = upscale(buf.getvalue(), UpscaleRequest(model="lanczos", scale=2, format="jpeg",
                                                    metadata=MetadataPolicy(provenance=True), caller=LOCAL), name="shot.jpg")
    assert 0x013B not in Image.open(io.BytesIO(plain.data)).getexif()
    assert "srdemo" in Image.open(io.BytesIO(marked.data)).getexif().get(0x0131)


def test_a_visitor_cannot_name_a_server_path_or_someone_elses_run(tmp_path, monkeypatch, compact_file):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path / "runs"))
    from srdemo import workspace

    theirs = workspace.owner_dir("browser:alice") / "run-1" / "model" / "model.safetensors"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(compact_file.read_bytes())

    assert models.resolve(str(compact_file), LOCAL).kind == "file"  # the machine's own user may
    for ref in (str(compact_file), str(theirs), str(tmp_path / "no-such-file.pth")):
        with pytest.raises(SrdemoError) as err:
            models.resolve(ref, Caller.visitor("browser:bob"))
        # the same answer whether the file exists or not: the page learns nothing about the server
        assert str(err.value) == f"Unknown model '{ref[:80]}'. Pick one from the list, or use the Hub fields."
    with pytest.raises(SrdemoError, match="not yours"):
        models.resolve("run:run-1", Caller.visitor("browser:bob"))
    assert models.resolve("run:run-1", Caller.visitor("browser:alice")).path == theirs
    assert [s.id for s in models.catalogue(Caller.visitor("browser:alice")) if s.kind == "run"] == ["run:run-1"]
    assert not [s for s in models.catalogue(Caller.visitor("browser:bob")) if s.kind == "run"]
    with pytest.raises(SrdemoError, match="Pick one from the list"):
        upscale(_png(render_product(1, 32)), UpscaleRequest(model=str(compact_file), caller=Caller.visitor("bob")), name="a.png")


def test_a_token_never_shows_in_a_request_a_log_or_saved_state():
    caller = Caller.visitor("browser:k", "hf_supersecret123")
    req = UpscaleRequest(model="lanczos", caller=caller)
    for shown in (repr(req), str(req), repr(caller), repr(dataclasses.asdict(req)), str(caller.token)):
        assert "hf_supersecret123" not in shown
    assert caller.token_value == "hf_supersecret123"
    with pytest.raises(TypeError):
        json.dumps(dataclasses.asdict(caller))
    with pytest.raises(TypeError, match="never saved"):
        pickle.dumps(req)
    assert Caller.visitor("browser:k", "   ").token is None


def test_a_neural_job_waits_for_its_share_of_memory_and_says_so(compact_file, monkeypatch):
    """Admission: a neural job holds one SRDEMO_NEURAL_JOBS share of the memory budget (devices.MEMORY)."""
    monkeypatch.setattr(devices, "available_memory", lambda root=None: None)
    seen: list[tuple[float, str]] = []
    told = threading.Event()

    def progress(fraction: float, message: str) -> None:
        seen.append((fraction, message))
        if message.startswith("Waiting for a free turn"):
            told.set()

    settings = get_settings()
    share = settings.memory_bytes // settings.neural_jobs
    taken = devices.MEMORY.hold(share * settings.neural_jobs - share // 2)  # less than one share is left
    taken.__enter__()
    try:
        worker = threading.Thread(target=lambda: upscale(
            _png(render_product(2, 32)), UpscaleRequest(model=str(compact_file), scale=2, check=False, caller=LOCAL),
            name="p.png", progress=progress))
        worker.start()
        assert told.wait(60) and devices.MEMORY.waiting == 1 and not any(f > 0 for f, _ in seen)  # no pass yet
    finally:
        taken.__exit__(None, None, None)
    worker.join(60)
    passes = [(f, m) for f, m in seen if f > 0]  # the passes' progress, once the share was free
    assert not worker.is_alive() and passes and passes[-1][0] == pytest.approx(1.0)
    assert not passes[-1][1].startswith("Waiting") and devices.MEMORY.in_use == devices.MEMORY.waiting == 0


def test_the_cpu_time_cap_refuses_a_job_in_a_batch_as_in_a_single_upscale(tmp_path, monkeypatch, compact_file):
    src = tmp_path / "in"
    src.mkdir()
    render_product(1, 100).save(src / "a.png")
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "0.000001")
    req = UpscaleRequest(model=str(compact_file), scale=2, caller=LOCAL)
    with pytest.raises(SrdemoError, match="would take"):
        upscale(src / "a.png", req)
    run_batch([src], tmp_path / "out", req)
    (row,) = read_report(tmp_path / "out" / "report.csv")
    assert row["status"] == "failed" and "would take" in row["warnings"]
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "600")
    assert upscale(src / "a.png", dataclasses.replace(req, check=False)).picture.size == (200, 200)


def test_a_preset_request_fits_pads_and_warns():
    small = Image.new("RGB", (100, 100), (255, 255, 255))
    small.paste((10, 10, 10), (40, 40, 60, 60))
    done = upscale(_png(small), UpscaleRequest(model="lanczos", preset=srdemo.get_preset("amazon-main"), check=False, caller=LOCAL),
                   name="tiny.png")
    assert done.format == "jpeg" and done.filename == "tiny_lanczos_x20.jpg"
    assert Image.open(io.BytesIO(done.data)).size == (2000, 2000)
    assert any(w.startswith("product fills 2") and "asks for 85%" in w for w in done.warnings)  # ~20%, widened by the resize


def test_bad_requests_get_plain_messages():
    pic = _png(render_product(1, 32))
    with pytest.raises(SrdemoError, match="Unknown output format 'gif'"):
        upscale(pic, UpscaleRequest(model="lanczos", format="gif", caller=LOCAL), name="a.png")
    with pytest.raises(SrdemoError, match="quality must be"):
        upscale(pic, UpscaleRequest(model="lanczos", quality=0, caller=LOCAL), name="a.png")
    with pytest.raises(SrdemoError, match="scale between"):
        upscale(pic, UpscaleRequest(model="lanczos", scale=-2, caller=LOCAL), name="a.png")
    with pytest.raises(SrdemoError, match="reference image is 10x10"):
        upscale(pic, UpscaleRequest(model="lanczos", scale=2, reference=_png(Image.new("RGB", (10, 10))), caller=LOCAL), name="a.png")


@pytest.mark.parametrize("path", example_photos(), ids=lambda p: p.name)
def test_colour_stays_within_two_de2000_on_every_example(path):
    for model_id in ("lanczos", "bicubic"):
        done = upscale(path, UpscaleRequest(model=model_id, scale=4, check=False, caller=LOCAL))
        # independently: the saved file against the photo, both as a shopper sees them
        saved = images.visible_rgb(images.decode(done.data, "out.png"))
        assert metrics.colour_difference(images.visible_rgb(images.decode(path)), saved) == pytest.approx(
            done.colour_difference, abs=0.02)
        assert done.colour_difference <= 2.0 and not any("colours shifted" in w for w in done.warnings)


def test_the_shipped_examples_are_found_through_one_helper():
    names = {p.name for p in example_photos()}
    assert "packaging_small.png" in names and all(p.suffix in (".png", ".jpg") for p in example_photos())
    assert example_photos() == sorted(example_photos())


def test_the_batch_zip_holds_what_a_single_upscale_gives(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    render_product(4, 48).save(src / "sub" / "p.png")
    req = UpscaleRequest(model="lanczos", scale=2, format="webp", quality=70, caller=LOCAL)
    result = run_batch([src], tmp_path / "out", req)
    with zipfile.ZipFile(result.zip_path) as zf:
        assert zf.read("sub/p.webp") == upscale(Path(src / "sub" / "p.png"), req).data


def test_a_photo_too_small_for_the_self_check_says_so_in_its_notes():
    done = upscale(_png(render_product(2, 24)), UpscaleRequest(model="lanczos", scale=4, caller=LOCAL), name="tiny.png")
    assert done.result.comparison is None
    assert "The image is too small for a self-check at this scale." in done.notes
    assert "The image is too small for a self-check at this scale." in done.summary()


def test_the_estimate_before_a_run_and_after_it(tmp_path, monkeypatch, compact_file, hf_cache):
    photo = _png(render_product(3, 48))
    neural = UpscaleRequest(model=str(compact_file), scale=2, check=False, caller=LOCAL)
    assert request.estimate(None, neural) == ""  # no photo yet: nothing to size
    assert request.estimate(photo, neural).startswith("Speed on this CPU not measured yet")
    upscale(photo, neural, name="p.png")
    after = request.estimate(photo, neural)  # the job measured the model's speed
    assert after.startswith("Takes ") and after.endswith(" on this CPU.")
    assert request.estimate(None, UpscaleRequest(model="lanczos", caller=LOCAL)) == "Instant (classic resampling)."
    assert "needs downloading" in request.estimate(photo, UpscaleRequest(model="realesrgan-x4", caller=LOCAL))


def test_a_flat_photo_gets_words_not_infinities():
    """A single-colour photo is rebuilt exactly by bicubic: its figures say so instead of 'inf dB'."""
    import io

    from PIL import Image

    from srdemo import wording
    from srdemo.request import UpscaleRequest, upscale

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buf, "PNG")
    done = upscale(buf.getvalue(), UpscaleRequest(model="bicubic", scale=2, caller=LOCAL))
    shown = "\n".join(done.outcome() + done.figures())
    assert "inf" not in shown.lower() and "nan" not in shown.lower()
    assert wording.text("scores_exact", ssim=1.0) in shown and wording.text("gain_none") in shown
    assert done.outcome()[0] == wording.text("verdict_same")
