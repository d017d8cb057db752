"""Human messages for scenario problems: field paths, values, and one phrase per kind of check.

A message says what was expected and what was found, in planner words:
``segments[1].churn.annual_rate: must be between 0 and 1, got 1.7``.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterator, Sequence
from typing import Any, Union

__all__ = ["Path", "format_path", "path_sort_key", "show", "schema_error_messages",
           "unknown_name"]

#: A field path: mapping keys and list indices from the top of the scenario.
Path = tuple[Union[str, int], ...]

# Patterns of the schema with the words a planner understands; the schema
# file keeps the regular expressions, this keeps the explanations.
_PATTERN_PHRASES = {
    "^[A-Za-z_][A-Za-z0-9_]*$":
        "a name of letters, digits and underscores that does not start with a digit",
    "^[A-Z]{3}$": "a 3-letter upper-case currency code such as 'EUR'",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date in the form YYYY-MM-DD",
}

_TYPE_PHRASES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "object": "a mapping of fields",
    "array": "a list",
    "boolean": "true or false",
    "null": "empty",
}


def format_path(path: Sequence[str | int]) -> str:
    """Formats a path as ``segments[1].churn.annual_rate`` (empty string for the top level)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def path_sort_key(path: Sequence[str | int]) -> tuple:
    """Orders paths field by field, list indices numerically (segments[2] before segments[10])."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


def show(value: Any) -> str:
    """The value as a message shows it: numbers and YAML words as written, text in quotes."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, (list, tuple)):
        return "a list" if value else "an empty list"
    return f"a {type(value).__name__}"


def _number(x: Any) -> str:
    return repr(x)


def _null_hint(schema: dict) -> str:
    """", or null for no limit" for fields where null means something (schema key ``x-null``)."""
    meaning = schema.get("x-null")
    return f", or null for {meaning}" if meaning else ""


def _range_phrase(schema: dict, value: float) -> str:
    """Expected range of a number, from the bounds its schema states."""
    lo, lo_open = schema.get("minimum"), False
    if lo is None and "exclusiveMinimum" in schema:
        lo, lo_open = schema["exclusiveMinimum"], True
    hi, hi_open = schema.get("maximum"), False
    if hi is None and "exclusiveMaximum" in schema:
        hi, hi_open = schema["exclusiveMaximum"], True
    # A value exactly on an excluded bound needs the strict word; "between"
    # alone would read as if the bound were allowed.
    if lo_open and value == lo:
        return f"must be greater than {_number(lo)}"
    if hi_open and value == hi:
        return f"must be less than {_number(hi)}"
    if lo is not None and hi is not None:
        return f"must be between {_number(lo)} and {_number(hi)}{_null_hint(schema)}"
    if lo is not None:
        return (f"must be {'greater than' if lo_open else 'at least'} {_number(lo)}"
                f"{_null_hint(schema)}")
    return f"must be {'less than' if hi_open else 'at most'} {_number(hi)}{_null_hint(schema)}"


def _type_phrase(expected: str | list[str], schema: dict) -> str:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    if "null" in kinds and schema.get("x-null"):
        # "a number, or null for no limit" says what the empty value means.
        others = " or ".join(_TYPE_PHRASES.get(k, k) for k in kinds if k != "null")
        return others + _null_hint(schema)
    return " or ".join(_TYPE_PHRASES.get(k, k) for k in kinds)


def unknown_name(what: str, name: str, known: Sequence[str], plural: str | None = None) -> str:
    """"unknown channel 'emial' (known: email, sms; did you mean 'email'?)".

    ``what`` names the kind of thing ("channel"); ``plural`` its plural for
    the case that the scenario defines none (default: ``what + "s"``).
    """
    if not known:
        return f"unknown {what} {name!r} (the scenario defines no {plural or what + 's'})"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r} (known: {', '.join(known)}{hint})"


def _suggestion(word: Any, known: Sequence[str]) -> str:
    if isinstance(word, str):
        close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]!r}?)"
    return f" (known fields: {', '.join(known)})" if known else ""


def _unknown_choice(word: str, key: Any, known: Sequence[str]) -> str:
    """An unknown key of a mapping whose keys are choices (``trigger: {entered_lapsed: true}``)."""
    message = f"unknown {word} {key!r} (known {word}s: {', '.join(known)}"
    close = difflib.get_close_matches(key, known, n=1) if isinstance(key, str) else []
    state = key[len("entered_"):] if isinstance(key, str) and key.startswith("entered_") else None
    if state is not None and state not in _STATES:
        # "trigger on a state that does not exist": say which states there are.
        message += (f"; {state!r} is not a lifecycle state, the states are "
                    f"{', '.join(_STATES)}")
    elif state is not None:
        message += "; of the states, only entered_at_risk is a trigger"
    elif close:
        message += f"; did you mean {close[0]!r}?"
    return message + ")"


#: Lifecycle states, in engine order (the engine's state_names).
_STATES = ("prospect", "lead", "new", "active", "developed", "at_risk", "lapsed")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def schema_error_messages(error: Any) -> Iterator[tuple[Path, str]]:
    """Yields (path, message) for one jsonschema ValidationError.

    Some kinds yield several messages (one per unknown or missing field), so
    that every message names exactly one field.
    """
    path: Path = tuple(error.absolute_path)
    kind, expected = error.validator, error.validator_value
    value, schema = error.instance, error.schema
    got = f", got {show(value)}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield path, _range_phrase(schema, value) + got
    elif kind == "type":
        hint = ""
        if isinstance(value, bool) and "string" in expected:
            # YAML 1.1 reads yes/no/on/off as booleans: a segment named `no` is false.
            hint = " (YAML reads yes, no, on, off, true and false as true/false: quote the text)"
        yield path, f"must be {_type_phrase(expected, schema)}{got}{hint}"
    elif kind == "required":
        for name in expected:
            if name not in value:
                yield path, f"missing required field {name!r}"
    elif kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        word = schema.get("x-key-kind")
        for key in value:
            if key not in known:
                if word:  # keys that are choices (e.g. triggers), not fields
                    yield path, _unknown_choice(word, key, known)
                else:
                    yield path, f"unknown field {key!r}" + _suggestion(key, known)
    elif kind in ("maxProperties", "minProperties") and schema.get("x-key-kind"):
        word = schema["x-key-kind"]
        choices = ", ".join(schema.get("properties", {}))
        if value:
            yield path, (f"must name exactly one {word}, got {len(value)}: "
                         f"{', '.join(map(str, value))}")
        else:
            yield path, f"must name one {word} ({choices}), or be left out"
    elif kind == "enum":
        options = ", ".join(repr(o) for o in expected)
        close = difflib.get_close_matches(value, [str(o) for o in expected], n=1) \
            if isinstance(value, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        yield path, f"must be one of {options}{got}{hint}"
    elif kind == "const":
        yield path, f"must be {show(expected)}{got}"
    elif kind == "pattern":
        phrase = _PATTERN_PHRASES.get(expected, f"text matching the pattern {expected}")
        yield path, f"must be {phrase}{got}"
    elif kind == "minItems":
        yield path, f"must list at least {_plural(expected, 'item')}{got}"
    elif kind == "maxItems":
        yield path, f"must list at most {_plural(expected, 'item')}, got {len(value)}"
    elif kind == "uniqueItems":
        yield path, "must not list the same item twice"
    elif kind == "minLength":
        if expected == 1:
            yield path, "must not be empty"
        else:
            yield path, f"must be at least {_plural(expected, 'character')} long{got}"
    elif kind == "maxLength":
        yield path, f"must be at most {_plural(expected, 'character')} long, got {len(value)}"
    else:  # a check this module has no words for yet: jsonschema's own text
        yield path, error.message


# -- models (model.kind: lifecycle, btyd, sbg) ---------------------------------

def model_field_unused(kind: str, instead: str) -> str:
    """A lifecycle block in a btyd or sbg scenario: "is not used by model 'btyd'; ..."."""
    return f"is not used by model {kind!r}; leave it out (the model's parameters are in {instead})"


def model_only(field: str, kinds: Sequence[str], kind: str) -> str:
    """A model block in a scenario of another model: "is used only with model.kind 'btyd' ..."."""
    wanted = " or ".join(repr(k) for k in kinds)
    return (f"is used only with model.kind {wanted}, the scenario's model is {kind!r} "
            f"(set model.kind or leave {field} out)")


def model_missing(field: str, kind: str) -> str:
    """A btyd or sbg segment without its parameters."""
    return f"missing required field {field!r} (model.kind is {kind!r})"


def model_not_simulated(what: str, kind: str) -> str:
    """Campaigns or value tiers in a btyd or sbg scenario."""
    return f"{what} not simulated by model {kind!r}; leave them out or use model.kind 'lifecycle'"


def model_initial_only_active(kind: str, got: Any) -> str:
    """Initial states other than active in a btyd or sbg segment."""
    return (f"must be 0 with model {kind!r}, got {show(got)} (customers start active; "
            "later first purchases or sign-ups go in entries)")


def model_entries_exceed(placed: int, market: int) -> str:
    """initial.active plus entries above market_size."""
    return f"initial.active and entries must add up to at most market_size ({market}), got {placed}"


def model_period_unused(got: Any) -> str:
    """A period length other than 1 with the lifecycle model."""
    return (f"must be 1 with model.kind 'lifecycle' (periods belong to btyd and sbg), "
            f"got {show(got)}")


#: sBG parameters: alpha and beta together, or churn alone.
SBG_EITHER = "needs alpha and beta (Beta-distributed churn) or churn (the same for everybody)"
SBG_BOTH = "give alpha and beta, or churn, not both"
