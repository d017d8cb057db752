"""crmsim.compare: paired runs with common random numbers, intervals, and the planner's text."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crmsim

#: Big enough that a 2% change in one segment's churn shows clearly, small enough to be quick.
POPULATION, DAYS, REPLICATIONS = 20_000, 365, 10
CLEAR = ["customers:final", "defections:sum", "revenue:sum"]


@pytest.fixture(scope="module")
def churn_up(baseline):
    """Young urban churn 2% higher (relative): 0.32 -> 0.3264 a year."""
    return baseline.with_overrides({"segments.young_urban.churn.annual_rate": 0.32 * 1.02})


@pytest.fixture(scope="module")
def paired(baseline, churn_up):
    return crmsim.compare(baseline, churn_up, REPLICATIONS, population=POPULATION, days=DAYS,
                          return_runs=True)


def test_pairing_makes_intervals_at_least_5x_narrower(paired):
    table, _ = paired
    for metric in CLEAR:
        row = table.loc[metric]
        paired_width = row["high"] - row["low"]
        unpaired_width = row["unpaired_high"] - row["unpaired_low"]
        assert unpaired_width >= 5 * paired_width, (metric, row.to_dict())
        assert row["width_ratio"] == pytest.approx(unpaired_width / paired_width)
        assert row["variance_reduction"] >= 25
    # More churn: fewer customers, more defections, less revenue, and the pairs are sure of it.
    assert table.loc[CLEAR, "verdict"].tolist() == ["lower", "higher", "lower"]


def test_variance_reduction_matches_runs_with_independent_seeds(baseline, churn_up, paired):
    # The factor is estimated as (var A + var B) / var(B - A). Running B with
    # other seeds gives the independent-seed difference directly: it must be
    # as noisy as the estimate says, and far noisier than the paired one.
    _, runs = paired
    a = runs[runs["scenario"] == "A"].sort_values("replication")
    b = runs[runs["scenario"] == "B"].sort_values("replication")
    spec = {m: m for m in CLEAR}
    other = [crmsim.metrics.evaluate(crmsim.run(churn_up, seed=1000 + r, days=DAYS,
                                                population=POPULATION), spec)
             for r in range(REPLICATIONS)]
    for metric in CLEAR:
        b_other = np.array([o[metric] for o in other])
        var_independent = np.var(b_other - a[metric].to_numpy(), ddof=1)
        var_paired = np.var(b[metric].to_numpy() - a[metric].to_numpy(), ddof=1)
        assert var_independent / var_paired >= 25, metric


def test_the_table_is_the_statistics_of_the_runs(paired):
    from scipy import stats

    table, runs = paired
    assert list(table.index) == list(runs.columns[4:-3])
    assert (runs["status"] == "ok").all()
    assert runs["seed"].tolist() == list(range(REPLICATIONS)) * 2  # common random numbers
    a = runs[runs["scenario"] == "A"].set_index("replication")
    b = runs[runs["scenario"] == "B"].set_index("replication")
    m = "revenue:sum"
    d = b[m] - a[m]
    half = stats.t.ppf(0.975, REPLICATIONS - 1) * d.std(ddof=1) / math.sqrt(REPLICATIONS)
    row = table.loc[m]
    assert row["mean_a"] == pytest.approx(a[m].mean())
    assert row["mean_b"] == pytest.approx(b[m].mean())
    assert row["difference"] == pytest.approx(d.mean())
    assert row["low"] == pytest.approx(d.mean() - half)
    assert row["high"] == pytest.approx(d.mean() + half)
    assert row["variance_reduction"] == pytest.approx(
        (a[m].var(ddof=1) + b[m].var(ddof=1)) / d.var(ddof=1))
    assert row["replications"] == REPLICATIONS
    assert table.attrs["pairs"] == REPLICATIONS
    assert table.attrs["population"] == POPULATION and table.attrs["days"] == DAYS


def test_the_text_reads_for_planners(paired):
    table, _ = paired
    text = crmsim.compare_text(table)
    assert "10 paired runs (seeds 0 to 9, common random numbers), 20,000 people, 365 days." \
        in text
    line = next(s for s in text.splitlines() if s.startswith("total defections"))
    assert line.endswith("B higher") and "+" in line
    assert "Pairing made the intervals" in text


def test_the_chart_shows_every_metric(paired):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table, _ = paired
    ax = crmsim.plot_comparison(table)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [crmsim.metrics.describe(m) for m in table.index]
    plt.close(ax.figure)


def test_a_scenario_against_itself_differs_by_exactly_zero(baseline):
    table = crmsim.compare(baseline, baseline, 3, population=2000, days=30,
                           metrics=["customers:final", "revenue:sum"])
    assert (table["difference"] == 0).all()
    assert (table["low"] == 0).all() and (table["high"] == 0).all()
    assert (table["verdict"] == "unclear").all()


def test_failed_pairs_are_left_out_with_a_warning(baseline):
    def fails_on_seed_1(result):
        if result.seed == 1:
            raise RuntimeError("no luck with seed 1")
        return result.days

    with pytest.warns(crmsim.SweepWarning, match="2 of 8 runs failed.*no luck with seed 1"):
        table = crmsim.compare(baseline, baseline, 4, population=2000, days=10,
                               metrics={"days": fails_on_seed_1})
    assert table.attrs["pairs"] == 3
    assert table.loc["days", "mean_a"] == 10


@pytest.mark.parametrize("kwargs, error, message", [
    ({"replications": 1}, ValueError, "replications must be a whole number of at least 2"),
    ({"metrics": ["revenu:sum"]}, ValueError, "did you mean 'revenue'"),
    ({"level": 95}, ValueError, "level must be between 0 and 1"),
    ({"population": 0}, ValueError, "population must be at least 1"),
])
def test_bad_arguments_fail_before_any_run(baseline, monkeypatch, kwargs, error, message):
    def no_runs(*args, **kw):
        raise AssertionError("a run started")

    monkeypatch.setattr("crmsim.comparison.execute", no_runs)
    with pytest.raises(error, match=message):
        crmsim.compare(baseline, baseline, **{"replications": 5, **kwargs})


def test_a_campaign_budget_change_is_paired_too(baseline):
    # On scenarios with budgeted campaigns: +10% budget on one of them.
    campaigns = baseline.to_dict().get("campaigns") or []
    budgeted = [c for c in campaigns if isinstance(c.get("budget"), (int, float))]
    assert budgeted, "the baseline has no campaign with a budget: the issue's example is gone"
    c = budgeted[0]
    more = baseline.with_overrides({f"campaigns.{c['name']}.budget": c["budget"] * 1.1})
    table = crmsim.compare(baseline, more, REPLICATIONS, population=POPULATION, days=DAYS,
                           metrics=["customers:final", "revenue:sum"])
    assert (table["width_ratio"] >= 5).all(), table
