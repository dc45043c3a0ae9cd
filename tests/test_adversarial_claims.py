"""False statements built to slip past the checker's proof techniques must never get a ✓.

Each attempt targets one technique (symbolic, slack, sums, matrices, arbitrary functions,
display forms, the squeeze rule) with a claim that is false for some admissible input — often
one the numeric sampler never draws, so only a sound proof method keeps it from a ✓. The
first group got a false ✓ before the fixes named in their comments; the rest were rejected
already and guard against regressions. A few true statements close the file: they must stay ✓.
"""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import Ne, Piecewise, Sum, exp

from derive.core.assumptions import Constraint, Integer, Positive, Real, RealMatrix, RealVector, assume
from derive.core.checks import slack
from derive.core.checks.result import FAILED, VERIFIED
from derive.core.checks.runner import check_step, check_steps
from derive.core.functions import arbitrary
from derive.core.step import Squeeze, Step

n = sp.Symbol("n", integer=True, positive=True)
i, j, k, m = sp.symbols("i j k m", integer=True, positive=True)
r, s, t = sp.symbols("r s t", integer=True)
x = sp.IndexedBase("x", real=True)
rr, ss = sp.symbols("r s", integer=True, positive=True)
beta = sp.Symbol("beta", positive=True)
X = sp.Symbol("X", real=True)
T = sp.Symbol("T", real=True)

MAX_AT_J = Constraint(x[i] <= x[j], forall=((i, 1, n),))
AT_MIN = assume(Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n), Constraint(x[i] >= x[j], forall=((i, 1, n),)))


def bracket(condition):
    return Piecewise((1, condition), (0, True))


def triangle(condition):
    """Σ_{r=1}^{m} Σ_{s=1}^{n} [condition]: a nested bracketed sum."""
    return Sum(bracket(condition), (ss, 1, n), (rr, 1, m))


def status(step_id, lhs, rel, rhs, assumptions, **extra) -> str:
    return check_step(Step(step_id, lhs, rel, rhs, assumptions=assumptions, **extra)).status


def at_max(*extra, **vector):
    return assume(Positive(beta), Integer(n, 1, 6), Integer(j, 1, n), Integer(k, 1, n),
                  RealVector(x, n, max_at=j, **vector), *extra)


# ── False ✓ before the fixes ───────────────────────────────────────────────────────────────


def test_a_symbol_created_positive_but_declared_real_proves_nothing():
    # Shown as H ∈ ℝ, yet SymPy proved H + 1 > 0 from positive=True, and the samples (H in
    # [0, 3]) agree: a false ✓ before overclaim.py.
    hidden = sp.Symbol("hidden", positive=True)
    assert status("adv.strong", hidden + 1, ">", sp.Integer(0), assume(Real(hidden, 0, 3))) != VERIFIED


def test_a_vector_created_positive_but_declared_real_proves_nothing():
    z = sp.IndexedBase("z", positive=True)
    assert status("adv.strongvec", z[k] + 1, ">", sp.Integer(0),
                  assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(z, n, lo=0, hi=3))) != VERIFIED


def test_an_integer_created_positive_with_lower_bound_zero_proves_nothing():
    # Shown as "a ≥ 0 an integer"; a positive=True symbol let SymPy prove a ≥ 1.
    a = sp.Symbol("a", integer=True, positive=True)
    assert status("adv.strongint", a, ">=", sp.Integer(1), assume(Integer(a, 0, 6))) != VERIFIED


def test_a_positive_summation_index_running_below_one_proves_nothing():
    # With i created positive SymPy simplified √(i² + 2i + 1) to i + 1 and proved the sums
    # equal; they differ once the sum reaches i = −2 (m ≥ 3), which the samples (m ≤ 2) never
    # do: a false ✓ before overclaim.bound_overclaims.
    assert status("adv.boundpos", Sum(sp.sqrt(i**2 + 2 * i + 1), (i, 1 - m, n)), "=", Sum(i + 1, (i, 1 - m, n)),
                  assume(Integer(n, 1, 6), Integer(m, 1, 2))) != VERIFIED
    # A summand SymPy rewrote on construction (√(i²) − i to 0) shows a true "Σ 0 = 0"; it is
    # still not proved, as nothing tells the two cases apart.
    assert status("adv.boundpos0", Sum(sp.sqrt(i**2) - i, (i, -n, n)), "=", sp.Integer(0),
                  assume(Integer(n, 1, 6))) != VERIFIED


def test_a_positive_quantified_index_from_zero_proves_nothing():
    c = sp.IndexedBase("c", real=True)
    # "c_i ≥ 0 for all 0 ≤ i ≤ n" with a positive i: the quantifier's range starts below i's sign.
    declared = assume(Integer(n, 1, 6), RealVector(c, n + 1, lo=0, hi=3),
                      Constraint(c[i] >= 0, forall=((i, 0, n),)))
    from derive.core.checks import overclaim

    assert overclaim.bound_overclaims([], declared)


def test_a_free_entry_replaced_inside_a_sum_over_the_same_named_index_is_not_captured():
    # x[k] ≤ x[j] for the free j; inside Σ over a bound j the replacement x[j] − d named the
    # bound j, so Σ_j (x[k] − x[j]) became −n·d: "proved" (fix: slack._bound_piece). With all
    # entries tied, every sample has both sides 0.
    lhs, rhs = Sum(x[k] - x[j], (j, 1, n)), n * (x[j] - x[k])
    assert slack.prove_order(lhs, "<=", rhs, at_max(MAX_AT_J)).outcome != "proved"
    assert status("adv.capture", lhs, "<=", rhs, at_max(MAX_AT_J, ties=n)) != VERIFIED


@pytest.mark.parametrize("point,direction", [(0, "-"), (-sp.oo, "+")], ids=["zero_from_below", "minus_infinity"])
def test_a_positive_limit_variable_approaching_from_below_zero_proves_nothing(point, direction):
    # With Tp created positive SymPy "proved" lim_{Tp→0⁻} √(Tp⁴ + Tp²)/Tp = 1 (it is −1); the
    # numeric check caught it, but no method may claim a proof (fix: overclaim's limit variables).
    Tp = sp.Symbol("Tp", positive=True)
    result = check_step(Step("adv.limside", sp.Limit(sp.sqrt(Tp**4 + Tp**2) / Tp, Tp, point, direction), "=",
                             sp.Integer(1), assumptions=assume(Positive(Tp))))
    assert result.status != VERIFIED
    assert not any(m.outcome == "proved" for m in result.methods)


@pytest.mark.xfail(reason="prepare.settle_index_conditions: soundness's declared view (not yet merged) "
                          "drops sampling upper bounds", strict=False)
def test_a_sampling_upper_bound_settles_no_condition():
    # Shown as "n ≥ 1 an integer"; the sampling range n ≤ 6 settled [n ≤ 6] to 1.
    assert status("adv.settle", Piecewise((1, n <= 6), (0, True)), "=", sp.Integer(1),
                  assume(Integer(n, 1, 6))) != VERIFIED


@pytest.mark.xfail(reason="prepare.settle_index_conditions: soundness's declared view (not yet merged) "
                          "renames bound variables", strict=False)
def test_a_free_index_bound_is_not_applied_to_a_summation_index_of_the_same_name():
    # k ≤ n holds for the free k, not the summation k; m ≤ n is never declared (m ≤ 6 ≤ n in
    # every sample only), so Σ_{k=1}^{m} [k ≤ n] = m is unproved.
    assert status("adv.samename", Sum(Piecewise((1, k <= n), (0, True)), (k, 1, m)), "=", m,
                  assume(Integer(n, 6, 9), Integer(k, 1, n), Integer(m, 1, 6))) != VERIFIED


# ── Rejected already (regression guards) ─────────────────────────────────────────────────────

FALSE_CLAIMS = {
    # slack: order used the wrong way round, strict at a tie, sums with the wrong count
    "slack.wrongdir": (x[j], "<=", x[k], at_max(MAX_AT_J)),
    "slack.strict_tie": (x[k], "<", x[j], at_max(MAX_AT_J)),
    "slack.sum_strict": (Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), "<", n, at_max(MAX_AT_J)),
    "slack.sum_gt1": (Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), ">", sp.Integer(1), at_max(MAX_AT_J)),
    "slack.diff_sign": (Sum(x[i] - x[j], (i, 1, n)), ">=", sp.Integer(0), at_max(MAX_AT_J)),
    "slack.samename": (Sum(exp(beta * (x[i] - x[j])), (j, 1, n)), "<=", n, at_max(MAX_AT_J)),
    "slack.capture_exp": (Sum(exp(x[k] - x[j]), (j, 1, n)), "<=", n + x[j] - x[k], at_max(MAX_AT_J)),
    # slack: a constraint over a sub-range, or only where i ≠ m / i > k, used beyond it
    "slack.where_k": (x[k], "<=", x[m] - 1, assume(Integer(n, 2, 6), Integer(m, 1, n), Integer(k, 1, n),
                                                   RealVector(x, n, max_at=m, gap=1),
                                                   Constraint(x[i] <= x[m] - 1, forall=((i, 1, n),),
                                                              where=Ne(i, m)))),
    "slack.where_sum": (Sum(exp(x[i] - x[m]), (i, 1, n)), "<=", n * exp(-1),
                        assume(Integer(n, 2, 6), Integer(m, 1, n), RealVector(x, n, max_at=m, gap=1),
                               Constraint(x[i] <= x[m] - 1, forall=((i, 1, n),), where=Ne(i, m)))),
    "slack.where_gt_off_by_one": (Sum(exp(x[i]), (i, k, n)), "<=", n - k,
                                  assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n, hi=0),
                                         Constraint(x[i] <= 0, forall=((i, 1, n),), where=sp.Gt(i, k)))),
    "slack.backwards": (Sum(exp(x[i] - x[j]), (i, k, m)), "<=", m - k + 1,
                        assume(Integer(n, 1, 6), Integer(j, 1, n), Integer(k, 1, n), Integer(m, 1, n),
                               RealVector(x, n, max_at=j), MAX_AT_J)),
    # slack with a declared minimum: the order used upside down
    "slack.min_upside_down": (Sum(exp(x[i] - x[j]), (i, 1, n)), "<=", n, AT_MIN),
    "slack.min_reversed": (Sum(exp(x[j] - x[i]), (i, 1, n)), ">=", n, AT_MIN),
    # sums: off-by-one closed forms, strict brackets, wrong shifts and reflections
    "sums.closed_off_by_one": (Sum(Piecewise((1, i <= k), (0, True)), (i, 1, n)), "=", k + 1,
                               assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.closed_tail_off_by_one": (Sum(Piecewise((1, i >= k), (0, True)), (i, 1, n)), "=", n - k,
                                    assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.closed_ceiling": (Sum(Piecewise((1, 2 * i <= k), (0, True)), (i, 1, n)), "=", sp.ceiling(k / 2),
                            assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.strict_bracket": (Sum(Piecewise((x[i], i < k), (0, True)), (i, 1, n)), "=", Sum(x[i], (i, 1, k)),
                            assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n))),
    "sums.shift_capture": (Sum(x[i] * j, (i, 1, n)), "=", Sum(x[j - 1] * j, (j, 2, n + 1)),
                           assume(Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n + 1))),
    "sums.weighted_reflection": (Sum(i * x[i], (i, 1, n)), "=", Sum((n + 1 - i) * x[i], (i, 1, n)),
                                 assume(Integer(n, 1, 6), RealVector(x, n))),
    "sums.blocks_overlap": (Sum(x[2 * r + s], (s, 1, 3), (r, 0, m - 1)), "=", Sum(x[t], (t, 1, 3 * m)),
                            assume(Integer(m, 1, 3), RealVector(x, 3 * m))),
    "sums.shift_drops_a_term": (Sum(x[i], (i, 1, n)), "=", Sum(x[i - 1], (i, 2, n)),
                                assume(Integer(n, 1, 6), RealVector(x, n))),
    "sums.closed_triangle_off_by_one": (Sum(Piecewise((i, i <= k), (0, True)), (i, 1, n)), "=", k * (k - 1) / 2,
                                        assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.window_outside": (Sum(Piecewise((1, sp.And(k <= i, i <= k + 2)), (0, True)), (i, 1, n)), "=",
                            sp.Integer(3), assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.nested_off_by_one": (triangle(ss <= rr), "=", m * (m - 1) / 2, assume(Integer(n, 1, 6), Integer(m, 1, n))),
    "sums.nested_strict_wrong": (triangle(ss < rr), "=", m * (m + 1) / 2, assume(Integer(n, 1, 6), Integer(m, 1, n))),
    # matrices: identities true only for symmetric or commuting matrices
    "matrix.symmetric": (sp.MatrixSymbol("A", 2, 2).T, "=", sp.MatrixSymbol("A", 2, 2),
                         assume(RealMatrix(sp.MatrixSymbol("A", 2, 2)))),
    "matrix.commute": (sp.MatrixSymbol("A", 2, 2) * sp.MatrixSymbol("B", 2, 2), "=",
                       sp.MatrixSymbol("B", 2, 2) * sp.MatrixSymbol("A", 2, 2),
                       assume(RealMatrix(sp.MatrixSymbol("A", 2, 2)), RealMatrix(sp.MatrixSymbol("B", 2, 2)))),
}

# Sums a sampler never falsifies: true for every drawn size, false beyond (or for undeclared
# sizes). Not a false statement at the samples, so "not verified" is all that can be asked.
UNPROVABLE_CLAIMS = {
    "sums.small_n": (Sum(Piecewise((1, i <= 6), (0, True)), (i, 1, n)), "=", n, assume(Integer(n, 1, 6))),
    "sums.k_beyond_n": (Sum(Piecewise((1, i <= k), (0, True)), (i, 1, n)), "=", k,
                        assume(Integer(n, 6, 6), Integer(k, 1, 6))),
    "sums.backwards_count": (Sum(Piecewise((1, i >= k), (0, True)), (i, 1, n)), "=", n - k + 1,
                             assume(Integer(n, 6, 6), Integer(k, 1, 6))),
    "sums.bracket_k_free": (Sum(Piecewise((x[i], i <= k), (0, True)), (i, 1, n)), "=", Sum(x[i], (i, 1, k)),
                            assume(Integer(n, 6, 6), Integer(k, 1, 6), RealVector(x, n))),
    "slack.subrange": (x[k], "<=", x[j], assume(Integer(n, 1, 6), Integer(j, 1, n), Integer(k, 1, n),
                                                RealVector(x, n, max_at=j),
                                                Constraint(x[i] <= x[j], forall=((i, 1, j),)))),
    "slack.where_gt": (Sum(exp(x[i]), (i, 1, n)), "<=", n,
                       assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n, hi=0),
                              Constraint(x[i] <= 0, forall=((i, 1, n),), where=sp.Gt(i, k)))),
    "sums.nested_m_beyond_n": (triangle(ss <= rr), "=", m * (m + 1) / 2, assume(Integer(n, 6, 6), Integer(m, 1, 6))),
    "slack.subrange_sum": (Sum(exp(x[i] - x[j]), (i, 1, n)), "<=", n,
                           assume(Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n, max_at=j),
                                  Constraint(x[i] <= x[j], forall=((i, 1, j),)))),
}


@pytest.mark.parametrize("name", sorted(FALSE_CLAIMS))
def test_a_false_claim_fails(name):
    lhs, rel, rhs, assumptions = FALSE_CLAIMS[name]
    assert status(f"adv.{name}", lhs, rel, rhs, assumptions) == FAILED


@pytest.mark.parametrize("name", sorted(UNPROVABLE_CLAIMS))
def test_a_claim_true_only_at_the_samples_is_not_verified(name):
    lhs, rel, rhs, assumptions = UNPROVABLE_CLAIMS[name]
    assert status(f"adv.{name}", lhs, rel, rhs, assumptions) != VERIFIED


f, g = arbitrary("f"), arbitrary("g")
u = sp.Symbol("u", real=True)


@pytest.mark.parametrize("lhs,rhs", [
    (sp.Derivative(f(g(X)), X), sp.Derivative(f(X), X) * sp.Derivative(g(X), X)),  # chain rule at the wrong point
    (f(g(X)), g(f(X))),
    (f(-X), f(X)),  # true for even stand-ins only
    (sp.diff(f(X) ** 2, X), 2 * f(X)),
], ids=["chain_at_x", "compose_commutes", "even", "power_rule_no_inner"])
def test_an_identity_true_only_for_some_functions_fails(lhs, rhs):
    assert status("adv.arbitrary", lhs, "=", rhs, assume(Real(X))) == FAILED


def test_a_display_that_differs_from_the_checked_form_fails():
    assert status("adv.display", (X + 1) ** 2, "=", X**2 + 2 * X + 1, assume(Real(X)),
                  display=(None, X**2 + 2 * X + 2)) == FAILED
    assert status("adv.display2", (X + 1) ** 2, "=", X**2 + 2 * X + 1, assume(Real(X)),
                  display=((X - 1) ** 2, None)) == FAILED
    # |X| shown as X: equal on the sampled X ≥ 0 only, so at best numeric-only
    assert status("adv.display3", sp.Abs(X), "=", sp.Abs(X), assume(Real(X, 0, 3)), display=(None, X)) != VERIFIED


def test_a_squeeze_over_premises_about_another_function_fails():
    Tp = sp.Symbol("Tp", positive=True)
    lower = Step("adv.sq.lo", -1 / Tp, "<=", sp.sin(Tp) / Tp, assumptions=assume(Positive(Tp, 1, 50)))
    upper = Step("adv.sq.up", sp.sin(Tp) / Tp, "<=", 1 / Tp, assumptions=assume(Positive(Tp, 1, 50)))
    claim = Step("adv.sq", sp.Limit(sp.cos(Tp) / Tp, Tp, sp.oo), "=", sp.Integer(0),
                 assumptions=assume(Positive(Tp, 1, 50)), rule=Squeeze(-1 / Tp, 1 / Tp, "adv.sq.lo", "adv.sq.up"))
    assert check_steps([lower, upper, claim], jobs=1)["adv.sq"].status == FAILED


def test_a_one_sided_limit_squeezed_from_the_other_side_fails():
    sign = X / sp.Abs(X)
    premise = Step("adv.side.p", sign, "<=", sign, assumptions=assume(Real(X)))
    claim = Step("adv.side", sp.Limit(sign, X, 0, "-"), "=", sp.Integer(1), assumptions=assume(Real(X)),
                 rule=Squeeze(sign, sign, "adv.side.p", "adv.side.p"))
    assert check_steps([premise, claim], jobs=1)["adv.side"].status == FAILED


def test_a_squeeze_over_premises_whose_names_are_defined_otherwise_fails():
    # The premises say 0 ≤ g ≤ 0 with g := 0 in their derivation; the limit step has
    # g := sin(πT), which is 0 at every integer the limit check visits: a false ✓ before
    # runner._premise_problem compared what the names mean.
    Tp = sp.Symbol("Tp", positive=True)
    name = sp.Symbol("g", real=True)
    declared = assume(Positive(Tp, 1, 50))
    zero, wave = ((name, sp.Integer(0)),), ((name, sp.sin(sp.pi * Tp)),)
    lower = Step("adv.def.lo", sp.Integer(0), "<=", name, assumptions=declared, definitions=zero)
    upper = Step("adv.def.up", name, "<=", sp.Integer(0), assumptions=declared, definitions=zero)
    claim = Step("adv.def", sp.Limit(name, Tp, sp.oo), "=", sp.Integer(0), assumptions=declared,
                 definitions=wave, rule=Squeeze(sp.Integer(0), sp.Integer(0), "adv.def.lo", "adv.def.up"))
    assert check_steps([lower, upper, claim], jobs=1)["adv.def"].status == FAILED


def test_a_limit_that_does_not_exist_is_not_verified():
    # sin(πT) is 0 at every integer T the numeric limit check visits (numeric.LIMIT_SEQUENCE),
    # so only the missing proof keeps this from a ✓ (it is ≈ today: a weakness of numeric.py).
    Tp = sp.Symbol("Tp", positive=True)
    assert status("adv.nolimit", sp.Limit(sp.sin(sp.pi * Tp), Tp, sp.oo), "=", sp.Integer(0),
                  assume(Positive(Tp, 1, 50))) != VERIFIED


# ── True statements stay ✓ ──────────────────────────────────────────────────────────────────

TRUE_CLAIMS = {
    "sums.closed": (Sum(Piecewise((1, i <= k), (0, True)), (i, 1, n)), "=", k, assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.closed_tail": (Sum(Piecewise((1, i >= k), (0, True)), (i, 1, n)), "=", n - k + 1,
                         assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.strict_bracket": (Sum(Piecewise((x[i], i < k), (0, True)), (i, 1, n)), "=", Sum(x[i], (i, 1, k - 1)),
                            assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n))),
    "sums.closed_triangle": (Sum(Piecewise((i, i <= k), (0, True)), (i, 1, n)), "=", k * (k + 1) / 2,
                             assume(Integer(n, 1, 6), Integer(k, 1, n))),
    "sums.window_inside": (Sum(Piecewise((1, sp.And(k <= i, i <= k + 2)), (0, True)), (i, 1, n)), "=",
                           sp.Integer(3), assume(Integer(n, 3, 8), Integer(k, 1, n - 2))),
    "sums.blocks": (Sum(x[3 * r + s], (s, 1, 3), (r, 0, m - 1)), "=", Sum(x[t], (t, 1, 3 * m)),
                    assume(Integer(m, 1, 3), RealVector(x, 3 * m))),
    "sums.nested": (triangle(ss <= rr), "=", m * (m + 1) / 2, assume(Integer(n, 1, 6), Integer(m, 1, n))),
    "sums.nested_strict": (triangle(ss < rr), "=", m * (m - 1) / 2, assume(Integer(n, 1, 6), Integer(m, 1, n))),
    "slack.min": (Sum(exp(x[j] - x[i]), (i, 1, n)), "<=", n, AT_MIN),
    "slack.sum_ge1": (Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), ">=", sp.Integer(1), at_max(MAX_AT_J)),
    "slack.where_gt": (Sum(exp(x[i]), (i, k + 1, n)), "<=", n - k,
                       assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n, hi=0),
                              Constraint(x[i] <= 0, forall=((i, 1, n),), where=sp.Gt(i, k)))),
    "window.corners": (Sum(1, (sp.Symbol("p", integer=True, nonnegative=True), 0, n - 3)), "=", n - 2,
                       assume(Integer(n, 3, 9))),
}


@pytest.mark.parametrize("name", sorted(TRUE_CLAIMS))
def test_a_true_claim_is_still_verified(name):
    lhs, rel, rhs, assumptions = TRUE_CLAIMS[name]
    assert status(f"adv.{name}", lhs, rel, rhs, assumptions) == VERIFIED
