"""Catalogue and safe loading: content decides, never the extension."""

import shutil

import pytest
from safetensors.torch import save_file

from srdemo import models
from srdemo.caller import LOCAL
from srdemo.errors import SrdemoError

from conftest import make_compact


def test_catalogue_describes_each_model_once_with_what_users_need():
    specs = models.catalogue(LOCAL)
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    assert {"lanczos", "bicubic"} <= set(ids)
    for spec in specs:
        assert spec.label and spec.good_for and spec.licence and spec.source
        if spec.kind == "hub":
            assert spec.hub_file is not None and "huggingface.co/" in spec.source


def test_hub_models_show_needs_download_when_not_cached(hf_cache):
    spec = models.resolve("realesrgan-x4", LOCAL)
    assert models.availability(spec) == "needs download"
    assert models.availability(models.resolve("lanczos", LOCAL)) == "ready"


def test_default_is_lanczos_until_builtin_weights_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "BUILTIN_DIR", tmp_path)
    assert models.default_model(4).id == "lanczos"
    from safetensors.torch import save_file as save

    save(make_compact(4), str(tmp_path / "x4.safetensors"))
    (tmp_path / "x4.json").write_text('{"label": "srdemo x4", "scale": 4, "good_for": "product photos"}')
    assert models.default_model(4).id == "x4" and models.default_model(2).id == "lanczos"
    assert models.catalogue(LOCAL)[0].id == "x4"
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
    ids = [s.id for s in models.catalogue(LOCAL)]
    assert "local:shop_x2.safetensors" in ids and not any("notes" in i for i in ids)
    assert models.load("local:shop_x2.safetensors", LOCAL).scale == 2


def test_resolve_gives_helpful_errors():
    with pytest.raises(SrdemoError, match="Unknown model 'nope'"):
        models.resolve("nope", LOCAL)
    with pytest.raises(SrdemoError, match="not a Hugging Face repo id"):
        models.resolve("bad repo/x y:file.pth", LOCAL)
    with pytest.raises(SrdemoError, match="choose a model"):
        models.resolve("", LOCAL)


def test_loaded_models_are_cached_and_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_MODEL_CACHE", "2")
    paths = []
    for i in range(3):
        p = tmp_path / f"m{i}.safetensors"
        save_file(make_compact(2, seed=i), str(p))
        paths.append(p)
    first = models.load(str(paths[0]), LOCAL)
    assert models.load(str(paths[0]), LOCAL) is first
    models.load(str(paths[1]), LOCAL)
    models.load(str(paths[2]), LOCAL)
    assert len(models.MODEL_CACHE._items) == 2
    assert models.load(str(paths[0]), LOCAL) is not first  # evicted, reloaded


def test_a_slow_load_does_not_block_loading_another_model(tmp_path, monkeypatch):
    import threading

    slow, fast = tmp_path / "slow.safetensors", tmp_path / "fast.safetensors"
    save_file(make_compact(2, seed=1), str(slow))
    save_file(make_compact(2, seed=2), str(fast))
    real = models.load_descriptor
    loading, release = threading.Event(), threading.Event()

    def sometimes_slow(path, name=None):
        if path.name == "slow.safetensors":
            loading.set()
            assert release.wait(60)  # a big download, say: it lasts until the test ends it
        return real(path, name)

    monkeypatch.setattr(models, "load_descriptor", sometimes_slow)
    slow_loaded = []
    t = threading.Thread(target=lambda: slow_loaded.append(models.load(str(slow), LOCAL)))
    t.start()
    assert loading.wait(60)
    assert models.load(str(fast), LOCAL).descriptor is not None
    assert slow_loaded == [] and t.is_alive()  # the fast one loaded while the slow one was still in its download
    release.set()
    t.join()
    assert len(slow_loaded) == 1


def test_the_best_tier_is_listed_after_the_fast_built_in_with_its_own_licence_and_source():
    specs = {s.id: s for s in models.catalogue(LOCAL)}
    for model_id, scale in (("x4-best", 4), ("x2-best", 2)):
        spec = specs[model_id]
        assert (spec.kind, spec.tier, spec.native_scale) == ("builtin", "best", scale)
        assert spec.licence == "Apache-2.0" and "github.com/zengkun301/DCTLSA" in spec.source
    assert specs["x4"].licence == "MIT" and specs["x4"].tier == ""
    ids = [s.id for s in models.builtin_specs()]
    assert ids.index("x4") < ids.index("x4-best") < ids.index("x4-product") and ids.index("x2") < ids.index("x2-best")


def test_the_default_follows_the_device_cpu_fast_cuda_best(monkeypatch):
    import torch

    cpu, cuda = torch.device("cpu"), torch.device("cuda", 0)
    assert models.default_model(4, cpu).id == "x4" and models.default_model(2, cpu).id == "x2"
    assert models.default_model(4, cuda).id == "x4-best" and models.default_model(2, cuda).id == "x2-best"
    assert models.default_model(3, cuda).id == "lanczos"  # no built-in of that scale in any tier
    monkeypatch.setattr(models, "pick_device", lambda preferred=None: cuda)  # this machine's device, as the app asks
    assert models.default_model().id == "x4-best"
    monkeypatch.setattr(models, "pick_device", lambda preferred=None: cpu)
    assert models.default_model().id == "x4"


def test_the_tier_comes_from_the_json_and_a_missing_tier_falls_back_to_the_first(tmp_path, monkeypatch):
    import torch
    from safetensors.torch import save_file as save

    monkeypatch.setattr(models, "BUILTIN_DIR", tmp_path)
    for name, extra in (("x4-best", ', "tier": "best"'), ("x4-product", ', "for_compressed": true')):
        save(make_compact(4), str(tmp_path / f"{name}.safetensors"))
        (tmp_path / f"{name}.json").write_text(f'{{"label": "{name}", "scale": 4, "good_for": "all"{extra}}}')
    # no fast x4: the best one is the default everywhere, and a variant for compressed photos never is
    assert models.default_model(4, torch.device("cpu")).id == "x4-best"
    save(make_compact(4), str(tmp_path / "x4.safetensors"))
    (tmp_path / "x4.json").write_text('{"label": "x4", "scale": 4, "good_for": "all"}')
    assert models.default_model(4, torch.device("cpu")).id == "x4"
    assert models.default_model(4, torch.device("cuda", 0)).id == "x4-best"
    assert models.default_model(4, torch.device("mps", 0)).id == "x4"  # DEFAULT_TIER names CUDA only


def test_an_over_long_model_string_is_refused_naming_the_limit_before_any_file_is_looked_at(monkeypatch):
    """A 1 MB model string once ended in 'File name too long', which the page showed as 'Something went wrong'."""
    import os
    from pathlib import Path

    from srdemo.caller import LOCAL, Caller

    visitor = Caller(owner="visitor", trusted=False)
    looked = []
    monkeypatch.setattr(Path, "stat", lambda self, **kwargs: looked.append(self) or os.stat(self, **kwargs))
    for ref in ("a" * 1_000_000, "owner/repo:" + "f" * 1_000_000, "owner/repo:f.pth@" + "r" * 1_000_000):
        for caller in (LOCAL, visitor):
            with pytest.raises(SrdemoError, match=rf"is {len(ref):,} characters long; .* at most 1,000 characters") as err:
                models.resolve(ref, caller)
            assert len(str(err.value)) < 300
    assert looked == []
    with pytest.raises(SrdemoError, match="Unknown model"):  # a path part over the filesystem's 255 bytes
        models.resolve("x" * 300, LOCAL)


def test_a_builtin_that_runs_on_onnx_runtime_says_its_memory_in_its_json_and_loads_no_network():
    """Its json's memory per pixel is what the engine measures of its network with torch (a built-in whose
    weights change must say so), and it loads with its export alone: spandrel reads the network only when
    torch is asked to run it."""
    from srdemo import engine

    described = [spec for spec in models.builtin_specs() if spec.bytes_per_pixel]
    assert {spec.id for spec in described} == {spec.id for spec in models.builtin_specs() if spec.exports}
    for spec in described:
        model = models.load(spec, LOCAL)
        assert model.onnx is not None and model._descriptor is None and model.scale == spec.native_scale
        measured = models.LoadedModel(spec, spec.path)
        assert engine.memory_per_pixel(measured) == pytest.approx(spec.bytes_per_pixel, rel=0.01)
        assert measured.scale == model.scale and measured.tiling == model.tiling == "supported"
