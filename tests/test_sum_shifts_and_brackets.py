"""Index shifts, reflections, Iverson brackets and block concatenation: right ones proved,
wrong ones never."""

import sympy as sp
from sympy import Piecewise, Sum

from derive.core.assumptions import Constraint, Integer, RealVector, assume
from derive.core.checks import sums
from derive.core.checks.runner import check_step
from derive.core.document import Derivation

f, m, i, j, k, p = sp.symbols("f m i j k p", integer=True, positive=True)
C, H, W, c, r, s, t = sp.symbols("C H W c r s t", integer=True, positive=True)
w, y, v, a, x = (sp.IndexedBase(name, real=True) for name in "wyvax")
n = f + m - 1


def band(value, index, top):
    return Piecewise((value, sp.And(sp.Le(1, index), sp.Le(index, top))), (0, True))


def layer(*extra):
    return assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(i, 1, m), Integer(k, 1, n),
                  RealVector(w, f), RealVector(y, n), RealVector(v, m), *extra)


def proved(lhs, rhs, assumptions) -> bool:
    return sums.prove_equal(lhs, rhs, assumptions).outcome == "proved"


FORWARD = Sum(band(w[k - i + 1], k - i + 1, f) * y[k], (k, 1, n))
CONV = Sum(w[j] * y[i + j - 1], (j, 1, f))


def test_a_banded_product_is_the_shifted_convolution():
    assert proved(FORWARD, CONV, layer())


def test_a_wrong_index_shift_is_rejected():
    assert not proved(FORWARD, Sum(w[j] * y[i + j], (j, 1, f)), layer())
    assert not proved(FORWARD, Sum(w[j] * y[i + j - 1], (j, 2, f + 1)), layer())
    assert not proved(CONV, Sum(w[j] * y[i + j - 1], (j, 0, f - 1)), layer())


def test_a_bracket_needs_a_declared_bound_not_a_sampling_range():
    # Every sample has i ≤ 4 ≤ m, but i ≤ m is not declared: the window may stick out.
    loose = assume(Integer(f, 1, 3), Integer(m, 4, 6), Integer(i, 1, 4), RealVector(w, f), RealVector(y, n))
    assert not proved(FORWARD, CONV, loose)


def test_the_transpose_is_a_reflected_sum():
    left = Sum(band(w[k - i + 1], k - i + 1, f) * v[i], (i, 1, m))
    right = Sum(w[j] * band(v[k - j + 1], k - j + 1, m), (j, 1, f))
    assert proved(left, right, layer())
    wrong = Sum(w[j] * band(v[k - j], k - j, m), (j, 1, f))
    assert not proved(left, wrong, layer())


def test_a_backwards_sum_is_not_read_as_a_set_sum():
    # Σ_{j=1}^{f−5} is backwards when f < 4: Karr's convention makes it −Σ_{f−4}^{0}, where the
    # bracket [1 ≤ j ≤ f] is 0 but w_j is not, so the two sides differ although a set-sum
    # reading would call them equal.
    assert not proved(Sum(band(w[j], j, f), (j, 1, f - 5)), Sum(w[j], (j, 1, f - 5)), layer())


def test_consecutive_blocks_concatenate_only_with_the_right_stride():
    sizes = assume(Integer(C, 1, 3), Integer(H, 1, 3), Integer(W, 1, 3))
    flat = Sum(a[t] * x[t], (t, 1, C * H * W))
    place = (c - 1) * H * W + (r - 1) * W + s
    assert proved(flat, Sum(a[place] * x[place], (s, 1, W), (r, 1, H), (c, 1, C)), sizes)
    gappy = (c - 1) * H * W + (r - 1) * (W + 1) + s
    assert not proved(flat, Sum(a[gappy] * x[gappy], (s, 1, W), (r, 1, H), (c, 1, C)), sizes)
    assert not proved(flat, Sum(a[place] * x[place], (s, 1, W), (r, 1, H), (c, 1, C - 1)), sizes)


def test_the_runner_marks_a_sum_proof_verified():
    d = Derivation("t", layer())
    result = check_step(d.step(FORWARD, "=", CONV))
    assert result.status == "verified"
    assert any(m.method == "sums" and m.outcome == "proved" for m in result.methods)


# ── closed forms of bracketed sums ──────────────────────────────────────────────────────────
h, d, st, q = sp.symbols("h d st q", integer=True, positive=True)
pad = sp.Symbol("pad", integer=True, nonnegative=True)
o, u = sp.symbols("o u", integer=True)


def fits(o_, limit):
    return Piecewise((1, o_ * st + d * (k - 1) <= limit), (0, True))


SIZE = assume(Integer(st, 1, 3), Integer(d, 1, 2), Integer(k, 1, 3), Integer(pad, 0, 2), Integer(h, 1, 7),
              Constraint(d * (k - 1) <= h + 2 * pad - 1))
WINDOWS = Sum(fits(o, h + 2 * pad - 1), (o, 0, h + 2 * pad - 1))
PYTORCH = sp.floor((h + 2 * pad - d * (k - 1) - 1) / st) + 1


def test_counting_windows_gives_the_size_formula():
    assert proved(PYTORCH, WINDOWS, SIZE)


def test_a_wrong_closed_form_of_a_bracketed_sum_is_rejected():
    assert not proved(PYTORCH + 1, WINDOWS, SIZE)
    assert not proved(sp.floor((h + 2 * pad - d * (k - 1)) / st) + 1, WINDOWS, SIZE)


def test_a_closed_form_needs_the_declared_fit():
    # Without "the dilated kernel fits" the count can be 0 while the formula gives less.
    loose = assume(Integer(st, 1, 3), Integer(d, 1, 2), Integer(k, 1, 3), Integer(pad, 0, 2), Integer(h, 1, 7))
    assert not proved(PYTORCH, WINDOWS, loose)


def test_a_triangle_of_pairs_is_counted_through_two_levels():
    pairs = assume(Integer(k, 1, 4), Integer(pad, 0, k), Integer(q, 1, 6),
                   Constraint(sp.Le(k, q + pad + 1)))
    left = Sum(Piecewise((1, o + u - pad <= -1), (0, True)), (o, 0, q + 2 * pad - k), (u, 0, k - 1))
    assert proved(left, pad * (pad + 1) / 2, pairs)
    assert not proved(left, pad * (pad - 1) / 2, pairs)


def test_a_free_index_named_like_the_other_sums_index_is_not_captured():
    # y_j Σ_i w_i is not Σ_j w_j y_j: renaming i to j must not capture the free j.
    assert not proved(Sum(w[i] * y[j], (i, 1, f)), Sum(w[j] * y[j], (j, 1, f)), layer(Integer(j, 1, f)))


def test_a_summand_with_its_own_binding_is_left_alone():
    inner = Sum(w[i], (i, 1, 2))
    assert not proved(Sum(inner * y[i], (i, 1, f)), Sum(w[j] * y[j], (j, 1, f)), layer())


def test_a_fact_about_a_free_symbol_is_not_used_for_an_index_of_the_same_name():
    # Declared: m ≤ o for a free o. The outer o summed over runs from 0 and knows nothing of that,
    # so for o < m − 1 the inner sum over t ≤ o − m is empty, not o − m + 1.
    shadow = assume(Integer(m, 1, 3), Integer(o, m, 5), Integer(k, 1, 3))
    nested = Sum(Piecewise((1, u <= o - m), (0, True)), (u, 0, o), (o, 0, k))
    wrong = sp.expand(sp.Sum(o - m + 1, (o, 0, k)).doit())
    assert not proved(nested, wrong, shadow)
