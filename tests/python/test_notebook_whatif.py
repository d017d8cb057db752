"""notebooks/02-what-if.ipynb runs top to bottom on a small market.

tests/python/test_notebooks.py, where a branch has it, runs every notebook;
this test then steps aside so that the notebook does not run twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02-what-if.ipynb"

pytestmark = pytest.mark.skipif((Path(__file__).parent / "test_notebooks.py").exists(),
                                reason="test_notebooks.py runs every notebook")


def test_notebook_is_saved_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    stale = [k for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not stale, f"clear the outputs of cells {stale} before committing"


def test_notebook_runs(monkeypatch):
    # Inherited by the kernel process: a small market, no display needed.
    monkeypatch.setenv("CRMSIM_NOTEBOOK_POPULATION", "5000")
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
    assert "Pairing made the intervals" in text
    assert "Break-even programme cost" in text
