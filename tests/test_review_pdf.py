"""`derive review --out`: the annotated PDF reprints the maths from what was read, with a
mark and a note per link, through the same sandboxed TeX as `derive build`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.review import report
from derive.review.extract import parse_workings
from derive.review.review import review_workings

DATA = Path(__file__).parent / "data" / "review"


def test_maths_is_printed_from_sympy_and_student_text_is_escaped():
    text = "$$(a+b)^2 = a^2 + 2 a b + b^2$$\n\n$$\\frac{1}{2}\\evilcmd{x}_{\\%} = 1$$\n"
    tex = report.render_tex(review_workings(parse_workings(text, "w_1 & #.md", "markdown")))
    assert r"\left(a + b\right)^{2}" in tex  # SymPy's printer, not the student's spelling
    assert r"\textbackslash{}evilcmd" in tex and r"\evilcmd" not in tex.replace(r"\textbackslash{}evilcmd", "")
    assert r"w\_1 \& \#.md" in tex


@pytest.mark.tex
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is not installed")
def test_the_annotated_pdf_names_the_first_wrong_link(tmp_path):
    workings = tmp_path / "my work #1 50%.md"  # a file name TeX could not take as its own
    workings.write_text((DATA / "planted.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(workings), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    pdf = tmp_path / "out" / "my work #1 50%-review.pdf"
    assert pdf.is_file() and pdf.with_suffix(".tex").is_file()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "First wrong link: line 31" in text
        assert "holds the other way" in text
