"""The model of a scenario (``model.kind``): lifecycle, btyd or sbg.

* ``lifecycle`` (default): the customer lifecycle with segments'
  acquisition, churn, purchases, campaigns and the rest.
* ``btyd``: buy-till-you-die, BG/NBD (Fader, Hardie & Lee 2005). Each
  segment has ``btyd: {r, alpha, a, b, spend}``; while alive a customer buys
  as a Poisson process with rate lambda ~ Gamma(r, alpha) per period of
  ``model.period_days`` days and drops out with probability p ~ Beta(a, b)
  right after each repeat purchase; spend per purchase is Gamma-Gamma.
* ``sbg``: contracts, shifted-beta-geometric (Fader & Hardie 2007). Each
  segment has ``sbg: {alpha, beta}`` (or ``churn``) and ``fee``; every
  ``period_days`` days after signing up a customer churns with probability
  theta ~ Beta(alpha, beta) or renews and pays the fee.

In btyd and sbg a segment's customers are ``initial.active`` (from day 0)
plus ``entries`` (first purchases or sign-ups on later days). The KPI table
then reads: ``active`` = alive or subscribed, ``lapsed`` = dropped out or
churned (for good), ``prospect`` = not yet entered; ``acquisitions`` =
entries, ``defections`` = dropouts or churns, ``purchases`` = repeat
purchases (btyd) or paid periods (sbg), ``revenue`` = their spend or fees.
This module holds the checks a schema cannot state and the engine fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _messages as msg
from ._messages import Path

__all__ = ["MODEL_KINDS", "model_kind", "problems", "engine_segment_fields", "engine_model"]

#: Model kinds, as ``model.kind`` names them.
MODEL_KINDS = ("lifecycle", "btyd", "sbg")

#: Segment blocks the lifecycle model requires (the schema marks them x-required-lifecycle).
LIFECYCLE_BLOCKS = ("acquisition", "churn", "purchases")

#: What the engine gets for the lifecycle blocks of a btyd or sbg segment: nothing happens.
_NEUTRAL = {
    "acquisition": {"innovation_per_year": 0.0, "imitation_per_year": 0.0,
                    "enquiry_share": 0.0, "enquiry_conversion": 0.5},
    "churn": {"annual_rate": 0.0, "polarization": 0.0, "new_multiplier": 1.0,
              "developed_multiplier": 1.0, "at_risk_multiplier": 1.0},
    "purchases": {"per_year": 0.0, "rate_shape": 1.0, "spend_mean": 0.0, "spend_shape": 1.0},
}


def model_kind(data: Any) -> str:
    """The model kind of raw or filled scenario data ('lifecycle' when absent or malformed)."""
    model = data.get("model") if isinstance(data, dict) else None
    kind = model.get("kind", "lifecycle") if isinstance(model, dict) else "lifecycle"
    return kind if kind in MODEL_KINDS else "lifecycle"


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def problems(data: dict) -> Iterator[tuple[Path, str]]:
    """Cross-field problems of the model parts of raw scenario data."""
    kind = model_kind(data)
    model = data.get("model")
    if isinstance(model, dict) and model.get("kind", "lifecycle") not in MODEL_KINDS:
        return  # the schema names the bad kind; checks for a guessed model would only add noise
    if kind == "lifecycle" and isinstance(model, dict):
        period = model.get("period_days", 1)
        if _is_count(period) and period != 1:
            yield ("model", "period_days"), msg.model_period_unused(period)
    segments = data.get("segments")
    if not isinstance(segments, list):
        return
    if kind != "lifecycle":
        for key, what in (("campaigns", "campaigns are"), ("value_tiers", "value tiers are")):
            if isinstance(data.get(key), list) and data[key]:
                yield (key,), msg.model_not_simulated(what, kind)
    for i, seg in enumerate(segments):
        if isinstance(seg, dict):
            yield from _segment_problems(seg, ("segments", i), kind)


def _segment_problems(seg: dict, at: Path, kind: str) -> Iterator[tuple[Path, str]]:
    if kind == "lifecycle":
        for block in LIFECYCLE_BLOCKS:
            if block not in seg:
                yield at, f"missing required field {block!r}"
        for block, kinds in (("btyd", ("btyd",)), ("sbg", ("sbg",)),
                             ("entries", ("btyd", "sbg"))):
            if block in seg:
                yield (*at, block), msg.model_only(block, kinds, kind)
        return
    other = "sbg" if kind == "btyd" else "btyd"
    if kind not in seg:
        yield at, msg.model_missing(kind, kind)
    if other in seg:
        yield (*at, other), msg.model_only(other, (other,), kind)
    for block in LIFECYCLE_BLOCKS:
        if block in seg:
            yield (*at, block), msg.model_field_unused(kind, kind)
    if seg.get("proposition") is not None:
        yield (*at, "proposition"), msg.model_field_unused(kind, kind)
    initial = seg.get("initial", {})
    active = 0
    if isinstance(initial, dict):
        for state, count in initial.items():
            if state == "active":
                active = count if _is_count(count) else 0
            elif _is_count(count) and count != 0:
                yield (*at, "initial", state), msg.model_initial_only_active(kind, count)
    placed = active
    entries = seg.get("entries")
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            customers = entry.get("customers")
            if _is_count(customers) and customers > 0:
                placed += customers
    market = seg.get("market_size")
    if _is_count(market) and placed > market:
        yield (*at, "entries" if entries else "initial"), msg.model_entries_exceed(placed, market)
    if kind == "sbg" and isinstance(seg.get("sbg"), dict):
        sbg = seg["sbg"]
        has = [k for k in ("alpha", "beta") if k in sbg]
        if "churn" in sbg and has:
            yield (*at, "sbg"), msg.SBG_BOTH
        elif "churn" not in sbg and not has:
            yield (*at, "sbg"), msg.SBG_EITHER
        elif len(has) == 1:
            missing = "beta" if has == ["alpha"] else "alpha"
            yield (*at, "sbg"), f"missing required field {missing!r} (alpha and beta go together)"


def engine_model(data: dict) -> dict:
    """The ``model`` block for the engine."""
    model = data.get("model", {})
    return {"kind": str(model.get("kind", "lifecycle")),
            "period_days": int(model.get("period_days", 1))}


def engine_segment_fields(seg: dict, kind: str) -> dict:
    """The model fields of one defaults-filled segment for the engine.

    For btyd and sbg the lifecycle blocks the segment leaves out become
    neutral ones (nothing happens through them), and the model block and
    entries are added.
    """
    if kind == "lifecycle":
        return {}
    out: dict = {block: dict(values) for block, values in _NEUTRAL.items()}
    out["entries"] = [{"day": int(e["day"]), "customers": int(e["customers"])}
                      for e in seg.get("entries", [])]
    if kind == "btyd":
        b = seg["btyd"]
        spend = b.get("spend")
        out["btyd"] = {
            **{k: float(b[k]) for k in ("r", "alpha", "a", "b", "dropout_multiplier")},
            "spend": None if spend is None else {k: float(spend[k]) for k in ("p", "q", "gamma")},
        }
    else:
        g = seg["sbg"]
        out["sbg"] = {"alpha": float(g.get("alpha", 0.0)), "beta": float(g.get("beta", 0.0)),
                      "churn": float(g.get("churn", 0.0)),
                      "churn_multiplier": float(g["churn_multiplier"]), "fee": float(g["fee"])}
    return out
