"""The process's memory: what the machine or its container has left, and one budget every job holds its part of."""

import threading
from pathlib import Path

import pytest

from srdemo import devices
from srdemo.devices import MemoryBudget, available_memory
from srdemo.errors import Cancelled, SrdemoError

GB = 1024**3


def _meminfo(root: Path, free_kb: int, available_kb: int) -> None:
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / "proc" / "meminfo").write_text(
        f"MemTotal:       32000000 kB\nMemFree:        {free_kb} kB\nMemAvailable:   {available_kb} kB\n"
    )


def _files(folder: Path, **figures: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in figures.items():
        (folder / name.replace("_", ".", 1)).write_text(value + "\n")


def test_the_host_figure_is_memavailable_not_memfree(tmp_path):
    _meminfo(tmp_path, free_kb=1_000_000, available_kb=8 * 1024**2)  # page cache counts as available
    assert available_memory(tmp_path) == 8 * GB


def test_a_cgroup_v2_limit_less_its_usage_caps_the_host_figure(tmp_path):
    _meminfo(tmp_path, free_kb=6 * 1024**2, available_kb=8 * 1024**2)
    _files(tmp_path / "sys" / "fs" / "cgroup", memory_max=str(2 * GB), memory_current=str(GB // 2))
    assert available_memory(tmp_path) == 2 * GB - GB // 2


def test_a_cgroup_v2_without_a_limit_leaves_the_host_figure(tmp_path):
    _meminfo(tmp_path, free_kb=1_000_000, available_kb=8 * 1024**2)
    _files(tmp_path / "sys" / "fs" / "cgroup", memory_max="max", memory_current=str(GB))
    assert available_memory(tmp_path) == 8 * GB


def test_a_cgroup_v1_limit_less_its_usage_caps_the_host_figure(tmp_path):
    _meminfo(tmp_path, free_kb=6 * 1024**2, available_kb=8 * 1024**2)
    v1 = tmp_path / "sys" / "fs" / "cgroup" / "memory"
    _files(v1, memory_limit_in_bytes=str(GB), memory_usage_in_bytes=str(GB // 4))
    assert available_memory(tmp_path) == GB - GB // 4
    _files(v1, memory_limit_in_bytes="9223372036854771712")  # v1's "no limit"
    assert available_memory(tmp_path) == 8 * GB


def test_a_container_over_its_limit_has_nothing_left_and_nothing_known_is_none(tmp_path):
    _files(tmp_path / "sys" / "fs" / "cgroup", memory_max=str(GB), memory_current=str(2 * GB))
    assert available_memory(tmp_path) == 0  # no /proc/meminfo here: the cgroup's figure alone
    assert available_memory(tmp_path / "nothing") is None


def _waiter(budget: MemoryBudget, need: int, told: threading.Event, inside: threading.Event,
            leave: threading.Event) -> threading.Thread:
    def run():
        with budget.hold(need, waiting=told.set):
            inside.set()
            leave.wait(60)

    worker = threading.Thread(target=run)
    worker.start()
    return worker


def test_jobs_wait_in_arrival_order_and_a_big_one_is_not_passed_by_small_ones(monkeypatch):
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "100")
    monkeypatch.setattr(devices, "available_memory", lambda root=None: None)
    budget = MemoryBudget()
    first = budget.hold(60_000_000)
    first.__enter__()
    events = {k: (threading.Event(), threading.Event(), threading.Event()) for k in ("big", "small")}
    big = _waiter(budget, 60_000_000, *events["big"])
    assert events["big"][0].wait(60)  # in line before the small one comes
    small = _waiter(budget, 10_000_000, *events["small"])
    assert events["small"][0].wait(60)  # it would fit beside the first, but the big one came before it
    assert not events["big"][1].is_set() and not events["small"][1].is_set() and budget.in_use == 60_000_000
    first.__exit__(None, None, None)
    assert events["big"][1].wait(60) and events["small"][1].wait(60)  # 60 + 10 fit together
    assert budget.in_use == 70_000_000
    for k, worker in (("big", big), ("small", small)):
        events[k][2].set()
        worker.join(60)
    assert budget.in_use == 0


def test_a_job_bigger_than_the_budget_or_than_the_machine_has_is_refused(monkeypatch):
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "100")
    budget = MemoryBudget()
    monkeypatch.setattr(devices, "available_memory", lambda root=None: None)
    with pytest.raises(SrdemoError, match=r"about 0\.2 GB of memory.* at most 0\.1 GB"):
        with budget.hold(200_000_000):
            pass
    monkeypatch.setattr(devices, "available_memory", lambda root=None: 30_000_000)  # a container near its limit
    with pytest.raises(SrdemoError, match=r"at most 0\.0 GB"):
        with budget.hold(50_000_000):
            pass
    with budget.hold(20_000_000):
        assert budget.in_use == 20_000_000
    assert budget.in_use == 0


def test_a_cancelled_job_leaves_the_line_and_the_next_one_goes(monkeypatch):
    monkeypatch.setenv("SRDEMO_MEMORY_MB", "100")
    monkeypatch.setattr(devices, "available_memory", lambda root=None: None)
    budget = MemoryBudget()
    stop, told, outcome = threading.Event(), threading.Event(), []

    def cancelled_one():
        try:
            with budget.hold(80_000_000, waiting=told.set, should_stop=stop.is_set):
                outcome.append("ran")
        except Cancelled:
            outcome.append("cancelled")

    with budget.hold(50_000_000):
        worker = threading.Thread(target=cancelled_one)
        worker.start()
        assert told.wait(60)
        stop.set()
        worker.join(60)
        assert outcome == ["cancelled"]
        with budget.hold(50_000_000):  # the line is empty again: the next job is not stuck behind it
            assert budget.in_use == 100_000_000
