"""A boxed result is shown as checked, so a displayed side must be what its chain established."""

from __future__ import annotations

import pytest
import sympy as sp

import derive as dv

x = sp.Symbol("x", real=True)
s = dv.named("s_box", r"s")
label = dv.named("M_label", r"M")


def _part():
    doc = dv.Document("Boxes")
    return doc.problem("P", "statement").part("a", "A part")


def test_a_displayed_side_that_differs_from_the_step_is_refused():
    part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    step = d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "expand")
    with pytest.raises(dv.AuthoringError, match="not what step"):
        part.result("box.wrong.rhs", "a wrong box", step, rhs=x**2 + 1)
    with pytest.raises(dv.AuthoringError, match="not what step"):
        part.result("box.wrong.lhs", "a wrong box", step, lhs=(x - 1) ** 2)


def test_a_defined_name_must_stand_for_the_boxed_side():
    part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    d.define(s, x + 2, "a name")
    step = d.step(x + 1 + 1, "=", x + 2, "add")
    part.result("box.name.ok", "a defined name for the right side", step, rhs=s)
    d2 = part.derivation(dv.assume(dv.Real(x)))
    d2.define(s, x + 3, "a name for something else")
    wrong = d2.step(x + 1 + 1, "=", x + 2, "add")
    with pytest.raises(dv.AuthoringError):
        part.result("box.name.wrong", "a name for something else", wrong, rhs=s)


def test_labels_and_chain_starts_are_accepted():
    part = _part()
    d = part.derivation(dv.assume(dv.Real(x)))
    d.step((x + 1) ** 2, "=", (x + 1) * (x + 1), "square")
    last = d.then("=", x**2 + 2 * x + 1, "multiply out")
    part.result("box.chain", "the chain's start", last, lhs=(x + 1) ** 2)
    part.result("box.label", "a label", last, lhs=label)


def test_a_box_is_not_matched_by_karrs_convention():
    # Σ_{i=a}^{b} 1 is b − a + 1 only when b ≥ a − 1, which nothing declares: SymPy's doit says
    # b − a + 1 for every a, b (Karr's convention), so the box showed an unestablished count.
    a, b = sp.symbols("a b", integer=True, positive=True)
    i = sp.Symbol("i", integer=True)
    part = _part()
    d = part.derivation(dv.assume(dv.Integer(a, 1, 3), dv.Integer(b, 5, 8)))
    step = d.step(sp.Sum(1, (i, a, b)), "=", sp.Sum(1, (i, a, b)), "the count")
    with pytest.raises(dv.AuthoringError, match="not what step"):
        part.result("box.karr", "a count of a range that may run backwards", step, rhs=b - a + 1)
