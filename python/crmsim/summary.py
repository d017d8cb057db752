"""The plain-text run summary: what a marketing director wants to know first.

Computed from the engine's integer tables with numpy only (no pandas), so
it is exact and quick; campaign, channel and tier figures come from
:mod:`crmsim.measurement`.
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
    via_campaign: int       # acquisitions that an acquisition campaign started
    win_backs: int
    defections: int
    returns_to_market: int
    developments: int
    revenue: float          # currency units
    marketing_cost: float   # currency units: contacts, waves, incentives (discounts lower revenue)
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
        via_campaign=int(flows[at["campaign_acquisitions"]]),
        win_backs=int(flows[at["win_backs"]]),
        defections=int(flows[at["defections"]]),
        returns_to_market=int(flows[at["returns_to_market"]]),
        developments=int(flows[at["developments"]]),
        revenue=int(flows[at["revenue_cents"]]) / 100.0,
        marketing_cost=int(flows[at["marketing_cost_micros"]]) / 1e6,
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
        f"Acquisitions      {whole.acquisitions:,} (of which {whole.via_enquiry:,} via enquiry, "
        f"{whole.via_campaign:,} from campaigns)",
        f"Win-backs         {whole.win_backs:,} lapsed customers came back through campaigns",
        f"Defections        {whole.defections:,}",
        f"Churn rate        {_share(whole.churn_per_year)} of customers per year (annualised)",
        f"Back to market    {whole.returns_to_market:,} lapsed people left the win-back window",
        f"Developments      {whole.developments:,} customers took a second product",
        f"Revenue           {money} {whole.revenue:,.0f} in total, "
        + ("n/a" if per_customer is None else f"{money} {per_customer:,.2f}")
        + " per customer per year",
        f"Marketing cost    {money} {whole.marketing_cost:,.0f} (contacts and incentives; "
        "offer discounts show as lower revenue)",
        "",
        "By segment",
    ]
    rows = [_segment_row(name, totals(raw[:, s, :]))
            for s, name in enumerate(sc.segments)]
    rows.append(_segment_row("total", whole))
    header = ("segment", "market", "customers start", "customers end", "change",
              "acquisitions", "defections", "churn/yr", f"revenue {money}")
    lines += _table(header, rows)
    if sc.campaigns:
        from .measurement import channel_columns

        campaigns = result._campaign_columns  # computed once, shared with Result.campaigns
        lines += ["", *_campaign_lines(sc.campaigns, campaigns, money)]
        if sc.channels:
            lines += ["", *_channel_lines(sc.channels, channel_columns(result._sim, sc, campaigns),
                                          money)]
    if len(sc.value_tiers) > 1 or _has_margin_inputs(sc):
        from .measurement import tier_columns

        lines += ["", *_tier_lines(sc.value_tiers, tier_columns(result._sim, sc), money)]
    return "\n".join(lines) + "\n"


def _has_margin_inputs(sc) -> bool:
    return any(seg["cost_to_serve_per_year"] > 0 or seg["gross_margin"] < 1
               for seg in sc.to_dict()["segments"])


def _count(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.0f}"


def _money(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:,.0f}"


def _rate(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100.0 * x:.1f}%"


def _signed_percent(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    # Beyond +-1,000% an ROI says "cost is tiny against the noise", not a number to plan with.
    if x > 10:
        return ">+1000%"
    if x < -10:
        return "<-1000%"
    return f"{100.0 * x:+.0f}%"


def _unit_money(x: float) -> str:
    """Money per unit: cents shown below 100 currency units."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"


def _with_interval(value: float, low: float, high: float, fmt) -> str:
    """"1,234 (1,010 to 1,458)": a value and its 95% interval; 'n/a' when not measured."""
    if not np.isfinite(value):
        return "n/a"
    return f"{fmt(value)} ({fmt(low)} to {fmt(high)})"


def _campaign_lines(names: list[str], c: dict, money: str) -> list[str]:
    """The campaigns' activity table, their effect table and notes on what was not measured."""
    header = ("campaign", "type", "channel", "contacted", "delivered", "responded", "response",
              "opt-outs", f"cost {money}", "budget used")
    rows = [(name, c["type"][k], c["channel"][k], f"{c['contacted'][k]:,}",
             f"{c['delivered'][k]:,}", f"{c['responded'][k]:,}", _rate(c["response_rate"][k]),
             f"{c['unsubscribed'][k]:,}", _money(c["cost"][k]), _rate(c["budget_used"][k]))
            for k, name in enumerate(names)]
    lines = ["Campaigns", *_table(header, rows, left=3), "",
             "Campaign effect: treated against holdout, 95% confidence intervals"]
    header = ("campaign", "treated", "holdout", "converted (treated / holdout)",
              "incremental conversions", f"incremental revenue {money}", "incremental ROI",
              f"{money} per incr. conversion")
    rows = []
    for k, name in enumerate(names):
        conv = (f"{_rate(c['treated_conversion_rate'][k])} / "
                f"{_rate(c['holdout_conversion_rate'][k])}")
        rows.append((
            name, f"{c['treated_measured'][k]:,}", f"{c['holdout_measured'][k]:,}", conv,
            _with_interval(c["incremental_conversions"][k], c["incremental_conversions_low"][k],
                           c["incremental_conversions_high"][k], _count),
            _with_interval(c["incremental_revenue"][k], c["incremental_revenue_low"][k],
                           c["incremental_revenue_high"][k], _money),
            _with_interval(c["roi"][k], c["roi_low"][k], c["roi_high"][k], _signed_percent),
            _unit_money(c["cost_per_incremental_conversion"][k])))
    lines += _table(header, rows)
    notes = [f"  {name}: {c['note'][k]}" for k, name in enumerate(names) if c["note"][k]]
    if notes:
        lines += ["Notes", *notes]
    return lines


def _channel_lines(names: list[str], ch: dict, money: str) -> list[str]:
    header = ("channel", "campaigns", "contacts", "delivered", "responses", "response",
              "opt-outs", f"cost {money}", "capacity use", "incremental conversions",
              "incremental ROI")
    rows = [(name, f"{ch['campaigns'][k]:,}", f"{ch['contacts'][k]:,}",
             f"{ch['delivered'][k]:,}", f"{ch['responses'][k]:,}", _rate(ch["response_rate"][k]),
             f"{ch['unsubscribes'][k]:,}", _money(ch["cost"][k]),
             "unlimited" if not np.isfinite(ch["capacity_per_day"][k])
             else _rate(ch["capacity_use"][k]),
             _with_interval(ch["incremental_conversions"][k], ch["incremental_conversions_low"][k],
                            ch["incremental_conversions_high"][k], _count),
             _with_interval(ch["roi"][k], ch["roi_low"][k], ch["roi_high"][k], _signed_percent))
            for k, name in enumerate(names)]
    return ["Channels (effect over the channel's campaigns with a holdout)", *_table(header, rows)]


def _tier_lines(names: list[str], t: dict, money: str) -> list[str]:
    header = ("value tier", "customers (mean)", "customers end", f"revenue {money}",
              f"cost to serve {money}", f"marketing {money}", f"gross margin {money}",
              f"margin/customer/yr {money}")
    rows = [(name, _count(t["customers_mean"][k]), f"{t['customers_end'][k]:,}",
             _money(t["revenue"][k]), _money(t["cost_to_serve"][k]),
             _money(t["marketing_cost"][k]), _money(t["gross_margin"][k]),
             _money(t["margin_per_customer_year"][k]))
            for k, name in enumerate(names)]
    return ["Value tiers", *_table(header, rows)]


def _segment_row(name: str, t: Totals) -> tuple[str, ...]:
    return (name, f"{t.market:,}", f"{t.customers_start:,}", f"{t.customers_end:,}",
            _percent(t.change_percent, signed=True), f"{t.acquisitions:,}",
            f"{t.defections:,}", _share(t.churn_per_year), f"{t.revenue:,.0f}")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: int = 1) -> list[str]:
    """Text table: the first ``left`` columns (names) left-aligned, numbers right-aligned."""
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        names = (c.ljust(w) for c, w in zip(cells[:left], widths[:left]))
        rest = (c.rjust(w) for c, w in zip(cells[left:], widths[left:]))
        return "  ".join([*names, *rest]).rstrip()

    return [line(header)] + [line(r) for r in rows]
