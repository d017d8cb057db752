"""Reading scenario YAML into plain Python data, with errors that name the file and line.

Only plain data is ever built (a yaml.SafeLoader subclass: no Python
objects, no tags that run code), and hostile or broken files are refused
before they can exhaust memory or time: the text is limited in size, and
the document in nesting depth and in the number of values it expands to
once anchors and aliases are followed (a "billion laughs" file is a few
lines that expand to billions of values).
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .errors import ScenarioError

__all__ = ["read_yaml_file", "parse_yaml_text", "MAX_TEXT_CHARS", "MAX_VALUES", "MAX_DEPTH"]

#: Longest scenario text read, in characters; real scenarios are a few kB.
MAX_TEXT_CHARS = 4_000_000
#: Most values (scalars, lists, mappings) a document may expand to, aliases followed.
MAX_VALUES = 200_000
#: Deepest nesting of lists and mappings; a scenario needs about 6.
MAX_DEPTH = 64


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


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuses a node graph that is cyclic, too deep, or expands to too many values.

    Aliases make the composed document a graph whose nodes can be shared;
    the values it stands for are counted as if every alias were copied
    (memoised per node, so counting is linear in the graph, never in the
    expansion).
    """
    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()

    def count(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in expanded:
            return expanded[key]
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{source}: nested more than {MAX_DEPTH} levels deep "
                                "(a scenario needs about 6)")
        if key in open_nodes:
            raise ScenarioError(f"{source}: an alias refers to a list or mapping that "
                                "contains it (a value that contains itself)")
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            open_nodes.add(key)
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [n for pair in node.value for n in pair])
            for child in children:
                total += count(child, depth + 1)
                if total > MAX_VALUES:
                    raise ScenarioError(
                        f"{source}: expands to more than {MAX_VALUES:,} values once its "
                        "aliases (*name) are followed; a scenario has a few thousand "
                        "(a file built to exhaust memory?)")
            open_nodes.discard(key)
        expanded[key] = total
        return total

    count(root, 0)


def parse_yaml_text(text: str, source: str) -> Any:
    """Parses YAML text; a syntax error becomes a ScenarioError naming ``source`` and the line.

    Text longer than MAX_TEXT_CHARS, nested deeper than MAX_DEPTH or
    expanding to more than MAX_VALUES values is refused before it is built.
    """
    if not isinstance(text, str):
        raise ScenarioError(f"{source}: scenario text must be a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ScenarioError(f"{source}: {len(text):,} characters is too long for a scenario "
                            f"(at most {MAX_TEXT_CHARS:,})")
    loader = None
    try:
        # The reader checks the characters as soon as it is made: inside the try.
        loader = _ScenarioLoader(text)  # noqa: S506 - a SafeLoader subclass
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply to read (at most {MAX_DEPTH} "
                            "levels)") from None
    except (ValueError, TypeError, OverflowError) as e:
        # A tag that forces a type on a value that is not of it, such as
        # `!!int` on nothing or `!!float abc` (found by fuzzing).
        raise ScenarioError(f"{source}: invalid YAML: a value cannot be read as its tag "
                            f"says ({e})") from None
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
    except (ScenarioError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001
        # The YAML reader itself fails on some broken input (an IndexError
        # in PyYAML's parser for a tag at the end of a line, found by
        # fuzzing): still a file that is not valid YAML, never a crash.
        raise ScenarioError(f"{source}: invalid YAML: the YAML reader failed on it "
                            f"({type(e).__name__}: {e})") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path: str | os.PathLike[str]) -> Any:
    """Reads and parses a YAML file; every failure is a ScenarioError naming the file."""
    source = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            # One character more than allowed is enough to know it is too long.
            text = f.read(MAX_TEXT_CHARS + 1)
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
