"""docs/results-format.md describes what the engine writes: every group,
dataset and attribute of a results file and of a checkpoint, with its type,
shape and units, and nothing that is not in the files.

The files are read with h5py in a fresh Python (h5py bundles its own
libhdf5); the layout document is parsed from its tables.
"""

from __future__ import annotations

import re

import pytest
from conftest import BASELINE, ROOT, in_fresh_python, needs_h5py

import crmsim
from crmsim import _core

pytestmark = needs_h5py

DOC = ROOT / "docs" / "results-format.md"

#: Prints, for each file named, its root attributes, groups and datasets as JSON.
WALK = """
    import json, sys
    import h5py

    def kind(dtype):
        return "text" if h5py.check_string_dtype(dtype) else str(dtype)

    def attrs(obj):
        return {k: kind(obj.attrs.get_id(k).dtype) for k in obj.attrs}

    def texts(obj, name):
        return [str(v) for v in obj.attrs[name]] if name in obj.attrs else None

    found = {}
    for path in sys.argv[1:]:
        with h5py.File(path, "r") as f:
            groups, datasets = {}, {}
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    datasets["/" + name] = {
                        "dtype": kind(obj.dtype), "shape": list(obj.shape),
                        "chunked": obj.chunks is not None,
                        "filters": [obj.compression, bool(obj.shuffle)],
                        "attrs": attrs(obj), "columns": texts(obj, "columns"),
                        "units": texts(obj, "units") if obj.ndim > 1 else None}
                else:
                    groups["/" + name] = attrs(obj)
            f.visititems(visit)
            found[path] = {"root": attrs(f), "groups": groups, "datasets": datasets}
    print(json.dumps(found))
"""

UNITS = ("count", "cents", "micros (millionths of the currency)")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A results file with every optional part, a checkpoint, and what made them."""
    folder = tmp_path_factory.mktemp("layout")
    out, checkpoint = folder / "run.h5", folder / "run.ckpt.h5"
    live = crmsim.run(BASELINE, seed=3, days=30, population=3000, threads=2, out=out,
                      snapshot_every=20, events=1.0, checkpoint_every=20)
    walked = in_fresh_python(WALK, out, checkpoint)
    return live, walked[str(out)], walked[str(checkpoint)]


# -- the document ----------------------------------------------------------------

def doc_parts() -> tuple[str, str]:
    """The results-file part and the checkpoint part of the document."""
    text = DOC.read_text(encoding="utf-8")
    results, rest = text.split("\n## Checkpoint", 1)
    return results, rest.split("\n## ", 1)[0]  # up to the next section


def table_rows(part: str) -> list[tuple[str, list[str]]]:
    """(heading, cells) of every table row whose first cell is a `name`."""
    rows, heading = [], ""
    for line in part.splitlines():
        if line.startswith("#"):
            heading = line
        elif line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append((heading, [cells[0].strip("`"), *cells[1:]]))
    return rows


def shape_of(text: str, sizes: dict[str, int]) -> list[int]:
    """A documented shape such as "(days + 1, segments × tiers, 3)" with the sizes put in."""
    inner = text.strip()
    assert inner.startswith("(") and inner.endswith(")"), text
    dims = []
    for part in filter(str.strip, inner[1:-1].split(",")):
        expression = re.sub(r"[a-z_]+", lambda m: str(sizes[m.group(0)]), part.replace("×", "*"))
        assert re.fullmatch(r"[\d\s+*]+", expression), part
        dims.append(eval(expression, {"__builtins__": {}}))  # digits, + and * only
    return dims


def snapshot_columns(part: str, sizes: dict[str, int]) -> dict[str, tuple[str, list[int]]]:
    """Agent column -> (dtype, shape) from the snapshot table."""
    columns = {}
    for heading, cells in table_rows(part):
        if heading.startswith("### `/snapshots`"):
            dtype = cells[1].split(",")[0]
            shape = re.search(r"shape (\(.*\))", cells[1])
            columns[cells[0]] = (dtype, shape_of(shape.group(1) if shape else "(agents,)", sizes))
    return columns


def documented_datasets(part: str, sizes: dict[str, int]) -> dict[str, tuple[str, list[int]]]:
    """Dataset path -> (dtype, shape) as the document lists them, templates expanded."""
    agents = snapshot_columns(part if "/snapshots" in part else doc_parts()[0], sizes)
    out = {}
    for heading, cells in table_rows(part):
        name = cells[0]
        if heading.startswith("### `/snapshots`"):
            out[f"/snapshots/day_NNNNN/{name}"] = agents[name]
        elif name == "/kpis/daily/<column>":
            for column in _core.Simulation.kpi_columns:
                out[f"/kpis/daily/{column}"] = (cells[1], shape_of(cells[2], sizes))
        elif name == "/state/agents/<column>":
            for column, described in agents.items():
                out[f"/state/agents/{column}"] = described
        elif name.startswith("/"):
            shape = cells[2] if cells[2].startswith("(") else "(events,)"  # /events: in the prose
            out[name] = (cells[1], shape_of(shape, sizes))
    return out


def written_datasets(walked: dict) -> dict[str, tuple[str, list[int]]]:
    """Dataset path -> (dtype, shape) in the file, snapshot days named day_NNNNN."""
    out = {}
    for path, d in walked["datasets"].items():
        path = re.sub(r"/snapshots/day_\d{5}/", "/snapshots/day_NNNNN/", path)
        assert out.get(path, (d["dtype"], d["shape"])) == (d["dtype"], d["shape"]), path
        out[path] = (d["dtype"], d["shape"])
    return out


def sizes_of(live: crmsim.Result, **more: int) -> dict[str, int]:
    scenario = live.scenario
    return {"days": live.days, "segments": len(scenario.segments),
            "campaigns": len(scenario.campaigns), "channels": len(scenario.channels),
            "tiers": len(scenario.value_tiers), "agents": live.population,
            "slots": live.agents["contact_days"].shape[1], **more}


# -- the checks --------------------------------------------------------------------

def test_every_dataset_of_a_results_file_is_documented_with_its_type_and_shape(files):
    live, results, _ = files
    sizes = sizes_of(live, events=len(live.events))
    documented = documented_datasets(doc_parts()[0], sizes)
    written = written_datasets(results)
    assert sorted(set(written) - set(documented)) == [], "written but not documented"
    assert sorted(set(documented) - set(written)) == [], "documented but not written"
    for path, (dtype, shape) in written.items():
        assert documented[path] == (dtype, shape), path


def test_every_dataset_of_a_checkpoint_is_documented_with_its_type_and_shape(files):
    live, _, checkpoint = files
    sizes = sizes_of(live, day=20)
    documented = documented_datasets(doc_parts()[1], sizes)
    written = written_datasets(checkpoint)
    assert sorted(set(written) ^ set(documented)) == []
    for path, (dtype, shape) in written.items():
        assert documented[path] == (dtype, shape), path


def test_root_attributes_are_documented_with_their_types(files):
    _, results, checkpoint = files
    results_part, checkpoint_part = doc_parts()
    types = {cells[0]: cells[1] for heading, cells in table_rows(results_part)
             if heading == "### Root attributes"}
    assert results["root"] == types
    shared = re.search(r"that record the run —(.*?)— and:", checkpoint_part, re.S).group(1)
    own = {cells[0]: cells[1] for _, cells in table_rows(checkpoint_part)
           if not cells[0].startswith("/")}
    expected = {name: types[name] for name in re.findall(r"`(\w+)`", shared)} | own
    assert checkpoint["root"] == expected


def test_every_attribute_of_a_group_or_dataset_is_named_in_the_document(files):
    _, results, checkpoint = files
    named = set(re.findall(r"`(\w+)`", DOC.read_text(encoding="utf-8")))
    for walked in (results, checkpoint):
        objects = list(walked["groups"].items()) + [
            (path, d["attrs"]) for path, d in walked["datasets"].items()]
        for path, attrs in objects:
            assert set(attrs) <= named, (path, sorted(set(attrs) - named))


def test_kpi_columns_and_units_are_those_documented(files):
    _, results, _ = files
    text = DOC.read_text(encoding="utf-8")
    tables = results["datasets"]
    for table in ("segments", "campaigns", "tiers"):
        paragraph = text.split(f"**`/kpis/{table}` columns**", 1)[1].split("\n\n", 1)[0]
        assert tables[f"/kpis/{table}"]["columns"] == re.findall(r"`(\w+)`", paragraph), table
    assert tables["/kpis/channels"]["columns"] == tables["/kpis/campaigns"]["columns"]
    for table in ("segments", "campaigns", "channels", "tiers"):
        found = tables[f"/kpis/{table}"]
        assert len(found["units"]) == len(found["columns"])
        for column, unit in zip(found["columns"], found["units"]):
            expected = ("cents" if column.endswith("_cents") else
                        UNITS[2] if column.endswith("_micros") else "count")
            assert unit == expected, (table, column)
    flowing = " ".join(text.split())  # a unit may break across lines
    assert all(f"`{unit}`" in flowing for unit in UNITS)


def test_every_numeric_dataset_is_chunked_and_compressed(files):
    _, results, checkpoint = files
    for walked in (results, checkpoint):
        for path, d in walked["datasets"].items():
            if d["dtype"] == "text":
                assert path.startswith("/names/"), path  # the plain name lists only
            else:
                assert d["chunked"] and d["filters"] == ["gzip", True], path
