"""Points for the numeric search: every admissible point the declarations allow is fair game.

* Integers: the small grid (lo .. the sampling bound) is enumerated exhaustively when it has at
  most GRID_LIMIT points (else GRID_LIMIT distinct points are drawn from it), and integers whose
  upper bound is not declared are also drawn *beyond* the sampling bound, as the PDF claims
  "n ≥ 1", not "1 ≤ n ≤ 6".
* Reals: mostly from the sampling range, but also near 0, far out (a real is any real, a
  positive any positive) and at round values (0, ±1, the range's ends).
* Vectors: entries like reals; ties drawn where nothing forbids them; a maximum's value varies.

Every point is then checked against every constraint (rejection), so a sampler that drew
outside the assumptions could not make a wrong step pass.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass, field
from typing import Any, Callable

import mpmath
import sympy as sp
from mpmath import libmp

from derive.core.assumptions import (Assumptions, Constraint, Integer, NonNegative, Positive, Real, RealArray,
                                     RealMatrix, RealVector, SamplingError)
from derive.core.checks.compiled import compile_entries

GRID_LIMIT = 48  # integer grids this small are enumerated point by point
BEYOND = 4  # points with undeclared-above integers drawn past their sampling bound
ATTEMPTS = 60  # real draws per integer point before it is given up as inadmissible


@dataclass
class Point:
    ints: dict  # Symbol -> int
    reals: dict = field(default_factory=dict)  # Symbol -> mpf
    arrays: dict = field(default_factory=dict)  # IndexedBase -> {index or index tuple: mpf}

    def copy(self) -> "Point":
        return Point(dict(self.ints), dict(self.reals), {b: dict(v) for b, v in self.arrays.items()})

    def sympy(self) -> dict:
        """The point as SymPy substitutions (for the SymPy evaluation path and constraints)."""
        out: dict = {s: sp.Integer(v) for s, v in self.ints.items()}
        out.update({s: sp.Float(v, mpmath.mp.dps) for s, v in self.reals.items()})
        for base, values in self.arrays.items():
            for key, v in values.items():
                out[base[key] if not isinstance(key, tuple) else base[key]] = sp.Float(v, mpmath.mp.dps)
        return out

    def describe(self) -> str:
        shown = [(str(k), str(v)) for k, v in self.ints.items()]
        shown += [(str(k), mpmath.nstr(v, 6)) for k, v in self.reals.items()]
        for base, values in self.arrays.items():
            for key, v in values.items():
                index = ",".join(str(i) for i in key) if isinstance(key, tuple) else str(key)
                shown.append((f"{base}[{index}]", mpmath.nstr(v, 6)))
        shown.sort()
        return ", ".join(f"{k}={v}" for k, v in shown[:10]) + (" …" if len(shown) > 10 else "")


def _int(bound: Any, ints: dict) -> int:
    # The common cases first (a number, an earlier integer): the sampler asks this thousands
    # of times per step.
    if type(bound) is int:
        return bound
    if isinstance(bound, sp.Integer):
        return int(bound)
    if bound in ints:
        return int(ints[bound])
    return _bound_at(bound, tuple(ints.items()))


@functools.lru_cache(maxsize=16384)
def _bound_at(bound: Any, ints: tuple) -> int:
    # Remembered: the same bounds (n − 1, q + 1) come back at the same integers at every draw.
    value = sp.sympify(bound).xreplace({s: sp.Integer(v) for s, v in ints})
    if not value.is_number:
        raise SamplingError(f"the bound {bound} uses something that is not an earlier integer")
    return int(value)


@functools.lru_cache(maxsize=4096)
def _constant(value: sp.Expr, dps: int) -> Any:
    return value.evalf(dps)._to_mpmath(mpmath.mp.prec)


def _num(bound: Any, point: Point) -> Any:
    if isinstance(bound, (int, float)):
        return mpmath.mpf(bound)
    value = sp.sympify(bound)
    if value.is_number:
        return _constant(value, mpmath.mp.dps)
    if value in point.reals:
        return point.reals[value]
    if value in point.ints:
        return mpmath.mpf(point.ints[value])
    subs = {s: sp.Integer(point.ints[s]) for s in value.free_symbols if s in point.ints}
    subs.update({s: sp.Float(point.reals[s], mpmath.mp.dps) for s in value.free_symbols if s in point.reals})
    return value.xreplace(subs).evalf(mpmath.mp.dps)._to_mpmath(mpmath.mp.prec)


# ── integers ────────────────────────────────────────────────────────────────────────────────
def _integer_only(constraint: Constraint, integers: set) -> bool:
    bound = {index for index, _, _ in constraint.forall}
    symbols = (constraint.relation.free_symbols | sp.sympify(constraint.where).free_symbols) - bound
    return all(isinstance(s, sp.Symbol) for s in symbols) and symbols <= integers


def integer_points(assumptions: Assumptions, rng: random.Random) -> tuple[list[dict], bool, int]:
    """The integer points to try, whether the small grid was enumerated exhaustively, and how
    many of the points lie beyond the sampling bounds."""
    variables = [v for v in assumptions.variables if isinstance(v, Integer)]
    symbols = {v.symbol for v in variables}
    checks = [c for c in assumptions.constraints if _integer_only(c, symbols)]

    def admissible(ints: dict) -> bool:
        return _integers_hold(tuple(checks), tuple(ints.items()))

    grid: list[dict] = []
    exhaustive = True

    def walk(depth: int, ints: dict) -> None:
        nonlocal exhaustive
        if len(grid) > GRID_LIMIT * 8:
            exhaustive = False
            return
        if depth == len(variables):
            if admissible(ints):
                grid.append(dict(ints))
            return
        v = variables[depth]
        for value in range(_int(v.lo, ints), _int(v.hi, ints) + 1):
            ints[v.symbol] = value
            walk(depth + 1, ints)
        ints.pop(v.symbol, None)

    walk(0, {})
    if not exhaustive:  # too many to list: draw distinct points at random instead
        grid = []
        for _ in range(GRID_LIMIT * 20):
            ints = {}
            for v in variables:
                ints[v.symbol] = rng.randint(_int(v.lo, ints), max(_int(v.lo, ints), _int(v.hi, ints)))
            if ints not in grid and admissible(ints):
                grid.append(ints)
            if len(grid) == GRID_LIMIT:
                break
    elif len(grid) > GRID_LIMIT:
        # A sample of the grid, but always with its first and last points (every integer at
        # its lower bound, then at its largest): small sizes like n = 1 are where claims break.
        exhaustive = False
        grid = [grid[0], grid[-1]] + rng.sample(grid[1:-1], GRID_LIMIT - 2)
    points = list(grid)
    unbounded = [v for v in variables if v.declared_hi is None]
    for count in range(BEYOND if unbounded else 0):
        # One integer at a time past its sampling bound (up to twice it, at least +3), the
        # others in their ranges: several large sizes at once would multiply the cost of sums.
        raised = unbounded[count % len(unbounded)]
        for _attempt in range(20):
            ints: dict = {}
            for v in variables:
                lo, hi = _int(v.lo, ints), _int(v.hi, ints)
                if v is raised:
                    lo, hi = max(lo, hi + 1), max(lo, hi + 1, 2 * hi, hi + 3)
                ints[v.symbol] = rng.randint(lo, hi) if hi >= lo else lo
            if admissible(ints) and ints not in points:
                points.append(ints)
                break
    if not points:
        raise SamplingError("no admissible integer point: the assumptions are contradictory or too narrow")
    return points, exhaustive, len(points) - len(grid)


@functools.lru_cache(maxsize=65536)
def _integers_hold(checks: tuple, ints: tuple) -> bool:
    # Remembered: every check of a derivation walks the same grid under the same constraints.
    point = {s: sp.Integer(v) for s, v in ints}
    return all(c.holds(point) for c in checks)


# ── reals ───────────────────────────────────────────────────────────────────────────────────
QUANTUM_BITS = 80


def quantize(value):
    """``value`` rounded to 80 bits. Drawn reals are this short so that the few sums and
    differences a draw makes (a maximum minus a gap) are exact at the working precision: a
    point on a constraint's boundary is then exactly on it, not just off it by rounding."""
    # One rounding to nearest at 80 bits, as mpf(value) under workprec(80) does, without the
    # cost of entering a precision context per draw (ints and floats are converted exactly).
    if isinstance(value, mpmath.mpf):
        raw = value._mpf_
    elif type(value) is int:
        raw = libmp.from_int(value)
    elif type(value) is float:
        raw = libmp.from_float(value)
    else:
        with mpmath.workprec(QUANTUM_BITS):
            return +mpmath.mpf(value)
    return mpmath.mp.make_mpf(libmp.mpf_pos(raw, QUANTUM_BITS, libmp.round_nearest))


def _raw(value) -> tuple:
    """An int, float or mpf as mpmath's raw tuple (ints and floats convert exactly)."""
    if type(value) is int:
        return libmp.from_int(value)
    if type(value) is float:
        return libmp.from_float(value)
    return value._mpf_


def _quantized(raw: tuple):
    return mpmath.mp.make_mpf(libmp.mpf_pos(raw, QUANTUM_BITS, libmp.round_nearest))


# The draws below make the same roundings as mpmath's operators would (each operation at the
# working precision, to nearest; then one rounding to QUANTUM_BITS), on raw tuples: building an
# mpf for every intermediate value was most of the sampler's time.
def _uniform_raw(rng: random.Random, lo, hi) -> tuple:
    r = rng.random()
    prec, rounding = mpmath.mp._prec_rounding
    if type(lo) in (int, float) and type(hi) in (int, float):
        span = _raw(hi - lo)  # Python's own subtraction, as ``(hi - lo) * mpf(r)`` did
    else:
        span = libmp.mpf_sub(_raw(hi), _raw(lo), prec, rounding)
    return libmp.mpf_add(libmp.mpf_mul(span, libmp.from_float(r, prec, rounding), prec, rounding), _raw(lo), prec, rounding)


def _uniform(rng: random.Random, lo, hi):
    """lo + (hi − lo)·r for a uniform r in [0, 1), rounded to QUANTUM_BITS."""
    return _quantized(_uniform_raw(rng, lo, hi))


_TEN = libmp.from_int(10)


def _power_of_ten(rng: random.Random, lo, hi) -> tuple:
    """10 to a uniform exponent in [lo, hi] (the exponent itself quantized), at the working precision."""
    prec, rounding = mpmath.mp._prec_rounding
    exponent = libmp.mpf_pos(_uniform_raw(rng, lo, hi), QUANTUM_BITS, libmp.round_nearest)
    return libmp.mpf_pow(_TEN, exponent, prec, rounding)


_HALF = mpmath.mpf(1) / 2


def draw_real(rng: random.Random, lo, hi):
    """A real: mostly from [lo, hi], sometimes near 0, far out, or a round value."""
    r = rng.random()
    if r < 0.6:
        return _uniform(rng, lo, hi)
    sign = 1 if rng.random() < 0.5 else -1
    if r < 0.72:
        power = _power_of_ten(rng, -6, -1)
        return _quantized(power if sign > 0 else libmp.mpf_neg(power))
    if r < 0.88:
        power = _power_of_ten(rng, 0.5, 3)
        return _quantized(power if sign > 0 else libmp.mpf_neg(power))
    return quantize(rng.choice((0, 1, -1, lo, hi, _HALF, -_HALF)))


_LOG10: dict = {}


def _log10(value) -> float:
    # The same few lower bounds come back at every draw.
    key = (_raw(value), mpmath.mp.prec)
    if key not in _LOG10:
        if len(_LOG10) >= 4096:  # a bound that depends on a drawn real is new at every draw
            _LOG10.clear()
        _LOG10[key] = float(mpmath.log10(value))
    return _LOG10[key]


def draw_positive(rng: random.Random, lo, hi):
    """A positive real: mostly from [lo, hi], sometimes near 0 or large."""
    r = rng.random()
    if r < 0.6:
        return _uniform(rng, lo, hi)
    if r < 0.8:
        return _quantized(_power_of_ten(rng, -6, _log10(lo)))
    if r < 0.95:
        prec, rounding = mpmath.mp._prec_rounding
        return _quantized(libmp.mpf_mul(_raw(hi), _power_of_ten(rng, 0, 4), prec, rounding))
    return quantize(rng.choice([1, lo, hi]))


def _draw_vector(rng: random.Random, v: RealVector, point: Point) -> dict:
    n = _int(v.length, point.ints)
    lo, hi = _num(v.lo, point), _num(v.hi, point)
    values = {i: draw_real(rng, lo, hi) for i in range(1, n + 1)}
    if v.max_at is None:
        # Ties: nothing forbids equal entries, and sampling alone would never hit one.
        if n > 1 and rng.random() < 0.3:
            for _ in range(rng.randint(1, n - 1)):
                a, b = rng.randint(1, n), rng.randint(1, n)
                values[b] = values[a]
        return values
    top, q = _int(v.max_at, point.ints), _int(v.ties, point.ints)
    gap = _num(v.gap, point)
    tied = {top} if q <= 1 else set(range(1, q + 1))
    if top not in tied:
        raise SamplingError(f"{v.base}: the maximum at {top} is outside the tie set 1..{q}")
    peak = draw_real(rng, lo, hi)  # the maximum's value varies too
    for i in range(1, n + 1):
        if i in tied:
            values[i] = peak
        elif rng.random() < 0.25:
            values[i] = peak - gap  # at the bound: a tie when gap = 0, where ties are allowed
        else:
            values[i] = peak - gap - abs(draw_real(rng, 0, hi - lo))
    return values


def _draw_array(rng: random.Random, v: RealArray, point: Point) -> dict:
    ranges = [range(_int(a, point.ints), _int(b, point.ints) + 1) for a, b in v.axes]
    lo, hi = _num(v.lo, point), _num(v.hi, point)
    return {index: draw_real(rng, lo, hi) for index in itertools.product(*ranges)}


def draw_reals(assumptions: Assumptions, rng: random.Random, ints: dict) -> Point:
    point = Point(dict(ints))
    for v in assumptions.variables:
        if isinstance(v, Integer):
            continue
        if isinstance(v, Positive):
            point.reals[v.symbol] = draw_positive(rng, _num(v.lo, point), _num(v.hi, point))
        elif isinstance(v, NonNegative):
            # 0 itself is declared too: drawn one time in six, otherwise like a positive.
            lo, hi = _num(v.lo, point), _num(v.hi, point)
            point.reals[v.symbol] = (mpmath.mpf(0) if rng.random() < 1 / 6
                                     else draw_positive(rng, lo if lo > 0 else hi / 100, hi))
        elif isinstance(v, Real):
            point.reals[v.symbol] = draw_real(rng, _num(v.lo, point), _num(v.hi, point))
        elif isinstance(v, RealArray):
            point.arrays[v.base] = _draw_array(rng, v, point)
        elif isinstance(v, RealVector):
            point.arrays[v.base] = _draw_vector(rng, v, point)
        elif isinstance(v, RealMatrix):
            lo, hi = _num(v.lo, point), _num(v.hi, point)
            rows, cols = (int(d) for d in v.symbol.shape)
            point.arrays[v.symbol] = {(i, j): draw_real(rng, lo, hi) for i in range(rows) for j in range(cols)}
    return point


def arrays_of(assumptions: Assumptions) -> list:
    """The declared vectors, arrays and matrices, in declaration order (passed to compiled code as dicts)."""
    return [v.base if isinstance(v, RealVector) else v.symbol
            for v in assumptions.variables if isinstance(v, (RealVector, RealMatrix))]


# ── constraints, compiled ───────────────────────────────────────────────────────────────────
class Admissibility:
    """Whether a point satisfies every constraint (and the shape of every vector's maximum)."""

    def __init__(self, assumptions: Assumptions) -> None:
        self.assumptions = assumptions
        self.integers = [v.symbol for v in assumptions.variables if isinstance(v, Integer)]
        self.reals = [v.symbol for v in assumptions.variables if isinstance(v, Real)]
        self.bases = arrays_of(assumptions)
        symbols = set(self.integers)
        self.checks: list[tuple[Constraint, Callable]] = []
        for c in assumptions.constraints:
            if _integer_only(c, symbols):
                continue  # settled once per integer point
            indices = [index for index, _, _ in c.forall]
            function = compile_entries([sp.sympify(c.where), c.relation],
                                       self.integers + indices + self.reals + self.bases)
            self.checks.append((c, function))
        self._bindings: dict = {}
        self.maxima = [v for v in assumptions.variables
                       if isinstance(v, RealVector) and not isinstance(v, RealArray) and v.max_at is not None]

    def _bindings_at(self, c: Constraint, ints: dict) -> list[tuple]:
        """The values of the constraint's forall indices at these integers, as mpf arguments
        (small integers: exact at every precision, so made once)."""
        key = (id(c), tuple(ints.items()))
        if key not in self._bindings:
            out: list[tuple] = []

            def walk(depth: int, scope: dict, values: tuple) -> None:
                if depth == len(c.forall):
                    out.append(tuple(mpmath.mpf(v) for v in values))
                    return
                index, lo, hi = c.forall[depth]
                for value in range(_int(lo, scope), _int(hi, scope) + 1):
                    walk(depth + 1, {**scope, index: value}, values + (value,))

            walk(0, dict(ints), ())
            self._bindings[key] = out
        return self._bindings[key]

    def __call__(self, point: Point) -> bool:
        if self.checks:
            ints = [mpmath.mpf(point.ints[s]) for s in self.integers]
            reals = [point.reals[s] for s in self.reals]
            arrays = [point.arrays.get(b, {}) for b in self.bases]
            for c, function in self.checks:
                for binding in self._bindings_at(c, point.ints):
                    where, holds = function(*ints, *binding, *reals, *arrays)
                    if where and not holds:
                        return False
        return self._maxima_hold(point)

    def _maxima_hold(self, point: Point) -> bool:
        # A vector drawn with its maximum at an index keeps that shape when the search moves it.
        for v in self.maxima:
            values = point.arrays[v.base]
            top, q = _int(v.max_at, point.ints), _int(v.ties, point.ints)
            tied = {top} if q <= 1 else set(range(1, q + 1))
            peak = values[top]
            if any(values[i] != peak for i in tied):
                return False
            below = peak - _num(v.gap, point)
            if any(values[i] > below for i in values if i not in tied):
                return False
        return True
