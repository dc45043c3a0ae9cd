"""Symbolic checks: a proof by SymPy, or an honest 'inconclusive'."""

from __future__ import annotations

import time
from typing import Any, Callable

import sympy as sp

from derive.core.checks.prepare import entries, settle_index_conditions
from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit

SYMBOLIC_SECONDS = 6.0


def _strategies(ranges) -> list[tuple[str, Callable[[sp.Expr], sp.Expr]]]:
    settle = lambda e: settle_index_conditions(e, ranges)  # noqa: E731
    return [
        ("doit", lambda e: settle(e.doit())),
        ("simplify", lambda e: sp.simplify(settle(sp.simplify(settle(e.doit()))))),
        ("expand", lambda e: sp.simplify(sp.powsimp(sp.expand(settle(e.doit()), force=True), force=True))),
    ]


def _is_zero(expr: sp.Expr) -> bool:
    return expr == 0 or (isinstance(expr, sp.Basic) and expr.is_zero is True)


def check_equal(lhs: Any, rhs: Any, ranges, seconds: float = SYMBOLIC_SECONDS) -> MethodResult:
    """Prove lhs = rhs by reducing every entry of lhs − rhs to 0."""
    started = time.perf_counter()
    differences = [a - b for a, b in zip(entries(lhs), entries(rhs))]
    if len(entries(lhs)) != len(entries(rhs)):
        return MethodResult("symbolic", "failed", 0.0, "the two sides have different shapes")
    left = "could not reduce lhs − rhs to 0"
    try:
        with time_limit(seconds):
            for name, strategy in _strategies(ranges):
                try:
                    reduced = [strategy(d) for d in differences]
                except CheckTimeout:
                    raise
                except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide", never a verdict
                    left = f"SymPy's {name} could not decide ({type(exc).__name__})"
                    continue
                if all(_is_zero(r) for r in reduced):
                    return MethodResult("symbolic", "proved", time.perf_counter() - started, f"lhs − rhs = 0 by {name}")
                nonzero = [r for r in reduced if r.is_number and r != 0 and r.is_comparable]
                if nonzero:
                    return MethodResult("symbolic", "failed", time.perf_counter() - started,
                                        f"lhs − rhs simplifies to {nonzero[0]}, not 0")
                left = f"lhs − rhs left as {sp.sstr(reduced[0])[:160]}"
    except CheckTimeout as exc:
        return MethodResult("symbolic", "timeout", time.perf_counter() - started, f"symbolic check {exc}; fell back to numeric")
    return MethodResult("symbolic", "inconclusive", time.perf_counter() - started, left)


_ORDER = {"<=": ("is_nonnegative", False), "<": ("is_positive", True), ">=": ("is_nonnegative", False), ">": ("is_positive", True)}


def check_order(lhs: Any, rel: str, rhs: Any, ranges, seconds: float = SYMBOLIC_SECONDS) -> MethodResult:
    """Prove an inequality from the sign of the simplified gap (SymPy's assumptions on symbols)."""
    started = time.perf_counter()
    attribute, _ = _ORDER[rel]
    gap = (rhs - lhs) if rel in ("<=", "<") else (lhs - rhs)
    try:
        with time_limit(seconds):
            for candidate in (gap.doit(), sp.simplify(settle_index_conditions(gap.doit(), ranges))):
                verdict = getattr(candidate, attribute)
                if verdict is True:
                    return MethodResult("symbolic", "proved", time.perf_counter() - started, f"the gap {sp.sstr(candidate)[:80]} is {attribute[3:]}")
                if verdict is False and candidate.is_number:
                    return MethodResult("symbolic", "failed", time.perf_counter() - started, f"the gap is {candidate}")
    except CheckTimeout as exc:
        return MethodResult("symbolic", "timeout", time.perf_counter() - started, f"symbolic check {exc}; fell back to numeric")
    except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide"
        return MethodResult("symbolic", "inconclusive", time.perf_counter() - started, f"SymPy could not decide: {type(exc).__name__}")
    return MethodResult("symbolic", "inconclusive", time.perf_counter() - started,
                        "SymPy cannot decide the sign of the gap from its symbols' assumptions")

