"""Expressions printed as students write answers: ``w_j``, ``x_{i+j-1}``, ``sum_{i=1}^{n} (…)``,
``delta_{k,m}``, ``a if 1 <= k and k <= f else 0``, ``^`` for powers.

Why a printer (over the checked SymPy objects, never hand-typed strings): `derive results` shows
the value a student is asked to give, and SymPy's own text (``w[j]``, ``Sum(…, (i, 1, n))``,
``Piecewise(…)``) is neither what the sheet writes nor what most students type. Every form
printed here is one the answer parser reads back to the same expression (a round-trip test
over Homework 7's results pins that down).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

__all__ = ["student_form"]


def _atomic_index(index: sp.Basic) -> bool:
    return isinstance(index, sp.Symbol) or (isinstance(index, sp.Integer) and index >= 0)


class _StudentPrinter(StrPrinter):
    printmethod = "_student_str"  # not SymPy's _sympystr, which prints x[j] for an Indexed
    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base.label)
        indices = expr.indices
        if len(indices) == 1 and _atomic_index(indices[0]):
            return f"{base}_{self._print(indices[0])}"
        inner = ",".join(self._print(i).replace(" ", "") for i in indices)
        return f"{base}_{{{inner}}}"

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _print_Sum(self, expr: sp.Sum) -> str:
        # Sum(f, (i, ..), (j, ..)): i is the innermost index, so it is printed last.
        heads = [f"sum_{{{self._print(i)}={self._print(a)}}}^{{{self._print(b)}}}"
                 for i, a, b in reversed(expr.limits)]
        # Parenthesised: the body of sum_{..}^{..} is the whole product that follows it.
        return "(" + " ".join(heads) + f" ({self._print(expr.function)}))"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> str:
        if all(_atomic_index(a) for a in expr.args):
            return "delta_{" + ",".join(self._print(a) for a in expr.args) + "}"
        return "KroneckerDelta(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        text = super()._print_Pow(expr, rational)
        return text.replace("**", "^")

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        pieces = list(expr.args)
        if pieces[-1].cond is not sp.true:
            raise ValueError("a case distinction without a value otherwise")
        text = self._print(pieces[-1].expr)
        for value, condition in reversed(pieces[:-1]):
            text = f"({self._print(value)} if {self._condition(condition)} else {text})"
        return text

    def _condition(self, condition: sp.Basic) -> str:
        parts = condition.args if isinstance(condition, sp.And) else (condition,)
        return " and ".join(self._print(p) for p in parts)

    def _print_Relational(self, expr: sp.Basic) -> str:
        return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"

    def parenthesize(self, item: sp.Basic, level: int, strict: bool = False) -> str:
        # A sum prints its own brackets; a power's base that is a function call needs none.
        if isinstance(item, sp.Sum):
            return self._print(item)
        return super().parenthesize(item, level, strict)


def student_form(expr: sp.Basic) -> str:
    """``expr`` as an answer would write it; a top-level sum loses its outer brackets."""
    text = _StudentPrinter({"order": None}).doprint(expr)
    if isinstance(expr, sp.Sum) and text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text

