"""Markov migration CLV (Pfeifer & Carraway 2000) on the engine's own customer lifecycle.

Without campaigns, enquiries or acquisition, and with every customer's churn
propensity alike (polarization 0), the lifecycle model moves a customer
between five states by a fixed daily Markov chain:

    A  active              -> developed (development), at risk (a problem), lost (churn)
    D  developed           -> at risk (a problem), lost (churn x developed_multiplier)
    RA at risk, 1 product  -> active (recovery), lost (churn x at_risk_multiplier)
    RD at risk, 2 products -> developed (recovery), lost (churn x at_risk_multiplier)
    L  lost (lapsed, then a prospect nobody acquires): absorbing

Each day a customer meets at most one event: with total hazard H of its
state's competing events, one happens with probability 1 - exp(-H), and it is
event k with probability h_k / H (DESIGN.md, Hazards). A customer buys at the
start of its day in the state it is in: expected revenue per day
R = (purchases per year / 365) x mean spend, times the spend multiplier in D
only (an at-risk customer with two products buys at the single-product
spend). The discounted revenue of a customer starting in state i over T days,
the day-t revenue discounted by v^(t-1), is the Pfeifer & Carraway value
V_T = sum_{k<T} (vP)^k R = (I - vP)^{-1} (I - (vP)^T) R, P being the daily
transition matrix built below from the scenario's rates (not from the
engine's code).

This checks, on a chain of four transient states, the engine's lifecycle
transitions (competing risks, state churn multipliers, recovery back to the
state with the same products) and its revenue per state. The recency chain
of test_clv.py checks the same formula on the classic direct-marketing
example, which the engine has no model for.

Tolerance, and why: customers are independent, so each starting state has
40 segments of 2,500 customers with the same parameters (independent
replicates); the standard error of the mean value per customer is the
spread of the 40 segment means over sqrt(40) (batch means: purchase rates
are Gamma across customers, lifetimes geometric, so the value is skewed).
The check allows 4 SE (a chance failure of one comparison: below 1e-3 with
an SE estimated from 40 batches).
"""

from __future__ import annotations

import math

import numpy as np

import crmsim

from .closed_forms import markov_clv_horizon

RATES = {"churn": 0.3, "developed_multiplier": 0.6, "at_risk_multiplier": 4.0,
         "development": 0.5, "problems": 2.0, "recovery_days": 20.0, "spend_multiplier": 1.5,
         "per_year": 12.0, "spend": 20.0}
DISCOUNT = 1.1 ** (1 / 365) - 1   # 10% a year, per day
YEARS = 4
BATCHES, BATCH = 40, 2_500
STARTS = {"A": {"active": BATCH}, "D": {"developed": BATCH}, "RA": {"at_risk": BATCH}}


def chain(rates: dict) -> tuple[np.ndarray, np.ndarray]:
    """Daily transition matrix over A, D, RA, RD, L and expected revenue per day by state."""
    h = -math.log1p(-rates["churn"]) / 365.0          # daily churn hazard of an active customer
    dev, prob, rec = rates["development"] / 365.0, rates["problems"] / 365.0, 1.0 / rates[
        "recovery_days"]
    risk = h * rates["at_risk_multiplier"]
    events = {  # state: {next state: daily hazard}
        0: {4: h, 1: dev, 2: prob},
        1: {4: h * rates["developed_multiplier"], 3: prob},
        2: {4: risk, 0: rec},
        3: {4: risk, 1: rec},
    }
    P = np.zeros((5, 5))
    for state, out in events.items():
        total = sum(out.values())
        happens = -math.expm1(-total)
        for to, hazard in out.items():
            P[state, to] += happens * hazard / total
        P[state, state] += 1.0 - happens
    P[4, 4] = 1.0
    per_day = rates["per_year"] / 365.0 * rates["spend"]
    return P, per_day * np.array([1.0, rates["spend_multiplier"], 1.0, 1.0, 0.0])


def migration_scenario(rates: dict) -> crmsim.Scenario:
    segment = {
        "acquisition": {"innovation_per_year": 0.0, "imitation_per_year": 0.0},
        "churn": {"annual_rate": rates["churn"], "polarization": 0.0,
                  "developed_multiplier": rates["developed_multiplier"],
                  "at_risk_multiplier": rates["at_risk_multiplier"]},
        "purchases": {"per_year": rates["per_year"], "spend_mean": rates["spend"]},
        "development": {"per_year": rates["development"],
                        "spend_multiplier": rates["spend_multiplier"]},
        "problems": {"per_year": rates["problems"],
                     "recovery_days_mean": rates["recovery_days"]}}
    return crmsim.Scenario.from_dict({
        "name": "lifecycle migration chain", "start_date": "2027-01-01", "days": 365 * YEARS,
        "lifecycle": {"welcome_days": 0},
        "segments": [{**segment, "name": f"{start}_{k}", "market_size": BATCH, "initial": init}
                     for start, init in STARTS.items() for k in range(BATCHES)]})


def simulated_values(rates: dict, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Discounted revenue per customer by starting state (A, D, RA): means and batch-means SE."""
    res = crmsim.run(migration_scenario(rates), seed=seed, threads=2)
    cents = res.kpi_array[:, :, res._sim.kpi_columns.index("revenue_cents")]   # (day, segment)
    revenue = cents / 100.0
    days = np.arange(1, revenue.shape[0])
    per_segment = (revenue[1:] * (1.0 + DISCOUNT) ** -(days - 1.0)[:, None]).sum(axis=0) / BATCH
    per_start = per_segment.reshape(len(STARTS), BATCHES)
    return per_start.mean(axis=1), per_start.std(axis=1, ddof=1) / np.sqrt(BATCHES)


def check_migration(checker, means, ses, name, record=True):
    P, R = chain(RATES)
    closed = markov_clv_horizon(P, R, DISCOUNT, 365 * YEARS)[:3]
    check = checker(name, record)
    check.compare([f"V_T({s})" for s in STARTS], means, closed, 4.0 * ses)
    return check


def test_lifecycle_migration_clv_matches_pfeifer_carraway(checker):
    means, ses = simulated_values(RATES)
    check = check_migration(checker, means, ses, "lifecycle migration CLV")
    assert check.passed, check.failures()


def test_migration_check_fails_when_developed_spend_is_10_percent_high(checker):
    means, ses = simulated_values({**RATES, "spend_multiplier": 1.1 * RATES["spend_multiplier"]})
    check = check_migration(checker, means, ses, "lifecycle migration CLV, spend factor x 1.1",
                            record=False)
    assert not check.passed and check.worst > 3.0


def test_migration_check_fails_when_at_risk_churn_is_30_percent_high(checker):
    # A transition error: 10% moves the values by about one tolerance, 30% by four.
    means, ses = simulated_values(
        {**RATES, "at_risk_multiplier": 1.3 * RATES["at_risk_multiplier"]})
    check = check_migration(checker, means, ses, "lifecycle migration CLV, at-risk churn x 1.3",
                            record=False)
    assert not check.passed and check.worst > 3.0
