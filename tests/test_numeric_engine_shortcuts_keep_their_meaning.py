"""The numeric engine's shortcuts make the same evidence, only cheaper: a remembered compiled
function is the one the expression would compile to, draws are the numbers mpmath's operators
give bit for bit, sums are fsum's sums, indices find the entries they did, and remembered
integer answers are keyed by the integers. False statements are still rejected."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

from derive.core.assumptions import Constraint, Integer, Real, RealVector, assume
from derive.core.checks import compiled, numeric, sampling
from derive.core.checks.compiled import NotEvaluable

a, b = sp.symbols("a b", real=True)
n, k, q = sp.symbols("n k q", integer=True, positive=True)
x = sp.IndexedBase("x", real=True)


# ── remembered compiled functions ───────────────────────────────────────────────────────────
def test_a_remembered_function_is_keyed_by_the_argument_order():
    forwards = compiled.compile_entries([a - b], [a, b])
    backwards = compiled.compile_entries([a - b], [b, a])
    with mpmath.workdps(60):
        assert forwards(mpmath.mpf(5), mpmath.mpf(2))[0] == 3
        assert backwards(mpmath.mpf(5), mpmath.mpf(2))[0] == -3


def test_a_remembered_function_tells_floats_of_other_precision_apart():
    # Equal hashes, different numbers: 0.1 at 15 digits is not 0.1 at 60.
    coarse = compiled.compile_entries([a + sp.Float("0.1", 15)], [a])
    fine = compiled.compile_entries([a + sp.Float("0.1", 60)], [a])
    with mpmath.workdps(60):
        assert coarse(mpmath.mpf(0))[0] != fine(mpmath.mpf(0))[0]
        assert abs(fine(mpmath.mpf(0))[0] - mpmath.mpf(1) / 10) < mpmath.mpf(10) ** -58


def test_a_false_claim_about_sides_compiled_before_is_rejected():
    declared = assume(Real(a, -3, 3), Real(b, -3, 3))
    lhs = (a + b) ** 2
    assert numeric.check("remembered.true", lhs, "=", a**2 + 2 * a * b + b**2, declared).outcome == "passed"
    assert numeric.check("remembered.false", lhs, "=", a**2 + 2 * a * b + b**2 + sp.Rational(1, 10**30),
                         declared).outcome == "failed"


def test_an_entry_remembered_from_one_compile_is_right_in_another():
    # The same entry's code is reused; its argument names and constants must fit the new list.
    alone = compiled.compile_entries([1 / a + sp.Rational(7, 2)], [a])
    shared = compiled.compile_entries([a - 5, 1 / a + sp.Rational(7, 2)], [b, a])
    swapped = compiled.compile_entries([1 / a + sp.Rational(7, 2), x[k]], [k, x, a])
    with mpmath.workdps(60):
        assert alone(mpmath.mpf(2))[0] == 4
        assert shared(mpmath.mpf(100), mpmath.mpf(2)) == [-3, 4]
        assert swapped(mpmath.mpf(2), {2: mpmath.mpf(9)}, mpmath.mpf(4)) == [mpmath.mpf(15) / 4, 9]


def test_a_subs_that_cannot_be_taken_is_still_not_compiled():
    t = sp.Symbol("t", real=True)
    f = sp.Function("f")
    with pytest.raises(compiled.NotCompilable):
        compiled.compile_entries([sp.Subs(sp.Derivative(f(t), t), t, a), a + 1], [a])


def test_rationals_are_divided_at_the_precision_of_the_call():
    third = compiled.compile_entries([a + sp.Rational(1, 3)], [a])
    with mpmath.workdps(60):
        low = third(mpmath.mpf(0))[0]
    with mpmath.workdps(120):
        high = third(mpmath.mpf(0))[0]
        assert abs(high - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -118
    assert low != high


# ── draws: the numbers mpmath's own operators give ───────────────────────────────────────────
def _old_draw_real(rng, lo, hi):
    r = rng.random()
    if r < 0.6:
        return sampling.quantize(lo + (hi - lo) * mpmath.mpf(rng.random()))
    sign = 1 if rng.random() < 0.5 else -1
    if r < 0.72:
        exponent = sampling.quantize(-6 + 5 * mpmath.mpf(rng.random()))
        return sampling.quantize(sign * mpmath.mpf(10) ** exponent)
    if r < 0.88:
        exponent = sampling.quantize(0.5 + 2.5 * mpmath.mpf(rng.random()))
        return sampling.quantize(sign * mpmath.mpf(10) ** exponent)
    return sampling.quantize(rng.choice([0, 1, -1, lo, hi, mpmath.mpf(1) / 2, -mpmath.mpf(1) / 2]))


def _old_draw_positive(rng, lo, hi):
    r = rng.random()
    if r < 0.6:
        return sampling.quantize(lo + (hi - lo) * mpmath.mpf(rng.random()))
    if r < 0.8:
        top = float(mpmath.log10(lo))
        exponent = sampling.quantize(-6 + (top - -6) * mpmath.mpf(rng.random()))
        return sampling.quantize(mpmath.mpf(10) ** exponent)
    if r < 0.95:
        exponent = sampling.quantize(0 + 4 * mpmath.mpf(rng.random()))
        return sampling.quantize(hi * mpmath.mpf(10) ** exponent)
    return sampling.quantize(rng.choice([1, lo, hi]))


@pytest.mark.parametrize("dps", [60, 15])
def test_real_and_positive_draws_are_the_numbers_of_the_plain_expressions(dps):
    bounds = [(mpmath.mpf(-3), mpmath.mpf(3)), (-2, 2), (0, mpmath.mpf(5)), (mpmath.mpf(1) / 3, mpmath.mpf(7) / 3),
              (mpmath.mpf(2) / 10**7, mpmath.mpf(10) ** 4 / 7)]
    with mpmath.workdps(dps):
        for seed in range(600):
            for lo, hi in bounds:
                new, old = random.Random(seed), random.Random(seed)
                assert sampling.draw_real(new, lo, hi)._mpf_ == _old_draw_real(old, lo, hi)._mpf_, (seed, lo, hi)
                if lo > 0:
                    new, old = random.Random(seed), random.Random(seed)
                    assert sampling.draw_positive(new, lo, hi)._mpf_ == _old_draw_positive(old, lo, hi)._mpf_


# ── sums, ranges and entries ────────────────────────────────────────────────────────────────
def test_a_compiled_sum_is_fsums_sum():
    rng = random.Random(5)
    with mpmath.workdps(60):
        for _ in range(200):
            terms = [mpmath.mpf(rng.uniform(-1, 1)) * mpmath.mpf(10) ** rng.randint(-80, 80) for _ in range(7)]
            terms.append(-terms[0])  # a cancellation
            assert compiled._fsum(iter(terms))._mpf_ == mpmath.fsum(terms)._mpf_
        assert compiled._fsum([mpmath.mpf(1), 2]) == 3  # an int goes through fsum
        assert compiled._fsum([mpmath.mpf(1), mpmath.mpc(0, 1)]) == mpmath.mpc(1, 1)
        assert compiled._fsum([]) == 0


def test_a_sum_over_a_range_that_is_not_whole_is_not_evaluated():
    with mpmath.workdps(60):
        assert [int(v) for v in compiled._irange(mpmath.mpf(-2), mpmath.mpf(1))] == [-2, -1, 0, 1]
        assert compiled._irange(mpmath.mpf(3), mpmath.mpf(2)) == ()
        assert [int(v) for v in compiled._irange(0, 2)] == [0, 1, 2]
        with pytest.raises(NotEvaluable):
            compiled._irange(mpmath.mpf(1), mpmath.mpf(5) / 2)
        with pytest.raises(NotEvaluable):
            compiled._irange(mpmath.mpf(1) / 2, mpmath.mpf(3))
        assert compiled._as_int(mpmath.mpf(2) ** 70) == 2**70
        assert compiled._as_int(-mpmath.mpf(12)) == -12
        assert compiled._as_int(mpmath.inf) is None


def test_an_entry_is_found_by_its_whole_index_and_an_undrawn_one_is_not_evaluable():
    vector = {1: mpmath.mpf(4), 2: mpmath.mpf(-1)}
    function = compiled.compile_entries([x[k] + x[k + 1]], [k, x])
    with mpmath.workdps(60):
        assert function(mpmath.mpf(1), vector)[0] == 3
        with pytest.raises(NotEvaluable, match=r"x\[3"):
            function(mpmath.mpf(2), vector)
        with pytest.raises(NotEvaluable):
            compiled._entry1(vector, "x", mpmath.mpf(3) / 2)


def test_a_false_claim_about_a_vector_sum_is_rejected():
    i = sp.Symbol("i", integer=True)
    declared = assume(Integer(n, 1, 6), RealVector(x, n))
    total = sp.Sum(x[i], (i, 1, n))
    assert numeric.check("vector.true", total, "=", sp.Sum(x[n + 1 - i], (i, 1, n)), declared).outcome == "passed"
    # Off by the last entry (only when n ≥ 2 does it differ from the whole sum).
    assert numeric.check("vector.false", total, "=", sp.Sum(x[i], (i, 1, n - 1)) + x[1], declared).outcome == "failed"


# ── remembered integer answers ──────────────────────────────────────────────────────────────
def test_integer_points_follow_their_bounds_and_constraints():
    declared = assume(Integer(n, 2, 6), Integer(q, 1, n - 1), Integer(k, 1, n),
                      Constraint(sp.Ne(k, q)))
    points, exhaustive, _ = sampling.integer_points(declared, random.Random(1))
    assert points
    assert all(1 <= p[q] <= p[n] - 1 and 1 <= p[k] <= p[n] and p[k] != p[q] for p in points)
    # Asked again (remembered), the answers are the same.
    again, _, _ = sampling.integer_points(declared, random.Random(1))
    assert again == points


def test_a_claim_false_only_at_the_top_of_an_integer_range_is_rejected():
    declared = assume(Integer(n, 2, 6), Integer(q, 1, n - 1), Integer(k, q + 1, n))
    assert numeric.check("grid.true", k, "<=", n, declared).outcome == "passed"
    assert numeric.check("grid.false", k, "<=", n - 1, declared).outcome == "failed"
    assert numeric.check("grid.false2", q + 1, "<", k, declared).outcome == "failed"


def test_admissibility_checks_each_points_own_constraint_bindings():
    i = sp.Symbol("i", integer=True)
    declared = assume(Integer(n, 1, 4), RealVector(x, n),
                      Constraint(x[i] <= 1, forall=((i, 1, n),)))
    admissible = sampling.Admissibility(declared)
    with mpmath.workdps(60):
        small = sampling.Point({n: 2}, arrays={x: {1: mpmath.mpf(0), 2: mpmath.mpf(1)}})
        assert admissible(small)
        large = sampling.Point({n: 3}, arrays={x: {1: mpmath.mpf(0), 2: mpmath.mpf(1), 3: mpmath.mpf(2)}})
        assert not admissible(large)  # the third entry is only bound at n = 3
        assert admissible(small)
