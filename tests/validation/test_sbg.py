"""Contract renewals: the shifted-beta-geometric model (Fader & Hardie 2007).

Each customer churns with its own probability theta ~ Beta(alpha, beta) at
each yearly renewal, so after t renewals a cohort keeps
S(t) = B(alpha, beta + t) / B(alpha, beta). The published estimates for the
"high end" (alpha 0.668, beta 3.806) and "regular" (alpha 0.704,
beta 1.182) cohorts are simulated with model sbg, yearly periods.

Tolerances, and why:
- against the closed form: a customer is still there after t renewals or
  not, independently of the others, so the simulated share of n customers
  has the binomial standard error sqrt(S(1-S)/n) (at most 0.0005 for n =
  1,000,000); the check allows 4 SE at each year (a chance failure of one
  comparison: 6e-5).
- against the published tables: the data are one cohort of 1,000 customers
  per segment, so they scatter around the model with the binomial standard
  error of 1,000 (up to 1.6 percentage points); the check allows 3 of the
  combined SE (data and simulation) plus 0.05 points for the table's
  rounding to 0.1%. Years 1-7 are the data the estimates were fitted to,
  years 8-12 a projection the paper did not see. A cohort of 1,000 cannot
  tell alpha from 1.1 alpha (that misses the tables by about one tolerance),
  so this check is shown to fail with alpha 30% off; the closed-form check
  catches the 10% error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmsim

from .closed_forms import sbg_retention, sbg_survival
from .conftest import DATA

COHORTS = {"high_end": (0.668, 3.806), "regular": (0.704, 1.182)}
N = 1_000_000   # per cohort
YEARS = 12


def sbg_scenario(cohorts: dict) -> crmsim.Scenario:
    return crmsim.Scenario.from_dict({
        "name": "sBG retention, Fader & Hardie (2007)", "start_date": "2000-01-01",
        "days": 365 * YEARS, "model": {"kind": "sbg", "period_days": 365},
        "segments": [{"name": name, "market_size": N, "initial": {"active": N},
                      "sbg": {"alpha": a, "beta": b, "fee": 100.0}}
                     for name, (a, b) in cohorts.items()]})


def survival(cohorts: dict, seed: int = 5) -> dict[str, np.ndarray]:
    """Simulated share alive after each yearly renewal, 0..YEARS, per cohort."""
    res = crmsim.run(sbg_scenario(cohorts), seed=seed, threads=2)
    seg = res.segment_kpis
    return {name: seg.loc[name]["active"].to_numpy()[::365] / N for name in cohorts}


@pytest.fixture(scope="module")
def simulated():
    return survival(COHORTS)


def check_closed_form(checker, simulated: dict, name: str, record: bool = True):
    check = checker(name, record)
    t = np.arange(1, YEARS + 1)
    for cohort, (a, b) in COHORTS.items():
        s = sbg_survival(a, b, t)
        check.compare([f"{cohort} S({k})" for k in t], simulated[cohort][1:], s,
                      4.0 * np.sqrt(s * (1.0 - s) / N))
    return check


def test_sbg_survival_follows_the_beta_function(checker, simulated):
    check = check_closed_form(checker, simulated, "sBG S(t) closed form")
    assert check.passed, check.failures()
    # Retention of period t, S(t)/S(t-1), is the closed form's (beta+t-1)/(alpha+beta+t-1).
    for cohort, (a, b) in COHORTS.items():
        s = simulated[cohort]
        np.testing.assert_allclose(s[1:] / s[:-1], sbg_retention(a, b, np.arange(1, YEARS + 1)),
                                   atol=0.004)


def check_tables(checker, simulated: dict, name: str, record: bool = True):
    table = pd.read_csv(DATA / "sbg_retention_fader_hardie_2007.csv").set_index("year")
    check = checker(name, record)
    for cohort in COHORTS:
        data = table[f"{cohort}_pct_surviving"].to_numpy() / 100.0
        sim = simulated[cohort]
        se = np.sqrt(sim * (1 - sim) / 1000 + sim * (1 - sim) / N)
        check.compare([f"{cohort} year {y}" for y in table.index], sim, data, 3.0 * se + 0.0005)
    return check


def test_sbg_reproduces_the_published_retention_tables(checker, simulated):
    check = check_tables(checker, simulated, "sBG vs Fader-Hardie tables")
    assert check.passed, check.failures()


def test_table_check_fails_when_alpha_is_off_by_30_percent(checker):
    perturbed = survival({name: (1.3 * a, b) for name, (a, b) in COHORTS.items()})
    check = check_tables(checker, perturbed, "sBG tables, alpha x 1.3", record=False)
    assert not check.passed and check.worst > 2.0


def test_sbg_check_fails_when_alpha_is_off_by_10_percent(checker):
    perturbed = survival({name: (1.1 * a, b) for name, (a, b) in COHORTS.items()})
    check = check_closed_form(checker, perturbed, "sBG S(t), alpha x 1.1", record=False)
    assert not check.passed and check.worst > 3.0


MONTHLY_N = 400_000


def monthly_active(period_days: int = 30) -> np.ndarray:
    """Customers subscribed per day: a cohort of the regular kind signing up on day 45."""
    a, b = COHORTS["regular"]
    sc = crmsim.Scenario.from_dict({
        "name": "monthly", "start_date": "2000-01-01", "days": 45 + 30 * 12,
        "model": {"kind": "sbg", "period_days": period_days},
        "segments": [{"name": "later", "market_size": MONTHLY_N,
                      "entries": [{"day": 45, "customers": MONTHLY_N}],
                      "sbg": {"alpha": a, "beta": b}}]})
    return crmsim.run(sc, seed=8, threads=2).kpis["active"].to_numpy()


def check_monthly(checker, active: np.ndarray, name: str, record: bool = True):
    # Renewal t of a cohort signing up on day 45 falls on day 45 + 30 t.
    a, b = COHORTS["regular"]
    t = np.arange(0, 13)
    s = sbg_survival(a, b, t)
    check = checker(name, record)
    check.compare([f"S({k})" for k in t], active[45 + 30 * t] / MONTHLY_N, s,
                  4.0 * np.sqrt(s * (1 - s) / MONTHLY_N) + 1e-12)
    return check


def test_monthly_contracts_and_later_sign_ups_follow_the_same_curve(checker):
    # Periods of 30 days, a cohort signing up on day 45: its renewals fall on
    # days 75, 105, ... and it keeps S(t) of its own sign-up.
    active = monthly_active()
    check = check_monthly(checker, active, "sBG monthly, sign-up day 45")
    assert check.passed, check.failures()
    assert active[44] == 0 and active[45 + 29] == active[45]  # no renewal between dates


def test_monthly_check_fails_when_renewals_come_a_day_late(checker):
    # An engine that renewed every 31 days would show S(t - 1) on renewal day t.
    check = check_monthly(checker, monthly_active(period_days=31),
                          "sBG monthly, renewals every 31 days", record=False)
    assert not check.passed and check.worst > 3.0
