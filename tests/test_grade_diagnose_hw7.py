"""The real student's Problem 2 totals, graded against counts computed here from the network.

The student counted "add & mult" (two operations per multiply-accumulate) and wrote
131133056 for the convolutions and 117243904 for the linear layers. The true MAC counts are
computed below from the layer table of PROBLEMS.md, independently of derive.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

from derive.grade.diagnose import DIAGNOSIS_FACTOR_2, Verdict, compare
from derive.grade.parser import parse_answer, stated_decimals

# (c_in, c_out, kernel, h_out) of AlexNet's five convolutions for a 3 × 227 × 227 input
CONVS = [(3, 64, 11, 55), (64, 192, 5, 27), (192, 384, 3, 13), (384, 256, 3, 13), (256, 256, 3, 13)]
LINEARS = [(9216, 4096), (4096, 4096), (4096, 1000)]
CONV_MACS = sum(c_out * h * h * c_in * k * k for c_in, c_out, k, h in CONVS)
LINEAR_MACS = sum(c_in * c_out for c_in, c_out in LINEARS)

STUDENT_CONV = "131133056"
STUDENT_LINEAR = "117243904"


def test_the_counts_are_the_sheets() -> None:
    """PROBLEMS.md states the official MAC totals; the table above must reproduce them."""
    assert (CONV_MACS, LINEAR_MACS) == (655_566_528, 58_621_952)


def test_the_claims_are_what_the_student_wrote(student_workings: Path) -> None:
    text = student_workings.read_text(encoding="utf-8")
    conv = re.search(r"Convolutional layers total.*?=\s*(\d{6,})", text, re.DOTALL)
    linear = re.search(r"Linear layers total.*?=\s*(\d{6,})", text, re.DOTALL)
    assert conv is not None and linear is not None
    assert (conv.group(1), linear.group(1)) == (STUDENT_CONV, STUDENT_LINEAR)


def grade(text: str, expected: int) -> Verdict:
    return compare(parse_answer(text), sympy.Integer(expected), decimals=stated_decimals(text))


def test_the_conv_total_is_the_flop_count_with_a_digit_dropped() -> None:
    verdict = grade(STUDENT_CONV, CONV_MACS)
    assert verdict == Verdict(
        "wrong",
        "one digit dropped: a transcription slip of 1311133056,"
        " which is 2 × the expected value (MAC against FLOP convention)",
        "exact",
    )
    against_flops = grade(STUDENT_CONV, 2 * CONV_MACS)
    assert against_flops == Verdict("wrong", "one digit dropped: a transcription slip", "exact")


def test_the_linear_total_is_right_in_the_flop_convention() -> None:
    assert grade(STUDENT_LINEAR, LINEAR_MACS) == Verdict("wrong", DIAGNOSIS_FACTOR_2, "exact")
    assert grade(STUDENT_LINEAR, 2 * LINEAR_MACS) == Verdict("correct", None, "exact")


@pytest.mark.parametrize(
    "text", ["655,566,528", "655_566_528", "655566528", r"655{,}566{,}528", "2*(CONV)/2"]
)
def test_the_official_conv_count_in_any_spelling(text: str) -> None:
    text = text.replace("CONV", str(CONV_MACS))
    assert grade(text, CONV_MACS) == Verdict("correct", None, "exact")


def test_the_percentages() -> None:
    share = sympy.Rational(CONV_MACS, CONV_MACS + LINEAR_MACS)
    assert compare(parse_answer("91.79%"), share, decimals=stated_decimals("91.79%")).status == (
        "correct"
    )
    assert compare(parse_answer("8.21%"), 1 - share, decimals=stated_decimals("8.21%")).status == (
        "correct"
    )
    assert compare(parse_answer("8.22%"), 1 - share, decimals=stated_decimals("8.22%")).status == (
        "wrong"
    )
