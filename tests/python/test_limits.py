"""Memory limits: a run that cannot fit is refused before anything is allocated,
with the estimate in the message; the checks never allocate the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import BASELINE

import crmsim
from crmsim import _core, limits


class _NeverBuilt:
    """Stands in for _core.Simulation: a refused run must never reach it."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("the engine was asked to build a run that should be refused")


def test_the_estimate_counts_agents_tables_and_working_memory(baseline):
    e = crmsim.memory_estimate(baseline)
    assert e["agents"] == baseline.population == 200_000
    assert e["days"] == 730
    small = _core.Simulation(baseline.scaled(100).engine_dict())
    assert e["bytes_per_agent"] == small.bytes_per_agent
    assert e["agent_bytes"] == 200_000 * e["bytes_per_agent"]
    assert e["total_bytes"] == e["agent_bytes"] + e["table_bytes"] + e["working_bytes"]
    # Ten times the people, ten times the agent columns; the tables stay.
    big = crmsim.memory_estimate(baseline.scaled(2_000_000))
    assert big["agent_bytes"] == 10 * e["agent_bytes"]
    assert big["table_bytes"] == e["table_bytes"]


def test_a_run_too_large_for_the_machine_is_refused_before_allocating(baseline, monkeypatch):
    monkeypatch.setattr(limits, "machine_memory", lambda: 24_000_000_000)
    monkeypatch.setattr(_core, "Simulation", _NeverBuilt)
    with pytest.raises(crmsim.MemoryLimitError) as caught:
        crmsim.run(baseline, population=1_000_000_000)
    message = str(caught.value)
    assert "1,000,000,000 agents for 730 days need about" in message
    assert "GB; this machine has 24 GB" in message
    assert "54 bytes per agent" in message
    assert isinstance(caught.value, MemoryError) and isinstance(caught.value, crmsim.CrmsimError)


def test_a_long_horizon_counts_too(small_dict, monkeypatch):
    # 255 segments for 100 years: the daily tables alone are about 1.9 GB.
    seg = small_dict["segments"][1]
    small_dict["segments"] = [dict(seg, name=f"s{k}", market_size=10) for k in range(255)]
    sc = crmsim.Scenario.from_dict(small_dict).with_days(36_500)
    e = crmsim.memory_estimate(sc)
    assert e["table_bytes"] > 1_800_000_000
    monkeypatch.setattr(limits, "machine_memory", lambda: 1_000_000_000)
    monkeypatch.setattr(_core, "Simulation", _NeverBuilt)
    with pytest.raises(crmsim.MemoryLimitError,
                       match="2,550 agents for 36,500 days need about 1.9 GB"):
        crmsim.run(sc)


def test_a_run_that_fits_is_not_refused(baseline, monkeypatch):
    need = crmsim.memory_estimate(baseline.scaled(1000).with_days(5))["total_bytes"]
    monkeypatch.setattr(limits, "machine_memory", lambda: need + 1)
    assert crmsim.run(baseline, population=1000, days=5).days == 5


def test_the_machine_memory_is_read():
    assert limits.machine_memory() > 100_000_000
    assert limits.machine_memory() == _core.machine_memory()


def test_the_engine_refuses_on_its_own(baseline):
    # C++ callers (and Python code that bypasses crmsim.run) are protected too.
    with pytest.raises(_core.MemoryLimitError, match="the limit is 1.0 MB"):
        _core.Simulation(baseline.engine_dict(), memory_limit=1_000_000)


def test_the_cli_refuses_with_exit_code_2(tmp_path):
    # Four billion people is more than this test machine has, by far; the
    # child process fails at the check, before any allocation.
    script = (
        "import sys, crmsim.limits as l\n"
        "l.machine_memory = lambda: 24_000_000_000\n"
        "from crmsim.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run(
        [sys.executable, "-c", script, "run", str(BASELINE), "--population", "4000000000",
         "--out", "x.h5"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert "4,000,000,000 agents for 730 days need about" in done.stderr
    assert "this machine has 24 GB" in done.stderr
    assert "Traceback" not in done.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("start", ["1700-01-01", "2100-12-31"])
def test_the_calendar_of_the_longest_run_fits_the_result_tables(small_dict, start):
    # Found by fuzzing: a run from year 1 loaded and ran, then Result.kpis
    # raised pandas' OutOfBoundsDatetime. Start dates are now bounded so
    # that the longest horizon from either end still has dated rows.
    from crmsim.run import MAX_DAYS

    small_dict["start_date"] = start
    res = crmsim.run(crmsim.Scenario.from_dict(small_dict), seed=1, days=MAX_DAYS, population=20)
    dates = res.kpis["date"]
    assert len(dates) == MAX_DAYS + 1
    assert str(dates.iloc[0].date()) == start
