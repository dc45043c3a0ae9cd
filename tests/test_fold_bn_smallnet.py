"""The sheet's network end to end: folded twin vs BN network, within the justified tolerance.

The wrong folds below are written out in this file on purpose: each must be caught by the same
comparison that passes the real fold, which is what shows the comparison can fail.
"""

from __future__ import annotations

import copy
import math
import re

import pytest

torch = pytest.importorskip("torch")
from derive.nn import fold_bn  # noqa: E402
from derive.documents.hw7.smallnet import (  # noqa: E402
    DOT_LENGTHS,
    FOLD_MODES,
    SUM_CRITERION,
    cifar_like_batch,
    compare,
    fold_smallnet,
    folding_tolerance_eps,
    fusion_crosscheck,
    measure_precision,
    reference_for,
    synthetic_trained,
)

pytestmark = pytest.mark.torch

FLOAT64_EPS = torch.finfo(torch.float64).eps
FLOAT32_EPS = torch.finfo(torch.float32).eps


@pytest.fixture(scope="module")
def net():
    return synthetic_trained(seed=0)


@pytest.fixture(scope="module")
def batches():
    generator = torch.Generator().manual_seed(1)
    return [cifar_like_batch(generator, 16) for _ in range(2)]


def run(net, batches, mode, fold=fold_bn):
    return compare(reference_for(net, mode), fold_smallnet(net, mode, fold=fold), batches, mode)


def fold_forgetting_scale_on_bias(weight, bias, gamma, beta, mean, var, eps, compute_dtype=None):
    """The classic bug: b' = b + β − γμ/√(σ²+ε), i.e. b is not multiplied by γ/√(σ²+ε)."""
    scale = gamma / torch.sqrt(var + eps)
    return weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1)), bias + beta - scale * mean


def fold_forgetting_eps(weight, bias, gamma, beta, mean, var, eps, compute_dtype=None):
    """Divides by √σ² instead of √(σ²+ε): off by about ε/(2σ²) ≈ 1e-5 relative."""
    return fold_bn(weight, bias, gamma, beta, mean, var, 1e-300, compute_dtype=compute_dtype)


def test_synthetic_state_is_non_trivial(net):
    """Non-zero biases and statistics far from (0, 1): otherwise the bugs below would hide."""
    for layer in ("conv1", "conv2", "fc1"):
        assert torch.all(getattr(net, layer).bias != 0)
    for bn in (net.bn1, net.bn2, net.bn3):
        assert 0.1 <= float(bn.running_var.min()) and float(bn.running_var.max()) <= 4.0
        assert float(bn.running_var.max() - bn.running_var.min()) > 0.5
        assert float(bn.running_mean.abs().max()) > 0.3
        assert not bn.training


@pytest.mark.parametrize("mode", ["float32", "float64-rounded"])
def test_float32_folds_stay_within_the_tolerance_and_pass_the_sheet(net, batches, mode):
    row = run(net, batches, mode)
    assert row.output_scale > 0.1
    assert row.diff_in_eps <= folding_tolerance_eps()
    assert row.passes_1e8 and row.max_batch_sum < SUM_CRITERION


def test_float64_fold_is_essentially_exact(net, batches):
    row = run(net, batches, "float64")
    assert row.max_abs_diff <= folding_tolerance_eps() * FLOAT64_EPS * row.output_scale
    assert row.max_abs_diff < 1e-12


def test_classic_bias_bug_is_detected(net, batches):
    row = run(net, batches, "float32", fold=fold_forgetting_scale_on_bias)
    assert row.diff_in_eps > folding_tolerance_eps(worst_case=True)
    assert not row.passes_1e8


def test_classic_bias_bug_hides_when_conv_biases_are_zero(net, batches):
    """Why the synthetic state has non-zero biases: with b = 0 the buggy bias is right."""
    zero_bias = copy.deepcopy(net)
    with torch.no_grad():
        for layer in ("conv1", "conv2", "fc1"):
            getattr(zero_bias, layer).bias.zero_()
    row = run(zero_bias, batches, "float32", fold=fold_forgetting_scale_on_bias)
    assert row.diff_in_eps <= folding_tolerance_eps()


def test_the_sheets_batch_sum_catches_a_fold_that_forgets_eps_where_a_mean_would_not(net, batches):
    """Dropping ε moves outputs by ~1e-5 relative: the per-entry mean stays below 1e-8, but the
    sheet's test is the batch's sum (torch.norm(...)**2), entries times larger, and fails; in
    float64 the error is glaring."""
    in_float32 = run(net, batches, "float32", fold=fold_forgetting_eps)
    assert in_float32.max_batch_mse < SUM_CRITERION
    assert in_float32.max_batch_sum == pytest.approx(batches[0].shape[0] * 10 * in_float32.max_batch_mse)
    assert not in_float32.passes_1e8
    in_float64 = run(net, batches, "float64", fold=fold_forgetting_eps)
    assert in_float64.max_abs_diff > 1e3 * folding_tolerance_eps() * FLOAT64_EPS * in_float64.output_scale


def test_float64_rounded_parameters_are_the_float64_fold_rounded_once(net):
    rounded = fold_smallnet(net, "float64-rounded")
    exact = fold_smallnet(net, "float64")
    for (name, a), (_, b) in zip(rounded.named_parameters(), exact.named_parameters(), strict=True):
        assert a.dtype == torch.float32, name
        assert torch.equal(a, b.float()), name


def test_last_layer_is_copied_not_folded(net):
    twin = fold_smallnet(net, "float32")
    assert torch.equal(twin.fc2.weight, net.fc2.weight)
    assert torch.equal(twin.fc2.bias, net.fc2.bias)


@pytest.mark.parametrize(("dtype", "eps"), [(torch.float32, FLOAT32_EPS), (torch.float64, FLOAT64_EPS)])
def test_folded_parameters_agree_with_torch_fusion(net, dtype, eps):
    gaps = fusion_crosscheck(net, dtype)
    assert sorted(gaps) == sorted(
        f"{layer}.{part}" for layer in ("conv1", "conv2", "fc1") for part in ("weight", "bias")
    )
    assert all(gap <= 4 * eps for gap in gaps.values()), gaps


def test_synthetic_state_and_inputs_are_deterministic(net, batches):
    again = synthetic_trained(seed=0).state_dict()
    assert all(torch.equal(value, again[key]) for key, value in net.state_dict().items())
    generator = torch.Generator().manual_seed(1)
    assert all(torch.equal(cifar_like_batch(generator, 16), x) for x in batches)


def test_measure_precision_covers_every_mode():
    rows = measure_precision(batches=1, batch_size=4)
    assert [row.mode for row in rows] == list(FOLD_MODES)
    by_mode = {row.mode: row for row in rows}
    assert by_mode["float64"].max_abs_diff < by_mode["float32"].max_abs_diff
    for row in rows:
        assert math.isclose(row.diff_in_eps, row.max_abs_diff / (FLOAT32_EPS * row.output_scale))
        assert row.passes_1e8 == (row.max_batch_sum < SUM_CRITERION)
        assert row.max_batch_sum == pytest.approx(4 * 10 * row.max_batch_mse)


def test_tolerance_grows_like_sqrt_k_typically_and_k_at_worst():
    assert folding_tolerance_eps((4 * 1024,)) == pytest.approx(2 * folding_tolerance_eps((1024,)))
    assert folding_tolerance_eps((4 * 1024,), worst_case=True) == 4 * folding_tolerance_eps(
        (1024,), worst_case=True
    )
    assert folding_tolerance_eps(DOT_LENGTHS) < folding_tolerance_eps(DOT_LENGTHS, worst_case=True)


@pytest.mark.parametrize("call", [fold_smallnet, reference_for], ids=["fold", "reference"])
def test_unknown_mode_is_rejected(net, call):
    message = "mode: must be one of 'float32', 'float64-rounded', 'float64'; got 'float16'"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        call(net, "float16")
