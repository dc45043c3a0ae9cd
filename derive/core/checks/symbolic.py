"""Symbolic checks: a proof by SymPy, or an honest 'inconclusive'.

SymPy sees the step through ``Declared`` (prepare.declared_view): every declared symbol is a
fresh Dummy with exactly the declared assumptions, only declared index bounds settle
conditions, and every intermediate result is guarded: a reduction in which a symbol appears
that the step does not declare (a summation index escaping its sum) is discarded, never used.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import sympy as sp

from derive.core.checks import ranges
from derive.core.checks.prepare import (Declared, Escaped, differentiate, entries, evaluate, settle_index_conditions,
                                        sum_deltas, reader_names)
from derive.core.checks.result import MethodResult
from derive.core.checks.timelimit import CheckTimeout, time_limit

SYMBOLIC_SECONDS = 6.0


def _as_declared(declared: Declared | list) -> Declared:
    # A plain list of ranges (old callers, tests): no renaming, nothing to guard against.
    if isinstance(declared, Declared):
        return declared
    return _Unguarded({}, list(declared), set())


class _Unguarded(Declared):
    def apply(self, expr: Any) -> Any:
        return expr

    def guard(self, expr: Any) -> Any:
        return expr

    def escaped(self, expr: Any) -> list[str]:
        return []


def _strategies(declared: Declared) -> list[tuple[str, Callable[[sp.Expr], sp.Expr]]]:
    """Reductions of lhs − rhs, each an identity (never force=True), cheapest first. Each one is
    given lhs − rhs already evaluated once (doit) with the declared index conditions settled."""
    g = declared.guard
    settle = lambda e: g(settle_index_conditions(g(e), declared.ranges))  # noqa: E731
    return [
        ("doit", lambda e: e),
        # Exact and cheap, before simplify: a second evaluation (a derivative of a sum yields a
        # sum of Kronecker deltas, which only a second doit sums), then polynomial expansion,
        # then cancelling a rational function. Each settles many steps in milliseconds that
        # simplify takes a second to settle.
        ("doit and expand", lambda e: g(sp.expand(settle(evaluate(e))))),
        ("cancel", lambda e: g(sp.cancel(g(sp.together(e))))),
        ("simplify", lambda e: g(sp.simplify(settle(g(sp.simplify(e)))))),
        ("expand", lambda e: g(sp.simplify(g(sp.powsimp(g(sp.expand(e))))))),
    ]


def _unsummed_bracket(expr: Any) -> bool:
    """Whether ``expr`` still holds a sum (that evaluation could not do) of a Piecewise whose
    conditions depend on the sum's own indexes: an Iverson bracket SymPy could not sum."""
    if not isinstance(expr, sp.Basic):
        return False
    for total in expr.atoms(sp.Sum):
        bound = set(total.variables)
        if any(set().union(*(c.free_symbols for _, c in p.args)) & bound for p in total.function.atoms(sp.Piecewise)):
            return True
    return False


def _differentiated_to_zero(differences: list, settle: Callable[[Any], Any]) -> bool:
    """Whether every entry of lhs − rhs expands to 0 once its derivatives and Kronecker-delta
    sums are worked out (``differentiate``, ``sum_deltas``): an exact decision, tried before evaluating every
    sum, which costs a derivation of sums most of its symbolic time. Anything else: not decided."""
    def zero(difference) -> bool:
        taken = differentiate(difference)
        # The delta sums only where the derivatives alone leave a difference (summing them is
        # most of this decision's cost, and a derivative of a sum often equals its unsummed form).
        return sp.expand(settle(taken)) == 0 or sp.expand(settle(sum_deltas(taken))) == 0

    try:
        return all(zero(d) for d in differences)
    except CheckTimeout:
        raise
    except Exception:  # noqa: BLE001 - a variable let loose (Escaped) or a SymPy crash: not decided here
        return False


def _is_zero(expr: sp.Expr) -> bool:
    return expr == 0 or (isinstance(expr, sp.Basic) and expr.is_zero is True)


def undeclared(lhs: Any, rhs: Any, declared: Declared) -> MethodResult | None:
    """The invariant: the checked expressions have no free symbol the step does not declare."""
    names = sorted(set(declared.escaped(lhs)) | set(declared.escaped(rhs)))
    if names:
        return MethodResult("symbolic", "failed", 0.0,
                            f"{', '.join(names)} free in the checked expression but not declared")
    return None


def _untrusted(lhs: Any, rhs: Any, declared: Declared, facts: Any) -> MethodResult | None:
    """Inconclusive when a sum may run backwards or hides a strided delta (see ``ranges``):
    SymPy's reductions would then prove identities of Karr's sums, not of the shown ones."""
    facts = ranges.facts_of_ranges(declared.ranges) if facts is None else facts
    why = ranges.trusted(lhs, facts) or ranges.trusted(rhs, facts)
    return MethodResult("symbolic", "inconclusive", 0.0, why) if why else None


def check_equal(lhs: Any, rhs: Any, declared: Declared | list, seconds: float = SYMBOLIC_SECONDS,
                facts: list | None = None) -> MethodResult:
    """Prove lhs = rhs by reducing every entry of lhs − rhs to 0. ``facts`` (expressions ≥ 0,
    in ``declared``'s symbols; default: its ranges) decide whether every sum runs forwards."""
    started = time.perf_counter()
    declared = _as_declared(declared)
    lhs, rhs = declared.apply(lhs), declared.apply(rhs)
    if len(entries(lhs)) != len(entries(rhs)):
        return MethodResult("symbolic", "failed", 0.0, "the two sides have different shapes")
    problem = undeclared(lhs, rhs, declared) or _untrusted(lhs, rhs, declared, facts)
    if problem:
        return problem
    differences = [a - b for a, b in zip(entries(lhs), entries(rhs))]
    left = "could not reduce lhs − rhs to 0"
    try:
        with time_limit(seconds):
            settle = lambda e: declared.guard(settle_index_conditions(declared.guard(e), declared.ranges))  # noqa: E731
            if _differentiated_to_zero(differences, settle):
                return MethodResult("symbolic", "proved", time.perf_counter() - started,
                                    "lhs − rhs = 0 by derivatives and Kronecker-delta sums, then expand")
            try:
                evaluated = [settle(evaluate(d)) for d in differences]
            except CheckTimeout:
                raise
            except Escaped as exc:
                evaluated = None
                left = (f"SymPy's doit let {reader_names(str(exc))} escape from their sums; "
                        "no reduction is used")
            except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide", never a verdict
                evaluated = None
                left = f"SymPy's doit could not decide ({type(exc).__name__})"
            bracketed = evaluated is not None and any(_unsummed_bracket(d) for d in evaluated)
            for name, strategy in (_strategies(declared) if evaluated is not None else ()):
                if bracketed and name in ("simplify", "expand"):
                    # Both end in simplify, which rewrites the bracket's conditions on the bound
                    # variables and lets them escape (a second or more, always discarded).
                    left = "SymPy could not sum an Iverson bracket over its own indexes; simplify is not tried"
                    break
                try:
                    reduced = [strategy(d) for d in evaluated]
                except CheckTimeout:
                    raise
                except Escaped as exc:
                    left = (f"SymPy's {name} let {reader_names(str(exc))} escape from their sums; "
                            "that reduction is not used")
                    if name == "simplify":
                        # The last reduction ends in simplify as well, on the same sums: it lets
                        # the same variables escape (a second or more, for nothing).
                        break
                    continue
                except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide", never a verdict
                    left = f"SymPy's {name} could not decide ({type(exc).__name__})"
                    continue
                if all(_is_zero(r) for r in reduced):
                    return MethodResult("symbolic", "proved", time.perf_counter() - started, f"lhs − rhs = 0 by {name}")
                nonzero = [r for r in reduced if r.is_number and r != 0 and r.is_comparable]
                if nonzero:
                    return MethodResult("symbolic", "failed", time.perf_counter() - started,
                                        f"lhs − rhs simplifies to {nonzero[0]}, not 0")
                # SymPy knows, from the declared facts alone, that an entry is never 0 (e.g.
                # e^{−10000(1+x²)} > 0): the claim is false everywhere, however small the gap is
                # at the samples (below any precision the numeric check uses).
                never_zero = [r for r in reduced if isinstance(r, sp.Basic) and r.is_zero is False]
                if never_zero:
                    return MethodResult("symbolic", "failed", time.perf_counter() - started,
                                        f"lhs − rhs is {declared.show(never_zero[0], 160)}, which is "
                                        "never 0 under the declared assumptions")
                left = f"lhs − rhs left as {declared.show(reduced[0], 160)}"
    except CheckTimeout as exc:
        return MethodResult("symbolic", "timeout", time.perf_counter() - started, f"symbolic check {exc}; fell back to numeric")
    return MethodResult("symbolic", "inconclusive", time.perf_counter() - started, left)


_ORDER = {"<=": ("is_nonnegative", False), "<": ("is_positive", True), ">=": ("is_nonnegative", False), ">": ("is_positive", True)}


def check_order(lhs: Any, rel: str, rhs: Any, declared: Declared | list, seconds: float = SYMBOLIC_SECONDS,
                thorough: bool = True, facts: list | None = None) -> MethodResult:
    """Prove an inequality from the sign of the simplified gap (the declared assumptions only).

    ``thorough=False`` looks at the evaluated gap only, without simplify (a quick first try)."""
    started = time.perf_counter()
    declared = _as_declared(declared)
    lhs, rhs = declared.apply(lhs), declared.apply(rhs)
    problem = undeclared(lhs, rhs, declared) or _untrusted(lhs, rhs, declared, facts)
    if problem:
        return problem
    attribute, _ = _ORDER[rel]
    gap = (rhs - lhs) if rel in ("<=", "<") else (lhs - rhs)
    g = declared.guard
    try:
        with time_limit(seconds):
            candidates = (lambda: g(gap.doit()),
                          lambda: g(sp.simplify(g(settle_index_conditions(g(gap.doit()), declared.ranges)))))
            for make in candidates[:None if thorough else 1]:
                try:
                    candidate = make()
                except Escaped:
                    continue
                verdict = getattr(candidate, attribute)
                if verdict is True:
                    return MethodResult("symbolic", "proved", time.perf_counter() - started, f"the gap {declared.show(candidate)} is {attribute[3:]}")
                if verdict is False and candidate.is_number:
                    return MethodResult("symbolic", "failed", time.perf_counter() - started, f"the gap is {candidate}")
    except CheckTimeout as exc:
        return MethodResult("symbolic", "timeout", time.perf_counter() - started, f"symbolic check {exc}; fell back to numeric")
    except Exception as exc:  # noqa: BLE001 - a SymPy crash means "could not decide"
        return MethodResult("symbolic", "inconclusive", time.perf_counter() - started, f"SymPy could not decide: {type(exc).__name__}")
    return MethodResult("symbolic", "inconclusive", time.perf_counter() - started,
                        "SymPy cannot decide the sign of the gap from the declared assumptions")
