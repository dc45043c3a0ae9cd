"""The check phase's shortcuts change how fast a verdict comes, never the verdict: remembered
index facts are keyed by the facts, quantized draws and compiled constants are the same numbers
as before, and an inequality tries the quick gap and slack before simplify without proving
anything false."""

from __future__ import annotations

import random

import mpmath
import sympy as sp
from sympy import exp

from derive.core.assumptions import Constraint, Integer, Positive, Real, RealVector, assume
from derive.core.checks import compiled, facts, sampling
from derive.core.checks.result import FAILED, VERIFIED
from derive.core.checks.runner import check_step

n, i, j, k = sp.symbols("n i j k", integer=True, positive=True)
beta = sp.Symbol("beta", positive=True)
x = sp.IndexedBase("x", real=True)


# ── remembered answers are keyed by the facts too ────────────────────────────────────────────
def test_a_remembered_bound_is_not_reused_under_other_facts():
    assert facts.at_most(k, n, [n - k])  # declared k ≤ n
    assert not facts.at_most(k, n, [])  # the same question without the fact
    assert not facts.at_most(k, n, [k - n])  # ... or with the opposite fact
    assert facts.at_most(k, n, [n - k])


def test_a_remembered_bound_tells_symbols_of_different_assumptions_apart():
    plain = sp.Symbol("k", integer=True)  # may be negative: 0 ≤ k is unknown
    assert facts.at_most(0, k, [])
    assert not facts.at_most(0, plain, [])


def test_the_shared_shift_of_a_positive_integer_proves_only_what_it_should():
    # Every query writes a positive integer m as 1 + m' with the same m' ≥ 0: a later question
    # must not inherit anything from an earlier one.
    m = sp.Symbol("m", integer=True, positive=True)
    assert facts.at_most(1, m, [])  # m − 1 ≥ 0 for a positive integer
    assert not facts.at_most(2, m, [])  # m − 2 may be −1
    assert facts.at_most(m, m + k - 1, [])
    assert not facts.at_most(m + 1, m + k - 1, [])  # k = 1 gives m + 1 > m
    assert not facts.at_most(1, m - k, [])


# ── draws and compiled constants are the same numbers as before ─────────────────────────────
def _old_quantize(value):
    with mpmath.workprec(sampling.QUANTUM_BITS):
        return +mpmath.mpf(value)


def test_quantized_draws_round_exactly_as_before():
    rng = random.Random(7)
    with mpmath.workdps(60):
        values = [mpmath.mpf(rng.random()) * mpmath.mpf(10) ** rng.randint(-30, 30) for _ in range(300)]
        values += [mpmath.exp(mpmath.mpf(v) / 7) for v in range(-40, 40)]
        values += [0, 1, -1, 3, 2**90 + 1, -(2**85) - 3, 0.1, -2.5e-7, 1e300, mpmath.mpf(1) / 3]
        for value in values:
            assert sampling.quantize(value) == _old_quantize(value), value
            assert sampling.quantize(value)._mpf_ == _old_quantize(value)._mpf_


def test_large_integers_in_compiled_code_are_made_at_the_working_precision():
    a = sp.Symbol("a", real=True)
    # 3^200 has 318 bits: at 60 digits (200 bits) it is rounded, so (3^200 + a) − 3^200 is not a;
    # at 120 digits the rounding shrinks. A constant made once would keep its first rounding.
    big = sp.Integer(3) ** 200
    function = compiled.compile_entries([big + 1, sp.Integer(5) * a - 7], [a])
    with mpmath.workdps(60):
        low = function(mpmath.mpf(2))
    with mpmath.workdps(120):
        high = function(mpmath.mpf(2))
        assert high[0] == mpmath.mpf(3**200 + 1)  # exact at 120 digits (400 bits)
    assert low[1] == high[1] == 3
    assert low[0] != high[0]


def test_small_integer_constants_are_exact():
    a = sp.Symbol("a", real=True)
    function = compiled.compile_entries([(a + 3) ** 2 - a**2 - 6 * a - 9], [a])
    with mpmath.workdps(60):
        assert function(mpmath.mpf(10) ** 20)[0] == 0


# ── inequalities: quick gap, slack, then simplify; false ones never proved ───────────────────
def at_j(*extra):
    return assume(Positive(beta, 1, 3), Integer(n, 1, 6), Integer(j, 1, n), Integer(k, 1, n),
                  RealVector(x, n, max_at=j), *extra)


MAX_AT_J = Constraint(x[i] <= x[j], forall=((i, 1, n),))
S = sp.Sum(exp(beta * (x[i] - x[j])), (i, 1, n))


def test_a_slack_step_is_proved_without_simplify(make_step):
    result = check_step(make_step(S, "<=", n, at_j(MAX_AT_J)))
    assert result.status == VERIFIED, result
    assert [m.method for m in result.methods][:2] == ["symbolic", "slack"], result.methods


def test_a_false_inequality_of_the_same_shape_fails(make_step):
    assert check_step(make_step(S, ">=", n, at_j(MAX_AT_J))).status == FAILED
    assert check_step(make_step(S, "<=", n - 1, at_j(MAX_AT_J))).status == FAILED


def test_an_inequality_only_simplify_proves_is_still_proved(make_step):
    a = sp.Symbol("a", real=True)
    # (a − 1)² + 2a − a² = 1 > 0 needs expansion: the quick look at the evaluated gap cannot see it.
    result = check_step(make_step(a**2 - 2 * a, "<", (a - 1) ** 2, assume(Real(a, -3, 3))))
    assert result.status == VERIFIED, result
    wrong = check_step(make_step(a**2 - 2 * a, ">", (a - 1) ** 2, assume(Real(a, -3, 3))))
    assert wrong.status == FAILED


# ── the size of the terms is evaluated only where the sides alone do not settle a comparison ─
def test_a_cancellation_is_still_measured_against_the_size_of_its_terms():
    from derive.core.checks import numeric

    a = sp.Symbol("a", real=True)
    big = sp.exp(70)  # 2.5e30: at 60 digits the cancellation leaves an error of about 1e-30·a
    lhs = a * (1 + big) - a * big
    passed = numeric.check("t.cancel", lhs, "=", a, assume(Real(a, 1, 2)))
    assert passed.outcome == "passed", passed
    # ... but a difference above 10^-40 of the terms (here 1e-5 against 5e30) is a difference.
    failed = numeric.check("t.cancel.wrong", a * (1 + big) - a * big + sp.Rational(1, 10**5), "=", a,
                           assume(Real(a, 1, 2)))
    assert failed.outcome == "failed", failed


class TanhShortcut(sp.Function):
    """An author's function class that gives its mpmath value directly (no SymPy per call)."""

    nargs = 1

    def _eval_evalf(self, prec):
        return sp.tanh(self.args[0])._eval_evalf(prec)

    @staticmethod
    def mpmath_value(x):
        return mpmath.tanh(x)


class TanhShortcutPrime(TanhShortcut):
    def _eval_evalf(self, prec):
        return (1 - sp.tanh(self.args[0]) ** 2)._eval_evalf(prec)

    @staticmethod
    def mpmath_value(x):
        return 1 - mpmath.tanh(x) ** 2


def test_a_function_with_a_direct_value_is_evaluated_with_the_value_sympy_gives():
    a = sp.Symbol("a", real=True)
    function = compiled.compile_entries([TanhShortcut(a), TanhShortcutPrime(a)], [a])
    with mpmath.workdps(60):
        for value in ("-3.25", "0", "0.5", "7.125"):
            s, ds = function(mpmath.mpf(value))
            assert abs(s - TanhShortcut(sp.Float(value, 60)).evalf(60)) < mpmath.mpf(10) ** -55
            assert abs(ds - TanhShortcutPrime(sp.Float(value, 60)).evalf(60)) < mpmath.mpf(10) ** -55


def test_uniform_draws_are_the_same_numbers_as_the_plain_expression():
    # _uniform's fast path must give, bit for bit, what lo + (hi − lo)·u gives with mpmath's
    # own operators: the same points as before, so the numeric evidence is as strong as before.
    def old(rng, lo, hi):
        return sampling.quantize(lo + (hi - lo) * mpmath.mpf(rng.random()))

    for dps in (60, 15, 8):
        with mpmath.workdps(dps):
            bounds = random.Random(3)
            for _ in range(400):
                lo = mpmath.mpf(bounds.uniform(-1e3, 1e3)) / 7
                hi = lo + mpmath.mpf(bounds.random()) * mpmath.mpf(10) ** bounds.randint(-8, 8)
                seed = bounds.random()
                new_value = sampling._uniform(random.Random(seed), lo, hi)
                old_value = old(random.Random(seed), lo, hi)
                assert new_value._mpf_ == old_value._mpf_, (dps, lo, hi)
            # Mixed types (ints, floats) take the plain expression.
            for lo, hi in ((-6, -1), (0.5, 3), (0, mpmath.mpf(2) / 3)):
                assert sampling._uniform(random.Random(1), lo, hi) == old(random.Random(1), lo, hi)
