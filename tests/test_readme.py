"""The README, the pages under docs/ and the Space metadata stay true to the code.

The README is a newcomer's page (what srdemo is, the commands for a fresh machine, a short tour);
the reference material lives in docs/. Each test reads the page its material is on.
"""

import re
import shlex

import gradio
import pytest
import yaml

from srdemo import models
from srdemo.settings import ENV_VARS

from conftest import ROOT

README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
PAGES = {path.relative_to(ROOT).as_posix(): path.read_text() for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]}


def _doc(name: str) -> str:
    return (DOCS / name).read_text()


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _table(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with ``header``, as lists of cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.strip().startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


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


def test_the_readme_stays_a_newcomers_page():
    """Reference material goes to docs/, each page linked from the README."""
    assert len(README.splitlines()) <= 300, "README.md is over 300 lines: move the reference material to docs/"
    for page in sorted(DOCS.glob("*.md")):
        assert f"](docs/{page.name})" in README, f"docs/{page.name} is not linked from the README"


# ------------------------------------------------------------------ the commands for a fresh machine

def _ci_steps() -> tuple[str, str]:
    """.ci/run's set-up line (as the README writes it, without -q) and its last line, the test command."""
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    setup = next(line for line in lines if line.startswith("python3 -m venv"))
    return setup.replace(" -q", ""), lines[-1]


def _command_lines(text: str) -> list[str]:
    return [line.split("  #")[0].strip() for block in _blocks(text, "bash") for line in block.splitlines()]


def test_the_two_fresh_machine_commands_set_up_then_run_the_app_and_what_ci_runs():
    setup, test_command = _ci_steps()
    assert test_command == ".venv/bin/python -m pytest"  # CI runs the whole suite, nothing filtered
    fresh = [line for line in _command_lines(README) if line.startswith("python3 -m venv") and "download.pytorch.org" not in line]
    assert fresh == [f"{setup} && .venv/bin/python app.py", f"{setup} && {test_command}"]


def test_the_cpu_only_set_up_installs_the_pinned_torch_first_then_the_same_as_the_default():
    """Following the CPU-only line literally must never pull the CUDA build: the pinned torch and
    torchvision come from PyTorch's CPU index before anything else can ask pip for them."""
    setup, _ = _ci_steps()
    cpu = next(line for line in _command_lines(README) if "download.pytorch.org/whl/cpu" in line)
    steps = [step.strip() for step in cpu.split("&&")]
    pins = dict(re.findall(r"^(torch|torchvision)==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M))
    assert steps[0] == "python3 -m venv .venv"
    assert steps[1] == (f".venv/bin/pip install torch=={pins['torch']} torchvision=={pins['torchvision']} "
                        "--index-url https://download.pytorch.org/whl/cpu")
    assert " && ".join(steps[:1] + steps[2:]) == setup  # then exactly the default set-up, which CI runs


def test_the_quick_test_command_leaves_out_a_marker_that_exists():
    assert '.venv/bin/python -m pytest -m "not slow"' in _command_lines(README)
    assert re.search(r'^\s*"slow:', (ROOT / "pyproject.toml").read_text(), re.M)


# ------------------------------------------------------------------ reference pages against the code

def test_the_settings_table_is_env_vars_row_for_row():
    rows = _table(_doc("hosting.md"), "| variable | default | meaning |")
    assert rows == [[f"`{name}`", default, meaning] for name, default, meaning in ENV_VARS]


def test_every_catalogue_model_has_a_row_with_its_scale():
    rows = {row[0]: row for row in _table(_doc("models-and-benchmarks.md"), "| id | label | scale |")}
    specs = [*models.RESAMPLERS, *models.HUB_MODELS, *models.builtin_specs()]
    assert set(rows) == {f"`{spec.id}`" for spec in specs}
    for spec in specs:
        native = "any" if spec.kind == "resampler" else "/".join(f"x{s}" for s in spec.scales)  # a resampler makes any size
        assert rows[f"`{spec.id}`"][2] == native, spec.id


def test_the_presets_table_is_the_code_s_presets():
    from srdemo.presets import PRESETS

    rows = _table(_doc("using-the-app.md"), "| preset | what | format | source |")
    assert rows[:-1] == [[f"`{p.id}`", p.label, p.format, f"{p.source} (checked {p.checked})"] for p in PRESETS.values()]
    assert rows[-1][0] == "custom"


def test_the_python_block_runs_as_written(tmp_path, monkeypatch, capsys):
    """The Python example, executed unchanged from a folder laid out like the repository."""
    from PIL import Image

    (block,) = _blocks(_doc("cli-and-python.md"), "python")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/cli-and-python.md", "exec"), {})
    saved = tmp_path / "out" / "packaging_small_x4.png"
    assert Image.open(saved).size == (512, 512)
    printed = capsys.readouterr().out
    assert str(saved.relative_to(tmp_path)) in printed and "Model: x4" in printed and "Sharpness check" in printed


def test_every_command_is_documented():
    from srdemo.cli import build_parser

    page = _doc("cli-and-python.md")
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"srdemo {name}" in page or f"-m srdemo {name}" in page, name


def test_every_srdemo_command_shown_parses():
    """Every ``srdemo ...`` line in a bash block of the README or docs/ is one the command line takes
    (optional parts in [brackets] included)."""
    from srdemo.cli import build_parser

    shown = 0
    for page, text in PAGES.items():
        for line in _command_lines(text):
            match = re.search(r"(?:^|/|-m )srdemo (.*)$", line)
            if not match or "..." in line:
                continue
            args = shlex.split(match.group(1).replace("[", "").replace("]", ""))
            try:
                build_parser().parse_args(args)
            except SystemExit:
                pytest.fail(f"{page}: the command line refuses `{line}`")
            shown += 1
    assert shown >= 12


def test_the_agents_tools_table_is_what_the_app_serves():
    served = re.findall(r'api_name="(\w+)"', (ROOT / "srdemo" / "ui" / "tools.py").read_text())
    rows = _table(_doc("cli-and-python.md"), "| tool | what it does |")
    assert [row[0] for row in rows] == [f"`{name}`" for name in served]


def test_every_benchmark_script_has_its_command():
    (block,) = [b for b in _blocks(_doc("models-and-benchmarks.md"), "bash") if "benchmarks/" in b]
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        assert f".venv/bin/python benchmarks/{script.name}" in block, script.name


# ------------------------------------------------------------------ links and the picture

def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_every_link_between_the_pages_lands():
    checked = 0
    for page, text in PAGES.items():
        here = (ROOT / page).parent
        for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", text, flags=re.S)):
            if re.match(r"\w+://", target):
                continue
            path, _, anchor = target.partition("#")
            file = (here / path).resolve() if path else ROOT / page
            assert file.is_file(), f"{page}: {target} points at nothing"
            if anchor:
                assert anchor in _anchors(file.read_text()), f"{page}: {target} has no such heading"
            checked += 1
    assert checked >= 30


def test_the_readme_shows_the_upscale_tab_at_laptop_size():
    from PIL import Image

    assert "![" in README and "](docs/upscale-tab.png)" in README
    with Image.open(DOCS / "upscale-tab.png") as shot:
        assert shot.format == "PNG" and shot.size == (1366, 768)
