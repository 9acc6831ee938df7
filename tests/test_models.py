"""Catalogue and safe loading: content decides, never the extension."""

import shutil

import pytest
from safetensors.torch import save_file

from srdemo import models
from srdemo.errors import SrdemoError

from conftest import make_compact


def test_catalogue_describes_each_model_once_with_what_users_need():
    specs = models.catalogue()
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    assert {"lanczos", "bicubic"} <= set(ids)
    for spec in specs:
        assert spec.label and spec.good_for and spec.licence and spec.source
        if spec.kind == "hub":
            assert spec.hub_file is not None and "huggingface.co/" in spec.source


def test_hub_models_show_needs_download_when_not_cached(hf_cache):
    spec = models.resolve("realesrgan-x4")
    assert models.availability(spec) == "needs download"
    assert models.availability(models.resolve("lanczos")) == "ready"


def test_default_is_lanczos_until_builtin_weights_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "BUILTIN_DIR", tmp_path)
    assert models.default_model(4).id == "lanczos"
    from safetensors.torch import save_file as save

    save(make_compact(4), str(tmp_path / "x4.safetensors"))
    (tmp_path / "x4.json").write_text('{"label": "srdemo x4", "scale": 4, "good_for": "product photos"}')
    assert models.default_model(4).id == "x4" and models.default_model(2).id == "lanczos"
    assert models.catalogue()[0].id == "x4"
    # a variant for compressed photos sorts after its base ("x4-product" < "x4" as file names)
    save(make_compact(4), str(tmp_path / "x4-product.safetensors"))
    (tmp_path / "x4-product.json").write_text('{"label": "srdemo x4 product", "scale": 4, "good_for": "JPEGs"}')
    assert [s.id for s in models.builtin_specs()] == ["x4", "x4-product"]
    assert models.default_model(4).id == "x4"


def test_local_model_folder_appears_in_the_catalogue(tmp_path, monkeypatch, compact_file):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(compact_file, folder / "shop_x2.safetensors")
    (folder / "notes.txt").write_text("not weights")
    monkeypatch.setenv("SRDEMO_MODEL_DIR", str(folder))
    ids = [s.id for s in models.catalogue()]
    assert "local:shop_x2.safetensors" in ids and not any("notes" in i for i in ids)
    assert models.load("local:shop_x2.safetensors").scale == 2


def test_resolve_gives_helpful_errors():
    with pytest.raises(SrdemoError, match="Unknown model 'nope'"):
        models.resolve("nope")
    with pytest.raises(SrdemoError, match="not a Hugging Face repo id"):
        models.resolve("bad repo/x y:file.pth")
    with pytest.raises(SrdemoError, match="choose a model"):
        models.resolve("")


def test_loaded_models_are_cached_and_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_MODEL_CACHE", "2")
    paths = []
    for i in range(3):
        p = tmp_path / f"m{i}.safetensors"
        save_file(make_compact(2, seed=i), str(p))
        paths.append(p)
    first = models.load(str(paths[0]))
    assert models.load(str(paths[0])) is first
    models.load(str(paths[1]))
    models.load(str(paths[2]))
    assert len(models.MODEL_CACHE._items) == 2
    assert models.load(str(paths[0])) is not first  # evicted, reloaded


def test_a_slow_load_does_not_block_loading_another_model(tmp_path, monkeypatch):
    import threading
    import time

    slow, fast = tmp_path / "slow.safetensors", tmp_path / "fast.safetensors"
    save_file(make_compact(2, seed=1), str(slow))
    save_file(make_compact(2, seed=2), str(fast))
    real = models.load_descriptor

    def sometimes_slow(path, name=None):
        if path.name == "slow.safetensors":
            time.sleep(1.5)  # a big download, say
        return real(path, name)

    monkeypatch.setattr(models, "load_descriptor", sometimes_slow)
    t = threading.Thread(target=models.load, args=(str(slow),))
    t.start()
    time.sleep(0.1)
    start = time.perf_counter()
    models.load(str(fast))
    assert time.perf_counter() - start < 1.0
    t.join()
