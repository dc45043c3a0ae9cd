"""TeX runs sandboxed and time-limited; a failed run never costs the previous PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive import build as tex_build
from derive.build import compile_pdf, log_excerpt
from derive.cli import main
from derive.errors import TexFailed

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is not installed")
GOOD = r"\documentclass{article}\begin{document}Hello\end{document}"


@needs_tex
@pytest.mark.tex
def test_tex_error_keeps_the_previous_pdf(tmp_path):
    pdf = tmp_path / "hw7.pdf"
    pdf.write_bytes(b"%PDF-previous good build")
    with pytest.raises(TexFailed) as failure:
        compile_pdf(r"\documentclass{article}\begin{document}\undefinedmacro\end{document}", pdf)
    assert pdf.read_bytes() == b"%PDF-previous good build"
    assert "Undefined control sequence" in failure.value.log_excerpt
    assert len(failure.value.log_excerpt.splitlines()) < 30


@needs_tex
@pytest.mark.tex
def test_tex_cannot_read_absolute_paths(tmp_path):
    with pytest.raises(TexFailed):
        compile_pdf(r"\documentclass{article}\begin{document}\input{/etc/hostname}\end{document}", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@needs_tex
@pytest.mark.tex
def test_tex_runs_without_shell_escape(tmp_path):
    marker = tmp_path / "shell-escape-ran"
    compile_pdf(r"\documentclass{article}\begin{document}\immediate\write18{touch " + str(marker)
                + r"}ok\end{document}", tmp_path / "x.pdf")
    assert not marker.exists()
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")


def test_missing_tex_writes_tex_and_json_and_exits_3(tmp_path, monkeypatch):
    monkeypatch.setattr(tex_build.shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["build", "1b", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 3, result.output
    assert "error: TeX Live is not installed" in result.stderr
    assert "apt-get install -y texlive-latex-base" in result.stderr
    # a partial build is named apart from the whole document's files
    assert (tmp_path / "hw7-p1b.tex").is_file() and (tmp_path / "hw7-p1b.verification.json").is_file()
    assert not (tmp_path / "hw7-p1b.pdf").exists()


def test_tex_failure_through_the_cli_exits_3_and_keeps_the_pdf(tmp_path, monkeypatch):
    (tmp_path / "hw7-p1b.pdf").write_bytes(b"%PDF-old")

    def broken(tex, name="hw7", scratch=None):
        raise TexFailed("TeX failed; the previous PDF was kept. ./hw7.tex:3: Undefined control sequence.",
                        "./hw7.tex:3: Undefined control sequence.")

    monkeypatch.setattr("derive.pipeline.typeset", broken)
    result = CliRunner().invoke(main, ["build", "1b", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: TeX failed; the previous PDF was kept. ./hw7.tex:3: Undefined control sequence."]
    assert "Traceback" not in result.output
    assert (tmp_path / "hw7-p1b.pdf").read_bytes() == b"%PDF-old"


def test_log_excerpt_picks_the_error_not_the_whole_log():
    log = "\n".join([f"noise {i}" for i in range(500)] + ["./hw7.tex:12: Undefined control sequence.",
                                                           "l.12 \\oops", "", "more"] + ["tail"] * 100)
    excerpt = log_excerpt(log)
    assert excerpt.splitlines()[0] == "./hw7.tex:12: Undefined control sequence."
    assert "noise" not in excerpt
