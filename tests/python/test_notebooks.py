"""Every notebook in notebooks/ runs top to bottom without an error.

The notebooks run in a fresh python3 kernel of this environment on a small
market (CRMSIM_NOTEBOOK_POPULATION) with matplotlib's non-interactive Agg
backend, so the run is quick and needs no display.
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
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    # A failing cell raises CellExecutionError with the cell's code and traceback.
    client.execute()
    text = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs)
    for expected in EXPECTED_OUTPUT.get(path.name, []):
        assert expected in text, f"{path.name}: no {expected!r} in the outputs"
