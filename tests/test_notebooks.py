"""Every method notebook runs from top to bottom without an error."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

#: What each notebook must print: the check it exists for.
EXPECTED_TEXT = {"01_method.ipynb": "supply conserved", "02_regions.ipynb": "ratio of sums equals the roll-up for every hub"}
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_is_a_method_notebook():
    assert [p.name for p in NOTEBOOKS] == sorted(EXPECTED_TEXT)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError with the failing cell and traceback
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "synthetic demo data" in text
    assert EXPECTED_TEXT[path.name] in text
