"""Build a spec's network in PyTorch, to cross-check our counts against an independent source.

torch is imported inside the functions, never at module import, so ``derive.counting`` stays
usable (and fast) without it. Modules are built on the ``meta`` device by default: shapes,
parameter counts and ``FlopCounterMode`` work without allocating or computing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from derive.counting import layers as L

if TYPE_CHECKING:
    import torch


def build_module(network: L.Network, device: str = "meta") -> torch.nn.Sequential:
    """An ``nn.Sequential`` whose children are named as the spec's layers."""
    import torch
    from torch import nn

    model = nn.Sequential()
    with torch.device(
        device
    ):  # create the weights there: no 1.3 GB CPU detour for Net1's fc1
        for layer in network.layers:
            model.add_module(layer.name, _module(layer.op, nn))
    return model


def _module(op: L.Op, nn: Any) -> Any:
    if isinstance(op, L.Conv2d):
        return nn.Conv2d(
            op.in_channels,
            op.out_channels,
            op.kernel_size,
            stride=op.stride,
            padding=op.padding,
            dilation=op.dilation,
            groups=op.groups,
            bias=op.bias,
        )
    if isinstance(op, L.Linear):
        return nn.Linear(op.in_features, op.out_features, bias=op.bias)
    if isinstance(op, L.MaxPool2d):
        return nn.MaxPool2d(
            op.kernel_size, op.stride, op.padding, op.dilation, ceil_mode=op.ceil_mode
        )
    if isinstance(op, L.AvgPool2d):
        return nn.AvgPool2d(
            op.kernel_size, op.stride, op.padding, ceil_mode=op.ceil_mode
        )
    if isinstance(op, L.AdaptiveAvgPool2d):
        return nn.AdaptiveAvgPool2d(op.output_size)
    if isinstance(op, L.BatchNorm2d):
        return nn.BatchNorm2d(op.num_features, op.eps, op.momentum, affine=op.affine)
    if isinstance(op, L.BatchNorm1d):
        return nn.BatchNorm1d(op.num_features, op.eps, op.momentum, affine=op.affine)
    if isinstance(op, L.ReLU):
        return nn.ReLU(inplace=op.inplace)
    if isinstance(op, L.Dropout):
        return nn.Dropout(op.p)
    if isinstance(op, L.Flatten):
        return nn.Flatten()
    raise TypeError(f"no torch module for {type(op).__name__}")


def torch_counts(
    network: L.Network,
) -> tuple[dict[str, int], dict[str, int], tuple[int, ...]]:
    """Per-layer parameter counts, per-layer FlopCounterMode FLOPs and the output shape.

    Runs one forward pass (batch of 1, eval mode) on the meta device under ``FlopCounterMode``,
    whose convention is 2 FLOPs per multiply–add, biases ignored, padding products included.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = build_module(network).eval()
    params = {
        name: sum(p.numel() for p in child.parameters())
        for name, child in model.named_children()
    }
    x = torch.empty(1, *network.input_shape, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        y = model(x)
    per_module = counter.get_flop_counts()
    flops = {
        name: sum(per_module.get(f"Sequential.{name}", {}).values())
        for name, _ in model.named_children()
    }
    return params, flops, tuple(y.shape[1:])
