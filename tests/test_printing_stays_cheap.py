"""Printing a checked expression never runs simplify(): the first simplify() of a process imports
sympy.physics.units, about a second of a rebuild where everything else is cached."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy as sp

from derive.render.printer import to_latex

D, b = sp.symbols("Delta beta", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
x = sp.Symbol("x")

EXPRESSIONS = [
    1 / ((n - 1) * sp.exp(-D * b) + 1),
    sp.exp(-D * b) * x / (n + 1),
    2 * x ** (-n) / 3,
    x * sp.exp(-x**2) / sp.sqrt(2 * sp.pi),
    sp.exp(-D) * sp.exp(-b),
    x ** (-D) * sp.exp(-n) * 7 / x,
    sp.Mul(x, sp.Pow(x + 1, -(n - n + 2), evaluate=False), evaluate=False),
]


def test_a_symbolic_negative_exponent_is_printed_without_importing_physics_units():
    code = ("import sys, sympy as sp\n"
            "from derive.render.printer import to_latex\n"
            "D, b = sp.symbols('Delta beta', positive=True)\n"
            "n = sp.Symbol('n', integer=True, positive=True)\n"
            "print(to_latex(1 / ((n - 1) * sp.exp(-D * b) + 1)))\n"
            "print('sympy.physics.units' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    tex, imported = run.stdout.splitlines()
    assert tex == r"\frac{1}{1 + \left(n - 1\right) e^{- \Delta \beta}}"  # constant first, as written
    assert imported == "False"


@pytest.mark.parametrize("expr", EXPRESSIONS[1:], ids=str)
def test_the_printed_form_is_sympys(expr):
    # (The first expression is printed in an author's order, 1 + (n − 1)e^{−Δβ}; see
    # tests/test_printer_writes_as_an_author.py.)
    assert to_latex(expr) == sp.latex(expr)
