"""The check settles easy steps by cheap exact reductions before simplify, and bracketed sums by
the sum technique before SymPy's summation — and none of these fast paths proves a false step
of the same shape, or uses more than the declared facts."""

from __future__ import annotations

import sympy as sp
from sympy import Derivative, KroneckerDelta, Piecewise, Sum, log, sqrt

from derive.core.assumptions import Integer, Positive, Real, RealVector, assume
from derive.core.checks import symbolic
from derive.core.checks.prepare import declared_view
from derive.core.checks.result import FAILED, VERIFIED
from derive.core.checks.runner import check_step

f, m, i, j, k = sp.symbols("f m i j k", integer=True, positive=True)
w, y = sp.IndexedBase("w", real=True), sp.IndexedBase("y", real=True)
n = f + m - 1
CONV = Sum(w[j] * y[i + j - 1], (j, 1, f))


def layer(*extra):
    return assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(i, 1, m), Integer(k, 1, n),
                  RealVector(w, f), RealVector(y, n), *extra)


def band(value, index, top):
    return Piecewise((value, sp.And(sp.Le(1, index), sp.Le(index, top))), (0, True))


def symbolic_result(lhs, rhs, assumptions):
    return symbolic.check_equal(lhs, rhs, declared_view(assumptions))


# ── a derivative of a sum: a second evaluation and expansion settle it, not simplify ──────────
def test_the_derivative_of_a_convolution_is_settled_without_simplify():
    claim = Sum(KroneckerDelta(k, i + j - 1) * w[j], (j, 1, f))
    result = symbolic_result(Derivative(CONV, y[k]), claim, layer())
    assert result.outcome == "proved", result
    assert "simplify" not in result.detail, result  # the cheap reduction decided it


def test_a_wrong_shift_in_the_derivative_is_not_proved(make_step):
    wrong = Sum(KroneckerDelta(k, i + j) * w[j], (j, 1, f))
    assert symbolic_result(Derivative(CONV, y[k]), wrong, layer()).outcome != "proved"
    assert check_step(make_step(Derivative(CONV, y[k]), "=", wrong, layer())).status == FAILED


def test_the_delta_sum_is_not_summed_with_a_sampling_range_as_a_fact(make_step):
    # Every sample has k ≤ n, but here k is declared only as an integer ≥ 1: the bracket that
    # the delta sum leaves must not be dropped, so w_{k−i+1} alone is no proof.
    loose = assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(i, 1, m), Integer(k, 1, 6),
                   RealVector(w, f), RealVector(y, n))
    claim = w[k - i + 1]
    assert symbolic_result(Derivative(CONV, y[k]), claim, loose).outcome != "proved"
    assert check_step(make_step(Derivative(CONV, y[k]), "=", claim, loose)).status != VERIFIED


# ── rational functions: cancel settles them, and only true ones ──────────────────────────────
def test_a_rational_identity_is_settled_by_cancel():
    a, b = sp.symbols("a b", positive=True)
    lhs = a / (b * (b + sqrt(a + b**2))) + 1
    rhs = sqrt(a + b**2) / b
    result = symbolic_result(lhs, rhs, assume(Positive(a, 1, 2), Positive(b, 1, 2)))
    assert result.outcome == "proved" and "simplify" not in result.detail, result


def test_a_false_rational_identity_is_rejected(make_step):
    a = sp.Symbol("a", real=True)
    reals = assume(Real(a, 2, 5))
    assert symbolic_result((a**2 - 1) / (a - 1), a - 1, reals).outcome != "proved"
    assert check_step(make_step((a**2 - 1) / (a - 1), "=", a - 1, reals)).status == FAILED


def test_expansion_never_splits_logs_or_roots_of_reals(make_step):
    # Declared real, not positive: log(a·b) = log a + log b and (a·b)^(1/2) = a^(1/2)·b^(1/2)
    # are false for two negative reals, although every sample in [1, 3] agrees.
    a, b = sp.symbols("a b", real=True)
    reals = assume(Real(a, 1, 3), Real(b, 1, 3))
    assert symbolic_result(log(a * b), log(a) + log(b), reals).outcome != "proved"
    assert symbolic_result(sqrt(a * b), sqrt(a) * sqrt(b), reals).outcome != "proved"
    assert check_step(make_step(log(a * b), "=", log(a) + log(b), reals)).status != VERIFIED


# ── bracketed sums: the sum technique goes first ─────────────────────────────────────────────
FORWARD = Sum(band(w[k - i + 1], k - i + 1, f) * y[k], (k, 1, n))


def test_a_bracketed_sum_is_proved_by_the_sum_technique_before_summation(make_step):
    result = check_step(make_step(FORWARD, "=", CONV, layer()))
    assert result.status == VERIFIED, result
    assert [m.method for m in result.methods][0] == "sums", result.methods  # SymPy's summation not tried


def test_a_wrong_shift_of_a_bracketed_sum_fails(make_step):
    wrong = Sum(w[j] * y[i + j], (j, 1, f))
    assert check_step(make_step(FORWARD, "=", wrong, layer())).status == FAILED


def test_a_sum_proof_over_an_undeclared_symbol_is_not_taken(make_step):
    # q appears on both sides but nothing declares it: the symbolic check's invariant (no free
    # undeclared symbol) holds for the sum technique too.
    q = sp.Symbol("q", integer=True, positive=True)
    result = check_step(make_step(FORWARD + q, "=", CONV + q, layer()))
    assert result.status == FAILED, result
    assert not any(m.method == "sums" and m.outcome == "proved" for m in result.methods), result.methods


# ── sums SymPy cannot close are not sent through its summation, and doit's answer is kept ─────
def test_evaluating_gives_what_doit_gives():
    from derive.core.checks.prepare import _beyond_summation, evaluate

    n = sp.Symbol("n", integer=True, positive=True)
    x = sp.IndexedBase("x", real=True)
    c = sp.Symbol("c", real=True)
    cases = [
        Sum(x[j + 1] - x[j], (j, 1, n)),  # telescopes: SymPy sums it
        Sum(w[j] * y[j], (j, 1, 3)),  # a fixed number of terms: written out
        Sum(KroneckerDelta(k, i + j - 1) * w[j], (j, 1, f)),  # a delta: summed
        Sum(c * j, (j, 1, n)),  # no sequence: summed
        CONV,  # no closed form: left as it is
        2 * CONV + Sum(sp.exp(x[j]), (j, 1, n)) * Sum(x[j + 1] - x[j], (j, 1, n)),
        Derivative(CONV, y[k]),  # the derivative must see the sum
        Sum(CONV, (i, 1, m)),  # nested
    ]
    for expr in cases:
        assert evaluate(expr) == expr.doit(), expr
    assert _beyond_summation(CONV) and not _beyond_summation(cases[0]) and not _beyond_summation(cases[1])
    assert not any(type(a).__name__ == "_Unsummable" for a in sp.preorder_traversal(evaluate(cases[5])))


def test_an_unclosed_sum_in_a_false_step_still_fails(make_step):
    wrong = Sum(w[j] * y[i + j], (j, 1, f))
    assert symbolic_result(2 * CONV, CONV + wrong, layer()).outcome != "proved"
    assert check_step(make_step(2 * CONV, "=", CONV + wrong, layer())).status == FAILED
    assert symbolic_result(2 * CONV, CONV + CONV, layer()).outcome == "proved"


def test_brackets_written_two_ways_are_the_same_body_and_a_shifted_one_is_not():
    from derive.core.checks import sums

    one = Piecewise((w[k - i + 1], sp.And(sp.Le(1, k - i + 1, evaluate=False), sp.Le(k - i + 1, f, evaluate=False))),
                    (0, True))
    other = Piecewise((w[k - i + 1], sp.And(sp.Le(i - k, 0), sp.Ge(f, k - i + 1))), (0, True))
    shifted = Piecewise((w[k - i + 1], sp.And(sp.Le(i - k, 0), sp.Ge(f, k - i))), (0, True))
    assert sums._same_body(one, other)
    assert not sums._same_body(one, shifted)


# ── derivatives and Kronecker-delta sums only, before evaluating every sum ────────────────────
v = sp.IndexedBase("v", real=True)
p = sp.Symbol("p", integer=True, positive=True)
BIAS = sp.Symbol("b", real=True)


def test_a_chain_of_derivatives_of_sums_is_decided_before_summation():
    # d/dy_k Σ_i v_i (Σ_j w_j y_{i+j−1} + b) = Σ_i v_i w_{k−i+1} on the band: the delta sums close.
    layer_v = layer(RealVector(v, m), Real(BIAS))
    lhs = Derivative(Sum(v[i] * (CONV + BIAS), (i, 1, m)), y[k])
    rhs = Sum(v[i] * band(w[k - i + 1], k - i + 1, f), (i, 1, m))
    result = symbolic_result(lhs, rhs, layer_v)
    assert result.outcome == "proved" and "Kronecker-delta sums" in result.detail, result


def test_a_wrong_band_after_the_delta_sum_is_not_proved(make_step):
    layer_v = layer(RealVector(v, m), Real(BIAS))
    lhs = Derivative(Sum(v[i] * (CONV + BIAS), (i, 1, m)), y[k])
    wrong = Sum(v[i] * band(w[k - i + 1], k - i + 1, f - 1), (i, 1, m))  # drops the last tap
    assert symbolic_result(lhs, wrong, layer_v).outcome != "proved"
    assert check_step(make_step(lhs, "=", wrong, layer_v)).status == FAILED


def test_a_delta_sum_closes_only_under_the_declared_bound(make_step):
    # Σ_j δ_{p,j} y_{i+j−1} = y_{i+p−1} needs p ≤ f. Declared 1 ≤ p ≤ f it is proved; declared
    # 1 ≤ p ≤ 4 the bracket must stay (for p > f the sum is 0) and the step is no ✓.
    lhs = Sum(v[i] * Sum(KroneckerDelta(p, j) * y[i + j - 1], (j, 1, f)), (i, 1, m))
    rhs = Sum(v[i] * y[i + p - 1], (i, 1, m))
    inside = assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(p, 1, f), RealVector(v, m), RealVector(y, n))
    assert symbolic_result(lhs, rhs, inside).outcome == "proved"
    beyond = assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(p, 1, 4), RealVector(v, m),
                    RealVector(y, f + m + 2))
    assert symbolic_result(lhs, rhs, beyond).outcome != "proved"
    assert check_step(make_step(lhs, "=", rhs, beyond)).status == FAILED


def test_a_strided_delta_is_not_summed(make_step):
    # d/dy_k Σ_j y_{2j} is 1 for even k only; delta summation would solve 2j = k for any k.
    top = sp.Symbol("t", integer=True, positive=True)
    strided = assume(Integer(top, 1, 3), Integer(k, 1, 2 * top), RealVector(y, 2 * top))
    lhs = Derivative(Sum(y[2 * j], (j, 1, top)), y[k])
    claim = band(1, k / 2, top)
    assert symbolic_result(lhs, claim, strided).outcome != "proved"
    assert check_step(make_step(lhs, "=", claim, strided)).status == FAILED  # k odd: 0, not 1
