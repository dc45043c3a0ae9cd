"""One real build: the PDF's text carries Problem 1's results; hostile titles stay literal."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from derive.cli import main

pytestmark = [
    pytest.mark.tex,
    pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                       reason="TeX Live or poppler-utils is not installed"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("output")
    result = CliRunner().invoke(main, ["build", "1", "--out", str(out), "-q",
                                       "--author", r"\input{/etc/hostname} & 100% $x$",
                                       "--title", "Homework_7 {draft} ~ #1"])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", "-layout", str(out / "hw7-p1.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    return out, text


def test_pdf_shows_problem_1_without_result_id_captions(built):
    _, text = built
    for needle in ("Problem 1: The true softmax", "0 failed", "-checks.pdf"):
        assert needle in text
    # result ids are for derive grade; they do not caption the boxes of the solution
    for result_id in ("p1.a.limit", "p1.b.grad", "p1.c.limit"):
        assert result_id not in text


def test_companion_pdf_logs_every_step(built):
    out, _ = built
    (companion,) = out.glob("*-checks.pdf")  # a partial build names both files apart
    text = subprocess.run(["pdftotext", "-layout", str(companion), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "the check log" in text and "0 failed" in text
    for step_id in ("p1.a.1", "p1.a.2", "p1.c.below.4"):
        assert step_id in text


def test_hostile_author_and_title_appear_literally(built):
    _, text = built
    assert r"\input{/etc/hostname} & 100% $x$" in text
    assert "Homework_7 {draft} ~ #1" in text
    author_line = next(line.strip() for line in text.splitlines() if "/etc/hostname" in line)
    assert author_line == r"\input{/etc/hostname} & 100% $x$"  # nothing was included beside it


def test_verification_json_counts_every_step(built):
    out, _ = built
    data = json.loads((out / "hw7-p1.verification.json").read_text())
    assert data["summary"]["failed"] == 0
    assert data["summary"]["verified"] >= 10
    assert all(s["status"] in ("verified", "numeric-only", "definition") for s in data["steps"])
    assert {"id", "problem", "part", "relation", "status", "methods"} <= set(data["steps"][0])


def test_unchanged_rebuild_skips_tex_and_uses_the_cache(built):
    out, _ = built
    before = (out / "hw7-p1.pdf").stat().st_mtime_ns
    arguments = ["build", "1", "--out", str(out), "--author", r"\input{/etc/hostname} & 100% $x$",
                 "--title", "Homework_7 {draft} ~ #1"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0
    assert "up to date" in result.output  # nothing changed: nothing checked, TeX not run
    assert f"unchanged {out / 'hw7-p1.pdf'}" in result.output
    shutil.rmtree(out / ".cache" / "uptodate")  # without that record: the pipeline, all cached
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0 and "up to date" not in result.output
    assert f"unchanged {out / 'hw7-p1.pdf'}" in result.output
    assert (out / "hw7-p1.pdf").stat().st_mtime_ns == before
    data = json.loads((out / "hw7-p1.verification.json").read_text())
    assert all(s["cached"] for s in data["steps"] if s["status"] != "definition")
