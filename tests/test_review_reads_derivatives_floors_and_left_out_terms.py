"""`derive review` checks lines with partial derivatives, floors and sums that leave a term
out: right ones pass, wrong ones are called wrong, and a derivative whose meaning is not on
the page (of a name that may depend on the variable) stays "not checked"."""

from __future__ import annotations

import pytest

from derive.review.extract import parse_workings
from derive.review.review import review_workings
from derive.review.sides import find_vectors


def verdicts(text: str) -> dict[int, tuple[str, str]]:
    review = review_workings(parse_workings(text, "w.md", "markdown"))
    return {link.line: (link.verdict, link.note) for link in review.links}


def verdict(text: str) -> str:
    (only,) = verdicts(text).values()
    return only[0]


CHECKED = ("verified", "numeric-only")


@pytest.mark.parametrize("line", [
    r"$$\frac{\partial}{\partial x_j} \log\left(\sum_{i=1}^{n} e^{x_i}\right) = \frac{e^{x_j}}{\sum_{i=1}^{n} e^{x_i}}$$",
    r"$$\frac{\partial}{\partial a} \left(a^2 b + b\right) = 2 a b$$",
    r"$$\frac{\partial^2 a^3 b}{\partial a \partial b} = 3 a^2$$",
])
def test_a_right_derivative_is_checked(line):
    assert verdict(line + "\n") in CHECKED


@pytest.mark.parametrize("line", [
    # the softmax entry without its numerator; a forgotten factor; a derivative read as a quotient
    r"$$\frac{\partial}{\partial x_j} \log\left(\sum_{i=1}^{n} e^{x_i}\right) = \frac{1}{\sum_{i=1}^{n} e^{x_i}}$$",
    r"$$\frac{\partial}{\partial a} \left(a^2 b + b\right) = 2 a$$",
    r"$$\frac{\partial a^2}{\partial a} = a$$",
    r"$$\frac{\partial^2 a^3 b}{\partial a \partial b} = 6 a b$$",
])
def test_a_wrong_derivative_is_wrong(line):
    assert verdict(line + "\n") == "wrong"


@pytest.mark.parametrize("line", [
    r"$$\frac{\partial y_L}{\partial y_{L-1}} = A$$",
    r"$$\frac{\partial}{\partial a} b = 0$$",  # b may be a function of a: 0 would be a guess
    r"$$\frac{\partial}{\partial x_j} \gamma_i = \mu_j$$",
    r"$$\nabla f = g$$",
])
def test_a_derivative_whose_meaning_is_not_on_the_page_is_not_checked(line):
    assert verdict(line + "\n") == "not checked"


def test_a_defined_name_is_differentiated_as_what_it_stands_for():
    # s := a^2, so d(s a)/da = 3a^2; holding s fixed would give a^2 and verify a wrong line
    text = "Let $s = a^2$.\n\n$$\\frac{\\partial}{\\partial a} (s a) = a^2$$\n\n$$\\frac{\\partial}{\\partial a} (s a) = 3 a^2$$\n"
    got = verdicts(text)
    assert got[1][0] == "definition"
    assert got[3][0] == "wrong"
    assert got[5][0] in CHECKED


def test_a_derivative_by_a_defined_name_is_not_checked():
    got = verdicts("Let $a = 2$.\n\n$$\\frac{\\partial}{\\partial a} (a b) = b$$\n")
    assert got[3][0] == "not checked" and "differentiates by a" in got[3][1]


def test_a_sum_that_leaves_a_term_out():
    right = r"$$\sum_{i=1}^{n} e^{x_i} = e^{x_j} + \sum_{\substack{i=1, \\ i \neq j}}^{n} e^{x_i}$$"
    wrong = r"$$\sum_{i=1}^{n} e^{x_i} = \sum_{\substack{i=1, \\ i \neq j}}^{n} e^{x_i}$$"
    assert verdict(right + "\n") in CHECKED
    assert verdict(wrong + "\n") == "wrong"


def test_an_index_of_a_sum_that_leaves_a_term_out_makes_a_vector():
    assert find_vectors([r"\sum_{\substack{i=1, \\ i \neq j}}^{m} y_i"]) == {"y": "m"}


def test_floors_and_ceilings():
    assert verdict(r"$$\left\lfloor \frac{227 - 11 + 2 \cdot 0}{4} + 1 \right\rfloor = 55$$" + "\n") == "verified"
    assert verdict(r"$$\left\lfloor \frac{27 - 5}{4} + 1 \right\rfloor = 6.5$$" + "\n") == "wrong"
    assert verdict(r"$$\lceil \frac{7}{2} \rceil = \lfloor \frac{7}{2} \rfloor$$" + "\n") == "wrong"


def test_the_variable_of_a_limit_is_a_number_so_a_bracket_beside_it_multiplies():
    product = r"$$\exp(\beta(a - b)) = \exp(\beta a) \exp(-\beta b)$$"
    assert verdict(product + "\n") == "not checked"  # \beta(…) could apply a function
    got = verdicts(r"$$\lim_{\beta \to \infty} \left(\frac{1}{\beta}\right) = 0$$" + "\n\n" + product + "\n")
    assert got[3][0] in CHECKED


def test_a_column_of_a_table_is_a_number_so_a_bracket_beside_it_multiplies():
    table = "layer num\tC_{in}\tC_{out}\n1\t3\t64\n2\t64\t192\n\n"
    line = r"$$C_{out} (C_{in} - 1 + 1) = C_{out} C_{in}$$"
    assert verdict(line + "\n") == "not checked"  # without the table, C_{out}(…) could apply a function
    got = verdicts(table + line + "\n")
    (only,) = got.values()
    assert only[0] == "verified"
    wrong = verdicts(table + r"$$C_{out} (C_{in} - 1 + 1) = C_{out} + C_{in}$$" + "\n")
    assert list(wrong.values())[0][0] == "wrong"


MAXIMUM = r"$$\sum_{i=1}^{n} e^{x_i} \ge e^{x_j}$$" + "\n\n" + r"Let $x_j := \max\{x_1, \dots, x_n\}$." + "\n\n"


def test_a_defined_largest_entry_is_used_on_later_lines():
    got = verdicts(MAXIMUM + r"$$x_j + 0 = \max\{x_1, \dots, x_n\}$$" + "\n\n" + r"$$x_i - x_j \le 0$$" + "\n")
    assert got[3][0] == "definition" and "largest entry of x" in got[3][1]
    assert got[5][0] == "verified"
    assert got[7][0] in CHECKED  # true because x_j is the largest: sampled that way


def test_a_largest_entry_is_not_any_entry():
    got = verdicts(MAXIMUM + r"$$x_1 = \max\{x_1, \dots, x_n\}$$" + "\n\n" + r"$$x_i - x_j \ge 0$$" + "\n")
    assert got[5][0] == "wrong"
    assert got[7][0] == "wrong"


def test_before_its_definition_a_largest_entry_is_not_assumed():
    got = verdicts(r"$$\sum_{i=1}^{n} e^{x_i} \ge e^{x_j}$$" + "\n\n" + r"$$x_i - x_j \le 0$$" + "\n\n"
                   + r"Let $x_j := \max\{x_1, \dots, x_n\}$." + "\n")
    assert got[3][0] == "wrong"


def test_the_largest_of_part_of_a_vector_is_not_checked():
    got = verdicts(MAXIMUM + r"$$x_j = \max\{x_1, \dots, x_m\}$$" + "\n")
    assert got[5][0] == "not checked" and "only part of x" in got[5][1]


def test_a_largest_entry_nobody_located_is_not_checked():
    got = verdicts(r"$$\sum_{i=1}^{n} e^{x_i} \ge e^{x_j}$$" + "\n\n" + r"$$x_j = \max\{x_1, \dots, x_n\}$$" + "\n")
    assert got[3][0] == "not checked"


@pytest.mark.parametrize(("line", "expected"), [
    (r"$$\frac{d}{d x} x^2 = x$$", "wrong"),  # was verified: d/(d x) · x² read as a fraction
    (r"$$\frac{d}{d a} a^2 = 2 a$$", "verified"),
    (r"$$\frac{\mathrm{d}}{\mathrm{d}a} a^3 = 3 a^2$$", "verified"),
    (r"$$\frac{d y}{d x} = \frac{y}{x}$$", "not checked"),
])
def test_a_derivative_written_with_d(line, expected):
    assert verdict(line + "\n") == expected
