"""A_w and C_v as matrices: the sheet's convention, both input kinds, and the error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.nn.conv import conv_matrix, conv_operator, multiplication_counts


def by_definition(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(A_w y)_i = Σ_j w_j y_{i+j−1} written out with loops (0-based here, 1-based on the sheet)."""
    f, n = len(w), len(y)
    return np.array([sum(w[j] * y[i + j] for j in range(f)) for i in range(n - f + 1)])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_numpy_matrix_applies_the_sheet_formula(n, data):
    f = data.draw(st.integers(1, n))
    rng = np.random.default_rng(n * 100 + f)
    w, y = rng.standard_normal(f), rng.standard_normal(n)
    a_w = conv_matrix(w, n)
    assert a_w.shape == (n - f + 1, n)
    np.testing.assert_allclose(a_w @ y, by_definition(w, y), rtol=0, atol=1e-12)
    # numpy's correlate is the same cross-correlation; convolve flips the kernel
    np.testing.assert_allclose(a_w @ y, np.correlate(y, w, "valid"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(a_w @ y, np.convolve(y, w[::-1], "valid"), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("n", "f"), [(1, 1), (5, 1), (5, 3), (7, 7), (12, 4)])
def test_equals_scipy_convolution_matrix_of_the_flipped_filter(n, f):
    linalg = pytest.importorskip("scipy.linalg")
    w = np.random.default_rng(f).standard_normal(f)
    np.testing.assert_array_equal(conv_matrix(w, n), linalg.convolution_matrix(w[::-1], n, "valid"))
    np.testing.assert_array_equal(
        conv_operator(w, n), linalg.convolution_matrix(w[::-1], n, "valid")
    )


def test_scipy_without_the_flip_is_a_different_matrix():
    """Guard against the test above passing vacuously (e.g. for a symmetric filter)."""
    linalg = pytest.importorskip("scipy.linalg")
    w = np.array([1.0, 2.0, 3.0])
    assert not np.array_equal(conv_matrix(w, 5), linalg.convolution_matrix(w, 5, "valid"))


def test_numpy_keeps_dtype():
    assert conv_matrix(np.array([1, 2], dtype=np.int64), 4).dtype == np.int64
    assert conv_matrix(np.array([1, 2], dtype=np.float32), 4).dtype == np.float32


@pytest.mark.parametrize(("n", "f"), [(1, 1), (4, 2), (6, 3), (5, 5)])
def test_sympy_matrix_entries_follow_the_formula(n, f):
    w = sympy.symbols(f"w1:{f + 1}")
    y = sympy.Matrix(sympy.symbols(f"y1:{n + 1}"))
    a_w = conv_matrix(w, n)
    assert isinstance(a_w, sympy.Matrix)
    assert a_w.shape == (n - f + 1, n)
    expected = [sum(w[j] * y[i + j] for j in range(f)) for i in range(n - f + 1)]
    assert [sympy.expand(e) for e in a_w * y] == [sympy.expand(e) for e in expected]


def test_sympy_accepts_numbers_and_a_vector_matrix():
    a, b = sympy.symbols("a b")
    assert conv_matrix([a, 2], 3) == sympy.Matrix([[a, 2, 0], [0, a, 2]])
    assert conv_matrix(sympy.Matrix([a, b]), 3) == conv_matrix([a, b], 3)
    assert conv_matrix(sympy.Matrix([[a, b]]), 3) == conv_matrix([a, b], 3)


def test_conv_operator_is_the_filter_gradient_operator():
    """(C_v y)_j = Σ_i v_i y_{i+j−1}: v of length n_ℓ slides over y of length n_{ℓ−1}."""
    v = sympy.symbols("v1:4")
    y = sympy.symbols("y1:6")
    c_v = conv_operator(v, 5)
    assert c_v.shape == (3, 5)  # f_ℓ = n_{ℓ−1} − n_ℓ + 1 = 5 − 3 + 1
    for j in range(3):
        expected = sum(v[i] * y[i + j] for i in range(3))
        assert sympy.expand((c_v * sympy.Matrix(y))[j] - expected) == 0


MATRIX_ERRORS = [
    (
        lambda: conv_matrix(np.zeros(0), 3),
        "conv_matrix: the filter w is empty; give at least one coefficient",
    ),
    (
        lambda: conv_matrix([], 3),
        "conv_matrix: the filter w is empty; give at least one coefficient",
    ),
    (
        lambda: conv_matrix(np.ones(4), 3),
        "conv_matrix: the filter w has length 4 > n = 3; a valid convolution needs a filter no "
        "longer than its input",
    ),
    (
        lambda: conv_matrix(sympy.symbols("a b c"), 2),
        "conv_matrix: the filter w has length 3 > n = 2; a valid convolution needs a filter no "
        "longer than its input",
    ),
    (
        lambda: conv_matrix(np.ones((2, 3)), 5),
        "conv_matrix: the filter w must be 1-D, got shape (2, 3); pass a flat sequence or a "
        "1-D array",
    ),
    (
        lambda: conv_matrix(sympy.ones(2, 2), 5),
        "conv_matrix: the filter w must be 1-D, got shape (2, 2); pass a flat sequence or a "
        "1-D array",
    ),
    (
        lambda: conv_matrix([[1, 2], [3, 4]], 5),
        "conv_matrix: the filter w must be 1-D, but entry 0 is a sequence; pass a flat sequence "
        "or a 1-D array",
    ),
    (
        lambda: conv_matrix(["x", "y"], 5),
        "conv_matrix: entry 0 of the filter w is a str, not a SymPy expression or number; build "
        "symbols with sympy.symbols",
    ),
    (
        lambda: conv_matrix("xy", 5),
        "conv_matrix: the filter w must be a sequence of SymPy expressions or a 1-D numpy array, "
        "got str",
    ),
    (lambda: conv_matrix(np.ones(2), 0), "conv_matrix: n must be a positive integer, got 0"),
    (lambda: conv_matrix(np.ones(2), 2.0), "conv_matrix: n must be a positive integer, got 2.0"),
    (
        lambda: conv_matrix([True], 2),
        "conv_matrix: entry 0 of the filter w is a bool, not a SymPy expression or number; "
        "build symbols with sympy.symbols",
    ),
    (
        lambda: conv_operator(np.ones(6), 5),
        "conv_operator: the filter v has length 6 > n_prev = 5; a valid convolution needs a "
        "filter no longer than its input",
    ),
    (
        lambda: conv_operator([], 5),
        "conv_operator: the filter v is empty; give at least one coefficient",
    ),
    (
        lambda: conv_operator(np.ones((1, 1, 2)), 5),
        "conv_operator: the filter v must be 1-D, got shape (1, 1, 2); pass a flat sequence or a "
        "1-D array",
    ),
    (
        lambda: conv_operator(np.ones(2), -1),
        "conv_operator: n_prev must be a positive integer, got -1",
    ),
]


@pytest.mark.parametrize(("call", "message"), MATRIX_ERRORS, ids=range(len(MATRIX_ERRORS)))
def test_bad_input_is_one_clear_value_error(call, message):
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        call()


@pytest.mark.parametrize(("n", "f"), [(1, 1), (8, 3), (40, 40), (64, 5)])
def test_multiplication_counts_match_the_matrix(n, f):
    """Dense: every entry of A_w; convolution: its nonzero entries (a filter with no zero tap)."""
    a_w = conv_matrix(np.ones(f), n)
    assert multiplication_counts(n, f) == (a_w.size, int(np.count_nonzero(a_w)))


def test_multiplication_counts_reject_impossible_sizes():
    with pytest.raises(
        ValueError, match=r"^multiplication_counts: need 1 <= f <= n, got n=3, f=4$"
    ):
        multiplication_counts(3, 4)
