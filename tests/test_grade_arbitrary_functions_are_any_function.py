"""Grading with an arbitrary σ (Problem 4): an answer must agree for several stand-ins of σ. Undefined,
σ cannot be evaluated, and the only points that could be (where a band is 0 on both sides) once
graded σ in place of σ' correct."""

from __future__ import annotations

import sympy as sp

from derive.documents.hw7 import p4_conv_backprop as p4
from derive.grade import printed
from derive.grade.diagnose import compare
from derive.grade.parser import parse_answer

PRE_ACTIVATION = p4.b + sp.Sum(p4.w[p4.j] * p4.y[p4.i + p4.j - 1], (p4.j, 1, p4.f))
EXPECTED = p4.SigmaPrime(PRE_ACTIVATION) * p4.entry(p4.i, p4.k)


def _grade(answer: str) -> str:
    claim = parse_answer(answer, printed.answer_names(EXPECTED), functions=printed.answer_functions(EXPECTED))
    return compare(claim, EXPECTED).status


def test_sigma_for_sigma_prime_is_wrong() -> None:
    assert _grade("sigma(b + sum(w_j*y_{i+j-1}, j, 1, f)) * (w_{k-i+1} if 1 <= k-i+1 <= f else 0)") == "wrong"


def test_sigma_prime_at_the_pre_activation_is_correct_and_printed_as_written() -> None:
    assert _grade("sigma'(b + sum(w_j*y_{i+j-1}, j, 1, f)) * (w_{k-i+1} if 1 <= k-i+1 <= f else 0)") == "correct"
    assert "sigma'(b + " in printed.student(EXPECTED)


def test_sigma_prime_at_another_point_is_wrong() -> None:
    assert _grade("sigma'(b) * (w_{k-i+1} if 1 <= k-i+1 <= f else 0)") == "wrong"
