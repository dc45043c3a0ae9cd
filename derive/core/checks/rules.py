"""Checkers for named inference rules that SymPy cannot apply on its own."""

from __future__ import annotations

import time

import sympy as sp

from derive.core.assumptions import Assumptions, NonNegative, Positive, Real
from derive.core.checks import ranges
from derive.core.checks.prepare import Declared
from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit
from derive.core.step import Squeeze

RULE_SECONDS = 6.0


def _side_problem(var: sp.Symbol, point: sp.Expr, direction: str, assumptions: Assumptions) -> str:
    """Why the premises (checked over the declared domain of ``var``) may not cover the sides of
    ``point`` the limit approaches from; empty when they do."""
    if point in (sp.oo, -sp.oo):
        return ""
    declared = [v for v in assumptions.variables if getattr(v, "symbol", None) == var]
    constrained = any(var in c.relation.free_symbols or var in sp.sympify(c.where).free_symbols
                      for c in assumptions.constraints)
    sides = {"+-": ("+", "-"), "+": ("+",), "-": ("-",)}[direction]
    if not declared:
        return f"{var} is not declared, so the bounds are not known near {point}"
    variable = declared[0]
    for side in sides:
        if type(variable) is Real and not constrained:
            continue
        if isinstance(variable, (Positive, NonNegative)) and not constrained and (point > 0 or (side == "+" and point >= 0)):
            continue
        where = "left" if side == "-" else "right"
        return (f"the limit approaches {point} from the {where}, but {var} is declared "
                f"{variable.declared}{' with constraints' if constrained else ''}, so the bounds are not known there")
    return ""


def check_squeeze(lhs: sp.Expr, rhs: sp.Expr, rule: Squeeze, expand,
                  assumptions: Assumptions | None = None, declared: Declared | None = None) -> MethodResult:
    """Both bounds must tend to the claimed limit, from every side the limit approaches.

    That lower ≤ f ≤ upper holds is the business of the premise steps the rule names; the
    runner checks that they exist, state exactly these bounds, and did not fail. Those premises
    hold on the declared domain of the limit variable, so a side of the point outside that
    domain (a two-sided limit of a variable declared positive) is refused.
    """
    started = time.perf_counter()
    if not isinstance(lhs, sp.Limit):
        return MethodResult("squeeze", "failed", 0.0, "the squeeze rule needs a limit on the left")
    _, var, point, direction = lhs.args
    direction = str(direction)
    if assumptions is not None:
        problem = _side_problem(var, point, direction, assumptions)
        if problem:
            return MethodResult("squeeze", "failed", 0.0, problem)
    apply = declared.apply if declared is not None else (lambda e: e)
    mapping = declared.mapping if declared is not None else {}
    var_d, point_d = mapping.get(var, var), sp.sympify(point).xreplace(mapping)
    target = apply(expand(rhs))
    # The limits are compared by SymPy, whose sums follow Karr's convention: only where every
    # range provably runs forwards (and no strided delta) do they mean the shown sums.
    if assumptions is not None:
        facts = ranges.declared_facts(assumptions, mapping)
        for shown in (target, apply(expand(rule.lower)), apply(expand(rule.upper))):
            why = ranges.trusted(shown, facts)
            if why:
                return MethodResult("squeeze", "inconclusive", time.perf_counter() - started, why)
    try:
        with time_limit(RULE_SECONDS):
            for name, bound in (("lower", rule.lower), ("upper", rule.upper)):
                value = sp.limit(apply(expand(bound)), var_d, point_d, dir=direction)
                if sp.simplify(value - target) != 0:
                    return MethodResult("squeeze", "failed", time.perf_counter() - started,
                                        f"the {name} bound tends to {value.xreplace({v: k for k, v in mapping.items()})}, not to {expand(rhs)}")
    except CheckTimeout as exc:
        return MethodResult("squeeze", "timeout", time.perf_counter() - started, f"limits of the bounds {exc}")
    except Exception:  # noqa: BLE001 - SymPy's limit raising means "cannot decide", not a verdict
        return MethodResult("squeeze", "inconclusive", time.perf_counter() - started, "SymPy cannot take a bound's limit")
    return MethodResult("squeeze", "proved", time.perf_counter() - started,
                        f"both bounds tend to the limit ({'both sides' if direction == '+-' else 'side ' + direction}); "
                        f"bounds from {rule.lower_step} and {rule.upper_step}")
