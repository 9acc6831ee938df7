"""The README and Space metadata stay true to the code."""

import re

import gradio
import yaml

from srdemo import models
from srdemo.settings import ENV_VARS

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def _front_matter() -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", README, re.S)
    assert match, "README must start with the Space's YAML front matter"
    return yaml.safe_load(match.group(1))


def test_space_front_matter_matches_the_app():
    meta = _front_matter()
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["sdk_version"] == gradio.__version__
    assert meta["hf_oauth"] is True and "write-repos" in meta["hf_oauth_scopes"]
    hub_repos = {s.hub_file.repo_id for s in models.HUB_MODELS}
    assert hub_repos == set(meta["models"])


def test_every_setting_is_documented():
    for name, _, _ in ENV_VARS:
        assert f"`{name}`" in README


def test_every_catalogue_model_is_documented():
    for spec in [*models.RESAMPLERS, *models.HUB_MODELS, *models.builtin_specs()]:
        assert f"`{spec.id}`" in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = ".venv/bin/python -m pytest"
    assert f"{command}   " in README or f"{command}\n" in README
    assert ci.strip().splitlines()[-1] == command


def test_the_cpu_only_set_up_installs_the_pinned_torch_first_then_the_same_as_the_default():
    """Following the CPU-only line literally must never pull the CUDA build: the pinned torch and
    torchvision come from PyTorch's CPU index before anything else can ask pip for them."""
    lines = [line.split("#")[0].strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S) for line in block.splitlines()]
    default = next(line for line in lines if line.startswith("python3 -m venv") and "download.pytorch.org" not in line)
    cpu = next(line for line in lines if "download.pytorch.org/whl/cpu" in line)
    steps = [step.strip() for step in cpu.split("&&")]
    pins = dict(re.findall(r"^(torch|torchvision)==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M))
    assert steps[0] == "python3 -m venv .venv"
    assert steps[1] == (f".venv/bin/pip install torch=={pins['torch']} torchvision=={pins['torchvision']} "
                        "--index-url https://download.pytorch.org/whl/cpu")
    assert " && ".join(steps[:1] + steps[2:]) == default  # then exactly the default set-up
    assert default in (ROOT / ".ci" / "run").read_text().replace(" -q", "")  # what CI runs on a clean machine (quietly)


def test_the_python_block_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's Python example, executed unchanged from a folder laid out like the repository."""
    from PIL import Image

    (block,) = re.findall(r"```python\n(.*?)```", README, re.S)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    saved = tmp_path / "out" / "packaging_small_x4.png"
    assert Image.open(saved).size == (512, 512)
    printed = capsys.readouterr().out
    assert str(saved.relative_to(tmp_path)) in printed and "Model: x4" in printed and "Sharpness check" in printed


def test_every_command_is_documented():
    from srdemo.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"srdemo {name}" in README or f"-m srdemo {name}" in README, name
