"""fold_bn on torch tensors: agreement with torch's own fusion, dtypes, mixed kinds."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
import numpy as np  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch.nn.utils.fusion import fuse_conv_bn_weights, fuse_linear_bn_weights  # noqa: E402

from derive.nn import fold_bn  # noqa: E402

pytestmark = pytest.mark.torch

EPS = 1e-5


def make_layer(seed, weight_shape, dtype=torch.float64, with_bias=True):
    g = torch.Generator().manual_seed(seed)
    c = weight_shape[0]

    def uniform(low, high):
        return (low + (high - low) * torch.rand(c, generator=g, dtype=torch.float64)).to(dtype)

    return dict(
        weight=torch.randn(weight_shape, generator=g, dtype=torch.float64).to(dtype),
        bias=uniform(-0.5, 0.5) if with_bias else None,
        gamma=uniform(0.5, 1.5),
        beta=uniform(-0.3, 0.3),
        mean=torch.randn(c, generator=g, dtype=torch.float64).to(dtype),
        var=uniform(0.2, 3.0),
    )


def torch_fusion(p):
    stats = (p["mean"], p["var"], EPS, p["gamma"], p["beta"])
    if p["weight"].ndim == 2:
        return fuse_linear_bn_weights(p["weight"], p["bias"], *stats)
    return fuse_conv_bn_weights(p["weight"], p["bias"], *stats)


layer_shapes = st.one_of(
    st.tuples(st.integers(1, 8), st.integers(1, 8)),  # linear (out, in)
    st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)),  # conv
)


@settings(max_examples=60, deadline=None)
@given(
    shape=layer_shapes,
    with_bias=st.booleans(),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_agrees_with_torch_fusion(shape, with_bias, dtype, seed):
    """Same formula, operations in another order: agreement within a few roundings of each term."""
    p = make_layer(seed, shape, dtype, with_bias)
    ours = fold_bn(**p, eps=EPS)
    theirs = torch_fusion(p)
    eps = torch.finfo(dtype).eps
    # sizes of the terms each entry is built from, in float64: the rounding errors scale with them
    p64 = {k: v.double() for k, v in p.items() if v is not None}
    scale = p64["gamma"] / torch.sqrt(p64["var"] + EPS)
    bias64 = p64.get("bias", torch.zeros_like(scale))
    sizes = (
        (p64["weight"] * scale.reshape((-1,) + (1,) * (len(shape) - 1))).abs(),
        ((bias64 - p64["mean"]).abs() + bias64.abs() + p64["mean"].abs()) * scale + p64["beta"].abs(),
    )
    for mine, other, size in zip(ours, theirs, sizes, strict=True):
        assert mine.dtype == other.dtype == dtype
        assert torch.all((mine.double() - other.double()).abs() <= 4 * eps * size)


def test_folded_conv_equals_conv_then_batch_norm():
    """Against torch's own conv2d + eval batch_norm, independent of any fusion helper."""
    p = make_layer(0, (8, 3, 3, 3))
    x = torch.randn(4, 3, 10, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    expected = F.batch_norm(
        F.conv2d(x, p["weight"], p["bias"], padding=1),
        p["mean"], p["var"], p["gamma"], p["beta"], training=False, eps=EPS,
    )
    w, b = fold_bn(**p, eps=EPS)
    torch.testing.assert_close(F.conv2d(x, w, b, padding=1), expected, rtol=1e-12, atol=1e-12)


def test_torch_in_torch_out_same_dtype_and_no_autograd():
    p = make_layer(2, (4, 2, 3, 3), torch.float32)
    p["weight"].requires_grad_(True)
    p["bias"] = torch.nn.Parameter(p["bias"])
    before = {k: v.detach().clone() for k, v in p.items()}
    w, b = fold_bn(**p, compute_dtype="float64")
    assert (type(w), type(b)) == (torch.Tensor, torch.Tensor)
    assert (w.dtype, b.dtype) == (torch.float32, torch.float32)
    assert not w.requires_grad and not b.requires_grad
    for k, v in p.items():
        assert torch.equal(v.detach(), before[k])


def test_none_bias_gets_the_weight_dtype():
    p = make_layer(3, (4, 5), torch.float16, with_bias=False)
    w, b = fold_bn(**p)
    assert (w.dtype, b.dtype) == (torch.float16, torch.float16)


def test_numpy_and_torch_give_the_same_fold():
    p = make_layer(4, (6, 3, 3, 3))
    ours_np = fold_bn(**{k: v.numpy() for k, v in p.items()})
    ours_torch = fold_bn(**p)
    for a, b in zip(ours_np, ours_torch, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-15, atol=1e-15)


def test_compute_dtype_float64_is_the_float64_fold_rounded_once():
    p32 = make_layer(5, (16, 8, 3, 3), torch.float32)
    rounded = fold_bn(**p32, compute_dtype="float64")
    exact = fold_bn(**{k: v.double() for k, v in p32.items()})
    for r, e in zip(rounded, exact, strict=True):
        assert torch.equal(r, e.float())


MIXED = [
    ("gamma-numpy", "gamma", lambda v: v.numpy(), "gamma: must be a torch tensor like weight; got numpy.ndarray"),
    ("bias-list", "bias", lambda v: v.tolist(), "bias: must be a torch tensor like weight; got list"),
    ("weight-numpy", "weight", lambda v: v.numpy(), "bias: must be a numpy array like weight; got torch.Tensor"),
    ("var-int", "var", lambda v: v.to(torch.int64), "var: must have a floating-point dtype; got int64"),
    ("var-negative", "var", lambda v: torch.tensor([1.0, -0.25, 1.0, 1.0]), "var: must be non-negative; entry 1 is -0.25"),
    ("beta-short", "beta", lambda v: v[:2], "beta: must have shape (4,), one entry per output channel of weight; got shape (2,)"),
]


@pytest.mark.parametrize(("name", "change", "message"), [m[1:] for m in MIXED], ids=[m[0] for m in MIXED])
def test_mixed_kinds_and_bad_tensors_are_rejected(name, change, message):
    p = make_layer(6, (4, 3), torch.float32)
    p[name] = change(p[name])
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        fold_bn(**p)
