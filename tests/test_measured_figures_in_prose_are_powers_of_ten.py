"""A measured figure in a sentence is written as the tables write it (3.0 · 10^{-7}), not 3.0e-07."""

from __future__ import annotations

import math

import pytest

from derive.documents.hw7.prose_numbers import power_of_ten


@pytest.mark.parametrize("value, digits, written", [
    (3.0e-7, 1, "$3.0 · 10^{-7}$"),
    (6.7e-16, 1, "$6.7 · 10^{-16}$"),
    (1.0e-6, 1, "$1.0 · 10^{-6}$"),  # a measured value keeps its figure
    (1e-4, 0, "$10^{-4}$"),  # a round tolerance is a bare power
    (2.5e3, 1, "$2.5 · 10^{3}$"),
    (0.0, 1, "$0$"),
    (math.inf, 1, "$\\infty$"),
])
def test_a_figure_is_written_as_a_power_of_ten(value, digits, written):
    assert power_of_ten(value, digits) == written
    assert "e-" not in written and "e+" not in written
