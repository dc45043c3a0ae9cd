"""Turn a step's displayed expressions into the expressions that are checked.

Definitions are substituted (so ``ν_β(x)`` is checked as what it stands for), and conditions
that the declared index ranges settle (``k ≤ n`` for an index 1 ≤ k ≤ n) are replaced by True.
``declared_view`` hands the symbolic side exactly the declared facts and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import sympy as sp
from sympy.core.relational import Relational


def expand_definitions(expr: Any, definitions: Iterable[tuple[sp.Basic, sp.Basic]]) -> Any:
    """Substitute definitions until none is left (definitions may use earlier ones)."""
    definitions = tuple(definitions)
    try:
        # Remembered: a derivation's next step starts from this one's right-hand side.
        return _expanded(expr, definitions)
    except TypeError:  # unhashable (a mutable matrix): expanded afresh
        return _expand(expr, definitions)


@functools.lru_cache(maxsize=2048)
def _expanded(expr: Any, definitions: tuple) -> Any:
    return _expand(expr, definitions)


def _expand(expr: Any, definitions: tuple) -> Any:
    for _ in range(len(definitions) + 1):
        before = expr
        for name, meaning in definitions:
            expr = substitute_definition(expr, name, meaning)
        if expr == before:
            return expr
    return expr


def substitute_definition(expr: Any, name: sp.Basic, meaning: sp.Basic) -> Any:
    """``expr`` with ``name`` standing for ``meaning``, also inside what a derivative differentiates.

    SymPy's ``subs`` holds a name fixed while differentiating when its meaning brings in the
    variable of differentiation: with s := t², ``Derivative(s*t, t).subs(s, t**2)`` is
    ``Subs(Derivative(s*t, t), s, t**2)``, which is t², not 3t² — a wrong derivative that would be
    verified. A definition means the name *is* its meaning, so it is put into the differentiated
    expression by exact replacement first. Where the name itself is a variable of differentiation
    (∂L/∂s), the derivative is taken with respect to it, and ``subs`` keeps that meaning.
    """
    if not isinstance(expr, sp.Basic) or not expr.has(name):
        return expr

    def inside(node: sp.Derivative) -> bool:
        return node.expr.has(name) and not any(v.has(name) for v in node.variables)

    def put_in(node: sp.Derivative) -> sp.Basic:
        return sp.Derivative(node.expr.xreplace({name: meaning}), *node.variable_count)

    return expr.replace(lambda node: isinstance(node, sp.Derivative) and inside(node), put_in).subs(name, meaning)


# ── evaluating without hopeless summation attempts ─────────────────────────────────────────────
_BINDING = (sp.Derivative, sp.Subs, sp.Integral, sp.Limit, sp.Sum, sp.Product, sp.Lambda)


def _beyond_summation(total: sp.Sum) -> bool:
    """A sum SymPy's doit returns as it is, known from its shape: one index over a symbolic
    number of terms, and a summand with a factor (not a sum of terms, which could telescope)
    that holds an entry of an unknown sequence at the index (w[j], y[i + j − 1], σ(z[j])),
    without Kronecker deltas, brackets or anything doit would evaluate. Such a term has no
    closed-form sum; SymPy would find that out only after Gosper's algorithm and more."""
    if len(total.limits) != 1:
        return False
    index, lo, hi = total.limits[0]
    if (hi - lo).is_number:
        return False  # a fixed number of terms: doit writes them out
    body = total.function
    if body.has(sp.KroneckerDelta, sp.Piecewise, *_BINDING):
        return False
    return any(not isinstance(factor, sp.Add) and any(e.has(index) for e in factor.atoms(sp.Indexed))
               for factor in sp.Mul.make_args(body))


class _Unsummable(sp.Sum):
    """A sum ``_beyond_summation`` recognised: doit leaves it as it is (as SymPy's would)."""

    def doit(self, **hints):
        return self


def evaluate(expr: Any) -> Any:
    """``expr.doit()``, without the summation attempts that cannot succeed (``_beyond_summation``).

    Such a sum is marked for the duration (outside derivatives, substitutions, integrals and
    limits, which must see the sum itself) and given back unchanged afterwards, so the result is
    what doit returns; SymPy just does not spend a Gosper run per sum to find that out.
    """
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum):
        return expr.doit() if isinstance(expr, sp.Basic) else expr
    marked = _mark(expr)
    done = marked.doit()
    if marked is expr:
        return done
    return done.replace(lambda e: isinstance(e, _Unsummable), lambda e: sp.Sum(*e.args))


def _mark(expr: sp.Basic) -> sp.Basic:
    if isinstance(expr, sp.Sum) and _beyond_summation(expr):
        return _Unsummable(*expr.args)
    if isinstance(expr, _BINDING) or not expr.args:
        return expr
    args = [_mark(a) if isinstance(a, sp.Basic) else a for a in expr.args]
    if all(new is old for new, old in zip(args, expr.args)):
        return expr
    return expr.func(*args)


def differentiate(expr: Any) -> Any:
    """``expr`` with its derivatives (and Subs) worked out, nothing else evaluated: with
    ``sum_deltas`` the part of doit that settles a derivative of a sum (d/dy_k Σ_j w_j y_{i+j−1}
    = Σ_j w_j δ_{k,i+j−1} = w_{k−i+1} on the band) in milliseconds, without SymPy's attempts at
    the other sums over symbolic ranges."""
    if not isinstance(expr, sp.Basic):
        return expr
    return expr.replace(lambda e: isinstance(e, (sp.Derivative, sp.Subs)), lambda e: e.doit(deep=False))


def sum_deltas(expr: Any) -> Any:
    """``expr`` with every sum of Kronecker deltas in its own index summed (SymPy's delta
    summation), nothing else."""
    if not isinstance(expr, sp.Basic):
        return expr
    return expr.replace(_delta_sum, lambda e: e.doit(deep=False))


def _delta_sum(expr: sp.Basic) -> bool:
    if not isinstance(expr, sp.Sum) or len(expr.limits) != 1:
        return False
    index = expr.limits[0][0]
    return any(delta.has(index) for delta in expr.function.atoms(sp.KroneckerDelta))


def settle_index_conditions(expr: Any, ranges: Iterable[tuple[sp.Symbol, Any, Any]]) -> Any:
    """Replace relations implied by lo ≤ index ≤ hi with True (and their negations with False).

    Sound because it only matches the exact bounds: ``index - hi ≤ 0`` or ``lo - index ≤ 0``.
    Only *declared* bounds may be passed (hi None: no upper bound); a range that only limits
    the numeric sampling is no fact. The indices must be the free ones (``Declared`` renames
    bound variables first, so a summation index never matches a declared index).
    """
    implied = set()
    for index, lo, hi in ranges:
        if hi is not None:
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


class Escaped(Exception):
    """SymPy produced symbols that the step does not declare (a bound variable got loose)."""


def _plain_symbols(expr: Any) -> set:
    """Free symbols proper: Symbols (vector labels included), not Indexed objects, which SymPy
    lists as free even when their index is bound by a sum."""
    found: set = set()
    for e in entries(expr):
        if isinstance(e, sp.Basic):
            found |= {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
    return found


@dataclass
class Declared:
    """What the symbolic side may know: each declared symbol replaced by a fresh Dummy that
    carries exactly the declared assumptions, and only the declared index bounds.

    Bound variables (of sums, products, limits) are renamed to fresh Dummies first, so a
    summation index that shares its name with a declared index is never mistaken for it.
    """

    mapping: dict
    ranges: list
    allowed: set
    # Expressions already applied: the steps of a derivation share the view, and each step's
    # left-hand side is the one before's right-hand side.
    _applied: dict = field(default_factory=dict, repr=False, compare=False)

    def apply(self, expr: Any) -> Any:
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(self.apply)
        if not isinstance(expr, sp.Basic):
            return expr
        applied = self._applied.get(expr)
        if applied is None:
            if len(self._applied) >= _APPLIED_LIMIT:
                self._applied.clear()
            applied = self._applied[expr] = _rename_bound(expr).xreplace(self.mapping)
        return applied

    def escaped(self, expr: Any) -> list[str]:
        """Names of free symbols of ``expr`` that no declaration covers (sorted). An ``Idx``
        counts as undeclared: it carries its own range, which SymPy would use as a fact."""
        ranged = {f"{i} (an Idx)" for e in entries(expr) if isinstance(e, sp.Basic) for i in e.atoms(sp.Idx)}
        return sorted({str(s) for s in _plain_symbols(expr) - self.allowed} | ranged)

    def show(self, expr: Any, limit: int = 80) -> str:
        """``expr`` as text with the original names back (a message is read by people)."""
        if not isinstance(expr, sp.Basic):
            return sp.sstr(expr)[:limit]
        back = {d: s for s, d in self.mapping.items()}
        back.update({b: sp.Symbol(reader_names(b.name)) for b in expr.free_symbols | expr.atoms(sp.Symbol)
                     if isinstance(b, sp.Symbol) and b.name.startswith(BOUND_PREFIX)})
        return sp.sstr(expr.xreplace(back))[:limit]

    def guard(self, expr: Any) -> Any:
        names = self.escaped(expr)
        if names:
            raise Escaped(", ".join(names))
        return expr


_APPLIED_LIMIT = 512


def _rename_bound(expr: sp.Basic) -> sp.Basic:
    """Give every bound variable a canonical name of its own (integer for sums and products,
    real for limits)."""

    # Canonical names (not fresh Dummies), so two copies of the same sum stay equal; the
    # prefix keeps them apart from every declared symbol, which is a Dummy.
    def rename_sum(e):
        mapping = {lim[0]: sp.Symbol(_bound_name(lim[0]), integer=True) for lim in e.limits}
        return e.xreplace(mapping)

    def rename_limit(e):
        f, var, point, direction = e.args
        d = sp.Symbol(_bound_name(var), real=True)
        return sp.Limit(f.xreplace({var: d}), d, point, str(direction))

    expr = expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), rename_sum)
    return expr.replace(lambda e: isinstance(e, sp.Limit), rename_limit)


_PLAIN_INTEGER = sp.Symbol("plain", integer=True).assumptions0


def _bound_name(symbol: sp.Symbol) -> str:
    """One name per distinct bound variable. Two different symbols that print alike (j and a
    positive j, two Dummies i) must not share it: renaming an outer sum's j after an inner
    sum's j would let the inner sum capture it, and Σ_a Σ_b a·b² "equalled" Σ_j Σ_j j³. The
    common plain integer index keeps its bare name (messages read it back through
    ``reader_names``); any other gets a tag derived from what the symbol is."""
    if type(symbol) is sp.Symbol and symbol.assumptions0 == _PLAIN_INTEGER:
        return f"{BOUND_PREFIX}{symbol.name}"
    identity = repr((type(symbol).__name__, symbol.name, sorted(symbol.assumptions0.items()),
                     getattr(symbol, "dummy_index", None)))
    return f"{BOUND_PREFIX}{symbol.name}{BOUND_TAG}{hashlib.sha256(identity.encode()).hexdigest()[:8]}"


BOUND_PREFIX, BOUND_TAG = "_bound_", "__"
_BOUND = re.compile(rf"{BOUND_PREFIX}(\w+?)(?:{BOUND_TAG}[0-9a-f]{{8}})?\b")


def reader_names(text: str) -> str:
    """``text`` with renamed bound variables named as the author wrote them."""
    return _BOUND.sub(r"\1", text)


def declared_view(assumptions) -> Declared:
    """The declared facts of ``assumptions`` in a form the symbolic checks can use.

    The same declarations give the same view (the same Dummies): the steps of a derivation share
    it, so SymPy's caches and assumption deductions about those Dummies carry over from step to
    step instead of starting cold at every step. The key holds everything the view is made of.
    """
    symbols = tuple((symbol, tuple(sorted(facts.items()))) for symbol, facts in assumptions.declared_symbols().items())
    ranges = tuple((index, sp.sympify(lo), None if hi is None else sp.sympify(hi))
                   for index, lo, hi in assumptions.declared_ranges())
    return _declared_view(symbols, ranges)


@functools.lru_cache(maxsize=256)
def _declared_view(symbols: tuple, declared_ranges: tuple) -> Declared:
    mapping: dict = {}
    for symbol, facts in symbols:
        facts = dict(facts)
        if isinstance(symbol, sp.IndexedBase):
            mapping[symbol] = sp.IndexedBase(sp.Dummy(str(symbol.label), **facts), **facts)
        else:
            mapping[symbol] = sp.Dummy(symbol.name, **facts)
    ranges = []
    for index, lo, hi in declared_ranges:
        lo = lo.xreplace(mapping)
        hi = None if hi is None else hi.xreplace(mapping)
        ranges.append((mapping[index], lo, hi))
    allowed = {d.label if isinstance(d, sp.IndexedBase) else d for d in mapping.values()}
    return Declared(mapping, ranges, allowed)
