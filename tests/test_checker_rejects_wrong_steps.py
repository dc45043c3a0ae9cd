"""Every check method can fail: deliberately wrong steps are rejected, true ones accepted."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import KroneckerDelta, Limit, Sum, exp, log, oo, sqrt

from derive.documents.hw7.p1_softmax import Delta, S, beta, i, j, k, m, n, nu, x
from derive.core.assumptions import Constraint, Integer, Positive, Real, RealVector, assume
from derive.core.checks import numeric, symbolic
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step, check_steps
from derive.core.step import Squeeze

a, b = sp.symbols("a b", real=True)
REALS = assume(Real(a), Real(b))
VECTOR = assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n))
MAX_AT_J = assume(Positive(beta), Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n, max_at=j),
                  Constraint(x[i] <= x[j], forall=((i, 1, n),)))
UNIQUE_MAX = assume(Positive(beta), Integer(n, 2, 6), Integer(m, 1, n), Positive(Delta, sp.Rational(1, 10), 2),
                    RealVector(x, n, max_at=m, gap=Delta), Integer(k, 1, n),
                    Constraint(x[i] <= x[m] - Delta, forall=((i, 1, n),), where=sp.Ne(i, m)))
NU = ((nu, log(Sum(exp(beta * x[i]), (i, 1, n))) / beta),)
S_DEF = ((S, Sum(exp(beta * (x[i] - x[j])), (i, 1, n))),)
SOFTMAX_BETA = exp(beta * x[k]) / Sum(exp(beta * x[i]), (i, 1, n))

WRONG = [
    ("sign flip", Sum(exp(beta * x[i]), (i, 1, n)), "=", -exp(beta * x[j]) * Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), MAX_AT_J, ()),
    ("dropped 1/beta", nu, "=", x[j] + log(S), MAX_AT_J, NU + S_DEF),
    ("wrong limit", Limit(x[j] + log(n) / beta, beta, oo), "=", x[j] + 1, MAX_AT_J, ()),
    ("off-by-one upper bound", Sum(exp(x[i]), (i, 1, n - 1)), "=", Sum(exp(x[i]), (i, 1, n)), VECTOR, ()),
    ("off-by-one delta", Sum(KroneckerDelta(i, k + 1) * exp(x[i]), (i, 1, n)), "=", exp(x[k]), VECTOR, ()),
    ("wrong inequality direction", S, "<=", sp.Integer(1), MAX_AT_J, S_DEF),
    ("wrong direction of the sandwich", nu, ">=", x[j] + log(n) / beta, MAX_AT_J, NU),
    ("gradient without the denominator", sp.Derivative(log(Sum(exp(x[i]), (i, 1, n))), x[k]), "=", exp(x[k]), VECTOR, ()),
    ("gradient with an extra beta", sp.Derivative(nu, x[k]), "=", beta * SOFTMAX_BETA, UNIQUE_MAX, NU),
    ("wrong limit of the top entry", Limit(exp(beta * x[m]) / Sum(exp(beta * x[i]), (i, 1, n)), beta, oo), "=", sp.Rational(1, 2), UNIQUE_MAX, ()),
    ("limit of 1/beta claimed 1", Limit(1 / beta, beta, oo), "=", sp.Integer(1), assume(Positive(beta)), ()),
    ("square of a sum", (a + b) ** 2, "=", a**2 + b**2, REALS, ()),
    ("log of a product", log(exp(a) * exp(b)), "=", a * b, REALS, ()),
    ("exp of a sum", exp(a + b), "=", exp(a) + exp(b), REALS, ()),
    ("sqrt of a square", sqrt(a**2), "=", a, REALS, ()),
    ("a wrong constant", exp(sp.Integer(0)), "=", sp.Integer(2), REALS, ()),
    ("a wrong order of constants", sp.Integer(3), "<=", sp.Integer(2), REALS, ()),
    ("strict inequality that is an equality", exp(a) * exp(-a), "<", sp.Integer(1), REALS, ()),
    ("bound without its assumption", x[i], "<=", x[j], assume(Integer(n, 2, 6), Integer(i, 1, n), Integer(j, 1, n), RealVector(x, n)), ()),
    ("undeclared symbol", a + sp.Symbol("c"), "=", a + sp.Symbol("c"), REALS, ()),
    ("undefined function at numbers", sp.Function("f")(a), "=", sp.Function("f")(b), REALS, ()),
    ("matrix entries swapped", sp.Matrix([[a, b]]), "=", sp.Matrix([[b, a]]), REALS, ()),
    ("softmax sums to 2", Sum(exp(x[i]) / Sum(exp(x[i]), (i, 1, n)), (i, 1, n)), "=", sp.Integer(2), VECTOR, ()),
    ("every entry of S at most 1/n", S, "<=", n, assume(Positive(beta), Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n)), S_DEF),
]


@pytest.mark.parametrize("name, lhs, rel, rhs, assumptions, definitions", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_step_is_rejected(make_step, name, lhs, rel, rhs, assumptions, definitions):
    result = check_step(make_step(lhs, rel, rhs, assumptions, definitions=definitions, step_id=f"wrong.{name}"))
    assert result.status == FAILED, f"{name}: {result}"
    assert result.message


def test_at_least_twenty_wrong_steps():
    assert len(WRONG) >= 20


TRUE = [
    ("factor out the maximum", Sum(exp(beta * x[i]), (i, 1, n)), "=", exp(beta * x[j]) * Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), MAX_AT_J, ()),
    ("square of a sum", (a + b) ** 2, "=", a**2 + 2 * a * b + b**2, REALS, ()),
    ("softmax sums to 1", Sum(exp(x[i]), (i, 1, n)) / Sum(exp(x[i]), (i, 1, n)), "=", sp.Integer(1), VECTOR, ()),
    ("the bound S <= n", S, "<=", n, MAX_AT_J, S_DEF),
    ("limit of log n / beta", Limit(log(n) / beta, beta, oo), "=", sp.Integer(0), assume(Positive(beta), Integer(n, 1, 6)), ()),
]


@pytest.mark.parametrize("name, lhs, rel, rhs, assumptions, definitions", TRUE, ids=[t[0] for t in TRUE])
def test_true_step_is_accepted(make_step, name, lhs, rel, rhs, assumptions, definitions):
    result = check_step(make_step(lhs, rel, rhs, assumptions, definitions=definitions, step_id=f"true.{name}"))
    assert result.status in (VERIFIED, NUMERIC_ONLY), result.message


def test_symbolic_method_rejects_a_wrong_constant():
    assert symbolic.check_equal(exp(sp.Integer(0)), sp.Integer(2), []).outcome == "failed"


def test_symbolic_method_rejects_a_wrong_order():
    assert symbolic.check_order(sp.Integer(3), "<=", sp.Integer(2), []).outcome == "failed"


def test_symbolic_method_proves_what_it_can():
    assert symbolic.check_equal((a + b) ** 2, a**2 + 2 * a * b + b**2, []).outcome == "proved"


def test_numeric_method_rejects_with_a_counterexample():
    outcome = numeric.check("t.numeric", (a + b) ** 2, "=", a**2 + b**2, REALS)
    assert outcome.outcome == "failed"
    assert outcome.detail.startswith("at a=") and "lhs = " in outcome.detail and "rhs = " in outcome.detail


def test_numeric_limit_rejects_a_wrong_limit():
    outcome = numeric.check("t.limit", Limit(1 / beta, beta, oo), "=", sp.Integer(1), assume(Positive(beta)))
    assert (outcome.method, outcome.outcome) == ("numeric-limit", "failed")
    assert "does not tend to 0" in outcome.detail


def _squeeze_steps(make_step, lower_bound, claimed, lower_id="sq.low", upper_id="sq.up"):
    low = make_step(lower_bound, "<=", nu, MAX_AT_J, definitions=NU, step_id="sq.low")
    up = make_step(nu, "<=", x[j] + log(n) / beta, MAX_AT_J, definitions=NU, step_id="sq.up")
    limit = make_step(Limit(nu, beta, oo), "=", claimed, MAX_AT_J, definitions=NU, step_id="sq.lim",
                      rule=Squeeze(lower_bound, x[j] + log(n) / beta, lower_id, upper_id))
    return [low, up, limit]


def test_squeeze_accepts_the_true_sandwich(make_step):
    results = check_steps(_squeeze_steps(make_step, x[j], x[j]), jobs=1)
    assert results["sq.lim"].status == VERIFIED


def test_squeeze_rejects_a_bound_with_another_limit(make_step):
    results = check_steps(_squeeze_steps(make_step, x[j] - 1, x[j]), jobs=1)
    assert results["sq.lim"].status == FAILED
    assert "lower bound tends to x[j] - 1, not to x[j]" in results["sq.lim"].message


def test_squeeze_rejects_a_missing_premise(make_step):
    results = check_steps(_squeeze_steps(make_step, x[j], x[j], lower_id="sq.nowhere"), jobs=1)
    assert results["sq.lim"].status == FAILED
    assert results["sq.lim"].message == "premise sq.nowhere: no such step"


def test_squeeze_rejects_a_premise_that_states_another_bound(make_step):
    steps = _squeeze_steps(make_step, x[j], x[j])
    steps[0] = make_step(x[j] - 2, "<=", nu, MAX_AT_J, definitions=NU, step_id="sq.low")
    results = check_steps(steps, jobs=1)
    assert results["sq.lim"].status == FAILED
    assert results["sq.lim"].message.startswith("premise sq.low: it states x[j] - 2")
