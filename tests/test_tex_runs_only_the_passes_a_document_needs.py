"""pdflatex runs again only when a pass says the next one would differ (references, outlines, table
widths): a document that asks nothing is typeset in one pass, one with a forward reference gets
its second pass and the right number (the companion's longtables ask the same way), and every pass shares one time limit."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from derive import build as tex_build
from derive.build import needs_another_pass, typeset
from derive.errors import TexFailed

pytestmark = [pytest.mark.tex,
              pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is not installed")]

PLAIN = r"\documentclass{article}\usepackage{hyperref}\usepackage{bookmark}\begin{document}\section{A}Hello\end{document}"
FORWARD = (r"\documentclass{article}\begin{document}See section~\ref{later}.\newpage"
           r"\section{First}\section{Second}\label{later}\end{document}")


@pytest.fixture
def passes(monkeypatch):
    counted = []
    real = tex_build._run_tex

    def counting(command, workdir, seconds=tex_build.TEX_SECONDS):
        counted.append(f"{command[0]} {command[-1]}")
        return real(command, workdir, seconds)

    monkeypatch.setattr(tex_build, "_run_tex", counting)
    return counted


def test_a_document_that_asks_for_nothing_takes_one_pass(passes):
    assert typeset(PLAIN, "plain").startswith(b"%PDF")
    assert passes == ["pdflatex plain.tex"]


def test_a_forward_reference_gets_its_second_pass_and_the_right_number(passes, tmp_path):
    pdf = typeset(FORWARD, "forward")
    assert passes == ["pdflatex forward.tex"] * 2
    if shutil.which("pdftotext"):
        (tmp_path / "f.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True, text=True).stdout
        assert "See section 2." in text and "??" not in text


def test_the_rerun_requests_are_recognised_and_package_descriptions_are_not():
    for asked in ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
                  "(rerunfilecheck)                Rerun to get outlines right",
                  "Package longtable Warning: Table widths have changed. Rerun LaTeX."):
        assert needs_another_pass(asked)
    assert not needs_another_pass("Package: rerunfilecheck 2022-07-10 v1.10 Rerun checks for auxiliary files (HO)\n"
                                  "(/usr/share/texlive/texmf-dist/tex/latex/rerunfilecheck/rerunfilecheck.sty")


def test_the_time_limit_covers_all_passes_together(monkeypatch):
    real = tex_build._run_tex
    given = []

    def slow(command, workdir, seconds=tex_build.TEX_SECONDS):
        given.append(seconds)
        return real(command, workdir, seconds)

    monkeypatch.setattr(tex_build, "_run_tex", slow)
    typeset(FORWARD, "forward")
    assert len(given) == 2 and given[1] < given[0] <= tex_build.TEX_SECONDS
    monkeypatch.setattr(tex_build, "TEX_SECONDS", 0)
    with pytest.raises(TexFailed, match="did not finish"):
        typeset(PLAIN, "plain")
