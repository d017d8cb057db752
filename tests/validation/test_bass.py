"""Bass diffusion in the well-mixed lifecycle model (Bass 1969).

With no churn and no enquiries, a prospect adopts with hazard
p + q F(t) per year, F being the market-wide share of customers; the share
then follows F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).

Tolerance, and why: the engine steps one day at a time, each prospect
adopting with probability 1 - exp(-(p + q F_yesterday)/365). Its mean path
is the daily recursion of closed_forms.bass_daily, and the simulated share
scatters around it with the standard error SE(t) of that function (binomial
noise of each day, amplified by imitation: 1.2 to 2.2 times the plain
binomial sqrt(F(1-F)/n) here, as replications confirm). The check allows
4 SE at each year end (a chance failure of one comparison has probability
6e-5) against the daily recursion, and 4 SE plus the recursion's own
distance from the continuous curve (at most 3.1e-4 in share, stated by the
test) against the closed form.
"""

from __future__ import annotations

import numpy as np

import crmsim

from .closed_forms import bass_daily, bass_share

P, Q = 0.03, 0.38          # Bass's average innovation and imitation, per year
MARKET = 200_000           # SE of the share at most 0.0025 (year 7)
YEARS = 8                  # past the peak of adoptions, t* = ln(q/p)/(p+q) = 6.2 years


def bass_scenario(p: float, q: float) -> crmsim.Scenario:
    return crmsim.Scenario.from_dict({
        "name": "Bass diffusion, well mixed", "start_date": "2027-01-01", "days": 365 * YEARS,
        "segments": [{"name": "market", "market_size": MARKET,
                      "acquisition": {"innovation_per_year": p, "imitation_per_year": q},
                      "churn": {"annual_rate": 0.0},
                      "purchases": {"per_year": 0.0, "spend_mean": 0.0}}]})


def check_bass(checker, share: np.ndarray, name: str, record: bool = True):
    """Compares a simulated daily share with Bass at (P, Q); returns the two checkers."""
    days = np.arange(365, 365 * YEARS + 1, 365)
    mean, se = bass_daily(P, Q, 365 * YEARS, MARKET)
    daily = checker(f"{name}: daily recursion", record)
    daily.compare([f"F(year {d // 365})" for d in days], share[days], mean[days], 4.0 * se[days])
    step = np.max(np.abs(mean - bass_share(P, Q, np.arange(len(mean)) / 365.0)))
    closed = checker(f"{name}: closed form F(t)", record)
    closed.compare([f"F(year {d // 365})" for d in days], share[days],
                   bass_share(P, Q, days / 365.0), 4.0 * se[days] + step)
    return daily, closed, step


def simulated_share(p: float, q: float) -> np.ndarray:
    kpis = crmsim.run(bass_scenario(p, q), seed=11, threads=2).kpis
    return kpis["customers"].to_numpy() / MARKET


def test_bass_share_follows_the_closed_form(checker):
    share = simulated_share(P, Q)
    daily, closed, step = check_bass(checker, share, "Bass p=0.03 q=0.38")
    assert step < 3.2e-4  # the daily step's own bias, allowed for above
    assert daily.passed, daily.failures()
    assert closed.passed, closed.failures()


def test_bass_check_fails_when_imitation_is_off_by_10_percent(checker):
    # An engine that ran q 10% high would be caught: the comparison fails.
    share = simulated_share(P, 1.1 * Q)
    daily, closed, _ = check_bass(checker, share, "Bass, q x 1.1", record=False)
    assert not daily.passed and not closed.passed
    assert daily.worst > 3.0  # by a wide margin, not by chance
