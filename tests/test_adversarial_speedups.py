"""False steps aimed at the check phase's speed-ups (branch p4gen): derivatives worked out once
and their sums evaluated term by term, the cheap exact decision by derivatives and Kronecker-delta
sums, stand-ins passed to sides compiled once, the stand-ins' family derivatives, the declared
view's remembered expressions, and index facts that skip SymPy. Each false step must get neither ✓
nor ≈; beside it a true twin must still be accepted, so that a test tells a broken checker from a
merely strict one. A hole that is still open is an ``xfail(strict=True)`` naming it.
"""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp
from sympy import Derivative, Eq, Integral, KroneckerDelta, Piecewise, Product, Subs, Sum, log

from derive.core import functions
from derive.core.assumptions import Integer, Positive, Real, RealVector, assume
from derive.core.checks import facts, numeric, symbolic
from derive.core.checks.prepare import declared_view
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step

MARKED = (VERIFIED, NUMERIC_ONLY)

x = sp.Symbol("x", real=True)
t = sp.Symbol("t", real=True)
u = sp.Symbol("u", real=True)
xi = sp.Symbol("xi", real=True)
m = sp.Symbol("m", integer=True)  # a size that may be negative: Σ_{j=1}^{m} may run backwards
size = sp.Symbol("s", integer=True, nonnegative=True)  # a size that may be 0
n, f_, p = sp.symbols("n f p", integer=True, positive=True)
p0 = sp.Symbol("p0", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True)
y = sp.IndexedBase("y", real=True)

f = functions.arbitrary("f_adv_speed")
g = functions.arbitrary("g_adv_speed")


def _fails_at(lhs, rel, rhs, assumptions) -> bool:
    """The numeric check, pinned to one point, finds the claim false there."""
    return numeric.check("adv.speed.witness", lhs, rel, rhs, assumptions).outcome == "failed"


def _status(make_step, lhs, rel, rhs, assumptions) -> str:
    result = check_step(make_step(lhs, rel, rhs, assumptions))
    return result.status


# ── a derivative's sums, evaluated term by term (6f9b22f) ────────────────────────────────────
# Σ_{j=1}^{m} j is 0 terms for m ≤ 0 as the reader (and the PDF) reads it; SymPy's summation
# (Karr) gives m(m+1)/2 there, which is 1 at m = −2. A derivative used to be worked out by a deep
# doit, which summed the Sum it holds by Karr's convention, so d/dx [x Σ_{j=1}^{m} j] = m(m+1)/2
# got ≈ (bc7496e); since 6f9b22f the sum is left to the term-by-term evaluation.
BACKWARDS = assume(Integer(m, -5, 5), Real(x, -2, 2))
READER_TRIANGLE = Piecewise((m * (m + 1) / 2, m >= 0), (0, True))


def test_a_derivative_of_a_sum_that_may_run_backwards_is_not_summed_by_karr(make_step):
    assert _fails_at(Derivative(x * Sum(j, (j, 1, m)), x), "=", m * (m + 1) / 2,
                     assume(Integer(m, -2, -2), Real(x, -2, 2)))
    assert _status(make_step, Derivative(x * Sum(j, (j, 1, m)), x), "=", m * (m + 1) / 2, BACKWARDS) == FAILED
    # The true twin: what the reader means (no terms when m < 1).
    assert _status(make_step, Derivative(x * Sum(j, (j, 1, m)), x), "=", READER_TRIANGLE, BACKWARDS) in MARKED


# HOLE (6f9b22f kept it, "as before"): compiled._taken_once evaluates a derivative deeply
# (node.doit()) when its result holds an Integral, a Limit, a Product or a further Derivative or
# Subs; the deep doit then also sums every Sum in the result by SymPy, under Karr's convention
# (Σ_{j=1}^{−2} j = 1) and with non-integer limits (Σ_{j=1}^{n/2} 1 = n/2 for odd n). The numeric
# check compares against that and passes a false claim. ∫_0^1 dt = 1 and Π_{t=1}^{2} 1 = 1 here,
# so each claim is the one above, which the term-by-term evaluation refutes.
ONE_BY_INTEGRAL = Integral(1, (t, 0, 1))
ONE_BY_PRODUCT = Product(1, (t, 1, 2))


def test_a_derivative_holding_an_integral_does_not_sum_a_backwards_range_by_karr(make_step):
    lhs = Derivative(x * Sum(j * ONE_BY_INTEGRAL, (j, 1, m)), x)
    assert _status(make_step, lhs, "=", m * (m + 1) / 2, BACKWARDS) not in MARKED


def test_a_derivative_holding_a_product_does_not_sum_an_empty_range_by_karr(make_step):
    # A size s ≥ 0: Σ_{j=2}^{s} j is empty at s = 0 and s = 1 (0), Karr gives s(s+1)/2 − 1 (−1, 0).
    lhs = Derivative(x * Sum(j * ONE_BY_PRODUCT, (j, 2, size)), x)
    assert _fails_at(Derivative(x * Sum(j, (j, 2, size)), x), "=", size * (size + 1) / 2 - 1,
                     assume(Integer(size, 0, 0), Real(x, -2, 2)))
    assert _status(make_step, lhs, "=", size * (size + 1) / 2 - 1, assume(Integer(size, 0, 5), Real(x, -2, 2))) \
        not in MARKED


def test_a_derivative_holding_an_integral_does_not_count_half_a_term(make_step):
    lhs = Derivative(x * Sum(ONE_BY_INTEGRAL, (j, 1, n / 2)), x)
    assert _status(make_step, Derivative(x * Sum(1, (j, 1, n / 2)), x), "=", n / 2,
                   assume(Integer(n, 1, 6), Real(x, -2, 2))) == FAILED
    assert _status(make_step, lhs, "=", n / 2, assume(Integer(n, 1, 6), Real(x, -2, 2))) not in MARKED


def test_a_derivative_holding_an_integral_keeps_the_readers_empty_range(make_step):
    lhs = Derivative(x * Sum(j * ONE_BY_INTEGRAL, (j, 1, m)), x)
    assert _status(make_step, lhs, "=", READER_TRIANGLE, BACKWARDS) in MARKED


def test_a_derivative_holding_an_integral_over_a_forwards_range_is_verified(make_step):
    # The true twin of the holes above: the range provably runs forwards, so both conventions agree.
    lhs = Derivative(x * Sum(j * ONE_BY_INTEGRAL, (j, 1, size)), x)
    assert _status(make_step, lhs, "=", size * (size + 1) / 2, assume(Integer(size, 0, 5), Real(x, -2, 2))) == VERIFIED


# ── the cheap exact decision: derivatives and Kronecker-delta sums (858b0f7, 9dc1282) ─────────
def _delta_sum(point, top):
    return Sum(KroneckerDelta(point, j) * (j + 1), (j, 1, top))


def test_a_delta_whose_point_may_lie_before_the_range_is_not_the_term(make_step):
    # p0 = 0 is declared possible: Σ_{j=1}^{f} δ_{p0,j}(j + 1) is then 0, not 1.
    claim = (_delta_sum(p0, f_), "=", p0 + 1)
    assert _status(make_step, *claim, assume(Integer(f_, 1, 4), Integer(p0, 0, f_))) == FAILED
    assert _status(make_step, _delta_sum(p, f_), "=", p + 1, assume(Integer(f_, 1, 4), Integer(p, 1, f_))) == VERIFIED


def test_a_strict_bound_in_place_of_a_non_strict_one_is_not_settled(make_step):
    # With p ≤ f declared, [p ≤ f] is settled true; [p < f] is not (p = f).
    declared = assume(Integer(f_, 1, 4), Integer(p, 1, f_))
    strict = Piecewise((p + 1, p < f_), (0, True))
    assert _status(make_step, _delta_sum(p, f_), "=", strict, declared) == FAILED
    loose = assume(Integer(f_, 1, 4), Integer(p, 1, 6))  # p ≤ f not declared: the bracket must stay
    assert _status(make_step, _delta_sum(p, f_), "=", Piecewise((p + 1, p <= f_), (0, True)), loose) == VERIFIED


def test_a_delta_sum_over_an_empty_range_is_zero(make_step):
    # A size s ≥ 0: at s = 0 the range 1..0 is empty and the delta sum is 0.
    declared = assume(Integer(size, 0, 4), Integer(p, 1, 6))
    assert _status(make_step, _delta_sum(p, size), "=", p + 1, declared) == FAILED
    assert _status(make_step, _delta_sum(p, size), "=", Piecewise((p + 1, p <= size), (0, True)), declared) == VERIFIED


def test_a_delta_with_the_summed_index_on_both_sides_is_not_solved_blindly(make_step):
    jj = sp.Symbol("jj", integer=True)
    # δ_{j,−j} holds at j = 0 only, outside 1..f: the sum is 0.
    assert _status(make_step, Sum(KroneckerDelta(jj, -jj), (jj, 1, f_)), "=", 1, assume(Integer(f_, 1, 4))) == FAILED
    assert _status(make_step, Sum(KroneckerDelta(jj, -jj), (jj, -f_, f_)), "=", 1, assume(Integer(f_, 1, 4))) in MARKED
    # δ_{j,p−j} needs 2j = p: no term for an odd p.
    half = Sum(KroneckerDelta(jj, p0 - jj), (jj, 0, p0))
    assert _status(make_step, half, "=", 1, assume(Integer(p0, 0, 6))) == FAILED
    even = Piecewise((1, Eq(sp.Mod(p0, 2), 0)), (0, True))
    assert _status(make_step, half, "=", even, assume(Integer(p0, 0, 6))) in MARKED


def test_a_derivative_left_as_a_delta_sum_over_a_shorter_range_is_not_proved(make_step):
    # d/dy_k Σ_{j=1}^{n} y_j² = Σ_{j=1}^{n} 2 y_j δ_{j,k} (the derivative alone settles it); the same
    # sum stopped at n − 1 misses k = n.
    declared = assume(Integer(n, 1, 4), Integer(p, 1, n), RealVector(y, n))
    lhs = Derivative(Sum(y[j] ** 2, (j, 1, n)), y[p])
    full = Sum(2 * y[j] * KroneckerDelta(j, p), (j, 1, n))
    short = Sum(2 * y[j] * KroneckerDelta(j, p), (j, 1, n - 1))
    assert symbolic.check_equal(lhs, full, declared_view(declared)).outcome == "proved"
    assert _status(make_step, lhs, "=", full, declared) == VERIFIED
    assert symbolic.check_equal(lhs, short, declared_view(declared)).outcome != "proved"
    assert _status(make_step, lhs, "=", short, declared) == FAILED


# ── stand-ins passed as callables to sides compiled once (6707e07, 7937f0f) ──────────────────
REALS = assume(Real(x, -2, 2))


def _f_prime(order, at):
    return Subs(Derivative(f(xi), xi, order), xi, at)


def test_a_derivative_at_a_shifted_argument_is_taken_there(make_step):
    lhs = Derivative(f(x + 1), x)
    assert _status(make_step, lhs, "=", Derivative(f(x), x), REALS) == FAILED
    assert _status(make_step, lhs, "=", _f_prime(1, x + 1), REALS) == VERIFIED


def test_the_chain_rule_factor_of_a_second_derivative_is_not_lost(make_step):
    lhs = Derivative(f(2 * x), x, 2)
    assert _status(make_step, lhs, "=", 2 * _f_prime(2, 2 * x), REALS) == FAILED
    assert _status(make_step, lhs, "=", 4 * _f_prime(2, 2 * x), REALS) == VERIFIED


def test_a_square_of_values_is_no_value_at_a_square(make_step):
    assert _status(make_step, f(x) ** 2, "=", f(x**2), REALS) == FAILED
    assert _status(make_step, f(x) ** 2, "=", f(x) * f(x), REALS) == VERIFIED


def test_derivatives_of_different_orders_are_different_functions(make_step):
    # f'' and f' (and their squares) are different callables passed to the same compiled sides.
    assert _status(make_step, Derivative(f(x), x, 2), "=", Derivative(f(x), x) ** 2, REALS) == FAILED
    leibniz = Derivative(f(x), x, 2) * g(x) + f(x) * Derivative(g(x), x, 2)
    cross = 2 * Derivative(f(x), x) * Derivative(g(x), x)
    assert _status(make_step, Derivative(f(x) * g(x), x, 2), "=", leibniz, REALS) == FAILED
    assert _status(make_step, Derivative(f(x) * g(x), x, 2), "=", leibniz + cross, REALS) == VERIFIED


def test_the_outer_derivative_of_a_composition_is_taken_at_the_inner_value(make_step):
    lhs = Derivative(f(g(x)), x)
    assert _status(make_step, lhs, "=", _f_prime(1, g(x)), REALS) == FAILED
    assert _status(make_step, lhs, "=", _f_prime(1, x) * Derivative(g(x), x), REALS) == FAILED
    assert _status(make_step, lhs, "=", _f_prime(1, g(x)) * Derivative(g(x), x), REALS) == VERIFIED


def test_a_tiny_relative_change_of_a_stand_in_derivative_survives_the_second_look(make_step):
    # (1 + 10^-45) f''(x) ≠ f''(x): within the tolerance at 60 digits, not rounding; the family
    # derivative must be evaluated with its coefficients at the doubled precision to show it.
    second = Derivative(f(x), x, 2)
    tiny = sp.Rational(1, 10**45)
    assert _status(make_step, (1 + tiny) * second, "=", second, REALS) == FAILED
    assert _status(make_step, (1 + tiny) * second - tiny * second, "=", second, REALS) == VERIFIED


def test_a_compiled_side_does_not_keep_the_first_stand_in_passed_to_it():
    # The sides are compiled once and remembered across steps; the stand-in is an argument.
    # F(x) = x holds for the identity and must fail for the doubling, with the same sides.
    value = functions._value_at(f, 0)
    claim = ("adv.speed.passed", value(x), "=", x, REALS)
    assert numeric.check(*claim, functions={value: lambda v: v}).outcome == "passed"
    assert numeric.check(*claim, functions={value: lambda v: 2 * v}).outcome == "failed"
    assert numeric.check(*claim, functions={value: lambda v: v}).outcome == "passed"


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_a_family_derivative_is_the_derivative_of_the_drawn_stand_in(kind):
    # 7937f0f evaluates a drawn stand-in's derivatives by its family's derivative, compiled once
    # with the coefficients as arguments: it must be the exact derivative of that very stand-in,
    # at every order, coefficient draw and precision.
    for seed in range(8):
        lam = functions.stand_in(kind, 1, random.Random(f"adv-{kind}-{seed}"))
        (variable,) = lam.variables
        for order in range(5):
            derivative = functions._derivative(lam, order)
            exact = sp.diff(lam.expr, variable, order)
            for digits in (60, 120):
                with mpmath.workdps(digits):
                    for at in ("-7.25", "0", "0.3", "3.5", "41.75"):
                        got = derivative(mpmath.mpf(at))
                        want = exact.subs(variable, sp.Rational(at)).evalf(digits + 20)._to_mpmath(mpmath.mp.prec)
                        assert abs(got - want) <= mpmath.mpf(10) ** (5 - digits) * max(1, abs(want)), (
                            kind, seed, order, digits, at)


def test_a_family_derivative_is_not_another_familys():
    # Two stand-ins of different families at one point: their derivatives differ (a cache keyed
    # by order alone would give both the first family's values).
    rng = random.Random("adv-families")
    lams = [functions.stand_in(kind, 1, rng) for kind in range(3)]
    with mpmath.workdps(60):
        values = [functions._derivative(lam, 2)(mpmath.mpf("0.7")) for lam in lams]
        exact = [sp.diff(lam.expr, lam.variables[0], 2).subs(lam.variables[0], sp.Rational(7, 10)).evalf(70)
                 for lam in lams]
    for got, want in zip(values, exact):
        assert abs(got - want._to_mpmath(200)) < mpmath.mpf(10) ** -50
    assert len({mpmath.nstr(v, 20) for v in values}) == 3


# ── the declared view remembers applied expressions (aad4524) ────────────────────────────────
def test_a_remembered_expression_is_not_reused_under_other_declarations(make_step):
    # The same expression objects (plain symbols, which any declaration accepts), declared
    # positive in one step and real in the next: log(xy) = log x + log y only for the first.
    a, b = sp.symbols("a_adv b_adv")
    claim = (log(a * b), "=", log(a) + log(b))
    assert _status(make_step, *claim, assume(Positive(a, 1, 3), Positive(b, 1, 3))) == VERIFIED
    assert _status(make_step, *claim, assume(Real(a, 1, 3), Real(b, 1, 3))) != VERIFIED
    assert _status(make_step, *claim, assume(Real(a, -3, 3), Real(b, -3, 3))) not in MARKED
    assert _status(make_step, *claim, assume(Positive(a, 1, 3), Positive(b, 1, 3))) == VERIFIED


def test_a_remembered_delta_sum_is_not_reused_under_a_wider_range(make_step):
    # Step after step the same left-hand side: under p ≤ f it is the term, under p ≤ f + 1 not.
    assert _status(make_step, _delta_sum(p, f_), "=", p + 1, assume(Integer(f_, 1, 4), Integer(p, 1, f_))) == VERIFIED
    assert _status(make_step, _delta_sum(p, f_), "=", p + 1,
                   assume(Integer(f_, 1, 4), Integer(p, 1, f_ + 1))) == FAILED
    assert _status(make_step, _delta_sum(p, f_), "=", p + 1, assume(Integer(f_, 1, 4), Integer(p, 1, f_))) == VERIFIED


def test_a_bound_index_named_like_a_free_one_stays_bound(make_step):
    # Σ_{j=1}^{n} j δ_{j,k} = k; with a free j declared beside it, "= j" is false.
    k = sp.Symbol("k", integer=True, positive=True)
    jp = sp.Symbol("j", integer=True, positive=True)
    declared = assume(Integer(n, 1, 4), Integer(k, 1, n), Integer(jp, 1, n))
    lhs = Sum(jp * KroneckerDelta(jp, k), (jp, 1, n))
    assert _status(make_step, lhs, "=", jp, declared) == FAILED
    assert _status(make_step, lhs, "=", k, declared) == VERIFIED


# HOLE (prepare._rename_bound, since bd2910c; the declared view applies it to every side): bound
# variables get canonical names "_bound_<name>", so two *different* bound variables with the same
# name (Symbol('j', integer=True) outside, Symbol('j', integer=True, positive=True) inside, or two
# Dummy('j')) become one symbol, and the outer one is captured by the inner sum:
# Σ_a Σ_b a·b² is read as Σ_J Σ_J J·J², and the symbolic check proves it equal to Σ Σ J³ (15 ≠ 18
# at n = 2). The numeric check refutes that step; behind a factor it cannot see (zero at every
# rational u, one at u = √2) the false proof alone is the ✓.
J_OUTER = sp.Symbol("j", integer=True)
J_INNER = sp.Symbol("j", integer=True, positive=True)
NESTED = Sum(Sum(J_OUTER * J_INNER**2, (J_INNER, 1, n)), (J_OUTER, 1, n))
J = sp.Symbol("J", integer=True)
CAPTURED = Sum(Sum(J**3, (J, 1, n)), (J, 1, n))
NESTED_VALUE = (n * (n + 1) / 2) * (n * (n + 1) * (2 * n + 1) / 6)
AT_ROOT_TWO = Piecewise((1, Eq(u**2, 2)), (0, True))
SIZES = assume(Integer(n, 1, 6))


def test_two_bound_indices_with_one_name_are_told_apart_by_the_numeric_check(make_step):
    assert _status(make_step, NESTED, "=", CAPTURED, SIZES) == FAILED
    assert _status(make_step, NESTED, "=", NESTED_VALUE, SIZES) == VERIFIED


D_OUTER, D_INNER = sp.Dummy("i", integer=True), sp.Dummy("i", integer=True)


@pytest.mark.parametrize("lhs, rhs", [
    (NESTED, CAPTURED),
    # Two Dummies of one name (SymPy and helpers make them): Σ_{a=1}^{n} Σ_{b=1}^{a} (a − b) is 1 at n = 2.
    (Sum(Sum(D_OUTER - D_INNER, (D_INNER, 1, D_OUTER)), (D_OUTER, 1, n)), 0),
    # A product inside the sum: Σ_a Π_{b=1}^{2} (a + b) is read as Σ_J Π_J 2J.
    (Sum(Product(J_OUTER + J_INNER, (J_INNER, 1, 2)), (J_OUTER, 1, n)), Sum(Product(2 * J, (J, 1, 2)), (J, 1, n))),
], ids=["symbols", "dummies", "product"])
def test_two_bound_indices_with_one_name_are_not_captured_by_the_symbolic_check(lhs, rhs):
    assert _fails_at(lhs, "=", rhs, assume(Integer(n, 2, 2)))  # false at n = 2
    assert symbolic.check_equal(lhs, rhs, declared_view(SIZES)).outcome != "proved"


# A factor zero at every sample (u² = 2 at no rational u) leaves the numeric check nothing to see,
# so ≈ is all it can give such a step; a ✓ must then come from a real proof.
A_OUTER = sp.Symbol("a", integer=True)
B_INNER = sp.Symbol("b", integer=True, positive=True)
TOLD_APART = Sum(Sum(A_OUTER * B_INNER**2, (B_INNER, 1, n)), (A_OUTER, 1, n))
SWAPPED = Sum(Sum(A_OUTER * B_INNER**2, (A_OUTER, 1, n)), (B_INNER, 1, n))
HIDDEN = assume(Integer(n, 1, 6), Real(u, -3, 3))


def test_a_captured_bound_index_does_not_verify_a_false_step(make_step):
    assert _status(make_step, NESTED * AT_ROOT_TWO, "=", CAPTURED * AT_ROOT_TWO, HIDDEN) != VERIFIED


def test_the_same_hidden_factor_is_verified_only_by_a_real_proof(make_step):
    # The twins of the step above, with the two indices named apart: the false one is no ✓, the
    # true one (the order of summation swapped) is proved.
    assert _status(make_step, TOLD_APART * AT_ROOT_TWO, "=", CAPTURED * AT_ROOT_TWO, HIDDEN) != VERIFIED
    assert _status(make_step, TOLD_APART * AT_ROOT_TWO, "=", SWAPPED * AT_ROOT_TWO, HIDDEN) == VERIFIED


# ── index facts: SymPy not asked where a negative coefficient is unbounded (7ac2658) ─────────
def test_a_negative_coefficient_under_a_declared_upper_bound_still_proves_the_order():
    k, i = sp.symbols("k i", integer=True, positive=True)
    assert facts.at_most(k, n, [n - k])  # k ≤ n declared
    assert facts.at_most(i, n, [n - k, k - i])  # through k
    assert facts.at_most(2 * k - 1, 2 * n - 1, [n - k])
    assert not facts.at_most(k + 1, n, [n - k])  # k = n
    assert not facts.at_most(2 * k, 2 * n - 1, [n - k])
    assert not facts.at_most(k, 6, [])  # a sampling bound is no fact


def test_a_negative_coefficient_on_a_symbol_bounded_above_is_still_asked():
    q = sp.Symbol("q", integer=True, nonpositive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    assert facts.at_most(0, -q, [])  # −q ≥ 0: q ≤ 0 bounds it
    assert not facts.at_most(0, q, [])
    assert facts.at_most(k, n * k, [])  # not linear: SymPy decides (n k − k ≥ 0)
    assert not facts.at_most(n * k, k, [])


def test_a_sum_that_runs_forwards_only_by_a_declared_fact(make_step):
    k = sp.Symbol("k", integer=True, positive=True)
    count = (Sum(1, (j, k, n)), "=", n - k + 1)
    assert _status(make_step, *count, assume(Integer(n, 1, 6), Integer(k, 1, n))) == VERIFIED
    # k ≤ n + 5 only: the range may run backwards, where the reader counts no terms.
    assert _status(make_step, *count, assume(Integer(n, 1, 6), Integer(k, 1, n + 5))) == FAILED
    assert _status(make_step, n - k, ">=", 1, assume(Integer(n, 1, 6), Integer(k, 1, n))) == FAILED
    assert _status(make_step, 6 - k, ">=", 0, assume(Integer(k, 1, 6))) == FAILED
