"""A symbolic reduction proves a claim about sums only when every range provably runs forwards.

SymPy's ``Sum`` and ``Product`` follow Karr's convention (Σ_{a}^{b} = −Σ_{b+1}^{a−1} when
b < a − 1, Π_{a}^{b} = 1/Π_{b+1}^{a−1}); the reader of the PDF and the numeric check read an
empty range as no terms. So SymPy proves identities that are false for the meant sums whenever a
range may run backwards. These claims are of the same class as the adversary's (see
test_adversarial_checks.py) and were ✓ (or proved by the symbolic method) before the guard in
``derive.core.checks.ranges``.
"""

from __future__ import annotations

import sympy as sp
from sympy import KroneckerDelta, Piecewise, Product, Sum

from derive.core.assumptions import Integer, RealVector, assume
from derive.core.checks import numeric, ranges, symbolic
from derive.core.checks.prepare import declared_view
from derive.core.checks.result import VERIFIED
from derive.core.checks.runner import check_step

n, m, f, k, a, b, c, h = sp.symbols("n m f k a b c h", integer=True, positive=True)
i, j = sp.symbols("i j", integer=True)
x = sp.IndexedBase("x", real=True)
UNRELATED = assume(Integer(a, 1, 3), Integer(b, 5, 8))


def _false_at(lhs, rel, rhs, assumptions) -> bool:
    return numeric.check("karr.witness", lhs, rel, rhs, assumptions).outcome == "failed"


def test_a_product_over_a_range_that_may_run_backwards_is_not_proved(make_step):
    # Karr: Π_{7}^{5} 2 = 1/Π_{6}^{6} 2 = 1/2 = 2^(5−7+1); the empty product is 1.
    claim = (Product(2, (i, a, b)), "=", 2 ** (b - a + 1))
    assert _false_at(*claim, assume(Integer(a, 7, 7), Integer(b, 5, 5)))
    assert check_step(make_step(*claim, UNRELATED)).status != VERIFIED


def test_an_inner_range_that_may_run_backwards_is_not_proved(make_step):
    # Σ_{i=1}^{n} Σ_{j=i}^{m} 1 = n·m − n(n−1)/2 only while n ≤ m + 1; at n = 3, m = 1 the left
    # side has 1 term and the right side is 0. Every sample has n ≤ 3 < 5 ≤ m.
    claim = (Sum(Sum(1, (j, i, m)), (i, 1, n)), "=", n * m - n * (n - 1) / 2)
    assert _false_at(*claim, assume(Integer(n, 3, 3), Integer(m, 1, 1)))
    assert check_step(make_step(*claim, assume(Integer(n, 1, 3), Integer(m, 5, 8)))).status != VERIFIED


def test_karr_identities_are_not_proved_by_the_symbolic_method():
    # Both are false (the numeric check finds it) but SymPy "proved" them: the symbolic method
    # must not claim a proof the numbers contradict.
    vector = assume(RealVector(x, 4))
    assert symbolic.check_equal(Sum(x[i], (i, 3, 1)), -x[2], declared_view(vector)).outcome != "proved"
    both = Sum(1, (i, a, b)) + Sum(1, (i, b + 1, a - 1))
    assert symbolic.check_equal(both, 0, declared_view(UNRELATED)).outcome != "proved"
    # A limit that is not an integer: SymPy counts n/2 terms in Σ_{i=1}^{n/2} 1.
    sizes = assume(Integer(n, 1, 6))
    assert symbolic.check_equal(Sum(1, (i, 1, n / 2)), n / 2, declared_view(sizes)).outcome != "proved"


def test_a_delta_with_a_symbolic_stride_is_not_summed_as_if_divisible(make_step):
    # Σ_{j=1}^{f} δ(c·j, k) is 1 only when c divides k; c ≥ 1000 is declared.
    claim = (Sum(KroneckerDelta(c * j, k), (j, 1, f)), "=", Piecewise((1, (k >= c) & (k <= c * f)), (0, True)))
    assert _false_at(*claim, assume(Integer(c, 1000, 1000), Integer(f, 2, 2), Integer(k, 1001, 1001)))
    step = make_step(*claim, assume(Integer(c, 1000, 1002), Integer(f, 1, 4), Integer(k, 1, 6)))
    assert check_step(step).status != VERIFIED


# ── the guard itself ───────────────────────────────────────────────────────────────────────
def test_a_declared_numeric_lower_bound_makes_a_range_run_forwards(make_step):
    # h ≥ 32 is declared (the PDF shows it), so Σ_{i=1}^{h−31} runs forwards and stays ✓
    # (HW7's p5.b.sizes.15 depends on this).
    facts = ranges.declared_facts(assume(Integer(h, 32, 40)))
    assert ranges.backwards(Sum(1, (i, 1, h - 31)), facts) is None
    assert ranges.backwards(Sum(1, (i, 1, h - 33)), facts) is not None  # h = 32: 1..−1
    step = make_step(Sum(1, (i, 1, h - 31)), "=", h - 31, assume(Integer(h, 32, 40)))
    assert check_step(step).status == VERIFIED


def test_a_sampling_bound_is_no_fact():
    # Integer(n, 1, 6): 6 only bounds the sampling, so Σ_{i=n}^{6} may run backwards.
    assert ranges.backwards(Sum(1, (i, n, 6)), ranges.declared_facts(assume(Integer(n, 1, 6)))) is not None
    # …while a symbolic upper bound is declared: k ≤ n.
    facts = ranges.declared_facts(assume(Integer(n, 1, 6), Integer(k, 1, n)))
    assert ranges.backwards(Sum(1, (i, k, n)), facts) is None


def test_an_inner_range_may_use_its_outer_index():
    # Σ_{i=1}^{n} Σ_{j=i}^{n}: inside, 1 ≤ i ≤ n, so j's range runs forwards.
    assert ranges.backwards(Sum(1, (j, i, n), (i, 1, n)), []) is None
    assert ranges.backwards(Sum(1, (j, i, m), (i, 1, n)), []) is not None


def test_strides_are_found_in_deltas_and_in_differentiated_entries():
    y = sp.IndexedBase("y", real=True)
    assert ranges.strided_delta(Sum(KroneckerDelta(2 * j, k), (j, 1, f))) is not None
    assert ranges.strided_delta(Sum(KroneckerDelta(j + 3, k), (j, 1, f))) is None
    assert ranges.strided_delta(sp.Derivative(Sum(y[c * j], (j, 1, f)), y[k])) is not None
    assert ranges.strided_delta(sp.Derivative(Sum(y[n - j], (j, 1, f)), y[k])) is None
    assert ranges.strided_delta(Sum(y[2 * j], (j, 1, f))) is None  # no derivative: no delta


def test_the_numeric_check_by_sympy_reads_a_backwards_range_as_no_terms(monkeypatch):
    # Where the compiler cannot print a step, SymPy evaluates it: by Karr's convention Σ_{7}^{5} 1
    # is −1 = 5 − 7 + 1, so the false claim passed there; the meant sum is 0.
    def refuse(*args, **kwargs):
        raise numeric.NotCompilable("forced for the test")

    monkeypatch.setattr(numeric, "compile_entries", refuse)
    at = assume(Integer(a, 7, 7), Integer(b, 5, 5))
    assert numeric.check("karr.sympy", Sum(1, (i, a, b)), "=", b - a + 1, at).outcome == "failed"
    empty_is_one = Piecewise((2 ** (b - a + 1), b >= a), (1, True))
    assert numeric.check("karr.sympy.p", Product(2, (i, a, b)), "=", empty_is_one, at).outcome == "passed"
    assert [float(v) for v in numeric.evaluate(Sum(Sum(1, (j, i, b)), (i, 1, a)), {a: 7, b: 5}, {a, b})] == [15.0]


def test_a_declared_divisibility_makes_a_quotient_limit_an_integer(make_step):
    # HW7's grouped convolution: Σ_{c=1}^{c_in/g} 1 = c_in/g with Mod(c_in, g) = 0 declared.
    from derive.core.assumptions import Constraint

    g, width = sp.symbols("g width", integer=True, positive=True)
    declared = assume(Integer(g, 1, 3), Integer(width, g, 6), Constraint(sp.Eq(sp.Mod(width, g), 0)))
    assert ranges.backwards(Sum(1, (i, 1, width / g)), ranges.declared_facts(declared)) is None
    assert ranges.backwards(Sum(1, (i, 1, width / g)), ranges.declared_facts(assume(Integer(g, 1, 3), Integer(width, g, 6)))) is not None
    assert check_step(make_step(Sum(1, (i, 1, width / g)), "=", width / g, declared)).status == VERIFIED


def test_a_delta_at_a_real_point_is_not_summed_as_if_it_were_an_integer():
    # Σ_{i=1}^{n} δ(i, u) is 0 at u = 1.5; SymPy's delta summation says [1 ≤ u ≤ n].
    from derive.core.assumptions import Real

    u = sp.Symbol("u", real=True)
    declared = declared_view(assume(Integer(n, 1, 6), Real(u, 1, 3)))
    in_range = Piecewise((1, (u >= 1) & (u <= n)), (0, True))
    assert symbolic.check_equal(Sum(KroneckerDelta(i, u), (i, 1, n)), in_range, declared).outcome != "proved"
