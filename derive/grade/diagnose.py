"""Decide whether a student's claim equals the expected result and, if not, say what went wrong.

Why diagnoses: "wrong" alone teaches nothing, while most wrong answers in counting problems are
one of a few slips -- a factor of 2 between the multiply-accumulate (MAC) and the FLOP
convention, a digit dropped while copying, a sign, a percentage written as a fraction. Naming
the slip tells the student what to look at.

How a claim is decided, cheapest and surest first:

1. Both sides share names: the claim's symbols and indexed bases are replaced by the expected
   answer's objects of the same name, so assumptions (``n`` positive, ...) carry over.
2. Constants are compared exactly (rationals) or to ``dps + 20`` digits. When the student gave
   ``decimals`` (see :func:`derive.grade.parser.stated_decimals`), a claim is correct when it is
   within half a unit of its last decimal of the expected value, i.e. it equals the expected
   value rounded to the decimals given (either way at an exact tie): 91.79 is a correct
   percentage for 91.7899..., 91.8 too, 91.78 is not.
3. Expressions: ``simplify(claim - expected) == 0`` within ``symbolic_seconds``, then, if that
   neither proves nor times out, a numeric test at ``points`` random points with mpmath at
   ``dps`` digits. Sums with symbolic bounds get small sizes (n = 2..6) and are written out;
   free indices get distinct values within the bounds so that a wrong index shows.
   Symbols take exact values of size 0.1 to 2 (whole numbers 1 to 5 for integers) of both
   signs, positive only when their assumptions say positive or non-negative: give the expected
   answer's symbols their assumptions, or pass a ``sampler``.
4. A wrong claim gets the first diagnosis that fits (see the ``DIAGNOSIS_*`` texts), else None.

Time limits use ``signal.setitimer``, so they hold only in the main thread; elsewhere the
symbolic step (which can run for minutes) is skipped and the numeric step runs unbounded.
A comparison that runs out of time or cannot evaluate the answers is ``undecided``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import ContextManager, Literal

import mpmath
import sympy

from derive.core import functions
from derive.core.checks.timelimit import wall_time_limit
from derive.grade import numeric_tree
from derive.grade.parser import symbols_of

__all__ = [
    "DIAGNOSIS_FACTOR_2",
    "DIAGNOSIS_PERCENT",
    "DIAGNOSIS_ROUNDED",
    "DIAGNOSIS_SIGN",
    "CompareOptions",
    "Verdict",
    "compare",
]

DIAGNOSIS_FACTOR_2 = "off by a factor of 2: MAC against FLOP convention"
DIAGNOSIS_SIGN = "equal up to sign"
DIAGNOSIS_PERCENT = "off by a factor of 100: a percentage against a fraction"
DIAGNOSIS_ROUNDED = "rounded: within 0.5 % of the expected value"
_SLIP = "{kind}: a transcription slip"
_SLIP_OF_VARIANT = (
    "{kind}: a transcription slip of {target}, {relation} (MAC against FLOP convention)"
)
_FACTOR = "off by a factor of {factor}"
_SWAPPED_NAME = "uses {claim} where {expected} was expected"
_STRAY_NAME = "uses {names}, which the expected answer does not contain"

_MIN_SLIP_DIGITS = 4  # shorter numbers differ in one digit too often to call it a slip
_MIN_COUNT = 1000  # whole expected values from here on are read as operation counts
_MAX_FACTOR_HEIGHT = 100  # "off by a factor of 37/12" helps nobody
_MAX_SUM_TERMS = 1000  # sums written out for the numeric test
_MIN_POINTS = 3
_CASES_POINTS = 60  # sample points when either side distinguishes cases (Piecewise)

Status = Literal["correct", "wrong", "undecided"]
Sampler = Callable[[sympy.Expr, random.Random], sympy.Expr]  # (symbol or entry, rng) → value


@dataclass(frozen=True)
class Verdict:
    """The outcome for one claim.

    ``status`` is "correct", "wrong", or "undecided" (time ran out or the expressions could not
    be evaluated: neither is the student's fault, so it is not called wrong). ``diagnosis`` names
    the likely slip of a wrong claim, or says why a comparison is undecided; None otherwise.
    ``method`` says how the status was reached: "exact", "rounding" (equal at the decimals the
    student gave), "symbolic", "numeric" or "none".
    """

    status: Status
    diagnosis: str | None = None
    method: str = "exact"


@dataclass(frozen=True)
class CompareOptions:
    """Knobs of :func:`compare`; the defaults are meant for grading and need no tuning."""

    points: int = 6  # random points of the numeric test
    dps: int = 30  # mpmath digits of the numeric test
    seed: int = 0  # the same claim always gets the same verdict
    symbolic_seconds: float = 1.0
    numeric_seconds: float = 3.0
    rounding_tolerance: Fraction = Fraction(1, 200)  # "rounded": within 0.5 %
    sampler: Sampler | None = None  # value for a symbol or indexed entry; None: by assumptions


DEFAULT_OPTIONS = CompareOptions()


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that SymPy's ``except Exception`` lets it pass."""


class _ClaimOverflows(Exception):
    """The claim's value is too large to represent where the expected value is finite."""


DIAGNOSIS_OVERFLOW = "its value is astronomically larger than the expected one"


class _Undecided(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _time_limit(seconds: float) -> ContextManager[bool]:
    """Raise :class:`_OutOfTime` after ``seconds`` of wall-clock time; yields whether a limit is in force."""
    return wall_time_limit(seconds, _OutOfTime)


def compare(
    claim: sympy.Expr,
    expected: sympy.Expr,
    *,
    decimals: int | None = None,
    options: CompareOptions = DEFAULT_OPTIONS,
) -> Verdict:
    """Is ``claim`` the ``expected`` result? ``decimals``: how many decimals the student wrote
    (see the module docstring); None means the claim is meant exactly."""
    if not isinstance(claim, sympy.Expr) or not isinstance(expected, sympy.Expr):
        raise TypeError("compare takes two SymPy expressions")
    with mpmath.workdps(options.dps + 20):
        if claim != expected and functions.arbitrary_in(claim, expected):
            return _compare_for_any_function(claim, expected, decimals, options)
        return _compare(claim, expected, decimals, options)


def _compare_for_any_function(claim: sympy.Expr, expected: sympy.Expr, decimals: int | None,
                              options: CompareOptions) -> Verdict:
    """An arbitrary σ means any function: the claim must agree for each of several random smooth
    stand-ins, as in the checker. Undefined, σ cannot be evaluated, and the points that can be
    (where a band is 0 on both sides) would call σ in place of σ' correct."""
    verdict = Verdict("undecided", "no stand-in was tried", "none")
    for kind in range(functions.STAND_INS):
        rng = random.Random(f"grade/stand-in/{kind}")
        stand_ins = {f: functions.stand_in(kind, functions.nargs_of(f), rng)
                     for f in functions.arbitrary_in(claim, expected)}
        verdict = _compare(functions.substitute(claim, stand_ins), functions.substitute(expected, stand_ins),
                           decimals, options)
        if verdict.status != "correct":
            return verdict
    return verdict


def _compare(
    claim: sympy.Expr, expected: sympy.Expr, decimals: int | None, options: CompareOptions
) -> Verdict:
    claim = _align_names(claim, expected)
    if claim == expected:
        return Verdict("correct", None, "exact")
    constants = None
    try:
        with _time_limit(options.symbolic_seconds) as limited:
            if not _free(claim) and not _free(expected):
                constants = _constant_values(claim, expected, options.dps + 20)
            elif limited and _simplifies_to_zero(claim - expected):
                return Verdict("correct", None, "symbolic")
    except _OutOfTime:
        pass  # only SymPy's simplification is slow; the numeric test decides
    except _ClaimOverflows:
        return Verdict("wrong", DIAGNOSIS_OVERFLOW, "numeric")
    if constants is not None:
        return _compare_constants(*constants, decimals, options)
    try:
        with _time_limit(options.numeric_seconds):
            samples = _sample(claim, expected, options)
            if all(_close(c, x, options.dps) for c, x in samples):
                return Verdict("correct", None, "numeric")
            diagnosis = _diagnose_expressions(claim, expected, samples, options)
            return Verdict("wrong", diagnosis, "numeric")
    except _OutOfTime:
        return Verdict("undecided", "the comparison ran out of time", "none")
    except _ClaimOverflows:
        return Verdict("wrong", DIAGNOSIS_OVERFLOW, "numeric")
    except _Undecided as undecided:
        return Verdict("undecided", undecided.reason, "none")


# -- names ------------------------------------------------------------------------------------
def align_names(claim: sympy.Expr, expected: sympy.Expr) -> sympy.Expr:
    """``claim`` with the expected answer's objects for its names (see :func:`compare`)."""
    return _align_names(claim, expected)


def _align_names(claim: sympy.Expr, expected: sympy.Expr) -> sympy.Expr:
    """Use the expected answer's objects for the claim's names: same name, same symbol."""
    table = symbols_of(expected)
    mapping: dict[sympy.Basic, sympy.Basic] = {}
    for base in claim.atoms(sympy.IndexedBase):
        target = table.get(str(base.label))
        if isinstance(target, sympy.IndexedBase) and target != base:
            mapping[base] = target
    for symbol in claim.atoms(sympy.Symbol):
        target = table.get(symbol.name)
        if (
            type(target) is sympy.Symbol
            and target != symbol
            and not isinstance(symbol, sympy.Dummy)
        ):
            mapping[symbol] = target
    return claim.xreplace(mapping) if mapping else claim


def _free(expr: sympy.Expr) -> set[sympy.Basic]:
    """Free symbols and indexed entries, without the labels of indexed bases."""
    labels = {base.label for base in expr.atoms(sympy.IndexedBase)}
    return {s for s in expr.free_symbols if s not in labels}


def _free_names(expr: sympy.Expr) -> set[sympy.Symbol]:
    return {s for s in _free(expr) if isinstance(s, sympy.Symbol)}


def _simplifies_to_zero(difference: sympy.Expr) -> bool:
    try:
        return bool(sympy.simplify(difference) == 0)
    except Exception:  # SymPy gives up on some inputs in many ways; the numeric test decides
        return False


# -- constants ----------------------------------------------------------------------------------
_Value = Fraction | mpmath.mpf


def _constant_values(
    claim: sympy.Expr, expected: sympy.Expr, dps: int
) -> tuple[_Value, _Value] | None:
    """Both sides as exact fractions or real mpf numbers; None when not both real and finite."""
    values: list[_Value] = []
    for expr in (expected, claim):
        if isinstance(expr, sympy.Rational):
            values.append(Fraction(int(expr.p), int(expr.q)))
            continue
        try:
            number = _evaluate(_write_out_sums(expr), dps)
        except numeric_tree.Overflow:
            if expr is claim:
                raise _ClaimOverflows from None
            return None
        if number is None or number.imag != 0:
            return None
        values.append(number.real)
    return values[1], values[0]


def _compare_constants(
    claim: _Value, expected: _Value, decimals: int | None, options: CompareOptions
) -> Verdict:
    exact = isinstance(claim, Fraction) and isinstance(expected, Fraction)
    if decimals is not None and not _states_a_rounding(claim, decimals):
        decimals = None  # compared as the number it is, not as a rounding of the expected one
    tolerance = _tolerance(decimals, exact, expected, options.dps)

    def matches(target: _Value) -> bool:
        if tolerance == 0:
            return claim == target
        return abs(_to_mpf(claim) - _to_mpf(target)) <= tolerance

    method = "rounding" if decimals is not None else ("exact" if exact else "numeric")
    if matches(expected):
        return Verdict("correct", None, method)
    return Verdict(
        "wrong", _diagnose_constants(claim, expected, decimals, matches, options), method
    )


def _states_a_rounding(claim: _Value, decimals: int) -> bool:
    """Whether a number written with ``decimals`` decimals reads as a rounded value: never 0 (0e3
    or 0.0 would be 400 or 0.04 "rounded"), and, in tens or coarser (1e2, 4e5), with at least two
    significant figures: one figure of a magnitude (1e2 for 91) is an order of magnitude, not an answer."""
    value = abs(_to_mpf(claim))
    if value == 0:
        return False
    if decimals > 0:
        return True
    return int(mpmath.floor(mpmath.log10(value))) + 1 + decimals >= 2


def _tolerance(decimals: int | None, exact: bool, expected: _Value, dps: int) -> mpmath.mpf | int:
    """Half a unit of the claim's last decimal given; else 0 (exact) between two rationals;
    else a relative ``10**(10 - dps)``, far below any digit a student writes."""
    if decimals is not None:
        return mpmath.mpf(10) ** (-decimals) / 2 * (1 + mpmath.mpf(10) ** (10 - dps))
    if exact:
        return 0
    return mpmath.mpf(10) ** (10 - dps) * max(1, abs(_to_mpf(expected)))


def _to_mpf(value: _Value) -> mpmath.mpf:
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return value


def _diagnose_constants(
    claim: _Value,
    expected: _Value,
    decimals: int | None,
    matches: Callable[[_Value], bool],
    options: CompareOptions,
) -> str | None:
    # An operation count: a whole number too large to be a small constant of the maths.
    count = (
        isinstance(expected, Fraction) and expected.denominator == 1 and abs(expected) >= _MIN_COUNT
    )
    if count and (matches(2 * expected) or matches(expected / 2)):
        return DIAGNOSIS_FACTOR_2
    if expected != 0 and matches(-expected):
        return DIAGNOSIS_SIGN
    if expected != 0 and (matches(100 * expected) or matches(expected / 100)):
        return DIAGNOSIS_PERCENT
    kind = _digit_slip(claim, expected, decimals)
    if kind is not None:
        return _SLIP.format(kind=kind)
    if count:
        assert isinstance(expected, Fraction)
        variants = [(2 * expected, "which is 2 × the expected value")]
        if expected.numerator % 2 == 0:
            variants.append((expected / 2, "which is half the expected value"))
        for target, relation in variants:
            kind = _digit_slip(claim, target, decimals)
            if kind is not None:
                return _SLIP_OF_VARIANT.format(kind=kind, target=target, relation=relation)
    factor = _small_factor(claim, expected, matches, exact=decimals is None)
    if factor is not None:
        return _FACTOR.format(factor=factor)
    near = abs(_to_mpf(claim) - _to_mpf(expected)) <= abs(_to_mpf(expected)) * _to_mpf(
        options.rounding_tolerance
    )
    if expected != 0 and near and _looks_rounded(claim, expected, decimals):
        return DIAGNOSIS_ROUNDED
    return None


def _small_factor(
    claim: _Value, expected: _Value, matches: Callable[[_Value], bool], *, exact: bool
) -> Fraction | None:
    """The simple rational k (height ≤ 100, k ≠ 1) with claim = k · expected, if any. Between
    small numbers every pair has such a ratio (3 = 3/5 · 5), so a ratio that is not a whole
    number or its reciprocal counts only when the expected value is at least 1000."""
    if expected == 0 or claim == 0:
        return None
    if exact and isinstance(claim, Fraction) and isinstance(expected, Fraction):
        factor = claim / expected
    else:  # a rounded claim: the nearest simple ratio, then checked at the claim's precision
        factor = Fraction(str(_to_mpf(claim) / _to_mpf(expected))).limit_denominator(
            _MAX_FACTOR_HEIGHT
        )
    if factor == 1 or max(abs(factor.numerator), factor.denominator) > _MAX_FACTOR_HEIGHT:
        return None
    unit = abs(factor.numerator) == 1 or factor.denominator == 1
    if not unit and abs(_to_mpf(expected)) < _MIN_COUNT:
        return None
    target = factor * expected if isinstance(expected, Fraction) else _to_mpf(factor) * expected
    return factor if matches(target) else None


def _looks_rounded(claim: _Value, expected: _Value, decimals: int | None) -> bool:
    """A count that differs by a few is a different count (biases, say), not a rounding: call it
    rounded only when decimals were given, either side is fractional, or the claim ends in 00."""
    if decimals is not None:
        return True
    if not (isinstance(claim, Fraction) and isinstance(expected, Fraction)):
        return True
    if claim.denominator != 1 or expected.denominator != 1:
        return True
    return claim.numerator % 100 == 0 and expected.numerator % 100 != 0


def _digit_slip(claim: _Value, target: _Value, decimals: int | None) -> str | None:
    """Which single-keystroke slip turns the target's digits into the claim's, if one does."""
    if not isinstance(claim, Fraction):
        return None
    places = decimals or 0
    if places < 0:
        return None
    scaled_claim = claim * 10**places
    if scaled_claim.denominator != 1:
        return None
    scaled_target = (
        _to_mpf(target) * 10**places if not isinstance(target, Fraction) else target * 10**places
    )
    rounded_target = _round_half_up(scaled_target)
    if (scaled_claim.numerator < 0) != (
        rounded_target < 0
    ) or rounded_target == scaled_claim.numerator:
        return None
    if decimals is not None and abs(scaled_claim.numerator - rounded_target) == 1:
        return None  # one unit in the last decimal: a rounding (or truncation), not a typo
    written, meant = str(abs(scaled_claim.numerator)), str(abs(rounded_target))
    if len(meant) < _MIN_SLIP_DIGITS:
        return None
    return _edit_kind(written, meant)


def _round_half_up(value: Fraction | mpmath.mpf) -> int:
    half = Fraction(1, 2) if isinstance(value, Fraction) else mpmath.mpf(1) / 2
    magnitude = (
        math.floor(abs(value) + half)
        if isinstance(value, Fraction)
        else int(mpmath.floor(abs(value) + half))
    )
    return magnitude if value >= 0 else -magnitude


def _edit_kind(written: str, meant: str) -> str | None:
    """Name the one-digit edit from ``meant`` to ``written``: dropped, added, swapped, mistyped."""
    if len(written) == len(meant) - 1:
        if any(meant[:i] + meant[i + 1 :] == written for i in range(len(meant))):
            return "one digit dropped"
    elif len(written) == len(meant) + 1:
        if any(written[:i] + written[i + 1 :] == meant for i in range(len(written))):
            return "one digit added"
    elif len(written) == len(meant):
        differ = [i for i, (a, b) in enumerate(zip(written, meant, strict=True)) if a != b]
        if len(differ) == 1:
            return "one digit mistyped"
        if len(differ) == 2 and differ[1] == differ[0] + 1:
            i = differ[0]
            if written[i] == meant[i + 1] and written[i + 1] == meant[i]:
                return "two adjacent digits swapped"
    return None


# -- expressions: the numeric test ------------------------------------------------------------
def _sample(
    claim: sympy.Expr, expected: sympy.Expr, options: CompareOptions
) -> list[tuple[mpmath.mpc, mpmath.mpc]]:
    """Both sides evaluated at the same random points (sizes, indices, then values)."""
    rng = random.Random(options.seed)
    claim, expected = _rename_bound(claim), _rename_bound(expected)
    sizes = sorted(_sum_bound_symbols(claim) | _sum_bound_symbols(expected), key=str)
    indices = sorted((_index_symbols(claim) | _index_symbols(expected)) - set(sizes), key=str)
    smallest = max(2, len(indices) + 1)
    # A case distinction on the indices (a band: 1 <= k - i + 1 <= f) differs from a wrong one
    # only at its edges, where indices may be equal: sample many more points, half of them with
    # indices drawn independently (equal ones included).
    # A Kronecker delta of two indices is a case distinction too: with distinct indices only,
    # δ_{km} would be 0 at every point and a claim with 5 δ_{km} added called correct.
    cases = any(side.has(sympy.Piecewise, sympy.KroneckerDelta) for side in (claim, expected))
    wanted = max(options.points, _CASES_POINTS) if cases else options.points
    samples: list[tuple[mpmath.mpc, mpmath.mpc]] = []
    for point in range(3 * wanted):
        if len(samples) == wanted:
            break
        # Every third point draws sizes and whole numbers further out: an answer wrong only from 6
        # on (min(n, 6), a product (n − 1)…(n − 5), a sum's extra term) agrees at 1 to 5.
        far = point % 3 == 2
        sizes_at = {s: sympy.Integer(rng.randint(smallest + 5, smallest + 20) if far else rng.randint(smallest, smallest + 4))
                    for s in sizes}
        top = min((int(v) for v in sizes_at.values()), default=smallest + 1)
        drawn = (
            [rng.randint(1, top) for _ in indices]
            if cases and point % 2
            else rng.sample(range(1, top + 1), len(indices))
        )
        indices_at = {s: sympy.Integer(v) for s, v in zip(indices, drawn, strict=True)}
        fixed = {**sizes_at, **indices_at}
        try:
            sides = [_write_out_sums(side.xreplace(fixed)) for side in (claim, expected)]
            # Entries still indexed by a symbol sit in sums too long to write out: not sampled,
            # so that side stays unevaluated and the point is skipped.
            unknowns = sorted(
                (u for u in set().union(*(_free(side) for side in sides)) if not _bound_entry(u)),
                key=str,
            )
            values = {
                u: options.sampler(u, rng) if options.sampler else _default_value(u, rng, point, m)
                for m, u in enumerate(unknowns)
            }
            expected_value = _evaluate(sides[1], options.dps, values)
            try:
                claim_value = _evaluate(sides[0], options.dps, values)
            except numeric_tree.Overflow:
                if expected_value is None:
                    continue
                raise _ClaimOverflows from None
            evaluated = [claim_value, expected_value]
        except _ClaimOverflows:
            raise
        except (Exception, numeric_tree.Overflow):  # SymPy refused this point: unusable, not fatal
            continue
        if evaluated[0] is not None and evaluated[1] is not None:
            samples.append((evaluated[0], evaluated[1]))
    if len(samples) < min(_MIN_POINTS, options.points):
        raise _Undecided("the answers could not be evaluated at enough sample points")
    return samples


def _rename_bound(expr: sympy.Expr) -> sympy.Expr:
    """Give every summation index a fresh Dummy, so that substituting a free ``i`` leaves a
    sum over ``i`` alone."""

    def rename(total: sympy.Sum) -> sympy.Expr:
        fresh = {index: sympy.Dummy(index.name, integer=True) for index, _, _ in total.limits}
        limits = [(fresh[index], low, high) for index, low, high in total.limits]
        return sympy.Sum(total.function.xreplace(fresh), *limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), rename) if expr.has(sympy.Sum) else expr


def _bound_entry(unknown: sympy.Basic) -> bool:
    return isinstance(unknown, sympy.Indexed) and any(i.free_symbols for i in unknown.indices)


def _sum_bound_symbols(expr: sympy.Expr) -> set[sympy.Symbol]:
    bounds: set[sympy.Symbol] = set()
    for total in expr.atoms(sympy.Sum):
        for _, low, high in total.limits:
            bounds |= low.free_symbols | high.free_symbols
    return {s for s in bounds if isinstance(s, sympy.Symbol)} & _free_names(expr)


def _index_symbols(expr: sympy.Expr) -> set[sympy.Symbol]:
    used: set[sympy.Symbol] = set()
    for entry in expr.atoms(sympy.Indexed):
        for index in entry.indices:
            used |= {s for s in index.free_symbols if isinstance(s, sympy.Symbol)}
    return used & _free_names(expr)


def _default_value(
    unknown: sympy.Expr, rng: random.Random, point: int, position: int
) -> sympy.Expr:
    """An exact rational of size 0.1 to 2 (whole 1 to 5 for integers, 6 to 40 at every third point), positive when the
    assumptions say so. Otherwise the sign follows a bit of the point's number, so every
    unknown is negative at some points and the first three meet in every sign combination
    (random signs could all come out positive and let |y| pass for y)."""
    nonnegative = bool(unknown.is_positive or unknown.is_nonnegative)
    sign = -1 if not nonnegative and (point >> (position % 3)) & 1 else 1
    if unknown.is_integer:
        return sympy.Integer(sign * (rng.randint(6, 40) if point % 3 == 2 else rng.randint(1, 5)))
    return sympy.Rational(sign * rng.randint(100, 2000), 1000)


def _write_out_sums(expr: sympy.Expr) -> sympy.Expr:
    """Replace sums with whole-number bounds by their terms (at most ``_MAX_SUM_TERMS``)."""
    if not expr.has(sympy.Sum):
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.Sum), _write_out)


def _write_out(total: sympy.Sum) -> sympy.Expr:
    terms = _terms(total.function, list(total.limits), [0])
    return total if terms is None else sympy.Add(*terms)


def _terms(
    body: sympy.Expr, limits: list[sympy.Tuple], count: list[int]
) -> list[sympy.Expr] | None:
    if not limits:
        count[0] += 1
        return [body] if count[0] <= _MAX_SUM_TERMS else None
    index, low, high = limits[-1]
    if not (low.is_Integer and high.is_Integer) or high < low - 1:
        return None
    terms: list[sympy.Expr] = []
    for value in range(int(low), int(high) + 1):
        at = {index: sympy.Integer(value)}
        inner = _terms(body.xreplace(at), [limit.xreplace(at) for limit in limits[:-1]], count)
        if inner is None:
            return None
        terms.extend(inner)
    return terms


def _evaluate(
    expr: sympy.Expr, dps: int, values: dict[sympy.Basic, sympy.Basic] | None = None
) -> mpmath.mpc | None:
    """The value (``values`` substituted) as an mpmath complex at ``dps`` digits; None if not a
    finite number. First by one linear pass of mpmath over the tree (see
    :mod:`derive.grade.numeric_tree`); SymPy's evalf only for what that pass does not handle.
    Raises numeric_tree.Overflow for a value too large to represent."""
    try:
        return numeric_tree.evaluate(expr, values or {}, dps)
    except numeric_tree.Unsupported:
        pass
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError) as error:
        if isinstance(error, OverflowError):
            raise numeric_tree.Overflow from error
    if values:
        try:
            expr = expr.xreplace(values)
        except Exception:  # SymPy refused the substitution: this point is unusable
            return None
    try:
        value = expr.evalf(dps)
    except Exception:  # any failure of SymPy's evaluation only makes this point unusable
        return None
    if not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.Sum):
        return None
    real, imag = value.as_real_imag()
    try:
        with mpmath.workdps(dps):
            number = mpmath.mpc(
                mpmath.mpf(sympy.Float(real, dps)), mpmath.mpf(sympy.Float(imag, dps))
            )
    except (TypeError, ValueError):
        return None
    return number if mpmath.isfinite(number) else None


def _close(a: mpmath.mpc, b: mpmath.mpc, dps: int) -> bool:
    with mpmath.workdps(dps):
        return bool(abs(a - b) <= mpmath.mpf(10) ** (10 - dps) * max(1, abs(a), abs(b)))


def _diagnose_expressions(
    claim: sympy.Expr,
    expected: sympy.Expr,
    samples: list[tuple[mpmath.mpc, mpmath.mpc]],
    options: CompareOptions,
) -> str | None:
    dps = options.dps
    if all(_close(c, -x, dps) for c, x in samples) and any(x != 0 for _, x in samples):
        return DIAGNOSIS_SIGN
    factor = _constant_ratio(samples, dps)
    if factor is not None:
        return _FACTOR.format(factor=factor)
    stray = sorted(_free_names(claim) - _free_names(expected), key=str)
    missing = sorted(_free_names(expected) - _free_names(claim), key=str)
    if len(stray) == 1 and len(missing) == 1:
        try:
            renamed = _rename_bound(claim).xreplace({stray[0]: missing[0]})
            if all(_close(c, x, dps) for c, x in _sample(renamed, expected, options)):
                return _SWAPPED_NAME.format(claim=stray[0], expected=missing[0])
        except Exception:  # includes _Undecided: then this diagnosis just does not fit
            pass
    if stray:
        return _STRAY_NAME.format(names=", ".join(str(s) for s in stray))
    return None


def _constant_ratio(samples: list[tuple[mpmath.mpc, mpmath.mpc]], dps: int) -> Fraction | None:
    with mpmath.workdps(dps + 10):
        ratios = [c / x for c, x in samples if x != 0]
    if len(ratios) < _MIN_POINTS or any(not _close(r, ratios[0], dps) for r in ratios):
        return None
    first = ratios[0]
    if not _close(first, mpmath.mpc(first.real), dps):
        return None
    with mpmath.workdps(dps):
        factor = Fraction(mpmath.nstr(first.real, dps)).limit_denominator(_MAX_FACTOR_HEIGHT)
    if factor in (0, 1) or max(abs(factor.numerator), factor.denominator) > _MAX_FACTOR_HEIGHT:
        return None
    with mpmath.workdps(dps):
        target = mpmath.mpf(factor.numerator) / factor.denominator
    return factor if _close(first, mpmath.mpc(target), dps) else None
