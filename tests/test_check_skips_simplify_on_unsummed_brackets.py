"""An Iverson bracket over a sum's own indexes that SymPy could not sum is not handed to
simplify (which rewrites the bracket's conditions, lets the bound indexes escape and is always
discarded, after a second or more): the step is settled by the sum technique or the numeric
search as before, a false claim of the same shape still fails, and a bracket on free symbols
only is still simplified."""

from __future__ import annotations

import sympy as sp
from sympy import Piecewise, Sum

from derive.core.assumptions import Constraint, Integer, assume
from derive.core.checks import ranges, symbolic
from derive.core.checks.prepare import declared_view
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step

k, n, q, t = sp.symbols("k n q t", integer=True, positive=True)
p = sp.Symbol("p", integer=True, nonnegative=True)
N_OUT = n + 2 * p - k + 1
# The output positions q and kernel taps t that land on the unpadded input (problem 2's count).
INSIDE = Piecewise((1, sp.And(q + t - p >= 0, n >= q + t - p + 1)), (0, True))
COUNT = Sum(INSIDE, (q, 0, N_OUT - 1), (t, 0, k - 1))
PADDING = assume(Integer(k, 1, 4), Integer(p, 0, k), Integer(n, 1, 6),
                 Constraint(k <= n + 2 * p), Constraint(k <= n + p + 1))


def test_the_unsummed_bracket_is_not_simplified():
    declared = declared_view(PADDING)
    facts = ranges.declared_facts(PADDING, declared.mapping)  # as the runner passes them
    result = symbolic.check_equal(COUNT, k * N_OUT - p * (p + 1), declared, facts=facts)
    assert result.outcome == "inconclusive", result
    assert "simplify is not tried" in result.detail, result


def test_the_true_count_stays_numeric_only(make_step):
    assert check_step(make_step(COUNT, "=", k * N_OUT - p * (p + 1), PADDING)).status == NUMERIC_ONLY


def test_a_false_count_of_the_same_shape_fails(make_step):
    for wrong in (k * N_OUT - p * (p + 1) + 1, k * N_OUT - p**2, k * N_OUT):
        result = check_step(make_step(COUNT, "=", wrong, PADDING))
        assert result.status == FAILED, (wrong, result)


def test_a_bracket_on_free_symbols_only_does_not_count(make_step):
    # Not an Iverson bracket over the sum's indexes: such a step still gets simplify.
    x = sp.Symbol("x", real=True)
    free = Sum(Piecewise((sp.sin(x) ** 2, k >= 2), (0, True)) + sp.cos(x) ** 2 * q / q, (q, 1, n))
    assert not symbolic._unsummed_bracket(free)
    assert symbolic._unsummed_bracket(COUNT)
