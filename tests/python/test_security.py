"""Security: scenario YAML is read with a safe loader only, and nothing in the
package unpickles or evaluates data (results files and checkpoints are plain
HDF5 written and read by the engine)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

import crmsim
from crmsim import _yaml

PACKAGE = Path(crmsim.__file__).resolve().parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))

#: Modules that turn bytes into live objects (code execution on load).
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle",
                  "jsonpickle", "joblib"}
#: Calls that evaluate or unpickle data.
UNSAFE_CALLS = {"eval", "exec", "unsafe_load", "full_load", "full_load_all", "unsafe_load_all",
                "read_pickle", "to_pickle"}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_package_sources_were_found():
    names = {p.name for p in SOURCES}
    assert {"_yaml.py", "results_file.py", "checkpoint.py", "run.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_module_imports_pickle_or_marshal(path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            found = {(node.module or "").split(".")[0]}
        else:
            continue
        assert not found & UNSAFE_MODULES, f"{path.name}:{node.lineno} imports {found}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_module_evaluates_or_unpickles_data(path):
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        assert name not in UNSAFE_CALLS, f"{path.name}:{node.lineno} calls {name}"
        for kw in node.keywords:
            assert not (kw.arg == "allow_pickle" and getattr(kw.value, "value", False) is True), \
                f"{path.name}:{node.lineno} allows pickles"
        if name in ("load", "load_all") and isinstance(node.func, ast.Attribute) and \
                getattr(node.func.value, "id", "") == "yaml":
            loader = {kw.arg: kw.value for kw in node.keywords}.get("Loader")
            assert isinstance(loader, ast.Name) and loader.id == "_ScenarioLoader", \
                f"{path.name}:{node.lineno}: yaml.load without the safe loader"


def test_the_scenario_loader_is_a_safe_loader():
    assert issubclass(_yaml._ScenarioLoader, yaml.SafeLoader)
    assert not issubclass(_yaml._ScenarioLoader, (yaml.FullLoader, yaml.UnsafeLoader))


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['echo crmsim-should-never-print-this']",
    "!!python/name:os.system", "!!python/module:os", "!!python/object/new:str ['x']",
    "!!python/tuple [1, 2]"])
def test_python_tags_are_refused_not_constructed(tag, capfd):
    with pytest.raises(crmsim.ScenarioError, match="could not determine a constructor"):
        crmsim.Scenario.from_yaml_text(f"name: {tag}\n")
    assert "crmsim-should-never-print-this" not in capfd.readouterr().out


def test_results_and_checkpoints_are_plain_hdf5(small_run, tmp_path):
    # No Python object is stored: the file starts with the HDF5 signature and
    # holds no pickle stream (protocol 2+ streams start with 0x80, protocol, ...).
    out = tmp_path / "r.h5"
    small_run.save(out)
    data = out.read_bytes()
    assert data[:8] == b"\x89HDF\r\n\x1a\n"
    for protocol in (2, 3, 4, 5):
        assert bytes([0x80, protocol, 0x95]) not in data and b"cbuiltins\n" not in data
