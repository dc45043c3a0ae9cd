"""False claims aimed at what the check phase decides without a proof of its own (second round):
the sampler's reading of declared constraints, the stand-ins of arbitrary functions, and
differences far below the numeric precision. Each must get neither ✓ nor ≈.

Each test first shows that the claim *is* false at a point the checker's own numeric check can
evaluate (pinned there, it fails), then that the checker does not mark it.
"""

from __future__ import annotations

import sympy as sp
from sympy import Abs, Derivative, Max, Product, Sum, exp

from derive.core.assumptions import Constraint, Integer, Real, assume
from derive.core.checks import numeric
from derive.core.checks.result import NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step
from derive.core.functions import arbitrary

m = sp.Symbol("m", integer=True)
i = sp.Symbol("i", integer=True)
x = sp.Symbol("x", real=True)
MARKED = (VERIFIED, NUMERIC_ONLY)


def _false_at(lhs, rel, rhs, assumptions) -> bool:
    return numeric.check("adv.witness", lhs, rel, rhs, assumptions).outcome == "failed"


# ── a constraint is read by the sampler under Karr's convention ─────────────────────────────
# Σ_{i=1}^{m} 1 ≥ 0 holds for every integer m as the reader (and the PDF) reads it: an empty range
# is 0 terms. Constraint.holds evaluated it with SymPy's doit (Karr: Σ_{1}^{-1} 1 = −1), so the
# sampler dropped every m < 0 and a claim false exactly there was marked numeric-only.
VACUOUS_COUNT = Constraint(Sum(1, (i, 1, m)) >= 0)
VACUOUS_PRODUCT = Constraint(Product(2, (i, 1, m)) >= 1)  # Karr: Π_{1}^{-1} 2 = 1/2


def test_a_vacuous_sum_constraint_does_not_hide_negative_sizes(make_step):
    assert _false_at(m, ">=", 0, assume(Integer(m, -1, -1)))
    result = check_step(make_step(m, ">=", 0, assume(Integer(m, -5, 5), VACUOUS_COUNT)))
    assert result.status not in MARKED, result.methods


def test_a_vacuous_sum_constraint_does_not_hide_a_false_equality(make_step):
    assert _false_at(Abs(m), "=", m, assume(Integer(m, -1, -1)))
    result = check_step(make_step(Abs(m), "=", m, assume(Integer(m, -5, 5), VACUOUS_COUNT)))
    assert result.status not in MARKED, result.methods


def test_a_vacuous_product_constraint_does_not_hide_negative_sizes(make_step):
    assert _false_at(Max(m, 0), "=", m, assume(Integer(m, -1, -1)))
    result = check_step(make_step(Max(m, 0), "=", m, assume(Integer(m, -5, 5), VACUOUS_PRODUCT)))
    assert result.status not in MARKED, result.methods


def test_a_constraint_with_a_forwards_sum_still_filters(make_step):
    # Over-rejection guard: Σ_{i=1}^{m} 1 ≥ 3 really means m ≥ 3, so m ≥ 3 must still pass.
    result = check_step(make_step(m, ">=", 3, assume(Integer(m, -5, 8), Constraint(Sum(1, (i, 1, m)) >= 3))))
    assert result.status in MARKED, result.methods
