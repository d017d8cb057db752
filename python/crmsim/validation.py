"""Validation of raw scenario data: the JSON Schema first, then the checks a schema cannot state.

Every problem is collected, so a planner fixes a file in one round instead
of one error per run.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator
from typing import Any

from . import marketing, models
from ._messages import Path, format_path, path_sort_key, schema_error_messages, show
from .schema import load_schema, whole_numbers

__all__ = ["problems", "MAX_TOTAL_MARKET", "STATE_FIELDS"]

#: Agent ids are 32-bit counters of the engine's random number generator.
MAX_TOTAL_MARKET = 4_294_967_295

#: Fields of a segment's ``initial`` block, in lifecycle order.
STATE_FIELDS = ("lead", "new", "active", "developed", "at_risk", "lapsed")

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The start dates a run may have. Result tables date their rows with
#: pandas' nanosecond timestamps, which hold 1677-09-22 to 2262-04-11; from
#: these, a run of the longest horizon (crmsim.run.MAX_DAYS, 100 years) stays
#: inside them. (Found by fuzzing: start_date 0001-01-01 loaded and ran, then
#: Result.kpis raised pandas' OutOfBoundsDatetime.)
EARLIEST_START = datetime.date(1700, 1, 1)
LATEST_START = datetime.date(2100, 12, 31)
#: Control characters other than tab and line breaks: text with them can
#: move the cursor or retitle the terminal that prints a summary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_validator = None


def _schema_validator():
    # jsonschema is imported on first use: `import crmsim` stays fast.
    global _validator
    if _validator is None:
        import jsonschema

        _validator = jsonschema.Draft202012Validator(load_schema())
    return _validator


def problems(data: Any) -> list[str]:
    """All problems of raw scenario data, as ``"path: message"`` strings sorted by field path.

    ``data`` is what the YAML file holds (or the dict a caller passes); an
    empty list means the scenario is valid. When it passes the schema, its
    whole-number floats where the schema wants integers (``180.0``) become
    ints, in place, before the checks across fields.
    """
    found: dict[Path, list[str]] = {}
    for error in _schema_validator().iter_errors(data):
        for path, message in schema_error_messages(error):
            found.setdefault(path, []).append(message)
    if not found:
        # The checks across fields compare counts only when they are ints:
        # `winback_window_days: 0.0` skipped the trigger check, then became
        # 0 and was refused when the loaded scenario was rescaled (found by
        # fuzzing). The same value must get the same answer every time.
        whole_numbers(data)
    for path, message in _semantic_problems(data, schema_paths=set(found)):
        found.setdefault(path, []).append(message)
    out = []
    for path in sorted(found, key=path_sort_key):
        where = format_path(path)
        for message in sorted(set(found[path])):
            out.append(f"{where}: {message}" if where else message)
    return out


def _semantic_problems(data: Any, schema_paths: set[Path]) -> Iterator[tuple[Path, str]]:
    """Checks across fields; each looks only at parts that are well-typed, so all run at once."""
    for path, value in _walk(data):
        if isinstance(value, float) and not math.isfinite(value) and path not in schema_paths:
            yield path, f"must be a finite number, got {show(value)}"
        if isinstance(value, str):
            yield from ((path, m) for m in _text_problems(value))
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and _text_problems(key):
                    yield path, f"has a field name that is not plain text: {key!r}"
    if not isinstance(data, dict):
        return
    yield from _start_date_problems(data.get("start_date"))
    segments = data.get("segments")
    if isinstance(segments, list):
        yield from _segment_problems(segments)
    yield from marketing.problems(data)
    yield from models.problems(data)


def _text_problems(text: str) -> list[str]:
    """What is wrong with a piece of text: lone surrogates (not Unicode), control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return [f"must be Unicode text, got a lone surrogate {text[e.start]!r} at "
                f"character {e.start}"]
    found = _CONTROL.search(text)
    if found:
        return [f"must not contain control characters, got {found.group()!r} at "
                f"character {found.start()}"]
    return []


def _start_date_problems(value: Any) -> Iterator[tuple[Path, str]]:
    # The schema checks the shape YYYY-MM-DD; only the calendar can say 2027-02-30 is wrong.
    if isinstance(value, str) and _DATE_SHAPE.fullmatch(value):
        try:
            date = datetime.date.fromisoformat(value)
        except ValueError:
            yield ("start_date",), f"must be a calendar date (YYYY-MM-DD), got {show(value)}"
            return
        if not EARLIEST_START <= date <= LATEST_START:
            yield ("start_date",), (f"must be between {EARLIEST_START} and {LATEST_START}, "
                                    f"got {show(value)}")


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _segment_problems(segments: list) -> Iterator[tuple[Path, str]]:
    first_index: dict[str, int] = {}
    total = 0
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict):
            continue
        name = seg.get("name")
        if isinstance(name, str):
            if name in first_index:
                first = first_index[name]
                yield ("segments", i, "name"), (
                    f"duplicate segment name {name!r}, already used by segments[{first}]")
            else:
                first_index[name] = i
        market = seg.get("market_size")
        if not _is_count(market):
            continue
        total += market
        initial = seg.get("initial", {})
        if isinstance(initial, dict):
            counts = [initial.get(k, 0) for k in STATE_FIELDS]
            if all(_is_count(c) and c >= 0 for c in counts) and sum(counts) > market:
                yield ("segments", i, "initial"), (
                    f"must add up to at most market_size ({market}), got {sum(counts)}")
    if total > MAX_TOTAL_MARKET:
        yield ("segments",), (
            f"market sizes must add up to at most {MAX_TOTAL_MARKET} people, got {total}")


def _walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) in nested dicts and lists, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _walk(sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _walk(sub, (*path, i))
