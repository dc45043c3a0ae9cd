"""When SymPy's reductions of sums may be trusted: every range provably runs forwards, and no
Kronecker delta is solved for a strided index.

Two conventions of SymPy differ from the sums the PDF's reader (and the numeric check) means:

* ``Sum`` and ``Product`` follow Karr's convention: Σ_{a}^{b} f = −Σ_{b+1}^{a−1} f when b < a − 1,
  where the reader takes an empty range as 0 terms. Every identity SymPy applies (``doit`` of
  Σ 1 = b − a + 1, simplify's Σ_{1}^{m} + Σ_{m+1}^{n} = Σ_{1}^{n}, ``change_index``, splits)
  holds under Karr's convention, so it is a truth about the meant sums only when each range
  runs forwards (b ≥ a − 1, an empty range included) between integer limits: there both
  conventions agree. (SymPy also counts n/2 terms in Σ_{1}^{n/2} 1.)
* Delta summation solves c·i = k for i without asking that k/c be an integer, so
  Σ_{i} δ(c·i, k) (also what ∂/∂y_k Σ_i y_{c·i} becomes) is wrong unless c = ±1 and k is an
  integer.

``trusted`` answers both questions from the declared facts only; a reduction of an expression it
does not trust proves nothing (the step falls back to the sum technique and the numeric check).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import sympy as sp

from derive.core.assumptions import Assumptions, Integer
from derive.core.checks.facts import at_most, declared_relations, index_facts


class Facts(list):
    """Expressions ≥ 0 by declaration, and ``multiples``: each p declared a multiple of q
    (``Eq(Mod(p, q), 0)``) as {p: q·t} for an integer t, so that p/q is known to be an integer."""

    multiples: dict = {}


def declared_facts(assumptions: Assumptions, mapping: Optional[dict] = None) -> Facts:
    """Expressions ≥ 0 by declaration: the symbolic index bounds and relations (``index_facts``)
    and, in addition, every declared lower bound of an integer, numbers included (``Integer(h,
    32)`` declares h ≥ 32; the PDF shows it). Upper bounds that are numbers only limit sampling
    and are never facts. ``mapping`` renames the symbols (to ``Declared``'s Dummies)."""
    facts = list(index_facts(assumptions))
    for variable in assumptions.variables:
        if isinstance(variable, Integer):
            lo = sp.sympify(variable.lo)
            if lo.is_number and (lo <= 0 or (lo <= 1 and variable.facts().get("positive"))):
                continue  # the symbol's own assumptions say it (and each fact costs the prover)
            facts.append(sp.expand(variable.symbol - lo))
    multiples = {}
    for relation in declared_relations(assumptions):
        if isinstance(relation, sp.Eq) and 0 in relation.args and any(isinstance(r, sp.Mod) for r in relation.args):
            p, q = next(r for r in relation.args if isinstance(r, sp.Mod)).args
            multiples[p] = q * sp.Dummy("t", integer=True)
    if mapping:
        facts = [f.xreplace(mapping) for f in facts]
        multiples = {p.xreplace(mapping): v.xreplace(mapping) for p, v in multiples.items()}
    out = Facts(dict.fromkeys(facts))
    out.multiples = multiples
    return out


def _integer(expr: sp.Expr, multiples: dict) -> bool:
    """expr is an integer by its symbols' assumptions or the declared divisibility (c_in/g)."""
    return expr.is_integer is True or (bool(multiples) and expr.xreplace(multiples).is_integer is True)


def facts_of_ranges(ranges: Iterable[tuple]) -> list[sp.Expr]:
    """The same facts from ``Declared.ranges`` ((index, lo, declared hi or None))."""
    facts = []
    for index, lo, hi in ranges:
        facts.append(sp.expand(index - sp.sympify(lo)))
        if hi is not None:
            facts.append(sp.expand(sp.sympify(hi) - index))
    return facts


def _limits_forwards(node: sp.Basic, facts: list, multiples: dict) -> Optional[list]:
    """The facts that hold inside ``node`` (a Sum or Product) if each of its ranges has integer
    limits and runs forwards given ``facts`` and the enclosing ranges, else None. Limits are
    innermost first: an inner range may depend on an outer index, which lies within its own
    range there."""
    inside = list(facts)
    for limit in reversed(node.limits):
        if len(limit) != 3:
            return None
        index, lo, hi = limit
        # A limit not known to be an integer (n/2) is summed by SymPy as if it were one.
        if not (_integer(lo, multiples) and _integer(hi, multiples) and at_most(lo - 1, hi, inside)):
            return None
        inside = [f for f in inside if not f.has(index)] + [sp.expand(index - lo), sp.expand(hi - index)]
    return inside


def backwards(expr: Any, facts: Iterable[sp.Expr]) -> Optional[sp.Basic]:
    """A Sum or Product of ``expr`` whose range is not proved to run forwards, or None."""
    multiples = getattr(facts, "multiples", {})
    facts = list(facts)

    def visit(node: sp.Basic, known: list) -> Optional[sp.Basic]:
        if isinstance(node, (sp.Sum, sp.Product)):
            inside = _limits_forwards(node, known, multiples)
            if inside is None:
                return node
            return visit(node.function, inside)
        for arg in node.args:
            if isinstance(arg, sp.Basic):
                found = visit(arg, known)
                if found is not None:
                    return found
        return None

    for entry in _entries(expr):
        if isinstance(entry, sp.Basic) and entry.has(sp.Sum, sp.Product):
            found = visit(entry, facts)
            if found is not None:
                return found
    return None


def _solvable(position: sp.Expr, index: sp.Symbol) -> bool:
    """position = ±index + r with r an integer free of index, so that SymPy's delta summation,
    which solves position = 0 for index, gives an integer index (or position is free of it)."""
    position = sp.expand(position)
    if not position.has(index):
        return True
    coefficient = position.coeff(index)
    rest = sp.expand(position - coefficient * index)
    return coefficient in (1, -1) and not rest.has(index) and rest.is_integer is True


def strided_delta(expr: Any) -> Optional[sp.Basic]:
    """A sum in which delta summation would solve c·i = k with c ≠ ±1 or k not an integer, or
    None: a Kronecker delta of its index of that kind, or (when ``expr`` differentiates by a vector
    entry, which SymPy turns into a delta) an entry of a vector at such an index."""
    for entry in _entries(expr):
        if not isinstance(entry, sp.Basic) or not entry.has(sp.Sum):
            continue
        by_entry = [v for d in entry.atoms(sp.Derivative) for v in d.variables if isinstance(v, sp.Indexed)]
        if any(i.is_integer is not True for v in by_entry for i in v.indices):
            return next(iter(entry.atoms(sp.Derivative)))  # ∂/∂y_u with u not an integer
        for total in entry.atoms(sp.Sum):
            positions = [sp.expand(d.args[0] - d.args[1]) for d in total.function.atoms(sp.KroneckerDelta)]
            if by_entry:
                positions += [p for e in total.function.atoms(sp.Indexed) for p in e.indices]
            for limit in total.limits:
                if not all(_solvable(p, limit[0]) for p in positions):
                    return total
    return None


def trusted(expr: Any, facts: Iterable[sp.Expr]) -> Optional[str]:
    """None when SymPy's reductions of ``expr`` mean what the reader means; else why not."""
    found = backwards(expr, facts)
    if found is not None:
        return (f"the range of {sp.sstr(found)[:80]} is not proved to run forwards from the declared facts "
                "(SymPy's sums follow Karr's convention there); no symbolic reduction is used")
    found = strided_delta(expr)
    if found is not None:
        return (f"{sp.sstr(found)[:80]} has a strided or non-integer index (SymPy's delta summation "
                "ignores divisibility); no symbolic reduction is used")
    return None


def as_meant(expr: Any) -> Any:
    """``expr`` with every Sum's and Product's upper limit b written max(b, a − 1): where the
    range runs forwards nothing changes, and where it runs backwards it becomes empty, so SymPy's
    evaluation (Karr's convention) gives what the reader means (for evaluation at numbers)."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(as_meant)
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum, sp.Product):
        return expr

    def rewrite(node: sp.Basic) -> sp.Basic:
        limits = [(l[0], l[1], sp.Max(l[2], l[1] - 1)) if len(l) == 3 else l for l in node.limits]
        return type(node)(node.function, *limits)

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), rewrite)


def _entries(expr: Any) -> list:
    return list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
