"""crmsim.calibrate: reading transaction logs, clear errors for bad ones, and the fit's API.

The reproduction of the published CDNOW estimates is a validation check
(tests/validation/test_calibration_cdnow.py).
"""

from __future__ import annotations

import datetime
import pickle

import numpy as np
import pandas as pd
import pytest

import crmsim
from crmsim import CalibrationError, CrmsimError
from crmsim.calibrate import customer_summary, from_transactions


def synthetic_log(customers: int = 300, seed: int = 1) -> pd.DataFrame:
    """A small log: each customer buys on day 0..29, then again at a Gamma rate, for a year."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        first = int(rng.integers(0, 30))
        rate = rng.gamma(0.8, 1 / 20.0)           # purchases per day
        life = rng.exponential(200.0)
        nu = rng.gamma(4.0, 1 / 100.0)            # the customer's spend level (Gamma-Gamma)
        day = first
        rows.append((c, first, rng.gamma(5, 1 / nu)))
        while True:
            day += int(np.ceil(rng.exponential(1 / rate)))
            if day > 364 or day - first > life:
                break
            rows.append((c, day, rng.gamma(5, 1 / nu)))
    frame = pd.DataFrame(rows, columns=["id", "day", "amount"])
    frame["date"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame.pop("day"), unit="D")
    return frame


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return synthetic_log()


def message(df, **kwargs) -> str:
    with pytest.raises(CalibrationError) as e:
        from_transactions(df, **kwargs)
    assert isinstance(e.value, CrmsimError) and isinstance(e.value, ValueError)
    return str(e.value)


# -- bad logs ---------------------------------------------------------------------------------


def test_missing_columns_are_named(log):
    assert message(log, value="spend") == (
        "the transaction log has no value column 'spend' (columns: id, amount, date); pass "
        "value= the column of amounts, or value=None to fit purchases only")
    assert message(log.rename(columns={"id": "cust"})).startswith(
        "the transaction log has no customer column 'id' (columns: cust, amount, date)")
    assert message(log, date="when").startswith("the transaction log has no date column 'when'")


def test_unparseable_dates_are_named(log):
    bad = log.astype({"date": str}).copy()
    bad["date"] = bad["date"].str.slice(0, 10)
    bad.loc[5, "date"] = "2026-13-45"
    bad.loc[9, "date"] = "soon"
    assert message(bad) == (
        "column 'date': 2 value(s) are not dates, e.g. row 5: '2026-13-45' (dates are read as "
        "YYYY-MM-DD, YYYYMMDD or datetime values; pass date_format=, e.g. '%d/%m/%Y', for "
        "another form)")
    compact = pd.DataFrame({"id": [1, 1], "date": [19970101, 19971301], "amount": [1.0, 2.0]})
    assert message(compact).startswith("column 'date': 1 value(s) are not dates, e.g. row 1: "
                                       "19971301")


def test_negative_and_non_numeric_amounts_are_named(log):
    bad = log.copy()
    bad.loc[3, "amount"] = -12.5
    assert message(bad) == (
        "column 'amount': 1 negative amount(s), e.g. row 3: -12.5 (remove returns and refunds, "
        "or net them against their purchases, before calibrating)")
    text = log.astype({"amount": object}).copy()
    text.loc[4, "amount"] = "ten"
    assert message(text) == "column 'amount': 1 value(s) are not finite numbers, e.g. row 4: 'ten'"
    nan = log.copy()
    nan.loc[7, "amount"] = np.nan
    assert message(nan).startswith("column 'amount': 1 value(s) are not finite numbers, e.g. "
                                   "row 7: nan")


def test_a_likelihood_without_a_maximum_is_named(log):
    # Everybody spends alike: the spend level's heterogeneity q runs off to infinity.
    alike = log.copy()
    alike["amount"] = 25.0 + (alike.index % 3)
    text = message(alike)
    assert text.startswith("the Gamma-Gamma estimate of ") and "runs off to" in text
    assert text.endswith("fit with more data, or without the spend model (value=None)")


def test_too_few_repeat_buyers_is_named():
    few = pd.DataFrame({"id": [1, 1, 2, 3, 4], "amount": [5.0] * 5,
                        "date": ["2026-01-01", "2026-02-01", "2026-01-03", "2026-01-04",
                                 "2026-01-05"]})
    assert message(few) == (
        "too few repeat buyers to fit: 1 of 4 customers bought again by 2026-02-01, the fit "
        "needs at least 20 (use a longer calibration period or more customers)")
    # The repeat purchase after the calibration period does not count.
    assert "0 of 4 customers bought again by 2026-01-10" in message(
        few, calibration_end="2026-01-10")


def test_other_bad_input_is_named(log):
    assert message(log.to_dict()).startswith("the transaction log must be a pandas DataFrame, "
                                             "got dict")
    assert message(log.iloc[:0]) == "the transaction log is empty"
    no_id = log.astype({"id": float}).copy()
    no_id.loc[2, "id"] = np.nan
    assert message(no_id) == "column 'id': 1 transaction(s) without a customer, e.g. row 2"
    assert message(log, calibration_end="2025-06-01") == (
        "calibration_end 2025-06-01 is before the first transaction (2026-01-01)")
    assert message(log, calibration_end="next year") == (
        "calibration_end must be a date such as '1997-09-30', got 'next year'")
    assert message(log, period_days=0) == ("period_days must be a whole number of days of at "
                                           "least 1, got 0")
    error = CalibrationError("x")
    assert str(pickle.loads(pickle.dumps(error))) == "x"


# -- reading -------------------------------------------------------------------------------------


def test_transactions_of_a_day_merge_and_the_first_purchase_is_not_counted():
    df = pd.DataFrame({"id": ["a", "a", "a", "a", "b"],
                       "date": ["2026-01-01", "2026-01-01", "2026-01-15", "2026-01-15",
                                "2026-01-08"],
                       "amount": [10.0, 5.0, 20.0, 2.0, 7.0]})
    from crmsim.calibrate import _daily

    daily = _daily(df, "id", "date", "amount", None)
    assert len(daily) == 3
    summary = customer_summary(daily, pd.Timestamp("2026-01-29"), period_days=7)
    a, b = summary.loc["a"], summary.loc["b"]
    assert (a["frequency"], a["recency"], a["T"], a["mean_value"]) == (1, 2.0, 4.0, 22.0)
    assert (b["frequency"], b["recency"], b["T"]) == (0, 0.0, 3.0) and np.isnan(b["mean_value"])


@pytest.mark.parametrize("form", ["timestamps", "iso", "compact_int", "compact_text", "dates",
                                  "custom"])
def test_date_forms_give_the_same_fit(log, form):
    reference = from_transactions(log, value=None)
    df = log.copy()
    if form == "iso":
        df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    elif form == "compact_int":
        df["date"] = df["date"].dt.strftime("%Y%m%d").astype(int)
    elif form == "compact_text":
        df["date"] = df["date"].dt.strftime("%Y%m%d")
    elif form == "dates":
        df["date"] = [datetime.date(d.year, d.month, d.day) for d in df["date"]]
    elif form == "custom":
        df["date"] = df["date"].dt.strftime("%d/%m/%Y")
    fit = from_transactions(df, value=None, date_format="%d/%m/%Y" if form == "custom" else None)
    assert fit.params == reference.params


# -- the fit ---------------------------------------------------------------------------------------


def test_fit_reports_estimates_errors_and_curves(log):
    cal = from_transactions(log, calibration_end="2026-09-30")
    assert set(cal.params) == {"r", "alpha", "a", "b"} and set(cal.spend) == {"p", "q", "gamma"}
    table = cal.table()
    assert list(table.columns) == ["estimate", "standard_error", "low", "high"]
    assert len(table) == 7 and (table["standard_error"] > 0).all()
    text = cal.summary()
    assert "BG/NBD" in text and "Gamma-Gamma" in text and "(SE " in text
    assert cal.expected_repeat_purchases(0.0) == 0.0
    assert cal.expected_repeat_purchases(52.0) > cal.expected_repeat_purchases(26.0) > 0
    actual = cal.actual_repeat_curve()
    expected = cal.expected_repeat_curve(len(actual) * 7)
    assert actual.index[0] == 1 and len(expected) == len(actual)
    repeats = len(cal.transactions) - cal.n_customers
    assert actual.iloc[-1] <= repeats
    purchases_only = from_transactions(log, value=None, calibration_end="2026-09-30")
    assert purchases_only.spend is None and purchases_only.params == cal.params


def test_to_scenario_runs_the_cohort(log):
    cal = from_transactions(log, calibration_end="2026-09-30")
    sc = cal.to_scenario(scale=3, name="shop")
    assert sc.model == "btyd" and sc.name == "shop" and sc.population == 3 * cal.n_customers
    assert sc.start_date == datetime.date(2025, 12, 31)
    res = crmsim.run(sc, seed=1)
    table = cal.tracking(res)
    assert {"actual", "simulated", "expected", "error_percent", "holdout"} <= set(table.columns)
    assert table["holdout"].any() and not table["holdout"].all()
    assert res.kpis["acquisitions"].sum() == 3 * cal.n_customers
    assert res.kpis["revenue"].sum() > 0
    no_spend = cal.to_scenario(spend=False)
    assert no_spend.to_dict()["segments"][0]["btyd"]["spend"] is None
    with pytest.raises(ValueError, match="scale must be a whole number of at least 1"):
        cal.to_scenario(scale=0)


def test_pareto_nbd_fit_reports_its_own_model_and_has_no_scenario(log):
    cal = from_transactions(log, calibration_end="2026-09-30", model="pareto_nbd")
    assert cal.model == "pareto_nbd" and set(cal.params) == {"r", "alpha", "s", "beta"}
    assert "Pareto/NBD    log-likelihood" in cal.summary()
    assert list(cal.table().index.get_level_values("model").unique()) == ["Pareto/NBD",
                                                                          "Gamma-Gamma"]
    assert (cal.table()["standard_error"] > 0).all()
    assert cal.expected_repeat_purchases(52.0) > cal.expected_repeat_purchases(26.0) > 0
    assert len(cal.expected_repeat_curve(364)) == 52
    with pytest.raises(CalibrationError) as e:
        cal.to_scenario()
    assert str(e.value).startswith("to_scenario needs a BG/NBD fit, this one is Pareto/NBD")
    assert message(log, model="pareto") == ("model must be one of 'bgnbd', 'pareto_nbd', got "
                                            "'pareto'")
