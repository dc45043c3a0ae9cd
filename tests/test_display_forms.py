"""What is shown vs what is checked: unevaluated forms stay as written; display= is checked too."""

from __future__ import annotations

import sympy as sp

import derive as dv
from derive.core.checks.runner import check_step
from derive.pipeline import Checked, render

x = sp.Symbol("x", real=True)


def _part():
    doc = dv.Document("shown")
    return doc, doc.problem("P").part("a", "A")


def _tex(doc, *steps) -> str:
    return render(Checked(doc.problems, {s.id: check_step(s) for s in steps}), "t", "a")


def test_an_unevaluated_form_is_printed_as_written():
    doc, part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    step = d.step(sp.Add(x, x, evaluate=False), "=", sp.Mul(2, x, evaluate=False), "two halves")
    with sp.evaluate(False):
        written = sp.Integer(2) * 3 + x
    other = d.step(written, "=", x + 6)
    tex = _tex(doc, step, other)
    assert "x + x" in tex  # not merged into 2 x
    assert r"2 \cdot 3" in tex
    assert check_step(step).status == "verified" and check_step(other).status == "verified"


def test_display_prints_the_shown_form_and_checks_it_equals_the_canonical_one():
    doc, part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    shown = sp.UnevaluatedExpr(x + 1) ** 2
    good = d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "multiply out", display=(shown, x**2 + 2 * x + 1))
    assert check_step(good).status == "verified"
    assert r"\left(x + 1\right)^{2}" in _tex(doc, good)
    lying = d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "shown form is wrong", display=(shown, x**2 + 1))
    result = check_step(lying)
    assert result.status == "failed" and "shown form differs" in result.message


def test_then_takes_a_display_for_its_rhs():
    doc, part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    d.step(x * (x + 2), "=", x**2 + 2 * x)
    step = d.then("=", x**2 + 2 * x, "the same", display=sp.Add(x**2, x, x, evaluate=False))
    assert check_step(step).status == "verified"
    assert "x^{2} + x + x" in _tex(doc, d.steps[0], step)
