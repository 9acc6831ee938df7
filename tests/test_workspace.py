"""Per-owner folders: separate, unguessable, everything below them; uploads deleted after the retention time."""

import os
import time

from srdemo import workspace


def test_owners_get_separate_unguessable_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    a, b = workspace.owner_dir("browser:aaa"), workspace.owner_dir("browser:bbb")
    assert a != b and a.parent == b.parent and "aaa" not in str(a)


def test_uploads_older_than_the_retention_time_are_deleted(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    old = workspace.owner_dir("x") / "run-old" / "uploads"
    new = workspace.owner_dir("x") / "run-new" / "uploads"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "p.png").write_bytes(b"x")
    (workspace.owner_dir("x") / "run-old" / "model").mkdir()
    past = time.time() - 30 * 3600
    os.utime(old, (past, past))
    assert workspace.purge_old_uploads(24) == 1
    assert not old.exists() and new.exists() and (workspace.owner_dir("x") / "run-old" / "model").exists()


def test_batches_and_runs_of_one_owner_live_below_the_same_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    home = workspace.owner_dir("browser:aaa")
    assert workspace.new_batch_dir("browser:aaa").parent.parent == home
    assert workspace.new_run_dir("browser:aaa").parent == home
    assert workspace.new_run_dir("browser:aaa") != workspace.new_run_dir("browser:aaa")
    assert workspace.run_dirs("browser:aaa") == []  # a folder without run.json is not a run
    run = workspace.new_run_dir("browser:aaa")
    run.mkdir(parents=True)
    (run / "run.json").write_text("{}")
    assert workspace.run_dirs("browser:aaa") == [run] and workspace.run_dirs("browser:bbb") == []


def test_scratch_lives_below_the_owner_and_old_scratch_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    old = workspace.scratch_dir("browser:aaa")
    (old / "result.png").write_bytes(b"x" * 1000)
    assert old.parent.parent == workspace.owner_dir("browser:aaa") and workspace.disk_used("browser:aaa") == 1000
    assert workspace.scratch_dir("browser:bbb", "copy") == workspace.scratch_dir("browser:bbb", "copy")
    past = time.time() - workspace.SCRATCH_SECONDS - 60
    os.utime(old, (past, past))
    new = workspace.scratch_dir("browser:bbb")  # anyone's request clears everyone's stale scratch
    assert not old.exists() and new.exists() and workspace.disk_used("browser:aaa") == 0

