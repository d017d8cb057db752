"""Metrics: one number per run, named in a small language over the Result tables.

Sweeps and comparisons reduce each run to a few numbers. A metric is named by
text:

``COLUMN:HOW``
    a column of :attr:`Result.kpis` (customers, acquisitions, defections,
    revenue, ...) reduced over the days of the run: ``final`` (the last
    day), ``initial`` (day 0), ``sum`` (all days; flows and money: the
    total over the run), ``mean`` (daily average over days 0 to N),
    ``min``, ``max``. Examples: ``customers:final``, ``revenue:sum``,
    ``defections:sum``, ``at_risk:mean``.
``segments.SEGMENT.COLUMN:HOW``
    the same for one segment (:attr:`Result.segment_kpis`):
    ``segments.young_urban.defections:sum``.
``campaigns.NAME.COLUMN`` (also ``channels.``, ``tiers.``)
    one cell of the result's per-campaign (per-channel, per-tier) table,
    where the result has that table: ``campaigns.win_back_email.roi``.

A metric can also be any function of a :class:`Result` returning a number,
given with a name: ``metrics={"churn_share": lambda r: ...}``. Functions are
sent to Dask workers with cloudpickle, so they must not hold open files or
locks.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["DEFAULT_METRICS", "HOW", "MetricSpec", "normalize", "evaluate", "check", "describe"]

#: Metrics of a sweep or comparison when none are given (those the result has).
DEFAULT_METRICS = ("customers:final", "acquisitions:sum", "defections:sum", "win_backs:sum",
                   "revenue:sum", "marketing_cost:sum")

#: Reductions over days, with the words a planner reads in reports.
HOW = {
    "final": "at the end",
    "initial": "at the start",
    "sum": "total",
    "mean": "daily average",
    "min": "lowest day",
    "max": "highest day",
}

#: Per-name tables of a Result that ``TABLE.NAME.COLUMN`` metrics read.
NAMED_TABLES = ("campaigns", "channels", "tiers")

Metric = Union[str, Callable[["Result"], float]]
#: Normalized metrics: output column name -> metric text or function.
MetricSpec = dict[str, Metric]


def normalize(metrics: Sequence[Metric] | Mapping[str, Metric] | str | None) -> MetricSpec | None:
    """Metrics as a dict name -> text or function (None stays None: defaults, chosen later).

    A list of texts names each metric by its text; a mapping gives names.
    """
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    else:
        items = []
        for m in metrics:
            if not isinstance(m, str):
                raise TypeError(f"a metric in a list must be text such as 'revenue:sum', got "
                                f"{m!r}; give functions in a mapping name -> function")
            items.append((m, m))
    if not items:
        raise ValueError("metrics must name at least one metric, e.g. ['revenue:sum']")
    out: MetricSpec = {}
    for name, m in items:
        if not isinstance(name, str) or not name:
            raise TypeError(f"metric names must be non-empty text, got {name!r}")
        if not (isinstance(m, str) or callable(m)):
            raise TypeError(f"metric {name!r} must be text such as 'revenue:sum' or a function "
                            f"of a Result, got {m!r}")
        out[name] = m
    return out


def evaluate(result: Result, metrics: MetricSpec) -> dict[str, float]:
    """The value of each metric for ``result``, as floats (NaN where a table has no value)."""
    return {name: _value(result, m, name) for name, m in metrics.items()}


def check(result: Result, metrics: MetricSpec | None) -> MetricSpec:
    """Checks metric names against a (small, quick) run of the scenario; returns the metrics.

    None selects the default metrics the result has. Raises ValueError naming
    the metric and what exists, before any real run starts.
    """
    if metrics is None:
        columns = set(result.kpis.columns)
        return {m: m for m in DEFAULT_METRICS if m.split(":")[0] in columns}
    for name, m in metrics.items():
        if isinstance(m, str):
            _value(result, m, name)  # raises ValueError when the text names nothing
    return metrics


def describe(metric: str) -> str:
    """A metric in planner words: 'customers:final' -> 'customers at the end'."""
    if not isinstance(metric, str):
        return str(metric)
    head, sep, how = metric.rpartition(":")
    if sep and how in HOW:
        parts = head.split(".")
        column = parts[-1].replace("_", " ")
        if how == "sum":
            words = f"total {column}"
        elif how in ("final", "initial"):
            words = f"{column} {HOW[how]}"
        else:
            words = f"{column}, {HOW[how]}"
        if len(parts) == 3 and parts[0] == "segments":
            words += f" ({parts[1]})"
        return words
    parts = metric.split(".")
    if len(parts) == 3 and parts[0] in NAMED_TABLES:
        return f"{parts[0][:-1]} {parts[1]}: {parts[2].replace('_', ' ')}"
    return metric.replace("_", " ")


def _value(result: Result, metric: Metric, name: str) -> float:
    if callable(metric):
        return float(metric(result))
    head, sep, how = metric.rpartition(":")
    parts = (head if sep else metric).split(".")
    if sep:
        if how not in HOW:
            raise ValueError(f"metric {name!r}: unknown reduction {how!r} after ':'"
                             f"{_hint(how, list(HOW))}; use one of {', '.join(HOW)}")
        if len(parts) == 1:
            return _reduce(result.kpis, parts[0], how, name)
        if len(parts) == 3 and parts[0] == "segments":
            segments = list(result.scenario.segments)
            if parts[1] not in segments:
                raise ValueError(f"metric {name!r}: no segment {parts[1]!r}"
                                 f"{_hint(parts[1], segments)} (segments: {', '.join(segments)})")
            return _reduce(result.segment_kpis.loc[parts[1]], parts[2], how, name)
    elif len(parts) == 3 and parts[0] in NAMED_TABLES:
        return _cell(result, *parts, name=name)
    raise ValueError(
        f"metric {name!r} is not of the form COLUMN:HOW ('revenue:sum'), "
        f"segments.SEGMENT.COLUMN:HOW or campaigns|channels|tiers.NAME.COLUMN; HOW is one of "
        f"{', '.join(HOW)}")


def _reduce(table: Any, column: str, how: str, name: str) -> float:
    if column not in table.columns or column == "date":
        known = [c for c in table.columns if c != "date"]
        raise ValueError(f"metric {name!r}: no KPI column {column!r}{_hint(column, known)} "
                         f"(columns: {', '.join(known)})")
    values = table[column].to_numpy()
    if how == "final":
        return float(values[-1])
    if how == "initial":
        return float(values[0])
    return float(getattr(values, how)())


def _cell(result: Result, table_name: str, row: str, column: str, name: str) -> float:
    table = getattr(result, table_name, None)
    if table is None:
        raise ValueError(f"metric {name!r}: this version of crmsim has no Result.{table_name} "
                         "table")
    rows = [str(r) for r in table.index]
    if row not in rows:
        listed = ", ".join(rows) if rows else "none in this scenario"
        raise ValueError(f"metric {name!r}: no {table_name[:-1]} {row!r}{_hint(row, rows)} "
                         f"({table_name}: {listed})")
    if column not in table.columns:
        numeric = [c for c in table.columns if table[c].dtype.kind in "iuf"]
        raise ValueError(f"metric {name!r}: Result.{table_name} has no column {column!r}"
                         f"{_hint(column, numeric)} (columns: {', '.join(numeric)})")
    value = table.loc[row, column]
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"metric {name!r}: Result.{table_name} column {column!r} is not a "
                         f"number (got {value!r})") from None


def _hint(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

