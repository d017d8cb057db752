"""The scenario JSON Schema shipped with crmsim, and default filling from it.

The schema file ``scenario.schema.json`` beside this module is the single
source of field names, ranges, units and defaults: the validator, the
documentation (``crmsim.schema_doc``) and editors all read it.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_PATH", "load_schema", "fill_defaults", "resolve", "whole_numbers"]

#: Path of the scenario schema inside the installed package.
SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")


@lru_cache(maxsize=1)
def _schema_cached() -> dict:
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        return json.load(f)


def load_schema() -> dict:
    """Returns a copy of the scenario schema (a JSON Schema draft 2020-12 document)."""
    return copy.deepcopy(_schema_cached())


def resolve(node: dict, root: dict | None = None) -> dict:
    """Follows a local ``$ref`` (``#/$defs/...``) of a schema node; other nodes come back as is."""
    root = _schema_cached() if root is None else root
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def fill_defaults(data: Any, node: dict | None = None, root: dict | None = None) -> Any:
    """Fills every missing field that has a schema ``default`` into ``data``, in place.

    ``data`` must already be valid against the schema; returns ``data``.
    Defaults are deep-copied so that filled scenarios never share objects.
    """
    root = _schema_cached() if root is None else root
    node = resolve(root if node is None else node, root)
    if isinstance(data, dict):
        for key, sub in node.get("properties", {}).items():
            sub = resolve(sub, root)
            if key not in data and "default" in sub:
                data[key] = copy.deepcopy(sub["default"])
            if key in data:
                fill_defaults(data[key], sub, root)
    elif isinstance(data, list) and "items" in node:
        for item in data:
            fill_defaults(item, node["items"], root)
    return data


def _integer_node(node: dict) -> bool:
    kind = node.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def whole_numbers(data: Any, node: dict | None = None, root: dict | None = None) -> Any:
    """Turns floats with a whole value (``80000.0``) into ints where the schema wants integers.

    JSON Schema counts 80000.0 as an integer, and YAML reads ``8.0e+4`` as a
    float; the rest of crmsim (scaling, the engine) needs real ints.
    ``data`` must already be valid; changed in place and returned.
    """
    root = _schema_cached() if root is None else root
    node = resolve(root if node is None else node, root)
    if isinstance(data, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, value in data.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is None:
                continue
            sub = resolve(sub, root)
            if isinstance(value, float) and value.is_integer() and _integer_node(sub):
                data[key] = int(value)
            else:
                whole_numbers(value, sub, root)
    elif isinstance(data, list) and isinstance(node.get("items"), dict):
        item = resolve(node["items"], root)
        for k, value in enumerate(data):
            if isinstance(value, float) and value.is_integer() and _integer_node(item):
                data[k] = int(value)
            else:
                whole_numbers(value, item, root)
    return data
