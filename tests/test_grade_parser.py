"""The answer parser: what it reads (against objects built by hand with SymPy's constructors),
and the exact one-line message for what it refuses."""

from __future__ import annotations

import re

import pytest
import sympy
from sympy import Abs, E, IndexedBase, Integer, KroneckerDelta, Max, Rational, Sum, Symbol, exp, log, pi, sqrt

from derive.errors import InputError
from derive.grade.parser import (
    AnswerParseError,
    ParseLimits,
    parse_answer,
    stated_decimals,
    symbols_of,
)

a, b, i, j, k, n, r, x, y = sympy.symbols("a b i j k n r x y")
beta = Symbol("beta")
X = IndexedBase("x")
EB = IndexedBase("e")

NUMBERS = [
    ("655,566,528", Integer(655566528)),
    ("655_566_528", Integer(655566528)),
    (r"655{,}566{,}528", Integer(655566528)),
    (r"655\,566\,528", Integer(655566528)),
    ("1,000+1", Integer(1001)),
    ("0.5", Rational(1, 2)),
    (".25", Rational(1, 4)),
    ("1.2e9", Integer(1_200_000_000)),
    ("2.5E-3", Rational(1, 400)),
    ("91.79%", Rational(9179, 10000)),
    (r"91.79\%", Rational(9179, 10000)),
    ("0.1 + 0.2", Rational(3, 10)),
    ("007", Integer(7)),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS, ids=[t for t, _ in NUMBERS])
def test_numbers_are_exact(text: str, expected: sympy.Expr) -> None:
    assert parse_answer(text) == expected


OPERATORS = [
    ("2^3^2", Integer(512)),
    ("2**3**2", Integer(512)),
    ("-2^2", Integer(-4)),
    ("2^-1", Rational(1, 2)),
    ("6/2/3", Integer(1)),
    ("1/2x", x / 2),
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("2x^2", 2 * x**2),
    ("2(x+1)", 2 * (x + 1)),
    ("(a+b)(a-b)", (a + b) * (a - b)),
    ("3(a)(b)", 3 * a * b),
    ("a - -b", a + b),
    ("+a", a),
    ("2 − 1", Integer(1)),
    ("2×3·4", Integer(24)),
    ("8÷2", Integer(4)),
    ("{a+b}*2", 2 * (a + b)),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS, ids=[t for t, _ in OPERATORS])
def test_operators_and_juxtaposition(text: str, expected: sympy.Expr) -> None:
    assert parse_answer(text) == expected


NAMES = [
    ("x_k", (), Symbol("x_k")),
    ("x_i_max", (), Symbol("x_i_max")),
    ("x_{i_max}", (), Symbol("x_i_max")),
    ("x_k", ("x",), X[k]),
    ("x_12", ("x",), X[12]),
    ("x_{12}", ("x",), X[12]),
    ("x_{i_max}", ("x",), X[Symbol("i_max")]),
    ("x_i_max", ("x",), X[Symbol("i_max")]),
    (r"x_{i_{\max}}", ("x",), X[Symbol("i_max")]),
    ("x_{i+1}", ("x",), X[i + 1]),
    ("e_k", ("e",), EB[k]),
    (r"\mathbf{e}_{i_{\max}}", ("e",), EB[Symbol("i_max")]),
    ("e^x", ("e",), exp(x)),
    ("e", (), E),
    ("pi*r^2", (), pi * r**2),
    ("beta", (), beta),
    (r"\beta", (), beta),
    ("β", (), beta),
    (r"\varepsilon", (), Symbol("epsilon")),
    ("c2", (), Symbol("c2")),
    ("mu_k", (), Symbol("mu_k")),
    (r"\nu_\beta", (), Symbol("nu_beta")),
]


@pytest.mark.parametrize(
    ("text", "indexed", "expected"), NAMES, ids=[f"{t}-{','.join(d)}" for t, d, _ in NAMES]
)
def test_names_and_subscripts(text: str, indexed: tuple[str, ...], expected: sympy.Expr) -> None:
    assert parse_answer(text, indexed=indexed) == expected


def test_names_in_the_table_give_the_tables_objects() -> None:
    """A student's n must become the expected answer's n, assumptions and all."""
    positive_n = Symbol("n", positive=True, integer=True)
    integer_k = Symbol("k", integer=True)
    table = {"n": positive_n, "x": X, "k": integer_k, "x_0": Symbol("x0star")}
    parsed_n = parse_answer("n", table)
    assert parsed_n == positive_n and parsed_n.is_positive and parsed_n.is_integer
    assert parse_answer("x_k", table) == X[integer_k]
    assert parse_answer("x_0", table) == Symbol("x0star")  # a whole subscripted name wins
    assert parse_answer("x_k", table) != X[k]


FUNCTIONS = [
    ("exp(x)", (), exp(x)),
    ("log(x)", (), log(x)),
    ("ln(x)", (), log(x)),
    ("log(8, 2)", (), Integer(3)),
    ("sqrt(x)", (), sqrt(x)),
    ("abs(x)", (), Abs(x)),
    ("|x - 1|", (), Abs(x - 1)),
    ("max(x, y)", (), Max(x, y)),
    ("max(x)", (), x),
    ("min(3, 1, 2)", (), Integer(1)),
    ("frac(1, x)", (), 1 / x),
    ("sum(x_i, i, 1, n)", ("x",), Sum(X[i], (i, 1, n))),
    ("sum_{i=1}^{n} x_i", ("x",), Sum(X[i], (i, 1, n))),
    (
        "exp(x_k)/sum(exp(x_i), i, 1, n)",
        ("x",),
        exp(X[k]) / Sum(exp(X[i]), (i, 1, n)),
    ),
]


@pytest.mark.parametrize(
    ("text", "indexed", "expected"), FUNCTIONS, ids=[t for t, _, _ in FUNCTIONS]
)
def test_functions(text: str, indexed: tuple[str, ...], expected: sympy.Expr) -> None:
    assert parse_answer(text, indexed=indexed) == expected


LATEX = [
    (r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}}", exp(X[k]) / Sum(exp(X[i]), (i, 1, n))),
    (
        r"\frac{1}{\beta} \log \left( \sum_{i=1}^{n} \exp(\beta x_i) \right)",
        log(Sum(exp(beta * X[i]), (i, 1, n))) / beta,
    ),
    (r"\sum_{i=1}^{n} x_i + 1", Sum(X[i], (i, 1, n)) + 1),
    (r"\sum_{i=1}^n 2 x_i", Sum(2 * X[i], (i, 1, n))),
    (r"\beta(x_i - x_j)", beta * (X[i] - X[j])),
    (r"\sqrt{a}", sqrt(a)),
    (r"\sqrt[3]{a}", a ** Rational(1, 3)),
    (r"\sqrt 2", sqrt(2)),
    (r"a \cdot b \times 2", 2 * a * b),
    (r"a \div b", a / b),
    (r"\max\{a, b\}", Max(a, b)),
    (r"\lvert a \rvert", Abs(a)),
    (r"\left| a \right|", Abs(a)),
    (r"\log n", log(n)),
    (r"\exp x_k", exp(X[k])),
    (r"2 \pi r", 2 * pi * r),
    (r"\dfrac{a}{b}", a / b),
    (r"$a^{2}$", a**2),
    (r"a\,b", a * b),
    (r"\text{max}(a, b)", Max(a, b)),
]


@pytest.mark.parametrize(("text", "expected"), LATEX, ids=[t for t, _ in LATEX])
def test_latex_subset(text: str, expected: sympy.Expr) -> None:
    assert parse_answer(text, indexed=("x",)) == expected


# Every refusal: the exact message, one line, with the column and what to do.
ERRORS = [
    ("", "empty answer at column 1; expected a number or an expression"),
    ("   ", "empty answer at column 4; expected a number or an expression"),
    ("x y", "unexpected 'y' at column 3; expected an operator"),
    ("exp(1)(2)", "unexpected '(' at column 7; expected an operator"),
    ("2 3", "unexpected '3' at column 3; expected an operator"),
    ("(x", "unexpected end of answer at column 3; expected an operator or ')'"),
    ("x)", "unexpected ')' at column 2; expected an operator"),
    ("2*", "unexpected end of answer at column 3; expected a number, a name or '('"),
    ("*2", "unexpected '*' at column 1; expected a number, a name or '('"),
    (
        "f(x)",
        "unknown function 'f' at column 1; write f*(...) for a product;"
        " known functions: KroneckerDelta, abs, ceil, exp, floor, frac, ln, log, max, min, sqrt, sum",
    ),
    (
        "exec('1')",
        "unknown function 'exec' at column 1; write exec*(...) for a product;"
        " known functions: KroneckerDelta, abs, ceil, exp, floor, frac, ln, log, max, min, sqrt, sum",
    ),
    (
        "__import__('os').system('echo pwned')",
        "unexpected '_' at column 1; expected a number, a name or '('",
    ),
    (
        "x.__class__",
        "unexpected character '.' at column 2; expected a number, a name, an operator or '('",
    ),
    (
        "lambda: 0",
        "unexpected character ':' at column 7; expected a number, a name, an operator or '('",
    ),
    ("'abc'", 'unexpected "\'" at column 1; strings are not part of maths'),
    ('"abc"', "unexpected '\"' at column 1; strings are not part of maths"),
    (
        "[1, 2]",
        "unexpected character '[' at column 1; expected a number, a name, an operator or '('",
    ),
    (
        "x[0]",
        "unexpected character '[' at column 2; expected a number, a name, an operator or '('",
    ),
    (
        "\x00",
        "unexpected character U+0000 at column 1; expected a number, a name, an operator or '('",
    ),
    ("9**9**9**9", "power too large at column 5; the result would have more than 300 digits"),
    ("2^2^2^2^2", "power too large at column 2; the result would have more than 300 digits"),
    ("(x+2)^1000", "power too large at column 6; the result would have more than 300 digits"),
    ("2^(x+5000)", "exponent too large at column 2; numbers in an exponent are limited to 1000"),
    (
        "(" * 60 + "x" + ")" * 60,
        "nesting deeper than 50 levels at column 51; simplify the expression",
    ),
    ("-" * 60 + "x", "nesting deeper than 50 levels at column 51; simplify the expression"),
    (
        "1,00",
        "malformed digit grouping at column 2; write groups of three digits, as in 655,566,528",
    ),
    (
        "1_0000",
        "malformed digit grouping at column 2; write groups of three digits, as in 655,566,528",
    ),
    (
        "1234,567",
        "malformed digit grouping at column 5; write groups of three digits, as in 655,566,528",
    ),
    ("1.", "unexpected '.' at column 2; expected a digit after the decimal point"),
    ("1/0", "division by zero at column 2; check the denominator"),
    ("x/(y-y)", "division by zero at column 2; check the denominator"),
    ("0^-1", "division by zero at column 2; 0 cannot be raised to a negative power"),
    ("log(0)", "the answer is undefined or infinite (a logarithm of 0?); check it"),
    ("log(x, 1)", "logarithm to base 0 or 1 at column 1; give a base other than 0 and 1"),
    ("1" * 101, "number with more than 100 digits at column 1; shorten it or use e-notation"),
    ("1e999", "number too large or too small at column 1; the limit is 10^±300"),
    ("1e9999999", "exponent too large at column 2; the limit is 300"),
    (
        "log(1, 2, 3)",
        "wrong number of arguments to log at column 1;"
        " expected 1 or 2 arguments (value, base), got 3",
    ),
    (
        "sum(x, i, 1)",
        "wrong number of arguments to sum at column 1;"
        " expected 4 arguments (expression, index, lower, upper), got 3",
    ),
    (
        "sum(x, 2, 1, n)",
        "the summation index is not a plain name at column 1; use a name such as i as the index",
    ),
    ("exp x", "unexpected 'x' at column 5; expected '(' after 'exp'"),
    (
        "x_{i+1}",
        "'x' is not indexed at column 1;"
        " a subscript that is an expression needs an indexed name; write a plain subscript",
    ),
    (
        "x_",
        "unexpected end of answer at column 3; expected a name, a whole number or '{' after '_'",
    ),
    ("x_1.5", "unexpected '1.5' at column 3; expected a name, a whole number or '{' after '_'"),
    (
        r"\foo",
        r"unknown LaTeX command '\foo' at column 1; expected maths such as \frac, \sum or \beta",
    ),
    (r"\sum_i x_i", r"unexpected 'i' at column 6; expected '{' and bounds, as in \sum_{i=1}^{n}"),
    (
        r"\sum_{i=1} x_i",
        r"unexpected 'x' at column 12; expected '^' and the upper bound, as in \sum_{i=1}^{n}",
    ),
    (r"\frac12", r"unexpected '12' at column 6; expected '{' after '\frac'"),
    (r"\frac{1}{0}", "division by zero at column 9; check the denominator"),
    (r"\mathbf{}", r"unexpected text after '\mathbf' at column 8; expected a name in braces"),
    ("%", "unexpected character '%' at column 1; expected a number, a name, an operator or '('"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[repr(t)[:40] for t, _ in ERRORS])
def test_refusals_name_the_column_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(AnswerParseError, match=f"^{re.escape(message)}$"):
        parse_answer(text)


def test_an_indexed_base_alone_is_refused() -> None:
    with pytest.raises(
        AnswerParseError, match=r"^'x' is indexed at column 3; give it a subscript, as in x_k$"
    ):
        parse_answer("2*x", indexed=("x",))


def test_more_than_twenty_arguments_to_max_are_refused() -> None:
    text = "max(" + ", ".join(f"a{m}" for m in range(21)) + ")"
    column = text.index(", a20") + 1
    with pytest.raises(
        AnswerParseError,
        match=rf"^more than 20 arguments to max at column {column}; split the call$",
    ):
        parse_answer(text)


def test_more_than_ten_roots_of_numbers_are_refused() -> None:
    text = "+".join(f"sqrt({p})" for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31))
    column = text.index("sqrt(31)") + 1
    with pytest.raises(
        AnswerParseError,
        match=rf"^more than 10 roots of numbers at column {column}; simplify the numbers first$",
    ):
        parse_answer(text)
    assert parse_answer(text.replace("+sqrt(31)", "")).is_positive  # ten are fine


def test_all_numbers_together_are_bounded() -> None:
    text = "+".join(["9" * 99] * 11)  # each literal is fine, together they are not
    with pytest.raises(
        AnswerParseError,
        match=r"^numbers too large at column 1001;"
        r" all numbers together may have at most 1000 digits$",
    ):
        parse_answer(text)


def test_a_long_answer_is_refused_before_it_is_read() -> None:
    with pytest.raises(
        AnswerParseError, match=r"^answer too long: 1000000 characters; the limit is 2000$"
    ):
        parse_answer("(" * 1_000_000)


def test_limits_can_be_tightened() -> None:
    with pytest.raises(
        AnswerParseError,
        match=r"^nesting deeper than 2 levels at column 3; simplify the expression$",
    ):
        parse_answer("(((x)))", limits=ParseLimits(max_depth=2))
    assert parse_answer("((x))", limits=ParseLimits(max_depth=2)) == x


def test_parse_errors_are_input_errors_with_exit_code_2() -> None:
    with pytest.raises(InputError) as caught:
        parse_answer("x y")
    assert caught.value.exit_code == 2
    assert "\n" not in caught.value.message


def test_programming_errors_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"^an answer must be a str, got int$"):
        parse_answer(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^symbols must map names to SymPy expressions"):
        parse_answer("x", {"x": 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"^indexed names must be plain identifiers, got 'x\[0\]'$"):
        parse_answer("x", indexed=("x[0]",))


DECIMALS = [
    ("91.79", 2),
    ("91.79%", 4),
    (r"91.79\%", 4),
    ("12%", 2),
    ("-0.50", 2),
    ("+3.0", 1),
    ("1.2e9", -8),
    ("5e3", -3),
    ("655,566,528", None),
    ("7", None),
    ("x", None),
    ("1/2", None),
    ("0.5 + 1", None),
    ("", None),
    ("1,00", None),
]


@pytest.mark.parametrize(("text", "decimals"), DECIMALS, ids=[t or "empty" for t, _ in DECIMALS])
def test_stated_decimals(text: str, decimals: int | None) -> None:
    assert stated_decimals(text) == decimals


def test_symbols_of_prefers_indexed_bases_over_their_labels() -> None:
    positive_n = Symbol("n", positive=True)
    expected = exp(X[k]) / Sum(exp(X[i]), (i, 1, positive_n))
    table = symbols_of(expected)
    assert table == {"x": X, "k": k, "i": i, "n": positive_n}
    assert parse_answer("exp(x_k)/sum(exp(x_i), i, 1, n)", table) == expected


def test_kronecker_delta_reads_as_the_results_print_it() -> None:
    k, m = Symbol("k", integer=True), Symbol("m", integer=True)
    assert parse_answer("KroneckerDelta(k, m)", {"k": k, "m": m}) == KroneckerDelta(k, m)
