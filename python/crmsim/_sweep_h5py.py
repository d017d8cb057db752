"""Sweep tables as HDF5 files, written and read with h5py in a process of their own.

crmsim.sweep_file runs this file as a separate Python process. h5py bundles
its own libhdf5, and the engine's libhdf5 is loaded wherever crmsim is
imported; the two libraries share their C symbol names, so they are never
loaded into one process. This file therefore imports nothing from crmsim,
only the standard library, numpy and h5py.

    python -I -c "import runpy, sys; del sys.argv[0]; runpy.run_path(sys.argv[0], ...)" \
        _sweep_h5py.py write|read PATH

stdin is one JSON object: ``sys_path`` (the parent's sys.path, so that both
find the same numpy and h5py) and, to write, ``table``: ``attrs`` and
``columns`` (each ``name``, ``kind``, ``values``). To read, the table goes
to stdout in the same form. A problem with the file is one line on stderr
and exit code 2. The layout is in docs/results-format.md ("Sweep file").
"""

from __future__ import annotations

import json
import os
import sys

FORMAT = "crmsim-sweep"
FORMAT_VERSION = 1
#: The dataset that holds the runs, one compound row per run.
RUNS = "runs"
#: Root attributes that describe the file rather than the sweep.
RESERVED = ("format", "format_version", "json_attributes")
#: Column kinds stored as HDF5 numbers (little-endian); "text" and "json"
#: columns are variable-length UTF-8 strings.
NUMBERS = {"int64": "<i8", "uint64": "<u8", "float64": "<f8", "bool": "?"}
INT64_MAX = 2**63 - 1


class FileProblem(Exception):
    """A file that is not a sweep file this crmsim can read; the text says why."""


def write(path: str, table: dict) -> None:
    import h5py
    import numpy as np

    text = h5py.string_dtype("utf-8")
    columns = table["columns"]
    rows = len(columns[0]["values"]) if columns else 0
    dtype = np.dtype([(c["name"], NUMBERS.get(c["kind"], text)) for c in columns])
    data = np.empty(rows, dtype)
    for c in columns:
        if c["kind"] == "json":
            data[c["name"]] = [json.dumps(v, allow_nan=True) for v in c["values"]]
        else:
            data[c["name"]] = c["values"]
    # track_order: attributes are listed in the order they were written.
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        as_json = []
        for key, value in table["attrs"].items():
            if isinstance(value, str) or isinstance(value, float):
                f.attrs[key] = value
            elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                f.attrs[key] = np.int64(value) if value <= INT64_MAX else np.uint64(value)
            else:  # None, lists, mappings, booleans, negative numbers
                f.attrs[key] = json.dumps(value)
                as_json.append(key)
        f.attrs["json_attributes"] = json.dumps(as_json)
        runs = f.create_dataset(RUNS, data=data)
        runs.attrs["json_columns"] = json.dumps(
            [c["name"] for c in columns if c["kind"] == "json"])
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # on disk before the caller renames it into place
    finally:
        os.close(fd)


def read(path: str) -> dict:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FileProblem(f"not an HDF5 file, or damaged ({_first_line(e)})") from None
    with f:
        found = f.attrs.get("format")
        if found != FORMAT:
            raise FileProblem(f"not a crmsim sweep file: its root attribute 'format' is "
                              f"{_show(found)}, expected {FORMAT!r}")
        version = f.attrs.get("format_version")
        version = version.item() if hasattr(version, "item") else version
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise FileProblem(f"root attribute 'format_version' is {_show(version)}, "
                              "expected a whole number")
        if version > FORMAT_VERSION:
            raise FileProblem(f"written by a newer crmsim (sweep format version {version}; "
                              f"this crmsim reads version {FORMAT_VERSION})")
        as_json = _json_list(f.attrs.get("json_attributes"), "root attribute 'json_attributes'")
        attrs = {}
        for key in f.attrs:
            if key not in RESERVED:
                attrs[key] = _attribute(f.attrs[key], key, key in as_json)
        runs = f.get(RUNS)
        if not isinstance(runs, h5py.Dataset) or runs.dtype.names is None or runs.ndim != 1:
            raise FileProblem(f"no dataset '/{RUNS}' of one compound row per run")
        json_columns = _json_list(runs.attrs.get("json_columns"),
                                  f"'/{RUNS}' attribute 'json_columns'")
        data = runs[()]
        columns = []
        for name in runs.dtype.names:
            kind = _kind(runs.dtype.fields[name][0], name, name in json_columns)
            values = data[name]
            if kind in NUMBERS:
                listed = values.tolist()
            else:
                texts = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]
                listed = [_loads(t, f"column {name!r}") for t in texts] if kind == "json" \
                    else texts
            columns.append({"name": name, "kind": kind, "values": listed})
    return {"attrs": attrs, "columns": columns}


def _kind(dtype, name: str, is_json: bool) -> str:
    import h5py

    if h5py.check_string_dtype(dtype) is not None:
        return "json" if is_json else "text"
    for kind, code in NUMBERS.items():
        if dtype == code:
            return kind
    raise FileProblem(f"column {name!r} has type {dtype}, which a sweep file does not use "
                      "(int64, uint64, float64, bool or UTF-8 text)")


def _attribute(value, key: str, is_json: bool):
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if is_json:
        return _loads(value, f"root attribute {key!r}")
    if not isinstance(value, (str, int, float)):
        raise FileProblem(f"root attribute {key!r} is {_show(value)}, expected text or a number")
    return value


def _json_list(value, what: str) -> list:
    if value is None:
        raise FileProblem(f"no {what}")
    items = _loads(value, what)
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise FileProblem(f"{what} is {_show(value)}, expected a JSON list of names")
    return items


def _loads(text, what: str):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise FileProblem(f"{what} is {_show(text)}, expected JSON text") from None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.path[:] = request["sys_path"]
    try:
        if mode == "write":
            write(path, request["table"])
            return 0
        table = read(path)
    except FileProblem as e:
        print(e, file=sys.stderr)
        return 2
    except OSError as e:  # e.g. a full disk or a folder that cannot be written
        print(f"cannot {mode} it: {_first_line(e)}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(json.dumps(table, allow_nan=True).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
