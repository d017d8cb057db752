"""Calibration from a transaction log: BG/NBD (or Pareto/NBD) and Gamma-Gamma by maximum likelihood.

    import pandas as pd, crmsim
    log = pd.read_csv("transactions.csv")                     # one row per transaction
    cal = crmsim.calibrate.from_transactions(log, customer="id", date="date", value="amount",
                                             calibration_end="1997-09-30")
    print(cal.summary())                                      # estimates with standard errors
    sc = cal.to_scenario(scale=10)                            # a btyd Scenario of these customers
    res = crmsim.run(sc, seed=1)
    cal.tracking(res)                       # weekly repeat purchases: data vs simulation

Conventions (those of Fader, Hardie & Lee 2005 and the ``lifetimes`` package):
transactions of one customer on one day are merged into one (their values
added); a customer's first purchase starts its clock and is not counted;
``frequency`` is the number of repeat purchase days up to ``calibration_end``,
``recency`` the time from the first to the last of them and ``T`` the time
from the first purchase to ``calibration_end``, in periods of ``period_days``
days (7: weeks). The Gamma-Gamma spend model is fitted to the mean value of
the repeat purchases (the first excluded) of customers with at least one.

Standard errors come from the inverse of the observed information (the
numerical Hessian of the log-likelihood at the maximum).

``model="pareto_nbd"`` fits the Pareto/NBD instead (lifetimes exponential,
ending at any time rather than right after a purchase; parameters r, alpha,
s, beta) for its estimates, log-likelihood and closed-form forecasts; the
engine simulates the BG/NBD only, so such a fit has no ``to_scenario``.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _pareto_nbd
from .errors import CalibrationError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from .result import Result
    from .scenario import Scenario

__all__ = ["from_transactions", "Calibration", "customer_summary", "bgnbd_expected_purchases",
           "bgnbd_log_likelihood", "pareto_nbd_expected_purchases", "pareto_nbd_log_likelihood",
           "gamma_gamma_log_likelihood", "mape", "CalibrationError", "MODELS"]

#: Fewest repeat buyers a fit accepts by default: with fewer, the dropout
#: parameters (a, b) and the spend model are not identified in practice.
MIN_REPEAT_BUYERS = 20

_EIGHT_DIGITS = re.compile(r"^\d{8}$")

#: The purchase models from_transactions fits: model= name -> (display name, parameters).
MODELS = {"bgnbd": ("BG/NBD", ("r", "alpha", "a", "b")),
          "pareto_nbd": ("Pareto/NBD", ("r", "alpha", "s", "beta"))}

pareto_nbd_log_likelihood = _pareto_nbd.log_likelihood
pareto_nbd_expected_purchases = _pareto_nbd.expected_purchases


# -- the models ------------------------------------------------------------------


def bgnbd_log_likelihood(params: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    params: (r, alpha, a, b); frequency x, recency t_x and age T in periods.
    """
    import numpy as np
    from scipy import special

    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    common = (special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha)
              + special.betaln(a, b + x) - special.betaln(a, b))
    alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        # log(a / (b + x - 1)) - (r + x) log(alpha + t_x), only for repeat buyers
        dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300))
                           - (r + x) * np.log(alpha + tx), -np.inf)
    return common + np.logaddexp(alive, dropped)


def bgnbd_expected_purchases(params: Any, t: Any) -> Any:
    """E[X(t)]: expected repeat purchases in (0, t] of a customer who bought at 0 (BG/NBD).

    E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r
    * 2F1(r, b; a + b - 1; t / (alpha + t))] (Fader, Hardie & Lee 2005, eq. 7), for a > 1
    or any a through the analytic continuation scipy's hyp2f1 provides; t in periods.
    """
    import numpy as np
    from scipy import special

    r, alpha, a, b = params
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    z = t / (alpha + t)
    value = (a + b - 1.0) / (a - 1.0) * (
        1.0 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1.0, z))
    return value if value.ndim else float(value)


def gamma_gamma_log_likelihood(params: Any, frequency: Any, mean_value: Any) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean value of x purchases.

    Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".

    params: (p, q, gamma); f(mean | x) = Gamma(px + q) / (Gamma(px) Gamma(q)) gamma^q
    mean^(px - 1) x^(px) / (gamma + x mean)^(px + q).
    """
    import numpy as np
    from scipy import special

    p, q, g = params
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(mean_value, dtype=float)
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * math.log(g)
            + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + x * m))


#: Largest estimate a fit accepts: beyond it the likelihood has no maximum inside the
#: parameter space (the scenario schema's bounds are of this order).
MAX_ESTIMATE = 1000.0


def _fit(neg_log_likelihood, start: list[float], what: str,
         names: tuple[str, ...]) -> tuple[np.ndarray, float, np.ndarray]:
    """Maximum likelihood over positive parameters (optimised on the log scale).

    Returns the estimates, the maximised log-likelihood and the covariance
    matrix of the estimates (inverse observed information, delta method).
    """
    import numpy as np
    from scipy import optimize

    def objective(log_params: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = neg_log_likelihood(np.exp(log_params))
        return float(value) if np.isfinite(value) else 1e300

    x0 = np.log(np.asarray(start, dtype=float))
    first = optimize.minimize(objective, x0, method="Nelder-Mead",
                              options={"maxiter": 20000, "maxfev": 40000,
                                       "xatol": 1e-10, "fatol": 1e-12})
    polished = optimize.minimize(objective, first.x, method="BFGS", options={"gtol": 1e-8})
    best = polished if polished.fun <= first.fun else first
    if not np.isfinite(best.fun) or best.fun >= 1e299 or np.any(np.abs(best.x) > 30):
        raise CalibrationError(f"the {what} likelihood has no finite maximum for this data "
                               "(too little repeat buying to separate the parameters?)")
    estimates = np.exp(best.x)
    for name, value in zip(names, estimates):
        if value > MAX_ESTIMATE:
            raise CalibrationError(
                f"the {what} estimate of {name} runs off to {value:,.0f}: the likelihood has no "
                "maximum inside the parameter space (customers hardly differ in what it "
                "describes); fit with more data" + (
                    ", or without the spend model (value=None)" if what == "Gamma-Gamma"
                    else ""))
    hessian = _hessian(objective, best.x)
    try:
        cov_log = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        cov_log = np.full_like(hessian, np.nan)
    if not np.all(np.isfinite(cov_log)) or np.any(np.diag(cov_log) <= 0):
        cov_log = np.full_like(hessian, np.nan)
    # At the maximum the gradient is zero, so the covariance of the natural
    # parameters is J cov_log J with J = diag(theta) (delta method).
    cov = cov_log * np.outer(estimates, estimates)
    return estimates, -float(best.fun), cov


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    import numpy as np

    n = len(x)
    h = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i] = step
            ej[j] = step
            if i == j:
                value = (f(x + ei) - 2.0 * f0 + f(x - ei)) / step**2
            else:
                value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                    4.0 * step**2)
            h[i, j] = h[j, i] = value
    return h


# -- reading a transaction log ---------------------------------------------------------


def _column(df: pd.DataFrame, name: Any, role: str, hint: str) -> pd.Series:
    if name not in df.columns:
        listed = ", ".join(map(str, df.columns)) or "none"
        raise CalibrationError(f"the transaction log has no {role} column {name!r} "
                               f"(columns: {listed}); {hint}")
    return df[name]


def _example(series: pd.Series, mask: Any) -> str:
    rows = series[mask]
    label, value = rows.index[0], rows.iloc[0]
    # numpy scalars as plain Python values: "row 3: -12.5", not "np.float64(-12.5)"
    label = label.item() if hasattr(label, "item") else label
    value = value.item() if hasattr(value, "item") else value
    return f"row {label!r}: {value!r}"


def _parse_dates(values: pd.Series, name: Any, date_format: str | None) -> pd.Series:
    import pandas as pd
    from pandas.api import types

    if types.is_datetime64_any_dtype(values):
        parsed = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
    elif date_format is not None:
        parsed = pd.to_datetime(values.astype(str), format=date_format, errors="coerce")
    elif types.is_integer_dtype(values) or (
            values.dtype == object and len(values)
            and all(isinstance(v, str) and _EIGHT_DIGITS.match(v) for v in values)):
        # 19970101: the compact form of transaction extracts (and of the CDNOW files).
        parsed = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(values.map(_iso_text), format="ISO8601", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise CalibrationError(
            f"column {name!r}: {int(bad.sum())} value(s) are not dates, e.g. "
            f"{_example(values, bad)} (dates are read as YYYY-MM-DD, YYYYMMDD or datetime "
            "values; pass date_format=, e.g. '%d/%m/%Y', for another form)")
    return parsed.dt.normalize()


def _iso_text(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _parse_values(values: pd.Series, name: Any) -> pd.Series:
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = pd.Series(~np.isfinite(numbers.to_numpy()), index=values.index)
    if bad.any():
        raise CalibrationError(f"column {name!r}: {int(bad.sum())} value(s) are not finite "
                               f"numbers, e.g. {_example(values, bad)}")
    negative = numbers < 0
    if negative.any():
        raise CalibrationError(
            f"column {name!r}: {int(negative.sum())} negative amount(s), e.g. "
            f"{_example(values, negative)} (remove returns and refunds, or net them against "
            "their purchases, before calibrating)")
    return numbers.astype(float)


def _timestamp(value: Any, what: str) -> pd.Timestamp:
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if stamp is pd.NaT or pd.isna(stamp):
        raise CalibrationError(f"{what} must be a date such as '1997-09-30', got {value!r}")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _daily(df: Any, customer: Any, date: Any, value: Any,
           date_format: str | None) -> pd.DataFrame:
    """The log as one row per (customer, day), values added: columns customer, date, value."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise CalibrationError(f"the transaction log must be a pandas DataFrame, got "
                               f"{type(df).__name__}")
    ids = _column(df, customer, "customer", "pass customer= the column that identifies customers")
    dates = _column(df, date, "date", "pass date= the column with the transaction dates")
    if value is not None:
        amounts = _parse_values(
            _column(df, value, "value", "pass value= the column of amounts, or value=None "
                                        "to fit purchases only"), value)
    else:
        amounts = pd.Series(0.0, index=df.index)
    if len(df) == 0:
        raise CalibrationError("the transaction log is empty")
    missing = ids.isna()
    if missing.any():
        raise CalibrationError(f"column {customer!r}: {int(missing.sum())} transaction(s) "
                               f"without a customer, e.g. row {ids[missing].index[0]!r}")
    days = _parse_dates(dates, date, date_format)
    frame = pd.DataFrame({"customer": ids.to_numpy(), "date": days.to_numpy(),
                          "value": amounts.to_numpy()})
    return frame.groupby(["customer", "date"], as_index=False, sort=True)["value"].sum()


def customer_summary(daily: pd.DataFrame, calibration_end: pd.Timestamp,
                     period_days: int = 7) -> pd.DataFrame:
    """Per customer: first purchase, frequency, recency, T and mean repeat value up to the end.

    ``daily`` has one row per (customer, date) with its ``value`` (see
    :func:`from_transactions`); customers whose first purchase is after
    ``calibration_end`` are left out. recency and T are in periods of
    ``period_days`` days; ``mean_value`` is NaN for customers without a
    repeat purchase.
    """
    import pandas as pd

    first = daily.groupby("customer")["date"].min().rename("first_purchase")
    cal = daily[daily["date"] <= calibration_end].join(first, on="customer")
    cal = cal[cal["first_purchase"] <= calibration_end]
    grouped = cal.groupby("customer")
    out = pd.DataFrame({"first_purchase": grouped["first_purchase"].first()})
    out["frequency"] = grouped.size() - 1
    last = grouped["date"].max()
    out["recency"] = (last - out["first_purchase"]).dt.days / period_days
    out["T"] = (calibration_end - out["first_purchase"]).dt.days / period_days
    repeats = cal[cal["date"] > cal["first_purchase"]]
    out["mean_value"] = repeats.groupby("customer")["value"].mean()
    out.index.name = "customer"
    return out


# -- the result ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Calibration:
    """BG/NBD or Pareto/NBD (and Gamma-Gamma) estimates from a transaction log.

    See :func:`from_transactions`.
    """

    #: Purchase-model estimates: BG/NBD r, alpha (per period), a, b; Pareto/NBD
    #: r, alpha, s, beta (per period).
    params: dict[str, float]
    #: Their standard errors (NaN when the information matrix is singular).
    standard_errors: dict[str, float]
    #: Maximised purchase-model log-likelihood.
    log_likelihood: float
    #: Gamma-Gamma estimates p, q, gamma, or None without a value column.
    spend: dict[str, float] | None
    #: Their standard errors, or None.
    spend_standard_errors: dict[str, float] | None
    #: Maximised Gamma-Gamma log-likelihood, or None.
    spend_log_likelihood: float | None
    #: Per customer: first_purchase, frequency, recency, T, mean_value.
    customers: pd.DataFrame = field(repr=False)
    #: The whole log, one row per (customer, day): customer, date, value.
    transactions: pd.DataFrame = field(repr=False)
    #: Last day of the calibration period (inclusive).
    calibration_end: pd.Timestamp
    #: Days per period (7: parameters per week).
    period_days: int
    #: Covariance matrices of the estimates (purchase model, then Gamma-Gamma or None).
    covariance: Any = field(repr=False, default=None)
    spend_covariance: Any = field(repr=False, default=None)
    #: The purchase model fitted: "bgnbd" or "pareto_nbd" (see MODELS).
    model: str = "bgnbd"

    @property
    def model_name(self) -> str:
        """The purchase model as papers write it: 'BG/NBD' or 'Pareto/NBD'."""
        return MODELS[self.model][0]

    # -- figures ---------------------------------------------------------------------

    @property
    def n_customers(self) -> int:
        """Customers in the calibration cohort."""
        return len(self.customers)

    @property
    def n_repeat_buyers(self) -> int:
        """Customers with at least one repeat purchase in the calibration period."""
        return int((self.customers["frequency"] > 0).sum())

    @property
    def start_date(self) -> pd.Timestamp:
        """Day 0 of the calendar the curves and scenarios use: the day before the first purchase."""
        import pandas as pd

        return self.customers["first_purchase"].min() - pd.Timedelta(days=1)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and Wald intervals, one row per parameter."""
        import pandas as pd
        from scipy import stats

        z = float(stats.norm.ppf(0.5 + level / 2.0))
        rows = []
        blocks = [(self.model_name, self.params, self.standard_errors)]
        if self.spend is not None:
            blocks.append(("Gamma-Gamma", self.spend, self.spend_standard_errors or {}))
        for model, est, se in blocks:
            for name, value in est.items():
                s = se.get(name, math.nan)
                rows.append({"model": model, "parameter": name, "estimate": value,
                             "standard_error": s, "low": value - z * s, "high": value + z * s})
        return pd.DataFrame(rows).set_index(["model", "parameter"])

    def summary(self) -> str:
        """The fit as plain text: data, estimates with standard errors, log-likelihoods."""
        lines = [f"Calibration on {self.n_customers:,} customers ({self.n_repeat_buyers:,} repeat "
                 f"buyers) to {self.calibration_end.date().isoformat()}, periods of "
                 f"{self.period_days} days",
                 f"{self.model_name:<13} log-likelihood {self.log_likelihood:,.1f}"]
        for name, value in self.params.items():
            lines.append(f"  {name:<8} {value:10.4f}  (SE {self.standard_errors[name]:.4f})")
        if self.spend is not None:
            lines.append(f"Gamma-Gamma   log-likelihood {self.spend_log_likelihood:,.1f} "
                         f"({self.n_repeat_buyers:,} repeat buyers' mean spend)")
            se = self.spend_standard_errors or {}
            for name, value in self.spend.items():
                lines.append(f"  {name:<8} {value:10.4f}  (SE {se.get(name, math.nan):.4f})")
            lines.append(f"  mean spend per purchase {self.mean_spend:,.2f}")
        return "\n".join(lines)

    @property
    def mean_spend(self) -> float:
        """Expected spend per repeat purchase, p gamma / (q - 1) (NaN without spend or q <= 1)."""
        if self.spend is None or self.spend["q"] <= 1.0:
            return math.nan
        return self.spend["p"] * self.spend["gamma"] / (self.spend["q"] - 1.0)

    def expected_repeat_purchases(self, t: Any) -> Any:
        """E[X(t)] of one new customer at the estimates, t in periods."""
        closed_form = (pareto_nbd_expected_purchases if self.model == "pareto_nbd"
                       else bgnbd_expected_purchases)
        return closed_form(tuple(self.params.values()), t)

    # -- curves ------------------------------------------------------------------------

    def _days_since_start(self, dates: pd.Series) -> np.ndarray:
        return (dates - self.start_date).dt.days.to_numpy()

    def actual_repeat_curve(self, days: int | None = None) -> pd.Series:
        """Cumulative repeat purchases of the cohort at the end of each period, from the log.

        Indexed by period 1, 2, ... (period k ends on day k x period_days of
        the calendar that starts at :attr:`start_date`), up to ``days``
        (default: the last transaction).
        """
        import numpy as np

        log = self.transactions.join(self.customers["first_purchase"], on="customer",
                                     how="inner")
        repeats = log[log["date"] > log["first_purchase"]]
        day = self._days_since_start(repeats["date"])
        days = int(day.max()) if days is None else int(days)
        per_day = np.bincount(day[day <= days], minlength=days + 1)
        return self._per_period(np.cumsum(per_day), "actual")

    def expected_repeat_curve(self, days: int | None = None) -> pd.Series:
        """The fitted model's closed form of :meth:`actual_repeat_curve`: sum of E[X(t - t_i)]."""
        import numpy as np

        days = self._horizon(days)
        born = self._days_since_start(self.customers["first_purchase"])
        births = np.bincount(born)
        ends = np.arange(self.period_days, days + 1, self.period_days)
        totals = []
        for end in ends:
            ages = (end - np.arange(len(births))) / self.period_days
            totals.append(float(np.sum(births * self.expected_repeat_purchases(ages))))
        import pandas as pd

        return pd.Series(totals, index=pd.RangeIndex(1, len(ends) + 1, name="period"),
                         name="expected")

    def simulated_repeat_curve(self, result: Result) -> pd.Series:
        """Cumulative purchases of a run of :meth:`to_scenario`, per period, per data cohort size.

        The run's purchases are divided by its population over the cohort's
        (a scenario made with ``scale=10`` holds ten copies of every customer).
        """
        import numpy as np

        scale = result.population / self.n_customers
        cumulative = np.cumsum(result.kpis["purchases"].to_numpy()) / scale
        return self._per_period(cumulative, "simulated")

    def tracking(self, result: Result) -> pd.DataFrame:
        """Per period: actual, simulated and expected (closed form) cumulative repeat purchases.

        Also ``error_percent`` = 100 (simulated - actual) / actual and
        ``holdout`` (True for periods after calibration_end).
        """
        import pandas as pd

        days = result.days
        table = pd.concat([self.actual_repeat_curve(days), self.simulated_repeat_curve(result),
                           self.expected_repeat_curve(days)], axis=1).dropna()
        table["error_percent"] = 100.0 * (table["simulated"] - table["actual"]) / table["actual"]
        end_day = (self.calibration_end - self.start_date).days
        table["holdout"] = table.index * self.period_days > end_day
        return table

    def _horizon(self, days: int | None) -> int:
        if days is not None:
            return int(days)
        return int((self.transactions["date"].max() - self.start_date).days)

    def _per_period(self, cumulative: Any, name: str) -> pd.Series:
        import numpy as np
        import pandas as pd

        ends = np.arange(self.period_days, len(cumulative), self.period_days)
        return pd.Series(np.asarray(cumulative, dtype=float)[ends],
                         index=pd.RangeIndex(1, len(ends) + 1, name="period"), name=name)

    # -- to the engine ----------------------------------------------------------------

    def to_scenario(self, days: int | None = None, scale: int = 1, name: str | None = None,
                    segment: str = "customers", spend: bool = True,
                    dropout_multiplier: float = 1.0) -> Scenario:
        """A btyd Scenario whose customers are this cohort, ``scale`` copies of each.

        Day 0 is the day before the first purchase (:attr:`start_date`); each
        customer enters on the day of its first purchase with the fitted
        BG/NBD (and, with ``spend``, Gamma-Gamma) parameters; rates are per
        period of ``period_days`` days. ``days`` defaults to the last day of
        the log, so a run covers the calibration and the holdout periods.
        ``dropout_multiplier`` scales every customer's dropout probability (a
        retention what-if; 1 = as fitted). Needs a BG/NBD fit: the engine's
        ``btyd`` model is the BG/NBD.
        """
        import numpy as np

        from .scenario import Scenario

        if self.model != "bgnbd":
            raise CalibrationError(
                f"to_scenario needs a BG/NBD fit, this one is {self.model_name}: the engine "
                "simulates buy-till-you-die customers as BG/NBD (dropout right after a "
                "purchase) and has no model of the Pareto/NBD's lifetimes; fit with "
                "model='bgnbd' to simulate")

        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a whole number of at least 1, got {scale!r}")
        days = self._horizon(days)
        born = self._days_since_start(self.customers["first_purchase"])
        counts = np.bincount(born)
        entries = [{"day": int(d), "customers": int(c) * scale}
                   for d, c in enumerate(counts) if c > 0 and d <= days]
        btyd: dict[str, Any] = {k: float(v) for k, v in self.params.items()}
        btyd["dropout_multiplier"] = float(dropout_multiplier)
        if spend and self.spend is not None:
            btyd["spend"] = {k: float(v) for k, v in self.spend.items()}
        return Scenario.from_dict({
            "name": name or f"BG/NBD calibration to {self.calibration_end.date().isoformat()}",
            "description": (f"{self.n_customers:,} customers of a transaction log x {scale}, "
                            "BG/NBD and Gamma-Gamma by maximum likelihood (crmsim.calibrate)"),
            "start_date": self.start_date.date().isoformat(),
            "days": days,
            "model": {"kind": "btyd", "period_days": self.period_days},
            "segments": [{"name": segment,
                          "market_size": int(sum(e["customers"] for e in entries)),
                          "entries": entries, "btyd": btyd}],
        }, source="<calibration>")


# -- the entry point -------------------------------------------------------------------


def from_transactions(df: pd.DataFrame, customer: Any = "id", date: Any = "date",
                      value: Any = "amount", calibration_end: Any = None, *,
                      period_days: int = 7, date_format: str | None = None,
                      min_repeat_buyers: int = MIN_REPEAT_BUYERS,
                      model: str = "bgnbd") -> Calibration:
    """Fits BG/NBD or Pareto/NBD (and Gamma-Gamma spend) to a transaction log by maximum likelihood.

    df: one row per transaction. customer, date, value: its column names
        (value=None fits purchases only). Dates may be datetime values,
        'YYYY-MM-DD' text or YYYYMMDD numbers; ``date_format`` reads others.
    calibration_end: last day (inclusive) of the calibration period; later
        transactions are the holdout (default: the last transaction).
    period_days: days per period of the rates (7: weeks).
    min_repeat_buyers: fewest customers with a repeat purchase to fit.
    model: the purchase model, "bgnbd" (the engine's btyd model) or
        "pareto_nbd" (estimates and closed forms only, no to_scenario).

    Raises CalibrationError naming the problem: a missing column, dates or
    amounts that cannot be read, negative amounts, too few repeat buyers, or
    a likelihood without a maximum.
    """
    import numpy as np

    if model not in MODELS:
        raise CalibrationError(f"model must be one of {', '.join(map(repr, MODELS))}, "
                               f"got {model!r}")
    if isinstance(period_days, bool) or not isinstance(period_days, int) or period_days < 1:
        raise CalibrationError(f"period_days must be a whole number of days of at least 1, "
                               f"got {period_days!r}")
    daily = _daily(df, customer, date, value, date_format)
    end = (daily["date"].max() if calibration_end is None
           else _timestamp(calibration_end, "calibration_end"))
    if end < daily["date"].min():
        raise CalibrationError(
            f"calibration_end {end.date().isoformat()} is before the first transaction "
            f"({daily['date'].min().date().isoformat()})")
    customers = customer_summary(daily, end, period_days)
    repeaters = int((customers["frequency"] > 0).sum())
    if repeaters < min_repeat_buyers:
        raise CalibrationError(
            f"too few repeat buyers to fit: {repeaters} of {len(customers):,} customers bought "
            f"again by {end.date().isoformat()}, the fit needs at least {min_repeat_buyers} "
            "(use a longer calibration period or more customers)")
    # Customers with the same (x, t_x, T) share a likelihood: each distinct one
    # is computed once and counted as often as it occurs.
    alike = customers.groupby(["frequency", "recency", "T"]).size()
    x, tx, T = (alike.index.get_level_values(k).to_numpy(float) for k in range(3))
    count = alike.to_numpy(float)
    what, names = MODELS[model]
    likelihood = pareto_nbd_log_likelihood if model == "pareto_nbd" else bgnbd_log_likelihood
    estimates, loglik, cov = _fit(lambda p: -np.sum(count * likelihood(p, x, tx, T)),
                                  [1.0, 1.0, 1.0, 1.0], what, names)
    params = {n: float(v) for n, v in zip(names, estimates)}
    errors = {n: float(math.sqrt(v)) if v == v else math.nan
              for n, v in zip(names, np.diag(cov))}

    spend = spend_errors = spend_ll = spend_cov = None
    if value is not None:
        buyers = customers[(customers["frequency"] > 0) & (customers["mean_value"] > 0)]
        if len(buyers) < min_repeat_buyers:
            raise CalibrationError(
                f"too few repeat buyers with a positive spend to fit the spend model: "
                f"{len(buyers)}, at least {min_repeat_buyers} needed")
        fx = buyers["frequency"].to_numpy(float)
        fm = buyers["mean_value"].to_numpy(float)
        start = [1.0, 1.0, float(np.mean(fm))]
        gg_names = ("p", "q", "gamma")
        est, spend_ll, spend_cov = _fit(
            lambda p: -np.sum(gamma_gamma_log_likelihood(p, fx, fm)), start, "Gamma-Gamma",
            gg_names)
        spend = {n: float(v) for n, v in zip(gg_names, est)}
        spend_errors = {n: float(math.sqrt(v)) if v == v else math.nan
                        for n, v in zip(gg_names, np.diag(spend_cov))}
    return Calibration(params=params, standard_errors=errors, log_likelihood=loglik,
                       spend=spend, spend_standard_errors=spend_errors,
                       spend_log_likelihood=spend_ll, customers=customers, transactions=daily,
                       calibration_end=end, period_days=period_days, covariance=cov,
                       spend_covariance=spend_cov, model=model)


def mape(actual: Any, predicted: Any) -> float:
    """Mean absolute percentage error of ``predicted`` against ``actual``, in percent."""
    import numpy as np

    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    return float(100.0 * np.mean(np.abs(p - a) / np.abs(a)))
