"""A step may not use a name the checker makes for itself (derive.core.checks.names): the
step is refused with the name to change, instead of a symbol being captured silently."""

from __future__ import annotations

import sympy as sp

from derive.core.assumptions import Integer, Real, assume
from derive.core.checks.names import naming_problem
from derive.core.checks.runner import check_step

x = sp.Symbol("x", real=True)
n = sp.Symbol("n", integer=True, positive=True)


def test_ordinary_names_pass():
    f = sp.Function("f")
    assert naming_problem([sp.exp(x) + f(x) + sp.Sum(sp.IndexedBase("y")[n], (n, 1, 3)), sp.Symbol("beta")]) == ""


def test_a_symbol_named_like_the_checkers_own_is_refused(make_step):
    for name in ("_a0", "_s0", "_bound_j", "_fn0", "_b1"):
        k = sp.Symbol(name, integer=True)
        result = check_step(make_step(k * x, "=", x * k, assume(Integer(k, 1, 3), Real(x))))
        assert result.status == "failed" and repr(name) in result.message


def test_a_function_named_like_a_sympy_function_is_refused(make_step):
    mine = sp.Function("exp")  # the author's, undefined: compiled code would call SymPy's exp
    result = check_step(make_step(mine(x), "=", sp.exp(x), assume(Real(x))))
    assert result.status == "failed" and "'exp'" in result.message


def test_two_different_functions_of_one_name_are_refused():
    class pw(sp.Function):  # noqa: N801 - the name is the point
        @classmethod
        def eval(cls, arg):
            return None

    other = sp.Function("pw")
    assert "two different functions are named 'pw'" in naming_problem([pw(x) - other(x)])
