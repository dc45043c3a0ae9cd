"""Displayed maths in the order an author writes it, one digit-grouping style, nested sums."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.render.printer import group_digits, to_latex

n, k, h = sp.symbols("n k h", integer=True, positive=True)
i, j = sp.symbols("i j", integer=True)
D = sp.Symbol("Delta", positive=True)
x = sp.IndexedBase("x")
m = sp.Symbol("m")


@pytest.mark.parametrize("expr, tex", [
    (n - k + 1, "n - k + 1"),
    (x[m] - D, r"x_{m} - \Delta"),
    (sp.Add(227, sp.Mul(2, 0, evaluate=False), -11, evaluate=False), r"227 + 2 \cdot 0 - 11"),
    (h - 31, "h - 31"),
    (-k - 1, "- k - 1"),
    (1 + (n - 1) * sp.exp(-D * k), r"1 + \left(n - 1\right) e^{- \Delta k}"),
    (1 + sp.exp(h), r"1 + e^{h}"),
    (k * (n - 1) + 1, r"k \left(n - 1\right) + 1"),
], ids=["n-k+1", "x_m-Delta", "unevaluated-kept", "h-31", "all-negative", "1+(n-1)e", "1+e^h", "k(n-1)+1"])
def test_terms_in_natural_order(expr, tex):
    assert to_latex(expr) == tex


@pytest.mark.parametrize("value, tex", [
    (655566528, r"655\,566\,528"), (9216, "9216"), (12345, r"12\,345"), (-61100840, r"-61\,100\,840"),
])
def test_digit_groups(value, tex):
    assert group_digits(value) == tex
    assert to_latex(sp.Integer(value)) == tex


def test_independent_ranges_read_as_written_dependent_ones_nest():
    assert to_latex(sp.Sum(i * j, (i, 1, n), (j, 1, k))) == r"\sum_{i=1}^{n} \sum_{j=1}^{k} i j"
    assert to_latex(sp.Sum(i * j, (i, 1, j), (j, 1, k))) == r"\sum_{j=1}^{k} \sum_{i=1}^{j} i j"


def test_two_bounds_print_as_a_chain():
    condition = sp.And(sp.Le(1, k - i + 1, evaluate=False), sp.Le(k - i + 1, n, evaluate=False), evaluate=False)
    assert to_latex(condition) == r"1 \leq k - i + 1 \leq n"


def test_the_derivative_of_an_arbitrary_function_of_one_argument_is_primed():
    """σ'(z), as the sheet writes it, not ∂σ(z)/∂z; at a point, σ'(y + b), not a Subs bar."""
    import derive as dv

    sigma = dv.arbitrary("sigma")
    z, t = sp.symbols("z t")
    assert to_latex(sp.Derivative(sigma(z), z)) == r"\sigma'\left(z\right)"
    at_point = sp.Derivative(sigma(z), z).subs(z, x[i] + t)
    assert to_latex(at_point) == r"\sigma'\left(t + x_{i}\right)"
    assert to_latex(sp.Derivative(sigma(z), z, 2)).startswith(r"\frac{\partial^{2}}")  # only the first
    assert to_latex(sp.Derivative(sigma(z**2), z)).startswith(r"\frac{\partial}")  # only by its argument


def test_a_derivative_factor_comes_last_so_it_cannot_read_as_the_derivative_of_the_product():
    """σ'(z) ∂z/∂y, not ∂/∂y z σ'(z) (which reads as the derivative of z σ'(z))."""
    import derive as dv

    sigma = dv.arbitrary("sigma")
    z, y = sp.symbols("z y")
    product = sp.Derivative(sigma(z), z) * sp.Derivative(z, y, evaluate=False)
    assert to_latex(product) == r"\sigma'\left(z\right) \frac{\partial}{\partial y} z"
