"""Publishing a trained model to the Hub, against a loopback stand-in (no network)."""

import json

import pytest
import spandrel
from hub_standin import HubStandIn
from huggingface_hub import ModelCard, scan_cache_dir

from srdemo import hub, models
from srdemo.caller import LOCAL
from srdemo.errors import SrdemoError
from srdemo.synthetic import render_set
from srdemo.training import TrainConfig, train

from conftest import add_to_hf_cache


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = tmp_path_factory.mktemp("pub-data")
    for i, img in enumerate(render_set(8, 64, seed=5)):
        img.save(data / f"p{i}.png")
    out = tmp_path_factory.mktemp("pub-run") / "shop-x2"
    return train(TrainConfig(data=(str(data),), out=str(out), scale=2, steps=6, batch=2, patch=32, channels=8,
                             val_every=3, val_crop=48, val_count=2))


@pytest.fixture()
def standin(monkeypatch):
    import huggingface_hub.constants as c

    server = HubStandIn(token="hf_write_secret", read_only={"hf_read_only"})
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)  # the stand-in is on loopback; nothing leaves the machine
    yield server
    server.close()


def test_publish_creates_the_repo_uploads_the_folder_and_sends_the_token_only_there(trained, standin, hf_cache):
    url = hub.publish(trained, "shop/product-x2", "hf_write_secret", private=True)
    assert url.endswith("shop/product-x2")
    create = next(r for r in standin.requests if r["path"] == "/api/repos/create")
    assert json.loads(create["body"])["visibility"] == "private"
    commits = [r for r in standin.requests if "/commit/" in r["path"]]
    assert len(commits) == 1 and commits[0]["path"].startswith("/api/models/shop/product-x2/commit/")
    assert set(standin.files["shop/product-x2"]) == {"model.safetensors", "config.json", "README.md"}
    for request in standin.requests:
        assert request["headers"].get("authorization") == "Bearer hf_write_secret"
        assert request["path"].startswith(("/api/repos/create", "/api/validate-yaml", "/api/models/shop/product-x2/"))
    card = ModelCard(standin.files["shop/product-x2"]["README.md"].decode())
    assert card.data.pipeline_tag == "image-to-image" and card.data.eval_results
    assert {r.metric_type for r in card.data.eval_results} == {"psnr", "ssim"}

    # The published repo, laid into a Hugging Face cache, loads back by repo id offline.
    for name, content in standin.files["shop/product-x2"].items():
        src = trained.parent / f"pulled-{name}"
        src.write_bytes(content)
        add_to_hf_cache(hf_cache, "shop/product-x2", name, src, commit="a" * 40)
    assert "shop/product-x2" in {r.repo_id for r in scan_cache_dir(hf_cache).repos}
    model = models.load("shop/product-x2:model.safetensors", LOCAL)
    assert model.scale == 2 and isinstance(model.descriptor, spandrel.ImageModelDescriptor)


@pytest.mark.parametrize(
    "token,repo,message",
    [
        (None, "shop/x", "needs a Hugging Face access token"),
        ("hf_wrong", "shop/x", "did not accept this token"),
        ("hf_read_only", "shop/x", "read-only"),
        ("hf_write_secret", "not a repo", "not a Hugging Face repo id"),
    ],
)
def test_publish_failures_are_plain_and_never_echo_the_token(trained, standin, token, repo, message):
    with pytest.raises(SrdemoError) as err:
        hub.publish(trained, repo, token)
    assert message in str(err.value)
    assert "hf_" not in str(err.value)
    assert (trained / "model.safetensors").exists()  # nothing lost: the push can be retried


def test_shipping_a_run_as_a_builtin_writes_half_weights_its_entry_and_a_complete_card(trained, tmp_path, monkeypatch):
    """training/publish_builtin.py, pointed at a temporary weights folder instead of srdemo/weights."""
    import importlib.util
    import sys

    import torch
    from safetensors.torch import load_file

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("publish_builtin", ROOT / "training" / "publish_builtin.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "WEIGHTS", tmp_path)
    table = tmp_path / "quality.md"
    table.write_text("| input | set | scale | bicubic | shop |\n|---|---|---|---|---|\n"
                     "| clean | Set5 | x2 | 33.68 | 34.10 |\n| jpeg75 | Set5 | x2 | 31.89 | 32.00 |\n")
    monkeypatch.setattr(sys, "argv", ["publish_builtin.py", str(trained), "shop", "Shop x2", "--script", "training/builtin_x2_span28.sh",
                                      "--tables", str(table), "--tags", "product", "bicubic"])
    script.main()

    weights = tmp_path / "shop.safetensors"
    assert all(v.dtype == torch.float16 for v in load_file(str(weights)).values() if v.is_floating_point())
    assert spandrel.ModelLoader().load_from_file(str(weights)).scale == 2  # plain spandrel, as chaiNNer would
    entry = json.loads((tmp_path / "shop.json").read_text())
    assert (entry["label"], entry["scale"], entry["licence"]) == ("Shop x2", 2, "MIT") and "for_compressed" not in entry
    card = ModelCard.load(tmp_path / "shop.md")
    assert card.data.tags.count("bicubic") == 1 and card.data.tags[-1] == "product"  # the run's own tag is not repeated
    benchmarks = {(r.dataset_type, r.dataset_config): r.metric_value for r in card.data.eval_results if r.dataset_type != "custom"}
    assert benchmarks == {("Set5", "clean"): 34.10, ("Set5", "jpeg75"): 32.00}
    assert any(r.dataset_type == "custom" for r in card.data.eval_results)  # the held-out figures stay
    assert "| jpeg75 | Set5 | x2 | 31.89 | 32.00 |" in card.text and "# Reproduces srdemo's built-in x2" in card.text


def test_cli_publish_pushes_a_run_folder_with_the_users_own_token(trained, standin, monkeypatch, capsys):
    """`srdemo publish` goes through runs.publish, as the Train tab does, with the token huggingface_hub finds."""
    from srdemo.cli import main

    monkeypatch.setenv("HF_TOKEN", "hf_write_secret")
    app_run = trained.parent / "run-20261201-000000-abcdef"  # an app run: the model sits in <run>/model
    (app_run / "model").mkdir(parents=True)
    for name in ("model.safetensors", "config.json", "README.md"):
        (app_run / "model" / name).write_bytes((trained / name).read_bytes())
    assert main(["publish", str(trained), "--repo", "shop/cli-x2"]) == 0
    assert main(["publish", str(app_run), "--repo", "shop/cli-app-x2", "--public"]) == 0
    out = capsys.readouterr().out
    assert out.split() == [f"{standin.url}/shop/cli-x2", f"{standin.url}/shop/cli-app-x2"]
    assert "hf_write_secret" not in out
    assert standin.files["shop/cli-x2"]["model.safetensors"] == (trained / "model.safetensors").read_bytes()
    creates = [json.loads(r["body"]) for r in standin.requests if r["path"] == "/api/repos/create"]
    assert [c.get("visibility", "private" if c.get("private") else "public") for c in creates] == ["private", "public"]

    import huggingface_hub.constants as c

    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(c, "HF_TOKEN_PATH", str(trained.parent / "no-login" / "token"))  # no stored login either
    assert main(["publish", str(trained), "--repo", "shop/cli-x2"]) == 2
    assert "needs a Hugging Face access token" in capsys.readouterr().err
    assert main(["publish", str(trained.parent / "nothing-here"), "--repo", "shop/x"]) == 2
    assert "no trained model there" in capsys.readouterr().err


def test_a_run_goes_to_the_tokens_own_account_under_its_names_repo_name(trained, standin, monkeypatch):
    """An empty repo field publishes as the run's suggested repo name; a name alone goes to the token's own account."""
    from huggingface_hub import HfApi

    from srdemo import runs
    from srdemo.caller import Caller

    asked = []
    monkeypatch.setattr(HfApi, "whoami", lambda self, *a, **k: asked.append(self.token) or {"name": "shop"})
    run = trained.parent / "run-20261202-000000-abcdef"
    (run / "model").mkdir(parents=True)
    for name in ("model.safetensors", "config.json", "README.md"):
        (run / "model" / name).write_bytes((trained / name).read_bytes())
    (run / "run.json").write_text(json.dumps({"config": {"name": "Spring shoes (2)"}}))
    me = Caller.local("hf_write_secret")

    url = runs.publish(run, "  ", me)
    assert url.repo_id == "shop/Spring-shoes-2" and set(standin.files["shop/Spring-shoes-2"]) >= {"model.safetensors"}
    assert runs.publish(run, "shoes-x2", me).repo_id == "shop/shoes-x2"
    assert runs.publish(run, "team/shoes-x2", me).repo_id == "team/shoes-x2"  # an owner given is an owner used
    assert asked == ["hf_write_secret", "hf_write_secret"]  # asked only when no owner was given, with the user's token
    with pytest.raises(SrdemoError, match="not a Hugging Face repo id"):
        runs.publish(run, "shoes x2", me)
