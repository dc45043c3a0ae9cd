"""Shape inference: each layer's input size comes from the previous layer, its output from
PyTorch's formulas (floor division; pooling stride defaults to the kernel size).

Resolution also fills in what the spec may omit (``in_channels``, ``in_features``,
``num_features``) and rejects what PyTorch would reject at run time — a kernel larger than its
padded input, channels not divisible by groups, a linear layer on an unflattened C x H x W shape —
as one-line ``InputError``s naming the layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NoReturn

from derive.counting import layers as L
from derive.counting.messages import layer_where
from derive.errors import InputError

Fail = Callable[[str], NoReturn]
_AXES = ("height", "width")


def resolve(
    input_shape: L.Shape, raw: list[L.RawLayer], source: str
) -> tuple[L.Layer, ...]:
    """Walk the layers in order, inferring sizes and computing every output shape."""
    shape = input_shape
    resolved: list[L.Layer] = []
    for layer in raw:
        where = layer_where(
            source, layer.index, layer.name if layer.named else None, layer.type
        )

        def fail(problem: str, where: str = where) -> NoReturn:
            raise InputError(f"{where}: {problem}")

        op, out_shape = _RESOLVERS[type(layer.op)](layer.op, shape, fail)
        resolved.append(L.Layer(layer.index, layer.name, op, shape, out_shape))
        shape = out_shape
    return tuple(resolved)


def conv_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> int:
    """PyTorch's output length along one axis: ⌊(size + 2p − d(k−1) − 1)/s⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling output length; with ``ceil_mode`` the last window must start inside
    the input or the left padding (``pooling_output_shape`` in ATen)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _spatial(type_name: str, shape: L.Shape, fail: Fail) -> tuple[int, int, int]:
    if len(shape) != 3:
        fail(
            f"{type_name} needs a CxHxW input but gets {shape[0]} features; "
            "it must come before any flatten or linear layer"
        )
    return shape  # type: ignore[return-value]


def _flat(type_name: str, shape: L.Shape, fail: Fail, other: str = "") -> int:
    if len(shape) != 1:
        fail(
            f"{type_name} needs a flat input but gets {L.format_shape(shape)}; "
            f"add a flatten layer before it{other}"
        )
    return shape[0]


def _check_fits(
    hw: tuple[int, int],
    kernel: L.Pair,
    padding: L.Pair,
    dilation: L.Pair,
    fail: Fail,
    out: tuple[int, ...] | None = None,
) -> None:
    """The (dilated) kernel must fit inside the padded input on both axes — or, for pooling
    with ``ceil_mode``, where the last window may hang over, leave at least one output."""
    for i, (axis, size, k, p, d) in enumerate(
        zip(_AXES, hw, kernel, padding, dilation)
    ):
        span = d * (k - 1) + 1
        if (out[i] < 1) if out is not None else (span > size + 2 * p):
            dilated = "dilated kernel" if d > 1 else "kernel"
            fix = (
                "use a smaller kernel_size or dilation, or more padding"
                if d > 1
                else "use a smaller kernel_size or more padding"
            )
            fail(
                f"{dilated} {axis} {span} is larger than the padded input {axis} "
                f"{size + 2 * p} ({size} plus padding {p} on each side); "
                f"{fix}"
            )


def _inferred(field: str, given: int | None, actual: int, what: str, fail: Fail) -> int:
    if given is not None and given != actual:
        fail(
            f"{field} is {given} but the input has {actual} {what}; set {field} = {actual} or omit it"
        )
    return actual


def _conv2d(op: L.Conv2d, shape: L.Shape, fail: Fail) -> tuple[L.Conv2d, L.Shape]:
    c, h, w = _spatial("conv2d", shape, fail)
    c = _inferred("in_channels", op.in_channels, c, "channels", fail)
    for field, n in (("in_channels", c), ("out_channels", op.out_channels)):
        if n % op.groups:
            fail(
                f"{field} {n} is not divisible by groups {op.groups}; "
                "groups must divide both in_channels and out_channels"
            )
    _check_fits((h, w), op.kernel_size, op.padding, op.dilation, fail)
    out = tuple(
        conv_output_size(*args)
        for args in zip((h, w), op.kernel_size, op.stride, op.padding, op.dilation)
    )
    return dataclasses.replace(op, in_channels=c), (op.out_channels, *out)


def _linear(op: L.Linear, shape: L.Shape, fail: Fail) -> tuple[L.Linear, L.Shape]:
    n = _inferred(
        "in_features", op.in_features, _flat("linear", shape, fail), "features", fail
    )
    return dataclasses.replace(op, in_features=n), (op.out_features,)


def _check_pool_padding(op: L.MaxPool2d | L.AvgPool2d, fail: Fail) -> None:
    for axis, k, p in zip(_AXES, op.kernel_size, op.padding):
        if p > k // 2:
            fail(
                f"padding {p} ({axis}) is more than half of kernel_size {k}; "
                "PyTorch requires padding <= kernel_size // 2"
            )


def _maxpool2d(
    op: L.MaxPool2d, shape: L.Shape, fail: Fail
) -> tuple[L.MaxPool2d, L.Shape]:
    c, h, w = _spatial("maxpool2d", shape, fail)
    _check_pool_padding(op, fail)
    out = tuple(
        pool_output_size(s, k, st, p, d, op.ceil_mode)
        for s, k, st, p, d in zip(
            (h, w), op.kernel_size, op.stride, op.padding, op.dilation
        )
    )
    _check_fits((h, w), op.kernel_size, op.padding, op.dilation, fail, out)
    return op, (c, *out)


def _avgpool2d(
    op: L.AvgPool2d, shape: L.Shape, fail: Fail
) -> tuple[L.AvgPool2d, L.Shape]:
    c, h, w = _spatial("avgpool2d", shape, fail)
    _check_pool_padding(op, fail)
    out = tuple(
        pool_output_size(s, k, st, p, 1, op.ceil_mode)
        for s, k, st, p in zip((h, w), op.kernel_size, op.stride, op.padding)
    )
    _check_fits((h, w), op.kernel_size, op.padding, (1, 1), fail, out)
    return op, (c, *out)


def _adaptive(
    op: L.AdaptiveAvgPool2d, shape: L.Shape, fail: Fail
) -> tuple[L.AdaptiveAvgPool2d, L.Shape]:
    c, _, _ = _spatial("adaptive_avgpool2d", shape, fail)
    return op, (c, *op.output_size)


def _batchnorm2d(
    op: L.BatchNorm2d, shape: L.Shape, fail: Fail
) -> tuple[L.BatchNorm2d, L.Shape]:
    c, _, _ = _spatial("batchnorm2d", shape, fail)
    c = _inferred("num_features", op.num_features, c, "channels", fail)
    return dataclasses.replace(op, num_features=c), shape


def _batchnorm1d(
    op: L.BatchNorm1d, shape: L.Shape, fail: Fail
) -> tuple[L.BatchNorm1d, L.Shape]:
    n = _flat("batchnorm1d", shape, fail, " or use batchnorm2d")
    n = _inferred("num_features", op.num_features, n, "features", fail)
    return dataclasses.replace(op, num_features=n), shape


def _same(
    op: L.ReLU | L.Dropout, shape: L.Shape, fail: Fail
) -> tuple[L.ReLU | L.Dropout, L.Shape]:
    return op, shape


def _flatten(op: L.Flatten, shape: L.Shape, fail: Fail) -> tuple[L.Flatten, L.Shape]:
    total = 1
    for n in shape:
        total *= n
    return op, (total,)


_RESOLVERS: dict[type, Callable[..., tuple[L.Op, L.Shape]]] = {
    L.Conv2d: _conv2d,
    L.Linear: _linear,
    L.MaxPool2d: _maxpool2d,
    L.AvgPool2d: _avgpool2d,
    L.AdaptiveAvgPool2d: _adaptive,
    L.BatchNorm2d: _batchnorm2d,
    L.BatchNorm1d: _batchnorm1d,
    L.ReLU: _same,
    L.Dropout: _same,
    L.Flatten: _flatten,
}
