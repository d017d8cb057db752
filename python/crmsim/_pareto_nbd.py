"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): likelihood and expected purchases.

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha)
per period; its lifetime is exponential with rate mu ~ Gamma(s, beta): it may leave
at any time, not only right after a purchase as in the BG/NBD. The formulas are those
of Fader, Hardie & Lee (2005), "A note on deriving the Pareto/NBD model and related
expressions" (eqs. 19-22 and 17); crmsim.calibrate fits them with model="pareto_nbd".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _log_a0(params: Any, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log A0 of the note (eq. 21 for alpha >= beta, eq. 22 for alpha < beta)."""
    from scipy import special

    r, alpha, s, beta = params
    if alpha >= beta:
        low, high, b = beta, alpha, s + 1.0
    else:
        low, high, b = alpha, beta, r + x
    rsx = r + s + x
    # A0 = F(tx) / (high + tx)^rsx - F(T) / (high + T)^rsx with F(t) the 2F1 at
    # z = (high - low) / (high + t); t_x <= T, so the first term is the larger.
    first = np.log(special.hyp2f1(rsx, b, rsx + 1.0, (high - low) / (high + tx))) \
        - rsx * np.log(high + tx)
    second = np.log(special.hyp2f1(rsx, b, rsx + 1.0, (high - low) / (high + T))) \
        - rsx * np.log(high + T)
    with np.errstate(divide="ignore"):
        return first + np.log(-np.expm1(np.minimum(second - first, 0.0)))


def log_likelihood(params: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood of (x, t_x, T); params (r, alpha, s, beta).

    L = Gamma(r + x) alpha^r beta^s / Gamma(r) [1 / ((alpha + T)^(r+x) (beta + T)^s)
    + s / (r + s + x) A0].
    """
    from scipy import special

    r, alpha, s, beta = params
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    head = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    left = math.log(s) - np.log(r + s + x) + _log_a0(params, x, tx, T)
    return head + np.logaddexp(alive, left)


def expected_purchases(params: Any, t: Any) -> Any:
    """E[X(t)]: expected purchases in (0, t] of a customer who bought at 0 (t in periods).

    E[X(t)] = r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)] (eq. 17), and
    its limit r beta / alpha log(1 + t / beta) at s = 1.
    """
    r, alpha, s, beta = params
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    log_ratio = np.log1p(t / beta)  # -log(beta / (beta + t))
    if s == 1.0:
        value = r * beta / alpha * log_ratio
    else:
        value = r * beta / alpha * -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
    return value if value.ndim else float(value)
