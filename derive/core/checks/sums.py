"""Sum techniques: splitting a sum at an index, and index shifts checked for exactness.

SymPy's ``Sum`` follows Karr's convention (Σ_{a}^{b} = −Σ_{b+1}^{a−1} when b < a − 1), under
which Σ_{a}^{b} f = Σ_{a}^{p−1} f + f(p) + Σ_{p+1}^{b} f holds for *every* p. So a split is an
identity whatever p is; only bounding a piece termwise needs it to run forwards (b ≥ a − 1),
and that is proved separately from declared facts before a piece is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import time
from typing import Any

import sympy as sp

from derive.core.assumptions import Assumptions
from derive.core.checks import ranges
from derive.core.checks.facts import at_most, index_facts
from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit

SUMS_SECONDS = 8.0


@dataclass(frozen=True)
class Piece:
    """Σ_{lo}^{hi} summand over ``index`` — one piece of a split sum."""

    summand: sp.Expr
    index: sp.Symbol
    lo: sp.Expr
    hi: sp.Expr

    def as_sum(self) -> sp.Sum:
        return sp.Sum(self.summand, (self.index, self.lo, self.hi))

    def forwards(self, facts) -> bool:
        """hi ≥ lo − 1: the piece is an ordinary (possibly empty) sum of its terms."""
        return at_most(self.lo - 1, self.hi, facts)


def simple_sums(expr: sp.Basic) -> list[sp.Sum]:
    """Sums of one index whose summand holds no further sum (the only kind split here)."""
    return [s for s in expr.atoms(sp.Sum) if len(s.limits) == 1 and not s.function.has(sp.Sum)]


def split(piece: Piece, point: sp.Expr) -> tuple[Piece, sp.Expr, Piece]:
    """Σ_{lo}^{hi} = Σ_{lo}^{point−1} + f(point) + Σ_{point+1}^{hi} (an identity, see above)."""
    term = piece.summand.subs(piece.index, point)
    return (Piece(piece.summand, piece.index, piece.lo, point - 1), term,
            Piece(piece.summand, piece.index, point + 1, piece.hi))


def split_between(piece: Piece, last: sp.Expr) -> tuple[Piece, Piece]:
    """Σ_{lo}^{hi} = Σ_{lo}^{last} + Σ_{last+1}^{hi} (an identity under Karr's convention)."""
    return (Piece(piece.summand, piece.index, piece.lo, last),
            Piece(piece.summand, piece.index, last + 1, piece.hi))


# ── Sums with Iverson brackets, index shifts and reflections ──────────────────────────────────


@dataclass(frozen=True)
class SetSum:
    """Σ body over the integers ``index`` with every low ≤ index ≤ every high (a set sum).

    A forwards ``Sum`` over [a, b] whose summand carries indicator brackets ``Piecewise((g, cond),
    (0, True))`` (cond: bounds on ±index + const) is exactly such a set sum. Karr's convention
    only agrees with the set sum for forwards limits, so only those are converted.
    """

    index: sp.Symbol
    lows: frozenset
    highs: frozenset
    body: sp.Expr


def _bound_of(relation: sp.Basic, index: sp.Symbol) -> Optional[tuple[str, sp.Expr]]:
    """``("low", e)`` for index ≥ e or ``("high", e)`` for index ≤ e; None if not of that form."""
    if isinstance(relation, (sp.GreaterThan, sp.StrictGreaterThan)):
        relation = relation.reversed  # now small < large or small ≤ large
    if not isinstance(relation, (sp.LessThan, sp.StrictLessThan)):
        return None
    difference = sp.expand(relation.lhs - relation.rhs)  # ≤ 0 (< 0)
    coefficient = difference.coeff(index)
    rest = sp.expand(difference - coefficient * index)
    if rest.has(index) or not rest.is_integer or not coefficient.is_integer:
        return None
    strict = 1 if isinstance(relation, sp.StrictLessThan) else 0  # integers: e < 0 ⟺ e ≤ −1
    if coefficient == 1:  # index + rest ≤ −strict
        return "high", sp.expand(-rest - strict)
    if coefficient == -1:
        return "low", sp.expand(rest + strict)  # −index + rest ≤ −strict
    if coefficient.is_positive:  # c·index ≤ −rest − strict ⟺ index ≤ ⌊(−rest − strict)/c⌋
        return "high", sp.floor(sp.expand(-rest - strict) / coefficient)
    if coefficient.is_negative:  # −c·index ≤ −rest − strict ⟺ index ≥ ⌈(rest + strict)/c⌉
        return "low", sp.ceiling(sp.expand(rest + strict) / -coefficient)
    return None


def as_set_sum(total: sp.Sum, facts) -> Optional[SetSum]:
    if len(total.limits) != 1:
        return None
    index, lo, hi = total.limits[0]
    facts = [f for f in facts if not f.has(index)]  # a fact about a free symbol of the same name
    if not (index.is_integer and lo.is_integer and hi.is_integer and at_most(lo - 1, hi, facts)):
        return None
    body, lows, highs = total.function, [sp.expand(lo)], [sp.expand(hi)]
    if body.has(sp.Sum, sp.Product, sp.Integral, sp.Derivative, sp.Limit, sp.Lambda, sp.Subs):
        return None  # a binding inside the summand could capture the renamed index
    for bracket in [p for p in body.atoms(sp.Piecewise) if p.has(index)]:
        if len(bracket.args) != 2 or bracket.args[1] != (0, True):
            return None
        value, condition = bracket.args[0]
        placeholder = sp.Dummy("P")
        rest = body.xreplace({bracket: placeholder})
        if sp.expand(rest.subs(placeholder, 0)) != 0 or sp.diff(rest, placeholder).has(placeholder):
            return None  # the bracket must multiply the whole summand
        body = rest.xreplace({placeholder: value})
        for relation in (condition.args if isinstance(condition, sp.And) else (condition,)):
            bound = _bound_of(relation, index)
            if bound is None:
                return None
            (lows if bound[0] == "low" else highs).append(bound[1])
    # A bound implied by another is redundant: the max of lows (min of highs) is unchanged.
    return SetSum(index, frozenset(_strongest(lows, lambda a, b: at_most(a, b, facts))),
                  frozenset(_strongest(highs, lambda a, b: at_most(b, a, facts))), body)


def _strongest(bounds: list, weaker) -> list:
    """Drop each bound weaker than another (of two equal ones, keep the first)."""
    return [b for n, b in enumerate(bounds)
            if not any(weaker(b, o) and (not weaker(o, b) or k < n) for k, o in enumerate(bounds) if k != n)]


def _same_body(left: sp.Expr, right: sp.Expr) -> bool:
    difference = sp.expand(left - right)
    if difference == 0:
        return True
    # Brackets written two ways (1 ≤ k − i + 1 against i − k ≤ 0) agree once every order
    # relation reads "difference ≤ 0" (< 0): cheaper than simplify, which comes last.
    if sp.expand(_normal_relations(left) - _normal_relations(right)) == 0:
        return True
    return sp.simplify(difference) == 0


def _normal_relations(expr: sp.Expr) -> sp.Expr:
    """Every a ≤ b (a < b, a ≥ b, a > b) rewritten as expand(a − b) ≤ 0 (< 0): the same relation."""
    def normal(relation):
        if isinstance(relation, (sp.GreaterThan, sp.StrictGreaterThan)):
            relation = relation.reversed
        kind = sp.StrictLessThan if isinstance(relation, sp.StrictLessThan) else sp.LessThan
        return kind(sp.expand(relation.lhs - relation.rhs), 0)

    return expr.replace(lambda e: isinstance(e, (sp.LessThan, sp.StrictLessThan, sp.GreaterThan, sp.StrictGreaterThan)),
                        normal)


def same_set_sum(left: SetSum, right: SetSum) -> bool:
    """Equal as set sums under a shift j = i + c or a reflection j = c − i (bijections of ℤ)."""
    # A fresh index for the right-hand sum, so that renaming the left index cannot capture a
    # free symbol that happens to share the right index's name.
    j = sp.Dummy("j", integer=True)
    right = SetSum(j, right.lows, right.highs, right.body.xreplace({right.index: j}))
    for low_r in right.lows:
        for low_l in left.lows:
            offset = sp.expand(low_r - low_l)
            if offset.has(left.index) or offset.has(j):
                continue
            if ({sp.expand(l + offset) for l in left.lows} == set(right.lows)
                    and {sp.expand(h + offset) for h in left.highs} == set(right.highs)
                    and _same_body(left.body.xreplace({left.index: j - offset}), right.body)):
                return True
        for high_l in left.highs:
            centre = sp.expand(low_r + high_l)
            if centre.has(left.index) or centre.has(j):
                continue
            if ({sp.expand(centre - h) for h in left.highs} == set(right.lows)
                    and {sp.expand(centre - l) for l in left.lows} == set(right.highs)
                    and _same_body(left.body.xreplace({left.index: centre - j}), right.body)):
                return True
    return False


def concatenate_blocks(total: sp.Sum, facts=()) -> sp.Sum:
    """Rewrite a multiple sum that enumerates consecutive blocks as one sum (an identity).

    The innermost Σ_{s=a}^{b} g(A + s) becomes Σ_{t=a+A}^{b+A} g(t) (``change_index``), and then,
    limit by limit outwards, Σ_{r=lo}^{hi} Σ_{t=L(r)}^{U(r)} g(t) becomes Σ_{t=L(lo)}^{U(hi)} g(t)
    when g is free of r and L(r+1) = U(r) + 1 for every r: the inner sums telescope. That holds
    under Karr's convention whatever the limits, but for the meant sums (an empty range is 0 terms)
    only when every range runs forwards, so that is proved from ``facts`` first.
    """
    if len(total.limits) < 2 or ranges.backwards(total, facts) is not None:
        return total
    body, limits = total.function, list(total.limits)
    index, lo, hi = limits[0]
    places = {e.indices[0] for e in body.atoms(sp.Indexed) if len(e.indices) == 1 and e.indices[0].has(index)}
    if len(places) != 1:
        return total
    shift = sp.expand(places.pop() - index)
    if shift.has(index):
        return total
    fresh = sp.Dummy("t", integer=True)
    moved = sp.Sum(body, limits[0]).change_index(index, index + shift, fresh)
    body, (t, first, last) = _expand_indices(moved.function), moved.limits[0]
    rest = limits[1:]
    while rest:
        outer, outer_lo, outer_hi = rest[0]
        if body.has(outer) or sp.expand(first.subs(outer, outer + 1) - last - 1) != 0:
            break
        first, last = sp.expand(first.subs(outer, outer_lo)), sp.expand(last.subs(outer, outer_hi))
        rest = rest[1:]
    return sp.Sum(body, (t, first, last), *rest)


def worth_trying_first(lhs: Any, rhs: Any) -> bool:
    """Whether ``prove_equal`` is worth trying before SymPy: scalar sides, a sum in one of them,
    and no derivative, limit or integral, which only SymPy evaluates (the technique would compare
    an unevaluated derivative with a sum and give up after a slow simplify)."""
    sides = [side for side in (lhs, rhs) if isinstance(side, sp.Basic)]
    if len(sides) < 2 or any(isinstance(side, sp.MatrixBase) for side in (lhs, rhs)):
        return False
    return (any(side.has(sp.Sum) for side in sides)
            and not any(side.has(sp.Derivative, sp.Limit, sp.Integral) for side in sides))


def prove_equal(lhs: Any, rhs: Any, assumptions: Assumptions, seconds: float = SUMS_SECONDS) -> MethodResult:
    """lhs = rhs where each side is one sum plus terms that agree: the sums are matched as set
    sums (Iverson brackets resolved against declared index bounds) under a shift or reflection,
    after consecutive blocks of nested sums are concatenated."""
    started = time.perf_counter()

    def result(outcome: str, detail: str) -> MethodResult:
        return MethodResult("sums", outcome, time.perf_counter() - started, detail)

    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return result("inconclusive", "matrices are beyond the sum technique")
    facts = ranges.declared_facts(assumptions)  # numeric lower bounds too: h ≥ 32 is declared
    try:
        with time_limit(seconds):
            left, right = _one_sum(sp.sympify(lhs)), _one_sum(sp.sympify(rhs))
            if (left is None) != (right is None):  # a sum against a closed form
                total, closed = (left[0], sp.sympify(rhs) - left[1]) if left else (right[0], sp.sympify(lhs) - right[1])
                value = closed_form(concatenate_blocks(total, facts), facts)
                if value is not None and _same_body(value, closed):
                    return result("proved", "the Iverson brackets cut the sum to one forwards interval, "
                                            "whose sum is the closed form")
                return result("inconclusive", "the bracketed sum has no closed form here")
            if left is None or right is None:
                return result("inconclusive", "each side must be one sum plus other terms")
            if not _same_body(left[1], right[1]):
                return result("inconclusive", "the terms outside the sums differ")
            sums = [as_set_sum(concatenate_blocks(total, facts), facts) for total in (left[0], right[0])]
            if None in sums:
                return result("inconclusive", "a sum is not a forwards sum with interval brackets")
            if same_set_sum(*sums):
                return result("proved", "the two sums run over the same index set, up to a shift or reflection "
                                        "of the index (Iverson brackets resolved by the declared index bounds)")
            return result("inconclusive", "no shift or reflection of the index matches the two sums")
    except CheckTimeout as exc:
        return result("timeout", f"sum technique {exc}")
    except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide", never a verdict
        return result("inconclusive", f"SymPy could not decide ({type(exc).__name__})")


def closed_form(total: sp.Sum, facts) -> Optional[sp.Expr]:
    """A (multiple) bracketed sum summed index by index, innermost first, or None.

    Each index's set (its limits and brackets) must cut down to one interval [L, U] (the other
    bounds implied, by declared facts and the outer indices' limits). The set sum is then
    [U ≥ L] · Σ_{L}^{U} body — exact, as the set is empty when U < L, and Karr's sum is the set
    sum when U ≥ L − 1; the bracket is dropped when U ≥ L − 1 is proved. SymPy sums each level.
    """
    body, limits = total.function, list(total.limits)
    bound = [limit[0] for limit in limits]
    facts = [f for f in facts if not f.has(*bound)]  # facts about free symbols named like an index
    for level, (index, lo, hi) in enumerate(limits):
        outer = list(facts)
        for name, first, last in limits[level + 1:]:
            outer += [sp.expand(name - first), sp.expand(last - name)]
        reading = as_set_sum(sp.Sum(body, (index, lo, hi)), outer)
        if reading is None or len(reading.lows) != 1 or len(reading.highs) != 1:
            return None
        (low,), (high,) = reading.lows, reading.highs
        level_sum = sp.Sum(reading.body, (index, low, high))
        if ranges.strided_delta(level_sum) is not None:
            return None  # SymPy's delta summation would ignore divisibility
        value = level_sum.doit()
        if value.has(sp.Sum):
            return None
        if not at_most(low - 1, high, outer):
            value = sp.Piecewise((value, sp.GreaterThan(high - low, 0)), (0, True))
        body = value
    return body


def _one_sum(expr: sp.Expr) -> Optional[tuple[sp.Sum, sp.Expr]]:
    """(the one Sum term, the other terms) of expr, or None."""
    terms = sp.Add.make_args(expr)
    sums = [t for t in terms if isinstance(t, sp.Sum)]
    if len(sums) != 1 or any(t.has(sp.Sum) for t in terms if t is not sums[0]):
        return None
    return sums[0], sp.Add(*[t for t in terms if t is not sums[0]])


def _expand_indices(expr: sp.Expr) -> sp.Expr:
    """Entries with their index expanded, so x[t − A + A] reads x[t]."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed),
                        lambda e: e.base[tuple(sp.expand(i) for i in e.indices)])
