"""The LaTeX printer for checked expressions: SymPy's, with the document's notation."""

from __future__ import annotations

import importlib
from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.simplify.radsimp import fraction as _sympy_fraction

from derive.render.escape import Tex

# The package, not sympy.simplify the function: LatexPrinter imports fraction from it per call.
simplify_package = importlib.import_module("sympy.simplify")


class DerivePrinter(LatexPrinter):
    """SymPy's LatexPrinter with display names for defined symbols and ∂ for every derivative."""

    def __init__(self, display_names: Mapping[sp.Symbol, str] | None = None) -> None:
        super().__init__({"symbol_names": dict(display_names or {}), "ln_notation": False})

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        function, *variables = expr.args
        denominator = " ".join(
            rf"\partial {self._print(v)}" + (f"^{{{c}}}" if c != 1 else "") for v, c in variables
        )
        order = sum(c for _, c in variables)
        numerator = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        body = self._print(function)
        if isinstance(function, (sp.Add, sp.Mul)) or function.is_Pow:
            body = rf"\left({body}\right)"
        return rf"\frac{{{numerator}}}{{{denominator}}} {body}"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # SymPy's _print_Mul splits a product with fraction(exact=True), which asks is_constant()
        # of every symbolic negative exponent (e^{-Δβ}); is_constant() runs simplify(), and the
        # first simplify() of a process imports sympy.physics.units: about 1 s of a rebuild with
        # everything cached, for one factor. _fraction decides the same without simplify().
        if simplify_package.fraction is _fraction:  # already swapped by an enclosing product
            return super()._print_Mul(expr)
        original = simplify_package.fraction
        simplify_package.fraction = _fraction
        try:
            return super()._print_Mul(expr)
        finally:
            simplify_package.fraction = original

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base)
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{base}_{{{indices}}}"


def _fraction(expr: Any, exact: bool = False) -> tuple[sp.Expr, sp.Expr]:
    """sympy.simplify.fraction without simplify() for factors with a symbolic negative exponent.

    Such a factor goes to the numerator (what SymPy decides for a non-constant exponent); an
    exponent that might be constant is left to SymPy. Only where a factor is printed could
    ever differ, never the value printed.
    """
    expr = sp.sympify(expr)
    if not exact:
        return _sympy_fraction(expr, exact)
    placeholders: dict[sp.Dummy, sp.Expr] = {}
    terms = []
    for term in sp.Mul.make_args(expr):
        if term.is_commutative and (term.is_Pow or isinstance(term, sp.exp)):
            exponent = term.as_base_exp()[1]
            if exponent.is_negative and not exponent.is_number:
                if exponent.is_constant(simplify=False) is not False:
                    return _sympy_fraction(expr, exact)  # maybe constant: SymPy decides, slowly
                placeholder = sp.Dummy()
                placeholders[placeholder] = term
                term = placeholder
        terms.append(term)
    if not placeholders:
        return _sympy_fraction(expr, exact)
    numer, denom = _sympy_fraction(sp.Mul(*terms, evaluate=False), exact)
    back = [placeholders.get(factor, factor) for factor in sp.Mul.make_args(numer)]
    return sp.Mul(*back, evaluate=False), denom


RELATION_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">", "def": r"\coloneqq"}


def to_latex(expr: Any, display_names: Mapping[sp.Symbol, str] | None = None) -> Tex:
    """LaTeX for a SymPy object (or a plain number) — the only way maths enters the document."""
    return Tex(DerivePrinter(display_names).doprint(sp.sympify(expr)))
