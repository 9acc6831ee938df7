"""Hub loading against a real (local) Hugging Face cache, with HF_HUB_OFFLINE=1 and no mocks."""

import pytest
from huggingface_hub import scan_cache_dir

from srdemo import hub, models
from srdemo.caller import LOCAL, Caller
from srdemo.errors import SrdemoError

from conftest import add_to_hf_cache


def test_cached_hub_model_loads_by_repo_and_file(hf_cache, compact_file):
    add_to_hf_cache(hf_cache, "shop/product-x2", "model.safetensors", compact_file)
    info = scan_cache_dir(hf_cache)
    assert [r.repo_id for r in info.repos] == ["shop/product-x2"]
    assert {f.file_name for r in info.repos for rev in r.revisions for f in rev.files} == {"model.safetensors"}

    model = models.load("shop/product-x2:model.safetensors", LOCAL)
    assert model.scale == 2 and model.spec.kind == "hub"
    assert models.availability(model.spec) == "ready"


def test_catalogue_hub_entry_becomes_ready_once_cached(hf_cache, compact_file):
    spec = models.resolve("realesrgan-x2", LOCAL)
    assert models.availability(spec) == "needs download"
    add_to_hf_cache(hf_cache, spec.hub_file.repo_id, spec.hub_file.filename, compact_file)
    assert models.availability(spec) == "ready"
    assert models.load(spec, LOCAL).scale == 2


def test_missing_model_offline_gives_a_plain_message_naming_it(hf_cache):
    with pytest.raises(SrdemoError) as err:
        models.load("realesrgan-x4", LOCAL)
    text = str(err.value)
    assert "ai-forever/Real-ESRGAN:RealESRGAN_x4.pth" in text
    assert "cannot reach the Hugging Face Hub" in text and "Pick another model" in text
    assert "`" not in text and "Traceback" not in text  # no command to type: the page reads it too


@pytest.mark.parametrize("ref", ["not a repo:file.pth", "a/b/c:file.pth", "owner/re--po:x.pth", "owner/repo:"])
def test_bad_hub_references_are_explained(ref):
    with pytest.raises(SrdemoError):
        hub.parse_hub_ref(ref)


def test_no_token_is_sent_unless_the_user_gives_one(monkeypatch, hf_cache, compact_file):
    """The Space owner's HF_TOKEN must never be used on a visitor's behalf."""
    seen = []
    real = hub.hf_hub_download

    def spy(*args, **kwargs):
        seen.append(kwargs.get("token"))
        return real(*args, **kwargs)

    monkeypatch.setenv("HF_TOKEN", "hf_owner_secret")
    monkeypatch.setattr(hub, "hf_hub_download", spy)
    add_to_hf_cache(hf_cache, "shop/private-x2", "m.safetensors", compact_file)
    ref = hub.hub_file("shop/private-x2", "m.safetensors")
    hub.download(ref)
    hub.download(ref, token="hf_user_token")
    assert seen == [False, "hf_user_token"]


def test_model_loaded_with_a_token_is_not_shared_with_users_without_it(hf_cache, compact_file, monkeypatch):
    add_to_hf_cache(hf_cache, "shop/private-x2", "m.safetensors", compact_file)
    spec = models.hub_spec(hub.hub_file("shop/private-x2", "m.safetensors"))
    with_token = models.load(spec, Caller.local("hf_user_token"))
    keys = list(models.MODEL_CACHE._items)
    assert all("hf_user_token" not in k for k in keys)  # the secret itself is never a key
    assert models.load(spec, LOCAL) is not with_token


def test_cli_download_uses_the_cache_offline(hf_cache, compact_file, capsys):
    from srdemo.cli import main

    add_to_hf_cache(hf_cache, "ai-forever/Real-ESRGAN", "RealESRGAN_x2.pth", compact_file)
    assert main(["download", "realesrgan-x2"]) == 0
    assert capsys.readouterr().out.strip().endswith("RealESRGAN_x2.pth")
    assert main(["download", "realesrgan-x4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("srdemo: ") and "\n" not in err


# ---- a revision is a branch, a tag or a commit, never something that could be a path

BAD_REVISIONS = [
    "../../../x", "refs/../x", "r" * 1_000_000, "-rf", "/main", "main/", "a//b", ".hidden", "refs/.x", "v1.lock",
    "main.", "a b", "a\tb", "x\x00y", "main~1", "main^", "a:b", "a?b", "a*b", "a[b", "a\\b", "@", "a@{1}",
]
GOOD_REVISIONS = ["main", "v1.0", "refs/pr/3", "release/2024-06", "0123456789abcdef0123456789abcdef01234567"]


def test_only_a_branch_tag_or_commit_passes_as_a_revision():
    for good in GOOD_REVISIONS:
        assert hub.parse_hub_ref(f"shop/x2:model.safetensors@{good}").revision == good
    for bad in BAD_REVISIONS:
        with pytest.raises(SrdemoError, match=r"is not a revision\. Give a branch or tag name") as err:
            hub.hub_file("shop/x2", "model.safetensors", bad)
        assert len(str(err.value)) < 300  # a 1 MB revision is not echoed back


def test_a_revision_cannot_send_the_hub_client_outside_its_cache(tmp_path, hf_cache, monkeypatch, compact_file):
    """``../../../x`` made huggingface_hub write ``<cache>/models--shop--x2/refs/../../../x``, beside the cache."""
    import huggingface_hub.constants as c
    from hub_standin import HubStandIn

    server = HubStandIn(token="hf_read")
    server.private[("shop/x2", "m.safetensors")] = compact_file.read_bytes()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)  # loopback only: nothing leaves the machine
    try:
        with pytest.raises(SrdemoError, match="is not a revision"):
            hub.download(hub.parse_hub_ref("shop/x2:m.safetensors@../../../x"), token="hf_read")
    finally:
        server.close()
    assert server.requests == [] and not (tmp_path / "x").exists()
