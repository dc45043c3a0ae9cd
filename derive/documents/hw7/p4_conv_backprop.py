"""Problem 4: a 1-D convolution as a banded (Toeplitz) matrix, and backprop through it.

Part (a) derives the four identities of the sheet entry by entry, for general sizes (sums and
Kronecker deltas over symbolic n and f, so no step depends on a chosen size), then backs them with
two measured checks: the whole network at concrete sizes with a symbolic, undefined sigma
(``derive.nn.conv.check_identities``) and the matrix-free backward pass against torch's autograd
(``derive.documents.hw7.conv_torch.check_backprop``). Part (b) shows which convolution computes each product
and what forming A_w would cost.

Sigma. The problem assumes only that sigma is differentiable: it is ``arbitrary``, undefined for
SymPy's proofs (which so hold for every sigma) and replaced by several random smooth stand-ins in
the numeric samples. Steps after the chain rule use the backpropagated row v as a declared vector:
they hold for any values of v, whatever sigma' was.
"""

from __future__ import annotations

import importlib

from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy import Derivative, KroneckerDelta, Piecewise, Sum

from derive import Assumptions, Integer, arbitrary, Part, Problem, Real, RealVector, Unavailable, assume, measured, named, require, torch_version
from derive.documents.hw7.prose_numbers import power_of_ten
from derive.documents.hw7.conv_identities import check_identities, deep_conv_net
from derive.nn import conv_matrix, multiplication_counts

# Bump when a measurement below changes meaning, so cached figures of the old code are not reused.
MEASUREMENT_VERSION = "p4-1"

# ── σ: any differentiable function ──────────────────────────────────────────────────────────────
# Arbitrary: SymPy's proofs treat it as undefined (so they hold for every σ), and the numeric
# samples try several random smooth stand-ins of different kinds, never one convenient σ.
Sigma = arbitrary("sigma")


def SigmaPrime(argument: sp.Basic) -> sp.Expr:  # noqa: N802 - written like the function it stands for
    """σ'(argument): the derivative of σ at ``argument``; at an expression, SymPy's Subs (the
    derivative taken at a point), with a named variable so the step's cache key is stable."""
    if getattr(argument, "_diff_wrt", False):
        return Derivative(Sigma(argument), argument)
    return Derivative(Sigma(_AT), _AT).subs(_AT, argument)


_AT = sp.Symbol("p4_sigma_at", real=True)  # the variable of σ' when it is taken at an expression


# ── symbols: one layer ℓ at a time, written without its index ──────────────────────────────────

_size = {"integer": True, "positive": True}
i, j, k, p, q = sp.symbols("i j k p q", **_size)
f = named("p4_f", "f", **_size)  # f_ℓ, the filter's length
m = named("p4_m", "m", **_size)  # n_ℓ, the layer's output length
n = f + m - 1  # n_{ℓ−1} = n_ℓ + f_ℓ − 1, the layer's input length
b = named("p4_b", "b", real=True)


def _vector(name: str) -> sp.IndexedBase:
    return sp.IndexedBase(named(f"p4_{name}", name, real=True))


w, y, v, g, z = (_vector(name) for name in ("w", "y", "v", "g", "z"))

# Display names for the sheet's own quantities (notation in prose, tables and result boxes).
y_L = named("p4_yL", "y_{L}")
z_L = named("p4_zL", "z_{L}")
y_ell = named("p4_yl", r"y_{\ell}")
z_ell = named("p4_zl", r"z_{\ell}")
ell = named("p4_ell", r"\ell")
A_wL = named("p4_AwL", "A_{w_{L}}")
diag_A = named("p4_diagA", r"\operatorname{diag}(\sigma'(z_{\ell})) A_{w_{\ell}}")

A_ik = named("p4_Aik", "(A_{w})_{ik}")
A_L_ik = named("p4_AL_ik", "(A_{w_{L}})_{ik}")
A_l_ik = named("p4_Al_ik", r"(A_{w_{\ell}})_{ik}")
C_pk = named("p4_Cv_pk", "(C_{v^{T}})_{pk}")
n_name = named("p4_n", "n")  # n_{ℓ−1} in prose
C_p = named("p4_Cvy_p", "(C_{v^{T}} y)_{p}")
AT_k = named("p4_ATv_k", "(A_{w}^{T} v^{T})_{k}")
v_ones = named("p4_v1", r"v\,\mathbf{1}_{m}")
v_q = named("p4_v_q", "v_{q}")
pad = named("p4_vpad", r"\tilde{v}_{k-j+1}")


def conv(filt: sp.IndexedBase, taps: sp.Expr, data: sp.IndexedBase, row: sp.Expr, tap=j) -> sp.Expr:
    """Σ_tap filt_tap · data_{row+tap−1}: entry ``row`` of the convolution (cross-correlation)."""
    return Sum(filt[tap] * data[row + tap - 1], (tap, 1, taps))


def band(value: sp.Expr, index: sp.Expr, top: sp.Expr) -> sp.Expr:
    """``value`` where 1 ≤ index ≤ top, else 0 (kept as written for display)."""
    inside = sp.And(sp.Le(1, index), sp.Le(index, top))
    return Piecewise((value, inside), (0, True), evaluate=False)


def entry(row: sp.Expr, col: sp.Expr, top: sp.Expr = f) -> sp.Expr:
    """(A_w)_{row,col} = w_{col−row+1} on the band 1 ≤ col − row + 1 ≤ f, else 0."""
    return band(w[col - row + 1], col - row + 1, top)


z_i = conv(w, f, y, i) + b  # (z_ℓ)_i = (A_w y)_i + b
Ay_i = named("p4_Ay_i", "(A_{w} y)_{i}")
# z_i as a name that derivations define. A Symbol, not z[i]: SymPy substitutes into a sum only
# names that do not contain its summation index.
z_name = named("p4_z_i", "z_{i}")


def layer(*indices: tuple[sp.Symbol, Any, Any], vectors: tuple = ()) -> Assumptions:
    """One layer's sizes, indices and vectors; small ranges, as every sum is expanded per sample."""
    return assume(
        Integer(f, 1, 3), Integer(m, 1, 4),
        *(Integer(index, lo, hi) for index, lo, hi in indices),
        RealVector(w, f), RealVector(y, n), Real(b), *vectors,
    )


def eq(lhs: Any, rhs: Any) -> sp.Basic:
    """lhs = rhs for display, never evaluated to True."""
    return sp.Eq(lhs, rhs, evaluate=False)


# ── the problem ─────────────────────────────────────────────────────────────────────────────────


def problem() -> Problem:
    pr = Problem(4, "Backpropagation through 1-D convolutions", (
        "One input and one output channel, stride 1, no padding. The filter of layer ", ell, " has ",
        named("p4_fl", r"f_{\ell}"),
        " entries and acts by the convolution of deep learning (a cross-correlation, what conv1d computes). With ",
        eq(z_ell, named("p4_zdef", r"A_{w_{\ell}} y_{\ell-1} + b_{\ell} 1_{n_{\ell}}")),
        " the network is ", eq(y_ell, Sigma(z_ell)), " for layers 1 to $L − 1$ and ", eq(y_L, z_L),
        (", with one output; $σ$ is differentiable. Show the four Jacobian identities (a), and say "
         "which convolutions compute the products with the matrices (b)."),
    ))
    identities(pr.part("a", "The matrix of a convolution, and the four identities"))
    products(pr.part("b", "The products are convolutions"))
    return pr


# ── (a) ─────────────────────────────────────────────────────────────────────────────────────────


def identities(part: Part) -> None:
    part.say(
        "Each derivation below looks at one layer ", ell, " and drops its index: $w$ is its filter with ",
        eq(f, named("p4_fl", r"f_{\ell}")), " entries, $y$ its input with ",
        eq(named("p4_nlm1", r"n = n_{\ell-1}"), n), " entries, ", eq(m, named("p4_nl", r"n_{\ell}")),
        " its output length, $b$ its bias, $z$ its pre-activation and $v$ its backpropagated row. "
        "Entries count from 1.",
    )
    conv_entries(part)
    last_layer(part)
    inner_layer(part)
    backpropagated_row(part)
    filter_and_bias(part)
    concrete_checks(part)
    autograd_checks(part)


def conv_entries(part: Part) -> None:
    part.say(
        "The $(i, k)$ entry of the matrix of a linear map is the derivative of its $i$-th output by its "
        "$k$-th input, so the entries of $A$ follow from the formula of the convolution:",
    )
    d = part.derivation(layer((i, 1, m), (k, 1, n)), "A")
    d.define(Ay_i, conv(w, f, y, i), ("the convolution: output $i$ reads the inputs ", i, " to ", i + f - 1))
    d.step(Derivative(Ay_i, y[k]), "=", Sum(w[j] * KroneckerDelta(k, i + j - 1), (j, 1, f)),
           ("only the term ", eq(i + j - 1, k), " depends on ", y[k]))
    result = d.then("=", entry(i, k), ("the term ", eq(j, k - i + 1), ", if it lies in 1 to ", f))
    part.result("p4.A_entry", "the entry (i, k) of the matrix of the convolution: the filter on a band",
                result, lhs=A_ik)
    small_band(part)


def small_band(part: Part) -> None:
    taps, length = 3, 6
    A = named("p4_A_small", "A_{w}")
    part.say(
        "So row $i$ holds the filter in columns ", i, " to ", i + f - 1, " and zeros elsewhere: $A$ is banded "
        "and constant along each diagonal (a Toeplitz matrix). For ", eq(f, taps), " and ", eq(n_name, length),
        ", the matrix the build's code constructs is the left-hand side below; the right-hand side is "
        "the entry formula at every $(i, k)$:",
    )
    d = part.derivation(assume(RealVector(w, taps)), "band")
    d.definitions.append((A, conv_matrix([w[t] for t in range(1, taps + 1)], length)))
    d.step(A, "=", sp.Matrix(length - taps + 1, length, lambda r, c: entry(r + 1, c + 1).subs(f, taps)),
           ("the code's matrix against the entry formula at ", eq(f, taps)))
    part.say(
        "Convention: this is the convolution of deep learning (a cross-correlation). SciPy's "
        "convolution_matrix builds the true convolution, whose kernel is flipped: this matrix is "
        "SciPy's for the reversed filter, in 'valid' mode.",
    )


y_L_i = named("p4_yL_i", "(y_{L})_{i}")
y_l_i = named("p4_yl_i", r"(y_{\ell})_{i}")


def last_layer(part: Part) -> None:
    part.say(
        "The last layer has no activation, ", eq(y_L, z_L), ". The sheet has ",
        eq(named("p4_nL", "n_{L}"), 1), ", so only $i = 1$ occurs, but the derivation holds for any $m$:",
    )
    d = part.derivation(layer((i, 1, m), (k, 1, n)), "last")
    d.define(z_name, z_i, "the pre-activation: a convolution plus the bias")
    d.define(A_L_ik, entry(i, k), ("the entry formula above, ", eq(w, named("p4_wL", "w_{L}"))))
    d.define(y_L_i, z_name, "no activation in the last layer")
    d.step(Derivative(z_name, y[k]), "=", Sum(w[j] * KroneckerDelta(k, i + j - 1), (j, 1, f)),
           ("the bias does not depend on ", y[k]))
    result = d.then("=", A_L_ik, ("the term ", eq(j, k - i + 1)))
    part.result("p4.dyL_dyLm1", "the Jacobian of the last layer by its input, entry (i, k): the matrix A of "
                "the last filter", result,
                lhs=Derivative(y_L_i, y[k]))


def inner_layer(part: Part) -> None:
    part.say(
        "An inner layer applies $σ$ entry by entry. SymPy checks the chain rule with $σ$ unknown to "
        "it (it knows only that the derivative is called $σ'$), so the proof holds for every "
        "differentiable $σ$; the numeric samples try several random smooth functions in its place.",
    )
    d = part.derivation(layer((i, 1, m), (k, 1, n)), "inner")
    d.define(z_name, z_i, "the pre-activation")
    d.define(A_l_ik, entry(i, k), ("the entry formula, ", eq(w, named("p4_wl", r"w_{\ell}"))))
    d.define(y_l_i, Sigma(z_name), "$σ$ applied to the pre-activation")
    d.step(Derivative(Sigma(z_name), y[k]), "=", SigmaPrime(z_name) * Derivative(z_name, y[k]),
           "chain rule for $σ$")
    d.then("=", SigmaPrime(z_name) * Sum(w[j] * KroneckerDelta(k, i + j - 1), (j, 1, f)),
           "as for the last layer")
    result = d.then("=", SigmaPrime(z_name) * A_l_ik,
                    ("row $i$ of $A$ scaled by ", SigmaPrime(z_name), ": entry $(i, k)$ of ", diag_A))
    part.result("p4.dyl_dylm1", "the Jacobian of an inner layer by its input, entry (i, k): diag(sigma'(z)) "
                "times A", result,
                lhs=Derivative(y_l_i, y[k]))


def backpropagated_row(part: Part) -> None:
    part.argue(
        "The sheet's row ", named("p4_vrow", r"v_{\ell} = \frac{\partial y_{L}}{\partial y_{\ell}} "
                                             r"\operatorname{diag}(\sigma'(z_{\ell}))"),
        " is the derivative of the output by the pre-activation of its layer (and ",
        eq(named("p4_vL", "v_{L}"), 1), ", as ", eq(y_L, z_L), "). With $g$ the row ",
        named("p4_gdef", r"\frac{\partial y_{L}}{\partial y_{\ell}}"),
        ", held fixed at the point (the chain rule through ", y_ell, "):",
    )
    d = part.derivation(assume(Integer(m, 1, 4), Integer(q, 1, m), RealVector(g, m), RealVector(z, m)), "v")
    d.define(v_q, g[q] * SigmaPrime(z[q]), "entry $q$ of the sheet's $v$")
    d.step(Derivative(Sum(g[i] * Sigma(z[i]), (i, 1, m)), z[q]), "=", g[q] * SigmaPrime(z[q]),
           ("chain rule; only the term ", eq(i, q), " depends on ", z[q]))
    d.then("=", v_q, "the definition of $v$")
    part.argue(
        "So, by the chain rule through $z$, the derivative of the output by any parameter of the layer "
        "is the derivative of the sum of the products of $v$ and $z$, with $v$ held fixed:",
    )


def filter_and_bias(part: Part) -> None:
    linear = Sum(v[i] * z_name, (i, 1, m))
    row_v = RealVector(v, m)

    d = part.derivation(layer((p, 1, f), vectors=(row_v,)), "w")
    d.define(z_name, z_i, "the pre-activation")
    d.define(C_p, conv(v, m, y, p, tap=i), ("the convolution of $y$ with $v$ as the filter (", m, " taps)"))
    d.step(Derivative(linear, w[p]), "=", Sum(v[i] * Sum(KroneckerDelta(j, p) * y[i + j - 1], (j, 1, f)), (i, 1, m)),
           ("$v$ held fixed; ", w[j], " depends on ", w[p], " only if ", eq(j, p)))
    d.then("=", Sum(v[i] * y[i + p - 1], (i, 1, m)), ("the term ", eq(j, p)))
    w_grad = d.then("=", C_p, ("entry $p$ of ", named("p4_Cvy", "C_{v^{T}} y")))
    part.result("p4.dyL_dwl", "the derivative of the output by entry p of the filter of layer l (v held fixed, by the chain rule argued above): entry p of "
                "the convolution of the layer's input with v as the filter", w_grad,
                lhs=Derivative(linear, w[p]))

    d = part.derivation(layer(vectors=(row_v,)), "b")
    d.define(z_name, z_i, "the pre-activation")
    d.define(v_ones, Sum(v[i], (i, 1, m)), "the row $v$ times the vector of ones")
    d.step(Derivative(linear, b), "=", Sum(v[i], (i, 1, m)), ("each ", z_name, " has derivative 1 by $b$"))
    b_grad = d.then("=", v_ones, "the definition")
    part.result("p4.dyL_dbl", "the derivative of the output by the bias of layer l (v held fixed, by the chain rule argued above): v_l times the ones vector",
                b_grad, lhs=Derivative(linear, b))
    part.say("For the last layer ", eq(named("p4_vL", "v_{L}"), 1), " and $m = 1$ in both results.")


# ── (a) measured: the whole network at concrete sizes, and against autograd ─────────────────────

#: (L, (n_0, …, n_L)) for the symbolic check of the whole network, sigma undefined.
CONCRETE_NETS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (3, (4, 3, 2, 1)), (3, (8, 6, 3, 1)), (3, (12, 9, 5, 1)),
)
#: (n_0, L, seed) for the numeric check against autograd; filter lengths drawn from the seed.
AUTOGRAD_NETS: tuple[tuple[int, int, int], ...] = (
    (8, 3, 0), (64, 3, 1), (512, 4, 2), (4096, 4, 3), (4096, 5, 4),
)
#: (n, f) for the three products against the explicit matrices.
PRODUCT_SIZES: tuple[tuple[int, int], ...] = ((6, 3), (64, 9), (300, 33))
#: Sizes of the cost table, and its timing repeats. n = 2048 already shows the dense product's
#: n² against the convolution's n f by two orders of magnitude; n = 4096 cost a cold build 4 s
#: and a 134 MB matrix (140 MB of its peak memory) for the same conclusion.
COST_NS: tuple[int, ...] = (256, 1024, 2048)
COST_FS: tuple[int, ...] = (3, 33)
# One timed call each: the build's times are not printed (machine-dependent; bench/conv_backprop.py
# times the products properly), the run only proves the products work; 5 × 10 calls cost 0.4 s.
COST_REPEATS: tuple[int, int] = (1, 1)

IDENTITY_NAMES = {
    "dyL/dy(L-1) = A_wL": eq(Derivative(y_L, named("p4_yLm1", "y_{L-1}")), A_wL),
    "dy(l)/dy(l-1) = diag(sigma'(z_l)) A_wl": eq(Derivative(y_ell, named("p4_ylm1", r"y_{\ell-1}")), diag_A),
    "dyL/dw_l = (C_vl y(l-1))^T": eq(Derivative(y_L, named("p4_wl", r"w_{\ell}")),
                                     named("p4_CvyT", r"(C_{v_{\ell}^{T}} y_{\ell-1})^{T}")),
    "dyL/db_l = v_l 1": eq(Derivative(y_L, named("p4_bl", r"b_{\ell}")), named("p4_v1l", r"v_{\ell} 1_{n_{\ell}}")),
}


def _concrete_rows() -> list[dict]:
    rows = []
    for L, spec in CONCRETE_NETS:
        for result in check_identities(deep_conv_net(L, spec)):
            rows.append({"name": result.name, "sizes": list(result.sizes), "layers": list(result.layers),
                         "passed": result.passed, "seconds": result.seconds, "detail": result.detail})
    return rows


def require_passed(rows: list[dict], what: str, where: Callable[[dict], str]) -> None:
    """A measured check that failed fails the build, like a failed step; never a quiet "no"."""
    for row in rows:
        require(row["passed"], f"problem 4: {what} failed at {where(row)}")


def concrete_checks(part: Part) -> None:
    key = f"p4.identities.{MEASUREMENT_VERSION}.{CONCRETE_NETS}"
    try:
        rows = measured(key, _concrete_rows)
    except Unavailable as exc:  # results only (derive grade, derive results): nothing measured
        part.say(f"The checks of whole networks were not run here: {exc}.")
        return
    require_passed(rows, "the symbolic check of the whole network",
                   lambda r: f"sizes {tuple(r['sizes'])}: {r['detail']}")
    sizes = sorted({", ".join(map(str, r["sizes"])) for r in rows})
    part.say(
        "The steps above check one layer at a time for every size; the chain rule that links them "
        "is tested on whole networks, first symbolically: with $σ$ an undefined SymPy function, "
        "SymPy differentiates networks of ", sp.Integer(len(sizes)), " shapes ($L = 3$) and all ",
        sp.Integer(len(rows)), " comparisons with the right-hand sides agree exactly.",
    )


def _torch_figures(name: str, compute: Callable[[Any], Any]) -> Any:
    """A measurement that needs torch, cached; Unavailable when torch cannot be imported."""
    key = f"p4.{name}.{MEASUREMENT_VERSION}.torch-{torch_version()}"

    def run() -> Any:
        try:
            # import_module consults sys.modules, so a module marked missing stays missing even
            # after an earlier import left it as an attribute of derive.nn.
            conv_torch = importlib.import_module("derive.documents.hw7.conv_torch")
        except ImportError as exc:
            raise Unavailable(f"PyTorch cannot be imported here ({exc})") from None
        return compute(conv_torch)

    return measured(key + f".{compute.__name__}", run)


def _autograd_rows(conv_torch: Any) -> list[dict]:
    import numpy as np

    rows = []
    for n0, L, seed in AUTOGRAD_NETS:
        lengths = conv_torch.random_filter_lengths(n0, L, np.random.default_rng(seed))
        report = conv_torch.check_backprop(n0, lengths, seed=seed)
        rows.append({"n0": n0, "L": L, "filters": list(lengths), "max_abs_diff": report.max_abs_diff,
                     "tolerance": report.tolerance, "seconds": report.seconds, "passed": report.passed})
    return rows


def autograd_checks(part: Part) -> None:
    try:
        rows = _torch_figures(f"autograd.{AUTOGRAD_NETS}", _autograd_rows)
    except Unavailable as exc:
        part.say("Not measured in this build: ", str(exc), ".")
        return
    require_passed(rows, "backpropagation against autograd",
                   lambda r: f"input length {r['n0']}, filters {tuple(r['filters'])}: largest difference "
                             f"{r['max_abs_diff']:.1e} > {r['tolerance']:.0e}")
    largest = max(r["max_abs_diff"] for r in rows)
    part.say(f"Then numerically, at sizes no symbolic check reaches: on {len(rows)} random float64 "
             f"networks with $\\tanh$ as $σ$ (input lengths {', '.join(str(r['n0']) for r in rows)}), backpropagation "
             f"without any matrix (the products of (b)) agrees with torch's autograd for every filter, "
             f"bias and the input to within {power_of_ten(rows[0]['tolerance'], 0)} "
             f"(largest difference {power_of_ten(largest)}).")


# ── (b) ─────────────────────────────────────────────────────────────────────────────────────────


def products(part: Part) -> None:
    forward_product(part)
    backward_product(part)
    filter_product(part)
    product_checks(part)
    cost(part)


def forward_product(part: Part) -> None:
    part.say(
        "Forward pass. The product of $A$ with a vector touches only the band, $f$ multiplications per "
        "output instead of $n$: it is the convolution itself (conv1d with the filter $w$).",
    )
    d = part.derivation(layer((i, 1, m)), "fwd")
    d.define(A_ik, entry(i, k), "the entry formula")
    d.step(Sum(A_ik * y[k], (k, 1, n)), "=", conv(w, f, y, i),
           ("only the columns ", eq(k, i + j - 1), " of the band count"))
    part.say(
        "SymPy alone cannot move a sum from the columns $k$ to the filter taps $j$, so derive proves this "
        "step and the two like it below with its sum technique: the band's bracket cuts the sum to "
        "the columns $i$ to $i + f − 1$ (inside 1 to $n$, as $i ≤ m$), and the shift $k = i + j − 1$ moves "
        "them onto the taps 1 to $f$.",
    )


def backward_product(part: Part) -> None:
    part.say(
        "Backpropagation. The derivative by the layer's input is the row $v$ times $A$, a product with the "
        "transpose of $A$; an answer claiming that backpropagation needs no product with the transpose is "
        "wrong. It is computed as a transpose convolution (conv_transpose1d): $v$ padded with $f − 1$ zeros "
        "on each side, cross-correlated with the flipped filter, which is a convolution in the "
        "signal-processing sense with $w$ itself.",
    )
    d = part.derivation(layer((k, 1, n), vectors=(RealVector(v, m),)), "bwd")
    d.define(z_name, z_i, "the pre-activation")
    d.define(A_ik, entry(i, k), "the entry formula")
    d.define(AT_k, Sum(A_ik * v[i], (i, 1, m)), "entry $(k, i)$ of the transpose is entry $(i, k)$ of $A$")
    d.define(pad, band(v[k - j + 1], k - j + 1, m), "$v$ padded with zeros on both sides")
    d.step(Derivative(Sum(v[i] * z_name, (i, 1, m)), y[k]), "=", Sum(v[i] * A_ik, (i, 1, m)),
           ("through $z$, $v$ held fixed: entry $k$ of ", named("p4_vA", "v A_{w}")))
    d.then("=", AT_k, "the same sum: a product with the transpose")
    transpose = d.then("=", Sum(w[j] * pad, (j, 1, f)),
                       ("substitute ", eq(j, k - i + 1), ": the padded $v$ cross-correlated with the flipped filter"))
    part.result("p4.backward_transpose", "entry k of v times A, a product with the transpose of A: the "
                "zero-padded v cross-correlated with the flipped filter", transpose, lhs=named("p4_vA_k", "(v A_{w})_{k}"))
    part.say(
        "Multiplied entry by entry with ", SigmaPrime(named("p4_zlm1", r"z_{\ell-1}")),
        " this is the row $v$ of the layer below, the next step of the backward pass.",
    )


def filter_product(part: Part) -> None:
    part.say(
        "The gradient of the filter is a convolution in the forward direction again, of the layer's "
        "input with $v$ as the filter (conv1d with the roles of data and filter swapped). Its matrix is "
        "the banded matrix of $v$:",
    )
    d = part.derivation(layer((p, 1, f), vectors=(RealVector(v, m),)), "C")
    d.define(C_p, conv(v, m, y, p, tap=i), "the gradient of the filter, from part (a)")
    d.define(C_pk, band(v[k - p + 1], k - p + 1, m), ("the banded matrix of $v$: ", f, " rows"))
    d.step(Sum(C_pk * y[k], (k, 1, n)), "=", C_p,
           ("row $p$ of the banded matrix of $v$, with ", m, " taps, times $y$"))


def _product_rows(conv_torch: Any) -> list[dict]:
    rows = []
    for n, f in PRODUCT_SIZES:
        r = conv_torch.check_products(n, f)
        rows.append({"n": n, "f": f, "forward": r.forward, "transpose": r.transpose, "operator": r.operator,
                     "passed": r.passed, "tolerance": r.tolerance})
    return rows


def product_checks(part: Part) -> None:
    part.say("The three products against the explicit matrices, in float64:")
    try:
        rows = _torch_figures(f"products.{PRODUCT_SIZES}", _product_rows)
    except Unavailable as exc:
        part.say("Not measured in this build: ", str(exc), ".")
        return
    require_passed(rows, "the products against the explicit matrices",
                   lambda r: f"n = {r['n']}, f = {r['f']}: differences {r['forward']:.1e}, "
                             f"{r['transpose']:.1e}, {r['operator']:.1e} (tolerance {r['tolerance']:.0e})")
    largest = max(max(r["forward"], r["transpose"], r["operator"]) for r in rows)
    part.say(f"At {len(rows)} sizes the three convolutions agree with the matrix products to within "
             f"{power_of_ten(rows[0]['tolerance'], 0)} (largest difference {power_of_ten(largest)}).")


def _cost_rows(conv_torch: Any) -> list[dict]:
    repeats, number = COST_REPEATS
    return [{"n": r.n, "f": r.f, "dense": r.dense_mults, "conv": r.conv_mults,
             "dense_s": r.dense_seconds, "conv_s": r.conv1d_seconds,
             "dense_t_s": r.dense_transpose_seconds, "conv_t_s": r.conv_transpose1d_seconds}
            for r in conv_torch.cost_table(COST_NS, COST_FS, repeats=repeats, number=number)]


def cost(part: Part) -> None:
    part.say(
        "What forming $A$ would cost. A dense product multiplies every entry of $A$, zeros included; a "
        "convolution only the $f$ entries of the band in each row:",
    )
    d = part.derivation(assume(Integer(f, 1, 3), Integer(m, 1, 4)), "cost")
    d.step(Sum(Sum(1, (k, 1, n)), (i, 1, m)), "=", m * n, "one product per entry of $A$")
    d.step(Sum(Sum(1, (j, 1, f)), (i, 1, m)), "=", m * f, "one product per filter tap and output")
    part.say(
        "For a short filter, ", sp.StrictLessThan(f, n_name, evaluate=False), ", that is ",
        named("p4_Onf", r"O(n f)"), " against ", named("p4_On2", r"O(n^{2})"),
        " multiplications for the same product, and the same for the transpose.",
    )
    try:
        rows = _torch_figures(f"cost.{COST_NS}.{COST_FS}.{COST_REPEATS}", _cost_rows)
    except Unavailable as exc:
        part.say("Times not measured in this build: ", str(exc), ".")
        part.table(
            "Multiplications per product with A or its transpose",
            ("n", "f", "dense", "convolution"),
            [(n, f, *multiplication_counts(n, f)) for n in COST_NS for f in COST_FS],
        )
        return
    # Timings are machine-dependent: they stay out of the solution (the measurement still runs, so
    # a broken convolution fails the build); the counts are exact.
    big = max(rows, key=lambda r: (r["n"], r["f"]))
    part.say("For example, at ", eq(n_name, sp.Integer(big["n"])), " and ", eq(f, sp.Integer(big["f"])),
             " (counted by the code the build runs): ", sp.Integer(big["dense"]),
             " multiplications for the dense product against ", sp.Integer(big["conv"]),
             " for the convolution.")
