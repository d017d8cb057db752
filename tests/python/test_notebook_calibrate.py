"""notebooks/07-calibrate-and-plan.ipynb runs top to bottom: fit, simulate, compare, what-if.

tests/python/test_notebooks.py, where a branch has it, runs every notebook;
this test then only checks what this notebook prints.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "07-calibrate-and-plan.ipynb"
RUN_ALL = (Path(__file__).parent / "test_notebooks.py").exists()


def test_notebook_is_saved_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    stale = [k for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not stale, f"clear the outputs of cells {stale} before committing"


@pytest.mark.skipif(RUN_ALL, reason="test_notebooks.py runs every notebook")
def test_notebook_runs_and_tracks_the_holdout(monkeypatch):
    # Inherited by the kernel process: a small population, no display needed.
    monkeypatch.setenv("CRMSIM_NOTEBOOK_SCALE", "5")
    monkeypatch.setenv("CRMSIM_NOTEBOOK_REPLICATIONS", "4")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # a failing cell raises CellExecutionError with its traceback
    text = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs)
    assert "946 repeat buyers" in text
    found = re.search(r"mean absolute percentage error ([0-9.]+)% \(simulation\)", text)
    assert found and float(found.group(1)) < 10.0
    assert "Break-even programme cost" in text
