"""Sum techniques: splitting a sum at an index, and index shifts checked for exactness.

SymPy's ``Sum`` follows Karr's convention (Σ_{a}^{b} = −Σ_{b+1}^{a−1} when b < a − 1), under
which Σ_{a}^{b} f = Σ_{a}^{p−1} f + f(p) + Σ_{p+1}^{b} f holds for *every* p. So a split is an
identity whatever p is; only bounding a piece termwise needs it to run forwards (b ≥ a − 1),
and that is proved separately from declared facts before a piece is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.core.checks.facts import at_most


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


def same_sum_after_shift(original: sp.Sum, shifted: sp.Sum) -> bool:
    """True only if ``shifted`` is ``original`` with its index moved by a constant.

    Uses SymPy's ``Sum.change_index`` to move ``original`` onto the limits of ``shifted`` and
    compares the summands exactly, so a wrong shift (limits and summand moved by different
    amounts) is rejected.
    """
    if len(original.limits) != 1 or len(shifted.limits) != 1:
        return False
    (i, a, b), (j, c, d) = original.limits[0], shifted.limits[0]
    offset = sp.expand(c - a)
    if sp.expand(d - b) != offset or offset.has(i) or offset.has(j):
        return False
    moved = original.change_index(i, i + offset, j)
    return moved.limits == shifted.limits and sp.expand(moved.function - shifted.function) == 0
