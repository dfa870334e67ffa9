"""Run every example notebook in quick mode (AMN_QUICK=1) and check no cell fails."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_quickstart.ipynb",
    "02_your_fits_files.ipynb",
    "03_training.ipynb",
    "04_exploring_embeddings.ipynb",
    "05_companion_paper.ipynb",
    "06_building_blocks.ipynb",
    "08_discovery.ipynb",
]


def test_examples_are_the_numbered_notebooks() -> None:
    assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.cells[0].cell_type == "markdown"
    for word in ("**Goal.**", "**Runtime.**", "**GPU.**"):
        assert word in notebook.cells[0].source
    assert 'QUICK = os.environ.get("AMN_QUICK", "0") == "1"' in code[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_without_errors_in_quick_mode(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMN_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    started = time.monotonic()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    assert time.monotonic() - started < 240
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
