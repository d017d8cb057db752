"""Result: agent views, per-segment tables, the summary, files and repr."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import crmsim
from crmsim import _core

AGENT_DTYPES = {
    "segment": np.uint8, "state": np.uint8, "products": np.uint8, "flags": np.uint8,
    "state_since": np.int32, "acquired_day": np.int32, "purchase_rate": np.float32,
    "churn_hazard": np.float32, "revenue_cents": np.int64, "last_purchase_day": np.int32,
    "effect_until": np.int32, "effect_campaign": np.uint8, "assigned": np.uint8,
    "assigned_day": np.int32, "window_revenue_cents": np.int32, "contact_days": np.uint16,
}


def test_agents_are_read_only_zero_copy_views(small_run):
    agents = small_run.agents
    assert set(agents) == set(AGENT_DTYPES)
    again = small_run.agents
    for name, dtype in AGENT_DTYPES.items():
        column = agents[name]
        assert column.dtype == dtype, name
        assert column.shape[0] == 5000 and column.ndim == (2 if name == "contact_days" else 1)
        assert column.base is not None, name          # a view of engine memory
        assert not column.flags.writeable, name
        assert not column.flags.owndata, name
        # No copy: the same memory on every access.
        assert column.__array_interface__["data"][0] == \
            again[name].__array_interface__["data"][0], name
        with pytest.raises(ValueError, match="read-only"):
            column[0] = 1
        # Nor can the flag be turned back on: the owner is not a writable buffer.
        with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
            column.flags.writeable = True


def test_agent_views_are_the_engines_memory_not_copies(baseline):
    # Views taken before the engine moves show the people after it moved:
    # they are the engine's own columns, not copies made when they were asked for.
    sim = _core.Simulation(baseline.scaled(3000).with_days(60).engine_dict(), seed=2)
    views = sim.agents
    before = {name: column.copy() for name, column in views.items()}
    sim.advance(60)
    now = sim.agents
    for name, column in views.items():
        assert column.base is sim, name
        np.testing.assert_array_equal(column, now[name], err_msg=name)
    for name in ("state", "state_since", "revenue_cents", "last_purchase_day"):
        assert not np.array_equal(views[name], before[name]), name
    assert (views["revenue_cents"] >= before["revenue_cents"]).all()


def test_agents_match_the_kpis(small_run):
    agents, last = small_run.agents, small_run.kpis.iloc[-1]
    counts = np.bincount(agents["state"], minlength=7)
    states = ["prospect", "lead", "new", "active", "developed", "at_risk", "lapsed"]
    assert dict(zip(states, counts.tolist())) == {s: last[s] for s in states}
    sizes = np.bincount(agents["segment"], minlength=3).tolist()
    assert sizes == [s["market_size"] for s in small_run.scenario.to_dict()["segments"]]
    customers = np.isin(agents["state"], [2, 3, 4, 5])
    assert (agents["products"][customers] >= 1).all()
    assert (agents["products"][~customers] == 0).all()


def test_agent_views_outlive_the_result():
    agents = crmsim.run(crmsim.Scenario.load(_baseline()), days=3, population=300).agents
    import gc

    gc.collect()
    assert int(np.bincount(agents["segment"]).sum()) == 300  # memory still valid


def _baseline():
    from conftest import BASELINE

    return BASELINE


def test_kpi_array_is_the_engine_table(small_run):
    raw = small_run.kpi_array
    assert raw.shape == (61, 3, len(crmsim._core.Simulation.kpi_columns))
    assert raw.dtype == np.int64 and not raw.flags.writeable


def test_segment_kpis_add_up_to_the_kpis(small_run):
    seg = small_run.segment_kpis
    assert seg.index.names == ["segment", "day"]
    assert list(seg.index.get_level_values("segment").unique()) == small_run.scenario.segments
    assert list(seg.columns) == list(small_run.kpis.columns)
    assert len(seg) == 3 * 61
    young = seg.loc["young_urban"]
    assert list(young.index) == list(range(61))
    pdt.assert_series_equal(young["date"], small_run.kpis["date"])
    summed = seg.drop(columns="date").groupby(level="day").sum()
    pdt.assert_frame_equal(summed, small_run.kpis.drop(columns="date"), check_index_type=False)


def test_summary_tells_a_director_what_happened():
    res = crmsim.run(_baseline(), seed=4, days=365, population=20_000, threads=2)
    text = res.summary()
    k = res.kpis
    start, end = k["customers"].iloc[0], k["customers"].iloc[-1]
    change = 100 * (end - start) / start
    customer_years = k["customers"].iloc[:-1].sum() / 365
    churn = 100 * k["defections"].sum() / customer_years
    revenue = k["revenue"].sum()
    expected_lines = [
        "Streaming subscription, baseline",
        "  Horizon         365 days, 2027-01-01 to 2028-01-01",
        f"Customers         {start:,} at start, {end:,} at end ({change:+.1f}%)",
        f"Acquisitions      {k['acquisitions'].sum():,} (of which "
        f"{k['lead_conversions'].sum():,} via enquiry, "
        f"{k['campaign_acquisitions'].sum():,} from campaigns)",
        f"Win-backs         {k['win_backs'].sum():,} lapsed customers came back through "
        "campaigns",
        f"Defections        {k['defections'].sum():,}",
        f"Churn rate        {churn:.1f}% of customers per year (annualised)",
        f"Back to market    {k['returns_to_market'].sum():,} lapsed people left the "
        "win-back window",
        f"Developments      {k['developments'].sum():,} customers took a second product",
        f"Revenue           EUR {revenue:,.0f} in total, EUR "
        f"{revenue / customer_years:,.2f} per customer per year",
        f"Marketing cost    EUR {k['marketing_cost'].sum():,.0f} (contacts and incentives; "
        "offer discounts show as lower revenue)",
    ]
    lines = text.splitlines()
    for line in expected_lines:
        assert line in lines, (line, text)
    run_line = next(line for line in lines if line.startswith("  Run "))
    assert re.fullmatch(r"  Run             seed 4, 2 threads, 20,000 people, [0-9.]+ s",
                        run_line)
    table = lines[lines.index("By segment") + 1:lines.index("Campaigns") - 1]
    assert table[0].split()[:3] == ["segment", "market", "customers"]
    assert [row.split()[0] for row in table[1:]] == [*res.scenario.segments, "total"]
    assert table[-1].split()[1] == "20,000"
    assert "," in f"{start:,}" and text.endswith("\n")


def test_summary_with_no_customers_says_not_available(small_dict):
    for seg in small_dict["segments"]:
        seg["initial"] = {}
        seg["acquisition"] = {"innovation_per_year": 0.0, "imitation_per_year": 0.0}
    res = crmsim.run(crmsim.Scenario.from_dict(small_dict), days=5)
    text = res.summary()
    assert "Customers         0 at start, 0 at end (n/a)" in text
    assert "Churn rate        n/a of customers per year (annualised)" in text


def test_to_csv_round_trips(small_run, tmp_path):
    path = tmp_path / "kpis.csv"
    small_run.to_csv(path)
    back = pd.read_csv(path, index_col="day", parse_dates=["date"])
    expected = small_run.kpis
    back["date"] = back["date"].astype(expected["date"].dtype)
    pdt.assert_frame_equal(back, expected, check_index_type=False)
    assert os.listdir(tmp_path) == ["kpis.csv"]


def test_to_parquet_round_trips(small_run, tmp_path):
    path = tmp_path / "kpis.parquet"
    small_run.to_parquet(str(path))
    back = pd.read_parquet(path)
    pdt.assert_frame_equal(back, small_run.kpis, check_index_type=False)
    assert os.listdir(tmp_path) == ["kpis.parquet"]


def test_failed_write_leaves_no_file_and_keeps_the_old_one(small_run, tmp_path, monkeypatch):
    path = tmp_path / "kpis.csv"
    path.write_text("old contents\n")

    def broken(self, target, *args, **kwargs):
        with open(target, "w") as f:
            f.write("half a fi")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="No space left"):
        small_run.to_csv(path)
    assert os.listdir(tmp_path) == ["kpis.csv"]
    assert path.read_text() == "old contents\n"


def test_write_into_a_missing_folder_fails_cleanly(small_run, tmp_path):
    with pytest.raises(OSError):
        small_run.to_csv(tmp_path / "no" / "such" / "kpis.csv")
    assert os.listdir(tmp_path) == []


def test_result_attributes_and_repr(small_run):
    assert small_run.seed == 1 and small_run.days == 60 and small_run.population == 5000
    assert small_run.threads >= 1
    assert small_run.elapsed_seconds > 0
    assert isinstance(small_run.scenario, crmsim.Scenario)
    assert re.fullmatch(r"<Result 'Streaming subscription, baseline': 60 days, 5,000 people, "
                        r"seed 1, \d+ threads, [0-9.]+ s>", repr(small_run))
