"""Counting by enumeration: visit every output element and every kernel tap, one by one.

This is the definition the closed forms in ``counts.py`` must agree with, written the slow and
obvious way so it can be read and trusted. It is only for small layers (tests); it re-derives the
output size and the group structure instead of reading them from the resolved layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.counting import layers as L
from derive.counting.convention import HOMEWORK, Convention


@dataclass(frozen=True)
class BruteCount:
    """What enumeration found for one layer."""

    out_shape: L.Shape
    params: int
    macs: int
    mults: int
    adds: int


def brute_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> int:
    """Count the window positions o = 0, 1, … whose last tap still lies in the padded input."""
    count = 0
    while count * stride + dilation * (kernel - 1) <= size + 2 * padding - 1:
        count += 1
    return count


def brute_count(layer: L.Layer, convention: Convention = HOMEWORK) -> BruteCount:
    """Enumerate a conv2d or linear layer's products and additions under ``convention``."""
    op = layer.op
    if isinstance(op, L.Linear):
        return _linear(op, layer.in_shape, convention)
    if isinstance(op, L.Conv2d):
        return _conv2d(op, layer.in_shape, convention)
    raise TypeError(
        f"brute force counts conv2d and linear layers only, not {layer.type}"
    )


def _sum_cost(products: int, convention: Convention, bias: bool) -> int:
    """Additions to sum ``products`` products into one output, plus its bias if counted."""
    adds = products - 1 if convention.strict and products > 0 else products
    return adds + (1 if convention.bias and bias else 0)


def _linear(op: L.Linear, in_shape: L.Shape, convention: Convention) -> BruteCount:
    (n_in,) = in_shape
    mults = adds = params = 0
    for _ in range(op.out_features):
        products = 0
        for _ in range(n_in):
            products += 1
            params += 1
        mults += products
        adds += _sum_cost(products, convention, op.bias)
        params += 1 if op.bias else 0
    return BruteCount((op.out_features,), params, mults, mults, adds)


def _conv2d(op: L.Conv2d, in_shape: L.Shape, convention: Convention) -> BruteCount:
    c_in, h, w = in_shape
    kh, kw = op.kernel_size
    (sh, sw), (ph, pw), (dh, dw) = op.stride, op.padding, op.dilation
    h_out = brute_output_size(h, kh, sh, ph, dh)
    w_out = brute_output_size(w, kw, sw, pw, dw)
    in_per_group = c_in // op.groups
    out_per_group = op.out_channels // op.groups

    def connected(co: int, ci: int) -> bool:
        return co // out_per_group == ci // in_per_group

    params = 0
    for co in range(op.out_channels):
        params += sum(kh * kw for ci in range(c_in) if connected(co, ci))
        params += 1 if op.bias else 0

    mults = adds = 0
    for co in range(op.out_channels):
        inputs = [ci for ci in range(c_in) if connected(co, ci)]
        for oy in range(h_out):
            for ox in range(w_out):
                products = 0
                for _ci in inputs:
                    for i in range(kh):
                        y = oy * sh - ph + i * dh
                        for j in range(kw):
                            x = ox * sw - pw + j * dw
                            inside = 0 <= y < h and 0 <= x < w
                            if inside or not convention.exclude_padding:
                                products += 1
                mults += products
                adds += _sum_cost(products, convention, op.bias)
    return BruteCount((op.out_channels, h_out, w_out), params, mults, mults, adds)
