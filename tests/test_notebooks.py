"""The tutorial notebooks (notebooks/*.py, jupytext percent scripts) execute without error at
their stored (quick) size, and notebooks 02 and 03 draw their figures.

Each is read with jupytext and executed with nbclient in the repository root (timeout 120 s
per cell); any error fails the test. The documentation build (myst-nb) executes the same files.
Skipped when jupytext/nbclient/ipykernel (the ``test`` extra) are not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
# Executed in the default run (each takes seconds at its QUICK size); others under ``slow``.
QUICK_NOTEBOOKS = {"01_bounds_as_objects", "02_quantile_error_experiment",
                   "03_property_based_tests", "04_test_your_own_sampler"}
DRAWS_FIGURES = {"02_quantile_error_experiment", "03_property_based_tests"}


def test_there_are_four_tutorials():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]
    assert not list((ROOT / "notebooks").glob("*.ipynb"))  # the scripts are the source


@pytest.mark.parametrize("path", [
    p if p.stem in QUICK_NOTEBOOKS else pytest.param(p, marks=pytest.mark.slow)
    for p in NOTEBOOKS], ids=lambda p: p.stem)
def test_notebook_executes(path):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = jupytext.read(path)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "QUICK = True" in first_code.source
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    n_png = sum("image/png" in o.get("data", {}) for o in outputs)
    assert (n_png >= 1) == (path.stem in DRAWS_FIGURES), n_png
