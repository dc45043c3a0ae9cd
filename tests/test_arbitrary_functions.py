"""arbitrary('f') means any smooth f: undefined for SymPy, several random stand-ins numerically."""

from __future__ import annotations

import sympy as sp

import derive as dv
from derive.core import functions
from derive.core.checks.runner import check_step

t = sp.Symbol("t", real=True)
f = dv.arbitrary("f")
g = dv.arbitrary("g")
h = dv.arbitrary("h", nargs=2)


def _derivation():
    return dv.Document("f").problem("P").part("a", "A").derivation(dv.assume(dv.Real(t)))


def test_true_identities_with_an_unknown_function_are_verified():
    d = _derivation()
    for lhs, rhs in [
        (sp.Derivative(f(t) ** 2, t), 2 * f(t) * sp.Derivative(f(t), t)),
        (sp.Derivative(f(g(t)), t), sp.Subs(sp.Derivative(f(t), t), t, g(t)) * sp.Derivative(g(t), t)),
        (sp.Derivative(h(t, t**2), t), sp.diff(h(t, t**2), t)),
    ]:
        result = check_step(d.step(lhs, "=", rhs))
        assert result.status == "verified", (lhs, result.message)
        assert "3 random stand-ins" in result.methods[-1].detail


def test_a_wrong_chain_rule_fails():
    d = _derivation()
    wrong = d.step(sp.Derivative(f(g(t)), t), "=", sp.Derivative(f(t), t) * sp.Derivative(g(t), t))
    result = check_step(wrong)
    assert result.status == "failed"
    assert "with f = " in result.message and "g = " in result.message


def test_an_identity_true_for_one_stand_in_only_fails(monkeypatch, exp_first_stand_in):
    """f' = f holds for f = exp. Make exp the first stand-in: the others must still refute it."""
    claim = _derivation().step(sp.Derivative(f(t), t), "=", f(t))
    assert check_step(claim).status == "failed"
    # The test can fail: with exp as the only stand-in the claim would pass numerically.
    monkeypatch.setattr(functions, "STAND_INS", 1)
    assert check_step(_derivation().step(sp.Derivative(f(t), t), "=", f(t))).status == "numeric-only"


def test_stand_ins_differ_in_kind():
    import random

    bodies = [functions.stand_in(kind, 1, random.Random(1)).expr for kind in range(functions.STAND_INS)]
    assert bodies[0].has(sp.sin) and bodies[1].has(sp.exp) and not bodies[2].has(sp.sin, sp.exp)


def test_an_undeclared_unknown_function_is_refused_where_written():
    import pytest

    q = sp.Function("q")
    with pytest.raises(dv.AuthoringError, match=r"test_arbitrary_functions\.py:\d+: .*q is undefined.*arbitrary"):
        _derivation().step(q(t), "=", q(t))


def test_a_stand_in_is_differentiated_inside_a_sum_without_evaluating_the_sum():
    """d/dz_q Σ_i g_i f(z_i) with a stand-in for f: the derivative is worked out, the sum over a
    symbolic range stays a sum for the numeric samples (evaluating it symbolically took minutes)."""
    i, q, m = sp.symbols("i q m", integer=True, positive=True)
    gv, z = sp.IndexedBase("g"), sp.IndexedBase("z")
    expr = sp.Derivative(sp.Sum(gv[i] * f(z[i]), (i, 1, m)), z[q])
    import random
    import signal

    def too_slow(*_):
        raise TimeoutError("substitute evaluated the sum symbolically")

    signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    for kind in range(functions.STAND_INS):
        stand_in = functions.stand_in(kind, 1, random.Random(f"sum/{kind}"))
        out = functions.substitute(expr, {f: stand_in})
        assert not out.has(sp.Derivative) and out.has(sp.Sum), (kind, out)
    signal.alarm(0)
