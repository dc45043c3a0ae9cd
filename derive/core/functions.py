"""Unknown functions: ``arbitrary('f')`` stands for any smooth f.

Why: a derivation about "any differentiable f" must not be checked for one convenient f only.
SymPy's symbolic checks treat an arbitrary function as undefined, so a symbolic proof holds for
every f. The numeric check cannot evaluate an undefined function, so it replaces each arbitrary
function by several random smooth stand-ins of different kinds (trigonometric, exponential,
rational) and asks the step to hold for every one of them: an identity that is true only for,
say, f = exp is caught by the others.
"""

from __future__ import annotations

import functools
import random
from typing import Any, Callable

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from derive.core.checks.prepare import differentiate
from derive.core.checks.result import MethodResult

#: How many different stand-ins the numeric check tries for every arbitrary function.
STAND_INS = 3

_ARBITRARY: dict[UndefinedFunction, int] = {}


def arbitrary(name: str, nargs: int = 1) -> UndefinedFunction:
    """A function symbol for "any smooth function of ``nargs`` real arguments".

    Use it like any SymPy function: ``f = arbitrary('f'); f(t)``, ``sp.diff(f(t)**2, t)``.
    Symbolic checks treat it as undefined (a proof holds for every f); numeric checks try
    several random smooth stand-ins and the step must hold for each of them.
    """
    if not isinstance(nargs, int) or nargs < 1:
        raise ValueError(f"arbitrary({name!r}): nargs must be a positive integer, not {nargs!r}")
    function = sp.Function(name)
    _ARBITRARY[function] = nargs
    return function


def is_arbitrary(function: Any) -> bool:
    return function in _ARBITRARY


def nargs_of(function: UndefinedFunction) -> int:
    """How many arguments an arbitrary function was declared with."""
    return _ARBITRARY[function]


def arbitrary_in(*exprs: Any) -> list[UndefinedFunction]:
    """The arbitrary functions applied anywhere in ``exprs`` (matrices included), in a stable order."""
    found = set()
    for expr in exprs:
        items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
        for item in items:
            if isinstance(item, sp.Basic):
                found |= {a.func for a in item.atoms(AppliedUndef) if a.func in _ARBITRARY}
    return sorted(found, key=str)


def undefined_in(expr: Any) -> list[str]:
    """Names of undefined functions in ``expr`` that were not declared with ``arbitrary``."""
    items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    names = set()
    for item in items:
        if isinstance(item, sp.Basic):
            names |= {str(a.func) for a in item.atoms(AppliedUndef) if a.func not in _ARBITRARY}
    return sorted(names)


def _coefficient(rng: random.Random, lo: float, hi: float) -> sp.Rational:
    return sp.Rational(round(rng.uniform(lo, hi) * 1000), 1000)


def stand_in(kind: int, nargs: int, rng: random.Random) -> sp.Lambda:
    """A random smooth function of ``nargs`` arguments; ``kind`` picks the family.

    The families differ in kind, not just in coefficients, so no nontrivial identity between f,
    f', f'' … holds for all of them: 0 trigonometric, 1 exponential, 2 rational plus polynomial.
    """
    args = sp.symbols(f"u1:{nargs + 1}", real=True)
    weights = [_coefficient(rng, 0.5, 1.5) * rng.choice((-1, 1)) for _ in args]
    coefficients = (*weights, *(_coefficient(rng, 0.4, 1.6) for _ in range(4)))
    if nargs > 1:
        coefficients += (_coefficient(rng, 0.2, 0.8),)
    lam = sp.Lambda(args, _body(kind % 3, args, coefficients))
    if len(_DRAWN) >= _DRAWN_LIMIT:
        _DRAWN.clear()
    _DRAWN[lam] = (kind % 3, coefficients)
    return lam


def _body(family: int, args: tuple, coefficients: tuple) -> sp.Expr:
    """The stand-in of ``family`` with these coefficients (numbers, or symbols for the family)."""
    weights, (a, b, c, d) = coefficients[:len(args)], coefficients[len(args):len(args) + 4]
    s = sum(w * x for w, x in zip(weights, args))
    if family == 0:
        body = a * sp.sin(b * s + c) + d * s
    elif family == 1:
        body = a * sp.exp(b * s / 2) - c * s + d
    else:
        body = a / (1 + (s - c) ** 2) + d * s**2 / 4 + b
    if len(args) > 1:  # a term that couples the arguments, so f(x, y) is not a function of one sum
        body += coefficients[-1] * sp.Mul(*[sp.tanh(x) for x in args])
    return body


# Each stand-in drawn by ``stand_in``: its family and coefficients (so that its derivatives are
# evaluated by the family's compiled derivative, see ``_implementations``). Bounded: it only saves work.
_DRAWN: dict[sp.Lambda, tuple[int, tuple]] = {}
_DRAWN_LIMIT = 4096


def substitute(expr: Any, replacements: dict[UndefinedFunction, sp.Lambda]) -> Any:
    """``expr`` with each arbitrary function replaced by its stand-in, derivatives worked out."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: substitute(e, replacements))
    if not isinstance(expr, sp.Basic):
        return expr
    out = expr
    for function, lam in replacements.items():
        out = out.replace(function, lam)
    # Derivatives and Subs of the stand-ins are evaluated; nothing else is rewritten. Not deep:
    # a deep doit() would also try to sum a Sum over a symbolic range in closed form (minutes for
    # d/dz_q Σ_i g_i σ(z_i)); the numeric samples expand it at each size instead.
    return differentiate(out)


NumericCheck = Callable[..., MethodResult]


# ── stand-ins as arguments: one compilation of the sides for every stand-in ────────────────────
def _value_at(function: UndefinedFunction, order: int) -> UndefinedFunction:
    """The function "f⁽ᵒʳᵈᵉʳ⁾ at a point" of the sides in which stand-ins are arguments."""
    return sp.Function(f"_stand_in_{function}_d{order}")


def _derivative_of(node: sp.Basic) -> tuple[UndefinedFunction, int] | None:
    """(f, n) when ``node`` is Derivative(f(x), (x, n)) of an arbitrary f of one argument x."""
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1:
        return None
    inner, ((variable, order),) = node.expr, node.variable_count
    if (isinstance(inner, AppliedUndef) and inner.func in _ARBITRARY and inner.args == (variable,)
            and isinstance(order, (int, sp.Integer))):
        return inner.func, int(order)
    return None


class _OtherForm(Exception):
    """An arbitrary function stays in a form that is not a value of it or of a derivative."""


def _with_values(expr: sp.Basic, used: set) -> sp.Basic:
    """``expr`` with every f⁽ⁿ⁾(e) of an arbitrary f written ``_value_at(f, n)(e)``; ``used``
    collects the (f, n) met. Raises _OtherForm for anything else that still holds an f."""
    if not expr.args or not expr.has(*_ARBITRARY):
        return expr
    if isinstance(expr, sp.Subs) and len(expr.variables) == 1:
        found = _derivative_of(expr.expr)
        if found and expr.expr.variable_count[0][0] == expr.variables[0]:  # f⁽ⁿ⁾ at the point
            used.add(found)
            return _value_at(*found)(_with_values(expr.point[0], used))
    found = _derivative_of(expr)
    if found:  # f⁽ⁿ⁾ at its own variable
        used.add(found)
        return _value_at(*found)(expr.variable_count[0][0])
    if isinstance(expr, AppliedUndef) and expr.func in _ARBITRARY:
        if _ARBITRARY[expr.func] != 1:
            raise _OtherForm(str(expr.func))
        used.add((expr.func, 0))
        return _value_at(expr.func, 0)(*[_with_values(a, used) for a in expr.args])
    if isinstance(expr, (sp.Derivative, sp.Subs, sp.Integral)):
        raise _OtherForm(type(expr).__name__)  # what it does to its variable must see f itself
    args = [_with_values(a, used) if isinstance(a, sp.Basic) else a for a in expr.args]
    return expr.func(*args)


def with_values(lhs: Any, rhs: Any) -> tuple[Any, Any, list[tuple[UndefinedFunction, int]]] | None:
    """lhs and rhs with derivatives worked out (f undefined, the chain rule) and every value of an
    arbitrary function or of its derivatives at a point written as an application of a function
    ``_value_at(f, n)``, plus the (f, n) used; None where that leaves f in another form (a
    function of several arguments, an unevaluated derivative of an expression in f)."""
    used: set = set()

    def rewrite(side: Any) -> Any:
        if isinstance(side, sp.MatrixBase):
            return side.applyfunc(rewrite)
        if not isinstance(side, sp.Basic):
            return side
        return _with_values(differentiate(side), used)

    try:
        out = rewrite(lhs), rewrite(rhs)
    except _OtherForm:
        return None
    if arbitrary_in(*out):
        return None
    return out[0], out[1], sorted(used, key=lambda pair: (str(pair[0]), pair[1]))


def _implementations(used: list[tuple[UndefinedFunction, int]],
                     replacements: dict[UndefinedFunction, sp.Lambda]) -> dict[UndefinedFunction, Callable]:
    """The callables giving each stand-in's n-th derivative on mpmath numbers, at the working
    precision of each call (exact rational coefficients)."""
    return {_value_at(function, order): _derivative(replacements[function], order) for function, order in used}


def _derivative(lam: sp.Lambda, order: int) -> Callable:
    """The ``order``-th derivative of the one-argument ``lam`` as a callable on mpmath numbers. A
    stand-in that ``stand_in`` drew is evaluated by its family's derivative, differentiated and
    compiled once per process, at its coefficients; any other function is differentiated here."""
    from derive.core.checks.compiled import compile_entries

    drawn = _DRAWN.get(lam)
    if drawn is None:
        (u,) = lam.variables
        compiled = compile_entries([sp.diff(lam.expr, u, order)], [u])
        return lambda x: compiled(x)[0]
    family, coefficients = drawn
    compiled = _family_derivative(family, len(coefficients), order)
    at_precision: dict = {}

    def value(x):
        # Each coefficient to the working precision of the call (the second look doubles it).
        exact = at_precision.get(mpmath.mp.prec)
        if exact is None:
            exact = at_precision[mpmath.mp.prec] = [mpmath.mpf(c.p) / c.q for c in coefficients]
        return compiled(x, *exact)[0]

    return value


@functools.lru_cache(maxsize=64)
def _family_derivative(family: int, count: int, order: int) -> Callable:
    """d^order/du^order of a one-argument stand-in of ``family``, compiled with its ``count``
    coefficients as further arguments."""
    from derive.core.checks.compiled import compile_entries

    u = sp.Symbol("u1", real=True)
    coefficients = sp.symbols(f"k0:{count}", real=True)
    return compile_entries([sp.diff(_body(family, (u,), coefficients), u, order)], [u, *coefficients])


def _crashed(error: Exception) -> MethodResult:
    """A crash while evaluating fails the step with one line, never a worker's traceback."""
    return MethodResult("numeric", "failed", 0.0, f"could not evaluate the step: {type(error).__name__}: {error}"[:300])


def _guarded(check: NumericCheck, step_id: str, lhs: Any, rel: str, rhs: Any, assumptions: Any) -> MethodResult:
    try:
        return check(step_id, lhs, rel, rhs, assumptions)
    except Exception as error:  # noqa: BLE001 - SymPy or mpmath raising is "cannot confirm", a failure
        return _crashed(error)


def numeric_with_stand_ins(check: NumericCheck, step_id: str, lhs: Any, rel: str, rhs: Any,
                           assumptions: Any) -> MethodResult:
    """Run ``check`` once per stand-in of every arbitrary function; all must pass.

    Where every arbitrary function enters the sides only through its values and its derivatives'
    values at points, the sides are compiled once and each stand-in is passed to them as callables
    (``check`` takes ``functions=``); otherwise each stand-in is substituted and compiled anew."""
    functions = arbitrary_in(lhs, rhs)
    if not functions:
        return _guarded(check, step_id, lhs, rel, rhs, assumptions)
    from derive.core.checks.compiled import NotCompilable

    as_values = with_values(lhs, rhs)
    seconds = 0.0
    last: MethodResult | None = None
    for kind in range(STAND_INS):
        rng = random.Random(f"{step_id}/stand-in/{kind}")
        replacements = {f: stand_in(kind, _ARBITRARY[f], rng) for f in functions}
        # A different seed per stand-in, so the points differ as well as the functions.
        last = None
        if as_values is not None:
            try:
                last = check(f"{step_id}#{kind}", as_values[0], rel, as_values[1], assumptions,
                             functions=_implementations(as_values[2], replacements))
            except NotCompilable:
                as_values = None  # substituted from now on
            except Exception as error:  # noqa: BLE001 - as in _guarded
                last = _crashed(error)
        if last is None:
            last = _guarded(check, f"{step_id}#{kind}", substitute(lhs, replacements), rel,
                            substitute(rhs, replacements), assumptions)
        seconds += last.seconds
        if last.outcome != "passed":
            shown = ", ".join(f"{f} = {sp.sstr(lam.expr)}" for f, lam in replacements.items())
            return MethodResult(last.method, last.outcome, seconds, f"{last.detail} (with {shown})")
    names = ", ".join(str(f) for f in functions)
    return MethodResult(last.method, "passed", seconds, f"{last.detail}, each for {STAND_INS} random stand-ins of {names}")
