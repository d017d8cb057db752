"""NaN and infinities are refused wherever a number enters crmsim: scenario
files and dicts, overrides, sweep ranges and grids, run options, the CLI and
the engine's own guard."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from conftest import BASELINE

import crmsim
from crmsim import _core

NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("text", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1e400"])
def test_yaml_non_finite_numbers_are_refused(small_dict, text):
    import yaml

    small_dict["segments"][0]["churn"]["annual_rate"] = "PLACEHOLDER"
    source = yaml.safe_dump(small_dict).replace("PLACEHOLDER", text)
    with pytest.raises(crmsim.ScenarioError, match=r"segments\[0\]\.churn\.annual_rate"):
        crmsim.Scenario.from_yaml_text(source)


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("path", [("segments", 0, "purchases", "spend_mean"),
                                  ("segments", 1, "problems", "per_year"),
                                  ("segments", 0, "purchases", "rate_shape")])
def test_dict_non_finite_numbers_are_refused(small_dict, path, value):
    target = small_dict
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(crmsim.ScenarioError):
        crmsim.Scenario.from_dict(small_dict)


@pytest.mark.parametrize("value", NON_FINITE)
def test_overrides_refuse_non_finite_numbers(baseline, value):
    with pytest.raises(crmsim.ScenarioError):
        baseline.with_overrides({"segments.young_urban.churn.annual_rate": value})


@pytest.mark.parametrize("value", NON_FINITE)
def test_sweep_ranges_and_grids_refuse_non_finite_numbers(baseline, value):
    with pytest.raises((TypeError, ValueError)):
        crmsim.sweep(baseline, samples=2, ranges={"lifecycle.welcome_days": (30, value)},
                     client="serial", progress=False)
    with pytest.raises(crmsim.ScenarioError):
        crmsim.sweep(baseline, grid={"segments.young_urban.churn.annual_rate": [0.2, value]},
                     client="serial", progress=False)


@pytest.mark.parametrize("value", NON_FINITE)
def test_run_options_refuse_non_finite_numbers(tmp_path, value):
    with pytest.raises(ValueError):
        crmsim.run(BASELINE, days=5, population=100, out=tmp_path / "r.h5", events=value)
    with pytest.raises(TypeError):
        crmsim.run(BASELINE, days=value, population=100)  # type: ignore[arg-type]


def test_the_engine_refuses_non_finite_numbers_on_its_own(baseline):
    d = baseline.scaled(100).engine_dict()
    d["segments"][0]["churn"]["annual_rate"] = math.nan
    with pytest.raises(_core.ScenarioError, match="annual_rate: must be between 0 and 1"):
        _core.Simulation(d)
    d = baseline.scaled(100).engine_dict()
    d["channels"][0]["cost_per_contact"] = math.inf
    with pytest.raises(_core.ScenarioError, match="cost_per_contact"):
        _core.Simulation(d)


@pytest.mark.parametrize("args", [["run", str(BASELINE), "--days", "5", "--population", "100",
                                   "--out", "r.h5", "--events", "nan"],
                                  ["compare", str(BASELINE), "-r", "1", "--population", "100",
                                   "--days", "5",
                                   "--set", "segments.young_urban.churn.annual_rate=.nan"]])
def test_the_cli_refuses_non_finite_numbers(tmp_path, args):
    done = subprocess.run([sys.executable, "-m", "crmsim", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
