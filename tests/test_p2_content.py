"""Problem 2's content: every step passes the checker, the results are the engine's numbers and the
course's facts, and wrong variants of the same steps are rejected."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from sympy import Sum

from derive.documents.hw7 import p2_counting as p2
from derive.documents.hw7.registry import load_problem
from derive.core.assumptions import assume
from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step, check_steps
from derive.core.document import Prose, Table
from derive.counting import Convention, count_network, load_network
from derive.counting.counts import axis_pairs

# Course facts, from the problem sheet (PROBLEMS.md), not from the code under test.
COURSE_CONV_MACS = 655_566_528
COURSE_LINEAR_MACS = 58_621_952
COURSE_PARAMS = 61_100_840


@pytest.fixture(scope="module")
def problem():
    return p2.problem()


@pytest.fixture(scope="module")
def results(problem):
    return check_steps(list(problem.steps()), jobs=1)


@pytest.fixture(scope="module")
def engine():
    return count_network(load_network("alexnet"))


def result_values(problem) -> dict[str, sp.Basic]:
    return {r.result_id: r.value for r in problem.results()}


def test_registered_as_problem_2():
    assert load_problem(2).number == 2


def test_no_step_fails(problem, results):
    failed = {i: r.message for i, r in results.items() if r.status == FAILED}
    assert not failed
    assert {r.status for r in results.values()} <= {VERIFIED, NUMERIC_ONLY, DEFINITION}


def test_only_the_indicator_enumerations_are_numeric_only(problem, results):
    """Arithmetic and sums of ones are proved; only sums of Iverson brackets (Piecewise once the
    definitions are expanded), which SymPy cannot sum symbolically, may rest on sampling."""
    for step in problem.steps():
        if results[step.id].status != NUMERIC_ONLY:
            continue
        expanded = sp.sympify(step.rhs).subs(step.definitions).subs(step.definitions)
        expanded += sp.sympify(step.lhs).subs(step.definitions).subs(step.definitions)
        assert expanded.has(sp.Piecewise), step.id
        assert step.id.startswith("p2.a."), step.id  # at AlexNet's sizes every enumeration is proved
        # The window count and both padding triangles have closed forms derive proves; only the
        # two-sided bracket of the pairs inside the input is left to sampling.
        assert step.id == "p2.a.padding.7", step.id


def test_result_ids(problem):
    assert set(result_values(problem)) == {
        "p2.a.conv.macs", "p2.a.linear.macs", "p2.a.padding.pairs",
        "p2.conv.macs", "p2.linear.macs", "p2.conv.flops", "p2.linear.flops", "p2.total.macs",
        "p2.conv.percent", "p2.params.conv", "p2.params.linear",
    }


def test_results_are_the_course_facts(problem):
    values = result_values(problem)
    assert values["p2.conv.macs"] == COURSE_CONV_MACS
    assert values["p2.linear.macs"] == COURSE_LINEAR_MACS
    assert values["p2.total.macs"] == COURSE_CONV_MACS + COURSE_LINEAR_MACS
    assert values["p2.conv.flops"] == 2 * COURSE_CONV_MACS
    assert values["p2.linear.flops"] == 2 * COURSE_LINEAR_MACS
    assert values["p2.conv.percent"] == sp.Rational(100 * COURSE_CONV_MACS, COURSE_CONV_MACS + COURSE_LINEAR_MACS)
    assert round(float(values["p2.conv.percent"]), 2) == 91.79
    assert round(float(values["p2.params.conv"])) == 4
    assert round(float(values["p2.params.linear"])) == 96
    assert values["p2.params.conv"] + values["p2.params.linear"] == 100


def test_results_are_the_engines_numbers(problem, engine):
    values = result_values(problem)
    conv, linear = engine.by_kind["conv"], engine.by_kind["linear"]
    assert values["p2.conv.macs"] == conv.macs
    assert values["p2.linear.macs"] == linear.macs
    assert values["p2.total.macs"] == engine.totals.macs
    assert values["p2.params.conv"] == sp.Rational(100 * conv.params, engine.totals.params)
    assert values["p2.params.linear"] == sp.Rational(100 * linear.params, engine.totals.params)
    assert engine.totals.params == COURSE_PARAMS


def test_general_results_are_the_formulas(problem):
    values = result_values(problem)
    assert sp.simplify(values["p2.a.conv.macs"] - p2.c_out * p2.h_out * p2.w_out * p2.c_in * p2.k_h * p2.k_w / p2.g) == 0
    assert values["p2.a.linear.macs"] == p2.n_in * p2.n_out


@pytest.mark.parametrize("n", range(1, 9))
def test_padding_closed_form_agrees_with_the_engine(n):
    """n_out k − p(p + 1) against the engine's per-tap interval count, for every admissible size."""
    for k in range(1, 6):
        for p in range(k + 1):
            out = n + 2 * p - k + 1
            if out < max(1, p):
                continue
            assert out * k - p * (p + 1) == axis_pairs(n, out, k, 1, p, 1), (n, k, p)


def test_tables_show_the_engines_shares(problem, engine):
    tables = [b for part in problem.parts for b in part.blocks if isinstance(b, Table)]
    per_layer = tables[0]
    conv_row = next(row for row in per_layer.rows if row[0] == "five convolutions")
    assert conv_row[3] == engine.by_kind["conv"].macs
    assert conv_row[4] == "91.79 %"
    conventions = tables[1]
    padding = count_network(load_network("alexnet"), Convention(exclude_padding=True))
    row = next(row for row in conventions.rows if row[0] == "multiply-adds, padding excluded")
    assert row[1:4] == (padding.by_kind["conv"].macs, padding.by_kind["linear"].macs, padding.totals.macs)
    flop_row = next(row for row in conventions.rows if row[0].startswith("2 × MAC"))
    assert flop_row[3] == 2 * (COURSE_CONV_MACS + COURSE_LINEAR_MACS)


def test_no_critique_of_a_students_arithmetic(problem):
    """That belongs to derive grade; the model solution states only its own answer."""
    text = " ".join(str(p) for part in problem.parts for b in part.blocks if isinstance(b, Prose) for p in b.parts)
    assert "student" not in text.lower()
    assert not any(s.id.startswith("p2.c.student") for s in problem.steps())


def test_share_statement_says_what_is_invariant(problem):
    text = " ".join(str(p) for part in problem.parts for b in part.blocks if isinstance(b, Prose) for p in b.parts)
    assert "whichever way" not in text
    assert "doubles every layer's figure, so these shares hold for that convention too" in text
    assert "between 91.10 % and 91.79 %" in text


def test_percent_formats_exact_fractions():
    assert p2.percent(Fraction(COURSE_CONV_MACS, COURSE_CONV_MACS + COURSE_LINEAR_MACS)) == "91.79 %"
    assert p2.percent(Fraction(1, 3)) == "33.33 %"
    assert p2.percent(Fraction(1)) == "100.00 %"


# ── wrong variants of the problem's own steps: the checker must reject each ─────────────────
NETWORK = load_network("alexnet")
CONVS = [layer for layer in NETWORK.layers if layer.type == "conv2d"]
MAC_NAMES = p2.mac_definitions(NETWORK)
PRODUCTS = Sum(1, (p2.c, 1, p2.c_in / p2.g), (p2.u, 1, p2.k_h), (p2.v, 1, p2.k_w))
OUTPUTS = p2.c_out * p2.h_out * p2.w_out
READS, READS_MEANING = p2.indicator(0, p2.q + p2.t - p2.p, p2.n - 1)
PAIRS = Sum(READS, (p2.q, 0, p2.n + 2 * p2.p - p2.k), (p2.t, 0, p2.k - 1))
FITS, FITS_MEANING = p2.indicator(None, p2.q * p2.s + p2.d * (p2.k - 1), p2.h_in + 2 * p2.p - 1)
SHARE = 100 * p2.M_CONV / p2.M_TOTAL

WRONG = [
    ("products without the 1/g factor", PRODUCTS, "=", p2.c_in * p2.k_h * p2.k_w, p2.CONV, ()),
    ("MACs without the 1/g factor", Sum(PRODUCTS, *p2.OUTPUTS), "=",
     OUTPUTS * p2.c_in * p2.k_h * p2.k_w, p2.CONV, ()),
    ("strict additions equal to the MACs", Sum(PRODUCTS - 1, *p2.OUTPUTS), "=",
     OUTPUTS * p2.c_in * p2.k_h * p2.k_w / p2.g, p2.CONV, ()),
    ("linear MACs off by one", Sum(Sum(1, (p2.j, 1, p2.n_in)), (p2.i, 1, p2.n_out)), "=",
     (p2.n_in - 1) * p2.n_out, p2.LINEAR, ()),
    ("padding pairs with p squared", PAIRS, "=", (p2.n + 2 * p2.p - p2.k + 1) * p2.k - p2.p**2,
     p2.PADDING, ((READS, READS_MEANING),)),
    ("padding pairs without the padding", PAIRS, "=", (p2.n + 2 * p2.p - p2.k + 1) * p2.k,
     p2.PADDING, ((READS, READS_MEANING),)),
    ("output size without the + 1", Sum(FITS, (p2.q, 0, p2.h_in + 2 * p2.p - 1)), "=",
     sp.floor((p2.h_in + 2 * p2.p - p2.d * (p2.k - 1) - 1) / p2.s), p2.SIZE, ((FITS, FITS_MEANING),)),
    ("conv1 without its output width", p2.product(64, 55, 3, 11, 11), "=", sp.Integer(70_276_800),
     assume(), ()),
    ("conv total off by one", p2.M_CONV, "=", sp.Integer(COURSE_CONV_MACS + 1), assume(), MAC_NAMES),
    ("the student's conv total as MACs times 2", 2 * p2.M_CONV, "=", sp.Integer(131_133_056), assume(), MAC_NAMES),
    ("conv share rounded up to 91.80", sp.Float("91.795", 40), "<=", SHARE, assume(), MAC_NAMES),
    ("conv share of the parameters", SHARE, "=", sp.Rational(4), assume(), MAC_NAMES),
    ("conv2 output size with padding 1", p2.size_with_numbers(27, 5, 1, 1), "=", sp.Integer(27), assume(), ()),
]


@pytest.mark.parametrize("name, lhs, rel, rhs, assumptions, definitions", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variant_is_rejected(make_step, name, lhs, rel, rhs, assumptions, definitions):
    step = make_step(lhs, rel, rhs, assumptions, definitions=definitions, step_id=f"p2.wrong.{name}")
    result = check_step(step)
    assert result.status == FAILED, f"{name}: {result}"


def test_the_right_variants_of_the_same_steps_pass(make_step):
    """The rejections above are about the mistakes, not about the form of the steps."""
    right = [
        (PRODUCTS, "=", p2.c_in * p2.k_h * p2.k_w / p2.g, p2.CONV, ()),
        (PAIRS, "=", (p2.n + 2 * p2.p - p2.k + 1) * p2.k - p2.p * (p2.p + 1), p2.PADDING, ((READS, READS_MEANING),)),
        (p2.M_CONV, "=", sp.Integer(COURSE_CONV_MACS), assume(), MAC_NAMES),
        (p2.conv_macs(CONVS[0]), "=", sp.Integer(70_276_800), assume(), ()),
    ]
    for number, (lhs, rel, rhs, assumptions, definitions) in enumerate(right):
        result = check_step(make_step(lhs, rel, rhs, assumptions, definitions=definitions, step_id=f"p2.right.{number}"))
        assert result.status in (VERIFIED, NUMERIC_ONLY), result


def test_layer_names_must_be_alphanumeric():
    layer = CONVS[0]
    renamed = type(layer)(layer.index, "conv-1", layer.op, layer.in_shape, layer.out_shape)
    with pytest.raises(ValueError, match=r"^layer name 'conv-1' is not alphanumeric; rename it in the spec$"):
        p2.layer_symbol("M", renamed)
