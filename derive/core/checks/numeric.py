"""Numeric checks: evaluate both sides at random admissible points with mpmath precision.

Sizes and indices are drawn as small integers too, so a statement about general n is tried at
several concrete n. A limit is checked by evaluating at a growing sequence of the variable and
asking that the gap to the claimed value shrinks to (near) zero.
"""

from __future__ import annotations

import hashlib
import random
import time
from typing import Any

import sympy as sp

from derive.core.assumptions import Assumptions, Integer, SamplingError
from derive.core.checks.prepare import entries
from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit

DIGITS = 40
SAMPLES = 6
# An inequality can hold at many points and fail at a few, so it is tried at more of them.
ORDER_SAMPLES = 12
NUMERIC_SECONDS = 20.0
# Points at which a limit variable is evaluated; beyond 1e9 terms like log(n)/β are below 1e-8.
LIMIT_SEQUENCE = (10, 100, 10**3, 10**4, 10**6, 10**9, 10**12)
LIMIT_TOLERANCE = sp.Float("1e-8", DIGITS)


class NotEvaluable(Exception):
    """An expression kept a symbol that no assumption declares."""


def _seed(step_id: str) -> int:
    # A stable seed per step: the same step is tried at the same points on every machine.
    return int(hashlib.sha256(step_id.encode()).hexdigest()[:12], 16)


def evaluate(expr: Any, point: dict, integers: set) -> list[sp.Float]:
    """Every entry of expr at point, as numbers with DIGITS significant digits."""
    return [_number(e) for e in _instantiate(expr, point, integers)]


def _instantiate(expr: Any, point: dict, integers: set, keep: tuple = ()) -> list[sp.Expr]:
    """Entries with sizes and indices fixed, finite sums expanded, and reals substituted —
    except the symbols in ``keep`` (a limit variable), which stay free."""
    integer_part = {k: v for k, v in point.items() if k in integers}
    rest = {k: v for k, v in point.items() if k not in integers and k not in keep}
    # subs for sizes and indices (it respects the bound variables of sums); xreplace for the
    # reals, which bind nothing and are many (one per vector entry).
    return [sp.sympify(entry).subs(integer_part).doit().xreplace(rest).doit() for entry in entries(expr)]


def _number(value: sp.Expr, at: dict | None = None) -> sp.Float:
    value = value.evalf(DIGITS, subs=at) if at else value.evalf(DIGITS)
    if value.free_symbols:
        names = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise NotEvaluable(f"no assumption declares {names}")
    if not value.is_number:  # an undefined function at numbers, say: no value to compare
        raise NotEvaluable(f"{sp.sstr(value)[:80]} has no numeric value; define every function a step uses")
    return value


def _limits(expr: Any) -> list[sp.Limit]:
    return sorted({lim for e in entries(expr) for lim in sp.sympify(e).atoms(sp.Limit)}, key=sp.srepr)


def _unwrap_limits(expr: Any) -> tuple[Any, list[tuple[sp.Symbol, sp.Expr, str]]]:
    """Replace every Limit(f, v, p) by f, and say which variables approach which points."""
    approaches: list = []

    def unwrap(f, var, point, direction):
        approaches.append((var, point, str(direction)))
        return f

    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: _unwrap_limits(e)[0]), [a for e in expr for a in _unwrap_limits(e)[1]]
    return expr.replace(lambda e: isinstance(e, sp.Limit), lambda e: unwrap(*e.args)), approaches


def _approach_values(approaches, magnitude: int) -> dict:
    values = {}
    for var, point, direction in approaches:
        if point is sp.oo:
            values[var] = sp.Integer(magnitude)
        elif point is -sp.oo:
            values[var] = -sp.Integer(magnitude)
        else:
            values[var] = point + (-1 if direction == "-" else 1) * sp.Rational(1, magnitude)
    return values


def _close(a: sp.Float, b: sp.Float) -> bool:
    if a.is_real is False or b.is_real is False:
        return abs(complex(a) - complex(b)) <= 1e-25 * max(1.0, abs(complex(a)), abs(complex(b)))
    scale = max(1, abs(a), abs(b))
    return abs(a - b) <= sp.Float(10) ** (-(DIGITS - 12)) * scale


def _holds(rel: str, a: sp.Float, b: sp.Float) -> bool:
    slack = sp.Float(10) ** (-(DIGITS - 12)) * max(1, abs(a), abs(b))
    return {
        "=": lambda: _close(a, b),
        "<=": lambda: a <= b + slack,
        "<": lambda: a < b,
        ">=": lambda: a >= b - slack,
        ">": lambda: a > b,
    }[rel]()


def _describe(point: dict) -> str:
    shown = sorted(point.items(), key=lambda kv: str(kv[0]))
    return ", ".join(f"{k}={sp.N(v, 6)}" for k, v in shown[:10]) + (" …" if len(shown) > 10 else "")


def check(step_id: str, lhs: Any, rel: str, rhs: Any, assumptions: Assumptions,
          samples: int | None = None, seconds: float = NUMERIC_SECONDS) -> MethodResult:
    """Compare both sides at ``samples`` admissible points; a limit is tried along a sequence."""
    started = time.perf_counter()
    samples = samples or (SAMPLES if rel == "=" else ORDER_SAMPLES)
    rng = random.Random(_seed(step_id))
    integers = {v.symbol for v in assumptions.variables if isinstance(v, Integer)}
    has_limit = bool(_limits(lhs) or _limits(rhs))
    method = "numeric-limit" if has_limit else "numeric"
    try:
        with time_limit(seconds):
            for _ in range(samples):
                point = assumptions.sample(rng)
                if has_limit:
                    failure = _limit_counterexample(lhs, rel, rhs, point, integers)
                else:
                    failure = _counterexample(lhs, rel, rhs, point, integers)
                if failure:
                    return MethodResult(method, "failed", time.perf_counter() - started, failure)
    except CheckTimeout as exc:
        return MethodResult(method, "timeout", time.perf_counter() - started, f"numeric check {exc}")
    except (NotEvaluable, SamplingError) as exc:
        return MethodResult(method, "failed", time.perf_counter() - started, str(exc))
    detail = f"{samples} points, {DIGITS} digits"
    if has_limit:
        detail += f", variable up to {LIMIT_SEQUENCE[-1]:.0e}"
    return MethodResult(method, "passed", time.perf_counter() - started, detail)


def _counterexample(lhs, rel, rhs, point, integers) -> str:
    left, right = evaluate(lhs, point, integers), evaluate(rhs, point, integers)
    if len(left) != len(right):
        return "the two sides have different shapes"
    for a, b in zip(left, right):
        if not _holds(rel, a, b):
            return f"at {_describe(point)}: lhs = {sp.N(a, 12)}, rhs = {sp.N(b, 12)}"
    return ""


def _limit_counterexample(lhs, rel, rhs, point, integers) -> str:
    (lhs, left_approaches), (rhs, right_approaches) = _unwrap_limits(lhs), _unwrap_limits(rhs)
    approaches = left_approaches + right_approaches
    variables = tuple({var for var, _, _ in approaches})
    # Sizes, sums and reals are fixed once per point; only the limit variable moves.
    left_entries = _instantiate(lhs, point, integers, keep=variables)
    right_entries = _instantiate(rhs, point, integers, keep=variables)
    gaps = []
    for magnitude in LIMIT_SEQUENCE:
        at = _approach_values(approaches, magnitude)
        left = [_number(e, at) for e in left_entries]
        right = [_number(e, at) for e in right_entries]
        if rel == "=":
            gaps.append(max(abs(a - b) for a, b in zip(left, right)))
        else:
            for a, b in zip(left, right):
                if not _holds(rel, a, b):
                    return f"at {_describe(point)} and {magnitude:.0e}: lhs = {sp.N(a, 12)}, rhs = {sp.N(b, 12)}"
    if rel != "=":
        return ""
    tail = gaps[-3:]
    shrinking = all(later <= earlier * (1 + sp.Float("1e-6")) + LIMIT_TOLERANCE for earlier, later in zip(tail, tail[1:]))
    if gaps[-1] > LIMIT_TOLERANCE or not shrinking:
        return (f"at {_describe(point)}: the gap to the claimed limit is {sp.N(gaps[-1], 6)} "
                f"at {LIMIT_SEQUENCE[-1]:.0e} (it does not tend to 0)")
    return ""
