"""Derivations display checked in Jupyter; the example notebook runs top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

import derive as dv

x = sp.Symbol("x", real=True)
NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"


def _document():
    doc = dv.Document("N", author="a <b>")
    part = doc.problem("P & Q").part("a", "A")
    d = part.derivation(dv.assume(dv.Real(x)))
    d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "multiply out")
    d.step((x + 1) ** 2, "=", x**2 + 1, "wrong")
    return doc, part, d


def test_every_level_has_a_latex_and_an_html_form_with_marks():
    doc, part, d = _document()
    latex = d._repr_latex_()
    assert latex.startswith("$$") and r"\checkmark" in latex and r"\times" in latex
    for item in (doc, doc.problems[0], part, d):
        page = item._repr_html_()
        assert "#1a7f37" in page and "#d1242f" in page  # verified green, failed red
        assert item._repr_latex_().count(r"\checkmark") == 1
    assert "a &lt;b&gt;" in doc._repr_html_() and "P &amp; Q" in doc._repr_html_()
    report = dv.check(d)
    assert not report.ok and [r.step_id for r in report.failed()] == ["p1.a.2"]
    assert "lhs = " in report._repr_html_()
    result = report.results["p1.a.1"]
    assert r"\checkmark" in result._repr_latex_() and "verified" in result._repr_html_()


def test_the_example_notebook_runs():
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = [o["data"] for o in outputs if o.get("output_type") == "execute_result"]
    assert any("text/latex" in data and r"\checkmark" in data["text/latex"] for data in shown)
    assert any("text/html" in data and "#d1242f" in data["text/html"] for data in shown)
