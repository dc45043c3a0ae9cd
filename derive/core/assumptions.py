"""Declared assumptions of a step, and random points that satisfy them.

Every symbol a step uses must be declared here: the numeric check refuses to evaluate an
expression with an undeclared symbol, so no step can pass by leaving something unevaluated.
Variables are drawn in the order they are declared, so a bound may use an earlier variable
(``k`` between 1 and ``n``). Constraints are checked on every sample (rejection sampling), so a
sampler that produced a point outside the assumptions could not make a wrong step pass.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Union

import sympy as sp

from derive.errors import InputError

Bound = Union[int, sp.Expr]


class DeclarationError(InputError, ValueError):
    """A declaration that cannot be honoured: an empty range, or a symbol whose SymPy
    assumptions claim more than (or contradict) what is declared and shown. The CLI reports it
    as one line (exit code 2)."""


def _is_number(bound: Bound) -> bool:
    return isinstance(bound, int) or (isinstance(bound, sp.Basic) and bound.is_number)


def _check_symbol(symbol: sp.Basic, facts: dict, declared: str) -> None:
    """Refuse a symbol whose SymPy assumptions are stronger than, or contradict, its declaration.

    The declaration is what the PDF shows and the only premise a proof may use; a symbol made
    ``positive=True`` but declared real would let SymPy prove things about negative values.
    """
    reference = sp.Dummy(**facts).assumptions0
    # Name the most telling disagreement first (positive rather than extended_negative).
    order = ("positive", "negative", "nonnegative", "nonpositive", "zero", "nonzero", "integer", "even",
             "odd", "prime", "rational", "irrational", "real", "imaginary", "complex", "finite")
    rank = lambda key: (order.index(key) if key in order else len(order), key)  # noqa: E731
    for key, value in sorted(symbol.assumptions0.items(), key=lambda kv: rank(kv[0])):
        if key != "commutative" and reference.get(key) != value:
            raise DeclarationError(
                f"{symbol} is declared {declared} but its SymPy assumptions say {key}={value}; "
                f"create it with exactly the declared assumptions")


def _check_range(symbol: sp.Basic, lo: Bound, hi: Bound) -> None:
    if _is_number(lo) and _is_number(hi) and sp.sympify(lo) > sp.sympify(hi):
        raise DeclarationError(f"{symbol}: empty range {lo}..{hi}")


def _value(bound: Bound, point: dict) -> sp.Expr:
    return sp.sympify(bound).subs(point) if isinstance(bound, sp.Basic) else sp.Integer(bound)


def _random_rational(rng: random.Random, lo: sp.Expr, hi: sp.Expr) -> sp.Rational:
    # Exact rationals, so evaluation at high precision is not spoiled by a float's tail.
    lo_f, hi_f = float(lo), float(hi)
    return sp.Rational(round(rng.uniform(lo_f, hi_f) * 10**6), 10**6)


@dataclass(frozen=True)
class Real:
    """A real variable: declared (and shown) as x ∈ ℝ.

    [lo, hi] is only where the numeric search draws most of its points; it also draws far
    outside, as the declaration covers every real.
    """

    symbol: sp.Symbol
    lo: Bound = -3
    hi: Bound = 3

    def __post_init__(self) -> None:
        _check_range(self.symbol, self.lo, self.hi)
        _check_symbol(self.symbol, self.facts(), self.declared)

    declared = "real"

    def facts(self) -> dict:
        """The SymPy assumptions that the declaration states, and nothing more."""
        return {"real": True}

    def draw(self, rng: random.Random, point: dict) -> dict:
        return {self.symbol: _random_rational(rng, _value(self.lo, point), _value(self.hi, point))}


@dataclass(frozen=True)
class Integer:
    """An integer variable (a size or an index), declared lo ≤ symbol.

    ``hi`` is one of two things. An expression in earlier variables (``k ≤ n``) is a declared
    bound: shown in the PDF and a premise of proofs. A plain number is *not* a fact: it only says
    up to where the numeric search enumerates densely (the PDF shows "k ≥ lo an integer"); the
    search also tries larger values, and no proof may use it.
    """

    symbol: sp.Symbol
    lo: Bound = 1
    hi: Bound = 6

    def __post_init__(self) -> None:
        _check_range(self.symbol, self.lo, self.hi)
        _check_symbol(self.symbol, self.facts(), self.declared)

    @property
    def declared(self) -> str:
        top = "" if self.declared_hi is None else f" ≤ {self.declared_hi}"
        return f"an integer ≥ {self.lo}{top}"

    @property
    def declared_hi(self) -> Bound | None:
        """The upper bound that is a declared fact, or None (a number only bounds the sampling)."""
        return None if _is_number(self.hi) else self.hi

    def facts(self) -> dict:
        lo = sp.sympify(self.lo)
        if lo.is_positive:
            return {"integer": True, "positive": True}
        if lo.is_nonnegative:
            return {"integer": True, "nonnegative": True}
        return {"integer": True}

    def draw(self, rng: random.Random, point: dict) -> dict:
        lo, hi = int(_value(self.lo, point)), int(_value(self.hi, point))
        if hi < lo:
            raise SamplingError(f"{self.symbol}: empty range {lo}..{hi}")
        return {self.symbol: sp.Integer(rng.randint(lo, hi))}


@dataclass(frozen=True)
class RealVector:
    """Entries base[1..length] drawn from [lo, hi].

    With ``max_at`` the vector is drawn with its maximum at that index and, with ``ties = q``, at
    the indices 1..q as well (q ≥ 1; ``max_at`` must then lie in 1..q); every other entry stays at
    least ``gap`` below the maximum. Drawing such vectors directly is what makes ties possible at
    all: rejection sampling would never hit an exact tie.
    """

    base: sp.IndexedBase
    length: Bound
    lo: Bound = -3
    hi: Bound = 3
    max_at: Bound | None = None
    ties: Bound = 1
    gap: Bound = 0

    def __post_init__(self) -> None:
        _check_range(self.base, self.lo, self.hi)
        _check_symbol(self.base, {"real": True}, "a real vector")

    def draw(self, rng: random.Random, point: dict) -> dict:
        n = int(_value(self.length, point))
        lo, hi = _value(self.lo, point), _value(self.hi, point)
        values = {i: _random_rational(rng, lo, hi) for i in range(1, n + 1)}
        if self.max_at is not None:
            top = int(_value(self.max_at, point))
            q = int(_value(self.ties, point))
            gap = _value(self.gap, point)
            tied = {top} if q <= 1 else set(range(1, q + 1))
            if top not in tied:
                raise SamplingError(f"{self.base}: the maximum at {top} is outside the tie set 1..{q}")
            peak = hi + gap
            for i in range(1, n + 1):
                if i in tied:
                    values[i] = peak
                else:
                    values[i] = min(values[i], peak - gap)
        return {self.base[i]: v for i, v in values.items()}


@dataclass(frozen=True)
class RealArray(RealVector):
    """Entries ``base[i₁, …, i_r]`` for every index tuple in ``axes``, each drawn from [lo, hi].

    ``axes`` holds one (first, last) pair per index; the bounds may use integers declared
    earlier (a window ``i … i + k − 1``). Shown like a vector, ``base ∈ ℝ^length``, where
    ``length`` is a display name for the array's shape. Every entry the sums of a step can
    reach is drawn, so no entry is left undeclared at any sampled size.
    """

    axes: tuple = ()

    def draw(self, rng: random.Random, point: dict) -> dict:
        ranges = [range(int(_value(first, point)), int(_value(last, point)) + 1) for first, last in self.axes]
        lo, hi = _value(self.lo, point), _value(self.hi, point)
        return {self.base[index]: _random_rational(rng, lo, hi) for index in itertools.product(*ranges)}


@dataclass(frozen=True)
class RealMatrix:
    """Every entry ``symbol[i, j]`` of a MatrixSymbol with a concrete shape, drawn from [lo, hi].

    A column vector is a matrix with one column: ``RealMatrix(MatrixSymbol('x', 3, 1))``.
    """

    symbol: sp.MatrixSymbol
    lo: Bound = -3
    hi: Bound = 3

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, sp.MatrixSymbol):
            raise TypeError(f"RealMatrix needs a sympy MatrixSymbol, not {self.symbol!r}")
        if not all(isinstance(n, (int, sp.Integer)) for n in self.symbol.shape):
            raise TypeError(f"RealMatrix {self.symbol}: the shape {self.symbol.shape} must be concrete integers")

    def draw(self, rng: random.Random, point: dict) -> dict:
        lo, hi = _value(self.lo, point), _value(self.hi, point)
        rows, cols = (int(n) for n in self.symbol.shape)
        return {self.symbol[i, j]: _random_rational(rng, lo, hi) for i in range(rows) for j in range(cols)}


@dataclass(frozen=True)
class Positive(Real):
    """A positive real: declared (and shown) as x > 0.

    [lo, hi] (lo > 0) is where most points are drawn; the search also goes near 0 and far out.
    """

    lo: Bound = sp.Rational(1, 10)
    hi: Bound = 5

    declared = "positive"

    def __post_init__(self) -> None:
        if _is_number(self.lo) and sp.sympify(self.lo) <= 0:
            raise DeclarationError(f"{self.symbol}: Positive needs a lower sampling bound > 0, not {self.lo}")
        super().__post_init__()

    def facts(self) -> dict:
        return {"positive": True}


@dataclass(frozen=True)
class NonNegative(Real):
    """A nonnegative real: declared (and shown) as x ≥ 0.

    [lo, hi] (lo ≥ 0) is where most points are drawn; the search also tries 0, near 0 and far out.
    """

    lo: Bound = 0
    hi: Bound = 5

    declared = "nonnegative"

    def __post_init__(self) -> None:
        if _is_number(self.lo) and sp.sympify(self.lo) < 0:
            raise DeclarationError(f"{self.symbol}: NonNegative needs a lower sampling bound ≥ 0, not {self.lo}")
        super().__post_init__()

    def facts(self) -> dict:
        return {"nonnegative": True}


@dataclass(frozen=True)
class Constraint:
    """A relation that holds at every admissible point, for all values of ``forall`` indices.

    ``forall`` is a tuple of (index, lo, hi); ``where`` restricts the quantified indices (for
    example ``Ne(i, m)``). Shown in the PDF as the relation followed by its quantifier.
    """

    relation: sp.Basic
    forall: tuple = ()
    where: sp.Basic = sp.true

    def holds(self, point: dict) -> bool:
        return all(self._holds_at(point, binding) for binding in self._bindings(point, 0, {}))

    def _bindings(self, point: dict, depth: int, binding: dict):
        if depth == len(self.forall):
            yield dict(binding)
            return
        index, lo, hi = self.forall[depth]
        scope = {**point, **binding}
        for value in range(int(_value(lo, scope)), int(_value(hi, scope)) + 1):
            binding[index] = sp.Integer(value)
            yield from self._bindings(point, depth + 1, binding)
        binding.pop(index, None)

    def _holds_at(self, point: dict, binding: dict) -> bool:
        # Twice: the first pass fixes indices (x[j] -> x[2]), the second their entries.
        # xreplace, not subs: exact structural replacement, and an order of magnitude faster.
        # as_meant before the numbers go in (a relation evaluates itself on substitution): an
        # empty range is 0 terms, as the PDF's reader reads it, not Karr's Σ_{1}^{-1} = −1 of
        # SymPy, which would drop admissible points from sampling.
        from derive.core.checks.ranges import as_meant  # here: ranges imports this module

        if as_meant(sp.sympify(self.where)).xreplace(binding).xreplace(point).xreplace(point) is not sp.true:
            return True
        relation = as_meant(self.relation).xreplace(binding).xreplace(point).xreplace(point)
        value = relation.doit() if isinstance(relation, sp.Basic) else relation
        if value in (sp.true, True):
            return True
        if value in (sp.false, False):
            return False
        # A relation between numbers that SymPy left unevaluated: compare numerically.
        lhs, rhs = (sp.N(side, 40) for side in (value.lhs, value.rhs))
        return bool(type(value)(lhs, rhs))


class SamplingError(Exception):
    """No admissible point could be drawn: the assumptions are contradictory or too narrow."""


@dataclass(frozen=True)
class Assumptions:
    """The variables of a step (with their domains) and the constraints between them."""

    variables: tuple = ()
    constraints: tuple[Constraint, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __add__(self, other: "Assumptions") -> "Assumptions":
        return Assumptions(
            self.variables + tuple(v for v in other.variables if v not in self.variables),
            self.constraints + tuple(c for c in other.constraints if c not in self.constraints),
            self.notes + tuple(t for t in other.notes if t not in self.notes),
        )

    def sample(self, rng: random.Random, attempts: int = 400) -> dict:
        """A point satisfying every constraint, drawn afresh until one does."""
        for _ in range(attempts):
            point: dict = {}
            for variable in self.variables:
                point.update(variable.draw(rng, point))
            if all(c.holds(point) for c in self.constraints):
                return point
        raise SamplingError(f"no admissible point in {attempts} attempts")

    def integer_symbols(self) -> list[sp.Symbol]:
        return [v.symbol for v in self.variables if isinstance(v, Integer)]

    def declared_ranges(self) -> list[tuple[sp.Symbol, Bound, Bound | None]]:
        """(index, lo, hi) with only the *declared* upper bounds (None where hi only bounds sampling)."""
        return [(v.symbol, v.lo, v.declared_hi) for v in self.variables if isinstance(v, Integer)]

    def index_ranges(self) -> list[tuple[sp.Symbol, Bound, Bound | None]]:
        """Kept for old callers: the same as ``declared_ranges`` (sampling bounds are no facts)."""
        return self.declared_ranges()

    def declared_symbols(self) -> dict[sp.Basic, dict]:
        """Every declared symbol or vector base, with the SymPy assumptions its declaration states."""
        out: dict[sp.Basic, dict] = {}
        for v in self.variables:
            if isinstance(v, (Real, Integer)):
                out[v.symbol] = v.facts()
            elif isinstance(v, RealVector):
                out[v.base] = {"real": True}
        return out


_VARIABLES = (Real, Integer, RealVector, RealMatrix)


def assume(*items) -> Assumptions:
    """Gather variables, constraints and plain-language notes into one Assumptions."""
    variables = tuple(i for i in items if isinstance(i, _VARIABLES))
    constraints = tuple(i for i in items if isinstance(i, Constraint))
    notes = tuple(i for i in items if isinstance(i, str))
    unknown = [i for i in items if not isinstance(i, (*_VARIABLES, Constraint, str))]
    if unknown:
        raise TypeError(f"not an assumption: {unknown[0]!r}")
    return Assumptions(variables, constraints, notes)
