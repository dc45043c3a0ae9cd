"""Checkers for named inference rules that SymPy cannot apply on its own."""

from __future__ import annotations

import time

import sympy as sp

from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit
from derive.core.step import Squeeze

RULE_SECONDS = 6.0


def check_squeeze(lhs: sp.Expr, rhs: sp.Expr, rule: Squeeze, expand) -> MethodResult:
    """Both bounds must tend to the claimed limit (a SymPy limit of each bound).

    That lower ≤ f ≤ upper holds is the business of the premise steps the rule names; the
    runner checks that they exist, state exactly these bounds, and did not fail.
    """
    started = time.perf_counter()
    if not isinstance(lhs, sp.Limit):
        return MethodResult("squeeze", "failed", 0.0, "the squeeze rule needs a limit on the left")
    _, var, point, _direction = lhs.args
    target = expand(rhs)
    try:
        with time_limit(RULE_SECONDS):
            for name, bound in (("lower", rule.lower), ("upper", rule.upper)):
                value = sp.limit(expand(bound), var, point)
                if sp.simplify(value - target) != 0:
                    return MethodResult("squeeze", "failed", time.perf_counter() - started,
                                        f"the {name} bound tends to {value}, not to {target}")
    except CheckTimeout as exc:
        return MethodResult("squeeze", "timeout", time.perf_counter() - started, f"limits of the bounds {exc}")
    except Exception:  # noqa: BLE001 - SymPy's limit raising means "cannot decide", not a verdict
        return MethodResult("squeeze", "inconclusive", time.perf_counter() - started, "SymPy cannot take a bound's limit")
    return MethodResult("squeeze", "proved", time.perf_counter() - started,
                        f"both bounds tend to the limit; bounds from {rule.lower_step} and {rule.upper_step}")
