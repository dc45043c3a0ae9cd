"""Order constraints eliminated by slack substitution, then inequalities proved by monotonicity.

A declared ``Constraint(x[i] <= v, forall=((i, lo, hi),), where=W)`` says: wherever it applies,
``x[i] = v − d_i`` for some ``d_i ≥ 0``. Substituting that (``v + d_i`` for ≥, ``v`` for =) turns
the order constraint into a sign assumption SymPy understands. The proof of ``gap ≥ 0`` then runs:

1. every sum over an index is split (an identity, see ``sums``) at the points the constraints
   name, so each piece lies wholly inside or outside a constraint's ``where``;
2. in each piece, and at each free entry ``x[k]`` whose index provably satisfies a constraint,
   the entry is replaced by its slack form;
3. each piece Σ_{a}^{b} f(d_i) with f ≥ 0 gets the lower bound 0 and, when f is non-increasing in
   its slack, the upper bound (b − a + 1)·f(0) (f(0) free of the index);
4. the gap, as a smooth function of the pieces, is moved to a bound in each piece in the
   direction its proved derivative sign allows (a mean-value argument), and
5. the sign of what is left is decided by SymPy (or, for A − B with A, B > 0, by log A − log B).

Only declared constraints, declared symbolic index bounds and SymPy's assumptions on symbols are
used — never the sampling ranges — so a proof here follows from the assumptions the PDF shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import sympy as sp

from derive.core.assumptions import Assumptions
from derive.core.checks.facts import at_most, declared_relations, index_facts
from derive.core.checks.result import MethodResult
from derive.core.checks.sums import Piece, simple_sums, split, split_between
from derive.core.checks.timelimit import CheckTimeout, time_limit

SLACK_SECONDS = 8.0


@dataclass(frozen=True)
class SlackRule:
    """``x[i] = value − d`` (sense "le"), ``value + d`` ("ge") or ``value`` ("eq"), d ≥ 0 (> 0 if strict)."""

    base: sp.IndexedBase
    index: sp.Symbol
    lo: sp.Expr
    hi: sp.Expr
    where: sp.Basic
    value: sp.Expr
    sense: str
    strict: bool = False

    def replacement(self, slack: sp.Symbol) -> sp.Expr:
        return {"le": self.value - slack, "ge": self.value + slack, "eq": self.value}[self.sense]


_SENSE = {sp.LessThan: ("le", False), sp.StrictLessThan: ("le", True),
          sp.GreaterThan: ("ge", False), sp.StrictGreaterThan: ("ge", True), sp.Equality: ("eq", False)}
_FLIP = {"le": "ge", "ge": "le", "eq": "eq"}


def slack_rules(assumptions: Assumptions) -> list[SlackRule]:
    """The constraints of the form ``x[i] rel v`` quantified over one index i (v free of i)."""
    rules = []
    for constraint in assumptions.constraints:
        relation = constraint.relation
        if len(constraint.forall) != 1 or type(relation) not in _SENSE:
            continue
        index, lo, hi = constraint.forall[0]
        sense, strict = _SENSE[type(relation)]
        for entry, value, s in ((relation.lhs, relation.rhs, sense), (relation.rhs, relation.lhs, _FLIP[sense])):
            if isinstance(entry, sp.Indexed) and entry.indices == (index,) and not value.has(index):
                rules.append(SlackRule(entry.base, index, sp.sympify(lo), sp.sympify(hi),
                                       sp.sympify(constraint.where), value, s, strict))
                break
    return rules


class _Context:
    def __init__(self, assumptions: Assumptions) -> None:
        self.facts = index_facts(assumptions)
        self.declared = declared_relations(assumptions)
        self.rules = slack_rules(assumptions)

    def le(self, small: sp.Expr, large: sp.Expr) -> bool:
        return at_most(small, large, self.facts)

    def where_holds(self, rule: SlackRule, first: sp.Expr, last: sp.Expr) -> bool:
        """The rule's ``where`` holds for every index in first..last (provably)."""
        where = rule.where
        if where == sp.true:
            return True
        if not isinstance(where, sp.core.relational.Relational):
            return False
        if where.rhs == rule.index and not where.lhs.has(rule.index):
            where = where.reversed
        if where.lhs != rule.index or where.rhs.has(rule.index):
            return False
        other = where.rhs
        if isinstance(where, sp.Unequality):
            if first == last and any(r in self.declared for r in (sp.Ne(first, other), sp.Ne(other, first))):
                return True
            return self.le(last, other - 1) or self.le(other + 1, first)
        return {sp.StrictGreaterThan: lambda: self.le(other + 1, first),
                sp.GreaterThan: lambda: self.le(other, first),
                sp.StrictLessThan: lambda: self.le(last, other - 1),
                sp.LessThan: lambda: self.le(last, other)}.get(type(where), lambda: False)()

    def rule_for(self, base: sp.IndexedBase, first: sp.Expr, last: sp.Expr) -> Optional[SlackRule]:
        for rule in self.rules:
            if (rule.base == base and self.le(rule.lo, first) and self.le(last, rule.hi)
                    and self.where_holds(rule, first, last)):
                return rule
        return None

    def split_points(self) -> list[tuple[str, sp.Expr]]:
        """Where to split sums: the boundaries of each ``where``, then the indices in each value."""
        points: list[tuple[str, sp.Expr]] = []
        for rule in self.rules:
            where = rule.where
            if isinstance(where, sp.core.relational.Relational):
                if where.rhs == rule.index:
                    where = where.reversed
                other = where.rhs
                kind = {sp.Unequality: ("at", other), sp.StrictGreaterThan: ("after", other),
                        sp.GreaterThan: ("after", other - 1), sp.StrictLessThan: ("after", other - 1),
                        sp.LessThan: ("after", other)}.get(type(where))
                if kind:
                    points.append(kind)
            for symbol in sorted(rule.value.free_symbols, key=str):
                if isinstance(symbol, sp.Symbol) and symbol.is_integer:
                    points.append(("at", symbol))
        return list(dict.fromkeys(points))


def _split_sum(total: sp.Sum, ctx: _Context) -> tuple[list[sp.Expr], list[Piece]]:
    summand, (index, lo, hi) = total.function, total.limits[0]
    pieces, terms = [Piece(summand, index, lo, hi)], []
    for kind, point in ctx.split_points():
        if point.has(index) or not point.is_integer:  # Karr's split identity needs integer points
            continue
        next_pieces = []
        for piece in pieces:
            if kind == "at" and ctx.le(piece.lo, point) and ctx.le(point, piece.hi):
                left, term, right = split(piece, point)
                next_pieces += [left, right]
                terms.append(term)
            elif kind == "after" and ctx.le(piece.lo - 1, point) and ctx.le(point, piece.hi):
                next_pieces += list(split_between(piece, point))
            else:
                next_pieces.append(piece)
        pieces = next_pieces
    return terms, pieces


def _free_entry_map(expr: sp.Expr, ctx: _Context, slacks: list) -> dict:
    """Entries x[k] outside sums whose index satisfies a constraint -> their slack form."""
    mapping = {}
    for entry in expr.atoms(sp.Indexed):
        if len(entry.indices) != 1:
            continue
        k = entry.indices[0]
        rule = ctx.rule_for(entry.base, k, k)
        if rule is None or rule.value.has(entry):  # x[j] ≤ x[j] would be circular
            continue
        slack = sp.Dummy("d", positive=True) if rule.strict else sp.Dummy("d", nonnegative=True)
        slacks.append(slack)
        mapping[entry] = rule.replacement(slack)
    return mapping


@dataclass
class _Bounds:
    lower: Optional[sp.Expr]
    upper: Optional[sp.Expr]


def _bound_piece(piece: Piece, ctx: _Context, free_map: dict) -> Optional[sp.Expr | _Bounds]:
    """The piece's exact value, its bounds, or None when it cannot be bounded soundly."""
    if not (piece.lo.is_integer and piece.hi.is_integer and piece.forwards(ctx.facts)):
        return None
    summand = piece.summand
    if any(piece.index in key.free_symbols or piece.index in value.free_symbols for key, value in free_map.items()):
        # A free x[i] outside would collide with the bound index; and a free x[k] replaced by
        # x[j] − d inside a sum over j would make the free j the bound one (a capture).
        return None
    summand = summand.xreplace(free_map)
    slack = sp.Dummy("d", nonnegative=True)
    slacked = []
    for entry in summand.atoms(sp.Indexed):
        if entry.indices == (piece.index,):
            rule = ctx.rule_for(entry.base, piece.lo, piece.hi)
            if rule is not None and not rule.value.has(piece.index):
                slacked.append((entry, rule))
    if len(slacked) > 1:
        return None  # two entries have two independent slacks; one symbol for both would be unsound
    for entry, rule in slacked:
        if rule.strict:
            slack = sp.Dummy("d", positive=True)
        summand = summand.xreplace({entry: rule.replacement(slack)})
    count = piece.hi - piece.lo + 1
    if not summand.has(piece.index) and not summand.has(slack):
        return count * summand  # Σ of a constant (exact under Karr's convention too)
    if summand.is_nonnegative is not True:
        return None
    upper = None
    if (summand.has(slack) and _smooth(summand, {slack})
            and _nonpositive(sp.diff(summand, slack))):
        at_zero = summand.subs(slack, 0)
        if not at_zero.has(piece.index):
            upper = count * at_zero
    return _Bounds(sp.Integer(0), upper)


def _nonpositive(expr: sp.Expr) -> bool:
    """SymPy decides expr ≤ 0, as it stands or else simplified."""
    return expr.is_nonpositive is True or sp.simplify(expr).is_nonpositive is True


def _smooth(expr: sp.Basic, pieces: set) -> bool:
    """Differentiable in the pieces wherever they are ≥ 0: positive bases and log arguments.

    Parts free of every piece are constants for the mean-value argument and need no check.
    """
    if not expr.free_symbols & pieces or isinstance(expr, sp.Symbol):
        return True
    if isinstance(expr, sp.Pow):
        exponent_ok = expr.exp.is_integer and expr.exp.is_nonnegative
        return ((exponent_ok or expr.base.is_positive is True)
                and _smooth(expr.base, pieces) and _smooth(expr.exp, pieces))
    if isinstance(expr, sp.log):
        return expr.args[0].is_positive is True and _smooth(expr.args[0], pieces)
    if isinstance(expr, (sp.Add, sp.Mul, sp.exp)):
        return all(_smooth(a, pieces) for a in expr.args)
    return False


def _sign(expr: sp.Expr, strict: bool) -> bool:
    """SymPy decides expr ≥ 0 (> 0); for A − B with A, B > 0 also via log A − log B."""
    attribute = "is_positive" if strict else "is_nonnegative"
    # The same three candidates as ever, cheapest first, each made only if the ones before did
    # not decide (simplify is the slow one).
    if getattr(expr, attribute) is True or getattr(sp.factor(sp.together(expr)), attribute) is True:
        return True
    simplified = sp.simplify(expr)
    if getattr(simplified, attribute) is True:
        return True
    terms = sp.Add.make_args(sp.expand(sp.powsimp(simplified, force=False)))
    plus = sp.Add(*[t for t in terms if t.could_extract_minus_sign() is False])
    minus = -sp.Add(*[t for t in terms if t.could_extract_minus_sign() is True])
    if plus.is_positive is True and minus.is_positive is True:
        difference = sp.simplify(sp.expand_log(sp.log(plus) - sp.log(minus)))
        return getattr(difference, attribute) is True
    return False


def _bound_in_direction(slope: sp.Expr, bounds: _Bounds) -> Optional[sp.Expr]:
    """Where the gap is smallest on its piece's range: the lower bound if it rises, else the upper."""
    for make in (lambda: slope, lambda: sp.simplify(slope)):  # simplify only if needed
        candidate = make()
        if candidate.is_nonnegative is True:
            return bounds.lower
        if candidate.is_nonpositive is True:
            return bounds.upper
    return None


def prove_order(lhs: Any, rel: str, rhs: Any, assumptions: Assumptions,
                seconds: float = SLACK_SECONDS) -> MethodResult:
    """Prove lhs rel rhs from the declared order constraints (see the module docstring)."""
    started = time.perf_counter()

    def result(outcome: str, detail: str) -> MethodResult:
        return MethodResult("slack", outcome, time.perf_counter() - started, detail)

    if rel not in ("<=", "<", ">=", ">"):
        return result("inconclusive", "not an inequality")
    ctx = _Context(assumptions)
    if not ctx.rules:
        return result("inconclusive", "no order constraint over an index is declared")
    strict = rel in ("<", ">")
    gap = sp.sympify(rhs - lhs if rel in ("<=", "<") else lhs - rhs)
    try:
        with time_limit(seconds):
            return _prove(gap, strict, ctx, result)
    except CheckTimeout as exc:
        return result("timeout", f"slack substitution {exc}")
    except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide", never a verdict
        return result("inconclusive", f"SymPy could not decide ({type(exc).__name__})")


# Only these node types are understood; anything else (a Product, Integral, Derivative, Limit,
# Subs or Lambda binds or transforms variables) makes the technique step aside.
_SUPPORTED = (sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log, sp.Sum, sp.Symbol, sp.Number, sp.NumberSymbol,
              sp.Indexed, sp.IndexedBase, sp.Tuple)


def _supported(expr: sp.Basic) -> bool:
    return all(isinstance(node, _SUPPORTED) for node in sp.preorder_traversal(expr))


def _prove(gap: sp.Expr, strict: bool, ctx: _Context, result) -> MethodResult:
    if not _supported(gap):
        return result("inconclusive", "the gap holds an operation the slack technique does not handle")
    pieces: dict[sp.Dummy, Piece] = {}
    replacements = {}
    for total in simple_sums(gap):
        terms, parts = _split_sum(total, ctx)
        names = [sp.Dummy("sigma", nonnegative=True) for _ in parts]
        pieces.update(zip(names, parts))
        replacements[total] = sp.Add(*terms, *names)
    if gap.xreplace(replacements).has(sp.Sum):
        return result("inconclusive", "a nested sum is beyond the slack technique")
    shape = gap.xreplace(replacements)
    slacks: list = []
    free_map = _free_entry_map(shape, ctx, slacks)
    shape = shape.xreplace(free_map)
    bounds: dict[sp.Dummy, _Bounds] = {}
    for name, piece in pieces.items():
        found = _bound_piece(piece, ctx, free_map)
        if found is None:
            return result("inconclusive", f"cannot bound the piece {sp.sstr(piece.as_sum())[:80]}")
        if isinstance(found, _Bounds):
            bounds[name] = found
        else:
            shape = shape.xreplace({name: found})
    if not _smooth(shape, set(bounds)):
        return result("inconclusive", "the gap is not smooth in the pieces of its sums")
    # Every direction is decided on the shape with all pieces free (each bound is itself ≥ 0, so
    # a slope sign proved for all pieces ≥ 0 still holds after the other pieces are moved).
    moves = {}
    for name in [n for n in bounds if shape.has(n)]:
        bound = _bound_in_direction(sp.diff(shape, name), bounds[name])
        if bound is None:
            return result("inconclusive", "the gap is not monotone in a piece with a bound in that direction")
        moves[name] = bound
    shape = shape.xreplace(moves)
    if _sign(shape, strict):
        return result("proved", f"slack substitution from the declared constraints; {len(pieces)} sum piece(s) bounded")
    return result("inconclusive", f"after slack substitution the sign of {sp.sstr(shape)[:80]} is undecided")
