"""Fold an eval-mode batch norm into the convolution or linear layer that precedes it.

For output channel c, BN(Wx + b)_c = γ_c (W[c]·x + b_c − μ_c)/√(σ²_c + ε) + β_c, which is again
affine in x:  W'[c] = s_c W[c],  b'_c = s_c (b_c − μ_c) + β_c  with  s_c = γ_c/√(σ²_c + ε).
The identity is exact in real arithmetic; in floating point the folded layer rounds at other
places than the original pair, which is why ``compute_dtype`` exists: folding in float64 and
rounding once leaves each folded entry within half an ulp of the exact value.

Works on numpy arrays or torch tensors without importing torch for numpy input: the kind of
array is read from the module name of its type, and torch is imported only when a tensor is
actually passed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVar

ArrayT = TypeVar("ArrayT")

_COMPUTE_DTYPES = ("float32", "float64")
_PER_CHANNEL = ("bias", "gamma", "beta", "mean", "var")


def fold_bn(
    weight: ArrayT,
    bias: ArrayT | None,
    gamma: ArrayT,
    beta: ArrayT,
    mean: ArrayT,
    var: ArrayT,
    eps: float = 1e-5,
    *,
    compute_dtype: str | None = None,
) -> tuple[ArrayT, ArrayT]:
    """Return ``(W', b')`` of the single layer equal to layer (``weight``, ``bias``) then BN.

    ``weight`` is (C_out, C_in, kh, kw) for a convolution (any number of trailing dims) or
    (out, in) for a linear layer; ``bias`` (None means zeros), ``gamma``, ``beta``, the running
    ``mean`` and running ``var`` hold one entry per output channel. All arrays are numpy arrays
    or all are torch tensors; the results are of the same kind, W' in ``weight``'s dtype and b'
    in ``bias``'s dtype (``weight``'s when ``bias`` is None).

    ``compute_dtype`` (None, "float32" or "float64") is the precision of the arithmetic; None
    computes in the common dtype of the inputs. "float64" on float32 inputs rounds only once,
    at the end, which is the most accurate float32 result this formula can give.

    Raises ValueError naming the offending argument for mixed array kinds, non-float dtypes,
    wrong shapes, eps that is not positive and finite, or a negative (or NaN) variance.
    """
    _check_compute_dtype(compute_dtype)
    eps = _check_eps(eps)
    backend = _backend_for(weight)
    given = {"bias": bias, "gamma": gamma, "beta": beta, "mean": mean, "var": var}
    arrays = {"weight": weight} | {k: v for k, v in given.items() if v is not None}
    for name, array in arrays.items():
        backend.check_kind(name, array)
        if not backend.is_float(array):
            raise ValueError(
                f"{name}: must have a floating-point dtype; got {backend.dtype_name(array)}"
            )
    _check_shapes(arrays)
    _check_variance(var)

    compute = backend.dtype(compute_dtype) if compute_dtype else backend.promote(
        [a.dtype for a in arrays.values()]
    )
    bias_dtype = bias.dtype if bias is not None else weight.dtype
    return backend.run(
        lambda: _fold(backend, weight, bias, gamma, beta, mean, var, eps, compute, bias_dtype)
    )


def _fold(backend: _Backend, weight: Any, bias: Any, gamma: Any, beta: Any, mean: Any, var: Any,
          eps: float, compute: Any, bias_dtype: Any) -> tuple[Any, Any]:
    """The folding formula itself, in dtype ``compute``, rounded once to the output dtypes."""
    w, g, bt, m, v = (backend.cast(a, compute) for a in (weight, gamma, beta, mean, var))
    b = backend.zeros_like(m) if bias is None else backend.cast(bias, compute)
    scale = g / backend.sqrt(v + eps)
    folded_w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
    folded_b = (b - m) * scale + bt
    return backend.cast(folded_w, weight.dtype), backend.cast(folded_b, bias_dtype)


# ---------------------------------------------------------------------------------------------
# validation


def _check_compute_dtype(compute_dtype: object) -> None:
    if compute_dtype is not None and compute_dtype not in _COMPUTE_DTYPES:
        raise ValueError(
            f"compute_dtype: must be None, 'float32' or 'float64'; got {compute_dtype!r}"
        )


def _check_eps(eps: object) -> float:
    """eps > 0 keeps √(σ² + ε) away from zero even for a dead channel with σ² = 0."""
    if isinstance(eps, numbers.Real) and not isinstance(eps, bool):
        value = float(eps)
        if math.isfinite(value) and value > 0:
            return value
        raise ValueError(f"eps: must be a positive finite number; got {value!r}")
    raise ValueError(f"eps: must be a positive finite number; got {eps!r}")


def _check_shapes(arrays: dict[str, Any]) -> None:
    weight_shape = tuple(arrays["weight"].shape)
    if len(weight_shape) < 2:
        raise ValueError(
            f"weight: must have at least 2 dimensions (out, in, ...); got shape {weight_shape}"
        )
    expected = (weight_shape[0],)
    for name in _PER_CHANNEL:
        if name in arrays and tuple(arrays[name].shape) != expected:
            raise ValueError(
                f"{name}: must have shape {expected}, one entry per output channel of weight; "
                f"got shape {tuple(arrays[name].shape)}"
            )


def _check_variance(var: Any) -> None:
    """A variance is ≥ 0; NaN fails the test too, since it would poison a whole channel."""
    bad = ~(var >= 0)
    if bad.any():
        # 1-D in both libraries: numpy's nonzero() is a tuple of index arrays, torch's an
        # (n, 1) tensor; [0][0] is the first offending index either way.
        index = int(bad.nonzero()[0][0])
        raise ValueError(
            f"var: must be non-negative; entry {index} is {format(float(var[index]), 'g')}"
        )


def _type_name(value: object) -> str:
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _module_root(value: object) -> str:
    return type(value).__module__.split(".", 1)[0]


# ---------------------------------------------------------------------------------------------
# the two array libraries, behind one small interface


@dataclass(frozen=True)
class _Backend:
    """What ``fold_bn`` needs from an array library; torch is imported only to build its one."""

    kind: str  # "a numpy array" / "a torch tensor", used in messages
    is_instance: Callable[[object], bool]
    is_float: Callable[[Any], bool]
    dtype_name: Callable[[Any], str]
    dtype: Callable[[str], Any]
    promote: Callable[[list[Any]], Any]
    cast: Callable[[Any, Any], Any]
    sqrt: Callable[[Any], Any]
    zeros_like: Callable[[Any], Any]
    run: Callable[[Callable[[], tuple[Any, Any]]], tuple[Any, Any]]

    def check_kind(self, name: str, value: object) -> None:
        if not self.is_instance(value):
            raise ValueError(f"{name}: must be {self.kind} like weight; got {_type_name(value)}")


def _backend_for(weight: object) -> _Backend:
    root = _module_root(weight)
    if root == "numpy":
        backend = _numpy_backend()
    elif root == "torch":
        backend = _torch_backend()
    else:
        backend = None
    if backend is None or not backend.is_instance(weight):
        raise ValueError(
            f"weight: must be a numpy array or a torch tensor; got {_type_name(weight)}"
        )
    return backend


def _numpy_backend() -> _Backend:
    import numpy as np

    return _Backend(
        kind="a numpy array",
        is_instance=lambda v: isinstance(v, np.ndarray),
        is_float=lambda a: a.dtype.kind == "f",
        dtype_name=lambda a: str(a.dtype),
        dtype=np.dtype,
        promote=lambda dtypes: reduce(np.promote_types, dtypes),
        cast=lambda a, dtype: np.asarray(a, dtype=dtype),
        sqrt=np.sqrt,
        zeros_like=np.zeros_like,
        run=lambda compute: compute(),
    )


def _torch_backend() -> _Backend:
    import torch

    def run(compute: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
        # folded parameters are new constants, not a step of anyone's autograd graph
        with torch.no_grad():
            return compute()

    return _Backend(
        kind="a torch tensor",
        is_instance=lambda v: isinstance(v, torch.Tensor),
        is_float=lambda a: a.dtype.is_floating_point,
        dtype_name=lambda a: str(a.dtype).removeprefix("torch."),
        dtype=lambda name: getattr(torch, name),
        promote=lambda dtypes: reduce(torch.promote_types, dtypes),
        cast=lambda a, dtype: a.detach().to(dtype=dtype),
        sqrt=torch.sqrt,
        zeros_like=torch.zeros_like,
        run=run,
    )


# The fold's formula for a weight of any shape, public so a document can list the code it runs.
fold_formula = _fold
