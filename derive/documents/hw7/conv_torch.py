"""Backprop through 1-D convolutions without forming A_w, checked against autograd (Problem 4(b)).

Why: Problem 4(b) says forming A_w is wasteful — the forward product A_w y is a convolution
(``conv1d``), the backward product v A_w = (A_wᵀ vᵀ)ᵀ a transpose convolution (a *full*
convolution with the same filter, ``conv_transpose1d``), and the filter gradient (C_{vᵀ} y)ᵀ a
convolution of the layer's input with v as the filter. This module runs that backward pass on a
random network, compares it with ``torch.autograd``, checks the three product identities against
the explicit matrices of :mod:`derive.nn.conv`, and measures what the matrices would cost.

Needs torch (the ``torch`` extra); ``derive.nn`` never imports this module by itself.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from derive.nn import conv_matrix, conv_operator, multiplication_counts

__all__ = [
    "SHEET_RULES",
    "BackpropReport",
    "BackpropRules",
    "CostRow",
    "ProductReport",
    "check_backprop",
    "check_products",
    "cost_table",
    "random_filter_lengths",
]

Tensor = torch.Tensor


@contextmanager
def _threads(count: int | None) -> Iterator[None]:
    """Run with ``count`` intra-op threads (None: leave torch's setting), restoring it after.

    Why: these vectors are short (n ≤ 4096), and waking torch's thread pool for each small op
    costs more than the op — on a loaded 2-core machine about 8 ms per conv1d call against 20 µs
    single-threaded. One thread measures the arithmetic, not the scheduler.
    """
    if count is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _as3d(vector: Tensor) -> Tensor:
    """conv1d wants (batch, channels, length): one sample, one channel."""
    return vector.reshape(1, 1, -1)


def _backward_transpose(v: Tensor, w: Tensor) -> Tensor:
    """v A_w, i.e. (A_wᵀ vᵀ)ᵀ, as a transpose (full) convolution with the same filter."""
    return F.conv_transpose1d(_as3d(v), _as3d(w)).reshape(-1)


def _filter_grad_conv(y_prev: Tensor, v: Tensor) -> Tensor:
    """(C_{vᵀ} y_{ℓ−1})ᵀ: the layer input correlated with v as the filter (length f_ℓ)."""
    return F.conv1d(_as3d(y_prev), _as3d(v)).reshape(-1)


@dataclass(frozen=True)
class BackpropRules:
    """How the manual backward pass computes its two products; swapped in tests to inject errors.

    ``backward(v, w)`` must return v_ℓ A_{w_ℓ} (length n_{ℓ−1}); ``filter_grad(y_prev, v)``
    must return ∂y_L/∂w_ℓ (length f_ℓ). Neither may form A_w.
    """

    backward: Callable[[Tensor, Tensor], Tensor]
    filter_grad: Callable[[Tensor, Tensor], Tensor]


#: The products as Problem 4(b) describes them.
SHEET_RULES = BackpropRules(backward=_backward_transpose, filter_grad=_filter_grad_conv)


@dataclass(frozen=True)
class BackpropReport:
    """Largest |manual − autograd| per gradient, for one random network.

    ``filters[ℓ−1]`` and ``biases[ℓ−1]`` belong to layer ℓ; ``inputs`` is ∂y_L/∂x, which only
    the backward product of layer 1 reaches. ``seconds`` covers forward, autograd, the manual
    backward pass and the comparison (not building the random network).
    """

    sizes: tuple[int, ...]
    filters: tuple[float, ...]
    biases: tuple[float, ...]
    inputs: float
    seconds: float
    tolerance: float

    @property
    def max_abs_diff(self) -> float:
        return max((*self.filters, *self.biases, self.inputs))

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance


def random_filter_lengths(
    n0: int, L: int, generator: np.random.Generator, max_f: int = 64
) -> tuple[int, ...]:
    """Filter lengths f_1, …, f_L with n_L = 1 for input length n0.

    Layers 1 … L−1 draw f in [2, max_f] (shrunk so that the input stays long enough); the last
    filter takes what is left, f_L = n_{L−1}, as n_L = 1 demands.
    """
    if L < 1 or n0 < L:
        raise ValueError(f"random_filter_lengths: need 1 <= L <= n0, got n0={n0}, L={L}")
    lengths: list[int] = []
    n = n0
    for remaining in range(L - 1, 0, -1):
        # leave at least one step (f >= 2 would need n - f + 1 >= remaining + 1)
        high = min(max_f, n - remaining)
        f = int(generator.integers(2, high + 1)) if high >= 2 else 1
        lengths.append(f)
        n -= f - 1
    lengths.append(n)
    return tuple(lengths)


def _sizes(n0: int, filter_lengths: Sequence[int]) -> tuple[int, ...]:
    sizes = [n0]
    for f in filter_lengths:
        sizes.append(sizes[-1] - f + 1)
    if sizes[-1] != 1 or min(sizes) < 1:
        raise ValueError(
            f"check_backprop: filter lengths {tuple(filter_lengths)} take n0 = {n0} to "
            f"{sizes[-1]}, not to n_L = 1"
        )
    return tuple(sizes)


def check_backprop(
    n0: int,
    filter_lengths: Sequence[int],
    seed: int = 0,
    rules: BackpropRules = SHEET_RULES,
    tolerance: float = 1e-9,
    threads: int | None = 1,
) -> BackpropReport:
    """Compare the matrix-free backward pass with autograd on a random tanh network (float64).

    y_ℓ = tanh(conv1d(y_{ℓ−1}, w_ℓ) + b_ℓ) for ℓ < L, y_L = conv1d(y_{L−1}, w_L) + b_L. The
    manual pass starts from v_L = 1 and for ℓ = L, …, 1 takes ∂y_L/∂w_ℓ = filter_grad(y_{ℓ−1},
    v_ℓ), ∂y_L/∂b_ℓ = v_ℓ 1, g = backward(v_ℓ, w_ℓ) = v_ℓ A_{w_ℓ} and v_{ℓ−1} = g ⊙ tanh'(z_{ℓ−1})
    = g ⊙ (1 − y_{ℓ−1}²). Filters are scaled by 1/√f so activations neither vanish nor saturate.
    ``threads`` is torch's intra-op thread count during the check (see :func:`_threads`).
    """
    with _threads(threads):
        return _check_backprop(n0, filter_lengths, seed, rules, tolerance)


def _check_backprop(
    n0: int,
    filter_lengths: Sequence[int],
    seed: int,
    rules: BackpropRules,
    tolerance: float,
) -> BackpropReport:
    sizes = _sizes(n0, filter_lengths)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n0, generator=gen, dtype=torch.float64, requires_grad=True)
    weights = [
        (torch.randn(f, generator=gen, dtype=torch.float64) / math.sqrt(f)).requires_grad_()
        for f in filter_lengths
    ]
    biases = [
        (0.1 * torch.randn((), generator=gen, dtype=torch.float64)).requires_grad_()
        for _ in filter_lengths
    ]
    L = len(filter_lengths)

    start = time.perf_counter()
    ys = [x]
    for ell, (w, b) in enumerate(zip(weights, biases, strict=True), start=1):
        z = F.conv1d(_as3d(ys[-1]), _as3d(w)).reshape(-1) + b
        ys.append(torch.tanh(z) if ell < L else z)
    y_out = ys[-1].reshape(())
    auto = torch.autograd.grad(y_out, [x, *weights, *biases])

    # A rule that returns the wrong length (or that torch refuses to run) ends the pass; what
    # was not computed stays empty and compares as a mismatch (inf), never as a pass.
    missing = torch.empty(0)
    filter_grads: list[Tensor] = [missing] * L
    bias_grads: list[Tensor] = [missing] * L
    input_grad = missing
    with torch.no_grad():
        v = torch.ones(1, dtype=torch.float64)
        for ell in range(L, 0, -1):
            y_prev, w = ys[ell - 1].detach(), weights[ell - 1]
            try:
                filter_grads[ell - 1] = rules.filter_grad(y_prev, v)
                bias_grads[ell - 1] = v.sum()
                g = rules.backward(v, w)  # v_ℓ A_{w_ℓ} = ∂y_L/∂y_{ℓ−1}
            except RuntimeError:
                break
            if g.shape != y_prev.shape:
                break
            if ell == 1:
                input_grad = g
            else:
                v = g * (1 - y_prev * y_prev)  # tanh'(z_{ℓ−1}) = 1 − y_{ℓ−1}²

    def diff(a: Tensor, b: Tensor) -> float:
        if a.shape != b.shape:
            return math.inf  # a wrong rule may even return the wrong length
        return float((a - b).abs().max())

    report = BackpropReport(
        sizes=sizes,
        filters=tuple(diff(filter_grads[i], auto[1 + i]) for i in range(L)),
        biases=tuple(diff(bias_grads[i], auto[1 + L + i]) for i in range(L)),
        inputs=diff(input_grad, auto[0]),
        seconds=time.perf_counter() - start,
        tolerance=tolerance,
    )
    return report


@dataclass(frozen=True)
class ProductReport:
    """Largest |matrix product − torch product| for the three products of Problem 4(b)."""

    n: int
    f: int
    forward: float  # A_w y        vs conv1d(y, w)
    transpose: float  # A_wᵀ u     vs conv_transpose1d(u, w)
    operator: float  # C_v y       vs conv1d(y, v), v of length n − f + 1
    tolerance: float

    @property
    def passed(self) -> bool:
        return max(self.forward, self.transpose, self.operator) <= self.tolerance


def check_products(
    n: int,
    f: int,
    seed: int = 0,
    matrix: Callable[[np.ndarray, int], np.ndarray] = conv_matrix,
    operator: Callable[[np.ndarray, int], np.ndarray] = conv_operator,
    tolerance: float = 1e-12,
) -> ProductReport:
    """The explicit matrices against the torch operations, at a small size (it forms A_w).

    ``matrix`` and ``operator`` default to :func:`conv_matrix` and :func:`conv_operator`;
    tests pass wrong builders (flipped filter, transposed) and expect a failing report.
    """
    if not 1 <= f <= n:
        raise ValueError(f"check_products: need 1 <= f <= n, got n={n}, f={f}")
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(f)
    y = rng.standard_normal(n)
    u = rng.standard_normal(n - f + 1)
    v = rng.standard_normal(n - f + 1)  # a filter as long as the layer output
    t = torch.from_numpy

    def gap(a: np.ndarray, b: Tensor) -> float:
        b_np = b.reshape(-1).numpy()
        return math.inf if a.shape != b_np.shape else float(np.abs(a - b_np).max())

    a_w = matrix(w, n)
    return ProductReport(
        n=n,
        f=f,
        forward=gap(a_w @ y, F.conv1d(_as3d(t(y)), _as3d(t(w)))),
        transpose=gap(a_w.T @ u, F.conv_transpose1d(_as3d(t(u)), _as3d(t(w)))),
        operator=gap(operator(v, n) @ y, F.conv1d(_as3d(t(y)), _as3d(t(v)))),
        tolerance=tolerance,
    )


@dataclass(frozen=True)
class CostRow:
    """One (n, f): multiplications counted and median seconds measured on this machine.

    The dense counts include the products with the zeros of A_w; the convolution counts only
    the f taps per output. Times are the median over ``repeats`` of the mean of ``number`` calls,
    for one float64 vector, dense matrix prebuilt (building it is not timed).
    """

    n: int
    f: int
    n_out: int
    dense_mults: int
    conv_mults: int
    dense_seconds: float  # A_w @ y
    dense_transpose_seconds: float  # A_wᵀ @ u
    conv1d_seconds: float
    conv_transpose1d_seconds: float

    @property
    def mult_ratio(self) -> float:
        return self.dense_mults / self.conv_mults


def _median_seconds(
    op: Callable[..., object], args: tuple[object, ...], repeats: int, number: int
) -> float:
    op(*args)  # warm-up: first calls pay one-time set-up costs
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            op(*args)
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def cost_table(
    ns: Sequence[int] = (256, 1024, 4096),
    fs: Sequence[int] = (3, 33),
    repeats: int = 7,
    number: int = 20,
    threads: int | None = 1,
) -> list[CostRow]:
    """Counted multiplications and measured times: dense A_w products against convolutions.

    Why: the PDF shows that forming A_w costs O(n²) per product where the convolution costs
    O(n·f), with times measured here rather than asserted. ``threads`` as in
    :func:`check_backprop`; all four products run with the same setting.
    """
    with _threads(threads):
        return _cost_table(ns, fs, repeats, number)


def _cost_table(ns: Sequence[int], fs: Sequence[int], repeats: int, number: int) -> list[CostRow]:
    rows: list[CostRow] = []
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for n in ns:
            for f in fs:
                if f > n:
                    raise ValueError(f"cost_table: filter length {f} exceeds n = {n}")
                rows.append(_cost_row(n, f, gen, (repeats, number)))
    return rows


def _cost_row(n: int, f: int, gen: torch.Generator, timing: tuple[int, int]) -> CostRow:
    """One row; its dense matrix (33 MB at n = 2048) is freed on return, before the next is
    built: two of them alive at once were the measuring process's peak memory."""
    w = torch.randn(f, generator=gen, dtype=torch.float64)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    u = torch.randn(n - f + 1, generator=gen, dtype=torch.float64)
    a_w = torch.from_numpy(conv_matrix(w.numpy(), n))
    w3, y3, u3 = _as3d(w), _as3d(y), _as3d(u)
    dense, conv = multiplication_counts(n, f)
    return CostRow(
        n=n,
        f=f,
        n_out=n - f + 1,
        dense_mults=dense,
        conv_mults=conv,
        dense_seconds=_median_seconds(torch.mv, (a_w, y), *timing),
        dense_transpose_seconds=_median_seconds(torch.mv, (a_w.T, u), *timing),
        conv1d_seconds=_median_seconds(F.conv1d, (y3, w3), *timing),
        conv_transpose1d_seconds=_median_seconds(F.conv_transpose1d, (u3, w3), *timing),
    )
