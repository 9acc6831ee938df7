"""Reading weights safely: decided by content, never running code from a file."""

import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from srdemo import models, weights
from srdemo.engine import EngineOptions, run_model
from srdemo.errors import SrdemoError

from conftest import make_compact, shared_path


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
    model = models.load(str(path))
    assert model.scale == 2 and model.architecture.startswith("RealESRGAN")


def test_plain_state_dict_pth_loads_through_weights_only(tmp_path):
    path = tmp_path / "compact.pth"
    torch.save({"params": make_compact(2)}, path)  # BasicSR-style wrapper, unwrapped by spandrel
    assert models.load(str(path)).scale == 2


def test_not_a_model_and_unknown_architecture_are_plain_errors(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"hello world, not weights")
    with pytest.raises(SrdemoError):
        models.load(str(junk))
    unknown = tmp_path / "unknown.safetensors"
    save_file({"foo.weight": torch.zeros(2, 2)}, str(unknown))
    with pytest.raises(SrdemoError, match="not an architecture spandrel recognises"):
        models.load(str(unknown))


@pytest.mark.slow
def test_dctlsa_pt_gives_the_same_output_as_its_safetensors():
    pt = models.load(str(shared_path("ref-weights", "dctlsa_x4.pt")))
    st = models.load(str(shared_path("ref-weights", "dctlsa_x4.safetensors")))
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
            models.load(str(path))
    assert not marker.exists()
