"""Wrong lines and answers built to slip through the notation `derive review` and `derive grade`
newly read (partial derivatives, floors, left-out terms, max{x_1, …, x_n}, table column
formulas, a bracket beside a column name or a limit's variable): none may be reported as right.
A few right ones close the file: they must still pass.

Each test names the path it attacks; the comment says why the line is false."""

from __future__ import annotations

import json

import pytest

from derive.review.extract import parse_workings
from derive.review.review import review_workings

CHECKED = ("verified", "numeric-only")


def verdicts(text: str, kind: str = "markdown") -> dict[int, tuple[str, str]]:
    review = review_workings(parse_workings(text, "w.md" if kind == "markdown" else "w.tex", kind))
    return {link.line: (link.verdict, link.note) for link in review.links}


def only(text: str) -> str:
    (verdict,) = verdicts(text).values()
    return verdict[0]


# -- derivatives ------------------------------------------------------------------------------
DERIVATIVE_IN_DEFINITION = (
    "Let $s = a^2$.\n\n"
    "Let $g := \\frac{\\partial}{\\partial a} (s a)$.\n\n"
    "$$g = RHS$$\n"
)


def test_a_derivative_inside_a_definition_differentiates_what_the_names_stand_for():
    # g = d(a^2 · a)/da = 3a^2. The replacement of definitions inside derivatives only looks at
    # the line's own sides; g's derivative reaches the engine through subs, which holds s fixed
    # and gives a^2: the wrong line was verified and the right one called wrong.
    wrong = verdicts(DERIVATIVE_IN_DEFINITION.replace("RHS", "a^2"))
    assert wrong[5][0] not in CHECKED
    right = verdicts(DERIVATIVE_IN_DEFINITION.replace("RHS", "3 a^2"))
    assert right[5][0] != "wrong"


def test_a_derivative_inside_a_first_appearance_definition():
    text = "Let $s = a^2$.\n\n$$g = \\frac{\\partial}{\\partial a} (s a)$$\n\n$$g = a^2$$\n"
    assert verdicts(text)[5][0] not in CHECKED


def test_a_derivative_by_one_subscripted_name_does_not_hold_its_siblings_fixed():
    # x_i and x_j with no sum in the file are two plain names, so d(x_i x_j)/dx_j = x_i was
    # verified; for i = j it is 2 x_j. (With a sum over x the same line is wrong, as it must be.)
    assert only(r"$$\frac{\partial}{\partial x_j} (x_i x_j) = x_i$$" + "\n") not in CHECKED
    assert only(r"$$\frac{\partial}{\partial x_j} \left(x_j + x_i^2\right) = 1$$" + "\n") not in CHECKED


def test_a_derivative_by_one_subscripted_name_in_latex():
    text = ("\\documentclass{article}\n\\begin{document}\n"
            "\\[ \\frac{\\partial}{\\partial x_j} (x_i x_j) = x_i \\]\n\\end{document}\n")
    (verdict,) = verdicts(text, "latex").values()
    assert verdict[0] not in CHECKED


def test_a_name_defined_for_every_index_is_not_a_constant_under_a_derivative():
    # p_i is defined from x; p_j (the same p at j) was read as an unrelated constant, so
    # d(x_j p_j)/dx_j = p_j was verified; the derivative is p_j + x_j p_j (1 - p_j).
    text = ("Let $p_i = \\frac{e^{x_i}}{\\sum_{k=1}^{n} e^{x_k}}$.\n\n"
            "$$\\frac{\\partial}{\\partial x_j} (x_j p_j) = p_j$$\n")
    assert verdicts(text)[3][0] not in CHECKED


def test_a_derivative_by_an_index_is_not_checked():
    # j is an index (x is a vector): x_j is no differentiable function of j, yet the numeric
    # check drew x_j as a number first and found d(j x_j)/dj = x_j.
    text = "$$\\sum_{i=1}^{n} x_i = \\sum_{i=1}^{n} x_i$$\n\n$$\\frac{\\partial}{\\partial j} (j x_j) = x_j$$\n"
    assert verdicts(text)[3][0] not in CHECKED


# -- floors ----------------------------------------------------------------------------------
def test_a_floor_that_vanishes_only_on_the_sampled_sizes_is_not_numeric_only():
    # floor(n/100) is 0 for the sizes the search draws and 1 from n = 100 on
    line = r"$$\sum_{i=1}^{n} x_i + \left\lfloor \frac{n}{100} \right\rfloor = \sum_{i=1}^{n} x_i$$"
    assert only(line + "\n") not in CHECKED


@pytest.mark.parametrize("line", [
    # max(0, n - 10^6) is 0 at every size the search draws (and |a - 10^6| + a - 10^6 at every a)
    r"$$\sum_{i=1}^{n} x_i + \max(0, n - 10^6) = \sum_{i=1}^{n} x_i$$",
    r"$$a^2 + \max(0, a - 10^6) = a^2$$",
    r"$$a^2 - \min(0, 10^6 - a) = a^2$$",
    r"$$a^2 + |a - 10^6| + a - 10^6 = a^2$$",
    r"$$\sum_{i=1}^{n} x_i + \max(0, x_1 - 10^6) = \sum_{i=1}^{n} x_i$$",
])
def test_a_max_min_or_abs_that_switches_beyond_the_samples_is_not_numeric_only(line):
    assert only(line + "\n") not in CHECKED


def test_a_max_with_a_proof_is_still_verified():
    assert only(r"$$|a|^2 + \max(a, b) = a^2 + \max(b, a)$$" + "\n") == "verified"


# -- table column formulas -------------------------------------------------------------------
FORMULA = r"$$h_{out} = \left\lfloor \frac{h_{in} - k_h}{S} \right\rfloor + 1$$"


def test_a_row_where_the_formula_divides_by_zero_is_not_checked():
    # S = 0 and h_in = k_h: the formula gives 0/0, nan; "55 = nan" was numeric-only
    text = FORMULA + "\n\nconv num\tk_h\th_{in}\tS\th_{out}\n1\t11\t11\t0\t55\n"
    assert verdicts(text)[4][0] not in CHECKED
    plain = r"$$h_{out} = \frac{h_{in} - k_h}{S} + 1$$" + "\n\nconv num\tk_h\th_{in}\tS\th_{out}\n1\t11\t11\t0\t1\n"
    assert verdicts(plain)[4][0] not in CHECKED


def test_a_repeated_row_number_does_not_hide_a_wrong_row():
    # two rows numbered 1: the first (54, wrong: floor(216/4) + 1 = 55) was dropped without a word
    text = FORMULA + "\n\nconv num\tk_h\th_{in}\tS\th_{out}\n1\t11\t227\t4\t54\n1\t11\t227\t4\t55\n"
    got = verdicts(text)
    assert 4 in got and got[4][0] not in CHECKED


# -- a bracket beside a column's name or a limit's variable ----------------------------------
SPLIT = r"$$\sigma(z_1 + z_2) = \sigma(z_1 + 0) + \sigma(z_2 + 0)$$"


def test_a_column_named_like_a_function_does_not_make_its_brackets_products_everywhere():
    # a BN table with a column sigma; sigma(z_1 + z_2) elsewhere is the activation: read as a
    # product the line was verified, and it is false for sigma = tanh
    text = "channel num\t\\mu\t\\sigma\n1\t3\t4\n\n" + SPLIT + "\n"
    assert verdicts(text)[4][0] not in CHECKED


def test_a_limit_elsewhere_does_not_make_its_variable_a_number_everywhere():
    text = r"$$\lim_{\sigma \to 0} \left(\sigma + 1\right) = 1$$" + "\n\n" + SPLIT + "\n"
    assert verdicts(text)[3][0] not in CHECKED


def test_a_limit_makes_its_variable_a_number_only_inside_that_limit():
    # the same display, after the limit: sigma(…) is an application again
    line = (r"$$\lim_{\sigma \to 0} \left(\sigma + 1\right) = 1 = \sigma(z_1 + z_2) - \sigma(z_1 + 0)"
            r" - \sigma(z_2 + 0) + 1$$" + "\n")
    review = review_workings(parse_workings(line, "w.md", "markdown"))
    assert [link.verdict for link in review.links] == ["verified", "not checked"]
    # inside its limit, beta(a + 1) is beta times a + 1, as the student's workings mean
    inside = r"$$\lim_{\beta \to \infty} \left(\frac{1}{\beta} \log\left(\exp(\beta(a + 1))\right)\right) = a + 1$$"
    assert only(inside + "\n") in CHECKED


# -- grade -----------------------------------------------------------------------------------
def grade_status(tmp_path, run, result_id: str, answer: str) -> str:
    answers = tmp_path / "a.toml"
    answers.write_text(f"\"{result_id}\" = '{answer}'\n", encoding="utf-8")  # TOML literal string
    result = run("grade", answers, "--json")
    (claim,) = json.loads(result.stdout)[0]["claims"]
    return claim["status"]


@pytest.mark.usefixtures("in_tmp")
@pytest.mark.parametrize("result_id, answer", [
    # floor(h/8) is 0 for the sizes 1 … 5 the comparison draws, 28 for h = 227
    ("p5.out_size", r"(h - 31)(w - 31) + \lfloor \frac{h}{8} \rfloor"),
    ("p5.out_size", r"(h - 31)(w - 31) + \left\lfloor \frac{h w}{100} \right\rfloor"),
    # floor(e^{x_k}/10^9) is 0 for the entries drawn (0.1 … 2), not for x_k = 30
    ("p1.b.grad", r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}} + \lfloor \frac{e^{x_k}}{10^{9}} \rfloor"),
])
def test_a_floor_that_vanishes_only_on_the_sampled_values_is_not_correct(tmp_path, run, result_id, answer):
    assert grade_status(tmp_path, run, result_id, answer) != "correct"


@pytest.mark.usefixtures("in_tmp")
@pytest.mark.parametrize("result_id, answer", [
    # each added term is 0 for the small sizes and entries the comparison draws, not beyond:
    # max(0, h - 10^6) from h = 10^6 on
    ("p5.out_size", r"(h - 31)(w - 31) + \max(0, h - 10^6)"),
    ("p5.out_size", r"(h - 31)(w - 31) - \min\{0, 10^6 - h\}"),
    ("p5.out_size", r"(h - 31)(w - 31) + |h - 10^6| + h - 10^6"),
    ("p5.out_size", r"(h - 31)(w - 31) + \left|h - 10^{6}\right| - (10^{6} - h)"),
    ("p5.out_size", r"(h - 31)(w - 31) + \max(h, 10^6) - 10^6"),
    ("p5.out_size", r"(h - 31)(w - 31) + 7 \text{KroneckerDelta}(h, 10^6)"),
    # two names the result does not have, drawn as distinct numbers: δ_{ij} was 0 at every point
    ("p5.out_size", r"(h - 31)(w - 31) + 5 \delta_{i j}"),
    # a case the result does not distinguish, or a bound no size drawn reaches
    ("p4.A_entry", "(w_{k-i+1} if 1 <= k-i+1 <= f and f <= 1000000 else 0)"),
    ("p4.A_entry", "(w_{k-i+1} if 1 <= k-i+1 <= f else 0) + max(0, f - 6)"),
    ("p1.b.grad", r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}} + \max(0, x_k - 10^{3})"),
    # no switch at all: a polynomial that is 0 at the sizes drawn, 1 to 5
    ("p5.out_size", r"(h - 31)(w - 31) + (h - 1)(h - 2)(h - 3)(h - 4)(h - 5)"),
    ("p5.out_size", r"(h - 31)(w - 31) + \frac{(h-1)(h-2)(h-3)(h-4)(h-5)(w-1)(w-2)(w-3)(w-4)(w-5)}{h + 100}"),
    # sizes of sums are drawn 2 to 6: a polynomial in them with those roots, times anything
    ("p1.b.grad", r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}} (1 + (n-1)(n-2)(n-3)(n-4)(n-5)(n-6)(n-7)(n-8)(n-9)(n-10))"),
    ("p4.dyL_dbl", r"\sum_{i=1}^{m} v_i + (m-1)(m-2)(m-3)(m-4)(m-5)(m-6)(m-7)(m-8)(m-9)(m-10)"),
])
def test_an_answer_equal_only_at_the_sampled_values_is_not_correct(tmp_path, run, result_id, answer):
    assert grade_status(tmp_path, run, result_id, answer) != "correct"


# -- right ones still pass -------------------------------------------------------------------
def test_right_derivatives_floors_and_rows_still_pass():
    assert only(r"$$\frac{\partial}{\partial x_j} x_j^2 = 2 x_j$$" + "\n") in CHECKED
    text = "Let $s = a^2$.\n\n$$\\frac{\\partial}{\\partial a} (s a) = 3 a^2$$\n"
    assert verdicts(text)[3][0] in CHECKED
    rows = verdicts(FORMULA + "\n\nconv num\tk_h\th_{in}\tS\th_{out}\n1\t11\t227\t4\t55\n2\t5\t27\t1\t23\n")
    assert rows[4][0] == "verified" and rows[5][0] == "verified"


@pytest.mark.usefixtures("in_tmp")
@pytest.mark.parametrize("result_id, answer", [
    ("p5.out_size", r"(\lfloor h \rfloor - 31)(\lceil w \rceil - 31)"),
    ("p5.out_size", r"(h - 31)(w - 31) \lceil \frac{h}{h + 1} \rceil"),
    ("p4.dyL_dbl", r"\frac{\partial}{\partial b} \sum_{i=1}^{m} (v_i b + v_i)"),
    ("p4.dyL_dbl", r"\sum_{i=1, i \neq m+1}^{m} v_i"),
    # the band written with other conditions switches where the result's band does
    ("p4.A_entry", "(w_{k-i+1} if i <= k and k <= f + i - 1 else 0)"),
    ("p4.A_entry", "(w_{k-i+1} if i <= k and k < f + i else 0)"),
    ("p1.c.limit", r"\delta_{k m}"),
])
def test_right_answers_with_floors_derivatives_and_left_out_terms_stay_correct(tmp_path, run, result_id, answer):
    assert grade_status(tmp_path, run, result_id, answer) == "correct"


# -- limits ----------------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    r"$$\lim_{a \to 0} \left(\frac{|a|}{a}\right) = 1$$",  # from the left it is -1: no limit
    r"$$\lim_{a \to 0} \left(\left\lfloor a \right\rfloor\right) = 0$$",  # -1 from the left
    r"$$\lim_{a \to 1} \left(\left\lfloor a \right\rfloor\right) = 1$$",  # 0 from the left
])
def test_a_limit_at_a_point_is_taken_from_both_sides(line):
    # SymPy's Limit is one-sided (from the right) unless told otherwise: these were verified
    assert only(line + "\n") not in CHECKED


def test_a_two_sided_limit_that_exists_is_still_verified():
    assert only(r"$$\lim_{a \to 0} \left(a^2 + 1\right) = 1$$" + "\n") in CHECKED
    assert only(r"$$\lim_{a \to 2} \left(\left\lfloor \frac{a}{4} \right\rfloor\right) = 0$$" + "\n") in CHECKED


# -- max{x_1, …, x_N} read as all of x --------------------------------------------------------
@pytest.mark.parametrize("sums", [
    r"$$\sum_{i=1}^{N+1} e^{x_i} \ge 0$$",  # the length was read as N from ^{N+1}
    r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"$$\sum_{i=1}^{N+1} e^{x_i} \ge 0$$",
    r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"$$\sum_{i=1}^{M} e^{x_i} \ge 0$$",
    # two lengths in one formula: only the first sum's bound was read
    r"$$\sum_{i=1}^{N} e^{x_i} + \sum_{i=1}^{M} e^{x_i} \ge 0$$",
    r"$$\sum_{i=1}^{N} e^{x_i} + \sum_{i=1}^{N+1} e^{x_i} \ge 0$$",
    # a product to M says as much as a sum to M; a sum from 0 reaches x_0
    r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"$$\prod_{i=1}^{M} e^{x_i} \ge 0$$",
    r"$$\sum_{i=0}^{N} e^{x_i} \ge 0$$",
    r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"$$\sum_{k=0}^{N} x_k \ge x_0$$",
])
def test_the_largest_of_x_1_to_x_N_is_not_all_of_x_when_x_is_summed_further(sums):
    # x_j is only the largest of the first N entries; x_{N+1} may exceed it, so x_i <= x_j is
    # false, yet it got ≈ with max{x_1, …, x_N} taken for the whole vector
    text = sums + "\n\n" + r"Let $x_j := \max\{x_1, \dots, x_N\}$." + "\n\n" + r"$$x_i - x_j \le 0$$" + "\n"
    got = verdicts(text)
    assert got[max(got)][0] not in CHECKED


def test_the_largest_of_the_whole_vector_still_locates_it():
    text = (r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"Let $x_j := \max\{x_1, \dots, x_N\}$." + "\n\n"
            + r"$$x_i - x_j \le 0$$" + "\n")
    assert verdicts(text)[5][0] in CHECKED


def test_a_vector_summed_to_one_length_in_several_formulas_still_has_it():
    text = (r"$$\sum_{i=1}^{N} e^{x_i} \ge 0$$" + "\n\n" + r"$$\sum_{k=1}^{N} x_k + \sum_{i=1}^{N} x_i = 2 \sum_{i=1}^{N} x_i$$"
            + "\n\n" + r"Let $x_j := \max\{x_1, \dots, x_N\}$." + "\n\n" + r"$$x_i - x_j \le 0$$" + "\n")
    assert verdicts(text)[7][0] in CHECKED


def test_one_index_does_not_locate_the_largest_entries_of_two_vectors():
    # x_j := max x, then y_j := max y: that y is largest where x is, is a claim; read as a
    # definition it let (x_j - x_i)(y_j - y_i) >= 0 get ≈ (false for x = (1, 0), y = (0, 1))
    text = (r"$$\sum_{i=1}^{n} e^{x_i} + \sum_{i=1}^{n} e^{y_i} \ge e^{x_j}$$" + "\n\n"
            + r"Let $x_j := \max\{x_1, \dots, x_n\}$." + "\n\n" + r"Let $y_j := \max\{y_1, \dots, y_n\}$." + "\n\n"
            + r"$$(x_j - x_i)(y_j - y_i) \ge 0$$" + "\n")
    got = verdicts(text)
    assert got[3][0] == "definition"
    assert got[5][0] == "not checked" and "already locates" in got[5][1]
    assert got[7][0] not in CHECKED


def test_a_second_location_of_the_same_largest_entry_is_not_a_definition():
    text = (r"$$\sum_{i=1}^{n} e^{x_i} \ge e^{x_j}$$" + "\n\n" + r"Let $x_j := \max\{x_1, \dots, x_n\}$." + "\n\n"
            + r"Let $x_k := \max\{x_1, \dots, x_n\}$." + "\n")
    got = verdicts(text)
    assert got[5][0] == "not checked" and "x_j is already its largest entry" in got[5][1]
