"""Scenario overrides: change fields by dotted path (``segments.young_urban.churn.annual_rate``).

A path is field names separated by dots, from the top of the scenario as the
YAML file writes it. Items of named lists (segments, campaigns, channels,
propositions, value_tiers) are addressed by their ``name``; a whole number
addresses an item by position (``segments.0.churn.annual_rate``). Examples::

    days
    lifecycle.welcome_days
    segments.young_urban.churn.annual_rate
    campaigns.win_back_email.budget

A path that does not exist, or that stops at a mapping where a single value
was given, is a ScenarioError that names the path, what exists there (with a
close match when there is one) and the value. The changed scenario is then
validated like a file, so a value out of range reads as the loader's message,
with the override path added.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._messages import format_path, show
from .errors import ScenarioError
from .schema import load_schema, resolve

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["apply_overrides", "resolve_path"]


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new validated Scenario: ``scenario`` with each ``path: value`` of ``overrides`` set.

    Paths are checked first, all of them, and every bad one is reported in
    one ScenarioError; then the changed scenario is validated as a whole.
    ``scenario`` itself is not changed.
    """
    from .scenario import Scenario

    if not isinstance(overrides, Mapping):
        raise TypeError(f"overrides must be a mapping of path -> value, got {overrides!r}")
    source = scenario.source
    data = scenario.to_dict()
    problems: list[str] = []
    located: dict[str, tuple] = {}
    for path, value in overrides.items():
        try:
            index_path = resolve_path(data, path, value)
        except _PathError as e:
            problems.append(f"{source}: override {path!r} = {show(value)}: {e}")
            continue
        located[path] = index_path
        _set(data, index_path, value)
    if problems:
        raise ScenarioError(problems)
    try:
        return Scenario.from_dict(data, source)
    except ScenarioError as e:
        raise ScenarioError([_name_override(m, source, located) for m in e.errors]) from None


class _PathError(Exception):
    """A path that does not lead to a field; the message says what exists there."""


def resolve_path(data: dict, path: Any, value: Any = None) -> tuple:
    """The path of keys and list indices that ``path`` names in defaults-filled scenario ``data``.

    Raises _PathError (wrapped by apply_overrides into a ScenarioError) when a
    part does not exist or when ``value`` is a single value for a mapping.
    Intermediate fields the schema allows but the scenario leaves out (an
    optional block such as a proposition's ``offer``) are accepted and created
    when the override is set.
    """
    if not isinstance(path, str) or not path.strip():
        raise _PathError("a path must be text such as 'segments.young_urban.churn.annual_rate'")
    parts = path.split(".")
    if any(not p for p in parts):
        raise _PathError("a path must not have empty parts (two dots, or a dot at an end)")
    schema_root = load_schema()
    node: Any = data
    schema: dict | None = schema_root
    done: list = []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        where = ".".join(parts[:k]) or "the top level"
        if isinstance(node, dict) or node is _MISSING:
            fields = dict.fromkeys(node if isinstance(node, dict) else ())
            schema_fields = (resolve(schema, schema_root).get("properties", {})
                             if schema is not None else {})
            fields.update(dict.fromkeys(schema_fields))
            if part not in fields:
                raise _PathError(f"{where} has no field {part!r}{_close(part, list(fields))}")
            schema = resolve(schema_fields[part], schema_root) if part in schema_fields else None
            node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
            done.append(part)
        elif isinstance(node, list):
            names = [item.get("name") for item in node if isinstance(item, dict)]
            if part.isdigit():
                i = int(part)
                if i >= len(node):
                    raise _PathError(f"{where} has {len(node)} items (0 to {len(node) - 1}), "
                                     f"no item {i}")
            elif part in names:
                i = names.index(part)
            else:
                listed = ", ".join(repr(n) for n in names) if names else "none"
                close = difflib.get_close_matches(
                    part, [n for n in names if isinstance(n, str)], n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise _PathError(f"{where} has no item named {part!r} ({hint}names: {listed})")
            schema = resolve(schema.get("items", {}), schema_root) if schema is not None else None
            node = node[i]
            done.append(i)
        else:
            kind = "empty" if node is None else f"a single value ({show(node)})"
            raise _PathError(f"{where} is {kind}, it has no field {part!r}")
        if last and isinstance(node, (dict, list)) and not isinstance(value, (Mapping, list)):
            inner = (list(node) if isinstance(node, dict)
                     else [it.get("name") for it in node if isinstance(it, dict)])
            kind = "a mapping of fields" if isinstance(node, dict) else "a list of items"
            example = f"{path}.{inner[0]}" if inner else path
            raise _PathError(f"{path} is {kind} ({', '.join(map(str, inner))}), not a single "
                             f"value; override one of them, e.g. {example!r}")
    return tuple(done)


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


def _close(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (fields there: {', '.join(known)})" if known else ""


def _set(data: dict, index_path: tuple, value: Any) -> None:
    node: Any = data
    for part in index_path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}  # an optional block the scenario left out
        node = node[part]
    node[index_path[-1]] = value


def _name_override(message: str, source: str, located: dict[str, tuple]) -> str:
    """Adds "(override PATH)" to a validation message about a field an override set."""
    for path, index_path in located.items():
        where = format_path(index_path)
        for prefix in (f"{source}: {where}: ", f"{source}: {where}."):
            if message.startswith(prefix) or message.startswith(f"{source}: {where}["):
                return f"{message} (override {path!r})"
    return message
