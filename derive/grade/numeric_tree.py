"""A parsed answer's value at a point, computed by mpmath in one pass over its tree.

Why not SymPy's ``evalf``: it evaluates nested constants by re-evaluating every subtree at a
rising precision, which is exponential in the depth (``log(log(…log(2)…))`` 13 deep never
finishes), and substituting exact values into a tower ``x^x^…^x`` makes SymPy compute exact
rational powers with astronomically large integers. Here every node is evaluated once, in
floating point at a fixed precision, and a power whose result would not fit is reported as
:class:`Overflow` before it is computed.

Guarded precision: the value is computed twice, at ``dps`` and at ``dps + GUARD_DIGITS``; if the
two disagree (catastrophic cancellation), :func:`evaluate` raises :class:`Unsupported`, so the
caller falls back to SymPy (under its time limit) instead of trusting a wrong digit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mpmath
import sympy

__all__ = ["GUARD_DIGITS", "MAX_BITS", "Overflow", "Unsupported", "evaluate"]

GUARD_DIGITS = 20
MAX_BITS = 1 << 16  # |value| < 2**MAX_BITS (about 10**19728); beyond that a value "overflows"
_MAX_TRIG_BITS = 2000  # sin of a larger argument needs as many bits of pi: not worth it


class Unsupported(Exception):
    """A node this evaluator does not handle, or a value it cannot trust: use SymPy instead."""


class Overflow(Exception):
    """A value too large in magnitude to represent (a tower of powers, exp of exp of ...)."""


def evaluate(expr: sympy.Basic, values: Mapping[sympy.Basic, sympy.Basic], dps: int) -> mpmath.mpc | None:
    """``expr`` with ``values`` substituted, as an mpmath complex; None where it is undefined
    (log 0, 1/0). Raises Overflow or Unsupported (see the module docstring)."""
    with mpmath.workdps(dps):
        first = _Evaluator(values).value(expr)
    with mpmath.workdps(dps + GUARD_DIGITS):
        second = _Evaluator(values).value(expr)
    if first is None or second is None:
        if (first is None) != (second is None):
            raise Unsupported("undefined at one precision only")
        return None
    with mpmath.workdps(dps + GUARD_DIGITS):
        if abs(first - second) > mpmath.mpf(10) ** (5 - dps) * max(1, abs(second)):
            raise Unsupported("the value depends on the precision (cancellation)")
        with mpmath.workdps(dps):
            return mpmath.mpc(second)


def _check_size(number: mpmath.mpc) -> mpmath.mpc:
    for part in (number.real, number.imag):
        if part != 0 and mpmath.isfinite(part) and mpmath.mag(part) > MAX_BITS:
            raise Overflow
    return number


class _Evaluator:
    def __init__(self, values: Mapping[sympy.Basic, sympy.Basic]) -> None:
        self.values = values
        self.memo: dict[sympy.Basic, mpmath.mpc | None] = {}  # shared subtrees once: linear time

    def value(self, node: sympy.Basic) -> mpmath.mpc | None:
        if node in self.memo:
            return self.memo[node]
        if node in self.values:
            result = self.value(self.values[node])
        else:
            result = self.compute(node)
        if result is not None:
            if not mpmath.isfinite(result):
                result = None
            else:
                result = _check_size(result)
        self.memo[node] = result
        return result

    def compute(self, node: sympy.Basic) -> mpmath.mpc | None:
        if isinstance(node, sympy.Integer):
            return mpmath.mpc(int(node))
        if isinstance(node, sympy.Rational):
            return mpmath.mpc(mpmath.mpf(int(node.p)) / int(node.q))
        if isinstance(node, sympy.Float):
            return mpmath.mpc(mpmath.mpf(node._mpf_))
        if node is sympy.pi:
            return mpmath.mpc(mpmath.pi)
        if node is sympy.E:
            return mpmath.mpc(mpmath.e)
        if node is sympy.I:
            return mpmath.mpc(0, 1)
        if node is sympy.EulerGamma:
            return mpmath.mpc(mpmath.euler)
        if node in (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            return None
        if isinstance(node, sympy.Add):
            terms = self.arguments(node)
            return None if terms is None else mpmath.fsum(terms)
        if isinstance(node, sympy.Mul):
            factors = self.arguments(node)
            if factors is None:
                return None
            product = mpmath.mpc(1)
            for factor in factors:
                product = _check_size(product * factor)
            return product
        if isinstance(node, sympy.Pow):
            base, exponent = self.value(node.base), self.value(node.exp)
            return None if base is None or exponent is None else _power(base, exponent)
        if isinstance(node, sympy.exp):
            argument = self.value(node.args[0])
            return None if argument is None else _power(mpmath.mpc(mpmath.e), argument)
        if isinstance(node, sympy.log):
            return self.log(node)
        if isinstance(node, (sympy.Piecewise,)):
            return self.piecewise(node)
        if isinstance(node, sympy.KroneckerDelta):
            a, b = (self.value(arg) for arg in node.args)
            return None if a is None or b is None else mpmath.mpc(1 if a == b else 0)
        simple = _FUNCTIONS.get(type(node))
        if simple is not None:
            arguments = self.arguments(node)
            if arguments is None:
                return None
            return simple(*arguments)
        raise Unsupported(type(node).__name__)

    def arguments(self, node: sympy.Basic) -> list[mpmath.mpc] | None:
        values = [self.value(arg) for arg in node.args]
        return None if any(v is None for v in values) else values  # type: ignore[return-value]

    def log(self, node: sympy.log) -> mpmath.mpc | None:
        arguments = self.arguments(node)
        if arguments is None or any(a == 0 for a in arguments):
            return None
        if len(arguments) == 2:  # log(x, b)
            if arguments[1] == 1:
                return None
            return mpmath.log(arguments[0]) / mpmath.log(arguments[1])
        return mpmath.log(arguments[0])

    def piecewise(self, node: sympy.Piecewise) -> mpmath.mpc | None:
        for expr, condition in node.args:
            if self.truth(condition):
                return self.value(expr)
        return None

    def truth(self, condition: sympy.Basic) -> bool:
        if condition is sympy.true or condition is True:
            return True
        if condition is sympy.false or condition is False:
            return False
        if isinstance(condition, sympy.And):
            return all(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Not):
            return not self.truth(condition.args[0])
        if isinstance(condition, (sympy.Eq, sympy.Ne)):
            a, b = (self.value(arg) for arg in condition.args)
            if a is None or b is None:
                raise Unsupported("an undefined case condition")
            return (a == b) == isinstance(condition, sympy.Eq)
        if isinstance(condition, (sympy.Lt, sympy.Le, sympy.Gt, sympy.Ge)):
            a, b = (self.real(arg) for arg in condition.args)
            return {sympy.Lt: a < b, sympy.Le: a <= b, sympy.Gt: a > b, sympy.Ge: a >= b}[type(condition)]
        raise Unsupported(type(condition).__name__)

    def real(self, node: sympy.Basic) -> mpmath.mpf:
        number = self.value(node)
        if number is None or number.imag != 0:
            raise Unsupported("a comparison of non-real values")
        return number.real


def _power(base: mpmath.mpc, exponent: mpmath.mpc) -> mpmath.mpc | None:
    """``base ** exponent`` (principal branch, as SymPy), refusing results beyond MAX_BITS
    before computing them."""
    if base == 0:
        if exponent.imag == 0 and exponent.real > 0:
            return mpmath.mpc(0)
        return None if exponent != 0 else mpmath.mpc(1)
    if exponent.imag == 0 and exponent.real == int(exponent.real) and abs(exponent.real) <= 64:
        return _check_size(base ** int(exponent.real))  # exact small integer powers, any sign of base
    # log2 |base ** exponent| = Re(exponent * log(base)) / log(2)
    size = (exponent * mpmath.log(base)).real / mpmath.log(2)
    if size > MAX_BITS:
        raise Overflow
    if size < -MAX_BITS:
        return mpmath.mpc(0)  # far below any tolerance
    return _check_size(mpmath.power(base, exponent))


def _real_only(function: Callable[..., mpmath.mpf]) -> Callable[..., mpmath.mpc]:
    def apply(*arguments: mpmath.mpc) -> mpmath.mpc:
        if any(a.imag != 0 for a in arguments):
            raise Unsupported(function.__name__)
        return mpmath.mpc(function(*(a.real for a in arguments)))

    return apply


def _trig(function: Callable[[mpmath.mpc], mpmath.mpc]) -> Callable[[mpmath.mpc], mpmath.mpc]:
    def apply(argument: mpmath.mpc) -> mpmath.mpc:
        if argument != 0 and mpmath.mag(argument) > _MAX_TRIG_BITS:
            raise Unsupported("a huge argument")
        return mpmath.mpc(function(argument))

    return apply


_FUNCTIONS: dict[type, Callable[..., mpmath.mpc]] = {
    sympy.sin: _trig(mpmath.sin),
    sympy.cos: _trig(mpmath.cos),
    sympy.tan: _trig(mpmath.tan),
    sympy.sinh: _trig(mpmath.sinh),
    sympy.cosh: _trig(mpmath.cosh),
    sympy.tanh: _trig(mpmath.tanh),
    sympy.atan: lambda a: mpmath.mpc(mpmath.atan(a)),
    sympy.Abs: lambda a: mpmath.mpc(abs(a)),
    sympy.Max: _real_only(lambda *a: max(a)),
    sympy.Min: _real_only(lambda *a: min(a)),
    sympy.floor: _real_only(mpmath.floor),
    sympy.ceiling: _real_only(mpmath.ceil),
    sympy.sign: _real_only(lambda a: mpmath.mpf((a > 0) - (a < 0))),
}
