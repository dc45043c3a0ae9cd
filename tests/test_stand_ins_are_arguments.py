"""The numeric check compiles a step's sides once and passes each stand-in of an arbitrary
function to them as callables (its values and its derivatives' values): the same stand-ins, the
same points, the same precision as substituting each stand-in, and false claims still fail."""

from __future__ import annotations

import random

import sympy as sp

import derive as dv
from derive.core import functions
from derive.core.checks import compiled
from derive.core.checks.runner import check_step

t = sp.Symbol("t", real=True)
f = dv.arbitrary("f")
g = dv.arbitrary("g")
h = dv.arbitrary("h", nargs=2)
i, m, q = sp.symbols("i m q", integer=True, positive=True)
z, c = sp.IndexedBase("z"), sp.IndexedBase("c")


def _derivation(*variables):
    return dv.Document("f").problem("P").part("a", "A").derivation(dv.assume(dv.Real(t), *variables))


def _vectors():
    return _derivation(dv.Integer(m, 1, 4), dv.Integer(q, 1, m), dv.RealVector(z, m), dv.RealVector(c, m))


def _compilations(monkeypatch) -> list:
    calls = []
    original = compiled._compile

    def counted(exprs, args, passed):
        calls.append(tuple(passed))
        return original(exprs, args, passed)

    monkeypatch.setattr(compiled, "_compile", counted)
    compiled._remembered.cache_clear()
    return calls


def test_values_and_derivatives_at_points_become_applications():
    i_ = sp.Symbol("p_i", integer=True)
    lhs = sp.Derivative(sp.Sum(c[i_] * f(z[i_]), (i_, 1, m)), z[q])
    out = functions.with_values(lhs, sp.Subs(sp.Derivative(f(t), t, 2), t, t**2) + f(g(t)))
    assert out is not None
    left, right, used = out
    assert not functions.arbitrary_in(left, right) and not left.has(sp.Derivative)
    assert [(str(fn), n) for fn, n in used] == [("f", 0), ("f", 1), ("f", 2), ("g", 0)]


def test_other_forms_keep_substituting():
    # A function of two arguments, and a derivative SymPy leaves unevaluated, are substituted.
    assert functions.with_values(h(t, t), t) is None
    assert functions.with_values(sp.Integral(f(t), (t, 0, 1)), t) is None


def test_the_sides_are_compiled_once_for_all_stand_ins(monkeypatch):
    calls = _compilations(monkeypatch)
    claim = _vectors().step(sp.Derivative(sp.Sum(c[i] * f(z[i]) ** 2, (i, 1, m)), z[q]), "=",
                            2 * c[q] * f(z[q]) * sp.Derivative(f(z[q]), z[q]))
    result = check_step(claim)
    assert result.status == "verified", result.message
    with_functions = [passed for passed in calls if passed]
    assert len(with_functions) == 1, calls  # not once per stand-in


def test_a_sum_identity_true_for_exp_only_fails(monkeypatch, exp_first_stand_in):
    """Σ c_i f'(z_i) = Σ c_i f(z_i) holds for f = exp: the other stand-ins must refute it."""
    lhs = sp.Sum(c[i] * sp.Derivative(f(z[i]), z[i]), (i, 1, m))
    rhs = sp.Sum(c[i] * f(z[i]), (i, 1, m))
    assert functions.with_values(lhs, rhs) is not None  # the compiled-once path is the one tried
    assert check_step(_vectors().step(lhs, "=", rhs)).status == "failed"
    # The test can fail: with exp as the only stand-in the claim passes numerically.
    monkeypatch.setattr(functions, "STAND_INS", 1)
    assert check_step(_vectors().step(lhs, "=", rhs)).status == "numeric-only"


def test_a_second_derivative_at_an_expression_true_for_exp_only_fails(monkeypatch, exp_first_stand_in):
    lhs, rhs = sp.Subs(sp.Derivative(f(t), t, 2), t, 2 * t + 1), f(2 * t + 1)
    assert check_step(_derivation().step(lhs, "=", rhs)).status == "failed"
    monkeypatch.setattr(functions, "STAND_INS", 1)
    assert check_step(_derivation().step(lhs, "=", rhs)).status == "numeric-only"


def test_a_wrong_chain_rule_inside_a_sum_fails():
    # d/dz_q Σ c_i f(z_i)² is 2 c_q f(z_q) f'(z_q), not c_q f'(z_q)².
    claim = _vectors().step(sp.Derivative(sp.Sum(c[i] * f(z[i]) ** 2, (i, 1, m)), z[q]), "=",
                            c[q] * sp.Derivative(f(z[q]), z[q]) ** 2)
    result = check_step(claim)
    assert result.status == "failed"
    assert "with f = " in result.message


def test_a_difference_below_the_tolerance_is_found_at_doubled_precision():
    # 10^-45 f'(t) is within the tolerance at 60 digits, not rounding: the stand-ins, called at
    # the doubled precision of the second look, must show it again.
    result = check_step(_derivation().step(f(t), "=", f(t) + sp.Rational(1, 10**45) * sp.Derivative(f(t), t)))
    assert result.status == "failed", result.message


def test_a_function_of_two_arguments_is_still_checked():
    wrong = _derivation().step(sp.Derivative(h(t, t**2), t), "=", 2 * sp.Derivative(h(t, t**2), t))
    assert check_step(wrong).status == "failed"


def test_same_stand_ins_and_points_as_substituting():
    """Both ways give each stand-in the same values at the same points: one stand-in's values
    at a point, through the callables and through the substituted expression."""
    lam = functions.stand_in(1, 1, random.Random("x"))
    out = functions.with_values(sp.Derivative(f(t) ** 2, t), 0)
    left, _, used = out
    implementations = functions._implementations(used, {f: lam})
    function = compiled.compile_entries([left], [t], tuple(implementations))
    substituted = compiled.compile_entries([functions.substitute(sp.Derivative(f(t) ** 2, t), {f: lam})], [t])
    import mpmath

    with mpmath.workdps(60):
        for x in ("-1.25", "0.5", "3"):
            a = function(mpmath.mpf(x), *implementations.values())[0]
            b = substituted(mpmath.mpf(x))[0]
            assert abs(a - b) <= mpmath.mpf(10) ** -55 * max(1, abs(b))


# That a drawn stand-in's derivatives are its own at every order and precision is pinned by
# tests/test_adversarial_speedups.py (test_a_family_derivative_is_the_derivative_of_the_drawn_stand_in).


def test_another_function_in_place_of_a_stand_in_is_differentiated_itself():
    import mpmath

    u = sp.Symbol("u1", real=True)
    lam = sp.Lambda((u,), sp.exp(2 * u))  # not drawn by stand_in: no family to borrow
    with mpmath.workdps(60):
        assert abs(functions._derivative(lam, 2)(mpmath.mpf(0)) - 4) < mpmath.mpf(10) ** -50


def test_sides_that_cannot_take_functions_as_arguments_are_substituted(monkeypatch):
    original = compiled._compile

    def no_functions(exprs, args, passed):
        if passed:
            raise compiled.NotCompilable("pretend the printer cannot")
        return original(exprs, args, passed)

    monkeypatch.setattr(compiled, "_compile", no_functions)
    compiled._remembered.cache_clear()
    true = _derivation().step(sp.Derivative(f(t) ** 2, t), "=", 2 * f(t) * sp.Derivative(f(t), t))
    result = check_step(true)
    assert result.status == "verified" and "3 random stand-ins" in result.methods[-1].detail, result.message
    assert check_step(_derivation().step(sp.Derivative(f(t) ** 2, t), "=", 2 * sp.Derivative(f(t), t))).status == "failed"
