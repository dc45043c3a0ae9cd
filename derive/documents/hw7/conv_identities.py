"""Problem 4's backprop identities checked symbolically on whole deep 1-D convolutional networks.

Why this module exists: Problem 4(a) states four Jacobian identities for a deep 1-D convolutional
network in terms of the matrix A_w of a convolution and the operator C_v. This module builds a
concrete-size symbolic model of the network whose true Jacobians are compared with the claimed
right-hand sides (the matrices come from :mod:`derive.nn.conv`). The torch side (backprop without
matrices, checked against autograd, and the cost table) is :mod:`derive.documents.hw7.conv_torch`.

SymPy is imported inside the functions that need it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from derive.nn import conv_matrix, conv_operator

if TYPE_CHECKING:  # pragma: no cover - typing only
    import sympy

__all__ = [
    "SHEET_CLAIMS",
    "Claims",
    "ConvLayer",
    "ConvNet",
    "IdentityResult",
    "check_identities",
    "deep_conv_net",
]


# ---------------------------------------------------------------------------------------------
# A concrete-size symbolic network
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvLayer:
    """Layer ℓ as a map of its own fresh input symbols u_{ℓ−1} (u_0 = x).

    Fresh symbols per layer keep every expression the size of one layer: y_ℓ is never expanded
    into a formula of x. Reading u_{ℓ−1} as y_{ℓ−1} (the forward pass) recovers the network.
    """

    index: int
    inputs: tuple[sympy.Symbol, ...]
    weights: tuple[sympy.Symbol, ...]
    bias: sympy.Symbol
    pre: tuple[sympy.Expr, ...]  # z_ℓ = A_{w_ℓ} u_{ℓ−1} + b_ℓ 1, built from the formula
    out: tuple[sympy.Expr, ...]  # σ(z_ℓ) for ℓ < L, z_L for the last layer
    activated: bool

    @property
    def n_in(self) -> int:
        return len(self.inputs)

    @property
    def n_out(self) -> int:
        return len(self.pre)

    @property
    def f(self) -> int:
        return len(self.weights)


@dataclass(frozen=True)
class ConvNet:
    """The network of Problem 4 at one concrete size, with symbolic x, w_ℓ, b_ℓ and σ.

    y_ℓ = σ(A_{w_ℓ} y_{ℓ−1} + b_ℓ 1) for ℓ < L, y_L = A_{w_L} y_{L−1} + b_L 1, n_L = 1.
    ``layers[ℓ − 1]`` is layer ℓ (the sheet counts from 1).
    """

    sizes: tuple[int, ...]
    sigma: Any
    layers: tuple[ConvLayer, ...]
    # h(a) ↦ h.fdiff(1): SymPy's derivative of each applied σ, shared by the claims (through
    # sigma_prime) and the checker's chain rule, so that equal derivatives are one object
    _derivatives: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def L(self) -> int:
        return len(self.layers)

    @property
    def filter_lengths(self) -> tuple[int, ...]:
        return tuple(layer.f for layer in self.layers)

    @property
    def x(self) -> tuple[sympy.Symbol, ...]:
        return self.layers[0].inputs

    def layer(self, index: int) -> ConvLayer:
        """Layer ℓ, counted from 1 as on the sheet."""
        if not 1 <= index <= self.L:
            raise ValueError(f"layer index must be between 1 and L = {self.L}, got {index}")
        return self.layers[index - 1]

    def sigma_prime(self, arg: sympy.Expr) -> sympy.Expr:
        """σ'(arg) as SymPy's chain rule writes it: ``σ(arg).fdiff(1)``, memoised per network.

        For the undefined σ that is ``Subs(Derivative(σ(ξ), ξ), ξ, arg)``, costly to build and to
        compare; the memo makes the σ'(z_i) of a claim and of the checker one object, which
        compares equal at once. A σ' at another argument is another object and compares unequal.
        """
        return _outer_derivative(self.sigma(arg), self._derivatives)

    def composed(self) -> list[tuple[sympy.Expr, ...]]:
        """[y_0, y_1, …, y_L] as formulas of x. Grows fast: for small sizes and tests only."""
        values: list[tuple[sympy.Expr, ...]] = [self.x]
        for layer in self.layers:
            reps = dict(zip(layer.inputs, values[-1], strict=True))
            values.append(tuple(e.xreplace(reps) for e in layer.out))
        return values


def _sizes_from(L: int, sizes_or_filter_lengths: Sequence[int]) -> tuple[int, ...]:
    """(n_0, …, n_L) from either the sizes (L + 1 numbers) or the filter lengths (L numbers)."""
    values = list(sizes_or_filter_lengths)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"deep_conv_net: sizes and filter lengths must be positive integers, got {value!r}"
            )
    if len(values) == L:  # filter lengths f_1..f_L; n_L = 1 fixes n_0 = 1 + Σ (f_ℓ − 1)
        sizes = [1 + sum(f - 1 for f in values)]
        for f in values:
            sizes.append(sizes[-1] - f + 1)
        return tuple(sizes)
    if len(values) == L + 1:
        if values[-1] != 1:
            raise ValueError(f"deep_conv_net: the output size n_L must be 1, got {values[-1]}")
        for ell in range(1, L + 1):
            if values[ell] > values[ell - 1]:
                raise ValueError(
                    f"deep_conv_net: n_{ell} = {values[ell]} > n_{ell - 1} = {values[ell - 1]}; "
                    "a valid convolution never lengthens its input"
                )
        return tuple(values)
    raise ValueError(
        f"deep_conv_net: give L + 1 = {L + 1} sizes (n_0, …, n_L) or L = {L} filter lengths "
        f"(f_1, …, f_L), got {len(values)} numbers"
    )


def deep_conv_net(
    L: int,
    sizes_or_filter_lengths: Sequence[int],
    sigma: Any = None,
) -> ConvNet:
    """Build Problem 4's network at a concrete size with SymPy symbols.

    ``sizes_or_filter_lengths`` is either (n_0, …, n_L) with n_L = 1, or the filter lengths
    (f_1, …, f_L) (then n_0 = 1 + Σ(f_ℓ − 1)). ``sigma`` defaults to the undefined function
    ``sympy.Function('sigma')`` so that nothing but differentiability is assumed; any one-argument
    SymPy function class (``sympy.tanh``) also works. The pre-activations are written from the
    formula Σ_j w_j u_{i+j−1} + b, not with :func:`conv_matrix`, so checks built on the model
    test :func:`conv_matrix` too.
    """
    import sympy

    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"deep_conv_net: L must be a positive integer, got {L!r}")
    sizes = _sizes_from(L, sizes_or_filter_lengths)
    if sigma is None:
        sigma = sympy.Function("sigma")
    x = sympy.symbols(f"x1:{sizes[0] + 1}")
    layers: list[ConvLayer] = []
    inputs: tuple[sympy.Symbol, ...] = tuple(x)
    for ell in range(1, L + 1):
        n_in, n_out = sizes[ell - 1], sizes[ell]
        f = n_in - n_out + 1
        weights = tuple(sympy.symbols(f"w{ell}_1:{f + 1}"))
        bias = sympy.Symbol(f"b{ell}")
        pre = tuple(
            sympy.Add(*(weights[j] * inputs[i + j] for j in range(f)), bias) for i in range(n_out)
        )
        activated = ell < L
        out = tuple(sigma(z) for z in pre) if activated else pre
        layers.append(ConvLayer(ell, inputs, weights, bias, pre, out, activated))
        if activated:
            inputs = tuple(sympy.symbols(f"y{ell}_1:{n_out + 1}"))
    return ConvNet(sizes=sizes, sigma=sigma, layers=tuple(layers))


# ---------------------------------------------------------------------------------------------
# The identities of Problem 4(a): claimed right-hand sides, true Jacobians, comparison
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claims:
    """The claimed right-hand sides of the four identities, as functions of the network.

    Why a parameter: a checker that can only confirm the sheet's formulas proves nothing; with
    the claims injected, tests hand it wrong formulas (A_wᵀ, no diag, an off-by-one C_v) and see
    it fail. Each function returns a SymPy matrix in the layer's fresh symbols; ``v`` is the row
    v_ℓ (1 × n_ℓ) computed by the checker from its definition v_ℓ = (∂y_L/∂y_ℓ)·diag(σ'(z_ℓ)).
    """

    d_out_d_last_input: Callable[[ConvNet], Any]  # ∂y_L/∂y_{L−1}
    d_layer: Callable[[ConvNet, int], Any]  # ∂y_ℓ/∂y_{ℓ−1}
    d_out_d_filter: Callable[[ConvNet, int, Any], Any]  # ∂y_L/∂w_ℓ from v_ℓ
    d_out_d_bias: Callable[[ConvNet, int, Any], Any]  # ∂y_L/∂b_ℓ from v_ℓ


def _sheet_last_input(net: ConvNet) -> Any:
    last = net.layer(net.L)
    return conv_matrix(last.weights, last.n_in)


def _sheet_layer(net: ConvNet, ell: int) -> Any:
    import sympy

    layer = net.layer(ell)
    diag = sympy.SparseMatrix.diag(*(net.sigma_prime(z) for z in layer.pre))
    return diag * sympy.SparseMatrix(conv_matrix(layer.weights, layer.n_in))


def _sheet_filter(net: ConvNet, ell: int, v: Any) -> Any:
    import sympy

    layer = net.layer(ell)
    c_v = sympy.SparseMatrix(conv_operator(list(v), layer.n_in))
    return (c_v * sympy.SparseMatrix(layer.inputs)).T


def _sheet_bias(net: ConvNet, ell: int, v: Any) -> Any:
    import sympy

    return v * sympy.ones(net.layer(ell).n_out, 1)


#: The right-hand sides exactly as Problem 4(a) states them.
SHEET_CLAIMS = Claims(
    d_out_d_last_input=_sheet_last_input,
    d_layer=_sheet_layer,
    d_out_d_filter=_sheet_filter,
    d_out_d_bias=_sheet_bias,
)


@dataclass(frozen=True)
class IdentityResult:
    """One identity checked at one concrete size; ``detail`` names the first mismatch."""

    name: str
    sizes: tuple[int, ...]
    layers: tuple[int, ...]
    passed: bool
    seconds: float
    detail: str = ""


# A sparse matrix: shape and its nonzero entries {(row, col): expr}.
@dataclass
class _Sparse:
    rows: int
    cols: int
    entries: dict[tuple[int, int], Any] = field(default_factory=dict)


def _outer_derivative(applied: Any, memo: dict[Any, Any]) -> Any:
    """h'(a) for an applied one-argument function h(a), by SymPy (``fdiff``), memoised."""
    if applied not in memo:
        memo[applied] = applied.fdiff(1)
    return memo[applied]


@dataclass
class _DiffMemo:
    """What :func:`_diff` reuses across the entries of a Jacobian."""

    derivatives: dict[Any, Any]  # h(a) ↦ h'(a), the network's own memo
    terms: dict[Any, dict[Any, list[Any]]] = field(default_factory=dict)  # sum ↦ symbol ↦ terms


def _diff(expr: Any, symbol: Any, memo: _DiffMemo) -> Any:
    """SymPy's derivative of ``expr`` by ``symbol``, with two savings that change no result.

    * In a sum only the terms that contain the symbol are differentiated (the others give
      zero); which terms those are is indexed once per sum. SymPy would differentiate every
      term for every symbol: O(f²) per row instead of O(f).
    * For a one-argument function h(a) SymPy's rule is h.fdiff(1) · ∂a/∂symbol (its
      ``Function._eval_derivative``); h.fdiff(1) — the σ'(z_i) of a row — is the same for every
      symbol, so it is computed once (see :meth:`ConvNet.sigma_prime`).
    """
    import sympy

    if isinstance(expr, sympy.Add):
        if expr not in memo.terms:
            index: dict[Any, list[Any]] = {}
            for term in expr.args:
                for s in term.free_symbols:
                    index.setdefault(s, []).append(term)
            memo.terms[expr] = index
        terms = memo.terms[expr].get(symbol, ())
        return sympy.Add(*(_diff(term, symbol, memo) for term in terms))
    if isinstance(expr, sympy.Function) and len(expr.args) == 1:
        inner = _diff(expr.args[0], symbol, memo)
        if inner == 0:
            return sympy.S.Zero
        return _outer_derivative(expr, memo.derivatives) * inner
    return expr.diff(symbol)


def _layer_jacobian(layer: ConvLayer, memo: _DiffMemo) -> _Sparse:
    """∂y_ℓ/∂u_{ℓ−1} by SymPy differentiation of each entry inside the band.

    Row i of the layer reads only u_i, …, u_{i+f−1}; that is checked (free symbols), not assumed,
    and only those f entries are differentiated — the other n − f are zero. This is what keeps
    the check linear in n where ``Matrix.jacobian`` differentiates all n_ℓ · n_{ℓ−1} entries.
    """
    jac = _Sparse(layer.n_out, layer.n_in)
    inputs = set(layer.inputs)
    for i, expr in enumerate(layer.out):
        band = layer.inputs[i : i + layer.f]
        outside = (expr.free_symbols & inputs) - set(band)
        if outside:  # the model was built wrongly; never silently drop a dependence
            raise AssertionError(
                f"row {i + 1} of layer {layer.index} reads {sorted(map(str, outside))}"
            )
        for offset, u in enumerate(band):
            d = _diff(expr, u, memo)
            if d != 0:
                jac.entries[(i, i + offset)] = d
    return jac


def _row_times(row: dict[int, Any], jac: _Sparse) -> dict[int, Any]:
    """A sparse row vector times a sparse matrix, summing each column's terms once."""
    import sympy

    terms: dict[int, list[Any]] = {}
    for (i, k), entry in jac.entries.items():
        if i in row:
            terms.setdefault(k, []).append(row[i] * entry)
    return {k: sympy.Add(*parts) for k, parts in terms.items()}


def _same(a: Any, b: Any) -> bool:
    """Structural equality first (cheap), then expansion of the difference.

    Sound: expansion never turns a nonzero difference into 0, so there is no false "equal".
    """
    import sympy

    if a == b:
        return True
    return sympy.expand(a - b) == 0


def _short(expr: Any, limit: int = 160) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compare(truth: _Sparse, claim: Callable[..., Any], args: tuple[Any, ...], where: str) -> str:
    """'' when the claimed matrix equals the true one, else one line naming the first mismatch.

    ``claim(*args)`` is called here so that a claim which cannot even be evaluated (a product of
    mismatched shapes, say) counts as a failed claim with its reason, not as a crash.
    """
    import sympy

    try:
        value = claim(*args)
    except (
        ValueError,
        TypeError,
        IndexError,
        ArithmeticError,
    ) as err:  # ShapeError is a ValueError
        return f"{where}: the claim cannot be evaluated: {err}"
    if not isinstance(value, sympy.MatrixBase):
        return f"{where}: the claim is a {type(value).__name__}, not a SymPy matrix"
    if tuple(value.shape) != (truth.rows, truth.cols):
        return f"{where}: shape {tuple(value.shape)} claimed, true shape {(truth.rows, truth.cols)}"
    claimed = value.todok()
    for key in sorted(set(truth.entries) | set(claimed)):
        lhs = truth.entries.get(key, sympy.S.Zero)
        rhs = claimed.get(key, sympy.S.Zero)
        if not _same(lhs, rhs):
            entry = f"({key[0] + 1}, {key[1] + 1})"
            return f"{where}: entry {entry} is {_short(lhs)}, claimed {_short(rhs)}"
    return ""


def _row(values: Sequence[Any]) -> Any:
    import sympy

    return sympy.Matrix([list(values)])


def check_identities(net: ConvNet, claims: Claims = SHEET_CLAIMS) -> list[IdentityResult]:
    """Check the four identities of Problem 4(a) on ``net`` against the given claims.

    The truth side differentiates the layer maps with SymPy, entry by entry inside the band
    (:func:`_layer_jacobian`), and assembles ∂y_L/∂y_ℓ = J_L ⋯ J_{ℓ+1} as sparse row-times-matrix
    products; u_{ℓ−1} stands for y_{ℓ−1}. The second identity is checked for ℓ = 1, …, L − 1 (the
    sheet states ℓ ≥ 2; ℓ = 1 holds by the same argument). Returns one result per identity, in
    the sheet's order; each result's ``seconds`` is the time of its own work, and the time to
    compute v_ℓ (shared by the last two) is counted in the third.
    """
    import sympy

    L = net.L
    if L < 2:
        raise ValueError(
            f"check_identities: needs L >= 2 so that every identity has a layer, got L = {L}"
        )
    memo = _DiffMemo(net._derivatives)
    jacobians: dict[int, _Sparse] = {}
    results: list[IdentityResult] = []

    def record(name: str, layers: Sequence[int], start: float, detail: str) -> None:
        seconds = time.perf_counter() - start
        results.append(IdentityResult(name, net.sizes, tuple(layers), not detail, seconds, detail))

    # 1. ∂y_L/∂y_{L−1} = A_{w_L}
    start = time.perf_counter()
    jacobians[L] = _layer_jacobian(net.layer(L), memo)
    detail = _compare(jacobians[L], claims.d_out_d_last_input, (net,), f"layer {L}")
    record("dyL/dy(L-1) = A_wL", (L,), start, detail)

    # 2. ∂y_ℓ/∂y_{ℓ−1} = diag(σ'(z_ℓ)) A_{w_ℓ}; every Jacobian is needed below, so all are built
    start = time.perf_counter()
    detail = ""
    for ell in range(L - 1, 0, -1):
        jacobians[ell] = _layer_jacobian(net.layer(ell), memo)
        if not detail:
            detail = _compare(jacobians[ell], claims.d_layer, (net, ell), f"layer {ell}")
    record("dy(l)/dy(l-1) = diag(sigma'(z_l)) A_wl", range(1, L), start, detail)

    # v_ℓ from its definition, v_ℓ = (∂y_L/∂y_ℓ)·diag(σ'(z_ℓ)), v_L = 1, with the true Jacobians
    start = time.perf_counter()
    grads: dict[int, dict[int, Any]] = {L: {0: sympy.S.One}}  # ∂y_L/∂y_ℓ as sparse rows
    for ell in range(L - 1, 0, -1):
        grads[ell] = _row_times(grads[ell + 1], jacobians[ell + 1])
    vs = {L: _row([sympy.S.One])}
    for ell in range(1, L):
        g, pre = grads[ell], net.layer(ell).pre
        vs[ell] = _row([g.get(i, sympy.S.Zero) * net.sigma_prime(z) for i, z in enumerate(pre)])

    # 3. ∂y_L/∂w_ℓ = (C_{v_ℓᵀ} y_{ℓ−1})ᵀ and 4. ∂y_L/∂b_ℓ = v_ℓ 1;
    # the truth is ∂y_L/∂θ = (∂y_L/∂y_ℓ)(∂y_ℓ/∂θ) for θ = w_ℓ, b_ℓ
    for name, params_of, claim_of in (
        ("dyL/dw_l = (C_vl y(l-1))^T", lambda layer: layer.weights, claims.d_out_d_filter),
        ("dyL/db_l = v_l 1", lambda layer: (layer.bias,), claims.d_out_d_bias),
    ):
        detail = ""
        for ell in range(1, L + 1):
            layer = net.layer(ell)
            params = params_of(layer)
            local = _Sparse(layer.n_out, len(params))  # ∂y_ℓ/∂θ_ℓ, every entry nonzero
            for i, expr in enumerate(layer.out):
                for j, p in enumerate(params):
                    local.entries[(i, j)] = _diff(expr, p, memo)
            row = _row_times(grads[ell], local)
            truth = _Sparse(1, len(params), {(0, j): e for j, e in row.items()})
            if not detail:
                detail = _compare(truth, claim_of, (net, ell, vs[ell]), f"layer {ell}")
        record(name, range(1, L + 1), start, detail)
        start = time.perf_counter()
    return results
