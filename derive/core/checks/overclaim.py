"""Symbols whose SymPy assumptions say more than the PDF shows, so a proof may not rest on them.

Why: SymPy reasons from the assumptions a symbol was *created* with. A symbol made with
``positive=True`` but declared ``Real(x)`` is shown as x ∈ ℝ, yet SymPy proves √(x²) = x from
it. A summation index made ``positive=True`` that runs from −n is worse: SymPy simplifies the
summand on construction (Σ_{i=−n}^{n} (√(i²) − i) becomes Σ 0), so no later check can tell.
A proof over such symbols is not a proof of what the PDF states; the step can be at most
numeric-only (the numeric check draws from the declared ranges, so it still counts).
"""

from __future__ import annotations

from typing import Any, Iterable

import sympy as sp

from derive.core.assumptions import Assumptions, Integer, Positive, Real, RealMatrix, RealVector
from derive.core.checks.facts import at_most, index_facts

# The assumptions a proof could use about the sign and kind of a number.
_PREDICATES = ("positive", "negative", "nonnegative", "nonpositive", "zero", "nonzero", "integer",
               "rational", "irrational", "even", "odd", "prime", "composite", "imaginary")


def _reference_for_lower(lo: Any, integer: bool = True, last: Any = None, facts: Iterable = ()) -> sp.Symbol:
    """A symbol with exactly what ``lo ≤ symbol`` (an integer) gives; with ``last`` (a sum's upper
    limit) also the empty-range case of Karr's convention: the index then runs over last+1..lo−1."""
    facts = list(facts)
    lo = sp.sympify(lo)
    tail = (lambda bound: True) if last is None else (lambda bound: at_most(bound - 1, sp.sympify(last), facts))
    if at_most(1, lo, facts) and tail(1):
        return sp.Dummy(integer=integer, positive=True)
    if at_most(0, lo, facts) and tail(0):
        return sp.Dummy(integer=integer, nonnegative=True)
    return sp.Dummy(integer=integer)


_SIGNS = ("positive", "negative", "nonnegative", "nonpositive", "zero", "nonzero")


def _approaching(point: sp.Expr, direction: str) -> sp.Symbol:
    """A symbol with the sign a limit variable has near ``point`` (x → 0⁺ is positive, x → 0⁻ negative)."""
    if point is sp.oo:
        return sp.Dummy(positive=True)
    if point is -sp.oo:
        return sp.Dummy(negative=True)
    above = direction == "+" and point.is_nonnegative is True
    if above or (point.is_positive is True and direction in ("-", "+-")):
        return sp.Dummy(positive=True)
    if direction == "-" and point.is_nonpositive is True:
        return sp.Dummy(negative=True)
    return sp.Dummy(real=True)


def _stronger(actual: Any, reference: Any, predicates: tuple = _PREDICATES) -> list[str]:
    """The predicates SymPy settles for ``actual`` differently from (or beyond) ``reference``."""
    found = []
    for name in predicates:
        value = getattr(actual, f"is_{name}")
        if value is not None and value != getattr(reference, f"is_{name}"):
            found.append(f"{name}={value}")
    return found


def _entry(base: sp.IndexedBase) -> sp.Expr:
    return base[sp.Dummy("q", integer=True)]


def free_overclaims(assumptions: Assumptions) -> list[str]:
    """Declared variables whose SymPy symbol is stronger than the declaration the PDF shows."""
    problems = []
    for variable in assumptions.variables:
        if isinstance(variable, Integer):
            # A numeric lower bound is shown (n ≥ 1 an integer); the upper one is a sampling range.
            symbol, reference = variable.symbol, _reference_for_lower(variable.lo)
        elif isinstance(variable, Positive):
            symbol, reference = variable.symbol, sp.Dummy(positive=True)
        elif isinstance(variable, Real):
            symbol, reference = variable.symbol, sp.Dummy(real=True)
        elif isinstance(variable, RealVector):  # RealArray too: entries shown as reals
            symbol, reference = _entry(variable.base), _entry(sp.IndexedBase("ref", real=True))
        elif isinstance(variable, RealMatrix):
            continue  # matrix entries carry no assumptions
        else:
            continue
        stronger = _stronger(symbol, reference)
        if stronger:
            name = variable.base if isinstance(variable, RealVector) else variable.symbol
            problems.append(f"{name} is created with {', '.join(stronger)} beyond its declaration")
    return problems


def bound_overclaims(exprs: Iterable[Any], assumptions: Assumptions) -> list[str]:
    """Summation indices whose SymPy assumptions their limits do not give (i positive from −n)."""
    # Every declared lower bound is shown in the PDF (n ≥ 32 an integer), numeric ones too.
    facts = index_facts(assumptions) + [sp.expand(v.symbol - sp.sympify(v.lo)) for v in assumptions.variables
                                        if isinstance(v, Integer)]
    problems = []
    for expr in exprs:
        items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
        for item in items:
            if not isinstance(item, sp.Basic):
                continue
            for total in item.atoms(sp.Sum, sp.Product):
                for index, lo, hi in total.limits:
                    known = [f for f in facts if not f.has(index)]  # a free symbol named like the index
                    stronger = _stronger(index, _reference_for_lower(lo, True, hi, known))
                    if stronger:
                        problems.append(f"the index {index} is created with {', '.join(stronger)}, "
                                        f"which its limits {sp.sstr(lo)}..{sp.sstr(hi)} do not give")
            for limit in item.atoms(sp.Limit):
                _f, variable, point, direction = limit.args
                stronger = _stronger(variable, _approaching(point, str(direction)), _SIGNS)
                if stronger:
                    problems.append(f"the limit variable {variable} is created with {', '.join(stronger)}, "
                                    f"which approaching {sp.sstr(point)} from {direction} does not give")
    for constraint in assumptions.constraints:
        for index, lo, _hi in constraint.forall:  # a quantifier over an empty range claims nothing
            stronger = _stronger(index, _reference_for_lower(lo, True, None, facts))
            if stronger:
                problems.append(f"the quantified {index} is created with {', '.join(stronger)}, "
                                f"which its range from {sp.sstr(lo)} does not give")
    return list(dict.fromkeys(problems))
