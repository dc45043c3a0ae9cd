"""1-D convolutions as Toeplitz matrices (numpy or SymPy), and what a product with them costs.

Why this module exists: a convolution is a product with a banded matrix A_w, and the operator
C_v turns a filter gradient into a product too. These builders make the matrices explicit so
identities about them can be stated and checked; Homework 7's symbolic check of its backprop
identities on whole networks is :mod:`derive.documents.hw7.conv_identities`.

Convention (deep learning, cross-correlation, stride 1, no padding)::

    (A_w y)_i = sum_{j=1}^{f} w_j * y_{i+j-1},   i = 1, ..., n - f + 1.

``scipy.linalg.convolution_matrix(a, n, 'valid')`` builds the matrix of the *true* convolution,
whose kernel is flipped: ``conv_matrix(w, n) == convolution_matrix(w[::-1], n, 'valid')``.

SymPy and numpy are imported inside the functions that need them, so importing this module
costs nothing and works with only one of the two installed.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import sympy

__all__ = [
    "conv_matrix",
    "conv_operator",
    "multiplication_counts",
]


# ---------------------------------------------------------------------------------------------
# The matrices
# ---------------------------------------------------------------------------------------------


def _is_numpy_array(value: object) -> bool:
    """True for a numpy array, decided without importing numpy."""
    return type(value).__module__ == "numpy" and hasattr(value, "ndim")


def _toeplitz(caller: str, name: str, filt: Any, n: int, n_name: str) -> Any:
    """The (n − f + 1) × n cross-correlation matrix of ``filt``, validated; shared by both APIs.

    ``caller``, ``name`` and ``n_name`` only shape the error messages, so that a user of
    :func:`conv_operator` reads about the filter v and n_prev rather than w and n.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{caller}: {n_name} must be a positive integer, got {n!r}")
    if _is_numpy_array(filt):
        import numpy as np

        if filt.ndim != 1:
            raise ValueError(
                f"{caller}: the filter {name} must be 1-D, got shape {tuple(filt.shape)}; "
                "pass a flat sequence or a 1-D array"
            )
        f = filt.shape[0]
        _check_lengths(caller, name, f, n, n_name)
        rows = n - f + 1
        matrix = np.zeros((rows, n), dtype=filt.dtype)
        index = np.arange(rows)
        for j in range(f):  # one diagonal per filter tap: O(rows · f), never O(rows · n) work
            matrix[index, index + j] = filt[j]
        return matrix
    coeffs = _sympy_filter(caller, name, filt)
    f = len(coeffs)
    _check_lengths(caller, name, f, n, n_name)
    import sympy

    matrix = sympy.zeros(n - f + 1, n)
    for i in range(n - f + 1):  # set only the band: O(rows · f) SymPy work
        for j in range(f):
            matrix[i, i + j] = coeffs[j]
    return matrix


def _check_lengths(caller: str, name: str, f: int, n: int, n_name: str) -> None:
    if f == 0:
        raise ValueError(f"{caller}: the filter {name} is empty; give at least one coefficient")
    if f > n:
        raise ValueError(
            f"{caller}: the filter {name} has length {f} > {n_name} = {n}; "
            f"a valid convolution needs a filter no longer than its input"
        )


def _sympy_filter(caller: str, name: str, filt: Any) -> list[sympy.Expr]:
    """The filter's coefficients as SymPy objects; rejects text (never sympified) and nesting."""
    import sympy

    if isinstance(filt, sympy.MatrixBase):
        if min(filt.shape) > 1:
            raise ValueError(
                f"{caller}: the filter {name} must be 1-D, got shape {tuple(filt.shape)}; "
                "pass a flat sequence or a 1-D array"
            )
        return list(filt)
    if isinstance(filt, (str, bytes)) or not isinstance(filt, Sequence):
        raise ValueError(
            f"{caller}: the filter {name} must be a sequence of SymPy expressions or a 1-D "
            f"numpy array, got {type(filt).__name__}"
        )
    coeffs: list[sympy.Expr] = []
    for position, item in enumerate(filt):
        if isinstance(item, sympy.Basic):
            coeffs.append(item)
        elif isinstance(item, numbers.Real) and not isinstance(item, bool):
            coeffs.append(sympy.sympify(item, strict=True))
        elif isinstance(item, (Sequence, sympy.MatrixBase)) and not isinstance(item, str):
            raise ValueError(
                f"{caller}: the filter {name} must be 1-D, but entry {position} is a sequence; "
                "pass a flat sequence or a 1-D array"
            )
        else:
            raise ValueError(
                f"{caller}: entry {position} of the filter {name} is a {type(item).__name__}, "
                "not a SymPy expression or number; build symbols with sympy.symbols"
            )
    return coeffs


def conv_matrix(w: Any, n: int) -> Any:
    """The matrix A_w ∈ ℝ^{(n−f+1)×n} of the 1-D convolution with filter ``w`` on ℝⁿ.

    Deep-learning convention (cross-correlation, stride 1, no padding):
    ``(A_w y)_i = Σ_{j=1}^{f} w_j · y_{i+j−1}`` — what ``torch.nn.functional.conv1d`` computes.
    ``scipy.linalg.convolution_matrix`` is the *true* convolution (kernel flipped), so
    ``conv_matrix(w, n) == convolution_matrix(w[::-1], n, 'valid')``.

    A sequence of SymPy expressions (or a 1-D SymPy matrix) gives a ``sympy.Matrix``; a 1-D
    numpy array gives a numpy array of the same dtype. Raises ValueError for an empty filter,
    a filter longer than n, a filter that is not 1-D, or a non-positive n.
    """
    return _toeplitz("conv_matrix", "w", w, n, "n")


def conv_operator(v: Any, n_prev: int) -> Any:
    """The matrix C_v ∈ ℝ^{f×n_prev} of the convolution whose filter is v ∈ ℝ^{n_ℓ}.

    Problem 4 writes ∂y_L/∂w_ℓ = (C_{v_ℓᵀ} y_{ℓ−1})ᵀ: the gradient with respect to the filter is
    the input correlated with the backpropagated row v_ℓ, so v_ℓ plays the role of a filter of
    length n_ℓ sliding over y_{ℓ−1} ∈ ℝ^{n_prev}; the result has f_ℓ = n_prev − n_ℓ + 1 entries.
    ``(C_v y)_j = Σ_{i=1}^{n_ℓ} v_i · y_{i+j−1}`` — the same cross-correlation convention as
    :func:`conv_matrix` (and ``conv1d``), so as a matrix C_v equals ``conv_matrix(v, n_prev)``;
    ``scipy.linalg.convolution_matrix(v[::-1], n_prev, 'valid')`` in scipy's (flipped) terms.

    Same dual behaviour and validation as :func:`conv_matrix`.
    """
    return _toeplitz("conv_operator", "v", v, n_prev, "n_prev")


def multiplication_counts(n: int, f: int) -> tuple[int, int]:
    """Multiplications for one product with A_w (or A_wᵀ): (dense matrix, convolution).

    Why: Problem 4(b) says forming A_w is wasteful. The dense product multiplies every one of
    the (n − f + 1)·n entries, zeros included; the convolution touches only the f taps per
    output, (n − f + 1)·f. The transpose product has the same two counts (same matrix).
    """
    if f < 1 or n < f:
        raise ValueError(f"multiplication_counts: need 1 <= f <= n, got n={n}, f={f}")
    rows = n - f + 1
    return rows * n, rows * f
