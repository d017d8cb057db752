"""crmsim.run: tables, conservation, determinism, thread invariance, overrides, arguments,
progress, the GIL, and errors from the engine."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from conftest import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmsim
from crmsim import _core

STATES = ["prospect", "lead", "new", "active", "developed", "at_risk", "lapsed"]
FLOWS = ["enquiries", "acquisitions", "lead_conversions", "campaign_acquisitions",
         "lead_expiries", "welcomed", "developments", "problems", "recoveries", "defections",
         "win_backs", "returns_to_market", "purchases"]
COLUMNS = ["date", *STATES, "customers", *FLOWS, "revenue", "marketing_cost"]


def test_kpis_have_the_documented_columns_index_and_dates(small_run):
    k = small_run.kpis
    assert list(k.columns) == COLUMNS
    assert k.index.name == "day"
    assert list(k.index) == list(range(61))
    assert pd.api.types.is_integer_dtype(k.index)
    assert pd.api.types.is_datetime64_any_dtype(k["date"])
    assert k["date"].iloc[0] == pd.Timestamp("2027-01-01")
    assert k["date"].iloc[-1] == pd.Timestamp("2027-03-02")
    assert (k["date"].diff().dropna() == pd.Timedelta(days=1)).all()
    for name in [*STATES, "customers", *FLOWS]:
        assert k[name].dtype == np.int64, name
    assert k["revenue"].dtype == np.float64
    assert "revenue_cents" not in k.columns


def test_kpis_values_come_from_the_engine(small_run):
    k = small_run.kpis
    raw = small_run.kpi_array.sum(axis=1)
    cents = _core.Simulation.kpi_columns.index("revenue_cents")
    np.testing.assert_array_equal(k["revenue"].to_numpy(), raw[:, cents] / 100.0)
    np.testing.assert_array_equal(
        k["customers"], k["new"] + k["active"] + k["developed"] + k["at_risk"])
    assert (k.loc[0, FLOWS + ["revenue"]] == 0).all()  # day 0: the initial population
    # Every flow happens in 60 days of a 5,000-person baseline (which has no
    # acquisition campaign).
    organic = [f for f in FLOWS if f != "campaign_acquisitions"]
    assert (k.loc[1:, organic].sum() > 0).all()
    assert k["campaign_acquisitions"].sum() == 0


def test_market_is_closed_every_day_in_total_and_per_segment(small_run):
    k = small_run.kpis
    assert (k[STATES].sum(axis=1) == 5000).all()
    seg = small_run.segment_kpis
    markets = {s["name"]: s["market_size"] for s in small_run.scenario.to_dict()["segments"]}
    sums = seg[STATES].sum(axis=1).groupby(level="segment").agg(["min", "max"])
    for name, size in markets.items():
        assert sums.loc[name, "min"] == sums.loc[name, "max"] == size


def test_stocks_follow_their_flows(small_run):
    k = small_run.kpis
    prev, now = k.iloc[:-1].reset_index(drop=True), k.iloc[1:].reset_index(drop=True)
    direct = now["acquisitions"] - now["lead_conversions"]
    pdt.assert_series_equal(
        now["prospect"], prev["prospect"] - now["enquiries"] - direct + now["lead_expiries"]
        + now["returns_to_market"], check_names=False)
    pdt.assert_series_equal(
        now["lead"], prev["lead"] + now["enquiries"] - now["lead_conversions"]
        - now["lead_expiries"], check_names=False)
    pdt.assert_series_equal(
        now["customers"],
        prev["customers"] + now["acquisitions"] + now["win_backs"] - now["defections"],
        check_names=False)
    pdt.assert_series_equal(
        now["lapsed"],
        prev["lapsed"] + now["defections"] - now["returns_to_market"] - now["win_backs"],
        check_names=False)


def test_same_seed_same_tables_different_seed_different():
    a = crmsim.run(BASELINE, seed=7, days=40, population=3000)
    b = crmsim.run(BASELINE, seed=7, days=40, population=3000)
    c = crmsim.run(BASELINE, seed=8, days=40, population=3000)
    pdt.assert_frame_equal(a.kpis, b.kpis)
    pdt.assert_frame_equal(a.segment_kpis, b.segment_kpis)
    assert not a.kpis.equals(c.kpis)
    assert (a.kpis.loc[0, STATES] == c.kpis.loc[0, STATES]).all()  # same initial states
    assert not np.array_equal(a.agents["purchase_rate"], c.agents["purchase_rate"])


def test_results_do_not_depend_on_the_thread_count():
    # 50,000 people are 49 engine chunks of 1,024 (chunk_size_for): 8 threads all get work.
    runs = {t: crmsim.run(BASELINE, seed=3, days=45, population=50_000, threads=t)
            for t in (1, 2, 8)}
    assert [r.threads for r in runs.values()] == [1, 2, 8]
    for t in (2, 8):
        pdt.assert_frame_equal(runs[1].kpis, runs[t].kpis)
        pdt.assert_frame_equal(runs[1].segment_kpis, runs[t].segment_kpis)
        for name, column in runs[1].agents.items():
            np.testing.assert_array_equal(column, runs[t].agents[name], err_msg=name)


def test_threads_none_uses_all_cores():
    import os

    res = crmsim.run(BASELINE, days=1, population=100)
    assert res.threads == len(os.sched_getaffinity(0)) or res.threads == os.cpu_count()


def test_population_and_days_overrides(baseline):
    res = crmsim.run(baseline, days=12, population=2_345)
    assert res.days == 12 and len(res.kpis) == 13
    assert res.population == 2_345 == res.scenario.population
    assert (res.kpis[STATES].sum(axis=1) == 2_345).all()
    assert res.scenario.days == 12 and baseline.days == 730
    assert len(res.agents["state"]) == 2_345


def test_run_takes_a_path_or_a_scenario(baseline):
    from_path = crmsim.run(str(BASELINE), days=5, population=1000, seed=2)
    from_scenario = crmsim.run(baseline, days=5, population=1000, seed=2)
    pdt.assert_frame_equal(from_path.kpis, from_scenario.kpis)
    assert from_path.scenario.source == str(BASELINE)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"seed": -1}, ValueError, r"seed must be between 0 and 2\*\*64 - 1, got -1"),
    ({"seed": 2**64}, ValueError, r"seed must be between 0 and 2\*\*64 - 1, got 18446744073"),
    ({"seed": 1.5}, TypeError, r"seed must be a whole number, got 1.5"),
    ({"days": 0}, ValueError, r"days must be between 1 and 36500, got 0"),
    ({"days": 36501}, ValueError, r"days must be between 1 and 36500, got 36501"),
    ({"threads": -1}, ValueError, r"threads must be at least 0 \(0 or None = all cores\), got -1"),
    ({"population": 0}, ValueError, r"population must be at least 1, got 0"),
    ({"population": "1000"}, TypeError, r"population must be a whole number, got '1000'"),
    ({"days": True}, TypeError, r"days must be a whole number, got True"),
])
def test_bad_arguments_are_rejected_before_anything_runs(baseline, kwargs, error, message):
    with pytest.raises(error, match=message):
        crmsim.run(baseline, **kwargs)


def test_largest_seed_is_accepted():
    res = crmsim.run(BASELINE, seed=2**64 - 1, days=2, population=100)
    assert res.seed == 2**64 - 1


def test_bad_scenario_file_raises_before_running(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BASELINE.read_text().replace("annual_rate: 0.18", "annual_rate: 1.8"))
    with pytest.raises(crmsim.ScenarioError) as info:
        crmsim.run(path)
    assert info.value.errors == [
        f"{path}: segments[2].churn.annual_rate: must be between 0 and 1, got 1.8"]


def test_engine_scenario_error_is_reraised_with_the_file(baseline, monkeypatch):
    # The schema is at least as strict as the engine, so make the engine see a
    # value the schema never lets through.
    engine_dict = crmsim.Scenario.engine_dict
    monkeypatch.setattr(crmsim.Scenario, "engine_dict",
                        lambda self: {**engine_dict(self), "days": 0})
    with pytest.raises(crmsim.ScenarioError) as info:
        crmsim.run(baseline, population=100)
    assert info.value.errors == [f"{BASELINE}: days: must be between 1 and 36500, got 0"]
    assert isinstance(info.value.__cause__, _core.ScenarioError)


def test_progress_bar_goes_to_stderr_in_days(capsys):
    crmsim.run(BASELINE, days=50, population=500, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "Streaming subscription, baseline" in err
    assert "50/50" in err and "day" in err


def test_no_progress_bar_by_default(capsys):
    crmsim.run(BASELINE, days=5, population=500)
    assert capsys.readouterr() == ("", "")


def test_run_advances_in_blocks(monkeypatch):
    steps = []
    real = _core.Simulation

    class Recording:
        def __init__(self, *args, **kwargs):
            self._sim = real(*args, **kwargs)

        def advance(self, days):
            steps.append(days)
            self._sim.advance(days)

        def __getattr__(self, name):
            return getattr(self._sim, name)

    monkeypatch.setattr(_core, "Simulation", Recording)
    crmsim.run(BASELINE, days=730, population=200)
    assert sum(steps) == 730 and max(steps) == 7 and len(steps) == 105


def test_advance_releases_the_gil(baseline):
    # A Python thread counts as fast as it can. While the engine advances with
    # the GIL released the thread keeps counting; if the GIL were held, it
    # would be frozen for the whole call.
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    sim = _core.Simulation(baseline.engine_dict(), seed=1, threads=1)
    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    try:
        time.sleep(0.1)  # calibrate: the main thread sleeps, so the spinner runs freely
        c0 = count[0]
        time.sleep(0.1)
        per_second = (count[0] - c0) / 0.1
        before, t0 = count[0], time.perf_counter()
        sim.advance(60)
        during, seconds = count[0] - before, time.perf_counter() - t0
    finally:
        stop.set()
        worker.join()
    assert seconds > 0.05, "the run was too short to measure"
    assert during > 0.2 * per_second * seconds, (during, per_second, seconds)


def test_advance_past_the_horizon_is_a_usage_error(baseline):
    sim = _core.Simulation(baseline.scaled(100).with_days(3).engine_dict())
    sim.advance(3)
    with pytest.raises(_core.UsageError):
        sim.advance(1)


# -- property: any valid small scenario conserves its market -------------------------

def _share_split(draw, total):
    """Up to six initial counts adding up to at most ``total``."""
    left, counts = total, {}
    for state in ("lead", "new", "active", "developed", "at_risk", "lapsed"):
        counts[state] = draw(st.integers(0, left // 2))
        left -= counts[state]
    return counts


@st.composite
def small_scenarios(draw):
    """A random valid scenario of 1-3 segments, rescaled to 200-2,000 people, 30 days."""
    unit = st.floats(0.0, 0.999)
    segments = []
    for i in range(draw(st.integers(1, 3))):
        market = draw(st.integers(1, 2000))
        segments.append({
            "name": f"s{i}",
            "market_size": market,
            "initial": _share_split(draw, market),
            "acquisition": {"innovation_per_year": draw(st.floats(0, 10)),
                            "imitation_per_year": draw(st.floats(0, 50)),
                            "enquiry_share": draw(st.floats(0, 1)),
                            "enquiry_conversion": draw(unit)},
            "churn": {"annual_rate": draw(unit), "polarization": draw(unit),
                      "new_multiplier": draw(st.floats(0, 10)),
                      "developed_multiplier": draw(st.floats(0, 10)),
                      "at_risk_multiplier": draw(st.floats(0, 10))},
            "purchases": {"per_year": draw(st.floats(0, 3650)),
                          "rate_shape": draw(st.floats(0.05, 100)),
                          "spend_mean": draw(st.floats(0, 1000)),
                          "spend_shape": draw(st.floats(0.05, 100))},
            "development": {"per_year": draw(st.floats(0, 365)),
                            "spend_multiplier": draw(st.floats(0, 5))},
            "problems": {"per_year": draw(st.floats(0, 365)),
                         "recovery_days_mean": draw(st.floats(0.1, 1000))},
        })
    scenario = crmsim.Scenario.from_dict({
        "name": "random", "start_date": "2027-01-01", "days": 30,
        "lifecycle": {"welcome_days": draw(st.integers(0, 3650)),
                      "enquiry_window_days": draw(st.integers(1, 3650)),
                      "winback_window_days": draw(st.integers(0, 3650))},
        "segments": segments})
    return scenario.scaled(draw(st.integers(max(200, len(segments)), 2000)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios(), seed=st.integers(0, 2**64 - 1))
def test_any_valid_scenario_conserves_the_market(scenario, seed):
    res = crmsim.run(scenario, seed=seed, threads=1)
    seg = res.segment_kpis
    numbers = seg.drop(columns=["date"])
    assert (numbers >= 0).all().all()
    markets = {s["name"]: s["market_size"] for s in scenario.to_dict()["segments"]}
    expected = seg.index.get_level_values("segment").map(markets).to_numpy()
    np.testing.assert_array_equal(seg[STATES].sum(axis=1).to_numpy(), expected)
    assert (res.kpis[STATES].sum(axis=1) == scenario.population).all()
    k = res.kpis
    assert (k["customers"].diff().iloc[1:]
            == (k["acquisitions"] + k["win_backs"] - k["defections"]).iloc[1:]).all()
