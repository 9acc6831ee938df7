"""Shared test set-up: offline Hub, private caches, tiny models made in code.

The whole suite runs with HF_HUB_OFFLINE=1 and its own cache folders, so no
test can reach the network or read a developer's real caches.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="srdemo-tests-"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = str(_TMP / "hf-home")
os.environ["HF_HUB_CACHE"] = str(_TMP / "hf-home" / "hub")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["SRDEMO_RUN_DIR"] = str(_TMP / "runs")  # never the developer's own runs and caches
os.environ["SRDEMO_SECRET"] = "srdemo-tests"  # one signing secret for the tests and the apps they launch: keys minted at import stay valid
os.environ.pop("HF_TOKEN", None)

import contextlib  # noqa: E402
import hashlib  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)} (the project's read-only test data), which is absent")
    return path


def make_compact(scale: int = 2, seed: int = 0, feat: int = 16, convs: int = 4) -> dict[str, torch.Tensor]:
    """A small Real-ESRGAN 'Compact' (SRVGGNetCompact) state dict: convolutional, loads with spandrel."""
    from spandrel.architectures.Compact import Compact as SRVGGNetCompact

    torch.manual_seed(seed)
    net = SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=feat, num_conv=convs, upscale=scale, act_type="prelu")
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(0.3)  # keep random outputs in a sane range
    return {k: v.contiguous() for k, v in net.state_dict().items()}


@pytest.fixture()
def compact_file(tmp_path: Path) -> Path:
    path = tmp_path / "compact_x2.safetensors"
    save_file(make_compact(2), str(path))
    return path


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    """Each test starts with no model loaded and no speed measured in this process."""
    from srdemo.engine import SPEEDS
    from srdemo.models import MODEL_CACHE

    MODEL_CACHE.clear()
    SPEEDS.forget()
    yield
    MODEL_CACHE.clear()
    SPEEDS.forget()


@pytest.fixture(autouse=True)
def _no_background_exports(request, monkeypatch):
    """A model loaded in a test runs on what it has (the built-ins' shipped ONNX exports, else torch):
    background exports would switch a test's backend halfway. Tests marked ``exports`` let them run."""
    from srdemo import backends

    if request.node.get_closest_marker("exports") is None:
        monkeypatch.setattr(backends._EXPORTER, "submit", lambda *args: None)
    yield
    backends.wait_for_exports()


def add_to_hf_cache(cache: Path, repo_id: str, filename: str, source: Path, commit: str | None = None) -> Path:
    """Lay a file into a Hugging Face cache exactly as huggingface_hub does:
    blobs/<sha256>, snapshots/<commit>/<filename> -> ../../blobs/<sha256>, refs/main = <commit>."""
    data = source.read_bytes()
    blob_id = hashlib.sha256(data).hexdigest()
    commit = commit or hashlib.sha1(repo_id.encode() + filename.encode()).hexdigest()
    repo_dir = cache / f"models--{repo_id.replace('/', '--')}"
    (repo_dir / "blobs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "blobs" / blob_id).write_bytes(data)
    (repo_dir / "refs" / "main").write_text(commit)
    link = repo_dir / "snapshots" / commit / filename
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(os.path.relpath(repo_dir / "blobs" / blob_id, link.parent))
    return link


@pytest.fixture()
def hf_cache(tmp_path: Path, monkeypatch) -> Path:
    """A private, empty Hugging Face hub cache that huggingface_hub uses for this test."""
    import huggingface_hub.constants as c

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))
    return cache


def rgb_noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    return out


def chromium_path() -> str:
    """The Chromium that browser tests drive; skip (or, under CI, fail) when missing."""
    path = os.environ.get("SRDEMO_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists() and not shutil.which(path):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {path} (set SRDEMO_CHROMIUM); CI must run the browser tests.")
        pytest.skip(f"Chromium not found at {path}; install Debian's chromium or set SRDEMO_CHROMIUM")
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def launched_app(tmp_path_factory, **env_extra: str):
    """The real app, launched as a user would (``python app.py``), on a free port; yields its URL."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    models_dir = tmp_path_factory.mktemp("app-models")
    save_file(make_compact(2), str(models_dir / "compact_x2.safetensors"))
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "SRDEMO_MAX_FILE_MB": "5",
           "SRDEMO_MODEL_DIR": str(models_dir), "SRDEMO_RUN_DIR": str(tmp_path_factory.mktemp("app-runs")),
           **env_extra}
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited early:\n{log.read_text()}")
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError(f"app did not start:\n{log.read_text()}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app every UI test shares."""
    with launched_app(tmp_path_factory) as url:
        yield url


def png_bytes(img) -> bytes:
    """A PIL image as PNG file bytes (what an upload or a zip entry holds)."""
    import io

    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
"""Debian's Chromium, headless, without the background connections this machine's closed network refuses."""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()
