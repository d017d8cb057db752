"""Closed forms of marketing science the validation tests compare the engine with.

Written here from the papers, independently of crmsim's own code (the
calibration module has its own BG/NBD formulas), so that a test never checks
code against itself. Each function names its source.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

# -- Bass (1969) -------------------------------------------------------------------------


def bass_share(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); p, q and t in years."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_daily(p: float, q: float, days: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The engine's daily Bass process: its mean share and standard error, per day 0..days.

    The engine gives each prospect on day d the probability
    P = 1 - exp(-(p + q F_{d-1}) / 365) of adopting, F_{d-1} being
    yesterday's share. The mean follows F_d = F_{d-1} + (1 - F_{d-1}) P. The
    share of a market of n people fluctuates around it; to first order (the
    linear noise approximation) its variance follows
    V_d = (1 + g'(F_{d-1}))^2 V_{d-1} + (1 - F_{d-1}) P (1 - P) / n with
    g(F) = (1 - F) P(F): each day's binomial noise, carried forward and
    amplified by imitation. The square root is the standard error of the
    simulated share.
    """
    f = np.zeros(days + 1)
    v = np.zeros(days + 1)
    for d in range(1, days + 1):
        h = (p + q * f[d - 1]) / 365.0
        prob = -math.expm1(-h)
        dprob = math.exp(-h) * q / 365.0
        slope = -prob + (1.0 - f[d - 1]) * dprob
        v[d] = (1.0 + slope) ** 2 * v[d - 1] + (1.0 - f[d - 1]) * prob * (1.0 - prob) / n
        f[d] = f[d - 1] + (1.0 - f[d - 1]) * prob
    return f, np.sqrt(v)


# -- sBG (Fader & Hardie 2007) ---------------------------------------------------------------


def sbg_survival(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): share of a cohort left after t renewals."""
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_retention(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """r_t = (beta + t - 1) / (alpha + beta + t - 1): retention rate of period t."""
    t = np.asarray(t, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


# -- BG/NBD (Fader, Hardie & Lee 2005) ------------------------------------------------------


def bgnbd_expected(r: float, alpha: float, a: float, b: float, t: np.ndarray) -> np.ndarray:
    """E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))] (eq. 7)."""
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1.0) / (a - 1.0) * (
        1.0 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1.0, z))


# -- customer lifetime value ---------------------------------------------------------------


def retention_clv(m: float, r: float, d: float, included: bool = False) -> float:
    """Constant retention CLV: m r / (1 + d - r) from the next period on.

    With this period's margin included: m (1 + d) / (1 + d - r).
    """
    return m * (1.0 + d) / (1.0 + d - r) if included else m * r / (1.0 + d - r)


def retention_clv_sd(m: float, r: float, d: float, included: bool = False,
                     periods: int = 10_000) -> float:
    """Standard deviation of one customer's discounted value under constant retention.

    A customer renews K times with P(K = k) = r^k (1 - r) and is worth
    m (v + ... + v^K) (plus m now when ``included``), v = 1 / (1 + d).
    """
    v = 1.0 / (1.0 + d)
    k = np.arange(periods)
    prob = (1.0 - r) * r ** k
    value = m * v * (1.0 - v ** k) / (1.0 - v)
    mean = float(np.sum(prob * value))
    return float(math.sqrt(np.sum(prob * (value - mean) ** 2)))


def markov_clv(P: np.ndarray, R: np.ndarray, d: float) -> np.ndarray:
    """Pfeifer & Carraway (2000): V = (I - P / (1 + d))^{-1} R, value by starting state."""
    P = np.asarray(P, dtype=float)
    return np.linalg.solve(np.eye(len(P)) - P / (1.0 + d), np.asarray(R, dtype=float))


# -- the engine's random numbers, vectorised ----------------------------------------------------

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def philox4x32_10(c0, c1, c2, c3, k0: int, k1: int):
    """Philox 4x32-10 (the engine's crmsim::philox4x32_10) over numpy arrays of counters.

    Returns the four output words as uint64 arrays holding 32-bit values; a
    test checks them against the engine's own ``crmsim._core.philox4x32_10``.
    """
    shape = np.broadcast(c0, c1, c2, c3).shape
    c = [np.broadcast_to(np.asarray(x, dtype=np.uint64), shape).copy() for x in (c0, c1, c2, c3)]
    k0 &= 0xFFFFFFFF
    k1 &= 0xFFFFFFFF
    for round_ in range(10):
        if round_ > 0:
            k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
            k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
        p0 = _M0 * c[0]
        p1 = _M1 * c[2]
        c = [(p1 >> _32) ^ c[1] ^ np.uint64(k0), p1 & _LOW, (p0 >> _32) ^ c[3] ^ np.uint64(k1),
             p0 & _LOW]
    return c


def uniforms(seed: int, purpose: int, agents: np.ndarray, day: int) -> np.ndarray:
    """One uniform in (0, 1) per agent for (seed, purpose, agent, day), as the engine's draw_block.

    Word 0 of block 0 of the counter (agent, day, 0, seed >> 32) under the
    key (seed, purpose), mapped like the engine's to_open_unit.
    """
    words = philox4x32_10(agents, day, 0, seed >> 32, seed, purpose)[0]
    return (words.astype(np.float64) + 0.5) * 2.0**-32


def markov_clv_horizon(P: np.ndarray, R: np.ndarray, d: float, periods: int) -> np.ndarray:
    """Pfeifer & Carraway over a finite horizon: sum_{k<T} (P/(1+d))^k R = (I - M)^{-1} (I - M^T) R.

    M = P / (1 + d); the reward of the state held during period k is discounted k
    periods, the first undiscounted.
    """
    M = np.asarray(P, dtype=float) / (1.0 + d)
    eye = np.eye(len(M))
    return np.linalg.solve(eye - M, (eye - np.linalg.matrix_power(M, periods))
                           @ np.asarray(R, dtype=float))
