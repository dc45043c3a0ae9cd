"""The numeric check works a derivative of a sum out (SymPy, exactly) and evaluates the sum it
leaves term by term, like every other sum, instead of asking SymPy to sum it first: the same
values where SymPy's summation is right, and a wrong band or shift still fails."""

from __future__ import annotations

import itertools

import mpmath
import sympy as sp
from sympy import Derivative, KroneckerDelta, Piecewise, Sum

from derive.core.assumptions import Integer, Real, RealVector, assume
from derive.core.checks import numeric
from derive.core.checks.compiled import _prepare, compile_entries

f, m, i, j, k = sp.symbols("f m i j k", integer=True, positive=True)
w, y, v = (sp.IndexedBase(name, real=True) for name in "wyv")
b = sp.Symbol("b", real=True)
n = f + m - 1
LHS = Derivative(Sum(v[i] * (Sum(w[j] * y[i + j - 1], (j, 1, f)) + b), (i, 1, m)), y[k])


def band(top):
    inside = sp.And(sp.Le(1, k - i + 1), sp.Le(k - i + 1, top))
    return Sum(Piecewise((v[i] * w[k - i + 1], inside), (0, True)), (i, 1, m))


def layer():
    return assume(Integer(f, 1, 3), Integer(m, 1, 4), Integer(k, 1, n), Real(b),
                  RealVector(w, f), RealVector(y, n), RealVector(v, m))


def test_the_sum_a_derivative_leaves_is_not_summed_but_has_the_summed_value():
    taken = _prepare(LHS)
    assert not taken.has(Derivative) and taken.has(KroneckerDelta), taken  # Σ_j w_j δ_{k,i+j−1} left
    summed = LHS.doit()
    term_by_term = compile_entries([taken, summed], [f, m, k, w, v])
    with mpmath.workdps(60):
        for taps, outputs in itertools.product(range(1, 4), range(1, 5)):
            filt = {t: mpmath.mpf(t) / 7 + 1 for t in range(1, taps + 1)}
            row = {t: mpmath.mpf(3 - t) / 5 for t in range(1, outputs + 1)}
            for column in range(1, taps + outputs):
                a, c = term_by_term(taps, outputs, column, filt, row)
                assert a == c, (taps, outputs, column, a, c)


def test_the_band_is_confirmed_and_a_wrong_band_fails():
    assert numeric.check("band/true", LHS, "=", band(f), layer()).outcome == "passed"
    wrong = numeric.check("band/short", LHS, "=", band(f - 1), layer())
    assert wrong.outcome == "failed", wrong
    shifted = numeric.check("band/shifted", LHS, "=", band(f).subs(k, k + 1), layer())
    assert shifted.outcome == "failed", shifted
