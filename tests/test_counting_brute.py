"""Closed-form counts against counting by enumeration (``derive.counting.brute``), under every
convention, on small random conv and linear layers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive.counting import Convention, count_layer, parse_spec
from derive.counting.brute import brute_count, brute_output_size
from derive.counting.counts import axis_covered, axis_pairs
from derive.counting.shapes import conv_output_size

CONVENTIONS = [
    Convention(*flags) for flags in itertools.product((False, True), repeat=3)
]


def conv_layer(c_in, h, w, *, out, k, s=1, p=0, d=1, g=1, bias=True):
    text = (
        f'input = [{c_in}, {h}, {w}]\n[[layers]]\ntype = "conv2d"\nout_channels = {out}\n'
        f"kernel_size = {list(k)}\nstride = {list(s)}\npadding = {list(p)}\n"
        f"dilation = {list(d)}\ngroups = {g}\nbias = {str(bias).lower()}\n"
    )
    return parse_spec(text, "random").layers[0]


def pair(x):
    return (x, x) if isinstance(x, int) else x


def small_conv(c_in, h, w, out, k, s=1, p=0, d=1, g=1, bias=True):
    return conv_layer(
        c_in, h, w, out=out, k=pair(k), s=pair(s), p=pair(p), d=pair(d), g=g, bias=bias
    )


def assert_agrees(layer) -> None:
    for convention in CONVENTIONS:
        fast, slow = count_layer(layer, convention), brute_count(layer, convention)
        got = (fast.out_shape, fast.params, fast.macs, fast.mults, fast.adds)
        assert got == (slow.out_shape, slow.params, slow.macs, slow.mults, slow.adds), (
            convention
        )


def test_three_by_three_with_padding_by_hand() -> None:
    """3x3 input, 3x3 kernel, padding 1: 9 outputs x 9 taps = 81 products; the taps inside the
    input number (2+3+2) per axis, 7·7 = 49."""
    layer = small_conv(1, 3, 3, out=1, k=3, p=1, bias=False)
    for count in (count_layer, brute_count):
        assert count(layer).macs == 81
        assert count(layer, Convention(exclude_padding=True)).macs == 49
        # strict: one addition fewer per output; each of the 9 outputs reads the input
        assert (
            count(layer, Convention(strict=True, exclude_padding=True)).adds == 49 - 9
        )
        # no bias in this layer, so --bias changes nothing
        assert count(layer, Convention(bias=True)).adds == 81


def test_window_that_straddles_the_whole_input() -> None:
    """Width 1, two taps 2 apart, padding 1: the taps land at -1 and 1, both padding. The one
    output reads no input at all, so it has no products and (strict) no additions."""
    layer = small_conv(1, 1, 1, out=1, k=(1, 2), p=(0, 1), d=(1, 2), bias=True)
    assert layer.out_shape == (1, 1, 1)
    strict = Convention(strict=True, exclude_padding=True)
    for count in (count_layer, brute_count):
        assert count(layer, strict).macs == 0
        assert count(layer, strict).adds == 0
        assert (
            count(layer, Convention(bias=True, strict=True, exclude_padding=True)).adds
            == 1
        )
    assert_agrees(layer)


def test_brute_force_notices_each_convention() -> None:
    """The reference must itself be sensitive: each flag alone changes its answer on a padded,
    biased layer, so agreement with it is not vacuous. (bias and strict together cancel out.)"""
    layer = small_conv(2, 4, 4, out=2, k=3, p=1)
    base = brute_count(layer)
    for flag in ("bias", "strict", "exclude_padding"):
        changed = brute_count(layer, Convention(**{flag: True}))
        assert (changed.macs, changed.adds) != (base.macs, base.adds), flag


def test_closed_form_disagrees_with_a_wrong_reference() -> None:
    """A layer whose counts are compared with a different layer's enumeration must not pass."""
    layer = small_conv(4, 5, 5, out=4, k=3, p=1, g=2)
    other = small_conv(4, 5, 5, out=4, k=3, p=1, g=1)
    assert count_layer(layer).macs != brute_count(other).macs
    assert count_layer(layer).params != brute_count(other).params


def test_brute_force_refuses_uncounted_layers() -> None:
    net = parse_spec('input = [4]\n[[layers]]\ntype = "relu"\n', "r")
    with pytest.raises(
        TypeError, match=r"^brute force counts conv2d and linear layers only, not relu$"
    ):
        brute_count(net.layers[0])


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 4),
)
def test_output_size_formula_matches_enumeration(
    size, kernel, stride, padding, dilation
) -> None:
    assume(dilation * (kernel - 1) + 1 <= size + 2 * padding)
    out = conv_output_size(size, kernel, stride, padding, dilation)
    assert out == brute_output_size(size, kernel, stride, padding, dilation)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 5),
)
def test_axis_counts_match_enumeration(size, kernel, stride, padding, dilation) -> None:
    assume(dilation * (kernel - 1) + 1 <= size + 2 * padding)
    out = conv_output_size(size, kernel, stride, padding, dilation)
    taps = [
        [0 <= o * stride - padding + t * dilation < size for t in range(kernel)]
        for o in range(out)
    ]
    assert axis_pairs(size, out, kernel, stride, padding, dilation) == sum(
        map(sum, taps)
    )
    assert axis_covered(size, out, kernel, stride, padding, dilation) == sum(
        map(any, taps)
    )


@st.composite
def conv_params(draw):
    groups = draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    for size, k, p, d in zip((h, w), kernel, padding, dilation):
        assume(d * (k - 1) + 1 <= size + 2 * p)
    return {
        "c_in": groups * draw(st.integers(1, 2)),
        "h": h,
        "w": w,
        "out": groups * draw(st.integers(1, 2)),
        "k": kernel,
        "s": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "p": padding,
        "d": dilation,
        "g": groups,
        "bias": draw(st.booleans()),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)
@given(conv_params())
def test_random_conv_layers_agree_with_enumeration(params) -> None:
    assert_agrees(conv_layer(**params))


@settings(max_examples=30, deadline=None)
@given(n_in=st.integers(1, 12), n_out=st.integers(1, 12), bias=st.booleans())
def test_random_linear_layers_agree_with_enumeration(n_in, n_out, bias) -> None:
    text = (
        f'input = [{n_in}]\n[[layers]]\ntype = "linear"\nout_features = {n_out}\n'
        f"bias = {str(bias).lower()}\n"
    )
    assert_agrees(parse_spec(text, "random").layers[0])
