"""A function class's ``mpmath_value`` (a speed shortcut of the compiled numeric check) is used only
while it agrees with the class's SymPy value, also far outside the sampled range."""

from __future__ import annotations

import mpmath
import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import compiled, numeric


class WrongFarOut(sp.Function):
    """tanh by its value; the shortcut is tanh only on [−3, 3] and 0 beyond."""

    nargs = 1

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        return sp.N(sp.tanh(self.args[0]), prec_to_dps(prec))

    @staticmethod
    def mpmath_value(value):
        return mpmath.tanh(value) if abs(value) <= 3 else mpmath.mpf(0)


def test_a_shortcut_wrong_only_beyond_the_samples_is_not_trusted():
    u = sp.Symbol("u", real=True)
    function = compiled.compile_entries([WrongFarOut(u)], [u])
    with mpmath.workdps(60):
        for _ in range(compiled.SHORTCUT_CHECKS + 5):  # more agreeing calls than are compared
            assert abs(function(mpmath.mpf("1.5"))[0] - mpmath.tanh(mpmath.mpf("1.5"))) < mpmath.mpf(10) ** -50
        assert abs(function(mpmath.mpf(50))[0] - mpmath.tanh(50)) < mpmath.mpf(10) ** -50
    # …so the numeric check sees the true value: WrongFarOut(u) = tanh(u) everywhere.
    result = numeric.check("shortcut.far", WrongFarOut(u), "=", sp.tanh(u), assume(Real(u, -2, 2)))
    assert result.outcome == "passed", result
