"""Buy-till-you-die: BG/NBD expected purchases at the CDNOW estimates (Fader, Hardie & Lee 2005).

Model btyd with weekly rates (period_days 7) and the published estimates
r = 0.243, alpha = 4.414, a = 0.793, b = 2.426; every customer makes its first
purchase on day 0, so the cumulative purchases per customer after t weeks
estimate E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
The engine buys day by day with rate lambda/7 and drops out right after a
purchase, which is the continuous-time process seen at whole days: no
discretisation error is expected.

Tolerance, and why: customers are independent, so the population is split
into 50 segments of 4,000 customers with the same parameters (independent
replicates); the standard error of the mean E[X(t)] is the spread of the 50
segment means over sqrt(50) (batch means: no assumption on the distribution
of X(t), which is very skewed here). The check allows 4 SE (a chance
failure of one comparison: 6e-5). Against the published table, the rounding
of the published estimates to 3-4 digits moves E[X(t)] by up to 0.0029
(t = 78; computed by the test) and is added to the tolerance.
"""

from __future__ import annotations

import numpy as np

import crmsim

from .closed_forms import bgnbd_expected

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED = {1: 0.0532, 3: 0.1506, 32: 1.0437, 78: 1.8576}  # E[X(t)], t in weeks
BATCHES, BATCH = 50, 4_000
WEEKS = np.array([1, 3, 6, 13, 26, 32, 39, 52, 65, 78])


def btyd_scenario(params: dict) -> crmsim.Scenario:
    return crmsim.Scenario.from_dict({
        "name": "BG/NBD at the CDNOW estimates", "start_date": "1997-01-01", "days": 7 * 78,
        "model": {"kind": "btyd", "period_days": 7},
        "segments": [{"name": f"batch{k}", "market_size": BATCH, "initial": {"active": BATCH},
                      "btyd": dict(params)} for k in range(BATCHES)]})


def expected_purchases(params: dict, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Simulated E[X(t)] at WEEKS and its batch-means standard error."""
    res = crmsim.run(btyd_scenario(params), seed=seed, threads=2)
    purchases = res.kpi_array[:, :, res._sim.kpi_columns.index("purchases")]  # (day, batch)
    per_batch = np.cumsum(purchases, axis=0)[7 * WEEKS] / BATCH                # (week, batch)
    return per_batch.mean(axis=1), per_batch.std(axis=1, ddof=1) / np.sqrt(BATCHES)


def check_closed_form(checker, mean, se, name, record=True):
    check = checker(name, record)
    closed = bgnbd_expected(*CDNOW.values(), WEEKS)
    check.compare([f"E[X({t})]" for t in WEEKS], mean, closed, 4.0 * se)
    return check


def check_published(checker, mean, se, name, record=True):
    """The published table (computed at the unrounded estimates), plus their rounding."""
    check = checker(name, record)
    at = [list(WEEKS).index(t) for t in PUBLISHED]
    rounding = np.abs(bgnbd_expected(*CDNOW.values(), np.array(list(PUBLISHED)))
                      - np.array(list(PUBLISHED.values())))
    assert rounding.max() < 0.003
    check.compare([f"E[X({t})]" for t in PUBLISHED], mean[at], list(PUBLISHED.values()),
                  4.0 * se[at] + rounding)
    return check


def check_nbd(checker, mean, se, name, record=True):
    """Nobody drops out: purchases are NBD, E[X(t)] = r t / alpha exactly."""
    check = checker(name, record)
    check.compare([f"E[X({t})]" for t in WEEKS], mean, CDNOW["r"] * WEEKS / CDNOW["alpha"],
                  4.0 * se)
    return check


def test_expected_purchases_follow_the_bgnbd_closed_form(checker):
    mean, se = expected_purchases(CDNOW)
    check = check_closed_form(checker, mean, se, "BG/NBD E[X(t)] closed form")
    assert check.passed, check.failures()
    published = check_published(checker, mean, se, "BG/NBD E[X(t)] published table")
    assert published.passed, published.failures()


def test_bgnbd_checks_fail_when_r_is_off_by_10_percent(checker):
    mean, se = expected_purchases({**CDNOW, "r": 1.1 * CDNOW["r"]})
    check = check_closed_form(checker, mean, se, "BG/NBD E[X(t)], r x 1.1", record=False)
    assert not check.passed and check.worst > 3.0
    published = check_published(checker, mean, se, "BG/NBD published table, r x 1.1",
                                record=False)
    assert not published.passed and published.worst > 3.0


def test_dropout_multiplier_zero_gives_the_nbd(checker):
    mean, se = expected_purchases({**CDNOW, "dropout_multiplier": 0.0}, seed=6)
    check = check_nbd(checker, mean, se, "NBD (no dropout) r t / alpha")
    assert check.passed, check.failures()


def test_nbd_check_fails_when_a_few_customers_still_drop_out(checker):
    # An engine that kept 5% of the dropouts when told to switch them off.
    mean, se = expected_purchases({**CDNOW, "dropout_multiplier": 0.05}, seed=6)
    check = check_nbd(checker, mean, se, "NBD, dropout x 0.05 left on", record=False)
    assert not check.passed and check.worst > 3.0
