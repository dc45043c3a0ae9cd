"""Numeric checks: a seeded, budgeted search for a counterexample.

A step passes only if the search found none. What is searched (see ``sampling``): the small
integer grid exhaustively (or 48 points of it), integers past their sampling bound where no
upper bound is declared, reals in their range and near 0, far out and at round values, ties
and varied maxima in vectors. Both sides are compiled once (``compiled``) and evaluated with
mpmath at DIGITS significant digits:

* an equality must hold to a tolerance *relative* to the size of the terms of either side
  (``compiled.magnitude``: 10^-40 of it), a strict inequality by that margin, and a non-strict
  one may be violated by at most 10^-50 of it; a violation counts only if it persists when the
  precision is doubled (rounding shrinks, a genuine difference does not);
* an inequality is sampled, then the relative gap is actively minimised by a pattern search
  from the worst points found (SEARCH_EVALS evaluations); a value that is not real is a failure;
* a point where a side is undefined (division by zero, an infinity) is skipped, not counted;
* a limit is evaluated along irregular, non-integer sequences towards the point, from both
  sides when the limit is two-sided, and the gap must shrink below LIMIT_TOLERANCE.

Everything is deterministic: the random generator is seeded by the step's id.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import time
from typing import Any, Callable

import mpmath
import sympy as sp

from derive.core.assumptions import Assumptions, Integer, NonNegative, Positive, Real, RealArray, RealVector, SamplingError
from derive.core.checks import ranges
from derive.core.checks.compiled import NotCompilable, NotEvaluable, _prepare, compile_entries, flatten, magnitude
from derive.core.checks.prepare import entries
from derive.core.checks.result import MethodResult
from derive.core.checks.sampling import Admissibility, Point, arrays_of, draw_reals, integer_points, quantize
from derive.core.checks.timelimit import CheckTimeout, time_limit

DIGITS = 60  # working precision (significant digits)
TOLERANCE_DIGITS = 40  # sides must agree to 10^-40 of their size
EQUAL_POINTS = 48  # real points tried for an equality, spread over the integer points
ORDER_POINTS = 96  # ... for an inequality, before the search
SEARCH_EVALS = 300  # evaluations of the pattern search that minimises an inequality's gap
LIMIT_POINTS = 8  # points at which a limit is followed along its sequences
FALLBACK_POINTS = 8  # points when SymPy has to evaluate (an expression that does not compile)
NUMERIC_SECONDS = 20.0
# A limit variable goes to 10^e for each e (plus a random fraction: an irregular sequence), or
# to the point ± 10^-e; beyond 1e9 terms like log(n)/β are below 1e-8.
LIMIT_EXPONENTS = (1, 2, 3, 4, 6, 9, 12)
LIMIT_TOLERANCE = mpmath.mpf("1e-8")

__all__ = ["NotEvaluable", "check", "evaluate"]


def _seed(step_id: str) -> int:
    # A stable seed per step: the same step is tried at the same points on every machine.
    return int(hashlib.sha256(step_id.encode()).hexdigest()[:12], 16)


def _tolerance() -> Any:
    return mpmath.mpf(10) ** -(mpmath.mp.dps - (DIGITS - TOLERANCE_DIGITS))


def _whole(value: int) -> Any:
    # A small integer's mpf is exact at every precision, so it is made once; a large one is
    # rounded at the precision of the call.
    return _small_whole(value) if -2**53 < value < 2**53 else mpmath.mpf(value)


@functools.lru_cache(maxsize=4096)
def _small_whole(value: int) -> Any:
    return mpmath.mpf(value)


# ── evaluating both sides ───────────────────────────────────────────────────────────────────
class _Sides:
    """lhs and rhs entries at a point (and limit variables at given values).

    The sizes of the terms (``magnitude``) cost as much to evaluate as the sides themselves, and
    most comparisons are decided without them (see ``_violation``), so they are compiled and
    evaluated only when asked for.
    """

    def __init__(self, lhs: Any, rhs: Any, assumptions: Assumptions, keep: tuple = (),
                 functions: dict | None = None) -> None:
        self.left, self.right = flatten(lhs), flatten(rhs)
        if len(self.left) != len(self.right):
            raise NotEvaluable("the two sides have different shapes")
        self.keep = list(keep)
        self.integers = [v.symbol for v in assumptions.variables if isinstance(v, Integer)]
        self.reals = [v.symbol for v in assumptions.variables if isinstance(v, Real) and v.symbol not in keep]
        self.bases = arrays_of(assumptions)
        # Undefined functions the sides apply, and the callables that give their values.
        self.functions, self.implementations = tuple(functions or ()), tuple((functions or {}).values())
        self.compiled: Callable | None = None
        self._sizes: Callable | None | bool = None  # not compiled yet; False: cannot be
        self.why_sympy = ""
        self.second_looks = 0  # see _below_tolerance
        self.compared = 0  # comparisons where both sides were defined (see check)
        try:
            # Derivatives are taken once here, not again for the sizes.
            self.prepared = [_prepare(e) for e in self.left + self.right]
            self.compiled = compile_entries(self.prepared, self.integers + self.reals + self.keep + self.bases,
                                            self.functions)
        except NotCompilable as exc:
            if self.functions:
                raise  # SymPy cannot evaluate a function given as a callable: the caller decides
            self.why_sympy = str(exc)

    def _arguments(self, point: Point, at: dict) -> tuple:
        return (*(_whole(point.ints[s]) for s in self.integers),
                *(point.reals[s] for s in self.reals),
                *(at[s] for s in self.keep),
                *(point.arrays.get(b, {}) for b in self.bases), *self.implementations)

    def __call__(self, point: Point, at: dict | None = None, sizes: bool = True) -> list[tuple[Any, Any, Any]]:
        """(lhs, rhs, size) per entry; size is the larger of the sides' term sizes (magnitude),
        or None when not asked for (or where it cannot be compiled)."""
        at = at or {}
        n = len(self.left)
        if self.compiled is not None:
            values = self.compiled(*self._arguments(point, at))
            measured = self.sizes(point, at) if sizes else [None] * n
        else:
            values = self._sympy(point, at)
            measured = [max(abs(values[i]), abs(values[n + i])) for i in range(n)]
        return [(values[i], values[n + i], measured[i]) for i in range(n)]

    def sizes(self, point: Point, at: dict | None = None) -> list:
        """Every entry's size of terms at the point (None for each where it cannot be compiled)."""
        n = len(self.left)
        if self._sizes is None:
            try:
                self._sizes = compile_entries([magnitude(e) for e in self.prepared],
                                              self.integers + self.reals + self.keep + self.bases, self.functions)
            except NotCompilable:
                self._sizes = False
        if self._sizes is False:
            return [None] * n
        values = self._sizes(*self._arguments(point, at or {}))
        return [max(abs(values[i]), abs(values[n + i])) for i in range(n)]

    def _sympy(self, point: Point, at: dict) -> list:
        subs = point.sympy()
        integer_part = {s: v for s, v in subs.items() if s in set(self.integers)}
        rest = {s: v for s, v in subs.items() if s not in integer_part and s not in self.keep}
        rest.update({s: sp.Float(v, mpmath.mp.dps) for s, v in at.items()})
        out = []
        # SymPy evaluates a backwards range by Karr's convention; the reader means no terms.
        for e in [ranges.as_meant(e) for e in self.left + self.right]:
            value = e.subs(integer_part).doit().xreplace(rest).doit().evalf(mpmath.mp.dps)
            if value.free_symbols:
                raise NotEvaluable(f"no assumption declares {', '.join(sorted(str(s) for s in value.free_symbols))}")
            if not value.is_number:
                raise NotEvaluable(f"{sp.sstr(value)[:80]} has no numeric value; define every function a step uses")
            out.append(value._to_mpmath(mpmath.mp.prec))
        return out


def evaluate(expr: Any, point: dict, integers: set) -> list[sp.Float]:
    """Every entry of expr at a SymPy point, with DIGITS significant digits (kept for callers
    outside the search)."""
    integer_part = {k: v for k, v in point.items() if k in integers}
    rest = {k: v for k, v in point.items() if k not in integers}
    out = []
    for entry in entries(expr):
        value = ranges.as_meant(sp.sympify(entry)).subs(integer_part).doit().xreplace(rest).doit().evalf(DIGITS)
        if value.free_symbols:
            raise NotEvaluable(f"no assumption declares {', '.join(sorted(str(s) for s in value.free_symbols))}")
        out.append(value)
    return out


# ── verdicts ────────────────────────────────────────────────────────────────────────────────
def _is_real(value: Any) -> bool:
    if isinstance(value, mpmath.mpc):
        return value.imag == 0 and mpmath.isfinite(value.real)
    return mpmath.isfinite(value)


def _show(value: Any) -> str:
    # A complex value is written as SymPy writes it (a + b*I), so it reads as not real.
    if isinstance(value, mpmath.mpc) and value.imag != 0:
        sign = "+" if value.imag >= 0 else "-"
        return f"{mpmath.nstr(value.real, 12)} {sign} {mpmath.nstr(abs(value.imag), 12)}*I"
    return mpmath.nstr(mpmath.re(value) if isinstance(value, mpmath.mpc) else value, 12)


def _defined(value: Any) -> bool:
    return bool(mpmath.isfinite(value))


def _violation(rel: str, a: Any, b: Any, size: Any) -> str:
    """Why ``a rel b`` fails at the working precision; empty when it holds.

    The tolerance is relative to ``size``, the size of the terms of either side (so tiny
    values are compared relatively, and a cancellation's rounding is not a difference):
    10^-40 of it for an equality and a strict inequality's margin, 10^-50 for a non-strict
    inequality's violation.
    """
    scale = max(size, abs(a), abs(b)) if size is not None and _defined(size) else max(abs(a), abs(b))
    if rel == "=":
        if abs(a - b) <= _tolerance() * scale:
            return ""
        return f"lhs = {_show(a)}, rhs = {_show(b)}"
    for side, value in (("lhs", a), ("rhs", b)):
        if not _is_real(value):
            return f"{side} = {_show(value)} is not a real number, so the inequality is meaningless there"
    a, b = mpmath.re(a), mpmath.re(b)
    gap = (b - a) if rel in ("<=", "<") else (a - b)
    if rel in ("<", ">"):
        holds = gap > _tolerance() * scale
    else:
        holds = gap >= -_tolerance() * mpmath.mpf(10) ** -10 * scale
    return "" if holds else f"lhs = {_show(a)}, rhs = {_show(b)}"


# Rounding at DIGITS digits mostly leaves a relative difference below 10^-(DIGITS - ROUNDING_DIGITS)
# (in Homework 7, 9 points of all its steps exceed it, all rounding); a larger difference within
# the tolerance is looked at again at doubled precision, where rounding shrinks and a genuine
# difference (x·10^-45) does not. At most SECOND_LOOKS per check: a genuine difference shows at
# every point, and rounding noise then costs little.
ROUNDING_DIGITS = 3
SECOND_LOOKS = 4


def _below_tolerance(sides: _Sides, rel: str, a: Any, b: Any) -> bool:
    """An equality's sides differ (a non-strict inequality is violated) by more than rounding but
    within the tolerance: worth a second look at doubled precision, which then decides."""
    if rel in ("<", ">") or a == b or sides.second_looks >= SECOND_LOOKS or not (_defined(a) and _defined(b)):
        return False
    if rel == "=":
        off = abs(a - b)
    elif _is_real(a) and _is_real(b):
        off = -(mpmath.re(b) - mpmath.re(a) if rel == "<=" else mpmath.re(a) - mpmath.re(b))
    else:
        return False
    if off <= mpmath.mpf(10) ** -(mpmath.mp.dps - ROUNDING_DIGITS) * max(abs(a), abs(b)):
        return False
    sides.second_looks += 1
    return True


def _first_failure(sides: _Sides, rel: str, point: Point, at: dict | None = None,
                   evaluated: list | None = None) -> str:
    """A confirmed counterexample at ``point``, or ''. A point where a side is undefined
    (division by zero, an infinity) is no counterexample: the claim says nothing there.
    ``evaluated``: the sides and sizes at the point (at the working precision), if known."""
    # A larger size only widens the tolerance of an equality or a non-strict inequality, so
    # there the sizes are needed only where the sides alone do not settle it; a strict
    # inequality's margin grows with the size, so it always uses them.
    strict = rel in ("<", ">")
    if evaluated is not None:
        triples = evaluated if strict else [(a, b, None) for a, b, _ in evaluated]
    else:
        try:
            triples = sides(point, at, sizes=strict)
        except ZeroDivisionError:
            return ""
    for index, (a, b, size) in enumerate(triples):
        if not (_defined(a) and _defined(b)):
            continue
        sides.compared += 1
        why = _violation(rel, a, b, size)
        if why and not strict:
            try:
                size = evaluated[index][2] if evaluated is not None else sides.sizes(point, at)[index]
                why = _violation(rel, a, b, size)
            except ZeroDivisionError:
                pass  # no size here: the sides alone decide, as where a size is undefined
        if not why and _below_tolerance(sides, rel, a, b):
            why = (f"lhs = {_show(a)}, rhs = {_show(b)}: off by {_show(a - b)}, within the tolerance but not "
                   f"rounding, as it stays at {2 * DIGITS} digits")
        if why:
            # Confirmed only if it survives doubled precision (and a tolerance scaled to it):
            # rounding shrinks as the precision grows, a genuine difference does not.
            try:
                if not _survives(sides, rel, point, at, index):
                    continue
            except ZeroDivisionError:
                continue
            where = f" and {', '.join(f'{k}={mpmath.nstr(v, 6)}' for k, v in at.items())}" if at else ""
            return f"at {point.describe()}{where}: {why}"
    return ""


# A cancellation can make the terms 10^100 times the sides (10^100·Z + 1 with Z = 0 in a form
# SymPy cannot see): the tolerance, relative to the terms, then swallows a whole unit at 60 and at
# 120 digits. While an equality's sides agree only relative to their terms, not to their values,
# the precision is doubled again, up to this many digits.
CANCELLATION_DIGITS = 16 * DIGITS


def _survives(sides: _Sides, rel: str, point: Point, at: dict | None, index: int) -> bool:
    """The violation at ``index`` persists at doubled precision (and a tolerance scaled to it),
    doubled again while an equality holds only by the size of its terms."""
    digits = 2 * DIGITS
    while True:
        with mpmath.workdps(digits):
            a, b, size = sides(point, at)[index]
            if _violation(rel, a, b, size):
                return True
            if rel != "=" or digits >= CANCELLATION_DIGITS or not _violation(rel, a, b, None):
                return False
        digits *= 2


# ── the search ──────────────────────────────────────────────────────────────────────────────
def _relative_gap(sides: _Sides, rel: str, point: Point, evaluated: list | None = None) -> Any:
    """The smallest relative slack of an inequality at a point (negative: violated);
    ``evaluated``: the sides and sizes there, if known."""
    worst = mpmath.inf
    for a, b, size in (sides(point) if evaluated is None else evaluated):
        if not (_defined(a) and _defined(b)):
            continue
        if not (_is_real(a) and _is_real(b)):
            return -mpmath.inf
        a, b = mpmath.re(a), mpmath.re(b)
        gap = (b - a) if rel in ("<=", "<") else (a - b)
        scale = max(size, abs(a), abs(b)) if size is not None and _defined(size) else max(abs(a), abs(b))
        worst = min(worst, gap / scale if scale else gap)
    return worst


def _coordinates(point: Point, assumptions: Assumptions) -> list[tuple]:
    # Positive and nonnegative reals move by factors, so a move never leaves their domain.
    positive = {v.symbol for v in assumptions.variables if isinstance(v, (Positive, NonNegative))}
    coords = [("real", s, s in positive) for s in point.reals]
    coords += [("array", b, key) for b, values in point.arrays.items() for key in values]
    return coords


def _moved(point: Point, coord: tuple, step: Any) -> Point:
    moved = point.copy()
    if coord[0] == "real":
        _, symbol, positive = coord
        value = moved.reals[symbol]
        moved.reals[symbol] = quantize(value * mpmath.exp(step) if positive else value + step * max(1, abs(value)))
    else:
        _, base, key = coord
        value = moved.arrays[base][key]
        moved.arrays[base][key] = quantize(value + step * max(1, abs(value)))
    return moved


def _search(sides: _Sides, rel: str, starts: list[Point], admissible: Admissibility,
            assumptions: Assumptions, rng: random.Random, budget: int) -> str:
    """Pattern search: from each start, move one coordinate at a time while the relative gap
    shrinks, halving the step when no move helps. Returns a confirmed counterexample or ''."""
    per_start = max(1, budget // max(1, len(starts)))
    for start in starts:
        point, value, step, evals = start, _relative_gap(sides, rel, start), mpmath.mpf(1), 0
        coords = _coordinates(start, assumptions)
        while evals < per_start and step > mpmath.mpf(10) ** -12 and coords:
            rng.shuffle(coords)
            improved = False
            for coord in coords:
                for sign in (1, -1):
                    candidate = _moved(point, coord, sign * step)
                    if not admissible(candidate):
                        continue
                    try:
                        candidate_value = _relative_gap(sides, rel, candidate)
                    except (ZeroDivisionError, ValueError, TypeError):
                        continue
                    evals += 1
                    if candidate_value < value:
                        point, value, improved = candidate, candidate_value, True
                        if value < 0:
                            failure = _first_failure(sides, rel, point)
                            if failure:
                                return failure
                        break
                    if evals >= per_start:
                        break
                if evals >= per_start:
                    break
            if not improved:
                step /= 4
    return ""


# ── limits ──────────────────────────────────────────────────────────────────────────────────
def _unwrap_limits(expr: Any) -> tuple[Any, list[tuple[sp.Symbol, sp.Expr, str]]]:
    """Replace every Limit(f, v, p) by f, and say which variables approach which points."""
    approaches: list = []

    def unwrap(f, var, point, direction):
        # The limit's variable is bound: a fresh symbol moves, while the same name outside the
        # limit keeps its sampled value (lim 1/b = 1/b must not pass by moving both b).
        moving = sp.Dummy(var.name, integer=var.is_integer is True)
        approaches.append((moving, point, str(direction)))
        return f.xreplace({var: moving})

    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: _unwrap_limits(e)[0]), [a for e in expr for a in _unwrap_limits(e)[1]]
    if not isinstance(expr, sp.Basic):
        return expr, []
    return expr.replace(lambda e: isinstance(e, sp.Limit), lambda e: unwrap(*e.args)), approaches


def _has_limit(expr: Any) -> bool:
    return any(sp.sympify(e).has(sp.Limit) for e in entries(expr))


def _sequences(approaches, rng: random.Random, integers: set) -> list[tuple[str, list[dict]]]:
    """One sequence of values per side the limits approach from (irregular, non-integer)."""
    exponents = [e + mpmath.mpf(rng.random()) * 0.9 for e in LIMIT_EXPONENTS]
    two_sided = any(d == "+-" and p not in (sp.oo, -sp.oo) for _, p, d in approaches)
    out = []
    for side in (("+", "-") if two_sided else ("",)):
        sequence = []
        for e in exponents:
            values = {}
            for var, point, direction in approaches:
                size = mpmath.mpf(10) ** e
                if var in integers or var.is_integer:
                    size = mpmath.mpf(int(size))
                if point is sp.oo:
                    values[var] = size
                elif point is -sp.oo:
                    values[var] = -size
                else:
                    d = side or ("-" if direction == "-" else "+")
                    values[var] = mpmath.mpf(sp.Float(point, DIGITS)._to_mpmath(mpmath.mp.prec)) + (
                        -1 if d == "-" else 1) / size
            sequence.append(values)
        out.append((side, sequence))
    return out


def _limit_failure(sides: _Sides, rel: str, point: Point, sequences) -> str:
    for side, sequence in sequences:
        label = f" from the {'left' if side == '-' else 'right'}" if side else ""
        gaps = []
        for at in sequence:
            pairs = [(a, b) for a, b, _ in sides(point, at, sizes=False)]
            if rel == "=":
                for a, b in pairs:
                    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
                        return f"at {point.describe()}{label}: lhs = {_show(a)}, rhs = {_show(b)} along the sequence"
                gaps.append(max((abs(a - b) / max(1, abs(b)) for a, b in pairs), default=mpmath.mpf(0)))
            else:
                failure = _first_failure(sides, rel, point, at)
                if failure:
                    return failure + label
        if rel != "=":
            continue
        tail = gaps[-3:]
        shrinking = all(later <= earlier * (1 + mpmath.mpf("1e-6")) + LIMIT_TOLERANCE for earlier, later in zip(tail, tail[1:]))
        if gaps[-1] > LIMIT_TOLERANCE or not shrinking:
            last = ", ".join(f"{k}={mpmath.nstr(v, 6)}" for k, v in sequence[-1].items())
            return (f"at {point.describe()}{label}: the gap to the claimed limit is {mpmath.nstr(gaps[-1], 6)} "
                    f"at {last} (it does not tend to 0)")
    return ""


def _evaluated(sides: _Sides, point: Point) -> list | None:
    try:
        return sides(point)
    except ZeroDivisionError:
        return None


# ── the check ───────────────────────────────────────────────────────────────────────────────
def _points(assumptions: Assumptions, rng: random.Random, admissible: Admissibility, ints_list: list[dict],
            total: int):
    """``total`` admissible points spread evenly over the integer points (each at least once)."""
    reals = any(not isinstance(v, Integer) for v in assumptions.variables)
    # Without reals, a point is its integers: once each is all there is to try.
    per = max(1, math.ceil(total / len(ints_list))) if reals else 1
    found = 0
    for ints in ints_list:
        for _ in range(per):
            for _attempt in range(60):
                point = draw_reals(assumptions, rng, ints)
                if admissible(point):
                    found += 1
                    yield point
                    break
    if not found:
        raise SamplingError("no admissible point: the assumptions are contradictory or too narrow")


EDGES = 6  # edges tried per check, each at up to two points


def _edge_points(lhs: Any, rhs: Any, assumptions: Assumptions, bases: list, admissible: Admissibility) -> list[Point]:
    """Points that put one declared real exactly on an edge ``a·u + b = 0`` (a, b numbers) of a
    relation in either side, the rest as at points already drawn; only admissible ones."""
    reals = {v.symbol for v in assumptions.variables if isinstance(v, (Real, Positive, NonNegative))}
    edges: dict = {}
    for side in (lhs, rhs):
        if not isinstance(side, sp.Basic):
            continue
        for relation in side.atoms(sp.core.relational.Relational):
            if isinstance(relation, (sp.Eq, sp.Ne)) or len(relation.free_symbols) != 1:
                continue
            (symbol,) = relation.free_symbols
            if symbol not in reals:
                continue
            gap = sp.expand(relation.lhs - relation.rhs)
            slope, offset = gap.coeff(symbol, 1), gap.coeff(symbol, 0)
            if not (slope.is_number and offset.is_number) or slope == 0 or sp.expand(slope * symbol + offset - gap) != 0:
                continue
            edges.setdefault((symbol, -offset / slope), None)
    points = []
    for symbol, edge in list(edges)[:EDGES]:
        value = (mpmath.mpf(edge.p) / edge.q) if edge.is_Rational else mpmath.mpf(str(sp.N(edge, DIGITS + 10)))
        for base in bases:
            point = base.copy()
            point.reals[symbol] = value
            if admissible(point):
                points.append(point)
    return points


def check(step_id: str, lhs: Any, rel: str, rhs: Any, assumptions: Assumptions,
          samples: int | None = None, seconds: float = NUMERIC_SECONDS, functions: dict | None = None) -> MethodResult:
    """Search for a counterexample to ``lhs rel rhs`` among the admissible points.

    ``functions`` gives undefined functions applied in the sides their values (callables on mpmath
    numbers); NotCompilable is raised when the sides cannot be compiled with them."""
    started = time.perf_counter()
    rng = random.Random(_seed(step_id))
    limited = _has_limit(lhs) or _has_limit(rhs)
    method = "numeric-limit" if limited else "numeric"
    fail = lambda why: MethodResult(method, "failed", time.perf_counter() - started, why)  # noqa: E731
    try:
        with time_limit(seconds), mpmath.workdps(DIGITS):
            (lhs_u, left), (rhs_u, right) = _unwrap_limits(lhs), _unwrap_limits(rhs)
            approaches = left + right
            keep = tuple(dict.fromkeys(var for var, _, _ in approaches))
            sides = _Sides(lhs_u, rhs_u, assumptions, keep, functions)
            admissible = Admissibility(assumptions)
            ints_list, exhaustive, beyond = integer_points(assumptions, rng)
            integers = {v.symbol for v in assumptions.variables if isinstance(v, Integer)}
            compiled = sides.compiled is not None
            if not compiled:
                ints_list = ints_list[:FALLBACK_POINTS]
            if limited:
                total = LIMIT_POINTS
            else:
                total = samples or (EQUAL_POINTS if rel == "=" else ORDER_POINTS)
            if not compiled:
                total = min(total, FALLBACK_POINTS)
            tried, worst, firsts = 0, [], []
            for point in _points(assumptions, rng, admissible, ints_list, total):
                tried += 1
                if len(firsts) < 2:
                    firsts.append(point)
                # An inequality's sides and sizes are evaluated once for both the verdict and
                # the gap (where either is undefined, each asks on its own, as it always did).
                evaluated = _evaluated(sides, point) if rel != "=" and not limited and compiled else None
                if limited:
                    failure = _limit_failure(sides, rel, point, _sequences(approaches, rng, integers))
                else:
                    failure = _first_failure(sides, rel, point, evaluated=evaluated)
                if failure:
                    return fail(failure)
                if rel != "=" and not limited and compiled:
                    worst.append((_relative_gap(sides, rel, point, evaluated), tried, point))
            if not limited and compiled:
                # A condition on a real (u < 1 against u ≤ 1) differs from another only on its
                # edge, which random reals never hit: try each edge too, at the first points.
                for point in _edge_points(lhs_u, rhs_u, assumptions, firsts, admissible):
                    tried += 1
                    failure = _first_failure(sides, rel, point)
                    if failure:
                        return fail(f"on the edge of a condition: {failure}")
            if not limited and tried and not sides.compared:
                # Every point was skipped as undefined: nothing was compared, so nothing passed.
                return fail(f"a side is undefined at every one of the {tried} points tried")
            searched = 0
            if worst:
                worst.sort(key=lambda item: (item[0], item[1]))
                failure = _search(sides, rel, [p for _, _, p in worst[:3]], admissible, assumptions, rng, SEARCH_EVALS)
                if failure:
                    return fail(f"search: {failure}")
                searched = SEARCH_EVALS
    except CheckTimeout as exc:
        return MethodResult(method, "timeout", time.perf_counter() - started, f"numeric check {exc}")
    except (NotEvaluable, SamplingError) as exc:
        return fail(str(exc))
    except ZeroDivisionError:
        return fail("a side is undefined at an admissible point (division by zero)")
    except NotCompilable:
        raise
    except Exception as exc:  # noqa: BLE001 - an evaluation that breaks is never a pass
        return fail(f"could not evaluate the step: {type(exc).__name__}: {str(exc)[:120]}")
    detail = f"{tried} points, {DIGITS} digits, relative tolerance 1e-{TOLERANCE_DIGITS}"
    if integers:
        grid = "the whole grid" if exhaustive else "a sample of the grid"
        detail += f"; integers: {len(ints_list) - beyond} from {grid}, {beyond} beyond the sampled range"
    if searched:
        detail += f", gap search {searched} evaluations"
    if limited:
        detail += ", limit along irregular sequences" + (" from both sides" if any(
            d == "+-" for _, _, d in approaches) else "")
    if not compiled:
        detail += f" (evaluated by SymPy: {sides.why_sympy})"
    return MethodResult(method, "passed", time.perf_counter() - started, detail)
