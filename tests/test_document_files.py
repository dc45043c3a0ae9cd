"""Commands take a document file: check, build (--keep-going, --name), list, results, grade, new."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DOCUMENTS = sorted(EXAMPLES.glob("*.py"))

WRONG = '''\
import sympy as sp
import derive as dv

x = sp.Symbol("x", real=True)


def document():
    doc = dv.Document("Find the error", author="A TA")
    part = doc.problem("Squares").part("a", "Expand")
    d = part.derivation(dv.assume(dv.Real(x)))
    d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "multiply out")
    d.then("=", x**2 + 1, "a forgotten cross term")
    return doc
'''


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_there_are_at_least_four_example_documents():
    names = {p.stem for p in DOCUMENTS}
    assert {"softmax_cross_entropy", "sigmoid", "linear_layer", "attention_softmax"} <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_every_example_checks_and_builds(path, tmp_path):
    started = time.perf_counter()
    checked = run("check", str(path), "--no-cache")
    assert checked.exit_code == 0, checked.output + checked.stderr
    built = run("build", str(path), "--out", str(tmp_path), "--tex-only", "-q")
    assert built.exit_code == 0, built.stderr
    assert (tmp_path / f"{path.stem}.tex").is_file()
    data = json.loads((tmp_path / f"{path.stem}.verification.json").read_text())
    assert data["summary"]["failed"] == 0 and data["summary"]["verified"] > 0
    assert time.perf_counter() - started < 120


@pytest.mark.tex
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs TeX Live")
def test_the_examples_build_to_pdf(tmp_path):
    for path in DOCUMENTS:
        built = run("build", str(path), "--out", str(tmp_path), "-q")
        assert built.exit_code == 0, built.stderr
        assert (tmp_path / f"{path.stem}.pdf").read_bytes().startswith(b"%PDF")


def test_a_wrong_step_fails_check_with_exit_1_naming_it(tmp_path):
    document = tmp_path / "handout.py"
    document.write_text(WRONG)
    result = run("check", str(document))
    assert result.exit_code == 1
    assert "error: step p1.a.2 failed: (x + 1)**2 = x**2 + 1" in result.stderr or \
        "error: step p1.a.2 failed: x**2 + 2*x + 1 = x**2 + 1" in result.stderr


def test_keep_going_typesets_the_failure_and_still_exits_1(tmp_path):
    document = tmp_path / "handout.py"
    document.write_text(WRONG)
    stopped = run("build", str(document), "--out", str(tmp_path / "a"), "--tex-only", "-q")
    assert stopped.exit_code == 1 and not (tmp_path / "a" / "handout.tex").exists()
    kept = run("build", str(document), "--out", str(tmp_path / "b"), "--tex-only", "-q", "--keep-going",
               "--name", "find-the-error")
    assert kept.exit_code == 1
    tex = (tmp_path / "b" / "find-the-error.tex").read_text()
    assert r"\failednote{numeric: at x=" in tex and r"\statusfailed" in tex
    assert "Find the error" in tex and "A TA" in tex


def test_list_results_and_grade_take_the_document(tmp_path):
    path = EXAMPLES / "softmax_cross_entropy.py"
    listed = run("list", str(path))
    assert listed.exit_code == 0 and "1a  The gradient for general n" in listed.output
    results = run("results", str(path), "--json")
    assert results.exit_code == 0
    assert [r["id"] for r in json.loads(results.output)] == ["ce.grad"]
    answers = tmp_path / "answers.toml"
    answers.write_text('"ce.grad" = "exp(z_k)/sum(exp(z_i), i, 1, n) - KroneckerDelta(c, k)"\n')
    graded = run("grade", str(answers), str(path))
    assert graded.exit_code == 0 and graded.output.split()[:2] == ["ce.grad", "correct"]
    assert run("list", "1").exit_code == 2  # not a document file: a usage error


def test_new_writes_a_document_that_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "mine.py").exit_code == 0
    assert run("check", "mine.py").exit_code == 0
    again = run("new", "mine.py")
    assert again.exit_code == 2 and "exists" in again.stderr
