"""Name the slip in a wrong link, as ``derive grade`` names the slip in a wrong answer.

The grader's :func:`derive.grade.diagnose.compare` gives digit slips, a factor (2 for MAC
against FLOP), a sign, a percentage, a swapped name; here are added an index or a sum bound off
by one and an inequality that holds the other way, each tested numerically by the engine. A
diagnosis is a courtesy: any failure to find one leaves the verdict as it is.
"""

from __future__ import annotations

import sympy as sp

from derive.core.checks import numeric

_REVERSED = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}


def rounded(written: str, lhs, rhs) -> str:
    """``= 0.67`` for 2/3: wrong as an equality (numbers are compared exactly), right as a
    rounding to the decimals written — say so, as grade does."""
    from derive.grade.diagnose import compare
    from derive.grade.parser import stated_decimals

    decimals = stated_decimals(written)
    if decimals is None or not (lhs.is_number and rhs.is_number):
        return ""
    try:
        if compare(rhs, lhs, decimals=decimals).status == "correct":
            return f"the value rounded to {decimals} decimals: write \\approx for a rounded value"
    except Exception:  # noqa: BLE001 - a diagnosis is a courtesy
        return ""
    return ""


def diagnose(step_id: str, lhs, rel: str, rhs, assumptions) -> str:
    """The grader's diagnoses for an equality (digit slips, factor 2, sign, swapped names),
    an index off by one, or an inequality that holds the other way."""
    try:
        if rel in _REVERSED:
            flipped = numeric.check(step_id + ".flip", lhs, _REVERSED[rel], rhs, assumptions, seconds=5.0)
            return "the inequality holds the other way" if flipped.outcome == "passed" else ""
        from derive.grade.diagnose import compare

        if isinstance(lhs, sp.Expr) and isinstance(rhs, sp.Expr):
            verdict = compare(rhs, lhs)
            if verdict.status == "wrong" and verdict.diagnosis:
                return verdict.diagnosis
        return _off_by_one(step_id, lhs, rhs, assumptions)
    except Exception:  # noqa: BLE001 - a diagnosis is a courtesy; the verdict stands without it
        return ""


def _off_by_one(step_id: str, lhs, rhs, assumptions) -> str:
    """An integer (a bound or an index) one too high or low on the right makes it hold."""
    integers = set(assumptions.integer_symbols())
    candidates = sorted(
        {s for s in rhs.free_symbols if s in integers}
        | {s for total in rhs.atoms(sp.Sum) for limit in total.limits for s in limit[1:] for s in s.free_symbols},
        key=str,
    )
    for symbol in candidates:
        if symbol not in integers:
            continue
        for shift in (1, -1):
            shifted = _shift_free(rhs, symbol, shift)
            if numeric.check(step_id + ".shift", lhs, "=", shifted, assumptions, seconds=5.0).outcome == "passed":
                return f"an index off by one: with {symbol} {'+' if shift > 0 else '-'} 1 for {symbol} it holds"
    for total in rhs.atoms(sp.Sum):
        index, low, high = total.limits[0]
        for new in ((index, low, high + 1), (index, low, high - 1), (index, low + 1, high), (index, low - 1, high)):
            changed = rhs.xreplace({total: sp.Sum(total.function, new)})
            if numeric.check(step_id + ".limit", lhs, "=", changed, assumptions, seconds=5.0).outcome == "passed":
                return f"a wrong limit: the sum over {index} should run from {sp.sstr(new[1])} to {sp.sstr(new[2])}"
    return ""


def _shift_free(expr, symbol, shift):
    return expr.xreplace({symbol: symbol + shift})
