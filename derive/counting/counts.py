"""Exact integer counts per layer — output shape, parameters, MACs, multiplications, additions —
in closed form, and the network totals by kind.

Only conv and linear layers have counted operations (pooling, activations, batch norm and dropout
are not counted, as on the problem sheet); batch norm layers still have parameters (γ and β).

Closed forms (per conv layer, ``g`` groups, output C_out x H_out x W_out):
  products   P = C_out · (C_in/g) · V_h · V_w, where V_a is the number of
               (output position, kernel tap) pairs along axis a — all H_out·k_h of them, or with
               ``exclude_padding`` only those landing inside the input;
  mults      = P;
  adds       = P − (outputs with at least one product, if ``strict``) + (outputs, if ``bias``).
``brute.py`` recounts small layers by enumeration to check these formulas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from derive.counting import layers as L
from derive.counting.convention import HOMEWORK, Convention

if TYPE_CHECKING:
    from fractions import Fraction

KINDS = ("conv", "linear", "other")
QUANTITIES = ("params", "macs", "mults", "adds")


@dataclass(frozen=True)
class LayerCount:
    """One row of the count table. ``kind`` is ``conv``, ``linear`` or ``other``."""

    index: int
    name: str
    type: str
    kind: str
    out_shape: L.Shape
    params: int
    macs: int
    mults: int
    adds: int


@dataclass(frozen=True)
class Totals:
    """Sums of the four quantities over some layers."""

    params: int = 0
    macs: int = 0
    mults: int = 0
    adds: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, q) + getattr(other, q) for q in QUANTITIES))

    def get(self, quantity: str) -> int:
        """The total of one of ``QUANTITIES`` by name."""
        return int(getattr(self, quantity))


@dataclass(frozen=True)
class NetworkCount:
    """Per-layer rows, the overall totals and the totals of each kind (conv, linear, other)."""

    network: L.Network
    convention: Convention
    layers: tuple[LayerCount, ...]
    totals: Totals
    by_kind: dict[str, Totals] = field(default_factory=dict)

    def share(self, kind: str, quantity: str) -> Fraction:
        """Exact fraction of ``quantity`` (e.g. ``"macs"``) that layers of ``kind`` account for;
        zero when the network has none of it."""
        from fractions import (
            Fraction,  # imports decimal: kept off the CLI's start-up path
        )

        whole = self.totals.get(quantity)
        return (
            Fraction(self.by_kind[kind].get(quantity), whole) if whole else Fraction(0)
        )

    def percent(self, kind: str, quantity: str) -> float:
        """``share`` as a percentage, in floating point (for display and JSON)."""
        whole = self.totals.get(quantity)
        return 100 * self.by_kind[kind].get(quantity) / whole if whole else 0.0


def count_network(
    network: L.Network, convention: Convention = HOMEWORK
) -> NetworkCount:
    """Count every layer of ``network`` under ``convention`` and total them by kind."""
    rows = tuple(count_layer(layer, convention) for layer in network.layers)
    by_kind = {kind: Totals() for kind in KINDS}
    for row in rows:
        by_kind[row.kind] = by_kind[row.kind] + Totals(
            row.params, row.macs, row.mults, row.adds
        )
    totals = sum(by_kind.values(), Totals())
    return NetworkCount(network, convention, rows, totals, by_kind)


def count_layer(layer: L.Layer, convention: Convention = HOMEWORK) -> LayerCount:
    """The count row of one resolved layer."""
    kind, params, products, covered, outputs = _COUNTERS[type(layer.op)](
        layer, convention
    )
    has_bias = isinstance(layer.op, (L.Conv2d, L.Linear)) and layer.op.bias
    adds = products
    if convention.strict:
        adds -= covered
    if convention.bias and has_bias:
        adds += outputs
    return LayerCount(
        index=layer.index,
        name=layer.name,
        type=layer.type,
        kind=kind,
        out_shape=layer.out_shape,
        params=params,
        macs=products,
        mults=products,
        adds=adds,
    )


def floor_sum(n: int, m: int, a: int, b: int) -> int:
    """Σ_{i=0}^{n-1} ⌊(a·i + b)/m⌋ for n ≥ 0, m ≥ 1, a ≥ 0, b ≥ 0, in O(log) steps (a Euclid-like
    reduction), so any size answers at once."""
    total = 0
    while n > 0:
        if a >= m:
            total += (n - 1) * n // 2 * (a // m)
            a %= m
        if b >= m:
            total += n * (b // m)
            b %= m
        top = a * n + b
        if top < m:
            break
        n, b, m, a = top // m, top % m, a, m
    return total


def _taps_at_most(limit: int, out: int, kernel: int, stride: int, dilation: int) -> int:
    """#{(o, t): 0 ≤ o < out, 0 ≤ t < kernel, o·s + t·d ≤ limit}, in closed form."""
    if limit < 0 or out <= 0 or kernel <= 0:
        return 0
    # For output o the taps t ≤ ⌊(limit − o·s)/d⌋ count: all k of them while o ≤ full, some up to last.
    full = min((limit - (kernel - 1) * dilation) // stride, out - 1)
    last = min(limit // stride, out - 1)
    total = kernel * max(full + 1, 0)
    first = max(full + 1, 0)
    if last >= first:
        # Σ_{o=first}^{last} (⌊(limit − o·s)/d⌋ + 1), summed backwards from o = last (j = last − o).
        count = last - first + 1
        total += count + floor_sum(count, dilation, stride, limit - last * stride)
    return total


def axis_pairs(
    size: int, out: int, kernel: int, stride: int, padding: int, dilation: int
) -> int:
    """How many (output position, kernel tap) pairs along one axis read a real input element.

    Tap t of output o reads position o·s − p + t·d, real when 0 ≤ o·s + t·d − p ≤ size − 1: a
    difference of two lattice-point counts under a line, each a floor sum — no loop over taps or
    outputs, so a kernel of 10⁸ or a padding of 10¹² answers at once.
    """
    return _taps_at_most(padding + size - 1, out, kernel, stride, dilation) - _taps_at_most(
        padding - 1, out, kernel, stride, dilation
    )


def axis_covered(
    size: int, out: int, kernel: int, stride: int, padding: int, dilation: int
) -> int:
    """How many output positions along one axis read at least one real input element.

    When dilation ≤ size the taps are at most ``size`` apart, so a window reads the input exactly
    when its span overlaps it: an interval of o. Otherwise taps are more than ``size`` apart, so at
    most one tap of a window lands in the input, and the covered outputs are the reading pairs.
    """
    span = dilation * (kernel - 1)
    if dilation <= size:
        first = max(0, -(-(padding - span) // stride))
        last = min(out - 1, (size - 1 + padding) // stride)
        return max(0, last - first + 1)
    return axis_pairs(size, out, kernel, stride, padding, dilation)


Counted = tuple[
    str, int, int, int, int
]  # kind, params, products, covered outputs, outputs


def _conv2d(layer: L.Layer, convention: Convention) -> Counted:
    op = layer.op
    assert isinstance(op, L.Conv2d) and op.in_channels is not None
    _, h, w = layer.in_shape
    c_out, h_out, w_out = layer.out_shape
    per_group_in = op.in_channels // op.groups
    params = c_out * per_group_in * op.kernel_size[0] * op.kernel_size[1] + (
        c_out if op.bias else 0
    )
    outputs = c_out * h_out * w_out
    axes = list(
        zip((h, w), (h_out, w_out), op.kernel_size, op.stride, op.padding, op.dilation)
    )
    if convention.exclude_padding:
        pairs = [axis_pairs(*a) for a in axes]
        covered = c_out * axis_covered(*axes[0]) * axis_covered(*axes[1])
    else:
        pairs = [out * k for _, out, k, _, _, _ in axes]
        covered = outputs
    products = c_out * per_group_in * pairs[0] * pairs[1]
    return "conv", params, products, covered, outputs


def _linear(layer: L.Layer, convention: Convention) -> Counted:
    op = layer.op
    assert isinstance(op, L.Linear) and op.in_features is not None
    products = op.in_features * op.out_features
    params = products + (op.out_features if op.bias else 0)
    return "linear", params, products, op.out_features, op.out_features


def _batchnorm(layer: L.Layer, convention: Convention) -> Counted:
    op = layer.op
    assert (
        isinstance(op, (L.BatchNorm1d, L.BatchNorm2d)) and op.num_features is not None
    )
    return "other", 2 * op.num_features if op.affine else 0, 0, 0, 0


def _uncounted(layer: L.Layer, convention: Convention) -> Counted:
    return "other", 0, 0, 0, 0


_COUNTERS: dict[type, Callable[[L.Layer, Convention], Counted]] = {
    L.Conv2d: _conv2d,
    L.Linear: _linear,
    L.BatchNorm2d: _batchnorm,
    L.BatchNorm1d: _batchnorm,
    L.MaxPool2d: _uncounted,
    L.AvgPool2d: _uncounted,
    L.AdaptiveAvgPool2d: _uncounted,
    L.ReLU: _uncounted,
    L.Dropout: _uncounted,
    L.Flatten: _uncounted,
}
