"""Devices: which one, which precision, and the fair lock every tile and training step takes."""

import sys
import threading

import pytest
import torch

from srdemo import devices, models
from srdemo.caller import LOCAL


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file), LOCAL)


def test_half_precision_only_where_spandrel_allows_and_never_on_cpu(compact):
    d = compact.descriptor
    assert devices.pick_dtype(d, torch.device("cpu"), "auto") == torch.float32
    assert devices.pick_dtype(d, torch.device("mps"), "fp32") == torch.float32
    d_half = type("D", (), {"supports_half": True, "supports_bfloat16": False})()
    d_none = type("D", (), {"supports_half": False, "supports_bfloat16": False})()
    assert devices.pick_dtype(d_half, torch.device("mps"), "auto") == torch.float16
    assert devices.pick_dtype(d_none, torch.device("mps"), "auto") == torch.float32


def test_device_lock_serves_waiters_in_arrival_order():
    """A thread re-acquiring in a tight loop (training) must not starve a waiting upscale: the waiter gets
    the lock after at most the one step that asked before it (a plain threading.Lock let the trainer take
    it again and again, about 0.5 s of steps)."""
    lock = devices.FairLock()
    stop, started = threading.Event(), threading.Event()
    steps = [0]

    def trainer():
        while not stop.is_set():
            with lock:
                steps[0] += 1
                started.set()
                sum(range(30000))  # about a millisecond of work holding the lock and the GIL

    t = threading.Thread(target=trainer)
    t.start()
    assert started.wait(30)
    passed = []
    for _ in range(5):
        before = steps[0]
        with lock:
            passed.append(steps[0] - before)
    stop.set()
    t.join()
    assert max(passed) <= 1


def test_pick_device_prefers_cuda_then_mps_and_names_the_gpu(monkeypatch):
    """The GPU branches, faked on this CPU machine: a bare 'cuda' becomes the current GPU, 'mps' becomes mps:0."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert devices.pick_device() == devices.Device("cuda", 1)
    assert devices.pick_device("cuda") == devices.Device("cuda", 1)
    assert str(devices.pick_device("cuda:0")) == "cuda:0"  # an explicit index is kept, as torch names it
    assert devices.pick_device("cpu") == devices.Device("cpu")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert devices.pick_device() == devices.Device("mps", 0)

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.pick_device() == devices.Device("cpu")


def test_a_linux_machine_with_no_sign_of_a_gpu_is_a_cpu_without_asking_torch(tmp_path):
    """Asking torch means importing it (seconds), which a CPU upscale with a built-in never needs; where a
    GPU driver has left its files, torch decides (a fresh process: this one has torch loaded)."""
    import subprocess

    sign = tmp_path / "nvidiactl"
    script = f"""
import sys
from srdemo import devices
sys.platform = "linux"
devices.GPU_SIGNS = ({str(sign)!r},)
print(devices.pick_device(), "torch" in sys.modules)
open({str(sign)!r}, "w").close()
print(devices.pick_device().type in ("cpu", "cuda"), "torch" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["cpu", "False", "True", "True"], done.stderr[-2000:]


def test_shares_run_side_by_side_and_a_whole_holder_waits_for_them_in_turn(monkeypatch):
    """Two ONNX Runtime passes on a CPU run at once on half the cores each; a torch pass or a training
    step takes the whole device, waits for them, and later shares wait behind it (arrival order)."""
    import time

    monkeypatch.setattr(devices, "cpu_threads", lambda: 4)
    lock = devices.FairLock(shares=2)
    log, threads = [], {}
    first_in = threading.Event()
    release_first = threading.Event()

    def sharer(name, hold):
        with lock.share() as n:
            threads[name] = n
            log.append(f"{name} in")
            if name == "a":
                first_in.set()
                release_first.wait(5)
            time.sleep(hold)
        log.append(f"{name} out")

    def whole():
        with lock:
            log.append("whole in")
            time.sleep(0.05)
        log.append("whole out")

    a = threading.Thread(target=sharer, args=("a", 0.0))
    a.start()
    first_in.wait(5)
    b = threading.Thread(target=sharer, args=("b", 0.1))
    b.start()
    time.sleep(0.05)
    assert log == ["a in", "b in"]  # side by side
    w = threading.Thread(target=whole)
    w.start()
    time.sleep(0.05)
    c = threading.Thread(target=sharer, args=("c", 0.0))
    c.start()  # arrives after the whole holder: must not slip past it
    time.sleep(0.05)
    release_first.set()
    for t in (a, b, w, c):
        t.join(5)
    assert log.index("whole in") > max(log.index("a out"), log.index("b out"))
    assert log.index("c in") > log.index("whole out")
    assert threads == {"a": 4, "b": 2, "c": 4}  # alone: every core; beside another: its share


def test_a_pass_alone_keeps_to_its_share_while_another_job_is_under_way(monkeypatch):
    """Another job's decoding and encoding use the cores a lone pass would take: with two jobs under way a
    pass runs on its share even when no other pass is in flight; with one, on every core."""
    monkeypatch.setattr(devices, "cpu_threads", lambda: 4)
    lock = devices.FairLock(shares=2)
    with lock.working():
        with lock.share() as alone:
            pass
        with lock.working():  # a second job, between its passes
            with lock.share() as beside_a_job:
                pass
    assert (alone, beside_a_job) == (4, 2)


def test_an_upscale_counts_as_a_job_while_it_runs(monkeypatch):
    """``request.upscale`` is what the app, the command line and a batch's workers run: it is the job."""
    import io

    from srdemo import engine
    from srdemo.request import UpscaleRequest, upscale
    from srdemo.synthetic import render_product

    seen = []
    real = engine._forward
    monkeypatch.setattr(engine, "_forward", lambda *a: (seen.append(devices.DEVICE_LOCK._jobs), real(*a))[1])
    photo = io.BytesIO()
    render_product(0, 48).save(photo, "PNG")
    upscale(photo.getvalue(), UpscaleRequest(model="x4", scale=2, check=False, caller=LOCAL), name="p.png")
    assert seen and set(seen) == {1}
    assert devices.DEVICE_LOCK._jobs == 0
