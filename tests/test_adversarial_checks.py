"""False claims aimed at the check phase's fast paths (the sum technique tried before SymPy,
doit + expand and cancel before simplify, the quick gap and slack before simplify) must never
get a ✓ — nor a ≈ where a sound check would see the difference.

Every claim here is false for some admissible input that the numeric search never draws (a
size past its sampled range, a stride larger than every sampled index, a relative difference
below the tolerance), so only a sound proof method keeps it from a mark. Each test first shows
that the claim *is* false: the numeric check, pinned to the input where it breaks, rejects it.

The root causes, for whoever fixes them:

* SymPy's ``Sum`` follows Karr's convention (Σ_{a}^{b} = −Σ_{b+1}^{a−1} when b < a − 1); the
  numeric check and the PDF's reader read Σ_{a}^{b} over an empty range as 0. An identity that
  holds only under Karr's convention is proved for ranges that may run backwards:
  ``sums.concatenate_blocks`` (blocks that run backwards, under an outer range that runs
  backwards, concatenate to a forwards sum) and the symbolic reductions (``doit`` of Σ 1,
  simplify's combination of Σ_{1}^{m} + Σ_{m+1}^{n}).
* SymPy's ``deltasummation`` solves c·i = k for i without asking that k/c be an integer:
  Σ_{i=1}^{n} δ(1000 i, k) comes back as [1000 ≤ k ≤ 1000 n], 1 at k = 1001. Both the sum
  technique's closed form and the symbolic doit trust it.
* The numeric tolerance (10^-40 of the terms' size) lets a claim that is off by 10^-45 of its
  size pass as numeric-only when the symbolic check is merely inconclusive.
"""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import Derivative, KroneckerDelta, Piecewise, Sum, floor

from derive.core.assumptions import Integer, Real, RealVector, assume
from derive.core.checks import numeric
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step

n, m, f, k, a, b = sp.symbols("n m f k a b", integer=True, positive=True)
i, r, s, t = sp.symbols("i r s t", integer=True)
j = sp.Symbol("j", integer=True, positive=True)
x = sp.IndexedBase("x", real=True)
y = sp.IndexedBase("y", real=True)


def _false_at(lhs, rel, rhs, assumptions) -> bool:
    """The numeric check, pinned to the input where the claim breaks, rejects it."""
    return numeric.check("adv.witness", lhs, rel, rhs, assumptions).outcome == "failed"


# ── the sum technique (now tried first): blocks that run backwards ───────────────────────────
# Σ_{r=2+q}^{1} Σ_{s=1}^{-1} x[s − r + n + 2] with q = ⌊m/100⌋: the outer range 2+q..1 is empty
# (so is every inner one), so the left side is 0. Under Karr's convention the blocks telescope to
# Σ_{t=n+1−q}^{n} x[t], which is forwards, so the sum technique matched it with the right side.
# For m < 100 both sides are 0 (every sample); at m = 100 the right side is x[n].
Q = floor(m / 100)
BACKWARDS_BLOCKS = Sum(x[s - r + n + 2], (s, 1, -1), (r, 2 + Q, 1))
LAST_Q_ENTRIES = Sum(x[t], (t, n + 1 - Q, n))


def test_blocks_that_run_backwards_are_not_concatenated_into_a_forwards_sum(make_step):
    assert _false_at(BACKWARDS_BLOCKS, "=", LAST_Q_ENTRIES,
                     assume(Integer(n, 3, 3), Integer(m, 100, 100), RealVector(x, n)))
    result = check_step(make_step(BACKWARDS_BLOCKS, "=", LAST_Q_ENTRIES,
                                  assume(Integer(n, 1, 4), Integer(m, 1, 6), RealVector(x, n))))
    assert result.status != VERIFIED, result.methods


# ── SymPy's delta summation ignores integrality ─────────────────────────────────────────────
# Σ_{j=1}^{f} δ(1000 j, k) is 1 only when k is a multiple of 1000; SymPy says 1 for every k in
# 1000..1000 f. Every sampled k is below 1000, where both sides are 0.
STRIDED_DELTA = Sum(KroneckerDelta(1000 * j, k), (j, 1, f))
EVERY_K = Piecewise((1, (k >= 1000) & (f >= k / 1000)), (0, True))


def test_a_strided_delta_sum_is_not_one_for_every_k_in_range(make_step):
    assert _false_at(STRIDED_DELTA, "=", EVERY_K, assume(Integer(f, 2, 2), Integer(k, 1001, 1001)))
    result = check_step(make_step(STRIDED_DELTA, "=", EVERY_K, assume(Integer(f, 1, 4), Integer(k, 1, 6))))
    assert result.status != VERIFIED, result.methods


def test_the_derivative_of_a_dilated_sum_is_not_proved_by_delta_summation(make_step):
    # ∂/∂y_k Σ_j j·y_{1000 j} = k/1000 if k is a multiple of 1000 in range, else 0; the claim
    # drops "a multiple of": at k = 1001 it says 1.001 where the derivative is 0.
    lhs = Derivative(Sum(j * y[1000 * j], (j, 1, f)), y[k])
    rhs = Piecewise((k / 1000, (k >= 1000) & (k <= 1000 * f)), (0, True))
    assert _false_at(lhs, "=", rhs, assume(Integer(f, 2, 2), Integer(k, 1001, 1001), RealVector(y, 1000 * f)))
    result = check_step(make_step(lhs, "=", rhs, assume(Integer(f, 1, 4), Integer(k, 1, 6), RealVector(y, 1000 * f))))
    assert result.status != VERIFIED, result.methods


# ── symbolic reductions that hold only under Karr's convention ──────────────────────────────
# a ≥ 1 and b ≥ 5 are declared; nothing relates them, but every sample has a ≤ 6 < b + 1.
UNRELATED = assume(Integer(a, 1, 3), Integer(b, 5, 8))


def test_counting_a_range_that_may_run_backwards_is_not_proved(make_step):
    # At a = 7, b = 5 the range is empty: 0 terms, not b − a + 1 = −1.
    count = Sum(1, (i, a, b))
    assert _false_at(count, "=", b - a + 1, assume(Integer(a, 7, 7), Integer(b, 5, 5)))
    assert check_step(make_step(count, "=", b - a + 1, UNRELATED)).status != VERIFIED


def test_an_upper_bound_by_the_count_of_a_possibly_backwards_range_is_not_proved(make_step):
    # The quick look at the evaluated gap (doit gives b − a + 1 − (b − a + 1) = 0) proved it.
    count = Sum(1, (i, a, b))
    assert _false_at(count, "<=", b - a + 1, assume(Integer(a, 7, 7), Integer(b, 5, 5)))
    assert check_step(make_step(count, "<=", b - a + 1, UNRELATED)).status != VERIFIED


def test_a_sum_split_at_an_undeclared_point_is_not_proved(make_step):
    # Σ_{1}^{m} + Σ_{m+1}^{n} = Σ_{1}^{n} needs m ≤ n, which is not declared: at m = 10, n = 7
    # the left side has ten terms and the right seven. Every sample has m ≤ 6 < 7 ≤ n.
    split = Sum(x[j], (j, 1, m)) + Sum(x[j], (j, m + 1, n))
    whole = Sum(x[j], (j, 1, n))
    assert _false_at(split, "=", whole, assume(Integer(m, 10, 10), Integer(n, 7, 7), RealVector(x, m + n)))
    result = check_step(make_step(split, "=", whole, assume(Integer(m, 1, 3), Integer(n, 7, 9), RealVector(x, m + n))))
    assert result.status != VERIFIED, result.methods


# ── a difference below the numeric tolerance ───────────────────────────────────────────────
def test_a_relative_difference_of_ten_to_the_minus_45_is_not_numeric_only(make_step):
    # b + b·10^-45 ≠ b for every b ≠ 0; the difference survives any working precision, but is
    # below the 10^-40 tolerance, and the symbolic check leaves b/10^45 as "not reduced to 0".
    u = sp.Symbol("u", real=True)
    result = check_step(make_step(u + u / sp.Integer(10) ** 45, "=", u, assume(Real(u, 1, 3))))
    assert result.status not in (VERIFIED, NUMERIC_ONLY), result.methods


# ── true statements through the fast paths must stay ✓ (over-rejection) ────────────────────
W = sp.Symbol("w", integer=True, positive=True)
SIZES = assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n))
BLOCKS = assume(Integer(m, 1, 3), Integer(W, 1, 3), RealVector(x, m * W))


@pytest.mark.parametrize("lhs, rhs, assumptions", [
    (Sum(x[i], (i, 1, n)), Sum(x[i + 1], (i, 0, n - 1)), SIZES),
    (Sum(x[i], (i, 1, n)), Sum(x[n + 1 - i], (i, 1, n)), SIZES),
    (Sum(Piecewise((x[i], i <= k), (0, True)), (i, 1, n)), Sum(x[i], (i, 1, k)), SIZES),
    (Sum(Piecewise((1, i < k + 1), (0, True)), (i, 1, n)), k, SIZES),
    (Sum(x[(r - 1) * W + s], (s, 1, W), (r, 1, m)), Sum(x[i], (i, 1, m * W)), BLOCKS),
], ids=["shift", "reflection", "bracket", "strict-bracket", "blocks"])
def test_true_sum_identities_stay_verified(make_step, lhs, rhs, assumptions):
    assert check_step(make_step(lhs, "=", rhs, assumptions)).status == VERIFIED


def test_a_binomial_sum_past_its_last_nonzero_term_is_not_failed(make_step):
    # C(n, n+1) = 0, so Σ_{i=0}^{n+1} C(n, i) = 2^n; the compiled code writes C(n, i) as
    # Γ(n+1)/(Γ(i+1)·Γ(n−i+1)), which has a pole at i = n + 1 ("gamma function pole"), and the
    # numeric check fails a true step (mpmath.binomial gives 0 there).
    q = sp.Symbol("q", integer=True, nonnegative=True)
    result = check_step(make_step(Sum(sp.binomial(n, q), (q, 0, n + 1)), "=", 2**n, assume(Integer(n, 1, 6))))
    assert result.status != FAILED, result.methods


# ── the compiled numeric check trusts a function class's mpmath_value ──────────────────────
class SquareByValue(sp.Function):
    """σ-like class whose value (evalf: what SymPy and every other evaluation use) is x², but
    whose ``mpmath_value`` — an unchecked shortcut the compiled numeric check now prefers —
    computes x³."""

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        return sp.N(self.args[0] ** 2, prec_to_dps(prec))

    @staticmethod
    def mpmath_value(value):
        return value**3


def test_a_function_is_sampled_by_its_value_not_by_an_unchecked_shortcut(make_step):
    # SquareByValue(2) is 4 (sp.N says so), so SquareByValue(u) = u³ is false at every u ∉ {0, 1}; it got
    # ≈ because the samples came from mpmath_value (before: FAILED). The true SquareByValue(u) = u²
    # now fails. The shortcut should be checked against evalf (or not be trusted).
    u = sp.Symbol("u", real=True)
    assert sp.N(SquareByValue(2)) == sp.Float(4)  # SymPy ≥ 1.13: Float(4) != Integer(4)
    reals = assume(Real(u, 1, 3))
    assert check_step(make_step(SquareByValue(u), "=", u**3, reals)).status == FAILED
    assert check_step(make_step(SquareByValue(u), "=", u**2, reals)).status != FAILED
