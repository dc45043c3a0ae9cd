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


@pytest.mark.parametrize("name", ["hw7", "hw7-checks"])
def test_a_cold_build_typesets_each_pdf_in_one_pass(built, tmp_path, name):
    # A second pdflatex pass is a whole TeX run on every cold build (issue 16): the companion's
    # check log once asked for one to settle its longtable's natural column widths.
    from derive.build import needs_another_pass

    tex = built / f"{name}.tex"
    shutil.copy(tex, tmp_path / tex.name)
    subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                   cwd=tmp_path, capture_output=True, check=True, timeout=300)
    log = (tmp_path / tex.with_suffix(".log").name).read_text(errors="replace")
    assert not needs_another_pass(log), [line for line in log.splitlines() if "Rerun" in line or "changed" in line]


def test_the_check_log_states_the_precision_the_checker_uses(built):
    from derive.core.checks import numeric

    tex = (built / "hw7-checks.tex").read_text()
    assert f"mpmath at {numeric.DIGITS} significant digits" in tex
    assert f"$10^{{-{numeric.TOLERANCE_DIGITS}}}$ of the size of their terms" in tex
