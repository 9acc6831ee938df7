"""Who asks, decided once: minted owner keys, the visitor caller, and admission under one lock."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

from srdemo import caller as caller_module
from srdemo.caller import ANONYMOUS, LOCAL, Caller, mint_key, owner_of_key
from srdemo.errors import SrdemoError
from srdemo.jobs import JobManager
from srdemo.request import UpscaleRequest

ROOT = Path(__file__).resolve().parents[1]


def test_a_minted_key_names_its_owner_and_a_changed_one_names_nobody():
    key = mint_key("browser")
    version, kind, random_part, mac = key.split(".")
    assert owner_of_key(key) == owner_of_key(key, "browser") == f"browser:{random_part}"
    assert mac not in owner_of_key(key)  # the signature never becomes part of an owner (folders, logs)
    flipped = "0" if random_part[0] != "0" else "1"
    forged = [
        f"{version}.{kind}.{flipped}{random_part[1:]}.{mac}",  # another random part with this signature
        f"{version}.{kind}.{random_part}.{'0' * len(mac)}",  # a made-up signature
        f"{version}.batch.{random_part}.{mac}",  # the same signature for another kind
        f"k0.{kind}.{random_part}.{mac}",
        "test", "", "agent-7f3a", None, key + ".", key * 40,
    ]
    assert [owner_of_key(k) for k in forged] == [None] * len(forged)
    assert owner_of_key(key, "batch") is None  # a browser key is not a batch id


def test_keys_minted_under_another_secret_are_refused(monkeypatch):
    key = mint_key("batch")
    monkeypatch.setenv("SRDEMO_SECRET", "another server's secret")
    assert owner_of_key(key) is None
    assert owner_of_key(mint_key("batch")) is not None


def test_the_secret_is_kept_private_in_the_run_folder_and_survives_a_restart(tmp_path, monkeypatch):
    monkeypatch.delenv("SRDEMO_SECRET", raising=False)
    monkeypatch.setenv("SRDEMO_RUN_DIR", str(tmp_path))
    key = mint_key("browser")
    assert (tmp_path / "owner-secret").stat().st_mode & 0o077 == 0
    caller_module._secret.cache_clear()  # a restarted app reads the same secret from its file
    assert owner_of_key(key) is not None


def test_a_caller_is_a_visitor_unless_the_machines_user_is_asked_for_by_name():
    assert not Caller("someone").trusted and not Caller.visitor("x").trusted
    assert LOCAL.trusted and Caller.local("hf_x").trusted
    with pytest.raises(TypeError):
        UpscaleRequest(model="x4")  # no request without someone asking
    with pytest.raises(SrdemoError, match="no identity"):
        Caller.visitor(ANONYMOUS).job_owner()


def test_no_module_of_the_app_can_reach_the_machines_user():
    """The app's adapters get callers only from ``common.caller_of`` (or the identity-less ``ANYONE``): none
    builds one, names LOCAL or Caller.local, or passes trusted=."""
    offenders = []
    for path in sorted((ROOT / "srdemo" / "ui").glob("*.py")) + [ROOT / "app.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "LOCAL":
                offenders.append(f"{path.name}:{node.lineno} LOCAL")
            elif isinstance(node, ast.Attribute) and node.attr == "local":
                offenders.append(f"{path.name}:{node.lineno} .local")
            elif isinstance(node, ast.alias) and node.name == "LOCAL":
                offenders.append(f"{path.name}:{node.lineno} imports LOCAL")
            elif isinstance(node, ast.Call) and path.name != "common.py" and ast.unparse(node.func) in ("Caller", "Caller.visitor"):
                offenders.append(f"{path.name}:{node.lineno} builds a Caller")
            elif isinstance(node, ast.keyword) and node.arg == "trusted":
                offenders.append(f"{path.name}:{node.lineno} trusted=")
    assert offenders == []


def _burst(manager: JobManager, owners: list[str], **limits) -> tuple[list, list[str], threading.Event]:
    """Submit one job per owner from as many threads, released together; each job holds its slot until ``release``."""
    release = threading.Event()
    started, refused = [], []
    gate = threading.Barrier(len(owners))

    def submit(owner: str) -> None:
        gate.wait()
        try:
            started.append(manager.submit(owner, "training", lambda job: release.wait(30), **limits))
        except SrdemoError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=submit, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return started, refused, release


def test_a_limit_of_one_training_holds_under_a_burst_of_starts():
    manager = JobManager()
    started, refused, release = _burst(manager, [f"browser:{i}" for i in range(8)], max_unfinished=1)
    try:
        assert len(started) == 1 and len(refused) == 7
        assert all("Someone else's training" in r for r in refused)
    finally:
        release.set()


def test_one_owner_bursting_gets_one_job():
    manager = JobManager()
    started, refused, release = _burst(manager, ["browser:same"] * 6, max_unfinished=5)
    try:
        assert len(started) == 1 and len(refused) == 5
    finally:
        release.set()


def test_an_anonymous_visitor_starts_no_job():
    with pytest.raises(SrdemoError, match="no identity"):
        JobManager().submit(ANONYMOUS, "batch", lambda job: None)


def test_four_simultaneous_training_starts_give_one_training(tmp_path, monkeypatch):
    """The Train tab's path (``runs._submit``) under a burst, with ``SRDEMO_MAX_TRAININGS=1``: one runs, three are refused."""
    from tiny_runs import tiny_config, tiny_photos

    from srdemo import runs

    monkeypatch.setenv("SRDEMO_MAX_TRAININGS", "1")
    monkeypatch.setattr(runs, "JOBS", JobManager())
    release, training = threading.Event(), []
    monkeypatch.setattr(runs, "train", lambda config, **kw: (training.append(config), release.wait(30)))
    monkeypatch.setattr(runs, "_check_free", lambda owner: None)  # as if all four passed the early check together
    (tmp_path / "d").mkdir()
    photos = tiny_photos(tmp_path / "d")
    gate, started, refused = threading.Barrier(4), [], []

    def start(i: int) -> None:
        config = tiny_config(photos, tmp_path / f"r{i}" / "model", steps=4)
        gate.wait()
        try:
            started.append(runs._submit(f"browser:{i}", tmp_path / f"r{i}", config))
        except SrdemoError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=start, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(started) == 1 and len(refused) == 3
    finally:
        release.set()
        deadline = time.time() + 30
        while any(job.running for job in started) and time.time() < deadline:  # no thread outlives the test
            time.sleep(0.05)


def test_a_training_holds_its_memory_in_the_budget_upscales_share(tmp_path, monkeypatch):
    """While a run trains, the memory its steps need is held in ``devices.MEMORY``, and given back when it ends."""
    from tiny_runs import tiny_config, tiny_photos

    from srdemo import devices, runs
    from srdemo.training.config import memory_estimate

    monkeypatch.setattr(runs, "JOBS", JobManager())
    monkeypatch.setattr(runs, "MEMORY", devices.MemoryBudget())  # not the process's: earlier tests' jobs may still hold some
    held, release = [], threading.Event()
    monkeypatch.setattr(runs, "train", lambda config, **kw: (held.append(runs.MEMORY.in_use), release.wait(30)))
    (tmp_path / "d").mkdir()
    config = tiny_config(tiny_photos(tmp_path / "d"), tmp_path / "r" / "model", steps=4)
    job = runs._submit("browser:trainer", tmp_path / "r", config)
    deadline = time.time() + 30
    while not held and time.time() < deadline:
        time.sleep(0.05)
    release.set()
    while job.running and time.time() < deadline:
        time.sleep(0.05)
    assert held == [memory_estimate(config)] and runs.MEMORY.in_use == 0
