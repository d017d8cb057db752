"""Metric texts of sweeps and comparisons: reductions of the KPI tables, and their errors."""

from __future__ import annotations

import pytest

from crmsim import metrics


def test_reductions_of_kpi_columns(small_run):
    k = small_run.kpis
    got = metrics.evaluate(small_run, metrics.normalize(
        ["customers:final", "customers:initial", "revenue:sum", "at_risk:mean",
         "defections:max", "lead:min"]))
    assert got == {
        "customers:final": float(k["customers"].iloc[-1]),
        "customers:initial": float(k["customers"].iloc[0]),
        "revenue:sum": float(k["revenue"].sum()),
        "at_risk:mean": float(k["at_risk"].mean()),
        "defections:max": float(k["defections"].max()),
        "lead:min": float(k["lead"].min()),
    }
    assert all(type(v) is float for v in got.values())


def test_segment_metrics_and_named_functions(small_run):
    seg = small_run.segment_kpis.loc["families"]
    spec = metrics.normalize({"fam_defections": "segments.families.defections:sum",
                              "days": lambda r: r.days})
    assert metrics.evaluate(small_run, spec) == {
        "fam_defections": float(seg["defections"].sum()), "days": 60.0}


def test_defaults_are_those_the_result_has(small_run):
    spec = metrics.check(small_run, None)
    assert list(spec)[:5] == ["customers:final", "acquisitions:sum", "defections:sum",
                              "win_backs:sum", "revenue:sum"]
    assert all(m.split(":")[0] in small_run.kpis.columns for m in spec)


@pytest.mark.parametrize("metric, message", [
    ("revenu:sum", "metric 'revenu:sum': no KPI column 'revenu' (did you mean 'revenue'?)"),
    ("revenue:total", "metric 'revenue:total': unknown reduction 'total' after ':'"),
    ("revenue", "metric 'revenue' is not of the form COLUMN:HOW"),
    ("segments.young.defections:sum", "metric 'segments.young.defections:sum': no segment "
                                      "'young' (did you mean 'young_urban'?)"),
    ("date:final", "metric 'date:final': no KPI column 'date'"),
])
def test_unknown_metrics_are_named(small_run, metric, message):
    with pytest.raises(ValueError) as e:
        metrics.check(small_run, metrics.normalize([metric]))
    assert str(e.value).startswith(message)


def test_metric_lists_hold_text_and_mappings_hold_functions():
    with pytest.raises(TypeError, match="give functions in a mapping"):
        metrics.normalize([len])
    with pytest.raises(ValueError, match="at least one metric"):
        metrics.normalize([])
    assert metrics.normalize("revenue:sum") == {"revenue:sum": "revenue:sum"}


@pytest.mark.parametrize("metric, words", [
    ("customers:final", "customers at the end"),
    ("revenue:sum", "total revenue"),
    ("at_risk:mean", "at risk, daily average"),
    ("segments.families.defections:sum", "total defections (families)"),
    ("campaigns.win_back.roi", "campaign win_back: roi"),
])
def test_planner_words(metric, words):
    assert metrics.describe(metric) == words


def test_cells_of_per_campaign_tables():
    # A stand-in for a Result with a campaigns table (Result.campaigns, where the branch has it).
    import types

    import pandas as pd

    campaigns = pd.DataFrame({"roi": [0.5, float("nan")], "note": ["", "no holdout"]},
                             index=pd.Index(["win_back", "welcome"], name="campaign"))
    result = types.SimpleNamespace(campaigns=campaigns)
    spec = metrics.normalize(["campaigns.win_back.roi", "campaigns.welcome.roi"])
    got = metrics.evaluate(result, spec)
    assert got["campaigns.win_back.roi"] == 0.5 and got["campaigns.welcome.roi"] != 0.5
    with pytest.raises(ValueError, match=r"no campaign 'win_bak' \(did you mean 'win_back'\?\)"):
        metrics.check(result, metrics.normalize(["campaigns.win_bak.roi"]))
    with pytest.raises(ValueError, match="has no column 'rio' \\(did you mean 'roi'\\?\\)"):
        metrics.check(result, metrics.normalize(["campaigns.win_back.rio"]))
    with pytest.raises(ValueError, match="column 'note' is not a number"):
        metrics.check(result, metrics.normalize(["campaigns.welcome.note"]))
    with pytest.raises(ValueError, match="has no Result.channels table"):
        metrics.check(result, metrics.normalize(["channels.email.cost"]))
