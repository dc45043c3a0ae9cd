"""Turn a step's displayed expressions into the expressions that are checked.

Definitions are substituted (so ``ν_β(x)`` is checked as what it stands for), and conditions
that the declared index ranges settle (``k ≤ n`` for an index 1 ≤ k ≤ n) are replaced by True.
"""

from __future__ import annotations

from typing import Any, Iterable

import sympy as sp
from sympy.core.relational import Relational


def expand_definitions(expr: Any, definitions: Iterable[tuple[sp.Basic, sp.Basic]]) -> Any:
    """Substitute definitions until none is left (definitions may use earlier ones)."""
    definitions = list(definitions)
    for _ in range(len(definitions) + 1):
        before = expr
        for name, meaning in definitions:
            expr = expr.subs(name, meaning)
        if expr == before:
            return expr
    return expr


def settle_index_conditions(expr: Any, ranges: Iterable[tuple[sp.Symbol, Any, Any]]) -> Any:
    """Replace relations implied by lo ≤ index ≤ hi with True (and their negations with False).

    Sound because it only matches the exact bounds: ``index - hi ≤ 0`` or ``lo - index ≤ 0``.
    """
    implied = set()
    for index, lo, hi in ranges:
        implied.add(sp.expand(index - sp.sympify(hi)))
        implied.add(sp.expand(sp.sympify(lo) - index))

    def settle(rel: Relational):
        if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
            diff, strict, negate = sp.expand(rel.lhs - rel.rhs), isinstance(rel, sp.StrictLessThan), False
        elif isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
            diff, strict, negate = sp.expand(rel.rhs - rel.lhs), isinstance(rel, sp.StrictGreaterThan), False
        else:
            return rel
        if not strict and diff in implied:
            return sp.true
        if strict and -diff in implied:  # "hi < index" or "index < lo" contradict the range
            return sp.false
        return rel if not negate else rel

    if not isinstance(expr, sp.Basic):
        return expr
    return expr.replace(lambda e: isinstance(e, Relational), settle)


def entries(expr: Any) -> list:
    """The scalar entries of an expression or a matrix."""
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [expr]
