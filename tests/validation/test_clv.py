"""Customer lifetime value: constant retention, and Markov migration (Pfeifer & Carraway 2000).

1. Retention CLV. A customer who pays margin m each period, renews with
   probability r and is discounted at d per period is worth m r / (1 + d - r)
   from the next period on, m (1 + d) / (1 + d - r) with this period's
   payment included. Simulated with model sbg (churn 1 - r for everybody,
   fee m, monthly periods): customers of day 0 pay at each renewal (the
   first form), a cohort signing up on day 1 pays on sign-up and at each
   renewal (the second). The simulated value is the discounted revenue per
   customer over 120 months; what lies beyond is (r/(1+d))^120 of the value,
   below 1e-11, and is ignored. This is also the simplest Markov migration
   model: the two-state chain alive/lost with P = [[r, 1-r], [0, 1]] and
   R = [m, 0], whose V = (I - P/(1+d))^{-1} R is the second form.

2. Markov migration CLV on a recency chain. States 1-4 are the periods since
   the last purchase, 5 is lost (absorbing). Each period a customer in state
   i <= 4 is mailed (cost c) and buys with probability p_i (margin M, back to
   state 1) or moves on to i + 1. V = (I - P/(1+d))^{-1} R with
   R_i = p_i M - c. The engine has no recency-dependent purchase model (its
   BG/NBD buyers buy at the same rate whatever their recency, and sBG
   customers only renew or churn), and adding a fourth engine model for one
   check would grow the engine for no planner's use. So this check runs a
   small harness over the engine's random numbers instead: the same Philox
   4x32-10, counter (agent, period, 0, seed >> 32) under key (seed,
   purpose), vectorised in numpy (closed_forms.philox4x32_10, checked
   bit for bit against crmsim._core.philox4x32_10 below). It validates the
   migration formula and the simulation method with the engine's
   generator; the engine's own use of a two-state chain is check 1.

Tolerance, and why: customers are independent, so the standard error of
the mean discounted value is its standard deviation over sqrt(n) (exact for
constant retention: closed_forms.retention_clv_sd; the sample standard
deviation for the recency chain); the checks allow 4 SE (a chance failure
of one comparison: 6e-5).
"""

from __future__ import annotations

import numpy as np

import crmsim

from .closed_forms import markov_clv, philox4x32_10, retention_clv, retention_clv_sd, uniforms

M, R, D = 30.0, 0.8, 0.01   # margin per month, monthly retention, monthly discount rate
N = 500_000                 # customers per cohort
MONTHS = 120


def retention_values(churn_multiplier: float = 1.0, seed: int = 2) -> dict[str, float]:
    """Simulated discounted revenue per customer of the two cohorts."""
    sc = crmsim.Scenario.from_dict({
        "name": "constant retention", "start_date": "2027-01-01", "days": 1 + 30 * MONTHS,
        "model": {"kind": "sbg", "period_days": 30},
        "segments": [
            {"name": "customers", "market_size": N, "initial": {"active": N},
             "sbg": {"churn": 1 - R, "fee": M, "churn_multiplier": churn_multiplier}},
            {"name": "sign_ups", "market_size": N, "entries": [{"day": 1, "customers": N}],
             "sbg": {"churn": 1 - R, "fee": M, "churn_multiplier": churn_multiplier}}]})
    seg = crmsim.run(sc, seed=seed, threads=2).segment_kpis
    v = 1.0 / (1.0 + D)
    out = {}
    for name, first in (("customers", 30), ("sign_ups", 1)):
        revenue = seg.loc[name]["revenue"].to_numpy()
        days = np.arange(first, len(revenue), 30)
        # Period t of a cohort is paid on day first + 30 t (t = 1, 2, ... for
        # customers of day 0, t = 0, 1, ... for the sign-ups of day 1).
        t = (days - first) // 30 + (1 if name == "customers" else 0)
        assert revenue[np.setdiff1d(np.arange(1, len(revenue)), days)].sum() == 0
        out[name] = float(np.sum(revenue[days] * v**t) / N)
    return out


def check_retention(checker, values, name, record=True):
    check = checker(name, record)
    for cohort, included in (("customers", False), ("sign_ups", True)):
        label = "m(1+d)/(1+d-r)" if included else "m r/(1+d-r)"
        sd = retention_clv_sd(M, R, D, included)
        check.compare(f"{cohort} {label}", values[cohort], retention_clv(M, R, D, included),
                      4.0 * sd / np.sqrt(N))
    return check


def test_retention_clv_matches_the_closed_form(checker):
    check = check_retention(checker, retention_values(), "retention CLV (sBG, r=0.8)")
    assert check.passed, check.failures()
    # The two-state Markov chain gives the sign-up form.
    two_state = markov_clv([[R, 1 - R], [0.0, 1.0]], [M, 0.0], D)[0]
    assert abs(two_state - retention_clv(M, R, D, included=True)) < 1e-9


def test_retention_check_fails_when_churn_is_5_percent_higher(checker):
    check = check_retention(checker, retention_values(churn_multiplier=1.05),
                            "retention CLV, churn x 1.05", record=False)
    assert not check.passed and check.worst > 3.0


# -- recency chain ----------------------------------------------------------------------

BUY = np.array([0.30, 0.20, 0.15, 0.05])   # purchase probability by recency 1-4
MARGIN, MAIL, RATE = 40.0, 4.0, 0.20       # per purchase, per mailing, discount per period
HARNESS = 0x4D41524B                       # the harness's purpose word ('MARK'), no engine purpose


def recency_chain(buy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    P = np.zeros((5, 5))
    for i, p in enumerate(buy):
        P[i, 0] = p
        P[i, i + 1] = 1.0 - p
    P[4, 4] = 1.0
    return P, np.append(buy * MARGIN - MAIL, 0.0)


def simulate_chain(buy: np.ndarray, n: int = 200_000, seed: int = 3):
    """Discounted value per customer by starting state 1-4: means and standard errors."""
    means, ses = [], []
    for start in range(4):
        ids = np.arange(start * n, (start + 1) * n, dtype=np.uint64)
        state = np.full(n, start)
        value = np.zeros(n)
        discount, t = 1.0, 0
        while (state < 4).any() and discount > 1e-15:
            live = state < 4
            u = uniforms(seed, HARNESS, ids[live], t)
            bought = u < buy[state[live]]
            value[live] += discount * np.where(bought, MARGIN - MAIL, -MAIL)
            state[live] = np.where(bought, 0, state[live] + 1)
            discount /= 1.0 + RATE
            t += 1
        means.append(value.mean())
        ses.append(value.std(ddof=1) / np.sqrt(n))
    return np.array(means), np.array(ses)


def check_chain(checker, means, ses, name, record=True):
    P, Rw = recency_chain(BUY)
    closed = markov_clv(P, Rw, RATE)[:4]
    check = checker(name, record)
    check.compare([f"V(recency {i + 1})" for i in range(4)], means, closed, 4.0 * ses)
    return check


def test_harness_draws_are_the_engine_philox():
    rng = np.random.default_rng(0)
    for _ in range(20):
        ctr = [int(x) for x in rng.integers(0, 2**32, 4)]
        key = [int(x) for x in rng.integers(0, 2**32, 2)]
        ours = [int(w[0]) for w in philox4x32_10(np.array([ctr[0]]), ctr[1], ctr[2], ctr[3],
                                                 key[0], key[1])]
        assert ours == list(crmsim._core.philox4x32_10(ctr, key))


def test_markov_migration_clv_matches_pfeifer_carraway(checker):
    means, ses = simulate_chain(BUY)
    check = check_chain(checker, means, ses, "Markov recency chain CLV")
    assert check.passed, check.failures()


def test_markov_check_fails_when_recent_buyers_buy_10_percent_more(checker):
    buy = BUY.copy()
    buy[0] *= 1.1
    means, ses = simulate_chain(buy)
    check = check_chain(checker, means, ses, "Markov CLV, p1 x 1.1", record=False)
    assert not check.passed and check.worst > 3.0
