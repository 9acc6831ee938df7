"""Speed bookkeeping: measured, recorded per device, turned into estimates and the CPU time cap."""

import pytest

from srdemo import models, speed


@pytest.fixture()
def compact(compact_file):
    return models.load(str(compact_file))


def test_speed_is_measured_recorded_and_used_for_estimates(compact):
    measured = speed.measure_speed(compact)
    assert measured > 0
    assert speed.recorded_speed(compact) == pytest.approx(measured, rel=1e-3)
    small = speed.estimate_seconds(compact, (100, 100), (200, 200))
    big = speed.estimate_seconds(compact, (200, 200), (400, 400))
    assert big == pytest.approx(4 * small, rel=1e-6)


def test_admit_measures_an_unmeasured_model_then_refuses_a_cpu_job_over_the_cap(compact, monkeypatch, tmp_path):
    from srdemo.engine import EngineOptions
    from srdemo.errors import SrdemoError

    monkeypatch.setenv("SRDEMO_CACHE_DIR", str(tmp_path))  # no speed recorded yet
    assert speed.recorded_speed(compact) is None
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "0.000001")
    with pytest.raises(SrdemoError, match=r"would take about \d+ min on this CPU, more than the 0 min allowed"):
        speed.admit(compact, (100, 100), (200, 200), EngineOptions())
    assert speed.recorded_speed(compact) is not None  # measured on the way
    monkeypatch.setenv("SRDEMO_MAX_CPU_SECONDS", "600")
    speed.admit(compact, (100, 100), (200, 200), EngineOptions())  # within the cap: no error
    speed.admit(models.load("lanczos"), (100, 100), (20000, 20000), EngineOptions())  # resamplers are never refused
