"""The torch-free side of Problem 5: the linear → conv reshape, the widths, the cost table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.nn.net_in_net import (
    FEATURE_SIZE,
    SHEET_WIDTHS,
    SMALL_WIDTHS,
    Widths,
    linear_to_conv,
    sliding_costs,
)


def _linear(rng: np.random.Generator, out: int, in_shape: tuple[int, ...]):
    n_in = int(np.prod(in_shape))
    return rng.standard_normal((out, n_in)), rng.standard_normal(out)


def _conv_at_origin(weight: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A convolution whose kernel covers the whole map: one output pixel per filter."""
    return np.einsum("ochw,bchw->bo", weight, x) + bias


# --- linear_to_conv: the conv computes the linear layer ------------------------------------


@pytest.mark.parametrize(
    "in_shape", [(4, 3, 2), (2, 5, 5), (1, 1, 1), (6, 1, 1), (3, 1, 4)], ids=str
)
def test_conv_equals_linear_on_flattened_input(in_shape):
    rng = np.random.default_rng(0)
    weight, bias = _linear(rng, 5, in_shape)
    x = rng.standard_normal((3, *in_shape))
    conv_w, conv_b = linear_to_conv(weight, bias, in_shape)
    expected = x.reshape(3, -1) @ weight.T + bias
    np.testing.assert_allclose(_conv_at_origin(conv_w, conv_b, x), expected, rtol=0, atol=1e-12)


def test_kernel_entry_is_the_weight_of_flatten_index():
    # flatten numbers pixel (c, r, s) of a C × H × W map as c·H·W + r·W + s
    channels, height, width = 3, 4, 5
    weight = np.arange(2 * channels * height * width, dtype=np.int64).reshape(2, -1)
    conv_w, _ = linear_to_conv(weight, None, (channels, height, width))
    for o in range(2):
        for c in range(channels):
            for r in range(height):
                for s in range(width):
                    assert conv_w[o, c, r, s] == weight[o, c * height * width + r * width + s]


@settings(max_examples=30, deadline=None)
@given(
    out=st.integers(1, 4),
    in_shape=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_equals_linear_for_any_shape(out, in_shape, seed):
    rng = np.random.default_rng(seed)
    weight, bias = _linear(rng, out, in_shape)
    x = rng.standard_normal((2, *in_shape))
    conv_w, conv_b = linear_to_conv(weight, bias, in_shape)
    np.testing.assert_allclose(
        _conv_at_origin(conv_w, conv_b, x), x.reshape(2, -1) @ weight.T + bias, atol=1e-12
    )


def test_wrong_reshape_order_gives_a_different_function():
    # guards the equivalence check above: a (row, column, channel) reading must not pass it
    rng = np.random.default_rng(1)
    in_shape = (3, 2, 2)
    weight, bias = _linear(rng, 4, in_shape)
    x = rng.standard_normal((2, *in_shape))
    wrong = weight.reshape(4, 2, 2, 3).transpose(0, 3, 1, 2)
    diff = np.abs(_conv_at_origin(wrong, bias, x) - (x.reshape(2, -1) @ weight.T + bias)).max()
    assert diff > 1e-3


@pytest.mark.parametrize("in_shape", [(6,), (6, 1, 1)], ids=str)
def test_vector_input_gives_a_one_by_one_kernel(in_shape):
    weight, bias = _linear(np.random.default_rng(2), 7, (6,))
    conv_w, conv_b = linear_to_conv(weight, bias, in_shape)
    assert conv_w.shape == (7, 6, 1, 1)
    np.testing.assert_array_equal(conv_w[:, :, 0, 0], weight)
    np.testing.assert_array_equal(conv_b, bias)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=str)
def test_keeps_kind_and_dtype(dtype):
    weight = np.ones((2, 12), dtype=dtype)
    bias = np.zeros(2, dtype=dtype)
    conv_w, conv_b = linear_to_conv(weight, bias, (3, 2, 2))
    assert type(conv_w) is np.ndarray and conv_w.dtype == dtype
    assert type(conv_b) is np.ndarray and conv_b.dtype == dtype


def test_returns_copies_not_views():
    weight, bias = np.zeros((2, 4)), np.zeros(2)
    conv_w, conv_b = linear_to_conv(weight, bias, (4,))
    conv_w[...] = 1.0
    conv_b[...] = 1.0
    assert not weight.any() and not bias.any()


def test_missing_bias_stays_missing():
    assert linear_to_conv(np.zeros((2, 4)), None, (1, 2, 2)).bias is None


@pytest.mark.parametrize(
    ("weight", "bias", "in_shape", "message"),
    [
        (
            [[1.0, 2.0]], None, (2,),
            r"^weight must be a numpy array or a torch tensor, got list$",
        ),
        (
            np.zeros((2, 3, 4)), None, (3,),
            r"^weight must be 2-D \(out_features, in_features\), got shape \(2, 3, 4\)$",
        ),
        (
            np.zeros((5, 36)), None, (4, 3, 2),
            r"^weight has 36 input features but in_shape \(4, 3, 2\) flattens to 24$",
        ),
        (
            np.zeros((5, 12)), None, (3, 4),
            r"^in_shape must be \(C,\) or \(C, H, W\) of positive integers, got \(3, 4\)$",
        ),
        (
            np.zeros((5, 12)), None, (12, 0, 1),
            r"^in_shape must be \(C,\) or \(C, H, W\) of positive integers, got \(12, 0, 1\)$",
        ),
        (
            np.zeros((5, 12)), None, (12.0,),
            r"^in_shape must be \(C,\) or \(C, H, W\) of positive integers, got \(12\.0,\)$",
        ),
        (
            np.zeros((5, 12)), None, (True, 12, 1),
            r"^in_shape must be \(C,\) or \(C, H, W\) of positive integers, "
            r"got \(True, 12, 1\)$",
        ),
        (
            np.zeros((5, 12)), np.zeros(4), (12,),
            r"^bias must have shape \(5,\) to match weight, got \(4,\)$",
        ),
        (
            np.zeros((5, 12)), np.zeros((5, 1)), (12,),
            r"^bias must have shape \(5,\) to match weight, got \(5, 1\)$",
        ),
        (
            np.zeros((5, 12)), [0.0] * 5, (12,),
            r"^bias must be a numpy array like weight, got list$",
        ),
    ],
    ids=[
        "weight-list", "weight-3d", "features-mismatch", "in-shape-2d", "in-shape-zero",
        "in-shape-float", "in-shape-bool", "bias-length", "bias-2d", "bias-list",
    ],
)
def test_bad_arguments_are_named(weight, bias, in_shape, message):
    with pytest.raises(ValueError, match=message):
        linear_to_conv(weight, bias, in_shape)


# --- Widths ----------------------------------------------------------------------------------


def test_sheet_widths_flatten_to_256_by_18_by_18():
    assert FEATURE_SIZE == 32 - 6 - 2 - 2 - 2 - 2 == 18
    assert SHEET_WIDTHS.linear_sizes == ((256 * 18 * 18, 4096), (4096, 4096), (4096, 10))
    assert SMALL_WIDTHS.linear_sizes == ((8 * 18 * 18, 32), (32, 32), (32, 10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": (4, 6, 8)}, r"^channels must list 5 widths, one per convolution, got 3$"),
        ({"hidden": (32, 0)}, r"^hidden must be positive integers, got \(32, 0\)$"),
        ({"classes": 2.5}, r"^classes must be positive integers, got \(2\.5,\)$"),
        ({"in_channels": True}, r"^in_channels must be positive integers, got \(True,\)$"),
    ],
    ids=["channels-count", "hidden-zero", "classes-float", "in-channels-bool"],
)
def test_bad_widths_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Widths(**kwargs)


# --- sliding_costs ---------------------------------------------------------------------------


def test_sheet_figures_follow_the_formulas_of_the_sheet():
    # 36 × 38 input: 5 × 7 = 35 windows; conv1 maps 38 → 32 columns and 36 → 30 rows on Net2
    table = sliding_costs(36, 38)
    assert table.patches == 35
    conv1 = table.layers[0]
    assert conv1.net2_macs == 64 * 30 * 32 * 3 * 7 * 7
    assert conv1.net1_macs == 35 * 64 * 26 * 26 * 3 * 7 * 7
    fc1 = table.layers[5]
    assert fc1.net1_macs == fc1.net2_macs == 35 * (256 * 18 * 18) * 4096
    assert len(table.layers) == 8


@pytest.mark.parametrize("widths", [SHEET_WIDTHS, SMALL_WIDTHS], ids=["sheet", "small"])
def test_one_window_shares_nothing(widths):
    table = sliding_costs(32, 32, widths)
    assert table.patches == 1
    assert all(layer.saved == 0 for layer in table.layers)
    assert table.ratio == 1


@pytest.mark.parametrize("size", [(33, 32), (36, 38), (64, 48)], ids=str)
def test_sharing_saves_in_features_only(size):
    table = sliding_costs(*size)
    features, classifier = table.layers[:5], table.layers[5:]
    assert all(layer.saved > 0 for layer in features)
    assert all(layer.saved == 0 for layer in classifier)
    assert table.net1_total - table.net2_total == sum(layer.saved for layer in features)
    assert table.ratio > 1


@pytest.mark.parametrize(
    ("height", "width", "message"),
    [
        (31, 40, r"^height must be an integer ≥ 32, got 31$"),
        (40, 20, r"^width must be an integer ≥ 32, got 20$"),
        (36.0, 38, r"^height must be an integer ≥ 32, got 36\.0$"),
    ],
    ids=["height-small", "width-small", "height-float"],
)
def test_costs_reject_inputs_net1_cannot_tile(height, width, message):
    with pytest.raises(ValueError, match=message):
        sliding_costs(height, width)
