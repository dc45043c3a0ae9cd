"""Measured figures written in prose the way the tables and displays write them: 3.0 · 10^{-7}."""

from __future__ import annotations

import math


def power_of_ten(value: float, digits: int = 1) -> str:
    """``value`` as prose maths, ``$3.0 · 10^{-7}$``; a bare power for a round tolerance
    (``power_of_ten(1e-4, 0)`` is ``$10^{-4}$``)."""
    if value == 0:
        return "$0$"
    if not math.isfinite(value):
        return "$\\infty$"
    mantissa, power = f"{value:.{digits}e}".split("e")
    head = "" if mantissa == "1" else f"{mantissa} · "  # a tolerance 10^{-4}; a measured 1.0 · 10^{-6}
    return f"${head}10^{{{int(power)}}}$"
