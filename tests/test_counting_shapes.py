"""Output shapes against PyTorch's documented formulas, worked by hand for small cases."""

from __future__ import annotations

import pytest

from derive.counting import parse_spec
from derive.counting.shapes import conv_output_size, pool_output_size


def one_layer(input_shape: str, body: str):
    return parse_spec(f"input = {input_shape}\n[[layers]]\n{body}\n", "t").layers[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((227, 11, 4, 0, 1), 55),  # AlexNet conv1: (227 - 11)/4 + 1
        ((55, 3, 2, 0, 1), 27),  # AlexNet pool1, floor((55 - 3)/2) + 1
        ((13, 3, 2, 0, 1), 6),  # AlexNet pool5
        ((7, 3, 1, 0, 2), 3),  # dilation 2: the kernel spans 5
        ((8, 3, 3, 1, 1), 3),  # floor((8 + 2 - 3)/3) + 1 = 2 + 1
    ],
)
def test_conv_output_size(args, expected) -> None:
    assert conv_output_size(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((14, 3, 2, 0, 1, False), 6),  # floor(11/2) + 1
        (
            (14, 3, 2, 0, 1, True),
            7,
        ),  # ceil(11/2) + 1; the last window starts at 12 < 14
        (
            (5, 2, 2, 1, 1, True),
            3,
        ),  # ceil(5/2) + 1 = 4, but window 4 would start in the padding
        ((1, 2, 2, 0, 1, True), 1),  # a window may hang over the input in ceil mode
    ],
)
def test_pool_output_size(args, expected) -> None:
    assert pool_output_size(*args) == expected


def test_maxpool_stride_defaults_to_kernel_size() -> None:
    layer = one_layer("[2, 9, 9]", 'type = "maxpool2d"\nkernel_size = 3')
    assert layer.out_shape == (2, 3, 3)


def test_rectangular_conv_and_inferred_channels() -> None:
    layer = one_layer(
        "[6, 10, 7]",
        'type = "conv2d"\nout_channels = 4\nkernel_size = [3, 1]\nstride = [2, 1]\n'
        "padding = [1, 0]\ngroups = 2",
    )
    assert layer.out_shape == (4, 5, 7)
    assert layer.op.in_channels == 6


def test_ceil_mode_pool_is_accepted_where_the_window_hangs_over() -> None:
    layer = one_layer(
        "[1, 1, 1]", 'type = "maxpool2d"\nkernel_size = [2, 1]\nceil_mode = true'
    )
    assert layer.out_shape == (1, 1, 1)


def test_adaptive_pool_and_flatten() -> None:
    net = parse_spec(
        'input = [3, 5, 9]\n[[layers]]\ntype = "adaptive_avgpool2d"\noutput_size = [2, 4]\n'
        '[[layers]]\ntype = "flatten"\n[[layers]]\ntype = "batchnorm1d"\n',
        "t",
    )
    assert [layer.out_shape for layer in net.layers] == [(3, 2, 4), (24,), (24,)]
    assert net.layers[2].op.num_features == 24


def test_unnamed_layers_get_type_and_index_names() -> None:
    net = parse_spec(
        'input = [4]\n[[layers]]\ntype = "relu"\n[[layers]]\ntype = "dropout"\n', "t"
    )
    assert [layer.name for layer in net.layers] == ["relu_1", "dropout_2"]
