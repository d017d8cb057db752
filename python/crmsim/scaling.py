"""Rescaling a scenario's population while keeping its segment mix and state shares."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["largest_remainder", "scale_segments", "scale_marketing"]


def largest_remainder(weights: Sequence[int], total: int) -> list[int]:
    """Splits ``total`` into integers proportional to ``weights`` (Hamilton's method).

    Each share is rounded down, then the units left over go to the largest
    fractional parts (ties to the earlier weight), so the parts add up to
    ``total`` exactly. Integer arithmetic only: exact for any size.
    """
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    floors = [w * total // weight_sum for w in weights]
    remainders = [w * total % weight_sum for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _scaled_markets(markets: Sequence[int], population: int) -> list[int]:
    sizes = largest_remainder(markets, population)
    # A segment must keep at least one person; take them from the largest segments.
    for i, size in enumerate(sizes):
        if size == 0:
            donor = max(range(len(sizes)), key=lambda j: (sizes[j], -j))
            sizes[donor] -= 1
            sizes[i] = 1
    return sizes


def scale_segments(segments: list[dict], population: int) -> None:
    """Rescales ``market_size``, ``initial`` and ``entries`` of defaults-filled segments in place.

    The markets add up to ``population`` exactly; each segment keeps at least
    one person and its initial customers keep their share of the segment
    (rounded to the nearest person, never above the new market size).
    ``population`` must be at least the number of segments.
    """
    old = [seg["market_size"] for seg in segments]
    new = _scaled_markets(old, population)
    for seg, m_old, m_new in zip(segments, old, new):
        initial = seg["initial"]
        names = list(initial)
        entries = seg.get("entries", [])  # btyd and sbg: later entries scale with the rest
        counts = [initial[k] for k in names] + [e["customers"] for e in entries]
        placed = sum(counts)
        # Nearest integer of placed * m_new / m_old, computed exactly.
        target = min(m_new, (2 * placed * m_new + m_old) // (2 * m_old))
        scaled = largest_remainder(counts, target)
        for name, count in zip(names, scaled):
            initial[name] = count
        for entry, count in zip(entries, scaled[len(names):]):
            entry["customers"] = count
        seg["market_size"] = m_new


def _scaled_count(value: int | None, factor: float) -> int | None:
    """A per-day capacity or cap times ``factor``: None stays None, a positive one stays >= 1."""
    if value is None or value == 0:
        return value
    return max(1, round(value * factor))


def scale_marketing(data: dict, factor: float) -> None:
    """Scales, in place, the amounts of a defaults-filled scenario that serve the whole market.

    Channel capacity_per_day and fixed_cost_per_wave, campaign budget and
    max_contacts_per_day are multiplied by ``factor`` (the new population
    over the old); per-person amounts (costs per contact, offers, value
    tier thresholds) are left alone.
    """
    for channel in data.get("channels", []):
        channel["capacity_per_day"] = _scaled_count(channel["capacity_per_day"], factor)
        channel["fixed_cost_per_wave"] = channel["fixed_cost_per_wave"] * factor
    for campaign in data.get("campaigns", []):
        if campaign["budget"] is not None:
            campaign["budget"] = campaign["budget"] * factor
        campaign["max_contacts_per_day"] = _scaled_count(campaign["max_contacts_per_day"], factor)
