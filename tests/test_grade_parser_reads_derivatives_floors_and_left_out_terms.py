"""The answer parser reads partial derivatives, floors and ceilings, and sums that leave a term
out — each into the SymPy object it means, or a clear refusal. Read the wrong way these would
be false proofs: ∂y/∂x as a quotient of products, a name that depends on x as a constant (its
derivative 0), a left-out term counted. So every form is also given wrongly, and must be
refused or come out unequal to the false claim."""

from __future__ import annotations

import pytest
import sympy
from sympy import Derivative, IndexedBase, KroneckerDelta, Sum, Symbol, ceiling, exp, floor, log

from derive.grade.parser import AnswerParseError, parse_answer

x_vec = IndexedBase("x")
x, y, a, b, i, j, n = (Symbol(s) for s in ("x", "y", "a", "b", "i", "j", "n"))


def value(text: str, symbols=None):
    return parse_answer(text, symbols).doit()


# -- partial derivatives ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{\partial}{\partial x} x^2 y", Derivative(x**2 * y, x)),
    (r"\frac{\partial x^2 y}{\partial x}", Derivative(x**2 * y, x)),
    (r"\frac{\partial}{\partial y} \left(x^2 y + y\right)", Derivative(x**2 * y + y, y)),
    (r"\frac{\partial^2}{\partial x \partial y} x^2 y", Derivative(x**2 * y, x, y)),
    (r"\frac{\partial^{2} x^3}{\partial x^2}", Derivative(x**3, (x, 2))),
    (r"\frac{∂ x^2}{∂ x}", Derivative(x**2, x)),
    (r"\dfrac{\partial}{\partial x} 3", Derivative(3, x)),
])
def test_a_partial_derivative_is_a_derivative_of_the_right_expression_by_the_right_variable(text, expected):
    got = parse_answer(text)
    assert isinstance(got, Derivative)
    assert got == expected


def test_the_derivative_is_left_unevaluated_so_definitions_reach_it_first():
    # "s" may be defined later as a function of x; evaluated now, ∂(s x)/∂x would freeze s
    got = parse_answer(r"\frac{\partial}{\partial x} s x")
    assert got == Derivative(Symbol("s") * x, x)
    assert got.xreplace({Symbol("s"): x}).doit() == 2 * x


def test_the_operator_applies_to_the_product_that_follows_up_to_plus_or_minus():
    assert parse_answer(r"\frac{\partial}{\partial x} x^2 y + x") == Derivative(x**2 * y, x) + x
    assert parse_answer(r"2 \frac{\partial}{\partial x} x^2") == 2 * Derivative(x**2, x)


def test_the_values_are_the_calculus_values():
    assert value(r"\frac{\partial}{\partial x} x^2 y") == 2 * x * y
    assert value(r"\frac{\partial^2}{\partial x \partial y} x^2 y") == 2 * x
    assert value(r"\frac{\partial^2 x^3}{\partial x^2}") == 6 * x
    assert value(r"\frac{\partial}{\partial x} 3") == 0


def test_a_derivative_by_an_entry_of_a_vector_reaches_the_entries_under_a_sum():
    got = parse_answer(r"\frac{\partial}{\partial x_j} \log\left(\sum_{i=1}^n e^{x_i}\right)", {"x": x_vec})
    total = Sum(exp(x_vec[i]), (i, 1, n))
    assert got == Derivative(log(total), x_vec[j])
    # SymPy's value is δ_ij under the sum: e^{x_j} / Σ e^{x_i} for j in 1..n
    at = got.doit().subs(n, 3).doit()
    assert sympy.simplify(at.subs(j, 2) - exp(x_vec[2]) / sum(exp(x_vec[k]) for k in (1, 2, 3))) == 0


@pytest.mark.parametrize("text", [
    r"\frac{\partial y}{\partial x}",  # y may depend on x: as a constant its derivative is 0
    r"\frac{\partial}{\partial x_j} \gamma_i",
    r"\frac{\partial y_L}{\partial y_{L-1}}",
    r"\frac{\partial^2 f}{\partial x^2}",
    r"\frac{\partial}{\partial x} \left(y + 1\right)",
])
def test_a_derivative_of_an_expression_that_does_not_show_the_variable_is_refused(text):
    with pytest.raises(AnswerParseError):
        parse_answer(text, {"x": x_vec} if "x_j" in text else None)


def test_a_derivative_by_an_entry_needs_an_entry_of_that_vector():
    with pytest.raises(AnswerParseError, match="does not contain"):
        parse_answer(r"\frac{\partial}{\partial x_j} y_i", {"x": x_vec, "y": IndexedBase("y")})


@pytest.mark.parametrize(("text", "message"), [
    (r"\partial x", "frac"),  # a bare ∂ is never a factor
    (r"\frac{\partial x^2}{\partial x} \partial x", "frac"),
    ("∂y/∂x", "frac"),  # the disaster: a quotient of products
    (r"\frac{\partial}{\partial 2} x", "not a variable"),
    (r"\frac{\partial}{\partial (x+1)} x", "not a variable"),
    (r"\frac{\partial}{\partial e} e^x", "not a variable"),
    (r"\frac{\partial x}{x}", "partial"),  # a denominator without ∂
    (r"\frac{\partial x^3}{\partial x^2}", "orders"),
    (r"\frac{\partial^2 x^3}{\partial x}", "orders"),
    (r"\frac{\partial^0 x}{\partial x^0}", "order"),
    (r"\frac{\partial^{11} x}{\partial x^{11}}", "order"),
    (r"\frac{\partial}{\partial x}", "differentiated"),
    (r"\frac{\partial}{\partial x} + x", "differentiated"),
])
def test_malformed_derivatives_are_refused_with_a_reason(text, message):
    with pytest.raises(AnswerParseError, match=message):
        parse_answer(text)


@pytest.mark.parametrize(("claim", "truth"), [
    # wrong claims a student could make: none may come out equal to the derivative
    (r"\frac{\partial}{\partial x} x^2 y", 2 * x),       # forgot y
    (r"\frac{\partial x^2}{\partial x}", x),               # not x^2 / x
    (r"\frac{\partial x y}{\partial y}", y),               # not (x y) / y ... nor x
    (r"\frac{\partial^2}{\partial x \partial y} x^2 y", 2 * x * y),
])
def test_a_wrong_value_of_a_derivative_is_not_equal_to_it(claim, truth):
    assert sympy.simplify(parse_answer(claim).doit() - truth) != 0


def test_a_gradient_is_refused_as_a_vector():
    for text in (r"\nabla f", "∇f", r"\nabla \gamma_i = \mu"):
        with pytest.raises(AnswerParseError, match="gradient is a vector"):
            parse_answer(text)


# -- floor and ceiling ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    (r"\lfloor 7/2 \rfloor", 3),
    (r"\left\lfloor \frac{227 - 11 + 2 \cdot 0}{4} + 1 \right\rfloor", 55),
    (r"\lceil 7/2 \rceil", 4),
    (r"\left\lceil \frac{7}{2} \right\rceil", 4),
    ("⌊7/2⌋", 3),
    ("⌈7/2⌉", 4),
    ("floor(7/2)", 3),
    ("ceil(7/2)", 4),
    (r"\lfloor -7/2 \rfloor", -4),
    (r"\operatorname{floor}(5/2)", 2),
])
def test_floor_and_ceiling(text, expected):
    assert parse_answer(text) == expected


def test_a_floor_of_names_stays_a_floor():
    assert parse_answer(r"\lfloor a/b \rfloor") == floor(a / b)
    assert parse_answer(r"\lceil a \rceil") == ceiling(a)
    assert parse_answer(r"\lfloor a/b \rfloor") != a / b  # never dropped


@pytest.mark.parametrize("text", [
    r"\lfloor 7/2 \rceil",  # mismatched brackets
    r"\lceil 7/2 \rfloor",
    r"\lfloor 7/2",
    r"7/2 \rfloor",
    r"\lfloor 7/2 )",
    "⌊7/2⌉",
])
def test_mismatched_floor_brackets_are_refused(text):
    with pytest.raises(AnswerParseError):
        parse_answer(text)


def test_floor_is_not_the_value_it_rounds():
    assert parse_answer(r"\lfloor 7/2 \rfloor") != sympy.Rational(7, 2)
    assert parse_answer(r"\lceil 7/2 \rceil") != parse_answer(r"\lfloor 7/2 \rfloor")


# -- sums that leave a term out ---------------------------------------------------------------

LEFT_OUT = [
    r"\sum_{\substack{i=1, \\ i \neq j}}^n i",
    r"\sum_{\substack{i=1 \\ i \neq j}}^{n} i",
    r"\sum_{i=1, i \ne j}^{n} i",
    r"\sum_{i=1, i ≠ j}^{n} i",
]


@pytest.mark.parametrize("text", LEFT_OUT)
def test_a_sum_that_leaves_a_term_out_leaves_exactly_that_term_out(text):
    got = parse_answer(text)
    assert got == Sum(i * (1 - KroneckerDelta(i, j)), (i, 1, n))
    for size in (1, 4, 6):
        for left_out in range(0, size + 2):  # j inside the range and outside it
            total = got.subs({n: size, j: left_out}).doit()
            expected = sum(k for k in range(1, size + 1) if k != left_out)
            assert total == expected, (size, left_out)


def test_a_sum_that_leaves_out_two_terms():
    got = parse_answer(r"\sum_{\substack{i=1 \\ i \neq 2 \\ i \neq 3}}^{5} i")
    assert got.doit() == 1 + 4 + 5


def test_a_left_out_term_is_not_the_whole_sum():
    whole = parse_answer(r"\sum_{i=1}^{n} i")
    for text in LEFT_OUT:
        assert sympy.simplify((whole - parse_answer(text)).subs({n: 5, j: 2}).doit()) == 2


@pytest.mark.parametrize(("text", "message"), [
    (r"\sum_{\substack{i=1 \\ i < j}}^{n} i", "neq"),  # only left-out terms are read
    (r"\sum_{\substack{i=1 \\ k \neq j}}^{n} i", "a condition on 'k'"),
    (r"\sum_{\substack{i=1 \\ i \neq i + 1}}^{n} i", "depends on the summation index"),
    (r"\sum_{\substack{i \neq j}}^{n} i", "'='"),  # no lower bound
    (r"\sum_{i \neq j} i", "'='"),
    (r"\sum_{\substack{i=1 \\ i \neq j}^{n} i", "'}'"),  # the substack is not closed
    (r"\sum_{\substack i=1}^{n} i", "substack"),
])
def test_other_conditions_under_a_sum_are_refused(text, message):
    with pytest.raises(AnswerParseError, match=message):
        parse_answer(text)


def test_a_floor_multiplies_what_stands_beside_it():
    assert parse_answer(r"2 \lfloor 7/2 \rfloor") == 6
    assert parse_answer(r"\lfloor 7/2 \rfloor \lceil 7/2 \rceil") == 12
    assert parse_answer("2⌊7/2⌋") == 6


# -- max and min of a list with dots --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    r"\max\{x_1, \dots, x_n\}", r"\max\{x_1, \ldots, x_n\}", r"\max(x_1, \cdots, x_{n})", "max(x_1, …, x_n)",
])
def test_the_largest_of_a_listed_vector_is_its_largest_entry_where_the_list_is_all_of_it(text):
    from derive.grade.parser import EntryMax, ListedMax, whole_vector_extrema

    got = parse_answer(text, {"x": x_vec})
    assert got == ListedMax(x_vec, n)  # up to n: the parser cannot know x's length
    assert whole_vector_extrema(got, {"x": "n"}) == EntryMax(x_vec)
    assert whole_vector_extrema(got, {"x": "m"}) == got  # x_1 … x_n of an x of length m: a part


def test_the_smallest_of_a_listed_vector():
    from derive.grade.parser import EntryMin, whole_vector_extrema

    got = parse_answer(r"\min\{x_1, \dots, x_n\}", {"x": x_vec})
    assert whole_vector_extrema(got, {"x": "n"}) == EntryMin(x_vec)


@pytest.mark.parametrize("text", [
    r"\max\{x_2, \dots, x_n\}",          # not from the first entry: not the whole vector
    r"\max\{x_1, \dots, y_n\}",          # two vectors
    r"\max\{x_1, x_2, \dots, x_n\}",     # another shape
    r"\max\{\dots, x_n\}",
    r"\max\{x_1, \dots, x_{n-1}\}",      # an index that is an expression
    r"\max\{a, \dots, b\}",              # not entries of a vector
    r"\exp(x_1, \dots)",                 # dots outside max and min
    r"x_1 + \dots + x_n",                # a sum with dots is not read
])
def test_other_lists_with_dots_are_refused(text):
    with pytest.raises(AnswerParseError):
        parse_answer(text, {"x": x_vec, "y": IndexedBase("y")})


# -- derivatives written with d -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{d}{d x} x^2", Derivative(x**2, x)),
    (r"\frac{d}{dx} x^2", Derivative(x**2, x)),
    (r"\frac{\mathrm{d}}{\mathrm{d}x} x^2", Derivative(x**2, x)),
    (r"\frac{d x^2}{d x}", Derivative(x**2, x)),
    (r"\frac{d^2}{d x^2} x^3", Derivative(x**3, (x, 2))),
    (r"\frac{d^2 x^3}{dx^2}", Derivative(x**3, (x, 2))),
    (r"\frac{d}{d (x)} x^2", Derivative(x**2, x)),
    (r"\frac{d}{d \beta} \beta^2", Derivative(Symbol("beta")**2, Symbol("beta"))),
])
def test_a_derivative_written_with_d_is_a_derivative_not_a_fraction(text, expected):
    # as a fraction, d/(d x) · x² is x: "\frac{d}{d x} x^2 = x" would be verified
    got = parse_answer(text)
    assert got == expected


def test_a_derivative_by_an_entry_written_with_d():
    got = parse_answer(r"\frac{d}{dx_j} \sum_{i=1}^n x_i^2", {"x": x_vec})
    assert got == Derivative(Sum(x_vec[i] ** 2, (i, 1, n)), x_vec[j])


@pytest.mark.parametrize("text", [
    r"\frac{dy}{dx}", r"\frac{d y}{d x}",  # y may depend on x: not a quotient, not 0
    r"\frac{d}{d x}",  # nothing to differentiate
    r"\frac{d}{\partial x} x", r"\frac{\partial}{d x} x",  # mixed
])
def test_derivatives_with_d_are_refused_where_their_meaning_is_not_on_the_page(text):
    with pytest.raises(AnswerParseError):
        parse_answer(text)


@pytest.mark.parametrize(("text", "expected"), [
    (r"\frac{d}{d}", 1),  # d is a name here
    (r"\frac{d}{d_1}", Symbol("d") / Symbol("d_1")),
    (r"\frac{d+1}{d x}", (Symbol("d") + 1) / (Symbol("d") * x)),
    (r"\frac{d}{2}", Symbol("d") / 2),
    (r"\frac{d_1}{d x}", Symbol("d_1") / (Symbol("d") * x)),
])
def test_a_d_that_is_no_differential_stays_a_name(text, expected):
    assert parse_answer(text) == expected


def test_neq_in_a_case_distinction_is_the_relation_it_says():
    k, m = Symbol("k"), Symbol("m")
    got = parse_answer(r"\begin{cases} 1 & k \neq m \\ 0 & \text{otherwise} \end{cases}")
    assert got == sympy.Piecewise((1, sympy.Ne(k, m)), (0, True))
    assert got.subs({k: 2, m: 2}) == 0 and got.subs({k: 2, m: 3}) == 1
