"""The three figures of the solution plot data computed by the build, not typed numbers."""

from __future__ import annotations

import math

import pytest

from derive.documents.hw7 import p1_softmax, p2_counting, p5_net_in_net
from derive.core.document import Figure, Part
from derive.counting import count_network, load_network
from derive.render.view import figure_value


def _figure(part: Part) -> Figure:
    (figure,) = [b for b in part.blocks if isinstance(b, Figure)]
    return figure


def test_softmax_curve_is_the_log_sum_exp_and_stays_in_its_band():
    part = Part("a", "figure", 1)
    p1_softmax.softmax_figure(part)
    data = _figure(part).data
    xs = p1_softmax.FIGURE_X
    top, n = max(xs), len(xs)
    for (beta, nu), (_, upper), (_, lower) in zip(data["nu"], data["upper"], data["lower"]):
        expected = math.log(sum(math.exp(beta * v) for v in xs)) / beta  # independent evaluation
        assert nu == pytest.approx(expected, rel=1e-12)
        assert lower == top and upper == pytest.approx(top + math.log(n) / beta)
        assert lower <= nu <= upper
    assert data["max"] == top


def test_share_bars_are_the_counting_engines_per_layer_shares():
    count = count_network(load_network("alexnet"))
    data = p2_counting.share_figure(count)
    layers = [row for row in count.layers if row.kind in ("conv", "linear")]
    assert data["labels"] == [row.name for row in layers]
    assert [p for _, p in data["params"]] == pytest.approx([100 * r.params / count.totals.params for r in layers])
    assert sum(p for _, p in data["macs"]) == pytest.approx(100.0)
    assert sum(p for _, p in data["params"]) == pytest.approx(100.0)


def test_window_grid_is_the_checked_output_size():
    part = Part("b", "figure", 5)
    p5_net_in_net.windows_figure(part, 36, 38, 5, 7)
    data = _figure(part).data
    assert (data["rows"], data["cols"], data["height"], data["width"]) == (5, 7, 36, 38)
    corners = {(w["row"], w["col"]) for w in data["windows"]}
    assert (4, 0) in corners and (0, 6) in corners  # top-left window → top-left output cell


def test_problem_5_figure_uses_the_proved_side_length():
    problem = p5_net_in_net.problem()
    (figure,) = [b for p in problem.parts for b in p.blocks if isinstance(b, Figure)]
    assert (figure.data["rows"], figure.data["cols"]) == (36 - 31, 38 - 31)


@pytest.mark.parametrize("value", [math.nan, math.inf, True])
def test_figure_data_refuses_what_is_not_a_number(value):
    with pytest.raises((ValueError, TypeError)):
        figure_value(value)
