"""Sweep tables in HDF5 and Parquet files: crmsim.sweep(out=...) and crmsim.load_sweep.

HDF5 sweep files are written and read by h5py in a child process, never in
this one (the engine's libhdf5 is loaded here); a fresh Python checks that,
and a fake h5py package that kills its process checks that a killed write
leaves no half file.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from conftest import BASELINE, in_fresh_python

import crmsim
from crmsim.sweep_file import write_table

pytestmark = pytest.mark.skipif(importlib.util.find_spec("h5py") is None,
                                reason="HDF5 sweep files need h5py: pip install h5py")

CHURN = "segments.young_urban.churn.annual_rate"
RUN = {"population": 2000, "days": 30, "progress": False, "client": "serial"}


def fails_at_high_churn(result):
    if result.scenario.to_dict()["segments"][0]["churn"]["annual_rate"] > 0.32:
        raise RuntimeError("model blew up")
    return result.kpis["customers"].iloc[-1]


@pytest.fixture(scope="module")
def swept(baseline, tmp_path_factory):
    """A sweep written to sweep.h5, one of whose points fails: NaN metrics and error text."""
    path = tmp_path_factory.mktemp("sweep") / "sweep.h5"
    with pytest.warns(crmsim.SweepWarning, match="2 of 4 runs failed"):
        table = crmsim.sweep(baseline, {CHURN: [0.30, 0.34]}, replications=2, out=path,
                             metrics={"customers": fails_at_high_churn, "revenue": "revenue:sum"},
                             **RUN)
    return table, path


def test_load_sweep_gives_back_the_same_table(swept):
    table, path = swept
    back = crmsim.load_sweep(path)
    pdt.assert_frame_equal(back, table, check_exact=True)  # seconds too: every double exact
    assert back.attrs == table.attrs
    assert back["error"].tolist() == ["", ""] + ["RuntimeError: model blew up"] * 2
    assert back["customers"].isna().tolist() == [False, False, True, True]


def test_the_provenance_rebuilds_the_sweep(baseline, swept):
    table, path = swept
    attrs = crmsim.load_sweep(path).attrs
    assert attrs["crmsim_version"] == crmsim.__version__
    assert crmsim.Scenario.from_yaml_text(attrs["scenario_yaml"]) == baseline
    assert attrs["grid"] == {CHURN: [0.30, 0.34]}
    assert attrs["ranges"] == {} and attrs["samples"] is None
    assert (attrs["replications"], attrs["seed"], attrs["population"], attrs["days"]) == \
        (2, 0, 2000, 30)
    assert attrs["parameters"] == [CHURN]


def test_h5py_reads_the_file_as_a_table_with_named_columns(swept):
    table, path = swept
    found = in_fresh_python("""
        import json, sys, h5py
        with h5py.File(sys.argv[1], "r") as f:
            runs = f["runs"]
            print(json.dumps({
                "format": f.attrs["format"], "version": int(f.attrs["format_version"]),
                "replications": int(f.attrs["replications"]),
                "grid": json.loads(f.attrs["grid"]),
                "fields": {n: runs.dtype[n].str for n in runs.dtype.names
                           if runs.dtype[n].kind != "O"},
                "status": [s.decode() for s in runs["status"]],
                "revenue": runs["revenue"].tolist(),
            }))
    """, path)
    assert found["format"] == "crmsim-sweep" and found["version"] == 1
    assert found["replications"] == 2 and found["grid"] == {CHURN: [0.30, 0.34]}
    assert found["fields"] == {"run": "<i8", "point": "<i8", CHURN: "<f8", "replication": "<i8",
                               "seed": "<i8", "customers": "<f8", "revenue": "<f8",
                               "seconds": "<f8"}
    assert found["status"] == ["ok", "ok", "error", "error"]
    np.testing.assert_array_equal(found["revenue"], table["revenue"])  # NaN where it failed


def test_this_process_never_loads_h5py(swept):
    _, path = swept
    found = in_fresh_python("""
        import json, sys
        import crmsim
        table = crmsim.load_sweep(sys.argv[1])
        crmsim.sweep_file.write_table(table, sys.argv[1] + ".copy.h5")
        print(json.dumps("h5py" in sys.modules))
    """, path)
    assert found is False
    os.unlink(f"{path}.copy.h5")


def test_parquet_round_trips_too(baseline, tmp_path):
    path = tmp_path / "sweep.parquet"
    table = crmsim.sweep(baseline, {CHURN: [0.30]}, replications=2, out=path, **RUN)
    back = crmsim.load_sweep(path)
    pdt.assert_frame_equal(back, table, check_exact=True)
    assert back.attrs == table.attrs


def test_every_kind_of_column_round_trips(tmp_path):
    # What a sweep table can hold beyond the usual: seeds above 2**63, text and
    # boolean parameters, a parameter of mixed or list values, unusual floats.
    table = pd.DataFrame({
        "run": [0, 1, 2], "point": [0, 1, 2],
        "name": ["Ünïcode ✓", "", "a\nb"],
        "flag": [True, False, True],
        "mixed": pd.Series([1, "two", [3, {"four": None}]], dtype=object),
        "replication": [0, 0, 0], "seed": np.array([0, 2**63, 2**64 - 1], dtype=np.uint64),
        "value": [math.nan, -0.0, math.inf], "tiny": [5e-324, 1 / 3, -1e308],
        "status": ["ok", "ok", "error"], "error": ["", "", "RuntimeError: x"],
        "seconds": [0.1, 0.2, 0.3]})
    table.attrs.update({"seed": 2**64 - 1, "note": "ü", "nested": {"a": [1, 2.5, None]},
                        "negative": -3, "flag": True, "nothing": None, "ratio": 0.1})
    path = tmp_path / "odd.h5"
    write_table(table, path)
    back = crmsim.load_sweep(path)
    pdt.assert_frame_equal(back, table, check_exact=True)
    assert back.attrs == table.attrs
    assert math.copysign(1, back["value"][1]) == -1.0  # -0.0 kept
    assert back["mixed"].tolist() == [1, "two", [3, {"four": None}]]


@pytest.mark.parametrize("who", ["writer", "sweep"])
def test_a_killed_write_leaves_no_half_file(baseline, tmp_path, who):
    # A fake h5py that writes the start of a file, then SIGKILLs the h5py
    # process ("writer") or the sweep's own process ("sweep").
    fake = tmp_path / "fake"
    (fake / "h5py").mkdir(parents=True)
    victim = "os.getpid()" if who == "writer" else "os.getppid()"
    (fake / "h5py" / "__init__.py").write_text(textwrap.dedent(f"""
        import os, signal, time
        def string_dtype(encoding="utf-8"):
            return object
        class File:
            def __init__(self, path, mode="r", **kw):
                with open(path, "wb") as f:
                    f.write(b"\\x89HDF\\r\\n\\x1a\\n" + b"half a file" * 1000)
                os.kill({victim}, signal.SIGKILL)
                time.sleep(30)
    """))
    out = tmp_path / "runs" / "sweep.h5"
    out.parent.mkdir()
    out.write_bytes(b"the sweep of yesterday")
    code = f"""
        import sys
        sys.path.insert(0, {str(fake)!r})
        import crmsim
        crmsim.sweep({str(BASELINE)!r}, {{{CHURN!r}: [0.3]}}, population=2000, days=5,
                     client="serial", progress=False, out=sys.argv[1])
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(out)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.read_bytes() == b"the sweep of yesterday"  # the old file is untouched
    left = sorted(os.listdir(out.parent))
    if who == "writer":
        assert done.returncode == 1, done.stderr
        assert done.stderr.rstrip().endswith(
            f"{out}: writing the HDF5 sweep file failed: the h5py process was killed by signal 9")
        assert left == ["sweep.h5"]  # and its temporary file is removed
    else:
        assert done.returncode == -9, done.stderr
        # The temporary file stays (nothing is left to remove it), under another name.
        assert left[-1] == "sweep.h5" and all(n.startswith(".sweep.h5.") and n.endswith(".tmp")
                                              for n in left[:-1])


# -- bad files -----------------------------------------------------------------


def load_error(path) -> str:
    with pytest.raises(crmsim.ResultsFileError) as info:
        crmsim.load_sweep(path)
    assert info.value.path == str(path)
    return str(info.value)


def test_files_that_are_not_sweep_files_are_named(small_run, tmp_path):
    assert load_error(tmp_path / "missing.h5") == f"{tmp_path / 'missing.h5'}: no such file"
    notes = tmp_path / "notes.h5"
    notes.write_text("run,point\n0,0\n")
    assert load_error(notes).startswith(f"{notes}: not an HDF5 file, or damaged (")
    result = tmp_path / "run.h5"
    small_run.save(result)
    assert load_error(result) == (f"{result}: not a crmsim sweep file: its root attribute "
                                  "'format' is 'crmsim-results', expected 'crmsim-sweep'")
    kpis = tmp_path / "kpis.parquet"
    small_run.to_parquet(kpis)
    assert load_error(kpis).startswith(f"{kpis}: not a crmsim sweep table: it has no column "
                                       "'run', 'point', 'replication', 'seed', 'status'")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert load_error(broken).startswith(f"{broken}: not a Parquet file, or damaged")
    with pytest.raises(ValueError, match=r"load_sweep reads \.h5, \.hdf5 or \.parquet files, "
                                         r"got 'sweep\.csv' \(read a \.csv with pandas"):
        crmsim.load_sweep("sweep.csv")


def test_a_newer_or_altered_sweep_file_is_refused(swept, tmp_path):
    _, path = swept
    copies = {k: tmp_path / f"{k}.h5" for k in ("newer", "no_runs", "odd_column")}
    for copy in copies.values():
        copy.write_bytes(path.read_bytes())
    in_fresh_python("""
        import json, sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "r+") as f:
            f.attrs["format_version"] = np.int64(2)
        with h5py.File(sys.argv[2], "r+") as f:
            del f["runs"]
        with h5py.File(sys.argv[3], "r+") as f:
            del f["runs"]
            f["runs"] = np.zeros(2, dtype=[("run", "<i8"), ("x", "<f4")])
            f["runs"].attrs["json_columns"] = "[]"
        print("null")
    """, *copies.values())
    assert load_error(copies["newer"]).endswith("written by a newer crmsim (sweep format "
                                                "version 2; this crmsim reads version 1)")
    assert load_error(copies["no_runs"]).endswith("no dataset '/runs' of one compound row "
                                                  "per run")
    assert load_error(copies["odd_column"]).endswith(
        "column 'x' has type float32, which a sweep file does not use (int64, uint64, float64, "
        "bool or UTF-8 text)")
