"""The plain-text run summary: what a marketing director wants to know first.

Computed from the engine's integer KPI array with numpy only (no pandas), so
it is exact and quick.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["summary_text", "Totals"]

_DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Totals:
    """Headline figures of one segment or the whole market over a run."""

    market: int
    customers_start: int
    customers_end: int
    acquisitions: int
    via_enquiry: int
    defections: int
    returns_to_market: int
    developments: int
    revenue: float          # currency units
    customer_years: float   # customers at the start of each day, summed, / 365

    @property
    def change_percent(self) -> float | None:
        """Change in customers from start to end, % (None when there were none at the start)."""
        if self.customers_start == 0:
            return None
        return 100.0 * (self.customers_end - self.customers_start) / self.customers_start

    @property
    def churn_per_year(self) -> float | None:
        """Annualised churn: defections per customer-year, as a share (None without customers)."""
        return self.defections / self.customer_years if self.customer_years > 0 else None

    @property
    def revenue_per_customer_year(self) -> float | None:
        """Revenue per customer per year, currency units (None without customers)."""
        return self.revenue / self.customer_years if self.customer_years > 0 else None


def totals(values: np.ndarray) -> Totals:
    """Totals of one KPI block: int64 array (day 0..days, engine column)."""
    at = {name: k for k, name in enumerate(_core.Simulation.kpi_columns)}
    customers = sum(values[:, at[s]] for s in ("new", "active", "developed", "at_risk"))
    flows = values[1:].sum(axis=0)  # row 0 is the initial population: no flows
    states = [at[s] for s in _core.Simulation.state_names]
    return Totals(
        market=int(values[0, states].sum()),
        customers_start=int(customers[0]),
        customers_end=int(customers[-1]),
        acquisitions=int(flows[at["acquisitions"]]),
        via_enquiry=int(flows[at["lead_conversions"]]),
        defections=int(flows[at["defections"]]),
        returns_to_market=int(flows[at["returns_to_market"]]),
        developments=int(flows[at["developments"]]),
        revenue=int(flows[at["revenue_cents"]]) / 100.0,
        # Exposure of each simulated day is the customers at its start.
        customer_years=float(customers[:-1].sum()) / _DAYS_PER_YEAR,
    )


def _percent(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.1f}%" if signed else f"{x:.1f}%"


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


def summary_text(result: Result) -> str:
    """The summary of a run as lines of plain text (see Result.summary)."""
    sc = result.scenario
    raw = result.kpi_array
    whole = totals(raw.sum(axis=1))
    money = sc.currency
    start = sc.start_date
    end = start + datetime.timedelta(days=result.days)
    per_customer = whole.revenue_per_customer_year
    lines = [
        f"{sc.name}",
        f"  Horizon         {result.days:,} days, {start.isoformat()} to {end.isoformat()}",
        f"  Run             seed {result.seed}, {result.threads} threads, "
        f"{result.population:,} people, {result.elapsed_seconds:.2f} s",
        "",
        f"Customers         {whole.customers_start:,} at start, {whole.customers_end:,} at end "
        f"({_percent(whole.change_percent, signed=True)})",
        f"Acquisitions      {whole.acquisitions:,} (of which {whole.via_enquiry:,} via enquiry)",
        f"Defections        {whole.defections:,}",
        f"Churn rate        {_share(whole.churn_per_year)} of customers per year (annualised)",
        f"Back to market    {whole.returns_to_market:,} lapsed people left the win-back window",
        f"Developments      {whole.developments:,} customers took a second product",
        f"Revenue           {money} {whole.revenue:,.0f} in total, "
        + ("n/a" if per_customer is None else f"{money} {per_customer:,.2f}")
        + " per customer per year",
        "",
        "By segment",
    ]
    rows = [_segment_row(name, totals(raw[:, s, :]))
            for s, name in enumerate(sc.segments)]
    rows.append(_segment_row("total", whole))
    header = ("segment", "market", "customers start", "customers end", "change",
              "acquisitions", "defections", "churn/yr", f"revenue {money}")
    lines += _table(header, rows)
    return "\n".join(lines) + "\n"


def _segment_row(name: str, t: Totals) -> tuple[str, ...]:
    return (name, f"{t.market:,}", f"{t.customers_start:,}", f"{t.customers_end:,}",
            _percent(t.change_percent, signed=True), f"{t.acquisitions:,}",
            f"{t.defections:,}", _share(t.churn_per_year), f"{t.revenue:,.0f}")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Text table: first column left-aligned, numbers right-aligned."""
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    return [line(header)] + [line(r) for r in rows]
