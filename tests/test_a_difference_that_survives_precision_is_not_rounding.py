"""A difference within the numeric tolerance is rounding only if it shrinks at doubled precision.

The tolerance (10^-40 of the terms' size) absorbs rounding; a claim off by 10^-45 (or 10^-55) of
its size would hide below it and get ≈. Such a difference is looked at again at 120 digits,
where rounding shrinks by 60 orders of magnitude and a genuine difference stays.
"""

from __future__ import annotations

import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import numeric

u = sp.Symbol("u", real=True)
REALS = assume(Real(u, 1, 3))


def test_an_equality_off_by_ten_to_the_minus_55_fails():
    result = numeric.check("tiny.eq", u + u / sp.Integer(10) ** 55, "=", u, REALS)
    assert result.outcome == "failed", result


def test_a_non_strict_inequality_violated_by_ten_to_the_minus_55_fails():
    result = numeric.check("tiny.le", u, "<=", u - u / sp.Integer(10) ** 55, REALS)
    assert result.outcome == "failed", result


def test_rounding_in_a_true_identity_still_passes():
    # exp(70)·u cancels: at 60 digits the sides differ by rounding only, which shrinks at 120.
    big = sp.exp(70)
    result = numeric.check("tiny.round", u * (1 + big) - u * big, "=", u, REALS)
    assert result.outcome == "passed", result
    result = numeric.check("tiny.round.le", sp.sqrt(u) ** 2 * (1 + big) - u * big, "<=", u, REALS)
    assert result.outcome == "passed", result
