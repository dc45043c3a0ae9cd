"""Compile expressions once into mpmath functions, so the numeric search can afford thousands of
evaluations of a step instead of a handful of SymPy substitutions.

Sizes and indices are arguments too: a sum becomes a loop over its (evaluated) range, so every
size is evaluated by the same function. Every number is an mpmath ``mpf`` (indices included),
so no step is ever computed in Python floats. Vectors and arrays are passed as dicts keyed by
index (a tuple for several indices); an entry the expression reaches but nobody drew raises.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import mpmath
import sympy as sp
from mpmath import libmp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import MpmathPrinter

from derive.core.checks import ranges
from derive.core.checks.prepare import entries


class NotCompilable(Exception):
    """The expression uses something the compiler cannot print; evaluate it with SymPy instead."""


class NotEvaluable(Exception):
    """An expression kept a symbol that no assumption declares, or has no numeric value."""


def _irange(a, b) -> tuple:
    lo, hi = _as_int(a), _as_int(b)
    if lo is None or hi is None:
        lo, hi = int(a), int(b)
        if lo != a or hi != b:
            raise NotEvaluable(f"a sum runs from {a} to {b}, which are not integers")
    return _indices(lo, hi)


_MPF = type(mpmath.mpf(0))


def _as_int(value) -> int | None:
    """An mpf's value as an int when it is a whole number (None when it is not, or not an mpf):
    read off its raw (sign, odd mantissa, exponent) without mpmath's comparisons."""
    if type(value) is not _MPF:
        return None
    sign, man, exp, _ = value._mpf_
    if not man:
        return 0 if not exp else None  # zero, or an infinity or nan
    if exp < 0:
        return None
    return -(man << exp) if sign else man << exp


@functools.lru_cache(maxsize=4096)
def _indices(lo: int, hi: int) -> tuple:
    # A sum's indices are made once per range, not once per evaluation (mpf values are
    # immutable, and a small integer is exact at every precision).
    return tuple(mpmath.mpf(v) for v in range(lo, hi + 1))


# Integers this small are exact mpf values at any precision, so they can be made once and
# named in the compiled code (larger ones are made at the working precision of each call).
_EXACT = 2**53


def _constant_name(n: int) -> str:
    return f"_int{n}" if n >= 0 else f"_int_minus{-n}"


def _fsum(terms) -> Any:
    # mpmath.fsum's own sum of raw values (exact but for extreme exponent gaps, then rounded
    # once), without its per-term type dispatch when every term is a real mpf.
    terms = list(terms)
    try:
        raws = [t._mpf_ for t in terms]
    except AttributeError:  # an int, a complex value: fsum converts it
        return mpmath.fsum(terms)
    prec, rounding = mpmath.mp._prec_rounding
    return mpmath.mp.make_mpf(libmp.mpf_sum(raws, prec, rounding))


def _fprod(terms) -> Any:
    return mpmath.fprod(terms)


class _Printer(MpmathPrinter):
    """mpmath code, with sums and products as loops over mpf indices."""

    def _loops(self, expr) -> str:
        # SymPy lists the innermost limit first; Python's generator wants the outermost first.
        return " ".join(f"for {self._print(i)} in _irange({self._print(a)}, {self._print(b)})"
                        for i, a, b in reversed(expr.limits))

    def _print_Sum(self, expr) -> str:
        return f"(_fsum({self._print(expr.function)} {self._loops(expr)}))"

    def _print_Product(self, expr) -> str:
        return f"(_fprod({self._print(expr.function)} {self._loops(expr)}))"

    def _print_KroneckerDelta(self, expr) -> str:
        a, b = (self._print(arg) for arg in expr.args)
        return f"(_one if ({a}) == ({b}) else _zero)"

    names: dict = {}

    def _print_Indexed(self, expr) -> str:
        indices = ", ".join(self._print(i) for i in expr.indices)
        label = self._print(expr.base.label)
        if len(expr.indices) == 1:
            return f"_entry1({label}, {self.names.get(label, label)!r}, {indices})"
        return f"_entry({label}, {self.names.get(label, label)!r}, ({indices},))"

    def _print_MatrixElement(self, expr) -> str:
        name = self._print(expr.parent)
        return f"_entry({name}, {self.names.get(name, name)!r}, ({self._print(expr.i)}, {self._print(expr.j)}))"

    constants: frozenset = frozenset()  # small integers named in the code (made once, in its namespace)

    def _print_Integer(self, expr) -> str:
        if int(expr) in self.constants:
            return _constant_name(int(expr))
        return f"_mpf({int(expr)})"

    def _print_Rational(self, expr) -> str:
        # Divided at each call: 1/3 is rounded at the precision of the call.
        return f"({self._print_Integer(sp.Integer(expr.p))}/{self._print_Integer(sp.Integer(expr.q))})"

    def _print_binomial(self, expr) -> str:
        # Not through Γ: Γ(n+1)/(Γ(k+1)·Γ(n−k+1)) has a pole at k = n + 1, where C(n, k) = 0.
        return f"mpmath.binomial({self._print(expr.args[0])}, {self._print(expr.args[1])})"


def _entry(array: dict, name: str, key: tuple):
    try:
        return array[tuple(_key(k) for k in key) if len(key) > 1 else _key(key[0])]
    except KeyError:
        shown = ", ".join(mpmath.nstr(k, 6) for k in key)
        raise NotEvaluable(f"{name}[{shown}] is reached but no assumption draws it") from None


def _key(index):
    # The drawn entries are keyed by ints: an mpf index would be hashed and compared in Python.
    whole = _as_int(index)
    return index if whole is None else whole


def _entry1(array: dict, name: str, index):
    # _entry for a vector: the commonest case, without building a key tuple.
    try:
        return array[_key(index)]
    except KeyError:
        raise NotEvaluable(f"{name}[{mpmath.nstr(index, 6)}] is reached but no assumption draws it") from None


def _evalf_function(cls) -> Callable:
    """A function SymPy knows how to evaluate but mpmath does not: ask SymPy, at the working
    precision. An undefined function has no value and says so."""

    def call(*args):
        value = cls(*[sp.Float(a, mpmath.mp.dps) if isinstance(a, mpmath.mpf) else a for a in args])
        value = value.evalf(mpmath.mp.dps)
        if not value.is_number or value.free_symbols:
            raise NotEvaluable(f"{sp.sstr(value)[:80]} has no numeric value; define every function a step uses")
        return value._to_mpmath(mpmath.mp.prec)

    return call


# How many calls of a function class's ``mpmath_value`` are compared with its SymPy value (evalf)
# before the shortcut is trusted, in this process, and the relative agreement they must show.
SHORTCUT_CHECKS = 24
_SHORTCUT_AGREEMENT = 30  # digits
_shortcuts_checked: dict = {}


def _checked(cls, direct: Callable) -> Callable:
    """``mpmath_value`` of ``cls``, trusted only after it agreed with the class's SymPy value at
    its first SHORTCUT_CHECKS arguments (the arguments the search really uses, so inside the
    function's domain) and, for one argument, at points far out (``_FAR_OUT``). A shortcut that disagrees once is dropped for good: every value then comes
    from evalf, the value SymPy and every other evaluation use."""
    slow: list = []  # made on first use: a trusted shortcut never needs SymPy

    def truth(*args):
        if not slow:
            slow.append(_evalf_function(cls))
        return slow[0](*args)

    def call(*args):
        seen = _shortcuts_checked.get(cls, 0)
        if seen is None:
            return truth(*args)
        if seen >= SHORTCUT_CHECKS:
            return direct(*args)
        value, expected = direct(*args), truth(*args)
        if not _agree(value, expected) or (seen == 0 and len(args) == 1 and not _agrees_far_out(direct, truth)):
            _shortcuts_checked[cls] = None
            return expected
        _shortcuts_checked[cls] = seen + 1
        return value

    return call


def _agree(value, expected) -> bool:
    return abs(value - expected) <= mpmath.mpf(10) ** -_SHORTCUT_AGREEMENT * max(abs(expected), 1)


# Besides the arguments the search uses, a function of one argument is compared once at points
# spread well beyond the sampled ranges (the search moves reals far out); a point outside the
# function's domain (evalf gives no finite number there) is skipped.
_FAR_OUT = ("-41.5", "-6.25", "-1.75", "-0.3", "0", "0.6", "2.5", "9.75", "57.125")


def _agrees_far_out(direct: Callable, truth: Callable) -> bool:
    for text in _FAR_OUT:
        point = mpmath.mpf(text)
        try:
            expected = truth(point)
        except Exception:  # noqa: BLE001 - outside the function's domain: nothing to compare
            continue
        if not mpmath.isfinite(expected):
            continue
        try:
            if not _agree(direct(point), expected):
                return False
        except Exception:  # noqa: BLE001 - a shortcut that breaks where the value exists is wrong
            return False
    return True


def _safe_name(arg: sp.Basic, n: int) -> sp.Basic:
    if isinstance(arg, sp.IndexedBase):
        return sp.IndexedBase(sp.Symbol(f"_b{n}"))
    if isinstance(arg, sp.MatrixSymbol):
        return sp.MatrixSymbol(f"_m{n}", *arg.shape)
    return sp.Symbol(f"_a{n}")


def _safe_bound(expr: sp.Basic) -> sp.Basic:
    """Bound variables renamed to fresh identifier-safe Symbols (``c'`` is no Python name)."""
    if not expr.has(sp.Sum, sp.Product):
        return expr
    counter = iter(range(10**9))

    def rename(e):
        return e.xreplace({lim[0]: sp.Symbol(f"_s{next(counter)}", integer=True) for lim in e.limits})
    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), rename)


def _prepare(expr: sp.Expr) -> sp.Expr:
    # Derivatives and Subs are taken by SymPy (exactly); sums stay sums and become loops.
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Derivative, sp.Subs):
        return expr
    try:
        return _taken(expr)
    except TypeError:  # unhashable: taken afresh
        return _take(expr)


@functools.lru_cache(maxsize=1024)
def _taken(expr: sp.Expr) -> sp.Expr:
    # Remembered: the next step of a derivation (and a displayed form) holds the same derivative.
    return _take(expr)


# What a derivative may leave that the search evaluates differently from SymPy: for these its
# result is evaluated further by SymPy (deep doit), as before.
_EVALUATED_FURTHER = (sp.Integral, sp.Limit, sp.Product, sp.Derivative, sp.Subs)


def _take(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, (sp.Derivative, sp.Subs)), _taken_once)


def _taken_once(node: sp.Basic) -> sp.Basic:
    """A derivative (or Subs) worked out. Sums in the result (d/dy_k Σ_j w_j y_{i+j−1} is
    Σ_j w_j δ_{k,i+j−1}) stay sums, evaluated term by term like every other sum: SymPy's
    summation of them (Gosper's algorithm on every sum over a symbolic range) was most of the cost,
    and term by term is what the reader means even where a range runs backwards."""
    taken = node.doit(deep=False)
    if not taken.has(*_EVALUATED_FURTHER):
        return taken
    # Only the parts that need it are worked out further (an integral, a limit, ...), each read
    # as the reader means its sums: a deep doit of the whole result also summed the sums around
    # them by SymPy's conventions (Karr's backward ranges, n/2 terms for odd n), and a false
    # d/dx [x·Σ_{j=1}^{m} j·∫₀¹dt] = m(m+1)/2 got ≈.
    return taken.replace(lambda e: isinstance(e, _EVALUATED_FURTHER), _evaluated_further)


def _evaluated_further(node: sp.Basic) -> sp.Basic:
    # A sum over a range that is not whole (1 … n/2) is refused here as everywhere else in the
    # search: SymPy would sum it to n/2 terms for odd n, and a false claim got ≈.
    for inner in node.atoms(sp.Sum, sp.Product):
        for _, lo, hi in inner.limits:
            if sp.sympify(lo).is_integer is not True or sp.sympify(hi).is_integer is not True:
                raise NotEvaluable(f"a sum or product inside {type(node).__name__} runs from {lo} to {hi}, "
                                   "which are not provably whole numbers")
    return ranges.as_meant(node).doit()


def compile_entries(exprs: Sequence[Any], args: Sequence[sp.Basic], functions: Sequence[Any] = ()) -> Callable:
    """A function of ``args`` (Symbols; IndexedBases as dicts) returning every expression's value.

    ``functions`` (undefined function classes) become further arguments, after ``args``: each is
    passed as a callable on mpmath numbers, so one compilation serves every implementation."""
    prepared = tuple(_prepare(sp.sympify(e)) for e in exprs)
    arguments, passed = tuple(args), tuple(functions)
    try:
        hash((prepared, arguments, passed))
    except TypeError:  # unhashable (a mutable matrix): compiled afresh
        return _compile(prepared, arguments, passed)
    return _remembered(prepared, arguments, passed)


@functools.lru_cache(maxsize=512)
def _remembered(exprs: tuple, args: tuple, functions: tuple) -> Callable:
    # The same sides are compiled again and again: a displayed form's check compiles the checked
    # sides once more, and each stand-in of a function the sides around it. The key is SymPy's
    # structural equality, which tells apart what prints differently (2 and 2.0, symbols of
    # other assumptions, floats of other precision), so a remembered function is the same code.
    return _compile(exprs, args, functions)


def _compile(exprs: Sequence[sp.Basic], args: Sequence[sp.Basic], functions: Sequence[Any] = ()) -> Callable:
    labels = [a.label if isinstance(a, sp.IndexedBase) else a for a in args]
    known = set(labels)
    free = {s for e in exprs for s in e.free_symbols if isinstance(s, sp.Symbol)}
    if free - known:
        raise NotEvaluable(f"no assumption declares {', '.join(sorted(str(s) for s in free - known))}")
    # Every name becomes a Dummy (printed as a valid identifier, whatever the symbol's name).
    renaming = tuple((a, _safe_name(a, n)) for n, a in enumerate(args))
    renamed = dict(renaming)
    labels = [renamed[a].label if isinstance(a, sp.IndexedBase) else renamed[a] for a in args]
    if functions:
        passed = {function: sp.Function(f"_fn{n}") for n, function in enumerate(functions)}
        exprs = [e.replace(lambda x: isinstance(x, AppliedUndef) and x.func in passed,
                           lambda x: passed[x.func](*x.args)) for e in exprs]
        labels += [sp.Symbol(str(function)) for function in passed.values()]
    names = {str(renamed[a].label): str(a.label) for a in args if isinstance(a, sp.IndexedBase)}
    names.update({str(renamed[a]): str(a) for a in args if isinstance(a, sp.MatrixSymbol)})
    namespace: dict = {"_irange": _irange, "_fsum": _fsum, "_fprod": _fprod, "_entry": _entry, "_entry1": _entry1,
                       "_one": mpmath.mpf(1), "_zero": mpmath.mpf(0), "_mpf": mpmath.mpf, "mpmath": mpmath}
    printer = _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                        "user_functions": {}})
    printer.names = names
    safe = [_renamed(e, renaming) for e in exprs]
    arguments = {str(label) for label in labels}
    try:
        printed = [_printed(e, printer) for e in safe]
        # A Subs left in an expression is rewritten by lambdify itself: that entry goes as it is.
        code = [text if text is not None else e for e, (text, _, _) in zip(safe, printed)]
        printer.constants = frozenset().union(*(constants for _, constants, _ in printed))
        namespace.update({_constant_name(c): mpmath.mpf(c) for c in printer.constants})
        for function in frozenset().union(*(used for _, _, used in printed)):
            name = function.__name__
            if name in arguments:
                continue  # passed in as an argument (``functions``)
            if isinstance(function, type) and (issubclass(function, AppliedUndef) or (
                    name not in printer.known_functions and not hasattr(printer, f"_print_{name}"))):
                # A function class may give its value on mpmath numbers directly (``mpmath_value``,
                # the same formula as its evalf); otherwise SymPy evaluates it, slowly, per call.
                direct = getattr(function, "mpmath_value", None)
                namespace[name] = _checked(function, direct) if callable(direct) else _evalf_function(function)
        # docstring_limit=0: no docstring with the expression written out (printing it for a
        # docstring nobody reads cost a fifth of compiling).
        return sp.lambdify(labels, code, modules=[namespace, "mpmath"], printer=printer, dummify=False,
                           docstring_limit=0)
    except Exception as exc:  # noqa: BLE001 - anything the printer cannot print goes to the SymPy path
        raise NotCompilable(f"{type(exc).__name__}: {str(exc)[:80]}") from exc


# Each expression's code, remembered: the next check often compiles some of the same entries
# again (a displayed form next to its checked side, a side without the stand-in function).
_PRINTED: dict = {}
_PRINTED_LIMIT = 4096


def _printed(expr: sp.Basic, printer: _Printer) -> tuple:
    """(code, or None where a Subs is left; the small integers it names; the function classes it
    calls) of an expression whose arguments are renamed. The integers named are its own (and 1,
    which the printer writes for 1/x): each is exact, so naming one more or one fewer never
    changes a value."""
    key = (expr, tuple(sorted(printer.names.items())))
    if key not in _PRINTED:
        numbers = {int(n) for c in expr.atoms(sp.Rational) for n in (c.p, c.q)} | {1}
        constants = frozenset(n for n in numbers if abs(n) < _EXACT)
        functions = frozenset(type(f) for f in expr.atoms(sp.Function))
        if expr.has(sp.Subs):
            entry = (None, constants, functions)
        else:
            printer.constants = constants
            entry = (printer.doprint(expr), constants, functions)
        if len(_PRINTED) >= _PRINTED_LIMIT:
            _PRINTED.clear()
        _PRINTED[key] = entry
    return _PRINTED[key]


@functools.lru_cache(maxsize=2048)
def _renamed(expr: sp.Basic, renaming: tuple) -> sp.Basic:
    return _safe_bound(expr).xreplace(dict(renaming))


def magnitude(expr: Any) -> Any:
    """The size of the terms that make up ``expr``: every sum's terms taken in absolute value.

    Rounding error scales with the terms that cancel, not with the result; comparing a
    difference with this size is what "relative to the size of the terms" means. Only value
    positions are rewritten (never an index, a condition or a function's argument).
    """
    if isinstance(expr, sp.Add):
        return sp.Add(*[sp.Abs(magnitude(a)) for a in expr.args])
    if isinstance(expr, sp.Mul):
        return sp.Mul(*[magnitude(a) for a in expr.args])
    if isinstance(expr, sp.Pow):
        return sp.Pow(magnitude(expr.base), expr.exp)
    if isinstance(expr, sp.Sum):
        return sp.Sum(sp.Abs(magnitude(expr.function)), *expr.limits)
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(magnitude(v), c) for v, c in expr.args])
    return expr


def flatten(expr: Any) -> list:
    return [sp.sympify(e) for e in entries(expr)]
