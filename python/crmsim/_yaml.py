"""Reading scenario YAML into plain Python data, with errors that name the file and line."""

from __future__ import annotations

import os
from typing import Any

import yaml

from .errors import ScenarioError

__all__ = ["read_yaml_file", "parse_yaml_text"]


class _ScenarioLoader(yaml.SafeLoader):
    """yaml.SafeLoader with two changes that protect planners from silent mistakes.

    - Dates stay text: the schema checks them, so that ``2027-13-01`` is a
      clear field error instead of an exception from inside the parser.
    - A key written twice in one mapping is an error; plain YAML keeps the
      last one silently, so a second ``churn:`` block would hide the first.

    It constructs nothing but plain scalars, lists and dicts, like safe_load.
    """


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # keys merged in with << may be overridden on purpose
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key; construct_mapping reports it
            continue
        if duplicate:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first written on line {first})",
                key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_ScenarioLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_ScenarioLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def parse_yaml_text(text: str, source: str) -> Any:
    """Parses YAML text; a syntax error becomes a ScenarioError naming ``source`` and the line."""
    try:
        return yaml.load(text, Loader=_ScenarioLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}: line {mark.line + 1}, column {mark.column + 1}" if mark else source
        what = e.problem or str(e)
        # The context tells where an unclosed bracket or quote began, which is
        # usually the line to fix.
        if e.context and e.context_mark and e.context_mark is not mark:
            what += f" ({e.context} that starts on line {e.context_mark.line + 1})"
        raise ScenarioError(f"{where}: invalid YAML: {what}") from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{source}: invalid YAML: {e}") from None


def read_yaml_file(path: str | os.PathLike[str]) -> Any:
    """Reads and parses a YAML file; every failure is a ScenarioError naming the file."""
    source = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ScenarioError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{source}: is a folder, not a scenario file") from None
    except UnicodeDecodeError as e:
        raise ScenarioError(
            f"{source}: not UTF-8 text (byte {e.start}: {e.reason})") from None
    except OSError as e:
        raise ScenarioError(f"{source}: cannot read: {e.strerror or e}") from None
    return parse_yaml_text(text, source)
