"""crmsim._pareto_nbd: the Pareto/NBD closed forms against direct numerical integration.

The reference integrates the individual-level model over the Gamma
distributions of lambda and mu with scipy.integrate, written here from the
model's definition (not from the closed forms): a customer with purchase
rate lambda and dropout rate mu who made x repeat purchases, the last at t_x,
and was watched to T has likelihood
lambda^x e^{-(lambda+mu) T} + lambda^x mu / (lambda+mu) (e^{-(lambda+mu) t_x} - e^{-(lambda+mu) T})
(alive at T, or gone at some time between t_x and T), and expects
lambda (1 - e^{-mu t}) / mu purchases in (0, t].
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from crmsim._pareto_nbd import expected_purchases, log_likelihood

#: (r, alpha, s, beta): the CDNOW estimates (alpha < beta), alpha > beta, alpha = beta.
PARAMS = [(0.553, 10.578, 0.606, 11.669), (0.8, 12.0, 1.3, 5.0), (1.2, 6.0, 0.7, 6.0)]
#: (x, t_x, T): no repeat purchase, a few, many, the last one at T.
CUSTOMERS = [(0, 0.0, 30.0), (2, 10.0, 38.0), (5, 37.5, 38.0), (1, 38.0, 38.0)]


def gamma_pdf(shape: float, rate: float):
    """The Gamma density as a plain function (scipy.stats' frozen pdf is slow in quad)."""
    const = shape * math.log(rate) - math.lgamma(shape)
    return lambda v: math.exp(const + (shape - 1) * math.log(v) - rate * v) if v > 0 else 0.0


def integrated_likelihood(params, x, tx, T) -> float:
    r, alpha, s, beta = params
    lam_pdf, mu_pdf = gamma_pdf(r, alpha), gamma_pdf(s, beta)
    mu_top = stats.gamma(s, scale=1 / beta).ppf(1 - 1e-13)

    def over_mu(lm):
        def individual(m):
            k = lm + m
            return (math.exp(-k * T) + m / k * (math.exp(-k * tx) - math.exp(-k * T))) * mu_pdf(m)

        # Densities of shape < 1 are infinite at 0: a piece of its own there.
        value = sum(integrate.quad(individual, a, b, epsabs=0, epsrel=1e-9, limit=100)[0]
                    for a, b in [(0.0, mu_top / 50), (mu_top / 50, mu_top)])
        return lm**x * value * lam_pdf(lm)

    lam = stats.gamma(r, scale=1 / alpha)
    edges = [0.0, lam.ppf(1e-3), lam.ppf(0.5), lam.ppf(1 - 1e-13)]
    return sum(integrate.quad(over_mu, a, b, epsabs=0, epsrel=1e-9, limit=100)[0]
               for a, b in zip(edges, edges[1:]))


@pytest.mark.parametrize("params", PARAMS)
def test_log_likelihood_matches_numerical_integration(params):
    for x, tx, T in CUSTOMERS:
        closed = float(log_likelihood(params, [x], [tx], [T])[0])
        assert closed == pytest.approx(math.log(integrated_likelihood(params, x, tx, T)),
                                       abs=1e-5), (params, x, tx, T)


def test_log_likelihood_is_vectorised_over_customers():
    x, tx, T = (np.array(v, dtype=float) for v in zip(*CUSTOMERS))
    together = log_likelihood(PARAMS[0], x, tx, T)
    one_by_one = [float(log_likelihood(PARAMS[0], [a], [b], [c])[0]) for a, b, c in CUSTOMERS]
    np.testing.assert_allclose(together, one_by_one, rtol=1e-13)


@pytest.mark.parametrize("params", PARAMS + [(0.5, 8.0, 1.0, 9.0)])
def test_expected_purchases_match_numerical_integration(params):
    r, alpha, s, beta = params
    mu_pdf = gamma_pdf(s, beta)
    for t in (1.0, 13.0, 78.0):
        per_rate, _ = integrate.quad(lambda m, t=t: -math.expm1(-m * t) / m * mu_pdf(m), 0,
                                     np.inf, epsrel=1e-11)
        assert expected_purchases(params, t) == pytest.approx(r / alpha * per_rate, rel=1e-7)
    assert expected_purchases(params, 0.0) == 0.0
    np.testing.assert_allclose(expected_purchases(params, np.array([1.0, 13.0])),
                               [expected_purchases(params, 1.0), expected_purchases(params, 13.0)])


def test_expected_purchases_are_continuous_at_s_1():
    at_one = expected_purchases((0.5, 8.0, 1.0, 9.0), 52.0)
    assert expected_purchases((0.5, 8.0, 1.0 + 1e-9, 9.0), 52.0) == pytest.approx(at_one,
                                                                                  rel=1e-8)
