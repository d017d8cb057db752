"""Every notebook in notebooks/ runs top to bottom without an error.

The notebooks run in a fresh python3 kernel of this environment on a small
market (CRMSIM_NOTEBOOK_POPULATION), so the run is quick, with matplotlib's
inline backend, as in Jupyter: charts become PNG outputs without a display.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: People simulated by the notebooks under test (the full baseline has 200,000).
TEST_POPULATION = "5000"

#: Text a notebook's outputs must contain, beyond running without an error.
EXPECTED_OUTPUT = {
    "01-quickstart.ipynb": ["Customers", "Revenue"],
    "02-what-if.ipynb": ["Pairing made the intervals", "Break-even programme cost"],
    "07-calibrate-and-plan.ipynb": ["946 repeat buyers", "mean absolute percentage error",
                                    "Break-even programme cost"],
}

#: Charts (PNG outputs) a notebook must show.
EXPECTED_CHARTS = {"01-quickstart.ipynb": 2}

#: Columns of the daily KPI table a notebook must show (as an HTML table).
EXPECTED_TABLE_COLUMNS = {
    "01-quickstart.ipynb": ["day", "date", "prospect", "lead", "new", "active", "developed",
                            "at_risk", "lapsed", "customers", "acquisitions", "defections",
                            "revenue"],
}


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_saved_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    stale = [k for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not stale, f"{path.name}: clear the outputs of cells {stale} before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch):
    # Inherited by the kernel process.
    monkeypatch.setenv("CRMSIM_NOTEBOOK_POPULATION", TEST_POPULATION)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    # A failing cell raises CellExecutionError with the cell's code and traceback.
    client.execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs)
    for expected in EXPECTED_OUTPUT.get(path.name, []):
        assert expected in text, f"{path.name}: no {expected!r} in the outputs"
    data = [out.get("data", {}) for out in outputs]
    charts = sum("image/png" in d for d in data)
    assert charts >= EXPECTED_CHARTS.get(path.name, 0), f"{path.name}: {charts} charts shown"
    if path.name in EXPECTED_TABLE_COLUMNS:
        tables = [d["text/html"] for d in data if "<table" in d.get("text/html", "")]
        assert any(all(f"<th>{c}</th>" in t for c in EXPECTED_TABLE_COLUMNS[path.name])
                   for t in tables), f"{path.name}: no KPI table with the expected columns"
        # The small market, not the full baseline: the run's repr names its size.
        plain = "".join(d.get("text/plain", "") for d in data)
        assert f"{int(TEST_POPULATION):,} people" in plain, plain
