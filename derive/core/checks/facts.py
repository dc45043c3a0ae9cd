"""Declared facts about integer indices, and a small prover for linear index inequalities.

Only what the author *declared* is a fact here. An ``Integer(j, 1, n)`` whose bound is an
expression in other symbols (``j ≤ n``) states a relation of the problem; a plain number as a
bound (``Integer(n, 1, 6)``) may be a mere sampling range, so it is never used. Lower bounds
such as ``j ≥ 1`` come from the symbol's own SymPy assumptions (``positive=True, integer=True``)
instead, which are declarations too.
"""

from __future__ import annotations

import functools
import itertools
from typing import Iterable

import sympy as sp

from derive.core.assumptions import Assumptions, Integer


def index_facts(assumptions: Assumptions) -> list[sp.Expr]:
    """Expressions that are ≥ 0 by declaration: ``hi − i`` and ``i − lo`` for symbolic bounds."""
    facts: list[sp.Expr] = []
    for variable in assumptions.variables:
        if not isinstance(variable, Integer):
            continue
        for bound, fact in ((variable.lo, lambda b: variable.symbol - b), (variable.hi, lambda b: b - variable.symbol)):
            bound = sp.sympify(bound)
            if bound.free_symbols:  # a relation between symbols, not a sampling range
                facts.append(sp.expand(fact(bound)))
    # Declared order relations without a quantifier (``d·(k − 1) ≤ h + 2p − 1``) are facts too.
    for relation in declared_relations(assumptions):
        if isinstance(relation, (sp.GreaterThan, sp.StrictGreaterThan)):
            relation = relation.reversed
        if isinstance(relation, sp.LessThan):
            facts.append(sp.expand(relation.rhs - relation.lhs))
        elif isinstance(relation, sp.StrictLessThan) and (relation.rhs - relation.lhs).is_integer:
            facts.append(sp.expand(relation.rhs - relation.lhs - 1))
    return facts


def declared_relations(assumptions: Assumptions) -> list[sp.Basic]:
    """Relations declared without a quantifier (for example ``Ne(k, m)``)."""
    return [c.relation for c in assumptions.constraints if not c.forall and c.where == sp.true]


def nonnegative(expr: sp.Expr, facts: Iterable[sp.Expr]) -> bool:
    """True only if expr ≥ 0 follows from SymPy's assumptions plus at most two facts (see
    ``_nonnegative``; remembered, as the sum and overclaim checks ask the same questions of
    every step of a derivation)."""
    return _remembered(sp.sympify(expr), tuple(dict.fromkeys(facts)))


@functools.lru_cache(maxsize=8192)
def _remembered(expr: sp.Expr, facts: tuple) -> bool:
    # Keyed by the SymPy objects themselves: equal keys are the same expressions over the same
    # symbols (a Dummy equals only itself), so the answer is the same.
    return _nonnegative(expr, facts)


def _nonnegative(expr: sp.Expr, facts: Iterable[sp.Expr]) -> bool:
    """True only if expr ≥ 0 follows from SymPy's assumptions plus at most two facts.

    expr − f₁ − f₂ ≥ 0 by SymPy's assumptions and f₁, f₂ ≥ 0 give expr ≥ 0: a sound, small search.
    A positive denominator is cleared first, and one floor is removed: floor(X) + R ≥ 0 ⟺
    X + R ≥ 0 for an integer R, and R − floor(X) ≥ 0 follows from R − X ≥ 0.
    """
    expr = sp.expand(expr)
    floors = list(expr.atoms(sp.floor))
    if len(floors) == 1:
        (inner,), coefficient = floors[0].args, expr.coeff(floors[0])
        rest = sp.expand(expr - coefficient * floors[0])
        if not rest.has(floors[0]) and coefficient in (1, -1) and (coefficient == -1 or rest.is_integer):
            return nonnegative(rest + coefficient * inner, facts)
        return False
    if floors or expr.has(sp.ceiling):
        return False
    numerator, denominator = sp.fraction(sp.together(expr))
    if denominator != 1:
        if denominator.is_positive is True or _shifted(denominator).is_positive is True:
            return nonnegative(numerator, facts)
        return False
    facts = list(dict.fromkeys(facts))
    candidates = [expr]
    candidates += [expr - f for f in facts]
    candidates += [expr - f - g for f, g in itertools.combinations_with_replacement(facts, 2)]
    return any(_provable(c) for c in candidates)


def _provable(candidate: sp.Expr) -> bool:
    expanded = sp.expand(candidate)
    if _unbounded_below(expanded):
        return False
    return expanded.is_nonnegative is True or _shifted(candidate).is_nonnegative is True


def _unbounded_below(expr: sp.Expr) -> bool:
    """Whether ``expr`` is linear in symbols and one of them, with a negative coefficient, is not
    bounded above by its assumptions (SymPy's assumptions never bound a symbol above unless it
    is nonpositive): the expression then takes negative values, so SymPy cannot show it is
    nonnegative, and is not asked (its failed attempts cost milliseconds each)."""
    terms = sp.Add.make_args(expr)
    for term in terms:
        coefficient, rest = term.as_coeff_Mul()
        if rest == 1:
            continue
        if not (isinstance(rest, sp.Symbol) and coefficient.is_Rational):
            return False  # not linear in symbols: SymPy decides
    return any(coefficient < 0 and rest.is_extended_nonpositive is not True
               for coefficient, rest in (t.as_coeff_Mul() for t in terms) if rest != 1)


def _shifted(expr: sp.Expr) -> sp.Expr:
    """expr with each positive integer symbol s written as 1 + s' (s' ≥ 0): SymPy then sees that
    f + m − 1 ≥ 0 for positive integers f and m, which it cannot tell from f, m > 0 alone."""
    shift = {s: _less_one(s) + 1 for s in expr.free_symbols if s.is_integer and s.is_positive}
    return sp.expand(expr.xreplace(shift))


@functools.lru_cache(maxsize=1024)
def _less_one(symbol: sp.Symbol) -> sp.Dummy:
    """The one s' = s − 1 of each symbol: the same Dummy in every query, so SymPy's cache
    answers a repeated question instead of deriving it again for a fresh symbol."""
    return sp.Dummy(symbol.name, integer=True, nonnegative=True)


def at_most(small: sp.Expr, large: sp.Expr, facts: Iterable[sp.Expr]) -> bool:
    return nonnegative(sp.sympify(large) - sp.sympify(small), facts)
