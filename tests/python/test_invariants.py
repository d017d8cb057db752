"""The engine's invariant checks, seen from Python: on for the whole test
suite, and a broken invariant is a crmsim.InvariantError (CLI: exit code 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import BASELINE

import crmsim
from crmsim import _core


def test_every_run_of_the_test_suite_checks_the_invariants(small_run):
    # conftest.py sets CRMSIM_CHECKS=1 unless the environment says otherwise;
    # `make test` runs the suite this way.
    assert _core.checks_by_default()
    assert small_run._sim.checks


def test_checks_can_be_asked_for_per_run(baseline):
    sc = baseline.scaled(2000).with_days(20)
    on = _core.Simulation(sc.engine_dict(), seed=1, checks=True)
    off = _core.Simulation(sc.engine_dict(), seed=1, checks=False)
    assert on.checks and not off.checks
    on.advance(20)
    off.advance(20)
    off.check_invariants()  # on request, whatever the setting
    assert (on.kpis == off.kpis).all()  # checking changes nothing


class _Breaking:
    """A Simulation whose engine reports a broken invariant on the third block."""

    def __init__(self, *args, **kwargs):
        self._sim = _Breaking.original(*args, **kwargs)
        self._blocks = 0

    def advance(self, days):
        self._blocks += 1
        if self._blocks == 3:
            raise _core.InvariantError("invariant 'closed market' broken at the end of day 3, "
                                       "segment 'young_urban': the 7 states add up to 1")
        self._sim.advance(days)

    def __getattr__(self, name):
        return getattr(self._sim, name)


def test_an_invariant_error_reaches_the_caller_as_a_crmsim_error(monkeypatch, tmp_path):
    monkeypatch.setattr(_Breaking, "original", _core.Simulation, raising=False)
    monkeypatch.setattr(_core, "Simulation", _Breaking)
    with pytest.raises(crmsim.InvariantError, match="'closed market' broken at the end of day 3"):
        crmsim.run(BASELINE, population=1000, days=100, out=tmp_path / "r.h5")
    assert list(tmp_path.iterdir()) == []  # the unfinished results file is gone


def test_the_cli_reports_a_broken_invariant_with_exit_code_1(tmp_path):
    script = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from crmsim import _core\n"
        "import test_invariants as t\n"
        "t._Breaking.original = _core.Simulation\n"
        "_core.Simulation = t._Breaking\n"
        "from crmsim.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n")
    done = subprocess.run(
        [sys.executable, "-c", script, str(BASELINE.parents[1] / "tests" / "python"), "run",
         str(BASELINE), "--population", "1000", "--days", "100"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    assert "crmsim: error:" in done.stderr and "'closed market'" in done.stderr
    assert "Traceback" not in done.stderr
