"""The app end to end through gradio_client, against a real server on a free port."""

import io

import numpy as np
import pytest
from PIL import Image

from srdemo.caller import LOCAL
from srdemo.report import preview_names

from conftest import ROOT

pytestmark = pytest.mark.slow

EMPTY_HUB = ("", "", "", "")


def _file(path):
    from gradio_client import handle_file

    return handle_file(str(path))


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def key(client):
    """This client's owner key, minted by the app as a browser's is on its first load."""
    return client.predict("", api_name="/owner_key")


def _upscale(client, path, model="lanczos", scale=4, reference=None, fmt="png", key="", white_square=False):
    from gradio_client import handle_file

    return client.predict(
        handle_file(str(path)), model, scale, white_square, *EMPTY_HUB,
        handle_file(str(reference)) if reference else None, fmt, 90, key, "", api_name="/upscale",
    )


def test_the_page_events_are_callable_by_name_but_only_the_tools_are_advertised(client):
    """The page's own events (one takes a Hub token) stay callable by the Python client; what is listed,
    and so offered to agents over MCP, is the tools."""
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/upscale_product_photo", "/upscale_many_photos", "/batch_progress"} <= names
    assert not names & {"/upscale", "/preview", "/cancel", "/estimate", "/train_start", "/publish"}


def test_mcp_schema_lists_the_upscale_tool_with_a_description_an_agent_can_act_on(app_url):
    import httpx

    tools = {t["name"]: t for t in httpx.get(f"{app_url}/gradio_api/mcp/schema", timeout=30).json()}
    assert {"upscale_product_photo", "upscale_many_photos", "batch_progress"} <= set(tools)
    one = tools["upscale_product_photo"]
    assert "amazon-main" in one["description"] + str(one["inputSchema"])
    assert {"photo", "preset", "scale", "model"} <= set(one["inputSchema"]["properties"])
    assert not [name for name in tools if "train" in name or "publish" in name or name == "on_run"]
    assert not [name for name, t in tools.items() if "token" in t["inputSchema"]["properties"]]


def test_the_upscale_tool_makes_a_marketplace_image(client):
    from gradio_client import handle_file

    path, summary = client.predict(handle_file(str(ROOT / "examples" / "packaging_small.png")), "amazon-main", 4,
                                   "lanczos", api_name="/upscale_product_photo")
    assert Image.open(path).size == (2000, 2000) and path.endswith(".jpg")
    assert "2000x2000" in summary and "plain enlargement" in summary


def test_an_agent_starts_a_batch_and_follows_it_with_its_id(client, tmp_path):
    import time
    import zipfile

    delivery = tmp_path / "delivery.zip"
    with zipfile.ZipFile(delivery, "w") as zf:
        zf.write(ROOT / "examples" / "packaging_small.png", "packaging_small.png")
        zf.write(ROOT / "examples" / "jar_label_text.png", "jar_label_text.png")
    started, batch_id = client.predict(_file(delivery), "shopify", 4, "lanczos", api_name="/upscale_many_photos")
    assert started.startswith(("Starting: counting", "Running", "Finished")) and batch_id.startswith("k1.batch.")
    deadline = time.time() + 120
    while time.time() < deadline:
        status, zip_path = client.predict(batch_id, api_name="/batch_progress")
        if status.startswith("Finished"):
            break
        time.sleep(0.5)
    assert status.startswith("Finished: 2 of 2 done") and zip_path
    with zipfile.ZipFile(zip_path) as zf:
        assert {"packaging_small.jpg", "jar_label_text.jpg", "report.csv"} <= set(zf.namelist())
    assert client.predict("test", api_name="/batch_progress") == ("No batch yet.", None)  # a made-up id is nobody's
    assert client.predict("test", api_name="/batch_cancel") == client.predict(batch_id, api_name="/batch_cancel")


def test_upscale_returns_verdict_slider_pair_full_size_download_and_figures(client):
    verdict, (before, after), download, figures = _upscale(client, ROOT / "examples" / "packaging_small.png", scale=4)
    assert Image.open(before).size == Image.open(after).size == (512, 512)
    assert download.endswith("packaging_small_lanczos_x4.png")
    assert Image.open(download).size == (512, 512)
    assert "plain enlargement" in verdict.splitlines()[0] and "packaging_small_lanczos_x4.png" in verdict
    assert "Sharpness check" in figures and "Model: lanczos" in figures and "128x128 -> 512x512" in figures


def test_transparent_cutout_downloads_with_alpha_or_on_a_white_square(client):
    _, _, download, _ = _upscale(client, ROOT / "examples" / "cutout_transparent.png", scale=2)
    assert Image.open(download).mode == "RGBA"
    _, _, download, _ = _upscale(client, ROOT / "examples" / "cutout_transparent.png", scale=2, white_square=True)
    flat = Image.open(download)
    assert flat.mode == "RGB" and flat.size == (256, 256) and flat.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    "content,name,needle",
    [
        (b"", "empty.png", "empty (0 bytes)"),
        (b"just some text", "notes.txt", "not an image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00", "cut.png", "damaged or incomplete"),
    ],
)
def test_bad_uploads_get_plain_messages(client, tmp_path, content, name, needle):
    path = tmp_path / name
    path.write_bytes(content)
    line, *_ = _upscale(client, path)
    assert line.startswith("Not done:") and needle in line
    assert "Traceback" not in line
    with pytest.raises(Exception) as err:  # an agent's tool call fails outright, with the same sentence
        client.predict(_file(path), "none", 2, "lanczos", api_name="/upscale_product_photo")
    assert needle in str(err.value) and "Traceback" not in str(err.value)


def test_truncated_real_image_is_refused_plainly(client, tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(buf, "PNG")
    path = tmp_path / "half.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert "damaged or incomplete" in _upscale(client, path)[0]


def test_missing_hub_model_is_a_plain_message(client):
    line = _upscale(client, ROOT / "examples" / "packaging_small.png", model="realesrgan-x4")[0]
    assert "not downloaded yet" in line and "`" not in line  # no command to type


def test_reference_image_gives_full_reference_scores(client, tmp_path):
    hr = Image.open(ROOT / "examples" / "grocery_oatly_oatghurt.jpg").convert("RGB")
    w, h = hr.size
    hr = hr.crop((0, 0, w - w % 2, h - h % 2))
    hr.save(tmp_path / "hr.png")
    hr.resize((hr.size[0] // 2, hr.size[1] // 2), Image.Resampling.BICUBIC).save(tmp_path / "lr.png")
    _, _, _, figures = _upscale(client, tmp_path / "lr.png", scale=2, reference=tmp_path / "hr.png")
    assert "Against your sharp original" in figures


def test_preview_reports_the_file_and_advises_before_the_run(client):
    from gradio_client import handle_file

    (before, after), info, notes, *_ = client.predict(
        handle_file(str(ROOT / "examples" / "cutout_transparent.png")), "lanczos", 4, False, "", api_name="/preview")
    assert "128x128" in info["value"] and "RGBA" in info["value"] and info["visible"] is True
    assert Image.open(before).size == Image.open(after).size == (128, 128)
    assert "Transparent background" in notes["value"] and notes["visible"] is True


def test_estimate_speaks_plainly(client):
    from gradio_client import handle_file

    text = client.predict(handle_file(str(ROOT / "examples" / "packaging_small.png")), "lanczos", 4, "", "", api_name="/estimate")
    assert text.startswith("Instant")
    text = client.predict(handle_file(str(ROOT / "examples" / "packaging_small.png")), "realesrgan-x4", 4, "", "", api_name="/estimate")
    assert "needs downloading" in text


def _wait_for_batch(client, key, timeout=120):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        status, gallery, problems, zip_path = client.predict(key, api_name="/batch_status")
        if not status.startswith("Running"):
            return status, gallery, problems, zip_path
        time.sleep(0.5)
    raise AssertionError("batch did not finish")


def test_batch_through_the_api_with_a_messy_zip(client, key, tmp_path):
    import zipfile

    from gradio_client import handle_file

    delivery = tmp_path / "delivery.zip"
    with zipfile.ZipFile(delivery, "w") as zf:
        zf.write(ROOT / "examples" / "packaging_small.png", "boxes/small/packaging.png")
        zf.write(ROOT / "examples" / "jar_label_text.png", "jar.png")
        zf.writestr("boxes/corrupt.png", b"\x89PNG\r\n\x1a\n broken")
        zf.writestr("../outside.png", (ROOT / "examples" / "jar_label_text.png").read_bytes())
    client.predict([handle_file(str(delivery))], "amazon-main", "", False, "lanczos", 4, "preset default", 90,
                   False, False, key, api_name="/batch_start")
    status, gallery, problems, zip_path = _wait_for_batch(client, key)
    assert status.startswith("Finished: 2 of 4 done (1 failed, 1 skipped") and "· took " in status
    captions = sorted(item["caption"] for item in gallery)  # a picture of each done file, named, with its verdict
    assert [c.split(":")[0] for c in captions] == ["boxes/small/packaging.png", "jar.png"] and all(len(c) > 20 for c in captions)
    assert "boxes/corrupt\\.png: Failed: " in problems and "damaged" in problems and "\\.\\./outside\\.png: Skipped: " in problems
    with zipfile.ZipFile(zip_path) as zf:
        assert {"boxes/small/packaging.jpg", "jar.jpg", "report.csv", "report.html", *preview_names("jar.jpg"),
                *preview_names("boxes/small/packaging.jpg")} == set(zf.namelist())
    # a reloaded page shows this batch's settings, with what the preset overrides greyed out
    form = client.predict(key, api_name="/batch_form_on_load")
    assert [form[i]["value"] for i in (0, 3, 5)] == ["amazon-main", "lanczos", "preset default"]
    assert [form[i]["interactive"] for i in (1, 2, 4)] == [False, False, False]  # size, square, scale


def test_batches_belong_to_their_owner(app_url, client):
    from gradio_client import Client

    other = Client(app_url, verbose=False)
    own_key = other.predict("", api_name="/owner_key")
    for key in ("", own_key, "test", own_key[:-1] + ("0" if own_key[-1] != "0" else "1")):
        status, *_ = other.predict(key, api_name="/batch_status")
        assert status == "No batch yet."
        assert other.predict(key, api_name="/batch_stop") == "No batch is running."


def test_compare_returns_two_images_figures_and_a_sentence(client):
    from gradio_client import handle_file

    sentence, (a, b), fig_a, fig_b, photo = client.predict(
        handle_file(str(ROOT / "examples" / "jar_label_text.png")), "bicubic", "lanczos", 2, "", api_name="/compare"
    )
    assert Image.open(a).size == Image.open(b).size == (320, 320)
    assert "Model: bicubic" in fig_a and "Model: lanczos" in fig_b
    assert sentence.startswith(("**Use A for this photo: ", "**Use B for this photo: ", "**Either will do"))
    assert "sharpness check" in sentence  # which to use, and by what measure


def test_the_upscale_tab_gives_what_the_python_api_gives(client):
    """The tab is an adapter over srdemo.upscale: same file, same figures (but the time)."""
    import srdemo

    photo = ROOT / "examples" / "jar_label_text.png"
    _, _, download, figures = _upscale(client, photo, scale=2, fmt="webp")
    done = srdemo.upscale(photo, srdemo.UpscaleRequest(model="lanczos", scale=2, format="webp", quality=90, caller=LOCAL))
    assert open(download, "rb").read() == done.data
    assert [line for line in figures.splitlines() if not line.startswith(("Time:", "Ran on:"))] == [
        line for line in done.figures() if not line.startswith(("Time:", "Ran on:"))
    ]


def test_the_app_never_opens_a_server_path_it_is_sent(client, compact_weights_on_server):
    """A model id is resolved for a visitor: a weights file on the server is refused, exactly as a missing one."""
    from gradio_client import handle_file

    photo = handle_file(str(ROOT / "examples" / "packaging_small.png"))
    real = client.predict(photo, str(compact_weights_on_server), 2, "", "", api_name="/estimate")
    missing = client.predict(photo, str(compact_weights_on_server) + ".nope", 2, "", "", api_name="/estimate")
    assert real.startswith("Unknown model") and "Pick one from the list" in real
    assert real.replace(str(compact_weights_on_server), "P") == missing.replace(str(compact_weights_on_server) + ".nope", "P")
    assert "Unknown model" in _upscale(client, ROOT / "examples" / "packaging_small.png",
                                       model=str(compact_weights_on_server), scale=2)[0]


@pytest.fixture(scope="module")
def compact_weights_on_server(tmp_path_factory):
    from safetensors.torch import save_file

    from conftest import make_compact

    path = tmp_path_factory.mktemp("server") / "secret_x2.safetensors"
    save_file(make_compact(2), str(path))
    return path
