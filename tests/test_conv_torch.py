"""Problem 4(b) in numbers: backprop by (transpose) convolutions equals autograd; slips caught."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from torch.nn import functional as F  # noqa: E402

from derive.nn.conv import conv_matrix, multiplication_counts  # noqa: E402
from derive.documents.hw7.conv_torch import (  # noqa: E402
    SHEET_RULES,
    BackpropRules,
    check_backprop,
    check_products,
    cost_table,
    random_filter_lengths,
)

pytestmark = pytest.mark.torch


@settings(max_examples=25, deadline=None)
@given(n0=st.integers(2, 4096), L=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_matrix_free_backprop_equals_autograd(n0, L, seed):
    lengths = random_filter_lengths(n0, min(L, n0), np.random.default_rng(seed))
    report = check_backprop(n0, lengths, seed=seed)
    assert report.sizes[0] == n0 and report.sizes[-1] == 1
    assert len(report.filters) == len(report.biases) == len(lengths)
    assert report.passed, report
    assert report.seconds > 0


def test_the_largest_size_of_the_brief():
    report = check_backprop(4096, (31, 34, 49, 3985), seed=7)
    assert report.sizes == (4096, 4066, 4033, 3985, 1)
    assert report.passed, report


def _correlate_full(v, w):
    """conv1d with full padding: the right length, but w not flipped — not the transpose."""
    return F.conv1d(v.reshape(1, 1, -1), w.reshape(1, 1, -1), padding=w.numel() - 1).reshape(-1)


def _transpose_flipped(v, w):
    return F.conv_transpose1d(v.reshape(1, 1, -1), w.flip(0).reshape(1, 1, -1)).reshape(-1)


def _valid_conv_backward(v, w):
    """conv1d without padding: the forward product where the transpose belongs (wrong length)."""
    return F.conv1d(v.reshape(1, 1, -1), w.reshape(1, 1, -1)).reshape(-1)


def _filter_grad_flipped(y_prev, v):
    return F.conv1d(y_prev.reshape(1, 1, -1), v.flip(0).reshape(1, 1, -1)).reshape(-1)


def _filter_grad_transposed(y_prev, v):
    """y correlated with... the roles swapped: v as the signal, y as the filter (shape fails)."""
    return F.conv_transpose1d(v.reshape(1, 1, -1), y_prev.reshape(1, 1, -1)).reshape(-1)


WRONG_RULES = {
    "conv1d for the backward product": BackpropRules(_correlate_full, SHEET_RULES.filter_grad),
    "flipped filter in the transpose": BackpropRules(_transpose_flipped, SHEET_RULES.filter_grad),
    "valid conv1d backward": BackpropRules(_valid_conv_backward, SHEET_RULES.filter_grad),
    "flipped v in the filter gradient": BackpropRules(SHEET_RULES.backward, _filter_grad_flipped),
    "roles swapped in the filter gradient": BackpropRules(
        SHEET_RULES.backward, _filter_grad_transposed
    ),
}


@pytest.mark.parametrize("rules", WRONG_RULES.values(), ids=WRONG_RULES.keys())
@pytest.mark.parametrize("lengths", [(5, 7, 4086), (3, 2, 4, 8)], ids=["n4096", "n14"])
def test_wrong_backprop_is_detected(rules, lengths):
    n0 = 1 + sum(f - 1 for f in lengths)
    report = check_backprop(n0, lengths, seed=1, rules=rules)
    assert not report.passed
    assert report.max_abs_diff > 1e-3


def test_threads_are_restored():
    before = torch.get_num_threads()
    check_backprop(9, (3, 7), threads=1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(("n", "f"), [(1, 1), (5, 1), (8, 3), (12, 12), (30, 7)])
def test_matrices_equal_the_torch_products(n, f):
    report = check_products(n, f, seed=n + f)
    assert report.passed, report


def _flipped_matrix(w, n):
    return conv_matrix(w[::-1].copy(), n)


def _shifted_operator(v, n):
    return np.roll(conv_matrix(v, n), 1, axis=1)


@pytest.mark.parametrize(
    ("kwargs", "failing"),
    [
        ({"matrix": _flipped_matrix}, ("forward", "transpose")),
        ({"operator": _shifted_operator}, ("operator",)),
        ({"operator": _flipped_matrix}, ("operator",)),
    ],
    ids=["A_w flipped", "C_v off by one", "C_v flipped"],
)
def test_wrong_matrices_are_detected(kwargs, failing):
    report = check_products(9, 4, seed=2, **kwargs)
    assert not report.passed
    for name in ("forward", "transpose", "operator"):
        assert (getattr(report, name) > 1e-6) == (name in failing), (name, report)


def test_products_reject_impossible_sizes():
    with pytest.raises(ValueError, match=r"^check_products: need 1 <= f <= n, got n=3, f=4$"):
        check_products(3, 4)


BACKPROP_ERRORS = [
    ((10, (3, 3)), "check_backprop: filter lengths (3, 3) take n0 = 10 to 6, not to n_L = 1"),
    ((4, (5,)), "check_backprop: filter lengths (5,) take n0 = 4 to 0, not to n_L = 1"),
]


@pytest.mark.parametrize(("args", "message"), BACKPROP_ERRORS, ids=range(len(BACKPROP_ERRORS)))
def test_backprop_rejects_sizes_that_do_not_end_at_one(args, message):
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        check_backprop(*args)


@settings(max_examples=30, deadline=None)
@given(n0=st.integers(1, 5000), L=st.integers(1, 6), seed=st.integers(0, 1000))
def test_random_filter_lengths_end_at_one(n0, L, seed):
    L = min(L, n0)
    lengths = random_filter_lengths(n0, L, np.random.default_rng(seed))
    assert len(lengths) == L and min(lengths) >= 1
    assert n0 - sum(f - 1 for f in lengths) == 1


def test_cost_table_counts_and_times():
    rows = cost_table(ns=(16, 64), fs=(3, 5), repeats=2, number=2)
    assert [(r.n, r.f) for r in rows] == [(16, 3), (16, 5), (64, 3), (64, 5)]
    for row in rows:
        a_w = conv_matrix(np.ones(row.f), row.n)
        assert row.n_out == a_w.shape[0]
        assert (row.dense_mults, row.conv_mults) == (a_w.size, np.count_nonzero(a_w))
        assert (row.dense_mults, row.conv_mults) == multiplication_counts(row.n, row.f)
        assert row.mult_ratio == row.n / row.f
        times = (
            row.dense_seconds,
            row.dense_transpose_seconds,
            row.conv1d_seconds,
            row.conv_transpose1d_seconds,
        )
        assert all(t > 0 for t in times)


def test_cost_table_rejects_a_filter_longer_than_the_input():
    with pytest.raises(ValueError, match=r"^cost_table: filter length 9 exceeds n = 8$"):
        cost_table(ns=(8,), fs=(9,), repeats=1, number=1)
