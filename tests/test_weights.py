"""Reading weights safely: decided by content, never running code from a file."""

import io
import json
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from safetensors.torch import save_file

from srdemo import models, weights, workspace
from srdemo.caller import LOCAL, Caller
from srdemo.engine import EngineOptions, run_model
from srdemo.errors import SrdemoError

from conftest import add_to_hf_cache, make_compact, shared_path


class _Evil:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_malicious_pickle_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "innocent.pth"
    torch.save({"weight": torch.zeros(1), "payload": _Evil(marker)}, bad, pickle_protocol=2)
    with pytest.raises(SrdemoError, match="never runs"):
        weights.read_state_dict(bad)
    assert not marker.exists()
    # The same payload in a legacy (non-zip) pickle, named .safetensors to fool extension checks:
    legacy = tmp_path / "fake.safetensors"
    legacy.write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(SrdemoError):
        weights.read_state_dict(legacy)
    assert not marker.exists()


def test_torchscript_archive_is_refused(tmp_path):
    scripted = torch.jit.script(torch.nn.Conv2d(3, 3, 3))
    for name in ("model.pt", "model.pth", "weights.bin"):
        path = tmp_path / name
        scripted.save(str(path))
        with pytest.raises(SrdemoError, match="TorchScript"):
            weights.read_state_dict(path)


def test_safetensors_is_recognised_by_content_not_extension(tmp_path):
    path = tmp_path / "weights.pth"  # wrong extension on purpose
    save_file(make_compact(2), str(path))
    model = models.load(str(path), LOCAL)
    assert model.scale == 2 and model.architecture.startswith("RealESRGAN")


def test_plain_state_dict_pth_loads_through_weights_only(tmp_path):
    path = tmp_path / "compact.pth"
    torch.save({"params": make_compact(2)}, path)  # BasicSR-style wrapper, unwrapped by spandrel
    assert models.load(str(path), LOCAL).scale == 2


def test_not_a_model_and_unknown_architecture_are_plain_errors(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"hello world, not weights")
    with pytest.raises(SrdemoError):
        models.load(str(junk), LOCAL)
    unknown = tmp_path / "unknown.safetensors"
    save_file({"foo.weight": torch.zeros(2, 2)}, str(unknown))
    with pytest.raises(SrdemoError, match="not an architecture spandrel recognises"):
        models.load(str(unknown), LOCAL)


@pytest.mark.slow
def test_dctlsa_pt_gives_the_same_output_as_its_safetensors():
    pt = models.load(str(shared_path("ref-weights", "dctlsa_x4.pt")), LOCAL)
    st = models.load(str(shared_path("ref-weights", "dctlsa_x4.safetensors")), LOCAL)
    img = np.random.default_rng(0).random((24, 24, 3), dtype=np.float32)
    a = run_model(pt, img, EngineOptions())
    b = run_model(st, img, EngineOptions())
    assert a.shape == (96, 96, 3)
    assert np.array_equal(a, b)


def test_weights_that_lie_or_carry_code_are_refused_with_no_side_effect(tmp_path):
    marker = tmp_path / "ran"
    cases = {}
    lying = bytearray(struct.pack("<Q", 60) + b'{"w":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}')
    cases["header_lies.safetensors"] = bytes(lying) + b"\x00" * 16  # says 4 MB of data, holds 16 bytes
    cases["huge_header.safetensors"] = struct.pack("<Q", 2**62) + b"{}"
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(1), "x": _Evil(marker)}, buf)  # a pickle inside torch's zip format
    cases["pickle_in_zip.safetensors"] = buf.getvalue()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:  # a bare pickle inside an ordinary zip
        zf.writestr("archive/data.pkl", pickle.dumps(_Evil(marker)))
    cases["bare_zip.pth"] = zipped.getvalue()
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(SrdemoError):
            weights.read_state_dict(path)
        with pytest.raises(SrdemoError):
            models.load(str(path), LOCAL)
    assert not marker.exists()


# ---- refused on what a file says of itself, before any tensor is made


def _safetensors(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _tiny_tensors(n: int) -> bytes:
    header = {f"t{i}": {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i in range(n)}
    return _safetensors(header, bytes(4 * n))


def _tensor_reads(monkeypatch) -> list[str]:
    """Every call that would make tensors, recorded instead of run: a refusal must come before any."""
    calls = []
    monkeypatch.setattr(safetensors.torch, "load_file", lambda *args, **kwargs: calls.append("load_safetensors"))
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: calls.append("torch.load"))
    return calls


def test_a_file_of_400000_tiny_tensors_is_refused_on_its_header(tmp_path, monkeypatch):
    path = tmp_path / "many.safetensors"
    path.write_bytes(_tiny_tensors(400_000))  # 29 MB: 14 s and 550 MB of memory when it was read whole
    calls = _tensor_reads(monkeypatch)
    with pytest.raises(SrdemoError, match=r"^'many.safetensors' takes 2\d.\d MB just to list its tensors"):
        weights.read_state_dict(path)
    assert calls == []


def test_more_tensors_than_an_upscaler_has_are_refused_on_the_header(tmp_path, monkeypatch):
    path = tmp_path / "many.safetensors"
    path.write_bytes(_tiny_tensors(10_001))  # one over the limit, in a header small enough to be read
    calls = _tensor_reads(monkeypatch)
    with pytest.raises(SrdemoError, match="holds more than 10,000 tensors"):
        weights.read_state_dict(path)
    assert calls == []


LYING = {
    "claims more bytes than the file has": (
        {"w": {"dtype": "F32", "shape": [1_000_000], "data_offsets": [0, 4_000_000]}}, 16, "ends at byte 4,000,000"),
    "shape does not fill its bytes": (
        {"w": {"dtype": "F32", "shape": [64, 64, 3, 3], "data_offsets": [0, 16]}}, 16, "not the size of that shape"),
    "two tensors share bytes": (
        {"a": {"dtype": "F16", "shape": [8], "data_offsets": [0, 16]},
         "b": {"dtype": "F16", "shape": [8], "data_offsets": [8, 24]}}, 24, "'a' and 'b' share bytes"),
    "an unknown dtype": ({"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, 16, "header is damaged"),
}


@pytest.mark.parametrize("case", LYING)
def test_a_header_that_does_not_match_its_file_is_refused_before_reading_tensors(case, tmp_path, monkeypatch):
    header, data_bytes, said = LYING[case]
    path = tmp_path / "lies.safetensors"
    path.write_bytes(_safetensors(header, bytes(data_bytes)))
    calls = _tensor_reads(monkeypatch)
    with pytest.raises(SrdemoError, match=said):
        weights.read_state_dict(path)
    assert calls == []


def test_a_header_longer_than_the_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "short.safetensors"
    path.write_bytes(struct.pack("<Q", 1000) + b'{"w":{"dtype":"F32"')
    calls = _tensor_reads(monkeypatch)
    with pytest.raises(SrdemoError, match="its header is damaged"):
        weights.read_state_dict(path)
    assert calls == []


def test_a_torch_archive_with_too_many_entries_or_too_large_a_pickle_is_refused_unread(tmp_path, monkeypatch):
    many = tmp_path / "many.pth"
    with zipfile.ZipFile(many, "w") as zf:  # over 65,535 entries: the count is in the zip64 record
        for i in range(70_000):
            zf.writestr(f"archive/data/{i}", b"")
    trailing = tmp_path / "trailing.pth"  # bytes after the end record: zip readers still find it
    trailing.write_bytes(many.read_bytes() + b"\0")
    big = tmp_path / "big.pth"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:  # 4 MB of pickle, a few KB on disk
        zf.writestr("archive/data.pkl", bytes(4_000_001))
    calls = _tensor_reads(monkeypatch)
    for path in (many, trailing):
        with pytest.raises(SrdemoError, match="holds more than 10,000 tensors"):
            weights.read_state_dict(path)
    with pytest.raises(SrdemoError, match="just to list its tensors"):
        weights.read_state_dict(big)
    assert calls == []


def test_every_route_to_a_model_checks_the_header(tmp_path, monkeypatch, hf_cache):
    """A local file, a Hub file and a trained run all reach their weights through the same check."""
    header, data_bytes, _ = LYING["claims more bytes than the file has"]
    lying = tmp_path / "model.safetensors"
    lying.write_bytes(_safetensors(header, bytes(data_bytes)))
    add_to_hf_cache(hf_cache, "shop/lies-x2", "model.safetensors", lying)
    owner = Caller(owner="mallory")
    run = workspace.new_run_dir(owner.owner)
    (run / "model").mkdir(parents=True)
    shutil.copy(lying, run / "model" / "model.safetensors")
    (run / "run.json").write_text("{}")
    trained = next(spec.id for spec in models.catalogue(owner) if spec.kind == "run")
    calls = _tensor_reads(monkeypatch)
    for ref, caller in ((str(lying), LOCAL), ("shop/lies-x2:model.safetensors", LOCAL), (trained, owner)):
        with pytest.raises(SrdemoError, match="ends at byte 4,000,000"):
            models.load(ref, caller)
    assert calls == []

