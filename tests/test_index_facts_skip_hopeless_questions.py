"""The small index prover does not ask SymPy what cannot follow from the assumptions (a symbol
with a negative coefficient that nothing bounds above), and still proves what follows."""

from __future__ import annotations

import sympy as sp

from derive.core.checks.facts import _nonnegative, _unbounded_below, at_most

f, m, k = sp.symbols("f m k", integer=True, positive=True)
x = sp.Symbol("x", real=True)
down = sp.Symbol("d", nonpositive=True)


def test_true_orders_are_still_proved():
    assert _nonnegative(f + m - 1, ())
    assert _nonnegative(k - 1, ())
    assert at_most(k, f + m - 1, (f + m - 1 - k,))  # by a declared fact
    assert _nonnegative(f - down, ())  # −d ≥ 0: bounded above by 0
    assert at_most(k, m + 2, (m - k,))  # m − k ≥ 0 plus 2


def test_false_orders_are_not_proved():
    assert not _nonnegative(k - m, ())
    assert not _nonnegative(k - f, (m - k,))  # a fact about other symbols does not help
    assert not at_most(m, k, (f - 1,))
    assert not _nonnegative(1 - k, ())
    assert not _nonnegative(x, ())
    assert not _nonnegative(-2 * x + x**2, ())  # not linear: left to SymPy, which cannot show it


def test_only_linear_expressions_with_an_unbounded_negative_term_are_skipped():
    assert _unbounded_below(k - m) and _unbounded_below(3 - 2 * f) and _unbounded_below(-x)
    assert not _unbounded_below(f + m - 1)
    assert not _unbounded_below(f - down)
    assert not _unbounded_below(k - sp.floor(m / 2))  # not a symbol: SymPy is asked
    assert not _unbounded_below(sp.Integer(5))
