"""The LaTeX printer for checked expressions: SymPy's, with the document's notation."""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.render.escape import Tex


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

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base)
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{base}_{{{indices}}}"


RELATION_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">", "def": r"\coloneqq"}


def to_latex(expr: Any, display_names: Mapping[sp.Symbol, str] | None = None) -> Tex:
    """LaTeX for a SymPy object (or a plain number) — the only way maths enters the document."""
    return Tex(DerivePrinter(display_names).doprint(sp.sympify(expr)))
