"""The slack technique proves inequalities from declared order constraints, and nothing more."""

import sympy as sp
from sympy import Ne, exp

from derive.core.assumptions import Constraint, Integer, Positive, RealVector, assume
from derive.core.checks import slack
from derive.core.checks.runner import check_step
from derive.core.document import Derivation

beta = sp.Symbol("beta", positive=True)
Delta = sp.Symbol("Delta", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
i, j, k, m = sp.symbols("i j k m", integer=True, positive=True)
x = sp.IndexedBase("x", real=True)

MAX_AT_J = Constraint(x[i] <= x[j], forall=((i, 1, n),))


def at_j(*extra):
    return assume(Positive(beta), Integer(n, 1, 6), Integer(j, 1, n), Integer(k, 1, n),
                  RealVector(x, n, max_at=j), *extra)


def proved(lhs, rel, rhs, assumptions) -> bool:
    return slack.prove_order(lhs, rel, rhs, assumptions).outcome == "proved"


S = sp.Sum(exp(beta * (x[i] - x[j])), (i, 1, n))


def test_true_bounds_from_a_declared_maximum_are_proved():
    assert proved(sp.Integer(1), "<=", S, at_j(MAX_AT_J))
    assert proved(S, "<=", n, at_j(MAX_AT_J))
    assert proved(x[k], "<=", x[j], at_j(MAX_AT_J))


def test_the_reversed_order_is_not_proved():
    assert not proved(x[k], ">=", x[j], at_j(MAX_AT_J))
    assert not proved(S, ">=", n, at_j(MAX_AT_J))
    assert not proved(S, "<=", sp.Integer(1), at_j(MAX_AT_J))


def test_nothing_is_proved_without_the_declared_constraint():
    assert slack.prove_order(sp.Integer(1), "<=", S, at_j()).outcome == "inconclusive"
    assert not proved(x[k], "<=", x[j], at_j())


def test_a_sampling_range_is_not_a_declared_index_bound():
    # k is drawn from 1..6 and n from 6..9, so every sample has k ≤ n; but nothing declares
    # k ≤ n, so the constraint need not cover x[k].
    loose = assume(Positive(beta), Integer(n, 6, 9), Integer(j, 1, n), Integer(k, 1, 6),
                   RealVector(x, n, max_at=j), MAX_AT_J)
    assert not proved(x[k], "<=", x[j], loose)


def test_a_where_clause_must_hold_at_the_entry():
    unique = assume(Positive(beta), Positive(Delta), Integer(n, 2, 6), Integer(m, 1, n), Integer(k, 1, n),
                    RealVector(x, n, max_at=m, gap=Delta),
                    Constraint(x[i] <= x[m] - Delta, forall=((i, 1, n),), where=Ne(i, m)))
    assert not proved(x[k], "<=", x[m] - Delta, unique)  # k may equal m
    assert proved(x[k], "<=", x[m] - Delta, unique + assume(Constraint(Ne(k, m))))
    assert not proved(x[k], ">=", x[m] - Delta, unique + assume(Constraint(Ne(k, m))))


def test_a_backwards_sum_is_not_bounded_termwise():
    # Under Karr's convention Σ_{j+2}^{j} f = −f(j+1) < 0, though every term is positive.
    backwards = sp.Sum(exp(beta * (x[i] - x[j])), (i, j + 2, j))
    assert not proved(sp.Integer(0), "<=", backwards, at_j(MAX_AT_J))


def test_the_runner_marks_a_slack_proof_verified():
    d = Derivation("t", at_j(MAX_AT_J))
    step = d.step(sp.Integer(1), "<=", S)
    result = check_step(step)
    assert result.status == "verified"
    assert any(m.method == "slack" and m.outcome == "proved" for m in result.methods)


def test_an_entry_bound_by_a_product_is_not_taken_for_a_free_entry():
    # Π_{k=n+1}^{n+1} x_k is x_{n+1}, outside 1..n where the constraint holds: the k inside is
    # the product's own index, not the declared k ≤ n.
    assert not proved(sp.Product(x[k], (k, n + 1, n + 1)), "<=", x[j], at_j(MAX_AT_J))
