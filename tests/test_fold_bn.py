"""fold_bn on numpy arrays: the folded layer equals layer-then-BN, dtypes, precision, bad input.

The reference for "layer then BN" is written out here from the sheet's definition of eval-mode
batch norm, not taken from derive, so a wrong folding formula cannot agree with itself.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from derive.nn import fold_bn  # noqa: E402

EPS = 1e-5


def make_layer(rng, weight_shape, dtype=np.float64):
    """Random layer + BN parameters with running variances in [0.2, 3]."""
    c = weight_shape[0]
    return dict(
        weight=rng.standard_normal(weight_shape).astype(dtype),
        bias=rng.uniform(-0.5, 0.5, c).astype(dtype),
        gamma=rng.uniform(0.5, 1.5, c).astype(dtype),
        beta=rng.uniform(-0.3, 0.3, c).astype(dtype),
        mean=rng.standard_normal(c).astype(dtype),
        var=rng.uniform(0.2, 3.0, c).astype(dtype),
    )


def layer_then_bn(p, patch):
    """Channel outputs of the layer on one receptive field, then eval-mode BN (sheet's formula)."""
    z = np.tensordot(p["weight"], patch, axes=patch.ndim) + p["bias"]
    return p["gamma"] * (z - p["mean"]) / np.sqrt(p["var"] + EPS) + p["beta"]


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=5).map(tuple),
    seed=st.integers(0, 2**32 - 1),
)
def test_folded_layer_equals_layer_then_bn(shape, seed):
    """Any number of trailing dims: (out, in) linear, (out, in, kh, kw) conv, 1-D and 3-D convs."""
    rng = np.random.default_rng(seed)
    p = make_layer(rng, shape)
    patch = rng.standard_normal(shape[1:])
    w, b = fold_bn(**p, eps=EPS)
    assert w.shape == p["weight"].shape and b.shape == (shape[0],)
    np.testing.assert_allclose(
        np.tensordot(w, patch, axes=patch.ndim) + b, layer_then_bn(p, patch), rtol=1e-12, atol=1e-12
    )


def test_none_bias_means_zero_bias():
    p = make_layer(np.random.default_rng(0), (5, 3, 3, 3))
    with_none = fold_bn(**(p | {"bias": None}))
    with_zeros = fold_bn(**(p | {"bias": np.zeros(5)}))
    for a, b in zip(with_none, with_zeros, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_bias_missing_the_bn_scale_is_not_what_fold_bn_returns():
    """The classic bug b' = b + β − γμ/√(σ²+ε) differs from fold_bn as soon as b ≠ 0."""
    p = make_layer(np.random.default_rng(1), (6, 4))
    scale = p["gamma"] / np.sqrt(p["var"] + EPS)
    buggy_bias = p["bias"] + p["beta"] - scale * p["mean"]
    _, bias = fold_bn(**p)
    assert np.all(np.abs(bias - buggy_bias) > 1e-6)


@pytest.mark.parametrize(
    ("weight_dtype", "bias_dtype", "expected"),
    [
        (np.float32, np.float32, (np.float32, np.float32)),
        (np.float32, np.float64, (np.float32, np.float64)),
        (np.float64, None, (np.float64, np.float64)),
        (np.float16, None, (np.float16, np.float16)),
    ],
    ids=["f32", "f32-weight-f64-bias", "f64-no-bias", "f16-no-bias"],
)
def test_results_keep_the_input_dtypes(weight_dtype, bias_dtype, expected):
    p = make_layer(np.random.default_rng(2), (3, 2, 3, 3), dtype=np.float32)
    p["weight"] = p["weight"].astype(weight_dtype)
    p["bias"] = None if bias_dtype is None else p["bias"].astype(bias_dtype)
    w, b = fold_bn(**p)
    assert (type(w), type(b)) == (np.ndarray, np.ndarray)
    assert (w.dtype, b.dtype) == tuple(np.dtype(d) for d in expected)


def test_inputs_are_not_modified():
    p = make_layer(np.random.default_rng(3), (4, 3, 3, 3), dtype=np.float32)
    before = {k: v.copy() for k, v in p.items()}
    fold_bn(**p, compute_dtype="float64")
    for k, v in p.items():
        np.testing.assert_array_equal(v, before[k])


def float64_reference(p):
    return fold_bn(**{k: v.astype(np.float64) for k, v in p.items()})


def test_compute_dtype_float64_rounds_once_and_beats_float32():
    """Folding in float64 leaves every float32 entry within half an ulp of the exact fold;
    folding in float32 rounds several times and lands further away, in total and at worst."""
    p = make_layer(np.random.default_rng(4), (64, 16, 3, 3), dtype=np.float32)
    ref_w, ref_b = float64_reference(p)
    errors = {}
    for option in (None, "float64"):
        w, b = fold_bn(**p, compute_dtype=option)
        assert (w.dtype, b.dtype) == (np.float32, np.float32)
        errors[option] = (np.abs(w - ref_w), np.abs(b - ref_b))
    half_ulp = [np.spacing(np.abs(r).astype(np.float32)).astype(np.float64) / 2 for r in (ref_w, ref_b)]
    for err, bound in zip(errors["float64"], half_ulp, strict=True):
        assert np.all(err <= bound * (1 + 1e-9))
    w32, w64 = errors[None][0], errors["float64"][0]
    assert w32.sum() > w64.sum()
    assert np.any(w32 > half_ulp[0])


def test_compute_dtype_float32_on_float64_inputs_loses_precision():
    """The option really sets the arithmetic: float32 maths on float64 data errs at ~1e-7."""
    p = make_layer(np.random.default_rng(5), (32, 8))
    ref_w, _ = fold_bn(**p)
    w, _ = fold_bn(**p, compute_dtype="float32")
    assert w.dtype == np.float64
    rel = np.abs(w - ref_w) / np.abs(ref_w)
    assert 1e-9 < rel.max() < 1e-6


# --------------------------------------------------------------------------------------------
# bad input: one line naming the argument


def good():
    return make_layer(np.random.default_rng(6), (4, 3, 3, 3), dtype=np.float32)


BAD_INPUTS = [
    ("weight-list", {"weight": [[1.0]]}, {}, "weight: must be a numpy array or a torch tensor; got list"),
    ("weight-int", {"weight": np.ones((4, 3), dtype=np.int64)}, {}, "weight: must have a floating-point dtype; got int64"),
    ("gamma-int", {"gamma": np.ones(4, dtype=np.int32)}, {}, "gamma: must have a floating-point dtype; got int32"),
    ("gamma-list", {"gamma": [1.0, 1.0, 1.0, 1.0]}, {}, "gamma: must be a numpy array like weight; got list"),
    ("weight-1d", {"weight": np.ones(4, dtype=np.float32)}, {}, "weight: must have at least 2 dimensions (out, in, ...); got shape (4,)"),
    ("gamma-short", {"gamma": np.ones(3, dtype=np.float32)}, {}, "gamma: must have shape (4,), one entry per output channel of weight; got shape (3,)"),
    ("bias-2d", {"bias": np.ones((4, 1), dtype=np.float32)}, {}, "bias: must have shape (4,), one entry per output channel of weight; got shape (4, 1)"),
    ("beta-long", {"beta": np.ones(5, dtype=np.float32)}, {}, "beta: must have shape (4,), one entry per output channel of weight; got shape (5,)"),
    ("mean-0d", {"mean": np.zeros((), dtype=np.float32)}, {}, "mean: must have shape (4,), one entry per output channel of weight; got shape ()"),
    ("mean-scalar", {"mean": np.float32(0.0)}, {}, "mean: must be a numpy array like weight; got numpy.float32"),
    ("var-in-channels", {"var": np.ones(3, dtype=np.float32)}, {}, "var: must have shape (4,), one entry per output channel of weight; got shape (3,)"),
    ("var-negative", {"var": np.array([1.0, 2.0, 0.5, -0.5], dtype=np.float32)}, {}, "var: must be non-negative; entry 3 is -0.5"),
    ("var-nan", {"var": np.array([1.0, np.nan, 0.5, 1.0], dtype=np.float32)}, {}, "var: must be non-negative; entry 1 is nan"),
    ("eps-zero", {}, {"eps": 0.0}, "eps: must be a positive finite number; got 0.0"),
    ("eps-negative", {}, {"eps": -1e-5}, "eps: must be a positive finite number; got -1e-05"),
    ("eps-inf", {}, {"eps": float("inf")}, "eps: must be a positive finite number; got inf"),
    ("eps-string", {}, {"eps": "1e-5"}, "eps: must be a positive finite number; got '1e-5'"),
    ("eps-bool", {}, {"eps": True}, "eps: must be a positive finite number; got True"),
    ("compute-f16", {}, {"compute_dtype": "float16"}, "compute_dtype: must be None, 'float32' or 'float64'; got 'float16'"),
    ("compute-double", {}, {"compute_dtype": "double"}, "compute_dtype: must be None, 'float32' or 'float64'; got 'double'"),
]


@pytest.mark.parametrize(("changes", "options", "message"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_one_line_naming_the_argument(changes, options, message):
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        fold_bn(**(good() | changes), **options)


def test_zero_variance_is_accepted():
    """σ² = 0 (a dead channel) is legal: ε keeps the division finite."""
    p = good()
    p["var"][:] = 0
    w, b = fold_bn(**p)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(b))


# --------------------------------------------------------------------------------------------
# lazy imports


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_importing_derive_nn_loads_neither_numpy_nor_torch():
    out = run_python("import sys, derive.nn; print('numpy' in sys.modules, 'torch' in sys.modules)")
    assert out == "False False"


def test_folding_numpy_arrays_does_not_import_torch():
    out = run_python(
        "import sys, numpy as np\n"
        "from derive.nn import fold_bn\n"
        "o = np.ones(2)\n"
        "fold_bn(np.ones((2, 3)), None, o, o, o, o)\n"
        "print('torch' in sys.modules)"
    )
    assert out == "False"


def test_unknown_name_is_an_attribute_error():
    import derive.nn

    with pytest.raises(AttributeError, match=r"^module 'derive.nn' has no attribute 'fold_batchnorm'$"):
        derive.nn.fold_batchnorm  # noqa: B018
