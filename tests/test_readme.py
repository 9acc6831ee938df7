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
