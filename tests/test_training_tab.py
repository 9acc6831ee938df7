"""The Training tab through gradio_client: start, progress, stop, resume, result, isolation."""

import json
import time

import pytest

from conftest import shared_path

pytestmark = pytest.mark.slow

ARGS = dict(base="local:compact_x2.safetensors", scale=2, degrade="bicubic+product+compressed", length="quick", lr=5e-4, batch=4, patch=64, seed=0)


def _start(client, key, name=""):
    a = ARGS
    return client.predict([], True, a["base"], a["scale"], a["degrade"], a["length"], a["lr"], a["batch"], a["patch"],
                          a["seed"], name, key, api_name="/train_start")


def _wait(client, key, predicate, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = client.predict(key, api_name="/train_status")
        if predicate(out[0]):
            return out
        time.sleep(0.5)
    raise AssertionError(f"timed out; last status: {out[0]}")


def test_train_stop_resume_finish_use_and_isolation(app_url):
    from gradio_client import Client, handle_file

    from conftest import ROOT

    me, other = Client(app_url, verbose=False), Client(app_url, verbose=False)
    owner_a, owner_b = me.predict("", api_name="/owner_key"), other.predict("", api_name="/owner_key")
    assert _start(me, owner_a, "我的商品-x2")[0].startswith("Started training “我的商品-x2”")
    _wait(me, owner_a, lambda s: s.startswith("Training: step"))
    assert "already have a training running" in _start(me, owner_a)[0]
    assert me.predict(owner_a, api_name="/train_stop").startswith("Stopping")
    stopped = _wait(me, owner_a, lambda s: s.startswith("Stopped"))
    assert stopped[5] is not None  # the best weights so far can be downloaded
    assert stopped[7].startswith("Kept “我的商品-x2”") and "model list now" in stopped[7]  # not "Started training" still

    # another owner sees nothing of it and cannot stop it
    assert other.predict(owner_b, api_name="/train_status")[0] == "No training run yet."
    assert other.predict(owner_b, api_name="/train_stop") == "No training is running."

    assert me.predict(owner_a, api_name="/train_resume")[0].startswith("Started training “我的商品-x2”")
    status, loss, psnr, figures, preview, zip_path, repo, ended = _wait(me, owner_a, lambda s: s.startswith("Finished"))
    assert len(loss["value"]["data"]) == 200 and [row[0] for row in loss["value"]["data"]][-1] == 200
    assert psnr["value"]["data"] and "A plain enlargement" in figures and "The starting model, before training" in figures
    assert ended.startswith("Kept “我的商品-x2”") and ended.endswith("It is in the Upscale tab's model list now.")
    low, high = psnr["y_lim"]
    assert low < min(row[1] for row in psnr["value"]["data"]) <= max(row[1] for row in psnr["value"]["data"]) < high
    assert preview is not None and zip_path.endswith("我的商品-x2.zip")
    assert repo["placeholder"].startswith("srdemo-x2-")

    import zipfile

    with zipfile.ZipFile(zip_path) as zf:
        assert set(zf.namelist()) == {"model.safetensors", "config.json", "README.md"}
        assert json.loads(zf.read("config.json"))["degradation"] == "bicubic+product+compressed"
        assert "one of these per sample" in zf.read("README.md").decode()  # the card names the mixture's parts

    # the new model is in the owner's model list, and works in the Upscale tab, for the owner only
    choices = me.predict(owner_a, api_name="/models")
    run_ids = [c[1] for c in choices["choices"] if str(c[1]).startswith("run:")]
    assert len(run_ids) == 1 and any("我的商品-x2" in c[0] for c in choices["choices"])
    *_, download, figures = me.predict(handle_file(str(ROOT / "examples" / "jar_label_text.png")), run_ids[0], 2, False,
                                       "", "", "", "", None, "png", 90, owner_a, "",
                                       api_name="/upscale")
    assert f"Model: {run_ids[0]}" in figures
    assert "我的商品-x2" in str(download)  # the output file is named after the model's name
    verdict, *_ = other.predict(handle_file(str(ROOT / "examples" / "jar_label_text.png")), run_ids[0], 2, False, "", "",
                                "", "", None, "png", 90, owner_b, "", api_name="/upscale")
    assert "not yours" in verdict  # the Upscale tab says why it failed in its verdict line


def test_too_few_photos_are_explained(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from conftest import ROOT

    client = Client(app_url, verbose=False)
    owner_c = client.predict("", api_name="/owner_key")
    a = ARGS
    few = client.predict([handle_file(str(ROOT / "examples" / "jar_label_text.png"))], False, a["base"], 2, "bicubic",
                         "quick", a["lr"], a["batch"], 64, 0, "", owner_c, api_name="/train_start")
    assert few[0].startswith("Not done: ") and "at least 8 are needed" in few[0]
    none = client.predict([], False, a["base"], 2, "bicubic", "quick", a["lr"], a["batch"], 64, 0, "", owner_c,
                          api_name="/train_start")
    assert none[0].startswith("Not done: Upload your product photos")  # the sentence, not a bare 'Error'
    assert client.predict(owner_c, api_name="/train_status")[0] == "No training run yet."  # nothing started


def test_quick_preset_improves_a_real_model_on_the_example_set(tmp_path, monkeypatch):
    """The bundled example set is useful: a quick fine-tune of a real x4 model gains PSNR on its held-out images."""
    from srdemo import runs
    from srdemo.caller import Caller

    weights = shared_path("ref-weights", "span_ch28_x4.safetensors")
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    job = runs.start(Caller("test-owner", trusted=True), [], True, runs.RunSettings(base=str(weights), scale=4, length="quick", patch=96, batch=8, lr=2e-4))
    deadline = time.time() + 900
    while job.running and time.time() < deadline:
        time.sleep(1)
    assert job.status == "done", job.error
    history = job.result if not hasattr(job.result, "is_dir") else None
    import json

    history = json.loads((job.info["run"] / "model" / "history.json").read_text())
    base_psnr = history["base"][0]
    best = max(v[1] for v in history["val"])
    print(f"example set: base {base_psnr:.2f} dB -> {best:.2f} dB, bicubic {history['bicubic'][0]:.2f} dB")
    assert best > base_psnr + 0.1


def test_the_scale_follows_the_starting_model(app_url):
    """Picking the built-in x2 switches the scale to 2 (tuning it for x4 would start from a re-made output layer)."""
    import gradio as gr
    from gradio_client import Client

    from srdemo.ui.training import on_base

    client = Client(app_url, verbose=False)
    got = {base: client.predict(base, api_name="/train_base_scale") for base in ("x2", "x4", "x4-product")}
    assert got == {"x2": 2, "x4": 4, "x4-product": 4}
    # A local file's scale is known only once it is loaded: the choice is left to the user.
    assert "value" not in client.predict("local:compact_x2.safetensors", api_name="/train_base_scale")
    assert on_base("scratch") == gr.skip()  # from scratch: any scale, the choice is left alone
