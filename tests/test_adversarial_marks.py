"""False claims aimed at what the check phase decides without a proof of its own (second round):
the sampler's reading of declared constraints, the stand-ins of arbitrary functions, and
differences far below the numeric precision. Each must get neither ✓ nor ≈.

Each test first shows that the claim *is* false at a point the checker's own numeric check can
evaluate (pinned there, it fails), then that the checker does not mark it.
"""

from __future__ import annotations

import pytest
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


# ── the stand-ins of an arbitrary function share properties no arbitrary f has ────────────────
# f'' ≥ −10 is false for f = −6x² (or any f bending down faster), but every stand-in family
# (a·sin(b·s + c) + d·s, a·e^{b·s/2} − c·s + d, a/(1 + (s − c)²) + d·s²/4 + b, with coefficients
# in 0.4..1.6) has |f''| below about 9 where it is negative, on every sampled x: ≈ for a claim
# the simplest counterexample refutes. Not fixed here (derive/core/functions.py): the stand-ins
# need families without uniform bounds (polynomials with large or negative coefficients, a fast
# oscillation), or a numeric pass for an arbitrary f should not be enough for ≈ on an inequality.
@pytest.mark.xfail(strict=True, reason="known hole: every stand-in family has bounded curvature (false claim gets ≈)")
def test_a_uniform_bound_on_an_arbitrary_functions_curvature_is_not_numeric_only(make_step):
    f = arbitrary("f_adv")
    curvature = Derivative(f(x), x, 2)
    assert _false_at(Derivative(-6 * x**2, x, 2), ">=", -10, assume(Real(x, 0, 1)))  # f = −6x²
    result = check_step(make_step(curvature, ">=", -10, assume(Real(x, -100, 100))))
    assert result.status not in MARKED, result.methods


# ── a difference below every working precision ──────────────────────────────────────────────
# 1 + x² + e^{−10000(1 + x²)} ≠ 1 + x² for every real x: the symbolic check even leaves the difference as
# exp(−10000x² − 10000), which SymPy knows is positive, yet calls it inconclusive; the numeric
# check (60 digits, a second look at 120) cannot see 10^-4343, so the claim got ≈. Not fixed here:
# the symbolic check should fail a step whose evaluated difference SymPy proves nonzero
# (``is_zero is False``), the same for a gap proved of the wrong sign.
def test_a_difference_below_every_precision_but_provably_nonzero_is_not_numeric_only(make_step):
    tiny = exp(-10000 * (x**2 + 1))
    assert tiny.is_positive  # false at every x, and SymPy can tell
    result = check_step(make_step(1 + x**2 + tiny, "=", 1 + x**2, assume(Real(x, -3, 3))))
    assert result.status not in MARKED, result.methods


# ── the squeeze rule compares limits under Karr's convention ────────────────────────────────
# a ≥ 1 and b ≥ 5 are declared, nothing relates them. lim_{t→0+} (b − a + 1 + t²) = Σ_{i=a}^{b} 1
# is false at a = 7, b = 5 (−1 against 0 terms), but rules.check_squeeze compared the bounds'
# limit b − a + 1 with the claimed limit by simplify, which sums Σ_{i=a}^{b} 1 = b − a + 1 (Karr),
# and the premises (no sums in them) are proved: ✓. Every sample has a ≤ 6 < b + 1.
def test_a_squeeze_to_a_sum_that_may_run_backwards_is_not_proved():
    from derive.core.step import Squeeze, Step
    from derive.core.checks.runner import check_steps
    from derive.core.assumptions import Positive

    a, b = sp.symbols("a b", integer=True, positive=True)
    t = sp.Symbol("t", positive=True)
    count, meant = b - a + 1, Sum(1, (i, a, b))
    assert _false_at(count, "=", meant, assume(Integer(a, 7, 7), Integer(b, 5, 5)))
    g = count + t**2
    unrelated = assume(Integer(a, 1, 3), Integer(b, 5, 8), Positive(t, sp.Rational(1, 100), 1))
    steps = [Step("sq.lo", count, "<=", g, (), unrelated),
             Step("sq.hi", g, "<=", count + t + t**2, (), unrelated),
             Step("sq.lim", sp.Limit(g, t, 0, "+"), "=", meant, (), unrelated,
                  rule=Squeeze(count, count + t + t**2, "sq.lo", "sq.hi"))]
    results = check_steps(steps)
    assert results["sq.lo"].status == VERIFIED and results["sq.hi"].status == VERIFIED  # sound premises
    assert results["sq.lim"].status != VERIFIED, results["sq.lim"].methods
    squeeze = next(m for m in results["sq.lim"].methods if m.method == "squeeze")
    assert squeeze.outcome != "proved", squeeze


# ── an inflated zero widens the tolerance past a whole unit ─────────────────────────────────
# The tolerance is relative to the size of the terms. Z = Li₂(u) + Li₂(1 − u) + log u·log(1 − u)
# − π²/6 is 0 (Euler's reflection; SymPy cannot see it), so 10^100·Z + 1 = 0 says 1 = 0; but its
# terms are 10^100 in size, so at 60 digits (and at 120) the difference 1 sat inside the
# tolerance and the claim got ≈. The second look now doubles the precision again while the sides
# agree only relative to their terms, not to their values.
U = sp.Symbol("u", real=True)
INFLATED_ZERO = sp.Integer(10) ** 100 * (sp.polylog(2, U) + sp.polylog(2, 1 - U) + sp.log(U) * sp.log(1 - U) - sp.pi**2 / 6)
UNIT = assume(Real(U, sp.Rational(1, 10), sp.Rational(9, 10)))


def test_one_is_not_zero_behind_an_inflated_zero(make_step):
    result = check_step(make_step(INFLATED_ZERO + 1, "=", 0, UNIT))
    assert result.status not in MARKED, result.methods


def test_a_unit_offset_is_not_hidden_by_an_inflated_zero(make_step):
    result = check_step(make_step(INFLATED_ZERO + U + 1, "=", U, UNIT))
    assert result.status not in MARKED, result.methods


def test_an_inflated_zero_that_is_zero_stays_numeric_only(make_step):
    # Over-rejection guard: the same cancellation in a true claim still passes the numeric check.
    result = check_step(make_step(INFLATED_ZERO + U, "=", U, UNIT))
    assert result.status == NUMERIC_ONLY, result.methods


# ── a strict inequality that touches at a point no sample can hit ───────────────────────────
# (u − √2)² > 0 and cos(u − π/7) < 1 are false at u = √2 and u = π/7, inside the declared range;
# samples are rationals, and the gap search stops its steps at 10^-12, where the relative gap is
# about 10^-24, far above the 10^-40 margin, so both got ≈. A confirmed counterexample is
# impossible here (the touching point is irrational); a sound numeric check would not give ≈ to a
# strict inequality whose gap the search drives towards 0 (it keeps shrinking as the step
# shrinks, where a true strict inequality's gap levels off). Not fixed: numeric.py's search is
# shared with the speed work, and a threshold needs care with true claims such as σ(x) < 1
# sampled far out.
@pytest.mark.xfail(strict=True, reason="known hole: the search does not refine a near-touching minimum to 10^-40 (false claim gets ≈)")
def test_a_strict_inequality_touching_at_an_irrational_point_is_not_numeric_only(make_step):
    gap = U**2 - 2 * sp.sqrt(2) * U + 2
    assert gap.subs(U, sp.sqrt(2)) == 0  # false at u = √2
    result = check_step(make_step(gap, ">", 0, assume(Real(U, -3, 3))))
    assert result.status not in MARKED, result.methods


@pytest.mark.xfail(strict=True, reason="known hole: the search does not refine a near-touching minimum to 10^-40 (false claim gets ≈)")
def test_cos_below_one_everywhere_is_not_numeric_only(make_step):
    shifted = sp.cos(U - sp.pi / 7)
    assert shifted.subs(U, sp.pi / 7) == 1  # false at u = π/7
    result = check_step(make_step(shifted, "<", 1, assume(Real(U, -3, 3))))
    assert result.status not in MARKED, result.methods


# ── a side undefined at every sample ────────────────────────────────────────────────────────
# The numeric check skips a point where a side is undefined ("the claim says nothing there"); when
# every point is skipped, nothing was compared, yet it passed: nan = 1, and ∫_1^3 du/(u − 2) = 5
# (a divergent integral, SymPy's value nan), got ≈ from "48 points".
def test_a_side_undefined_everywhere_is_not_numeric_only(make_step):
    result = check_step(make_step(sp.nan, "=", 1, assume(Real(U, 1, 3))))
    assert result.status not in MARKED, result.methods


def test_a_divergent_integral_is_not_numeric_only(make_step):
    divergent = sp.Integral(1 / (U - 2), (U, 1, 3))
    result = check_step(make_step(divergent, "=", 5, assume(Real(U, 1, 3))))
    assert result.status not in MARKED, result.methods


def test_a_side_undefined_at_some_points_still_passes(make_step):
    # Over-rejection guard: (u² − u)/(u − 1) = u is undefined only at u = 1.
    result = check_step(make_step((U**2 - U) / (U - 1), "=", U, assume(Real(U, -3, 3))))
    assert result.status in MARKED, result.methods


# ── a box's label may claim nothing ─────────────────────────────────────────────────────────
# A boxed side may be a pure label (M_conv names the boxed value). But any undefined symbol passed
# as a label was accepted on either side: a step (x + 1)² = x² + 2x + 1 could be boxed, with its ✓,
# as "(x + 1)² = y" (y a declared variable), "(x + 1)² = x" (a bare Symbol('x') prints as the
# real x) or "(x + 1)² = 0" (Symbol('0')). A label now names only the left side, and must not
# print like a variable of the step or like a number.
def _box_part():
    import derive as dv

    doc = dv.Document("Boxes")
    return doc.problem("P", "statement").part("a", "A part")


def _expanded_square(part):
    import derive as dv

    y = sp.Symbol("y", real=True)
    derivation = part.derivation(dv.assume(dv.Real(x), dv.Real(y)))
    return derivation.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "expand")


@pytest.mark.parametrize("side, shown", [
    ("rhs", sp.Symbol("y", real=True)),
    ("rhs", sp.Symbol("x")),
    ("rhs", sp.Symbol("0")),
    ("lhs", sp.Symbol("0")),
    ("lhs", sp.Symbol("y", real=True)),
    ("lhs", sp.Symbol("x")),
], ids=["rhs-declared", "rhs-same-name", "rhs-numeral", "lhs-numeral", "lhs-declared", "lhs-same-name"])
def test_a_label_cannot_make_a_box_claim_more_than_its_step(side, shown):
    import derive as dv

    part = _box_part()
    step = _expanded_square(part)
    with pytest.raises(dv.AuthoringError):
        part.result("box.label", "a label that claims something", step, **{side: shown})


def test_a_label_naming_the_left_side_is_still_accepted():
    import derive as dv

    part = _box_part()
    step = _expanded_square(part)
    part.result("box.label.ok", "a label for the value", step, lhs=dv.named("M_box_ok", "M"))


# ── Piecewise conditions that differ only at their edge, for a real variable ────────────────
# [u < 1] = [u ≤ 1] is false at u = 1 (and the same with 1/3 in a ≤), yet the reals sampled never
# land on a condition's edge, so the claim got ≈ (at the edge 0 it depends on the step's seed).
# SymPy itself leaves the difference as Piecewise((0, u < 1), (-1, u <= 1), (0, True)). Not fixed
# (numeric.py / sampling.py, the speed work's files): the search should try each condition's edge
# (the root of a linear relation in one real), and confirm there exactly, since at doubled
# precision a rounded 1/3 is no longer on the edge.
def test_brackets_that_differ_only_at_a_real_edge_are_not_numeric_only(make_step):
    lhs, rhs = sp.Piecewise((1, U < 1), (0, True)), sp.Piecewise((1, U <= 1), (0, True))
    assert lhs.subs(U, 1) != rhs.subs(U, 1)
    result = check_step(make_step(lhs, "=", rhs, assume(Real(U, -3, 3))))
    assert result.status not in MARKED, result.methods


@pytest.mark.xfail(strict=True, reason="known hole: an edge at 1/3 is tried, but the counterexample is not confirmed at doubled precision, where the rounded 1/3 is off the edge (false claim gets ≈)")
def test_an_order_between_brackets_that_differ_at_a_third_is_not_numeric_only(make_step):
    third = sp.Rational(1, 3)
    below = sp.Piecewise((2 * U, U <= third), (U, True))  # 2/3 at u = 1/3
    strict = sp.Piecewise((2 * U, U < third), (U, True))  # 1/3 at u = 1/3; equal elsewhere
    assert not (below.subs(U, third) <= strict.subs(U, third))
    result = check_step(make_step(below, "<=", strict, assume(Real(U, 0, 3))))
    assert result.status not in MARKED, result.methods


def test_brackets_that_agree_on_their_edge_stay_numeric_only_or_better(make_step):
    # The edge u = 1 is tried; these two agree there too (both 1), so the claim is not failed.
    lhs = sp.Piecewise((1, U <= 1), (0, True))
    rhs = sp.Piecewise((0, U > 1), (1, True))
    result = check_step(make_step(lhs, "=", rhs, assume(Real(U, -3, 3))))
    assert result.status in MARKED, result.methods
