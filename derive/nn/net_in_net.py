"""Fully-connected layers as convolutions (Problem 5), without needing torch.

A linear layer that reads a flattened C × H × W feature map is the same map as a convolution whose
kernel covers the whole map: reshape its weight row by row in flatten's (channel, row, column)
order. Once the classifier is written as convolutions, the network accepts larger inputs and
computes the classifier on every 32 × 32 window at once, sharing the feature work of overlapping
windows. This module holds the pieces that need only numpy or plain integers:

* :func:`linear_to_conv` — the weight reshape (numpy arrays or torch tensors, torch imported
  only if the caller already uses it);
* :class:`Widths` — the architecture's channel counts, so tests can run a narrow copy of it;
* :func:`sliding_costs` — multiply–accumulate counts of the shared computation against running
  the original network on every window, in exact integers.

The torch modules and the numeric checks live in :mod:`derive.documents.hw7.net_in_net_torch`.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

#: Kernel sizes of the five feature convolutions (stride 1, no padding), fixed by the sheet.
KERNELS: tuple[int, ...] = (7, 3, 3, 3, 3)
#: Side of the square input the original network (Net1) is built for.
INPUT_SIZE: int = 32
#: Side of the feature map after the convolutions: 32 − 6 − 2 − 2 − 2 − 2.
FEATURE_SIZE: int = INPUT_SIZE - sum(k - 1 for k in KERNELS)


class ConvParams(NamedTuple):
    """The convolution's weight (out, C, H, W) and bias (out,) or None; unpacks as a pair."""

    weight: Any
    bias: Any


def _is_torch_tensor(value: object) -> bool:
    """True for a torch tensor, without importing torch when the caller has not."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _kind(value: object) -> str:
    if isinstance(value, np.ndarray):
        return "numpy array"
    if _is_torch_tensor(value):
        return "torch tensor"
    return type(value).__name__


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in value.shape)


def _check_in_shape(in_shape: Sequence[int]) -> tuple[int, int, int]:
    """Return in_shape as (C, H, W); (C,) means a 1 × 1 map."""
    try:
        dims = tuple(operator.index(n) for n in in_shape)
        if any(isinstance(n, bool) for n in in_shape):
            raise TypeError
    except TypeError:
        dims = ()
    if len(dims) not in (1, 3) or any(n <= 0 for n in dims):
        raise ValueError(
            f"in_shape must be (C,) or (C, H, W) of positive integers, got {in_shape!r}"
        )
    if len(dims) == 1:
        return (dims[0], 1, 1)
    return (dims[0], dims[1], dims[2])


def linear_to_conv(weight: Any, bias: Any, in_shape: Sequence[int]) -> ConvParams:
    """Turn a linear layer on a flattened C × H × W input into an equivalent convolution.

    ``flatten`` lays a (C, H, W) map out channel by channel, each channel row by row, so input
    feature ``c·H·W + r·W + s`` is pixel (c, r, s). Reshaping each weight row in that same
    C-order therefore gives a kernel with ``conv(x)[o, 0, 0] = Σ W[o, c, r, s]·x[c, r, s]``,
    which is exactly the linear layer's output o. With in_shape (C,) or (C, 1, 1) the kernel is
    1 × 1, which is how the later classifier layers become convolutions.

    weight is (out, C·H·W) and bias (out,) or None, both numpy arrays or both torch tensors; the
    result is of the same kind and dtype, a copy (writing to it leaves the linear layer alone).
    Raises ValueError naming the argument when a shape or kind does not fit.
    """
    channels, height, width = _check_in_shape(in_shape)
    weight_is_torch = _is_torch_tensor(weight)
    if not (weight_is_torch or isinstance(weight, np.ndarray)):
        raise ValueError(f"weight must be a numpy array or a torch tensor, got {_kind(weight)}")
    if weight.ndim != 2:
        raise ValueError(
            f"weight must be 2-D (out_features, in_features), got shape {_shape(weight)}"
        )
    out_features, in_features = _shape(weight)
    needed = channels * height * width
    if in_features != needed:
        raise ValueError(
            f"weight has {in_features} input features but in_shape {tuple(in_shape)} "
            f"flattens to {needed}"
        )
    if bias is not None:
        if _is_torch_tensor(bias) != weight_is_torch or not (
            _is_torch_tensor(bias) or isinstance(bias, np.ndarray)
        ):
            raise ValueError(f"bias must be a {_kind(weight)} like weight, got {_kind(bias)}")
        if _shape(bias) != (out_features,):
            raise ValueError(
                f"bias must have shape ({out_features},) to match weight, got {_shape(bias)}"
            )

    conv_shape = (out_features, channels, height, width)
    if weight_is_torch:
        # reshape keeps autograd; clone makes the copy (reshape alone may return a view)
        return ConvParams(
            weight.reshape(conv_shape).clone(),
            None if bias is None else bias.clone(),
        )
    return ConvParams(
        weight.reshape(conv_shape, order="C").copy(),
        None if bias is None else bias.copy(),
    )


@dataclass(frozen=True)
class Widths:
    """Channel counts of Net1/Net2; the defaults are the sheet's, smaller ones keep tests fast.

    The kernel sizes (:data:`KERNELS`) and the 32 × 32 input are fixed, so the feature map is
    always ``channels[-1] × 18 × 18``; ``hidden`` lists the classifier's hidden widths.
    """

    in_channels: int = 3
    channels: tuple[int, ...] = (64, 192, 384, 256, 256)
    hidden: tuple[int, ...] = (4096, 4096)
    classes: int = 10

    def __post_init__(self) -> None:
        if len(self.channels) != len(KERNELS):
            raise ValueError(
                f"channels must list {len(KERNELS)} widths, one per convolution, "
                f"got {len(self.channels)}"
            )
        for name, values in (
            ("in_channels", (self.in_channels,)),
            ("channels", self.channels),
            ("hidden", self.hidden),
            ("classes", (self.classes,)),
        ):
            if any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values):
                raise ValueError(f"{name} must be positive integers, got {values!r}")

    @property
    def flat_features(self) -> int:
        """Inputs of the first linear layer: the flattened feature map."""
        return self.channels[-1] * FEATURE_SIZE * FEATURE_SIZE

    @property
    def linear_sizes(self) -> tuple[tuple[int, int], ...]:
        """(in, out) of each classifier layer, in order."""
        sizes = (self.flat_features, *self.hidden, self.classes)
        return tuple(zip(sizes[:-1], sizes[1:]))


#: The architecture of Problem 5 as printed on the sheet.
SHEET_WIDTHS = Widths()
#: A narrow copy with the same shapes of maps, for quick tests.
SMALL_WIDTHS = Widths(channels=(4, 6, 8, 8, 8), hidden=(32, 32))


@dataclass(frozen=True)
class LayerCost:
    """One layer's multiply–accumulates: Net2 once on the big input vs Net1 on every window."""

    name: str
    net2_macs: int
    net1_macs: int

    @property
    def saved(self) -> int:
        return self.net1_macs - self.net2_macs


@dataclass(frozen=True)
class CostTable:
    """Per-layer MAC counts for an h × w input; ``patches`` windows of 32 × 32."""

    height: int
    width: int
    patches: int
    layers: tuple[LayerCost, ...]

    @property
    def net2_total(self) -> int:
        return sum(layer.net2_macs for layer in self.layers)

    @property
    def net1_total(self) -> int:
        return sum(layer.net1_macs for layer in self.layers)

    @property
    def ratio(self) -> float:
        """How many times more work the window-by-window evaluation does."""
        return self.net1_total / self.net2_total


def _spec(widths: Widths, height: int, width: int, classifier_as_conv: bool) -> dict[str, Any]:
    """Net2 (classifier as convolutions) or Net1 (flatten, linear layers) as a counting spec."""
    layers: list[dict[str, Any]] = [
        {"name": f"conv{i}", "type": "conv2d", "out_channels": c, "kernel_size": k}
        for i, (c, k) in enumerate(zip(widths.channels, KERNELS), start=1)
    ]
    if classifier_as_conv:
        kernels = [FEATURE_SIZE] + [1] * (len(widths.linear_sizes) - 1)
        layers += [{"name": f"fc{i}", "type": "conv2d", "out_channels": n_out, "kernel_size": k}
                   for i, ((_, n_out), k) in enumerate(zip(widths.linear_sizes, kernels), start=1)]
    else:
        layers.append({"name": "flatten", "type": "flatten"})
        layers += [{"name": f"fc{i}", "type": "linear", "out_features": n_out}
                   for i, (_, n_out) in enumerate(widths.linear_sizes, start=1)]
    name = "net2" if classifier_as_conv else "net1"
    return {"name": name, "input": [widths.in_channels, height, width], "layers": layers}


def _macs_by_layer(spec: dict[str, Any]) -> dict[str, int]:
    # The counting engine (derive.counting) is the one place that knows what a layer costs.
    from derive.counting import build_network, count_network

    counted = count_network(build_network(spec, f"sliding_costs {spec['name']}"))
    return {row.name: row.macs for row in counted.layers}


def sliding_costs(height: int, width: int, widths: Widths = SHEET_WIDTHS) -> CostTable:
    """Count MACs of Net2 on an h × w input against Net1 on each of its (h−31)(w−31) windows.

    The counts come from the counting engine (:mod:`derive.counting`, the course's convention:
    one operation per multiply–add, biases and ReLUs not counted), applied to Net2 on the big
    input and to Net1 on one 32 × 32 window. The feature convolutions are where sharing pays:
    Net2 computes each feature pixel once, Net1 recomputes it for every window that contains
    it. The classifier saves nothing — an 18 × 18 convolution evaluated at (h−31)(w−31)
    positions is the first linear layer applied (h−31)(w−31) times — which the table shows.
    """
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < INPUT_SIZE:
            raise ValueError(f"{name} must be an integer ≥ {INPUT_SIZE}, got {value!r}")
    rows, cols = height - INPUT_SIZE + 1, width - INPUT_SIZE + 1
    patches = rows * cols
    net2 = _macs_by_layer(_spec(widths, height, width, classifier_as_conv=True))
    net1 = _macs_by_layer(_spec(widths, INPUT_SIZE, INPUT_SIZE, classifier_as_conv=False))
    layers: list[LayerCost] = []
    c_in = widths.in_channels
    for index, (c_out, kernel) in enumerate(zip(widths.channels, KERNELS), start=1):
        key = f"conv{index}"
        layers.append(LayerCost(f"conv{index} {c_in}→{c_out} k{kernel}", net2[key], patches * net1[key]))
        c_in = c_out
    kernel = FEATURE_SIZE
    for index, (n_in, n_out) in enumerate(widths.linear_sizes, start=1):
        key = f"fc{index}"
        layers.append(LayerCost(f"fc{index} {n_in}→{n_out} (conv k{kernel})", net2[key], patches * net1[key]))
        kernel = 1
    return CostTable(height, width, patches, tuple(layers))

