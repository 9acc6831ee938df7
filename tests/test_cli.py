"""The command line, run as a user would (``python -m srdemo``) and in-process."""

import os
import subprocess
import sys

import pytest
from PIL import Image

from srdemo.cli import main

from conftest import ROOT, shared_path


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "srdemo", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=300,
    )


def test_upscale_writes_named_files_of_the_right_size(tmp_path):
    src = ROOT / "examples" / "packaging_small.png"
    proc = _run("upscale", str(src), "--model", "lanczos", "--scale", "3", "--out", str(tmp_path), "--format", "webp")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "packaging_small_lanczos_x3.webp"
    assert Image.open(out).size == (384, 384)
    assert "Sharpness check" in proc.stdout


def test_errors_are_one_line_with_exit_status_2(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    proc = _run("upscale", str(bad), "--model", "lanczos", "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("srdemo: ") and "Traceback" not in proc.stderr
    proc = _run("upscale", str(bad), "--model", "no-such-model", "--out", str(tmp_path))
    assert proc.returncode == 2 and "Unknown model" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_models_lists_the_catalogue(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "lanczos" in out and "realesrgan-x4" in out and "needs download" in out
    assert out.splitlines()[0].split()[0] == "auto" and "Automatic (recommended)" in out.splitlines()[0]


def test_a_failing_file_does_not_stop_the_others(tmp_path, capsys):
    good = ROOT / "examples" / "jar_label_text.png"
    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    assert main(["upscale", str(bad), str(good), "--model", "bicubic", "--scale", "2", "--out", str(tmp_path / "o")]) == 2
    assert (tmp_path / "o" / "jar_label_text_bicubic_x2.png").exists()
    assert "empty (0 bytes)" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_with_and_without_given_lr_agree(capsys):
    folder = shared_path("data", "benchmarks", "Set5", "x4")
    weights = str(shared_path("ref-weights", "span_ch28_x4.safetensors"))
    assert main(["eval", "--model", weights, "--scale", "4", "--hr", str(folder / "HR"), "--lr", str(folder / "LR")]) == 0
    given = capsys.readouterr().out
    assert main(["eval", "--model", weights, "--scale", "4", "--hr", str(folder / "HR")]) == 0
    made = capsys.readouterr().out
    mean_given = float(given.strip().splitlines()[-1].split()[1])
    mean_made = float(made.strip().splitlines()[-1].split()[1])
    assert mean_given == pytest.approx(31.75, abs=0.02)  # shared README's figure for this model
    assert mean_made == pytest.approx(mean_given, abs=0.05)


def test_without_model_automatic_picks_the_builtin_for_the_scale(tmp_path):
    from srdemo import auto

    src = ROOT / "examples" / "packaging_small.png"  # a clean PNG
    at_2 = auto.row_for("clean", "x2", "cpu", auto.load_rules())["models"][0]  # the rule table's choice on a CPU
    x2_name = "x2" if at_2 == "x2" else f"{at_2}_x2"  # a model of another scale is named with the scale it made
    for scale, expected in (("2", x2_name), ("4", "x4"), ("3", "x4_x3")):  # x3 is in x4's band
        assert main(["upscale", str(src), "--scale", scale, "--out", str(tmp_path)]) == 0
        assert (tmp_path / f"packaging_small_{expected}.png").exists(), sorted(p.name for p in tmp_path.iterdir())


def test_upscale_with_a_model_not_yet_exported_ends_with_no_export_running(tmp_path, compact_file):
    """A new model is exported in the background in the app; a one-shot command that started one ended inside it
    (exit status 134 after the result was written) or would wait minutes for it: the command line starts none."""
    script = (
        "import sys, threading\n"
        "from srdemo.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "assert not [t for t in threading.enumerate() if t.name == 'srdemo-onnx-export'], 'an export is running'\n"
        "sys.exit(status)\n"
    )
    src = ROOT / "examples" / "packaging_small.png"
    env = {**os.environ, "SRDEMO_RUN_DIR": str(tmp_path / "runs"), "SRDEMO_BACKEND": "auto"}
    proc = subprocess.run(
        [sys.executable, "-c", script, "upscale", str(src), "--model", str(compact_file), "--scale", "2",
         "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [p.name for p in (tmp_path / "out").glob("packaging_small_*.png")]
    assert not (tmp_path / "runs" / "onnx-cache").exists()
