"""Campaign, channel and value-tier measurement: treated against holdout, with 95% intervals.

Computed from the engine's integer tables with numpy only, so that the CLI
summary needs no pandas; :class:`crmsim.Result` wraps the columns in
DataFrames. Money leaves this module in currency units.

Per campaign, with n_t treated and n_h held-out measurement windows, p the
share converted and m the mean revenue per window:

    incremental conversions  = (p_t - p_h) n_t  +- 1.96 n_t sqrt(V(p_t) + V(p_h))
    incremental revenue      = (m_t - m_h) n_t  +- 1.96 n_t sqrt(V(m_t) + V(m_h))
    incremental ROI          = ((m_t - m_h) + d - c) / c
    cost per incr. conversion = c / (p_t - p_h)

where c is the campaign's cost per contacted person (contacts, waves,
incentives and discounts) and d its discount per contacted person. Revenue
is measured net of discounts, so the discount is added back to the
revenue difference before the full cost (discount included) is taken off:
it is counted once. When every contact is measured (n_t = contacted) the
ROI is (incremental revenue + discount - cost) / cost. Pricing the
measured people at the cost per contact matters when some contacts are not
measured (the person was already followed for an earlier contact).
The ROI's interval is the revenue interval put through the same formula
(the cost is known exactly).

The variances V are cluster-robust: the engine tallies each group's
windows in 32 buckets by a fixed hash of the person, so that all windows
of one person fall in one bucket. For a group with bucket totals n_g
(windows) and y_g (conversions, or revenue), mean y = sum y_g / sum n_g and

    V(y) = G / (G - 1) * sum_g (y_g - y n_g)^2 / (sum_g n_g)^2

over its G non-empty buckets (the linearised variance of a ratio
estimator). It stays honest when the same people are measured wave after
wave, where a per-window formula would be too narrow. Intervals are normal
approximations and are NaN when a group has nobody measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from .marketing import base_responses

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["Z95", "campaign_columns", "campaign_daily_columns", "channel_columns",
           "tier_columns", "MICROS", "CENTS"]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054
#: Engine money units per currency unit.
MICROS, CENTS = 1e6, 100.0

_DAYS_PER_YEAR = 365.0


def _at(columns: list[str]) -> dict[str, int]:
    return {name: k for k, name in enumerate(columns)}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (no warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _cluster_mean_variance(n_g: np.ndarray, y_g: np.ndarray) -> np.ndarray:
    """Cluster-robust variance of sum(y_g) / sum(n_g) over the last axis (the buckets).

    NaN when fewer than two buckets hold anybody.
    """
    n_g = n_g.astype(float)
    y_g = y_g.astype(float)
    total_n = n_g.sum(axis=-1)
    mean = _ratio(y_g.sum(axis=-1), total_n)
    residual = y_g - np.nan_to_num(mean)[..., None] * n_g
    clusters = (n_g > 0).sum(axis=-1).astype(float)
    spread = (residual**2).sum(axis=-1)
    return _ratio(clusters * spread, (clusters - 1.0) * total_n**2)


def _campaign_totals(sim: _core.Simulation) -> dict[str, np.ndarray]:
    """Each campaign KPI column summed over the run (day 0 included; it is all zeros)."""
    raw = sim.campaign_kpis
    totals = raw.sum(axis=0)  # (campaign, column), int64: exact
    at = _at(list(_core.Simulation.campaign_kpi_columns))
    return {name: totals[:, k] for name, k in at.items()}


def campaign_columns(sim: _core.Simulation, scenario: Scenario) -> dict[str, Any]:
    """The columns of Result.campaigns, one value per campaign, in scenario order.

    Numbers are numpy arrays; type, channel, proposition and note are lists of text.
    """
    data = scenario.to_dict()
    campaigns = data["campaigns"]
    t = _campaign_totals(sim)
    # (campaign, [treated, holdout], bucket, [measured, converted, revenue_cents])
    buckets = sim.measurement_buckets

    contact_cost = t["contact_cost_micros"] / MICROS
    incentive_cost = t["incentive_cost_micros"] / MICROS
    discount = t["discount_cost_micros"] / MICROS
    spent = contact_cost + incentive_cost  # what the budget covers
    cost = spent + discount
    budget = np.array([np.nan if c["budget"] is None else c["budget"] for c in campaigns],
                      dtype=float)

    n_t, n_h = t["treated_measured"].astype(float), t["holdout_measured"].astype(float)
    p_t = _ratio(t["treated_converted"], n_t)
    p_h = _ratio(t["holdout_converted"], n_h)
    rev_t = t["treated_revenue_cents"] / CENTS
    rev_h = t["holdout_revenue_cents"] / CENTS
    m_t, m_h = _ratio(rev_t, n_t), _ratio(rev_h, n_h)
    windows, converted, revenue = buckets[..., 0], buckets[..., 1], buckets[..., 2] / CENTS
    conv_var = _cluster_mean_variance(windows, converted)  # (campaign, group)
    rev_var = _cluster_mean_variance(windows, revenue)

    lift = p_t - p_h
    lift_se = np.sqrt(conv_var[:, 0] + conv_var[:, 1])
    rev_lift = m_t - m_h
    rev_se = np.sqrt(rev_var[:, 0] + rev_var[:, 1])
    cost_per_contact = _ratio(cost, t["contacted"])
    discount_per_contact = _ratio(discount, t["contacted"])
    measured_cost = cost_per_contact * n_t
    measured_discount = discount_per_contact * n_t

    incr_conv = lift * n_t
    incr_rev = rev_lift * n_t
    incr_rev_low = (rev_lift - Z95 * rev_se) * n_t
    incr_rev_high = (rev_lift + Z95 * rev_se) * n_t
    # An ROI needs a cost; a free campaign's ROI is undefined, not infinite.
    roi = _ratio(incr_rev + measured_discount - measured_cost, measured_cost)
    roi_low = _ratio(incr_rev_low + measured_discount - measured_cost, measured_cost)
    roi_high = _ratio(incr_rev_high + measured_discount - measured_cost, measured_cost)
    cost_per_incr = np.where(lift > 0, _ratio(cost_per_contact, lift), np.nan)

    return {
        "type": [c["type"] for c in campaigns],
        "channel": [c["channel"] for c in campaigns],
        "proposition": [c["proposition"] or "" for c in campaigns],
        "eligible": t["eligible"],
        "held_out": t["held_out"],
        "selected": t["selected"],
        "contacted": t["contacted"],
        "delivered": t["delivered"],
        "responded": t["responded"],
        "unsubscribed": t["unsubscribed"],
        "response_rate": _ratio(t["responded"], t["delivered"]),
        "contact_cost": contact_cost,
        "incentive_cost": incentive_cost,
        "discount": discount,
        "cost": cost,
        "spent": spent,
        "budget": budget,
        "budget_used": _ratio(spent, budget),
        "treated_measured": t["treated_measured"],
        "treated_converted": t["treated_converted"],
        "treated_conversion_rate": p_t,
        "treated_revenue_per_person": m_t,
        "holdout_measured": t["holdout_measured"],
        "holdout_converted": t["holdout_converted"],
        "holdout_conversion_rate": p_h,
        "holdout_revenue_per_person": m_h,
        "incremental_conversions": incr_conv,
        "incremental_conversions_low": (lift - Z95 * lift_se) * n_t,
        "incremental_conversions_high": (lift + Z95 * lift_se) * n_t,
        "incremental_conversions_se": lift_se * n_t,
        "incremental_revenue": incr_rev,
        "incremental_revenue_low": incr_rev_low,
        "incremental_revenue_high": incr_rev_high,
        "incremental_revenue_se": rev_se * n_t,
        "measured_cost": measured_cost,
        "measured_discount": measured_discount,
        "roi": roi,
        "roi_low": roi_low,
        "roi_high": roi_high,
        "cost_per_incremental_conversion": cost_per_incr,
        "note": [_note(campaigns[k], t, k, sim.day) for k in range(len(campaigns))],
    }


def _note(campaign: dict, t: dict[str, np.ndarray], k: int, days: int) -> str:
    """Why a campaign's effect is not (fully) measured, in planner words; '' when it is."""
    schedule = campaign["schedule"]
    if campaign["type"] == "brand":
        return "brand campaign: no holdout, the effect shows in organic acquisition"
    if schedule["start_day"] > days:
        return f"never ran: starts on day {schedule['start_day']}"
    if t["eligible"][k] == 0:
        return "nobody was eligible"
    if t["contacted"][k] == 0:
        return "nobody was contacted"
    if campaign["holdout_share"] == 0:
        return "no holdout group: incremental effect not measured"
    if t["treated_measured"][k] == 0 or t["holdout_measured"][k] == 0:
        return "no holdout people measured: incremental effect not measured"
    notes = []
    if t["holdout_measured"][k] < 30:
        notes.append("fewer than 30 holdout people measured: wide interval")
    measured = t["treated_measured"][k] / t["contacted"][k]
    if measured < 0.8:
        notes.append(f"{100 * measured:.0f}% of contacts measured (the others reached people "
                     "still followed for an earlier contact)")
    return "; ".join(notes)


def campaign_daily_columns(sim: _core.Simulation) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(campaign-major 2-D array view of the daily counts, money columns in currency).

    Returns the int64 counts as (campaign x day, column) and the column names
    map to the public names; used by Result.campaign_daily.
    """
    raw = sim.campaign_kpis  # (day, campaign, column)
    rows, n_campaigns, n_columns = raw.shape
    flat = raw.transpose(1, 0, 2).reshape(n_campaigns * rows, n_columns)
    at = _at(list(_core.Simulation.campaign_kpi_columns))
    out: dict[str, np.ndarray] = {}
    for name in ("eligible", "held_out", "selected", "contacted", "delivered", "responded",
                 "unsubscribed"):
        out[name] = flat[:, at[name]].copy()
    out["contact_cost"] = flat[:, at["contact_cost_micros"]] / MICROS
    out["incentive_cost"] = flat[:, at["incentive_cost_micros"]] / MICROS
    out["discount"] = flat[:, at["discount_cost_micros"]] / MICROS
    out["cost"] = out["contact_cost"] + out["incentive_cost"] + out["discount"]
    for group in ("treated", "holdout"):
        out[f"{group}_measured"] = flat[:, at[f"{group}_measured"]].copy()
        out[f"{group}_converted"] = flat[:, at[f"{group}_converted"]].copy()
        out[f"{group}_revenue"] = flat[:, at[f"{group}_revenue_cents"]] / CENTS
    return flat, out


def channel_columns(sim: _core.Simulation, scenario: Scenario,
                    per_campaign: dict[str, Any]) -> dict[str, np.ndarray]:
    """The columns of Result.channels, one value per channel, in scenario order.

    Incremental figures add up the campaigns on the channel that measured
    an effect (a holdout with people in both groups); their variances add
    too, as the campaigns' groups are disjoint at any time.
    """
    data = scenario.to_dict()
    channels = data["channels"]
    names = [c["name"] for c in channels]
    of = np.array([names.index(c["channel"]) for c in data["campaigns"]], dtype=np.int64)
    n = len(channels)

    def by_channel(values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if where is not None:
            values = np.where(where, values, 0.0)
        return np.bincount(of, weights=values, minlength=n) if len(of) else np.zeros(n)

    measured = np.isfinite(per_campaign["incremental_conversions"]) & \
        np.isfinite(per_campaign["incremental_revenue"])
    contacts = by_channel(per_campaign["contacted"])
    delivered = by_channel(per_campaign["delivered"])
    responses = by_channel(per_campaign["responded"])
    cost = by_channel(per_campaign["cost"])
    incr_conv = by_channel(per_campaign["incremental_conversions"], measured)
    conv_se = np.sqrt(by_channel(per_campaign["incremental_conversions_se"] ** 2, measured))
    incr_rev = by_channel(per_campaign["incremental_revenue"], measured)
    rev_se = np.sqrt(by_channel(per_campaign["incremental_revenue_se"] ** 2, measured))
    measured_cost = by_channel(per_campaign["measured_cost"], measured)
    measured_discount = by_channel(per_campaign["measured_discount"], measured)
    gain = incr_rev + measured_discount - measured_cost
    n_measured = by_channel(measured.astype(float))
    none_measured = n_measured == 0

    capacity = np.array([np.nan if c["capacity_per_day"] is None else c["capacity_per_day"]
                         for c in channels], dtype=float)
    daily = np.zeros((sim.day + 1, n))
    if len(of):
        at = _at(list(_core.Simulation.campaign_kpi_columns))
        contacted = sim.campaign_kpis[:, :, at["contacted"]].astype(float)  # (day, campaign)
        for k in range(n):
            daily[:, k] = contacted[:, of == k].sum(axis=1)
    days = max(sim.day, 1)

    def unless_unmeasured(x: np.ndarray) -> np.ndarray:
        return np.where(none_measured, np.nan, x)

    segments = [s["name"] for s in data["segments"]]
    return {
        "campaigns": by_channel(np.ones(len(of))).astype(np.int64),
        "contacts": contacts.astype(np.int64),
        "delivered": delivered.astype(np.int64),
        "responses": responses.astype(np.int64),
        "unsubscribes": by_channel(per_campaign["unsubscribed"]).astype(np.int64),
        "delivery_rate": _ratio(delivered, contacts),
        "response_rate": _ratio(responses, delivered),
        "base_response_mean": np.array([np.mean(base_responses(c, segments)) for c in channels]),
        "cost": cost,
        "discount": by_channel(per_campaign["discount"]),
        "cost_per_response": _ratio(cost, responses),
        "capacity_per_day": capacity,
        "capacity_use": _ratio(contacts, capacity * days),
        "peak_day_contacts": daily.max(axis=0).astype(np.int64) if n else np.zeros(0, np.int64),
        "peak_capacity_use": _ratio(daily.max(axis=0) if n else np.zeros(0), capacity),
        "measured_campaigns": n_measured.astype(np.int64),
        "incremental_conversions": unless_unmeasured(incr_conv),
        "incremental_conversions_low": unless_unmeasured(incr_conv - Z95 * conv_se),
        "incremental_conversions_high": unless_unmeasured(incr_conv + Z95 * conv_se),
        "incremental_revenue": unless_unmeasured(incr_rev),
        "incremental_revenue_low": unless_unmeasured(incr_rev - Z95 * rev_se),
        "incremental_revenue_high": unless_unmeasured(incr_rev + Z95 * rev_se),
        "measured_cost": unless_unmeasured(measured_cost),
        "roi": _ratio(gain, measured_cost),
        "roi_low": _ratio(gain - Z95 * rev_se, measured_cost),
        "roi_high": _ratio(gain + Z95 * rev_se, measured_cost),
    }


def tier_columns(sim: _core.Simulation, scenario: Scenario,
                 by_segment: bool = False) -> dict[str, np.ndarray]:
    """The columns of Result.tiers (one value per tier), or per (segment, tier) pair.

    Exposure counts the customers at the start of each simulated day (rows
    0 .. days-1 of the engine's end-of-day counts), as the summary's churn
    rate does; ``customers_end`` is the last day's count.
    """
    data = scenario.to_dict()
    raw = sim.tier_kpis  # (day, segment, tier, column)
    at = _at(list(_core.Simulation.tier_kpi_columns))
    days = sim.day
    customers = raw[:, :, :, at["customers"]].astype(float)
    customer_days = customers[:-1].sum(axis=0) if days > 0 else np.zeros(customers.shape[1:])
    revenue = raw[1:, :, :, at["revenue_cents"]].sum(axis=0) / CENTS
    marketing = raw[1:, :, :, at["marketing_cost_micros"]].sum(axis=0) / MICROS
    cts = np.array([s["cost_to_serve_per_year"] for s in data["segments"]], dtype=float)
    margin = np.array([s["gross_margin"] for s in data["segments"]], dtype=float)
    cost_to_serve = customer_days * cts[:, None] / _DAYS_PER_YEAR
    gross_margin = revenue * margin[:, None] - cost_to_serve - marketing
    end = customers[-1]
    if not by_segment:  # add the segments up: (tier,)
        customer_days, revenue, marketing = (customer_days.sum(0), revenue.sum(0),
                                             marketing.sum(0))
        cost_to_serve, gross_margin, end = cost_to_serve.sum(0), gross_margin.sum(0), end.sum(0)
    else:  # (segment, tier) flattened segment-major
        customer_days, revenue, marketing, cost_to_serve, gross_margin, end = (
            a.reshape(-1) for a in (customer_days, revenue, marketing, cost_to_serve,
                                    gross_margin, end))
    customer_years = customer_days / _DAYS_PER_YEAR
    total_revenue = revenue.sum()
    return {
        "customers_mean": customer_days / max(days, 1),
        "customers_end": end.astype(np.int64),
        "customer_years": customer_years,
        "revenue": revenue,
        "revenue_share": _ratio(revenue, np.full(revenue.shape, total_revenue)),
        "cost_to_serve": cost_to_serve,
        "marketing_cost": marketing,
        "gross_margin": gross_margin,
        "revenue_per_customer_year": _ratio(revenue, customer_years),
        "margin_per_customer_year": _ratio(gross_margin, customer_years),
    }
