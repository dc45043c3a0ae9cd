"""A malformed step is refused where it is written: one line naming file:line, step and problem."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sympy as sp

import derive as dv

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", real=True)
W = sp.MatrixSymbol("W", 2, 3)
V = sp.MatrixSymbol("V", 3, 2)


def _derivation(*variables):
    doc = dv.Document("t")
    return doc.problem("Squares").part("a", "A").derivation(dv.assume(*variables))


@pytest.mark.parametrize("lhs, rel, rhs, message", [
    ("x + 1", "=", x + 1, r"the lhs is a string .*never parses text"),
    (x, "==", x, r"unknown relation '=='"),
    (x + y, "=", y + x, r"y is not declared"),
    (W, "=", V, r"shape mismatch: the lhs is a 2 × 3 matrix but the rhs is a 3 × 2 matrix"),
    (W, "=", x, r"shape mismatch: the lhs is a 2 × 3 matrix but the rhs is a scalar"),
    ([1, 2], "=", x, r"the lhs is a list"),
])
def test_malformed_steps_are_refused_at_the_authors_line(lhs, rel, rhs, message):
    d = _derivation(dv.Real(x), dv.RealMatrix(W), dv.RealMatrix(V))
    with pytest.raises(dv.AuthoringError) as caught:
        d.step(lhs, rel, rhs, "why")
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{__file__}:"), text
    assert "step p1.a.1 (problem 1 'Squares', part a)" in text
    assert __import__("re").search(message, text), text


def test_plain_python_numbers_are_fine_on_either_side():
    d = _derivation(dv.Real(x))
    step = d.step(2, "=", sp.Integer(1) + 1)
    assert step.lhs == sp.Integer(2) and isinstance(step.lhs, sp.Integer)
    assert d.then("<=", 3.5).rhs == sp.Float(3.5)


def _run_document(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "doc.py"
    path.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, "-c", "from derive.cli import main; main()", "check", str(path), *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)


@pytest.mark.parametrize("source, message", [
    ("import derive\nraise RuntimeError('boom')\n", r"doc\.py:2: RuntimeError: boom"),
    ("x = 1\n", r"doc\.py: defines no document\(\) function"),
    ("def document():\n    return 42\n", r"doc\.py:1: document\(\) returned int, not a derive\.Document"),
    ("def document():\n    return {}['missing']\n", r"doc\.py:2: KeyError"),
    ("def document(:\n", r"doc\.py:1: syntax error"),
    ("""\
     import sympy as sp, derive as dv
     def document():
         doc = dv.Document("t")
         d = doc.problem("P").part("a", "A").derivation(dv.assume())
         d.step(sp.Symbol("z"), "=", 1)
         return doc
     """, r"doc\.py:5: step p1\.a\.1 \(problem 1 'P', part a\): z is not declared"),
])
def test_a_broken_document_file_is_one_line_and_exit_2(tmp_path, source, message):
    run = _run_document(tmp_path, source)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert __import__("re").search(message, lines[0]), lines[0]


def test_a_crash_while_evaluating_fails_the_step_instead_of_raising(monkeypatch):
    from derive.core.checks import numeric
    from derive.core.checks.runner import check_step

    def crash(*args, **kwargs):
        raise TypeError("cannot compare complex numbers")

    monkeypatch.setattr(numeric, "check", crash)
    result = check_step(_derivation(dv.Real(x)).step(x, "=", x))
    assert result.status == "failed"
    assert "could not evaluate the step: TypeError: cannot compare complex numbers" in result.message
