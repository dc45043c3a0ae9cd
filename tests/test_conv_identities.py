"""Problem 4(a) at concrete sizes: the sheet's identities pass, corrupted ones are caught."""

from __future__ import annotations

import dataclasses
import re

import pytest
import sympy

from derive.documents.hw7.conv_identities import SHEET_CLAIMS, check_identities, deep_conv_net
from derive.nn.conv import conv_matrix, conv_operator

NAMES = [
    "dyL/dy(L-1) = A_wL",
    "dy(l)/dy(l-1) = diag(sigma'(z_l)) A_wl",
    "dyL/dw_l = (C_vl y(l-1))^T",
    "dyL/db_l = v_l 1",
]

SIZES = {
    "L2": (2, (4, 2, 1)),
    "L3-small": (3, (3, 2, 2)),
    "L3-n12": (3, (12, 9, 5, 1)),
    "L4": (4, (2, 3, 1, 2)),
    "f1-layer": (3, (1, 3, 3)),
}


@pytest.mark.parametrize(("L", "spec"), SIZES.values(), ids=SIZES.keys())
def test_sheet_identities_hold(L, spec):
    net = deep_conv_net(L, spec)
    results = check_identities(net)
    assert [r.name for r in results] == NAMES
    assert all(r.passed for r in results), [r.detail for r in results]
    assert all(r.sizes == net.sizes and r.seconds >= 0 and r.detail == "" for r in results)
    assert results[1].layers == tuple(range(1, L))


def test_holds_for_a_concrete_activation():
    net = deep_conv_net(3, (2, 3, 2), sigma=sympy.tanh)
    assert all(r.passed for r in check_identities(net))


# --- wrong claims, each one a plausible slip in a derivation --------------------------------


def last_transposed(net):
    last = net.layer(net.L)
    return conv_matrix(last.weights, last.n_in).T


def last_flipped(net):
    last = net.layer(net.L)
    return conv_matrix(last.weights[::-1], last.n_in)


def layer_transposed(net, ell):
    layer = net.layer(ell)
    diag = sympy.diag(*(net.sigma_prime(z) for z in layer.pre))
    return (diag * conv_matrix(layer.weights, layer.n_in)).T


def layer_without_diag(net, ell):
    layer = net.layer(ell)
    return conv_matrix(layer.weights, layer.n_in)


def layer_sigma_not_prime(net, ell):
    layer = net.layer(ell)
    return sympy.diag(*(net.sigma(z) for z in layer.pre)) * conv_matrix(layer.weights, layer.n_in)


def layer_diag_of_input(net, ell):
    """diag(σ'(y_{ℓ−1})) on the right: the right shape, the wrong argument and side."""
    layer = net.layer(ell)
    return conv_matrix(layer.weights, layer.n_in) * sympy.diag(
        *(net.sigma_prime(u) for u in layer.inputs)
    )


def layer_diag_shifted(net, ell):
    """σ'(z_{i+1}) in row i: every factor of the right kind, each at a neighbour's argument."""
    layer = net.layer(ell)
    pre = [*layer.pre[1:], layer.pre[0]]
    return sympy.diag(*(net.sigma_prime(z) for z in pre)) * conv_matrix(layer.weights, layer.n_in)


def filter_not_transposed(net, ell, v):
    layer = net.layer(ell)
    return conv_operator(list(v), layer.n_in) * sympy.Matrix(layer.inputs)


def filter_off_by_one(net, ell, v):
    """y_{i+j} instead of y_{i+j−1}: the input shifted by one (cyclically, to keep the shape)."""
    layer = net.layer(ell)
    shifted = [*layer.inputs[1:], layer.inputs[0]]
    return (conv_operator(list(v), layer.n_in) * sympy.Matrix(shifted)).T


def filter_flipped_v(net, ell, v):
    layer = net.layer(ell)
    return (conv_operator(list(v)[::-1], layer.n_in) * sympy.Matrix(layer.inputs)).T


def filter_true_convolution(net, ell, v):
    """scipy's convention (kernel flipped) where the sheet means cross-correlation."""
    layer = net.layer(ell)
    return (conv_operator(list(v), layer.n_in) * sympy.Matrix(layer.inputs[::-1])).T[:, ::-1]


def bias_without_sigma_prime(net, ell, v):
    """Σ_i (∂y_L/∂y_ℓ)_i: the diag(σ') of v_ℓ forgotten."""
    layer = net.layer(ell)
    if not layer.activated:
        return v * sympy.ones(layer.n_out, 1)
    return sympy.Matrix([[sum(v[i] / net.sigma_prime(z) for i, z in enumerate(layer.pre))]])


def bias_first_entry_only(net, ell, v):
    return sympy.Matrix([[v[0]]])


def bias_wrong_length(net, ell, v):
    return v * sympy.ones(net.layer(ell).n_in, 1)


WRONG = {
    "A_w^T": (
        "d_out_d_last_input",
        last_transposed,
        0,
        "layer 3: shape (5, 1) claimed, true shape (1, 5)",
    ),
    "A_w flipped": (
        "d_out_d_last_input",
        last_flipped,
        0,
        "layer 3: entry (1, 1) is w3_1, claimed w3_5",
    ),
    "(diag A_w)^T": (
        "d_layer",
        layer_transposed,
        1,
        "layer 2: shape (6, 5) claimed, true shape (5, 6)",
    ),
    "no diag": ("d_layer", layer_without_diag, 1, None),
    "sigma not sigma'": ("d_layer", layer_sigma_not_prime, 1, None),
    "diag on the right": ("d_layer", layer_diag_of_input, 1, None),
    "diag shifted": ("d_layer", layer_diag_shifted, 1, None),
    "C_v y not transposed": (
        "d_out_d_filter",
        filter_not_transposed,
        2,
        "layer 1: shape (2, 1) claimed, true shape (1, 2)",
    ),
    "C_v off by one": ("d_out_d_filter", filter_off_by_one, 2, None),
    "v flipped": ("d_out_d_filter", filter_flipped_v, 2, None),
    "true convolution": ("d_out_d_filter", filter_true_convolution, 2, None),
    "no sigma' in v": ("d_out_d_bias", bias_without_sigma_prime, 3, None),
    "v_1 only": ("d_out_d_bias", bias_first_entry_only, 3, None),
    "1 of length n_(l-1)": (
        "d_out_d_bias",
        bias_wrong_length,
        3,
        "layer 1: the claim cannot be evaluated: Matrix size mismatch: (1, 6) * (7, 1).",
    ),
}


@pytest.mark.parametrize(("field", "claim", "index", "message"), WRONG.values(), ids=WRONG.keys())
def test_wrong_claim_fails_only_its_identity(field, claim, index, message):
    net = deep_conv_net(3, (2, 2, 5))  # sizes (7, 6, 5, 1): no square matrix, no f = 1
    results = check_identities(net, dataclasses.replace(SHEET_CLAIMS, **{field: claim}))
    assert [r.passed for r in results] == [i != index for i in range(4)], [
        r.detail for r in results
    ]
    failed = results[index]
    assert failed.detail.startswith("layer ")
    if message is not None:
        assert failed.detail == message


def test_a_claim_that_is_not_a_matrix_fails():
    claims = dataclasses.replace(SHEET_CLAIMS, d_out_d_last_input=lambda net: 0)
    result = check_identities(deep_conv_net(2, (2, 2)), claims)[0]
    assert not result.passed
    assert result.detail == "layer 2: the claim is a int, not a SymPy matrix"


# --- the sheet's formulas against SymPy on the fully composed network (no fresh symbols) -------


def test_sheet_formulas_agree_with_differentiating_the_composed_network():
    """An independent route: y_L written out in x, differentiated directly by SymPy.

    The checker's own truth side chains layer Jacobians in fresh symbols; this test uses
    nothing of it, so a bug there cannot hide behind a matching bug in the claims.
    """
    net = deep_conv_net(3, (2, 2, 3))  # n = (5, 4, 3, 1)
    ys = net.composed()
    to_x = {
        u: value
        for layer, values in zip(net.layers, ys[:-1], strict=True)
        for u, value in zip(layer.inputs, values, strict=True)
    }
    y_out = ys[-1][0]
    for ell in range(1, net.L + 1):
        layer = net.layer(ell)
        # v_ℓ by definition: ∂y_L/∂y_ℓ of the composed tail (layers ℓ+1..L), times σ'(z_ℓ)
        if layer.activated:
            tail = net.layer(ell + 1).inputs
            values = list(tail)
            for later in net.layers[ell:]:
                values = [
                    e.xreplace(dict(zip(later.inputs, values, strict=True))) for e in later.out
                ]
            grad = [sympy.diff(values[0], u) for u in tail]
            v = sympy.Matrix(
                [[g * net.sigma_prime(z) for g, z in zip(grad, layer.pre, strict=True)]]
            )
        else:
            v = sympy.Matrix([[1]])
        claimed_w = SHEET_CLAIMS.d_out_d_filter(net, ell, v).xreplace(to_x)
        claimed_b = SHEET_CLAIMS.d_out_d_bias(net, ell, v).xreplace(to_x)
        for j, w in enumerate(layer.weights):
            assert sympy.expand(sympy.diff(y_out, w) - claimed_w[0, j]) == 0
        assert sympy.expand(sympy.diff(y_out, layer.bias) - claimed_b[0, 0]) == 0


def test_matrix_jacobian_agrees_with_the_band_jacobian_claims():
    """Identities 1 and 2 against SymPy's plain Matrix.jacobian on a small network."""
    net = deep_conv_net(3, (3, 2, 3))
    for ell in range(1, net.L + 1):
        layer = net.layer(ell)
        full = sympy.Matrix(layer.out).jacobian(layer.inputs)
        claim = (
            SHEET_CLAIMS.d_layer(net, ell)
            if layer.activated
            else SHEET_CLAIMS.d_out_d_last_input(net)
        )
        assert (full - sympy.Matrix(claim)).applyfunc(sympy.expand) == sympy.zeros(*full.shape)


# --- building the network ---------------------------------------------------------------------


def test_sizes_and_filter_lengths_give_the_same_network():
    by_sizes = deep_conv_net(3, (8, 6, 3, 1))
    by_filters = deep_conv_net(3, (3, 4, 3))
    assert by_sizes.sizes == by_filters.sizes == (8, 6, 3, 1)
    assert by_sizes.filter_lengths == (3, 4, 3)
    assert [layer.pre for layer in by_sizes.layers] == [layer.pre for layer in by_filters.layers]


def test_network_follows_the_sheet_formula():
    net = deep_conv_net(2, (2, 3))  # n = (4, 3, 1)
    x, (w1, w2), b = (
        net.x,
        (net.layer(1).weights, net.layer(2).weights),
        (net.layer(1).bias, net.layer(2).bias),
    )
    y1 = net.layer(2).inputs
    sigma = net.sigma
    assert net.layer(1).out == tuple(
        sigma(w1[0] * x[i] + w1[1] * x[i + 1] + b[0]) for i in range(3)
    )
    assert net.layer(2).out == (w2[0] * y1[0] + w2[1] * y1[1] + w2[2] * y1[2] + b[1],)
    assert str(sigma) == "sigma" and not net.layer(2).activated


BUILD_ERRORS = [
    ((0, (1,)), "deep_conv_net: L must be a positive integer, got 0"),
    (
        (2, (3, 2, 2, 1)),
        "deep_conv_net: give L + 1 = 3 sizes (n_0, …, n_L) or L = 2 filter lengths "
        "(f_1, …, f_L), got 4 numbers",
    ),
    ((2, (5, 3, 2)), "deep_conv_net: the output size n_L must be 1, got 2"),
    (
        (2, (3, 4, 1)),
        "deep_conv_net: n_1 = 4 > n_0 = 3; a valid convolution never lengthens its input",
    ),
    ((2, (3, 0)), "deep_conv_net: sizes and filter lengths must be positive integers, got 0"),
    ((2, (3, "2")), "deep_conv_net: sizes and filter lengths must be positive integers, got '2'"),
]


@pytest.mark.parametrize(("args", "message"), BUILD_ERRORS, ids=range(len(BUILD_ERRORS)))
def test_bad_network_spec_is_one_clear_value_error(args, message):
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        deep_conv_net(*args)


def test_checker_needs_two_layers():
    with pytest.raises(
        ValueError,
        match=r"^check_identities: needs L >= 2 so that every identity has a layer, got L = 1$",
    ):
        check_identities(deep_conv_net(1, (3,)))


def test_layer_index_is_checked():
    with pytest.raises(ValueError, match=r"^layer index must be between 1 and L = 2, got 3$"):
        deep_conv_net(2, (2, 2)).layer(3)


@pytest.mark.parametrize(
    ("field", "wrong"),
    [("d_layer", layer_without_diag), ("d_out_d_filter", filter_off_by_one)],
    ids=["d_layer", "d_out_d_filter"],
)
def test_every_layer_is_checked_not_only_the_first_one_met(field, wrong):
    """A claim right everywhere except at layer 1 (met last by the backward loop) still fails."""
    right = getattr(SHEET_CLAIMS, field)

    def wrong_at_layer_1(net, ell, *rest):
        return (wrong if ell == 1 else right)(net, ell, *rest)

    results = check_identities(
        deep_conv_net(3, (2, 2, 5)), dataclasses.replace(SHEET_CLAIMS, **{field: wrong_at_layer_1})
    )
    failed = [r for r in results if not r.passed]
    assert len(failed) == 1 and failed[0].detail.startswith("layer 1: ")
