"""False statements are never marked verified, and marks never claim more than was checked.

Each case here was (or would have been) passed by an earlier checker: sampling bounds used as
facts, one-sided limits, symbol assumptions stronger than the declaration, bound variables taken
for declared indices, absolute tolerances, fixed maxima, no ties, no search.
"""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import KroneckerDelta, Limit, Ne, Piecewise, Sum, exp, log, oo, sign, sin

from derive.core.assumptions import (Constraint, DeclarationError, Integer, Positive, Real, RealVector,
                                     assume)
from derive.core.checks import numeric, symbolic
from derive.core.checks.prepare import Escaped, declared_view
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED, weakest
from derive.core.checks.runner import check_step, check_steps
from derive.core.document import Problem
from derive.core.step import Squeeze

i, j, k, m, n = sp.symbols("i j k m n", integer=True, positive=True)
a, b = sp.symbols("a b", real=True)
t = sp.Symbol("t", positive=True)
x = sp.IndexedBase("x", real=True)


def status(make_step, lhs, rel, rhs, assumptions, **kw):
    return check_step(make_step(lhs, rel, rhs, assumptions, **kw))


# ── 1. false statements are never verified ──────────────────────────────────────────────────
def test_a_sampling_bound_is_no_premise(make_step):
    # Integer(k) is shown "k ≥ 1 an integer"; it was drawn 1..6 and SymPy was told k ≤ 6.
    result = status(make_step, Sum(KroneckerDelta(i, k), (i, 1, 6)), "=", sp.Integer(1), assume(Integer(k)))
    assert result.status == FAILED, result
    assert "k=" in result.message


def test_a_size_beyond_the_sampling_range_is_tried(make_step):
    result = status(make_step, n, "<=", sp.Integer(6), assume(Integer(n, 1, 6)))
    assert result.status == FAILED


def test_a_declared_upper_bound_is_a_premise(make_step):
    # k ≤ n is declared (and shown), so the delta sums to 1: proved.
    result = status(make_step, Sum(KroneckerDelta(i, k), (i, 1, n)), "=", sp.Integer(1),
                    assume(Integer(n, 1, 6), Integer(k, 1, n)))
    assert result.status == VERIFIED, result


def test_a_two_sided_limit_is_not_squeezed_from_one_side(make_step):
    z = sp.Symbol("z", real=True)
    reals = assume(Real(z, -1, 1))
    low = make_step(sign(z) - sp.Abs(z), "<=", sign(z), reals, step_id="two.low")
    up = make_step(sign(z), "<=", sign(z) + sp.Abs(z), reals, step_id="two.up")
    limit = make_step(Limit(sign(z), z, 0, "+-"), "=", sp.Integer(1), reals, step_id="two.lim",
                      rule=Squeeze(sign(z) - sp.Abs(z), sign(z) + sp.Abs(z), "two.low", "two.up"))
    results = check_steps([low, up, limit], jobs=1)
    assert results["two.lim"].status == FAILED, results["two.lim"]


def test_a_two_sided_squeeze_over_a_positive_variable_is_refused(make_step):
    y = sp.Symbol("y", positive=True)
    positives = assume(Positive(y))
    low = make_step(sp.Integer(1), "<=", sign(y), positives, step_id="pos.low")
    up = make_step(sign(y), "<=", sp.Integer(1), positives, step_id="pos.up")
    limit = make_step(Limit(sign(y), y, 0, "+-"), "=", sp.Integer(1), positives, step_id="pos.lim",
                      rule=Squeeze(sp.Integer(1), sp.Integer(1), "pos.low", "pos.up"))
    result = check_steps([low, up, limit], jobs=1)["pos.lim"]
    assert result.status == FAILED
    assert "from the left" in result.message and "declared positive" in result.message


def test_a_two_sided_numeric_limit_tries_both_sides(make_step):
    z = sp.Symbol("z", real=True)
    outcome = numeric.check("t.two", Limit(sign(z), z, 0, "+-"), "=", sp.Integer(1), assume(Real(z)))
    assert outcome.outcome == "failed" and "from the left" in outcome.detail


def test_a_true_two_sided_limit_passes(make_step):
    z = sp.Symbol("z", real=True)
    result = status(make_step, Limit(z * sin(1 / z), z, 0, "+-"), "=", sp.Integer(0), assume(Real(z)))
    assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_a_symbol_stronger_than_its_declaration_is_refused():
    w = sp.Symbol("w", positive=True)
    with pytest.raises(DeclarationError, match="w is declared real"):
        Real(w, sp.Rational(-1, 50), 3)


@pytest.mark.parametrize("make", [
    lambda: Positive(sp.Symbol("u"), 0, 1),
    lambda: Positive(sp.Symbol("u"), -1, 1),
    lambda: Real(sp.Symbol("u"), 2, 1),
    lambda: Integer(sp.Symbol("u", integer=True), 5, 2),
    lambda: Integer(sp.Symbol("u", integer=True, positive=True), 0, 3),  # u ≥ 0 declared, u > 0 assumed
    lambda: Integer(sp.Symbol("v", even=True), 1, 3),
    lambda: RealVector(sp.IndexedBase("y", positive=True), 3),
], ids=["positive-from-0", "positive-from-negative", "empty-real", "empty-integer", "stronger-integer",
        "even-integer", "positive-vector"])
def test_impossible_declarations_are_refused(make):
    with pytest.raises(DeclarationError):
        make()


def test_symbolic_side_uses_the_declared_assumptions(make_step):
    # A symbol created without assumptions, declared positive: SymPy learns it is positive.
    y = sp.Symbol("y")
    result = status(make_step, y, ">", sp.Integer(0), assume(Positive(y)))
    assert result.status == VERIFIED, result


def test_a_summation_index_named_like_a_declared_index_is_not_settled(make_step):
    # The bound k of the sum is not the declared 1 ≤ k ≤ n: k ≤ n must not be settled inside it.
    summand = Piecewise((1, k <= n), (0, True))
    claim = make_step(Sum(summand, (k, 1, 2 * n)), "=", 2 * n, assume(Integer(n, 1, 6), Integer(k, 1, n)))
    result = check_step(claim)
    assert result.status == FAILED
    proof = symbolic.check_equal(claim.lhs, claim.rhs, declared_view(claim.assumptions))
    assert proof.outcome != "proved"


def test_an_escaped_symbol_discards_the_reduction():
    view = declared_view(assume(Integer(n, 1, 6)))
    with pytest.raises(Escaped, match="o"):
        view.guard(view.apply(n) + sp.Symbol("o"))


def test_an_undeclared_free_symbol_fails_the_symbolic_check():
    view = declared_view(assume(Integer(n, 1, 6)))
    outcome = symbolic.check_equal(n + sp.Symbol("o"), n + sp.Symbol("o"), view)
    assert outcome.outcome == "failed" and "o free in the checked expression" in outcome.detail


# ── 2. marks claim no more than was checked ─────────────────────────────────────────────────
MAX_AT_J = assume(Positive(t), Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n, max_at=j),
                  Constraint(x[i] <= x[j], forall=((i, 1, n),)))


# exp(-t)(2 + sin t) lies between 0 and 3 exp(-t): true, but no technique proves either bound.
WOBBLE = exp(-t) * (2 + sin(t))


def test_squeeze_over_numeric_only_bounds_is_numeric_only(make_step):
    reals = assume(Positive(t))
    low = make_step(sp.Integer(0), "<=", WOBBLE, reals, step_id="sq.low")
    up = make_step(WOBBLE, "<=", 3 * exp(-t), reals, step_id="sq.up")
    limit = make_step(Limit(WOBBLE, t, oo), "=", sp.Integer(0), reals, step_id="sq.lim",
                      rule=Squeeze(sp.Integer(0), 3 * exp(-t), "sq.low", "sq.up"))
    results = check_steps([low, up, limit], jobs=1)
    assert results["sq.low"].status == NUMERIC_ONLY
    assert results["sq.lim"].status == NUMERIC_ONLY
    assert "premise sq.low is numeric-only" in results["sq.lim"].message


def test_squeeze_over_verified_bounds_is_verified(make_step):
    reals = assume(Positive(t))
    low = make_step(sp.Integer(0), "<=", exp(-t), reals, step_id="v.low")
    up = make_step(exp(-t), "<=", 1 / t, reals, step_id="v.up")
    limit = make_step(Limit(exp(-t), t, oo), "=", sp.Integer(0), reals, step_id="v.lim",
                      rule=Squeeze(sp.Integer(0), 1 / t, "v.low", "v.up"))
    results = check_steps([low, up, limit], jobs=1)
    assert results["v.low"].status == VERIFIED
    assert results["v.lim"].status == weakest([results["v.low"].status, results["v.up"].status])


def test_a_box_takes_the_weakest_status_of_its_chain():
    from derive.render.view import document
    from derive.results import collect

    p = Problem(9, "box")
    part = p.part("a", "chain")
    d = part.derivation(assume(Positive(t)))
    d.step(sp.Integer(0), "<=", WOBBLE)  # numeric-only: no technique proves it
    last = d.step(WOBBLE, "=", WOBBLE * 1)  # proved on its own
    part.result("p9.a.box", "a boxed claim", last)
    results = check_steps(list(p.steps()), jobs=1)
    assert results[last.id].status == VERIFIED
    view = document([p], results, {}, "t", "a")
    blocks = view["problems"][0]["parts"][0]["blocks"]
    boxes = [b for blk in blocks for b in (blk["items"] if blk["kind"] == "results" else [blk]) if b["kind"] == "result"]
    box = boxes[0]
    assert box["status"] == NUMERIC_ONLY
    entry = collect([p])[0]
    assert entry.status(results) == NUMERIC_ONLY


def test_a_value_that_is_not_real_in_an_inequality_fails_naming_the_point(make_step):
    # log a ≤ a holds for every positive a, so the only counterexamples are the negative a,
    # where log a is not real (log a ≤ 5 also fails at a > e^5: which point came first then
    # depended on the step's id, that is on how many tests ran before).
    result = status(make_step, log(a), "<=", a, assume(Real(a)))
    assert result.status == FAILED
    assert "a=" in result.message and "not a real number" in result.message


# ── 4. numeric evidence ─────────────────────────────────────────────────────────────────────
def test_relative_tolerance_catches_a_tiny_term(make_step):
    result = status(make_step, b, "=", b + a / 10**30, assume(Real(a), Real(b)))
    assert result.status == FAILED


def test_relative_tolerance_for_small_values(make_step):
    # Both sides are below 1e-34 on the sampling range [1, 5]: an absolute tolerance passes it.
    result = status(make_step, exp(-80 * t), "=", exp(-81 * t), assume(Positive(t, 1, 5)))
    assert result.status == FAILED


def test_cancellation_is_not_mistaken_for_a_difference(make_step):
    big = assume(Real(a, 10**6, 10**7), Real(b, 10**6, 10**7))
    result = status(make_step, (a + b) ** 2 - a**2 - 2 * a * b, "=", b**2, big)
    assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_a_small_integer_grid_is_enumerated_exhaustively(make_step):
    # Wrong at exactly one of the 35 points 1 ≤ m ≤ k ≤ n ≤ 5 (and at none beyond n = 5).
    lhs = KroneckerDelta(n, 4) * KroneckerDelta(k, 3) * KroneckerDelta(m, 2) * x[k]
    outcome = numeric.check("t.grid", lhs, "=", sp.Integer(0),
                            assume(Integer(n, 1, 5), Integer(k, 1, n), Integer(m, 1, k), RealVector(x, n, lo=1, hi=2)))
    assert outcome.outcome == "failed" and "n=4" in outcome.detail and "k=3" in outcome.detail


def test_the_search_finds_a_narrow_violation(make_step):
    # False only for |a − 1/3| < 10^-4: random points almost never land there; the search does.
    outcome = numeric.check("t.narrow", (a - sp.Rational(1, 3)) ** 2, ">=", sp.Rational(1, 10**8), assume(Real(a)))
    assert outcome.outcome == "failed" and "search" in outcome.detail


def test_the_search_works_in_several_variables(make_step):
    lhs = (a - 1) ** 2 + (b + 2) ** 2
    outcome = numeric.check("t.narrow2", lhs, ">=", sp.Rational(1, 10**6), assume(Real(a), Real(b)))
    assert outcome.outcome == "failed"


def test_positive_reals_are_tried_near_zero_and_far_out(make_step):
    assert status(make_step, t, ">=", sp.Rational(1, 20), assume(Positive(t))).status == FAILED
    assert status(make_step, t, "<=", sp.Integer(100), assume(Positive(t))).status == FAILED


def test_the_maximum_takes_varied_values(make_step):
    # The maximum used to be drawn at the top of the range every time.
    assert status(make_step, x[j], ">=", sp.Integer(3), MAX_AT_J).status == FAILED


def test_ties_are_drawn_where_allowed(make_step):
    no_tie_claim = assume(Integer(k, 1, n), Constraint(Ne(k, j))) + MAX_AT_J
    assert status(make_step, x[k], "<", x[j], no_tie_claim).status == FAILED


def test_a_limit_along_integers_only_is_not_enough(make_step):
    # sin(π β)² is 0 at every integer β, but has no limit.
    result = status(make_step, Limit(sin(sp.pi * t) ** 2, t, oo), "=", sp.Integer(0), assume(Positive(t)))
    assert result.status == FAILED


def test_the_search_is_deterministic(make_step):
    first = numeric.check("t.same", (a - 1) ** 2, ">=", sp.Integer(0), assume(Real(a)))
    second = numeric.check("t.same", (a - 1) ** 2, ">=", sp.Integer(0), assume(Real(a)))
    assert first.outcome == second.outcome == "passed" and first.detail == second.detail


@pytest.mark.parametrize("name, lhs, rel, rhs, assumptions", [
    ("square", (a + b) ** 2, "=", a**2 + 2 * a * b + b**2, assume(Real(a), Real(b))),
    ("am-gm", a * b, "<=", (a**2 + b**2) / 2, assume(Real(a), Real(b))),
    ("softmax sums to 1", Sum(exp(x[i]) / Sum(exp(x[j]), (j, 1, n)), (i, 1, n)), "=", sp.Integer(1),
     assume(Integer(n, 1, 6), RealVector(x, n))),
    ("log-sum-exp above the maximum", x[j], "<=", log(Sum(exp(t * x[i]), (i, 1, n))) / t, MAX_AT_J),
    ("limit of log n / t", Limit(log(n) / t, t, oo), "=", sp.Integer(0), assume(Positive(t), Integer(n, 1, 6))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_true_statements_still_pass(make_step, name, lhs, rel, rhs, assumptions):
    assert status(make_step, lhs, rel, rhs, assumptions).status in (VERIFIED, NUMERIC_ONLY)


# ── more attempts to fool the checker ───────────────────────────────────────────────────────
def test_a_limit_variable_is_bound(make_step):
    # lim 1/b = 0, not 1/b: the b outside the limit keeps its value while the limit's b moves.
    result = status(make_step, Limit(1 / t, t, oo), "=", 1 / t, assume(Positive(t)))
    assert result.status == FAILED


def test_a_premise_proved_for_positives_does_not_serve_a_two_sided_limit(make_step):
    z = sp.Symbol("z", real=True)
    premise_domain = assume(Positive(z))
    low = make_step(sp.Integer(1), "<=", sign(z), premise_domain, step_id="nar.low")
    up = make_step(sign(z), "<=", sp.Integer(1), premise_domain, step_id="nar.up")
    limit = make_step(Limit(sign(z), z, 0, "+-"), "=", sp.Integer(1), assume(Real(z)), step_id="nar.lim",
                      rule=Squeeze(sp.Integer(1), sp.Integer(1), "nar.low", "nar.up"))
    result = check_steps([low, up, limit], jobs=1)["nar.lim"]
    assert result.status == FAILED


def test_a_premise_resting_on_an_extra_constraint_is_refused(make_step):
    z = sp.Symbol("z", real=True)
    narrow = assume(Real(z), Constraint(z > 0))
    low = make_step(sp.Integer(1), "<=", sign(z), narrow, step_id="con.low")
    up = make_step(sign(z), "<=", sp.Integer(1), narrow, step_id="con.up")
    limit = make_step(Limit(sign(z), z, 0, "+"), "=", sp.Integer(1), assume(Real(z)), step_id="con.lim",
                      rule=Squeeze(sp.Integer(1), sp.Integer(1), "con.low", "con.up"))
    result = check_steps([low, up, limit], jobs=1)["con.lim"]
    assert result.status == FAILED and "z > 0" in result.message


def test_an_evaluation_error_is_a_failure_not_a_crash(make_step):
    result = status(make_step, 1 / a, "=", 1 / a, assume(Real(a, -1, 1)))
    assert result.status in (FAILED, VERIFIED, NUMERIC_ONLY)  # 1/0 at a = 0 fails; never raises


def test_a_non_strict_inequality_has_no_slack(make_step):
    # Violated by 10^-50 only: below any tolerance, but not rounding (it survives doubled precision).
    result = status(make_step, b, "<=", b - sp.Rational(1, 10**50), assume(Real(b)))
    assert result.status == FAILED


def test_rounding_at_an_equality_case_is_no_violation(make_step):
    # S ≥ 1 with equality whenever every other entry is far below, exp(-huge) = 0 to any precision.
    S = Sum(exp(t * (x[i] - x[j])), (i, 1, n))
    result = status(make_step, sp.Integer(1), "<=", S, MAX_AT_J)
    assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_an_index_with_its_own_range_is_no_declaration(make_step):
    # sp.Idx carries a range SymPy would use as a fact; only declarations are facts.
    kk = sp.Idx(sp.Symbol("kk", integer=True), (1, 6))
    outcome = symbolic.check_equal(Sum(KroneckerDelta(i, kk), (i, 1, 6)), sp.Integer(1),
                                   declared_view(assume(Integer(sp.Symbol("kk", integer=True)))))
    assert outcome.outcome == "failed" and "Idx" in outcome.detail


@pytest.mark.parametrize("lhs, rhs", [
    (log(a * b), log(a) + log(b)),
    (sp.sqrt(a**2 * b**2), a * b),
    ((a * b) ** sp.Rational(1, 3), a ** sp.Rational(1, 3) * b ** sp.Rational(1, 3)),
], ids=["log of a product", "root of a square", "cube root of a product"])
def test_no_proof_ignores_the_signs_of_reals(lhs, rhs):
    outcome = symbolic.check_equal(lhs, rhs, declared_view(assume(Real(a), Real(b))))
    assert outcome.outcome != "proved", outcome


def test_cancellation_inside_a_factor_is_rounding_not_a_difference(make_step):
    # At a ≈ 250 the left side cancels to 0 at 60 digits while the right is 1e-109: the terms
    # that cancel are of size 1, so the difference is rounding.
    result = status(make_step, 1 - 1 / (1 + exp(-a)), "=", exp(-a) / (1 + exp(-a)), assume(Real(a, -300, 300)))
    assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_a_removable_singularity_is_no_counterexample(make_step):
    # SymPy writes d/da a^n as n·a^n/a, undefined at a = 0 (a drawn point); the claim holds elsewhere.
    result = status(make_step, sp.Derivative(a**n, a), "=", n * a ** (n - 1), assume(Integer(n, 1, 6), Real(a)))
    assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_a_nonnegative_real_is_tried_at_zero(make_step):
    from derive.core.assumptions import NonNegative

    u = sp.Symbol("u", nonnegative=True)
    # (overclaim.py does not know NonNegative yet and distrusts the proof: numeric-only.)
    assert status(make_step, u, ">=", sp.Integer(0), assume(NonNegative(u))).status in (VERIFIED, NUMERIC_ONLY)
    assert status(make_step, sp.sqrt(u), ">", sp.Integer(0), assume(NonNegative(u))).status == FAILED
    with pytest.raises(DeclarationError):
        NonNegative(sp.Symbol("w"), -1, 2)
