"""Every notebook runs top to bottom in a real Jupyter kernel (their asserts check the numbers),
shows the figures it draws, and writes nothing into the repository."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))

# a call in a cell's source → the display output it must produce
DRAWS = {
    "draw_graph(": "image/svg+xml",
    "plt.show()": "image/png",
    "sensitivity_figure(": "image/png",
}


def test_the_notebooks_are_there():
    names = [p.name for p in NOTEBOOKS]
    assert names[:6] == ["01_tensors_and_the_graph.ipynb", "02_convolution_backprop.ipynb",
                         "03_pooling_backprop.ipynb", "04_train_lenet5.ipynb",
                         "05_write_your_own_op.ipynb", "06_worked_examples.ipynb"]


def displayed(cell) -> set[str]:
    """The MIME types a code cell displayed (display_data and execute_result outputs)."""
    return {mime for out in cell.outputs if out.output_type in ("display_data", "execute_result")
            for mime in out.get("data", {})}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file in `folder` but the notebooks themselves (which people may be editing)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and p.suffix != ".ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    # no MPLBACKEND: the kernel's own inline backend, as in Jupyter, so that a library call that
    # switched the global backend (matplotlib.use) would make the figures below disappear
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("TINYGRAD_CNN_QUICK_NOTEBOOKS", "1")
    book = nbformat.read(path, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert code and all(not cell.get("outputs") for cell in code), "notebooks are stored without outputs"
    before = snapshot(FOLDER)
    # run where Jupyter runs it: in notebooks/ (a stray output file would land in the repository)
    try:
        NotebookClient(book, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(FOLDER)}}).execute()
    finally:
        after = snapshot(FOLDER)
        for name in set(after) - set(before):          # fail, but leave the repository clean
            (FOLDER / name).unlink()
    assert after == before, f"the notebook wrote files into notebooks/: {sorted(set(after) ^ set(before))}"
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    for cell in code:
        for call, mime in DRAWS.items():
            if call in cell.source:
                assert mime in displayed(cell), \
                    f"{path.name}: the cell calling {call} displayed {sorted(displayed(cell))}, not {mime}"
        if cell.source.strip() == "explorer":                  # the Explorer, inline
            html = next(out.data["text/html"] for out in cell.outputs if "text/html" in out.get("data", {}))
            assert html.startswith("<iframe srcdoc=") and 'data-op="conv2d"' in html
