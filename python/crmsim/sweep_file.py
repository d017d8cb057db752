"""Sweep tables in files: Parquet, CSV or HDF5, written atomically, and read back.

    crmsim.sweep(sc, grid, out="sweep.h5")       # or sweep.parquet, sweep.csv
    table = crmsim.load_sweep("sweep.h5")        # the same DataFrame, attrs included

HDF5 sweep files are written and read with h5py in a child Python process
(crmsim/_sweep_h5py.py): h5py bundles its own libhdf5, and the engine's
libhdf5 is loaded in every process that imports crmsim, so the two never
meet in one process. The table travels between the processes as JSON (floats
exactly: Python writes the shortest text that reads back to the same
double). The layout is in docs/results-format.md ("Sweep file").
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from ._atomic import write_atomically
from .errors import ResultsFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["load_sweep", "write_table", "output_format", "SWEEP_FORMATS", "TABLE_FORMATS"]

#: Formats of a comparison table (crmsim compare --out), by file name ending.
TABLE_FORMATS = {".parquet": "parquet", ".csv": "csv"}
#: Formats of a sweep table, by file name ending.
SWEEP_FORMATS = {**TABLE_FORMATS, ".h5": "hdf5", ".hdf5": "hdf5"}
#: Columns every sweep table has (crmsim.sweep), whatever its parameters and metrics.
SWEEP_COLUMNS = ("run", "point", "replication", "seed", "status", "error", "seconds")

_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sweep_h5py.py")
_BOOT = "import runpy, sys; del sys.argv[0]; runpy.run_path(sys.argv[0], run_name='__main__')"


def output_format(path: str | os.PathLike[str], formats: dict[str, str] = SWEEP_FORMATS) -> str:
    """The format of ``path`` from its ending; ValueError for others, a missing folder or h5py."""
    name = os.fspath(path)
    kind = formats.get(os.path.splitext(name)[1].lower())
    if kind is None:
        endings = list(formats)
        raise ValueError(f"out must end in {', '.join(endings[:-1])} or {endings[-1]}, "
                         f"got {name!r}")
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        raise ValueError(f"out: folder {folder!r} does not exist")
    if kind == "hdf5" and importlib.util.find_spec("h5py") is None:
        raise ValueError(f"out: {name!r} is HDF5, which crmsim writes with h5py; "
                         "install it (pip install h5py) or write .parquet")
    return kind


def write_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Writes a table to .parquet (types and attrs kept), .csv or .h5/.hdf5, atomically.

    The file appears under its name only when complete: it is written under
    a temporary name in the same folder and renamed, so an interrupted or
    killed write leaves no half file (and an older file of that name as it was).
    """
    kind = output_format(path)
    if kind == "parquet":
        write_atomically(path, lambda temp: table.to_parquet(temp, index=False))
    elif kind == "csv":
        write_atomically(path, lambda temp: table.to_csv(temp, index=False))
    else:
        request = {"table": _encode(table)}
        write_atomically(path, lambda temp: _child("write", temp, request, shown=path))


def load_sweep(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Reads a sweep table written by ``crmsim.sweep(..., out=...)`` (.h5, .hdf5 or .parquet).

    Returns the DataFrame the sweep returned: same columns, dtypes, values
    (bit for bit) and ``attrs`` (provenance: crmsim version, base scenario
    text, grid or ranges and samples, seed, replications, run options).
    Raises ResultsFileError naming the file for a missing file, a file that
    is not a sweep table, or an HDF5 sweep file of a newer format version.
    A .csv keeps no types or provenance: read it with pandas.read_csv.
    """
    import pandas as pd

    name = os.fspath(path)
    kind = SWEEP_FORMATS.get(os.path.splitext(name)[1].lower())
    if kind not in ("hdf5", "parquet"):
        raise ValueError(f"load_sweep reads .h5, .hdf5 or .parquet files, got {name!r}"
                         + (" (read a .csv with pandas.read_csv)" if kind == "csv" else ""))
    if not os.path.isfile(name):
        raise ResultsFileError(f"{name}: no such file", name)
    if kind == "parquet":
        try:
            table = pd.read_parquet(name)
        except Exception as e:  # noqa: BLE001  (pyarrow raises many types for a bad file)
            raise ResultsFileError(f"{name}: not a Parquet file, or damaged ({e})", name) from None
    else:
        table = _decode(json.loads(_child("read", name, {}, shown=name)))
    missing = [c for c in SWEEP_COLUMNS if c not in table.columns]
    if missing:
        raise ResultsFileError(f"{name}: not a crmsim sweep table: it has no column "
                               f"{', '.join(map(repr, missing))}", name)
    return table


# -- the table as JSON, column by column --------------------------------------


def _encode(table: pd.DataFrame) -> dict:
    """Columns as (name, kind, values) and attrs, ready for json.dumps."""
    import numpy as np

    names = list(table.columns)
    if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"an HDF5 sweep file needs distinct, non-empty text column names, "
                         f"got {names!r}")
    columns = []
    for name in names:
        column = table[name]
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            kind = {"b": "bool", "i": "int64", "u": "uint64", "f": "float64"}[dtype.kind]
            values = column.to_numpy(dtype=np.dtype(kind if kind != "bool" else "?")).tolist()
        else:
            values = [_plain(v) for v in column.tolist()]
            kind = "text" if all(isinstance(v, str) for v in values) else "json"
        columns.append({"name": name, "kind": kind, "values": values})
    reserved = {"format", "format_version", "json_attributes"} & set(table.attrs)
    if reserved:
        raise ValueError(f"table.attrs must not use the names {sorted(reserved)}: the HDF5 "
                         "sweep file keeps them for itself")
    return {"attrs": {str(k): _plain(v) for k, v in table.attrs.items()}, "columns": columns}


def _decode(table: dict) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    data = {}
    for column in table["columns"]:
        kind, values = column["kind"], column["values"]
        if kind == "json":
            data[column["name"]] = pd.Series(values, dtype=object)
        elif kind == "text":
            data[column["name"]] = pd.Series(values, dtype="str" if _str_dtype() else object)
        else:
            data[column["name"]] = np.array(values, dtype="?" if kind == "bool" else kind)
    frame = pd.DataFrame(data, columns=[c["name"] for c in table["columns"]])
    frame.attrs.update(table["attrs"])
    return frame


def _str_dtype() -> bool:
    """Whether this pandas gives text columns the ``str`` dtype (pandas 3) rather than object."""
    import pandas as pd

    return pd.Series(["a"]).dtype != object


def _plain(value: Any) -> Any:
    """A value JSON can carry: numpy scalars as Python ones, tuples as lists, dates as ISO text."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"an HDF5 sweep file cannot hold {value!r} ({type(value).__name__})")


# -- the h5py process ---------------------------------------------------------


def _child(mode: str, path: str | os.PathLike[str], request: dict, *, shown: Any) -> str:
    """Runs _sweep_h5py.py MODE PATH with ``request`` on stdin; returns its stdout."""
    shown = os.fspath(shown)
    sys_path = [os.fspath(p) for p in sys.path if isinstance(p, (str, os.PathLike))]
    payload = json.dumps({**request, "sys_path": sys_path}, allow_nan=True).encode("utf-8")
    done = subprocess.run([sys.executable, "-I", "-c", _BOOT, _CHILD, mode,
                           os.path.abspath(os.fspath(path))],
                          input=payload, capture_output=True, check=False)
    if done.returncode == 0:
        return done.stdout.decode("utf-8")
    problem = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == 2 and problem:
        raise ResultsFileError(f"{shown}: {problem}", shown)
    if done.returncode < 0:
        problem = f"the h5py process was killed by signal {-done.returncode}"
    else:
        problem = (f"the h5py process failed (exit code {done.returncode}): "
                   f"{problem.splitlines()[-1] if problem else 'no message'}")
    verb = "writing" if mode == "write" else "reading"
    raise ResultsFileError(f"{shown}: {verb} the HDF5 sweep file failed: {problem}", shown)
