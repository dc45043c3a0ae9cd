"""Problem 5 in numbers: Net2 built from Net1 computes Net1, on one window and on all of them."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from derive.nn.net_in_net import (  # noqa: E402
    FEATURE_SIZE,
    SHEET_WIDTHS,
    SMALL_WIDTHS,
    Widths,
    linear_to_conv,
    sliding_costs,
)
from derive.documents.hw7.net_in_net_torch import (  # noqa: E402
    Net1,
    Net2,
    check_same_output,
    check_sliding_windows,
    net2_from_net1,
    random_inputs,
    verify_net_in_net,
)

pytestmark = pytest.mark.torch

F64_ABS_TOL = 1e-10
F32_REL_TOL = 1e-4


@pytest.fixture(scope="module", params=[torch.float32, torch.float64], ids=["f32", "f64"])
def pair(request):
    net1 = Net1(SMALL_WIDTHS, seed=3, dtype=request.param)
    return net1, net2_from_net1(net1)


def _passes(report) -> bool:
    """The agreed tolerances: tiny absolute error in float64, 1e-4 relative in float32."""
    if report.dtype == "float64":
        return report.shapes_match and report.max_abs_diff < F64_ABS_TOL
    return report.within(F32_REL_TOL)


def _window_batch(pair, batch=2):
    dtype = pair[0].features[0].weight.dtype
    return random_inputs(batch, 32, 32, seed=11, dtype=dtype)


def _big_batch(pair, size=(36, 38), batch=2):
    dtype = pair[0].features[0].weight.dtype
    return random_inputs(batch, *size, seed=12, dtype=dtype)


# --- linear_to_conv on tensors ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_tensor_conv_equals_linear_and_keeps_dtype(dtype):
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(5, 4 * 3 * 2, generator=generator).to(dtype)
    bias = torch.randn(5, generator=generator).to(dtype)
    x = torch.randn(3, 4, 3, 2, generator=generator).to(dtype)
    conv_w, conv_b = linear_to_conv(weight, bias, (4, 3, 2))
    assert isinstance(conv_w, torch.Tensor) and conv_w.dtype == dtype
    assert isinstance(conv_b, torch.Tensor) and conv_b.dtype == dtype
    expected = F.linear(torch.flatten(x, 1), weight, bias)
    got = F.conv2d(x, conv_w, conv_b).reshape(3, 5)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_tensor_and_numpy_give_the_same_kernel():
    weight = torch.randn(3, 2 * 4 * 5, dtype=torch.float64)
    conv_t, _ = linear_to_conv(weight, None, (2, 4, 5))
    conv_n, _ = linear_to_conv(weight.numpy(), None, (2, 4, 5))
    np.testing.assert_array_equal(conv_t.numpy(), conv_n)


def test_tensor_result_is_a_copy():
    linear = nn.Linear(4, 2)
    conv_w, conv_b = linear_to_conv(linear.weight.detach(), linear.bias.detach(), (4,))
    conv_w.zero_()
    conv_b.zero_()
    assert linear.weight.abs().sum() > 0 and linear.bias.abs().sum() > 0


@pytest.mark.parametrize(
    ("weight", "bias", "message"),
    [
        (
            np.zeros((2, 4)), torch.zeros(2),
            r"^bias must be a numpy array like weight, got torch tensor$",
        ),
        (
            torch.zeros(2, 4), np.zeros(2),
            r"^bias must be a torch tensor like weight, got numpy array$",
        ),
        (
            torch.zeros(2, 4, 1), None,
            r"^weight must be 2-D \(out_features, in_features\), got shape \(2, 4, 1\)$",
        ),
        (
            torch.zeros(2, 4), torch.zeros(3),
            r"^bias must have shape \(2,\) to match weight, got \(3,\)$",
        ),
    ],
    ids=["numpy-weight-torch-bias", "torch-weight-numpy-bias", "weight-3d", "bias-length"],
)
def test_mixed_or_misshaped_tensors_are_rejected(weight, bias, message):
    with pytest.raises(ValueError, match=message):
        linear_to_conv(weight, bias, (4,))


# --- the networks ------------------------------------------------------------------------------


def test_layers_are_the_sheets():
    net1 = Net1(SMALL_WIDTHS)
    net2 = net2_from_net1(net1)
    convs = [m for m in net1.features if isinstance(m, nn.Conv2d)]
    assert [m.kernel_size for m in convs] == [(7, 7), (3, 3), (3, 3), (3, 3), (3, 3)]
    assert all(m.stride == (1, 1) and m.padding == (0, 0) for m in convs)
    assert [type(m) for m in net1.features].count(nn.ReLU) == 4
    heads = [m for m in net2.classifier if isinstance(m, nn.Conv2d)]
    assert [m.kernel_size for m in heads] == [(FEATURE_SIZE, FEATURE_SIZE), (1, 1), (1, 1)]
    assert [m.out_channels for m in heads] == [32, 32, 10]


def test_seed_makes_init_deterministic_and_dtype_only_casts():
    state = torch.random.get_rng_state()
    a = Net1(SMALL_WIDTHS, seed=5)
    b = Net1(SMALL_WIDTHS, seed=5)
    c = Net1(SMALL_WIDTHS, seed=6)
    d = Net1(SMALL_WIDTHS, seed=5, dtype=torch.float64)
    assert torch.equal(torch.random.get_rng_state(), state), "global RNG must be left alone"
    for pa, pb, pc, pd in zip(a.parameters(), b.parameters(), c.parameters(), d.parameters()):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)
        assert torch.equal(pa.double(), pd)


def test_init_follows_pytorch_default_bounds():
    net1 = Net1(SMALL_WIDTHS, seed=0)
    for layer in [*net1.features, *net1.classifier]:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            bound = 1 / np.sqrt(layer.weight[0].numel())
            assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
            assert layer.weight.abs().max() > bound / 2


def test_net2_is_independent_of_net1_after_conversion():
    net1 = Net1(SMALL_WIDTHS)
    net2 = net2_from_net1(net1)
    before = [p.clone() for p in net2.parameters()]
    with torch.no_grad():
        for p in net1.parameters():
            p.add_(1.0)
    assert all(torch.equal(p, q) for p, q in zip(net2.parameters(), before))


def test_net2_from_net1_wants_a_net1():
    with pytest.raises(TypeError, match=r"^net1 must be a Net1, got Net2$"):
        net2_from_net1(Net2(SMALL_WIDTHS))


_NET1_SHAPE = r"^Net1 takes inputs of shape B × 3 × 32 × 32, got "
_NET2_SHAPE = r"^Net2 takes inputs of shape B × 3 × h × w with h, w ≥ 32, got "


@pytest.mark.parametrize(
    ("net", "shape", "message"),
    [
        (Net1, (1, 3, 36, 38), _NET1_SHAPE + r"\(1, 3, 36, 38\)$"),
        (Net1, (1, 4, 32, 32), _NET1_SHAPE + r"\(1, 4, 32, 32\)$"),
        (Net2, (1, 3, 31, 40), _NET2_SHAPE + r"\(1, 3, 31, 40\)$"),
        (Net2, (3, 32, 32), _NET2_SHAPE + r"\(3, 32, 32\)$"),
    ],
    ids=["net1-big", "net1-channels", "net2-small", "net2-3d"],
)
def test_inputs_of_the_wrong_shape_are_refused(net, shape, message):
    with pytest.raises(ValueError, match=message):
        net(SMALL_WIDTHS)(torch.zeros(shape))


def test_bad_dtype_is_refused():
    message = r"^dtype must be a floating-point torch dtype, got torch\.int64$"
    with pytest.raises(ValueError, match=message):
        Net1(SMALL_WIDTHS, dtype=torch.int64)


# --- check (a): one window ----------------------------------------------------------------------


def test_a_net2_gives_net1_on_32_by_32(pair):
    report = check_same_output(*pair, _window_batch(pair))
    assert report.net2_shape == (2, 10, 1, 1)
    assert report.max_abs_output > 0
    assert _passes(report), report


def test_a_detects_row_column_channel_reshape(pair):
    net1, net2 = pair
    linear = net1.classifier[0]
    c, s = SMALL_WIDTHS.channels[-1], FEATURE_SIZE
    with torch.no_grad():
        wrong = linear.weight.reshape(-1, s, s, c).permute(0, 3, 1, 2)
        bad = net2_from_net1(net1)
        bad.classifier[0].weight.copy_(wrong)
    report = check_same_output(net1, bad, _window_batch(pair))
    assert report.shapes_match and not _passes(report)
    assert report.max_rel_diff > 1e-3


def test_a_detects_transposed_square_weight(pair):
    net1, _ = pair
    with torch.no_grad():
        bad = net2_from_net1(net1)
        bad.classifier[2].weight.copy_(net1.classifier[2].weight.T.reshape(32, 32, 1, 1))
    report = check_same_output(net1, bad, _window_batch(pair))
    assert not _passes(report) and report.max_rel_diff > 1e-3


def test_a_detects_a_missing_bias(pair):
    net1, _ = pair
    with torch.no_grad():
        bad = net2_from_net1(net1)
        bad.classifier[4].bias.zero_()
    assert not _passes(check_same_output(net1, bad, _window_batch(pair)))


def test_a_reports_wrong_output_shape(pair):
    net1, _ = pair
    widths = Widths(channels=SMALL_WIDTHS.channels, hidden=(32, 32), classes=11)
    other = Net2(widths, dtype=net1.features[0].weight.dtype)
    report = check_same_output(net1, other, _window_batch(pair))
    assert report.net2_shape == (2, 11, 1, 1) and report.expected_shape == (2, 10, 1, 1)
    assert not report.shapes_match and not report.within(1.0)


def test_dtype_mismatch_is_refused():
    net1 = Net1(SMALL_WIDTHS)
    net2 = net2_from_net1(net1)
    x = random_inputs(1, 32, 32, dtype=torch.float64)
    with pytest.raises(
        ValueError,
        match=r"^net1 has torch\.float32 parameters but x is torch\.float64; "
        r"convert both to one dtype$",
    ):
        check_same_output(net1, net2, x)


# --- check (b): every window ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [(36, 38), (32, 34), (33, 32)], ids=str)
def test_b_net2_is_net1_slid_over_every_window(pair, size):
    report = check_sliding_windows(*pair, _big_batch(pair, size))
    rows, cols = size[0] - 31, size[1] - 31
    assert report.net2_shape == (2, 10, rows, cols) and report.windows == rows * cols
    assert _passes(report), report


class _Shifted(nn.Module):
    """A Net2 whose grid is off by one column: output (i, j) sees window (i, j − 1)."""

    def __init__(self, net2: nn.Module) -> None:
        super().__init__()
        self.net2 = net2

    def forward(self, x):
        return self.net2(torch.roll(x, shifts=1, dims=3))


class _Transposed(nn.Module):
    """A Net2 whose output grid reads rows as columns (square input, so shapes still agree)."""

    def __init__(self, net2: nn.Module) -> None:
        super().__init__()
        self.net2 = net2

    def forward(self, x):
        return self.net2(x).transpose(2, 3)


@pytest.mark.parametrize("wrapper", [_Shifted, _Transposed], ids=["shifted", "transposed"])
def test_b_detects_a_wrong_window_offset(pair, wrapper):
    net1, net2 = pair
    report = check_sliding_windows(net1, wrapper(net2), _big_batch(pair, (35, 35)))
    assert report.shapes_match and not _passes(report)
    assert report.max_rel_diff > 1e-3


def test_b_detects_row_column_channel_reshape(pair):
    net1, _ = pair
    c, s = SMALL_WIDTHS.channels[-1], FEATURE_SIZE
    with torch.no_grad():
        bad = net2_from_net1(net1)
        bad.classifier[0].weight.copy_(
            net1.classifier[0].weight.reshape(-1, s, s, c).permute(0, 3, 1, 2)
        )
    assert not _passes(check_sliding_windows(net1, bad, _big_batch(pair)))


def test_verify_runs_both_checks():
    report = verify_net_in_net(SMALL_WIDTHS, dtype=torch.float64, batch=1, size=(34, 33))
    assert report.same.input_shape == (1, 3, 32, 32)
    assert report.sliding.net2_shape == (1, 10, 3, 2)
    assert _passes(report.same) and _passes(report.sliding)


# --- the cost table against torch's own FLOP counter ------------------------------------------


def _layer_macs(net: nn.Module, x) -> list[int]:
    """MACs of each conv/linear layer in order, as torch counts them (2 FLOPs per MAC)."""
    with FlopCounterMode(display=False) as counter:
        net(x)
    counts = counter.get_flop_counts()
    names = [
        f"{type(net).__name__}.{name}"
        for name, m in net.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    return [sum(counts[name].values()) // 2 for name in names]


@pytest.mark.parametrize("size", [(36, 38), (40, 33)], ids=str)
def test_cost_table_matches_torch_flop_counter(size):
    net1 = Net1(SMALL_WIDTHS)
    net2 = net2_from_net1(net1)
    table = sliding_costs(*size, SMALL_WIDTHS)
    net2_counted = _layer_macs(net2, torch.zeros(1, 3, *size))
    net1_counted = [table.patches * m for m in _layer_macs(net1, torch.zeros(1, 3, 32, 32))]
    assert [layer.net2_macs for layer in table.layers] == net2_counted
    assert [layer.net1_macs for layer in table.layers] == net1_counted


# --- full widths --------------------------------------------------------------------------------


@pytest.mark.slow
def test_sheet_widths_float32():
    """The sheet's network (first linear layer: 340 M weights, 1.3 GB) for (a) and (b)."""
    report = verify_net_in_net(SHEET_WIDTHS, dtype=torch.float32, batch=1, size=(36, 38))
    assert report.same.net2_shape == (1, 10, 1, 1)
    assert report.sliding.net2_shape == (1, 10, 5, 7)
    assert _passes(report.same), report.same
    assert _passes(report.sliding), report.sliding
