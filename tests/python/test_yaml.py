"""The scenario YAML reader refuses hostile files quickly: huge texts, alias
bombs ("billion laughs"), self-referring aliases and deep nesting."""

from __future__ import annotations

import time

import pytest
import yaml

import crmsim
from crmsim import _yaml


def _laughs(levels: int, width: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_safe_load_itself_would_expand_an_alias_bomb():
    # Why the guard exists: PyYAML shares aliased nodes while loading, but any
    # walk over the result (validation, copying) visits every copy: 9**9.
    data = yaml.safe_load(_laughs(9))
    assert data["a9"][0][0] is data["a8"][0]


def test_billion_laughs_is_refused_within_a_second():
    started = time.perf_counter()
    with pytest.raises(crmsim.ScenarioError, match="expands to more than 200,000 values"):
        crmsim.Scenario.from_yaml_text(_laughs(9), "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_aliases_that_stay_small_are_fine():
    text = _laughs(3)  # 1 + 9 + 81 + 729 values
    assert _yaml.parse_yaml_text(text, "ok.yaml")["a3"][0][0][0] == "lol"


def test_a_value_that_contains_itself_is_refused():
    with pytest.raises(crmsim.ScenarioError, match="contains itself"):
        _yaml.parse_yaml_text("a: &a [1, *a]\n", "loop.yaml")
    with pytest.raises(crmsim.ScenarioError, match="contains itself"):
        _yaml.parse_yaml_text("a: &a {b: *a}\n", "loop.yaml")


@pytest.mark.parametrize("depth, refused", [(_yaml.MAX_DEPTH, False), (_yaml.MAX_DEPTH + 1, True),
                                            (5000, True)])
def test_nesting_is_limited(depth, refused):
    text = "x: " + "[" * depth + "]" * depth + "\n"
    if refused:
        with pytest.raises(crmsim.ScenarioError, match="nested"):
            _yaml.parse_yaml_text(text, "deep.yaml")
    else:
        _yaml.parse_yaml_text(text, "deep.yaml")


def test_a_text_too_long_is_refused_before_parsing(tmp_path):
    text = "name: x\n" + "# padding\n" * (_yaml.MAX_TEXT_CHARS // 10)
    started = time.perf_counter()
    with pytest.raises(crmsim.ScenarioError, match="too long for a scenario"):
        crmsim.Scenario.from_yaml_text(text, "long.yaml")
    path = tmp_path / "long.yaml"
    path.write_text(text)
    with pytest.raises(crmsim.ScenarioError, match="too long for a scenario"):
        crmsim.Scenario.load(path)
    assert time.perf_counter() - started < 1.0


def test_characters_yaml_does_not_allow_are_a_scenario_error():
    # Found by fuzzing: the reader checks characters as soon as it is made.
    with pytest.raises(crmsim.ScenarioError, match="invalid YAML"):
        crmsim.Scenario.from_yaml_text("\x1fname: x\n", "ctl.yaml")
