"""`derive results` shows values as students write them (w_j, sum_{i=1}^{n} …, delta_{k,m}),
printed from the checked SymPy objects, and the grader reads every printed value back as correct."""

from __future__ import annotations

import pytest
import sympy as sp
from click.testing import CliRunner

from derive.cli import main
from derive.grade import grader, printed
from derive.grade.expected import expected_results
from derive.grade.student_form import student_form


@pytest.fixture(scope="module")
def expected():
    return expected_results()


def test_results_table_has_no_sympy_syntax():
    result = CliRunner().invoke(main, ["results"])
    assert result.exit_code == 0, result.output
    values = result.stdout.splitlines()[::2]
    text = "\n".join(values)
    for sympy_only in ("Sum(", "Piecewise(", "KroneckerDelta(", "**", "x[", "w[", "W["):
        assert sympy_only not in text, sympy_only
    assert any("sum_{i=1}^{n}" in line and "x_k" in line for line in values)


def test_every_printed_result_grades_correct(expected):
    answers = {result_id: printed.student(entry.value) for result_id, entry in expected.items()}
    grades = grader.grade_answers(answers, expected, seconds=120)
    wrong = [(g.id, g.answer, g.status, g.diagnosis) for g in grades if g.status != grader.CORRECT]
    assert not wrong


def test_the_printer_writes_indices_sums_deltas_and_cases():
    x, w = sp.IndexedBase("x"), sp.IndexedBase("w")
    i, j, k, m, n, f = sp.symbols("i j k m n f", integer=True)
    assert student_form(x[j]) == "x_j"
    assert student_form(x[i + j - 1]) == "x_{i+j-1}"
    assert student_form(sp.Sum(x[i], (i, 1, n))) == "sum_{i=1}^{n} (x_i)"
    assert student_form(2 * sp.Sum(x[i], (i, 1, n))) == "2*(sum_{i=1}^{n} (x_i))"
    assert student_form(sp.KroneckerDelta(k, m)) == "delta_{k,m}"
    assert student_form(k**2) == "k^2"
    case = student_form(sp.Piecewise((w[k], (k <= f) & (k >= 1)), (0, True)))
    assert case.startswith("(w_k if ") and case.endswith(" else 0)") and " and " in case


def test_a_wrong_answer_shows_the_expected_value_as_students_write_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answers = tmp_path / "a.toml"
    answers.write_text('"p1.a.limit" = "x_k"\n"p1.b.grad" = "x_k"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(answers)])
    assert result.exit_code == 1
    assert "(expected x_j)" in result.stdout
    assert "(expected exp(x_k)/(sum_{i=1}^{n} (exp(x_i))))" in result.stdout
