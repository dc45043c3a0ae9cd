"""The whole model solution: at most 14 pages, no overfull box, its companion check log beside it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from derive.cli import main

pytestmark = [
    pytest.mark.tex,
    pytest.mark.torch,
    pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdfinfo") is None,
                       reason="TeX Live or poppler-utils is not installed"),
]
MAX_PAGES = 14


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("output")
    result = CliRunner().invoke(main, ["build", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _log(tex, workdir) -> str:
    """TeX's log of the .tex the build wrote (the build keeps only the PDF)."""
    shutil.copy(tex, workdir / tex.name)
    for _ in range(2):
        subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                        tex.name], cwd=workdir, capture_output=True, check=True, timeout=300)
    return (workdir / tex.with_suffix(".log").name).read_text(errors="replace")


def test_solution_fits_14_pages(built):
    assert _pages(built / "hw7.pdf") <= MAX_PAGES


@pytest.mark.parametrize("name", ["hw7", "hw7-checks"])
def test_no_overfull_box(built, tmp_path, name):
    log = _log(built / f"{name}.tex", tmp_path)
    assert "Overfull" not in log


def test_solution_has_listings_and_three_figures(built):
    tex = (built / "hw7.tex").read_text()
    assert tex.count(r"\begin{lstlisting}") == 3
    assert tex.count(r"\begin{tikzpicture}") == 3
    assert r"\usepackage{listings}" in tex and r"\usepackage{pgfplots}" in tex


def test_companion_logs_every_step_in_full(built):
    import json

    steps = json.loads((built / "verification.json").read_text())["steps"]
    tex = (built / "hw7-checks.tex").read_text()
    assert _pages(built / "hw7-checks.pdf") >= 1
    for step in steps:
        assert step["id"].replace("_", r"\_") in tex
