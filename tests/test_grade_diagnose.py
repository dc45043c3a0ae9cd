"""compare(): equivalent answers accepted, wrong ones rejected, each diagnosis triggered where it
fits and nowhere else, and the time limits."""

from __future__ import annotations

import random
import signal
import threading

import pytest
import sympy
from sympy import IndexedBase, Integer, Rational, Sum, Symbol, exp, log

from derive.grade.diagnose import (
    DIAGNOSIS_FACTOR_2,
    DIAGNOSIS_PERCENT,
    DIAGNOSIS_ROUNDED,
    DIAGNOSIS_SIGN,
    CompareOptions,
    Verdict,
    compare,
)
from derive.grade.parser import parse_answer, stated_decimals, symbols_of

X = IndexedBase("x")
i = Symbol("i", integer=True)
k = Symbol("k", integer=True, positive=True)
n = Symbol("n", integer=True, positive=True)
beta = Symbol("beta", positive=True)
a, b = sympy.symbols("a b", positive=True)
x = Symbol("x")

SOFTMAX = exp(X[k]) / Sum(exp(X[i]), (i, 1, n))
NU = log(Sum(exp(beta * X[i]), (i, 1, n))) / beta
GRAD_NU = exp(beta * X[k]) / Sum(exp(beta * X[i]), (i, 1, n))
SIGMOID = 1 / (1 + exp(-x))


def grade(text: str, expected: sympy.Expr, **kwargs: object) -> Verdict:
    """What `derive grade` will do: parse with the expected answer's names, then compare."""
    claim = parse_answer(text, symbols_of(expected))
    return compare(claim, expected, decimals=stated_decimals(text), **kwargs)  # type: ignore[arg-type]


EQUIVALENT = [
    ("exp(x_k)/sum(exp(x_i), i, 1, n)", SOFTMAX),
    (r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}}", SOFTMAX),
    (r"\frac{e^{x_k}}{\sum_{j=1}^{n} e^{x_j}}", SOFTMAX),  # another bound index
    (r"\frac{1}{\sum_{i=1}^{n} \exp(x_i - x_k)}", SOFTMAX),
    (r"\frac{1}{\beta} \log \left( \sum_{i=1}^{n} \exp(\beta x_i) \right)", NU),
    (r"\frac{1}{\sum_{i=1}^{n} \exp(\beta(x_i - x_k))}", GRAD_NU),  # the student's form
    ("exp(x)/(exp(x)+1)", SIGMOID),
    ("1/(1+exp(-x))", parse_answer("exp(x)/(exp(x)+1)")),
    ("log(a) + log(b)", log(a * b)),
    ("(x+1)^2", x**2 + 2 * x + 1),
    ("sum(i, i, 1, n)", n * (n + 1) / 2),
    ("log(8)/log(2)", Integer(3)),
    ("sqrt(8)", 2 * sympy.sqrt(2)),
    ("655,566,528", Integer(655566528)),
    ("0.5", Rational(1, 2)),
]


@pytest.mark.parametrize(("text", "expected"), EQUIVALENT, ids=[t for t, _ in EQUIVALENT])
def test_equivalent_answers_are_correct(text: str, expected: sympy.Expr) -> None:
    verdict = grade(text, expected)
    assert (verdict.status, verdict.diagnosis) == ("correct", None)


WRONG = [
    ("-exp(x_k)/sum(exp(x_i), i, 1, n)", SOFTMAX, DIAGNOSIS_SIGN),  # sign flip
    ("2*exp(x_k)/sum(exp(x_i), i, 1, n)", SOFTMAX, "off by a factor of 2"),
    ("exp(x_k)/(2*sum(exp(x_i), i, 1, n))", SOFTMAX, "off by a factor of 1/2"),
    ("log(sum(exp(beta*x_i), i, 1, n))", NU, None),  # missing factor 1/beta: not constant
    ("exp(x_i)/sum(exp(x_j), j, 1, n)", SOFTMAX, "uses i where k was expected"),  # wrong index
    ("exp(x_i)/sum(exp(x_i), i, 1, n)", SOFTMAX, "uses i where k was expected"),  # same letter
    ("exp(x_k)/sum(exp(x_i), i, 1, n-1)", SOFTMAX, None),  # wrong bound
    ("exp(x_k)/sum(exp(x_i), i, 2, n)", SOFTMAX, None),
    (
        "exp(x_k)/sum(exp(x_j), i, 1, n)",
        SOFTMAX,
        "uses j, which the expected answer does not contain",
    ),
    ("exp(-x)/(exp(x)+1)", SIGMOID, None),
    ("-1/(1+exp(-x))", SIGMOID, DIAGNOSIS_SIGN),
    ("exp(beta*x_k)/sum(exp(x_i), i, 1, n)", GRAD_NU, None),
    ("x^2 + x + 1", x**2 + 2 * x + 1, None),
]


@pytest.mark.parametrize(("text", "expected", "diagnosis"), WRONG, ids=[t for t, _, _ in WRONG])
def test_wrong_expressions_are_rejected(
    text: str, expected: sympy.Expr, diagnosis: str | None
) -> None:
    verdict = grade(text, expected)
    assert (verdict.status, verdict.diagnosis, verdict.method) == ("wrong", diagnosis, "numeric")


COUNT = Integer(655_566_528)
SHARE = Rational(655_566_528, 655_566_528 + 58_621_952)  # 0.91789...
SHARE_PERCENT = 100 * SHARE

# (claim, expected, the diagnosis that must fit)
DIAGNOSES = [
    ("1,311,133,056", COUNT, DIAGNOSIS_FACTOR_2),
    ("327,783,264", COUNT, DIAGNOSIS_FACTOR_2),
    ("-655566528", COUNT, DIAGNOSIS_SIGN),
    ("-1.5", Rational(3, 2), DIAGNOSIS_SIGN),
    ("65556652", COUNT, "one digit dropped: a transcription slip"),
    ("6555665828", COUNT, "one digit added: a transcription slip"),
    ("655566582", COUNT, "two adjacent digits swapped: a transcription slip"),
    ("655566529", COUNT, "one digit mistyped: a transcription slip"),
    ("91.97", SHARE_PERCENT, "two adjacent digits swapped: a transcription slip"),
    ("92.79", SHARE_PERCENT, "one digit mistyped: a transcription slip"),
    (
        "131133056",
        COUNT,
        "one digit dropped: a transcription slip of 1311133056,"
        " which is 2 × the expected value (MAC against FLOP convention)",
    ),
    (
        "327783246",
        COUNT,
        "two adjacent digits swapped: a transcription slip of 327783264,"
        " which is half the expected value (MAC against FLOP convention)",
    ),
    (
        "1311133055",
        COUNT,
        "one digit mistyped: a transcription slip of 1311133056,"
        " which is 2 × the expected value (MAC against FLOP convention)",
    ),
    ("91.79", SHARE, DIAGNOSIS_PERCENT),
    ("0.9179", SHARE_PERCENT, DIAGNOSIS_PERCENT),
    ("1,966,699,584", COUNT, "off by a factor of 3"),
    ("163,891,632", COUNT, "off by a factor of 1/4"),
    ("491,674,896", COUNT, "off by a factor of 3/4"),
    ("45.90", SHARE_PERCENT, "off by a factor of 1/2"),
    ("12", Integer(6), "off by a factor of 2"),  # too small to be an operation count
    ("91.7", SHARE_PERCENT, DIAGNOSIS_ROUNDED),
    ("91.78", SHARE_PERCENT, DIAGNOSIS_ROUNDED),  # truncated, not rounded
    ("91.7%", SHARE, DIAGNOSIS_ROUNDED),
    ("655,000,000", COUNT, DIAGNOSIS_ROUNDED),
    ("1.41", sympy.sqrt(2) * Rational(1001, 1000), DIAGNOSIS_ROUNDED),
]


@pytest.mark.parametrize(
    ("text", "expected", "diagnosis"), DIAGNOSES, ids=[t for t, _, _ in DIAGNOSES]
)
def test_each_diagnosis_fires(text: str, expected: sympy.Expr, diagnosis: str) -> None:
    verdict = grade(text, expected)
    assert (verdict.status, verdict.diagnosis) == ("wrong", diagnosis)


# Wrong claims that resemble a diagnosis but must not get it.
NO_DIAGNOSIS = [
    ("656,223,104", COUNT),  # a different convention (biases), not a rounding: < 0.5 % off
    ("655,566,530", COUNT),  # two digits differ
    ("656", Integer(655)),  # one digit off, but too short to call it a slip
    ("3", Integer(5)),  # 3/5 of a small number is no "factor"
    ("7", Integer(5)),
    ("90.5", SHARE_PERCENT),  # 1.4 % off: more than a rounding
    ("1.2e9", COUNT),  # 8 % off
    ("0", COUNT),
]


@pytest.mark.parametrize(("text", "expected"), NO_DIAGNOSIS, ids=[t for t, _ in NO_DIAGNOSIS])
def test_diagnoses_do_not_fire_falsely(text: str, expected: sympy.Expr) -> None:
    verdict = grade(text, expected)
    assert (verdict.status, verdict.diagnosis) == ("wrong", None)


ROUNDING = [
    ("91.79", SHARE_PERCENT, "correct"),  # 91.7899... to 2 decimals
    ("91.8", SHARE_PERCENT, "correct"),
    ("92", SHARE_PERCENT, "wrong"),  # a whole number is exact unless written 92.
    ("92%", SHARE, "correct"),  # a percentage always states its precision
    ("91.79%", SHARE, "correct"),
    ("91.80", SHARE_PERCENT, "wrong"),  # two decimals given: 91.79 was the value
    ("1.3e9", 2 * COUNT, "correct"),  # two significant figures stated
    ("1.4e9", 2 * COUNT, "wrong"),
    ("1.41421", sympy.sqrt(2), "correct"),
    ("1.41422", sympy.sqrt(2), "wrong"),
    ("0.125", Rational(1, 8), "correct"),
    ("0.12", Rational(1, 8), "correct"),  # a tie: 0.125 rounds either way
    ("0.13", Rational(1, 8), "correct"),
    ("0.14", Rational(1, 8), "wrong"),
]


@pytest.mark.parametrize(("text", "expected", "status"), ROUNDING, ids=[t for t, _, _ in ROUNDING])
def test_a_claim_is_judged_at_the_decimals_it_states(
    text: str, expected: sympy.Expr, status: str
) -> None:
    assert grade(text, expected).status == status


def test_how_a_constant_was_decided() -> None:
    assert grade("91.79", SHARE_PERCENT).method == "rounding"
    assert grade("0.125", Rational(1, 8)).method == "exact"  # equal, decimals or not
    assert grade("log(8)/log(2)", Integer(3)).method == "numeric"


def test_exact_claims_need_exact_values() -> None:
    """Without decimals, 0.9179 is the number 9179/10000, which is not the share."""
    verdict = compare(parse_answer("0.9179"), SHARE)
    assert (verdict.status, verdict.diagnosis) == ("wrong", DIAGNOSIS_ROUNDED)


def test_names_are_matched_to_the_expected_answers_symbols() -> None:
    """A claim parsed without the table still shares n, beta and x with the expected answer."""
    claim = parse_answer(r"\frac{1}{\beta} \log \sum_{i=1}^{n} e^{\beta x_i}", indexed=("x",))
    assert claim.free_symbols != NU.free_symbols  # plain symbols, no assumptions
    assert compare(claim, NU).status == "correct"


def test_assumptions_decide_what_is_equal() -> None:
    """sqrt(x^2) is |x|: not x for a real x of either sign, but x for a positive one."""
    real = Symbol("y", real=True)
    positive = Symbol("y", positive=True)
    assert grade("sqrt(y^2)", real).status == "wrong"
    assert grade("sqrt(y^2)", positive).status == "correct"


def test_a_sampler_chooses_the_points() -> None:
    def positive_only(unknown: sympy.Expr, rng: random.Random) -> sympy.Expr:
        return Rational(rng.randint(1, 100), 10)

    claim = parse_answer("sqrt(y^2)")
    expected = Symbol("y")
    assert (
        compare(claim, expected, options=CompareOptions(symbolic_seconds=0.001)).status == "wrong"
    )
    verdict = compare(
        claim, expected, options=CompareOptions(symbolic_seconds=0.001, sampler=positive_only)
    )
    assert verdict.status == "correct"


def test_slow_simplification_falls_back_to_the_numeric_test() -> None:
    verdict = grade("exp(x)/(exp(x)+1)", SIGMOID, options=CompareOptions(symbolic_seconds=1e-6))
    assert (verdict.status, verdict.method) == ("correct", "numeric")
    wrong = grade("exp(-x)/(exp(x)+1)", SIGMOID, options=CompareOptions(symbolic_seconds=1e-6))
    assert (wrong.status, wrong.method) == ("wrong", "numeric")


def test_running_out_of_time_is_undecided_not_wrong() -> None:
    verdict = grade(
        r"\frac{e^{x_k}}{\sum_{j=1}^{n} e^{x_j}}",
        SOFTMAX,
        options=CompareOptions(symbolic_seconds=1e-6, numeric_seconds=1e-6),
    )
    assert verdict == Verdict("undecided", "the comparison ran out of time", "none")


def test_answers_undefined_at_every_point_are_undecided() -> None:
    def zero(unknown: sympy.Expr, rng: random.Random) -> sympy.Expr:
        return Integer(0)

    y = Symbol("y")
    claim = parse_answer("1/(y*(y+1))")
    expected = 1 / y - 1 / (y + 1)
    verdict = compare(claim, expected, options=CompareOptions(symbolic_seconds=1e-6, sampler=zero))
    assert verdict == Verdict(
        "undecided", "the answers could not be evaluated at enough sample points", "none"
    )


def test_outside_the_main_thread_the_numeric_test_decides() -> None:
    verdicts: list[Verdict] = []
    worker = threading.Thread(target=lambda: verdicts.append(grade("exp(x)/(exp(x)+1)", SIGMOID)))
    worker.start()
    worker.join(timeout=60)
    assert verdicts == [Verdict("correct", None, "numeric")]


def test_the_alarm_is_given_back() -> None:
    """compare borrows SIGALRM and the real-time timer, and returns both as it found them."""

    def outer_handler(signum: int, frame: object) -> None:
        raise AssertionError("the outer timer fired during the test")

    previous = signal.signal(signal.SIGALRM, outer_handler)
    signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        grade("exp(x)/(exp(x)+1)", SIGMOID)
        assert signal.getsignal(signal.SIGALRM) is outer_handler
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90.0 < remaining <= 100.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_compare_takes_sympy_expressions() -> None:
    with pytest.raises(TypeError, match=r"^compare takes two SymPy expressions$"):
        compare("x", x)  # type: ignore[arg-type]
