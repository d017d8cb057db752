"""Propositions, channels, campaigns, contact policy and value tiers: the checks that
cross fields, and the translation of names into the engine's indices.

Planners write names (``channel: email``, ``targeting: {segments: [young]}``);
the engine takes indices. Every name is checked here, with the known names
and a suggestion in the message, before anything reaches the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ._messages import Path, show, unknown_name

__all__ = [
    "CAMPAIGN_TYPES", "STATES", "CUSTOMER_STATES", "TRIGGERS", "DEFAULT_STATES", "ACTS_ON",
    "problems", "engine_fields", "engine_segment_fields", "tier_names",
]

#: Campaign types, in the engine's order.
CAMPAIGN_TYPES = ("acquisition", "welcome", "cross_sell", "retention", "service_recovery",
                  "win_back", "brand")

#: Lifecycle states, in the engine's order.
STATES = ("prospect", "lead", "new", "active", "developed", "at_risk", "lapsed")

#: States in which a person is a customer.
CUSTOMER_STATES = ("new", "active", "developed", "at_risk")

#: Trigger keys of the scenario file, in the engine's order after "none".
TRIGGERS = ("tenure_day", "entered_at_risk", "lapsed_for_days", "no_purchase_for_days")

#: Who a campaign type targets when targeting.states is empty (the engine's defaults).
DEFAULT_STATES = {
    "acquisition": ("prospect",),
    "welcome": ("new",),
    "cross_sell": ("active", "developed"),
    "retention": ("active", "developed", "at_risk"),
    "service_recovery": ("at_risk",),
    "win_back": ("lapsed",),
    "brand": ("prospect",),
}

#: The states in which a response of each type does something.
ACTS_ON = {
    "acquisition": ("prospect",),
    "welcome": CUSTOMER_STATES,
    "cross_sell": CUSTOMER_STATES,
    "retention": CUSTOMER_STATES,
    "service_recovery": ("at_risk",),
    "win_back": ("lapsed",),
    "brand": STATES,  # a brand contact builds adstock whoever receives it
}

#: The states in which each trigger can fire.
TRIGGER_STATES = {
    "tenure_day": CUSTOMER_STATES,
    "entered_at_risk": ("at_risk",),
    "lapsed_for_days": ("lapsed",),
    "no_purchase_for_days": CUSTOMER_STATES,
}

_A = {"acquisition": "an", "welcome": "a", "cross_sell": "a", "retention": "a",
      "service_recovery": "a", "win_back": "a", "brand": "a"}


def tier_names(data: dict) -> list[str]:
    """Value tier names of a defaults-filled scenario; ``["all"]`` when it defines none."""
    return [t["name"] for t in data.get("value_tiers", [])] or ["all"]


# -- checks -------------------------------------------------------------------


def problems(data: dict) -> Iterator[tuple[Path, str]]:
    """Cross-field problems of the marketing parts of raw scenario data.

    Each check looks only at values of the right type (the schema reports
    the others), so every problem is found in one pass.
    """
    segments = _names(data.get("segments"))
    propositions = _names(data.get("propositions"))
    channels = _names(data.get("channels"))
    tiers = _names(data.get("value_tiers"))
    for key, what in (("propositions", "proposition"), ("channels", "channel"),
                      ("campaigns", "campaign"), ("value_tiers", "value tier")):
        yield from _duplicates(data.get(key), key, what)
    yield from _tier_problems(data.get("value_tiers"))
    for i, seg in _items(data.get("segments")):
        name = seg.get("proposition")
        if isinstance(name, str) and name not in propositions:
            yield ("segments", i, "proposition"), unknown_name("proposition", name, propositions)
    for i, channel in _items(data.get("channels")):
        yield from _base_response_problems(channel.get("base_response"), ("channels", i),
                                           segments)
    lifecycle = data.get("lifecycle")
    window = lifecycle.get("winback_window_days", 180) if isinstance(lifecycle, dict) else 180
    for i, campaign in _items(data.get("campaigns")):
        yield from _campaign_problems(campaign, ("campaigns", i), segments, propositions,
                                      channels, tiers, window)


def _items(value: Any) -> Iterator[tuple[int, dict]]:
    """(index, mapping) of the mappings in a list (nothing when it is not a list)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _names(value: Any) -> list[str]:
    """The text names of a list of named mappings, in order, each once."""
    out: list[str] = []
    for _, item in _items(value):
        name = item.get("name")
        if isinstance(name, str) and name not in out:
            out.append(name)
    return out


def _duplicates(value: Any, key: str, what: str) -> Iterator[tuple[Path, str]]:
    first: dict[str, int] = {}
    for i, item in _items(value):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            yield (key, i, "name"), (f"duplicate {what} name {name!r}, already used by "
                                     f"{key}[{first[name]}]")
        else:
            first[name] = i


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _tier_problems(value: Any) -> Iterator[tuple[Path, str]]:
    previous = None
    for i, tier in _items(value):
        low = tier.get("min_annual_value")
        if not _is_number(low) or low < 0:
            previous = None
            continue
        if i == 0 and low != 0:
            yield ("value_tiers", 0, "min_annual_value"), (
                f"must be 0 for the first tier (every customer is in some tier), got {show(low)}")
        elif previous is not None and low <= previous:
            yield ("value_tiers", i, "min_annual_value"), (
                f"must be greater than the previous tier's ({show(previous)}): tiers go from "
                f"lowest to highest value, got {show(low)}")
        previous = low


def _base_response_problems(value: Any, at: Path,
                            segments: Sequence[str]) -> Iterator[tuple[Path, str]]:
    if not isinstance(value, dict):
        return
    known = [*segments, "default"]
    unknown = [key for key in value if key not in known]
    for key in unknown:
        yield (*at, "base_response"), unknown_name("segment", str(key), known)
    # A misspelt segment also leaves its segment without a value: one message is enough.
    if "default" not in value and not unknown:
        for name in segments:
            if name not in value:
                yield (*at, "base_response"), (
                    f"no response given for segment {name!r}: name every segment or add "
                    "'default: VALUE' for the others")


def _campaign_problems(c: dict, at: Path, segments: Sequence[str], propositions: Sequence[str],
                       channels: Sequence[str], tiers: Sequence[str],
                       winback_window: Any) -> Iterator[tuple[Path, str]]:
    kind = c.get("type") if c.get("type") in CAMPAIGN_TYPES else None
    channel = c.get("channel")
    if isinstance(channel, str) and channel and channel not in channels:
        yield (*at, "channel"), unknown_name("channel", channel, channels)
    proposition = c.get("proposition")
    if isinstance(proposition, str) and proposition not in propositions:
        yield (*at, "proposition"), unknown_name("proposition", proposition, propositions)

    targeting = c.get("targeting") if isinstance(c.get("targeting"), dict) else {}
    for key, what, known, plural in (("segments", "segment", segments, None),
                                     ("value_tiers", "value tier", tiers, "value_tiers")):
        listed = targeting.get(key)
        if isinstance(listed, list):
            for k, name in enumerate(listed):
                if isinstance(name, str) and name not in known:
                    yield (*at, "targeting", key, k), unknown_name(what, name, known, plural)
    lo, hi = targeting.get("min_score"), targeting.get("max_score")
    if _is_number(lo) and _is_number(hi) and 0 <= lo <= 1 and 0 <= hi <= 1 and hi < lo:
        yield (*at, "targeting", "max_score"), (
            f"must be at least min_score ({show(lo)}), got {show(hi)}")

    states = targeting.get("states")
    listed_states = (isinstance(states, list) and states
                     and all(isinstance(s, str) and s in STATES for s in states))
    if kind is not None and listed_states:
        wrong = [s for s in states if s not in ACTS_ON[kind]]
        if wrong:
            yield (*at, "targeting", "states"), (
                f"{_A[kind]} {kind} campaign acts only on {_or(ACTS_ON[kind])} people, got "
                f"{', '.join(wrong)}")
    targeted = tuple(states) if listed_states else (DEFAULT_STATES[kind] if kind else None)

    schedule = c.get("schedule") if isinstance(c.get("schedule"), dict) else {}
    start, end = schedule.get("start_day", 1), schedule.get("end_day")
    if isinstance(start, int) and isinstance(end, int) and not isinstance(end, bool) \
            and 1 <= end < start:
        yield (*at, "schedule", "end_day"), (
            f"must be at least start_day ({start}), or null for the end of the run, got {end}")

    trigger = c.get("trigger")
    every = schedule.get("every_days")
    if trigger is None and "every_days" not in schedule:
        # The default of 1 suits triggers; for a plain wave it would mean
        # contacting everybody eligible every day, an expensive oversight.
        yield (*at, "schedule"), (
            "a campaign without a trigger contacts everybody eligible on each wave day: give "
            "schedule.every_days (e.g. 30 for monthly waves, 1 for daily)")
    if isinstance(trigger, dict) and trigger and isinstance(every, int) \
            and not isinstance(every, bool) and every > 1:
        yield (*at, "schedule", "every_days"), (
            "must be 1 for a campaign with a trigger: the trigger picks people on one exact day, "
            f"so waves every {every} days would miss everybody whose day falls between waves, "
            f"got {every}")
    if isinstance(trigger, dict) and len(trigger) == 1:
        (name, days), = trigger.items()
        valid = days is True if name == "entered_at_risk" else (
            isinstance(days, int) and not isinstance(days, bool) and days >= 1)
        if name in TRIGGER_STATES and targeted is not None and valid:
            if not set(targeted) & set(TRIGGER_STATES[name]):
                yield (*at, "trigger"), (
                    f"{name} fires only for {_or(TRIGGER_STATES[name])} people, but the campaign "
                    f"targets {_or(targeted)} people")
        if name == "lapsed_for_days" and isinstance(days, int) and isinstance(winback_window, int) \
                and not isinstance(days, bool) and days > winback_window:
            yield (*at, "trigger", name), (
                f"must be at most lifecycle.winback_window_days ({winback_window}): after that "
                f"people are prospects again and the trigger never fires, got {days}")

    holdout = c.get("holdout_share")
    if kind == "brand" and _is_number(holdout) and 0 < holdout < 1:
        yield (*at, "holdout_share"), (
            "must be 0 for a brand campaign (its effect is market-wide, so nobody can be held "
            f"out), got {show(holdout)}")
    yield from _effect_problems(c.get("effect"), kind, at)


def _effect_problems(effect: Any, kind: str | None, at: Path) -> Iterator[tuple[Path, str]]:
    if not isinstance(effect, dict) or kind is None:
        return
    only = {"direct_share": "acquisition", "brand_lift": "brand"}
    for key, owner in only.items():
        value = effect.get(key)
        if _is_number(value) and value > 0 and kind != owner:
            yield (*at, "effect", key), (
                f"only {owner} campaigns use {key}; this is {_A[kind]} {kind} campaign, got "
                f"{show(value)}")
    reduction, days = effect.get("churn_reduction"), effect.get("duration_days", 0)
    if _is_number(reduction) and 0 < reduction <= 1:
        if kind == "brand":
            yield (*at, "effect", "churn_reduction"), (
                f"a brand campaign has no responders to keep, so it cannot reduce churn, got "
                f"{show(reduction)}")
        elif isinstance(days, int) and not isinstance(days, bool) and days == 0:
            yield (*at, "effect", "duration_days"), (
                "must be at least 1 when churn_reduction is set (the days the lower churn "
                "lasts), got 0")


def _or(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# -- for the engine -------------------------------------------------------------


def engine_segment_fields(seg: dict, data: dict) -> dict:
    """The marketing fields of one defaults-filled segment, names resolved to indices."""
    propositions = [p["name"] for p in data["propositions"]]
    return {
        "needs": {k: float(v) for k, v in seg["needs"].items()},
        "proposition": _index(propositions, seg["proposition"]),
        "cost_to_serve_per_year": float(seg["cost_to_serve_per_year"]),
        "gross_margin": float(seg["gross_margin"]),
    }


def engine_fields(data: dict) -> dict:
    """The top-level marketing fields of a valid, defaults-filled scenario, for the engine.

    Names become indices, ``null`` limits become -1 (0 for the contact cap),
    base responses become one probability per segment, triggers become
    ``{kind, days}``.
    """
    segments = [s["name"] for s in data["segments"]]
    propositions = [p["name"] for p in data["propositions"]]
    channels = [c["name"] for c in data["channels"]]
    tiers = [t["name"] for t in data["value_tiers"]]
    policy = data["contact_policy"]
    return {
        "propositions": [{
            "name": p["name"],
            "price_competitiveness": float(p["price_competitiveness"]),
            "service_level": float(p["service_level"]),
            "brand_strength": float(p["brand_strength"]),
            "offer": {"discount_share": float(p["offer"]["discount_share"]),
                      "incentive": float(p["offer"]["incentive"]),
                      "duration_days": int(p["offer"]["duration_days"])},
        } for p in data["propositions"]],
        "fit_effects": {k: float(v) for k, v in data["fit_effects"].items()},
        "analytics": {"score_accuracy": float(data["analytics"]["score_accuracy"])},
        "contact_policy": {"max_contacts": int(policy["max_contacts"] or 0),
                           "window_days": int(policy["window_days"])},
        "value_tiers": [{"name": t["name"], "min_annual_value": float(t["min_annual_value"])}
                        for t in data["value_tiers"]],
        "channels": [_engine_channel(c, segments) for c in data["channels"]],
        "campaigns": [_engine_campaign(c, segments, propositions, channels, tiers)
                      for c in data["campaigns"]],
    }


def _index(names: Sequence[str], name: str | None) -> int:
    return -1 if name is None else list(names).index(name)


def _limit(value: Any) -> Any:
    return -1 if value is None else value


def base_responses(channel: dict, segments: Sequence[str]) -> list[float]:
    """A channel's base response per segment, in segment order."""
    value = channel["base_response"]
    if not isinstance(value, dict):
        return [float(value)] * len(segments)
    return [float(value.get(name, value.get("default", 0.0))) for name in segments]


def _engine_channel(c: dict, segments: Sequence[str]) -> dict:
    return {
        "name": c["name"],
        "cost_per_contact": float(c["cost_per_contact"]),
        "fixed_cost_per_wave": float(c["fixed_cost_per_wave"]),
        "reach": float(c["reach"]),
        "base_response": base_responses(c, segments),
        "capacity_per_day": int(_limit(c["capacity_per_day"])),
        "fatigue": float(c["fatigue"]),
        "unsubscribe_probability": float(c["unsubscribe_probability"]),
        "adstock_decay_per_day": float(c["adstock_decay_per_day"]),
    }


def _engine_campaign(c: dict, segments: Sequence[str], propositions: Sequence[str],
                     channels: Sequence[str], tiers: Sequence[str]) -> dict:
    trigger = c.get("trigger")
    if trigger:
        (name, days), = trigger.items()
        engine_trigger = {"kind": name, "days": 0 if name == "entered_at_risk" else int(days)}
    else:
        engine_trigger = {"kind": "none", "days": 0}
    schedule, targeting, effect = c["schedule"], c["targeting"], c["effect"]
    return {
        "name": c["name"],
        "type": c["type"],
        "channel": _index(channels, c["channel"]),
        "proposition": _index(propositions, c["proposition"]),
        "schedule": {"start_day": int(schedule["start_day"]),
                     "end_day": int(schedule["end_day"] or 0),
                     "every_days": int(schedule["every_days"])},
        "trigger": engine_trigger,
        "targeting": {
            "states": list(targeting["states"]),
            "segments": [segments.index(s) for s in targeting["segments"]],
            "value_tiers": [list(tiers).index(t) for t in targeting["value_tiers"]],
            "min_score": float(targeting["min_score"]),
            "max_score": float(targeting["max_score"]),
        },
        "effect": {"churn_reduction": float(effect["churn_reduction"]),
                   "duration_days": int(effect["duration_days"]),
                   "direct_share": float(effect["direct_share"]),
                   "brand_lift": float(effect["brand_lift"])},
        "budget": float(_limit(c["budget"])),
        "max_contacts_per_day": int(_limit(c["max_contacts_per_day"])),
        "holdout_share": float(c["holdout_share"]),
        "priority": int(c["priority"]),
        "measurement_days": int(c["measurement_days"]),
    }
