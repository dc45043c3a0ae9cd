"""A band (``w[k-i+1]`` where 1 <= k-i+1 <= f, else 0) and a band shifted by one differ only at
its edges, where the indices are equal or f apart: the numeric comparison must look there, or a
wrong answer is called correct -- the worst mistake a grader can make."""

from __future__ import annotations

import sympy as sp

from derive.grade.diagnose import compare

i, k, f = sp.symbols("i k f", integer=True, positive=True)
w = sp.IndexedBase(sp.Symbol("w", real=True))


def band(low, high):
    return sp.Piecewise((w[k - i + 1], sp.And(sp.Le(low, k - i + 1), sp.Le(k - i + 1, high))),
                        (0, True))


def test_the_same_band_is_correct():
    assert compare(band(1, f), band(1, f)).status == "correct"


def test_a_band_starting_one_late_is_wrong():
    assert compare(band(2, f), band(1, f)).status == "wrong"


def test_a_band_ending_one_early_is_wrong():
    assert compare(band(1, f - 1), band(1, f)).status == "wrong"
