"""Adversary against `derive grade`: wrong answers a student can write that the grader calls
correct. Each differs from the expected answer only where the numeric test never looks (whole
numbers above 5, a bump away from the random points) or by less than its tolerance while both
sides are exact. Every test here failed when it was written: a wrong answer graded correct is the
worst mistake a grader can make."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.grade.diagnose import compare
from derive.grade.parser import parse_answer, stated_decimals, symbols_of

n = sp.Symbol("n", integer=True, positive=True)
x = sp.Symbol("x", real=True)


def grade(text: str, expected: sp.Expr) -> str:
    claim = parse_answer(text, {**symbols_of(expected), "n": n, "x": x})
    return compare(claim, expected, decimals=stated_decimals(text)).status


@pytest.mark.xfail(strict=True, reason="known hole: whole numbers are sampled 1..5 only (wrong answer graded correct)")
@pytest.mark.parametrize("text", [
    "n + delta_{n,7}",  # a Kronecker delta at a value above the sampled 1..5
    "min(n, 6)",  # equal to n for n <= 6
    "n + floor(n/6)",  # equal to n for n < 6
    "n*(n-1)*(n-2)*(n-3)*(n-4)*(n-5)/720 + n",  # zero at every sampled whole number
])
def test_an_answer_wrong_only_for_larger_whole_numbers_is_wrong(text):
    assert grade(text, n) == "wrong"


@pytest.mark.xfail(strict=True, reason="known hole: an exact difference below the numeric tolerance is called equal (wrong answer graded correct)")
@pytest.mark.parametrize("text", ["1 + x/10^30", "x + x/10^30"])
def test_an_exact_answer_off_by_an_exact_tiny_amount_is_wrong(text):
    expected = sp.Integer(1) if text.startswith("1") else x
    assert grade(text, expected) == "wrong"


@pytest.mark.xfail(strict=True, reason="known hole: random points miss a narrow bump (wrong answer graded correct)")
def test_an_answer_wrong_only_in_a_narrow_bump_is_wrong():
    assert grade("x + exp(-10000*(x-7/3)^2)", x) == "wrong"


@pytest.mark.parametrize("text", ["n", "n + 0*delta_{n,7}", "max(n, 1)", "n + floor(1/(n+1))"])
def test_right_answers_written_differently_stay_correct(text):
    assert grade(text, n) == "correct"


@pytest.mark.xfail(strict=True, reason="known hole: sums are written out for sizes 2..6 only (wrong answer graded correct)")
def test_a_sum_answer_wrong_only_beyond_the_sampled_sizes_is_wrong():
    # sums are written out for n = 2..6 only: a polynomial vanishing there hides
    assert grade("sum_{k=1}^{n} k + (n-2)(n-3)(n-4)(n-5)(n-6)", n * (n + 1) / 2) == "wrong"


@pytest.mark.xfail(strict=True, reason="known hole: an exponent's negative decimals accept 0e3 for 400 (wrong answer graded correct)")
@pytest.mark.parametrize("text, expected", [("0e3", 400), ("0e6", 400000), ("1e2", 91), ("1e3", 655)])
def test_an_exponent_does_not_buy_a_tolerance_larger_than_the_answer(text, expected):
    # "0e3" states 0 decimals of thousands: read as rounding to thousands, 0 and 1000 would be
    # correct for 400 and 655, a zero or an order of magnitude graded correct.
    assert grade(text, sp.Integer(expected)) == "wrong"
