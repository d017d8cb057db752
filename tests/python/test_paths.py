"""Paths inside scenario files are read from the scenario's folder and cannot
lead out of it unless absolute paths are allowed explicitly."""

from __future__ import annotations

import os

import pytest

from crmsim import ScenarioError
from crmsim.paths import resolve_scenario_path


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "scenarios" / "networks").mkdir(parents=True)
    (tmp_path / "scenarios" / "networks" / "edges.csv").write_text("0,1\n")
    (tmp_path / "secret.txt").write_text("not for scenarios\n")
    return tmp_path


def test_a_relative_path_is_read_from_the_scenario_folder(folder, monkeypatch):
    monkeypatch.chdir(folder)  # not the scenario's folder: the result must not depend on it
    scenario = folder / "scenarios" / "telco.yaml"
    got = resolve_scenario_path(scenario, "networks/edges.csv")
    assert got == os.path.realpath(folder / "scenarios" / "networks" / "edges.csv")
    assert resolve_scenario_path(scenario, "./networks/../networks/edges.csv") == got


@pytest.mark.parametrize("value", ["../secret.txt", "networks/../../secret.txt", "..",
                                   "../scenarios2/x.csv"])
def test_a_path_that_leads_out_of_the_folder_is_refused(folder, value):
    scenario = folder / "scenarios" / "telco.yaml"
    with pytest.raises(ScenarioError, match="leads out of the scenario's folder") as caught:
        resolve_scenario_path(scenario, value, field="network.edges")
    assert str(caught.value).startswith(f"{scenario}: network.edges: ")


def test_an_absolute_path_needs_permission(folder):
    scenario = folder / "scenarios" / "telco.yaml"
    secret = str(folder / "secret.txt")
    with pytest.raises(ScenarioError, match="absolute path"):
        resolve_scenario_path(scenario, secret)
    with pytest.raises(ScenarioError, match="absolute path"):
        resolve_scenario_path(scenario, "/etc/passwd")
    assert resolve_scenario_path(scenario, secret, allow_absolute=True) == os.path.realpath(secret)
    assert resolve_scenario_path(scenario, "../secret.txt", allow_absolute=True) == \
        os.path.realpath(secret)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symbolic_link_out_of_the_folder_is_refused(folder):
    scenario = folder / "scenarios" / "telco.yaml"
    os.symlink(folder / "secret.txt", folder / "scenarios" / "innocent.csv")
    with pytest.raises(ScenarioError, match="leads out of the scenario's folder"):
        resolve_scenario_path(scenario, "innocent.csv")


@pytest.mark.parametrize("value", [None, 3, "", "   ", "a\x00b", ["x"]])
def test_a_value_that_is_not_a_path_is_refused(folder, value):
    with pytest.raises(ScenarioError, match="must be a file path"):
        resolve_scenario_path(folder / "s.yaml", value)


def test_scenarios_from_text_read_from_the_current_folder(folder, monkeypatch):
    monkeypatch.chdir(folder / "scenarios")
    assert resolve_scenario_path(None, "networks/edges.csv") == \
        os.path.realpath(folder / "scenarios" / "networks" / "edges.csv")
    with pytest.raises(ScenarioError, match="<scenario>: path: '../secret.txt' leads out"):
        resolve_scenario_path(None, "../secret.txt")


def test_no_scenario_field_holds_a_file_path_yet():
    # When a field that names a file arrives (network edge lists, transaction
    # logs), it must go through resolve_scenario_path; this test then lists it.
    from crmsim.schema import load_schema

    text = str(load_schema()).lower()
    for word in ("path", "file", "edge_list", "edges"):
        assert f"'{word}'" not in text, word
