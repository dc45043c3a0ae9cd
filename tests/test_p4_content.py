"""Problem 4's content: every step survives the checker, the boxed results are the sheet's
identities, wrong variants of the key steps are rejected, a failed measured check fails the build,
and without PyTorch the measured tables become a note. Torch tests build the tables at tiny sizes."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import sys

import pytest
import sympy as sp
from sympy import Derivative, Piecewise, Sum

from derive.documents.hw7 import p4_conv_backprop as p4
from derive.core import measurements
from derive.core.functions import is_arbitrary
from derive.core.assumptions import Integer, Real, RealVector, assume
from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_steps
from derive.core.document import Derivation, Problem, Prose, Table
from derive.core.measurements import Unavailable
from derive.errors import CheckFailed
from derive.documents.hw7.conv_identities import SHEET_CLAIMS
from derive.nn.conv import conv_matrix
from derive.pipeline import Checked, render
from derive.results import collect

CANNOT_IMPORT = "PyTorch cannot be imported here (import of derive.documents.hw7.conv_torch halted; None in sys.modules)"
NOT_INSTALLED = "PyTorch is not installed (pip install 'derive[torch]')"

# Independent copies of the symbols the results are stated in (same names and assumptions).
F = sp.Symbol("p4_f", integer=True, positive=True)
M = sp.Symbol("p4_m", integer=True, positive=True)
BIAS = sp.Symbol("p4_b", real=True)
I, J, K, P = sp.symbols("i j k p", integer=True, positive=True)
W, Y, V = (sp.IndexedBase(sp.Symbol(f"p4_{name}", real=True)) for name in "wyv")


@pytest.fixture(scope="module")
def checked():
    """Problem 4 built as if torch could not be imported, checked once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "derive.documents.hw7.conv_torch", None)
        measurements.use_cache(None)
        problem = p4.problem()
    return problem, check_steps(list(problem.steps()), jobs=1)


def _part(problem: Problem, label: str):
    return next(p for p in problem.parts if p.label == label)


def _blocks(problem: Problem, label: str, kind: type) -> list:
    return [b for b in _part(problem, label).blocks if isinstance(b, kind)]


# ── the derivations ─────────────────────────────────────────────────────────────────────────


def test_every_identity_step_is_proved(checked):
    problem, results = checked
    statuses = {step.id: results[step.id].status for step in problem.steps()}
    assert FAILED not in statuses.values(), statuses
    part_a = {s: v for s, v in statuses.items() if s.startswith("p4.a.")}
    assert set(part_a.values()) == {VERIFIED, DEFINITION}, part_a
    assert set(statuses.values()) <= {VERIFIED, NUMERIC_ONLY, DEFINITION}
    for sum_step in ("p4.b.fwd.2", "p4.b.bwd.7", "p4.b.C.3"):  # index shifts and bracket sums
        assert statuses[sum_step] == VERIFIED, sum_step


def test_numeric_only_steps_say_why(checked):
    problem, results = checked
    for step in problem.steps():
        if results[step.id].status == NUMERIC_ONLY:
            assert results[step.id].message.startswith("symbolic: "), step.id


def _points(extra_indices):
    """Every small size, every index in range, with random exact entries: (ints, reals) pairs."""
    rng = random.Random(4)
    for f, m in itertools.product(range(1, 4), range(1, 4)):
        n = f + m - 1
        ranges = [range(1, {"m": m, "n": n, "f": f}[top] + 1) for _, top in extra_indices]
        for values in itertools.product(*ranges):
            ints = {F: f, M: m, **{sym: val for (sym, _), val in zip(extra_indices, values)}}
            reals = {BIAS: sp.Rational(rng.randint(-9, 9), 7)}
            for base, length in ((W, f), (Y, n), (V, m)):
                reals.update({base[t]: sp.Rational(rng.randint(-9, 9), 5) for t in range(1, length + 1)})
            yield ints, reals


def _agree(value, expected, extra_indices) -> None:
    """value and expected are equal at every point of _points (exact arithmetic)."""
    for ints, reals in _points(extra_indices):
        left = sp.sympify(value).subs(ints).doit().xreplace(reals).doit()
        right = sp.sympify(expected).subs(ints).doit().xreplace(reals).doit()
        assert sp.expand(left - right) == 0, (ints, left, right)


def _band_entry():
    # (A_w)_{ik} = w_{k−i+1} for 1 ≤ k − i + 1 ≤ f, else 0 — written out here, not imported
    return Piecewise((W[K - I + 1], sp.And(K - I + 1 >= 1, K - I + 1 <= F)), (0, True))


EXPECTED = {
    "p4.A_entry": (_band_entry, (("i", "m"), ("k", "n"))),
    "p4.dyL_dyLm1": (_band_entry, (("i", "m"), ("k", "n"))),
    "p4.dyl_dylm1": (lambda: p4.SigmaPrime(BIAS + Sum(W[J] * Y[I + J - 1], (J, 1, F))) * _band_entry(),
                     (("i", "m"), ("k", "n"))),
    "p4.dyL_dwl": (lambda: Sum(V[I] * Y[I + P - 1], (I, 1, M)), (("p", "f"),)),
    "p4.dyL_dbl": (lambda: Sum(V[I], (I, 1, M)), ()),
    "p4.backward_transpose": (lambda: Sum(V[I] * Piecewise((W[K - I + 1], sp.And(K - I + 1 >= 1, K - I + 1 <= F)),
                                                           (0, True)), (I, 1, M)), (("k", "n"),)),
}
INDEX = {"i": I, "k": K, "p": P}


@pytest.mark.parametrize("result_id", EXPECTED)
def test_results_are_the_sheet_identities(checked, result_id):
    problem, results = checked
    entries = {entry.id: entry for entry in collect([problem])}
    assert results[entries[result_id].step_id].status in (VERIFIED, NUMERIC_ONLY)
    build, indices = EXPECTED[result_id]
    _agree(entries[result_id].value, build(), [(INDEX[name], top) for name, top in indices])


def test_the_four_sheet_results_exist(checked):
    problem, _ = checked
    ids = {entry.id for entry in collect([problem])}
    assert {"p4.dyL_dyLm1", "p4.dyl_dylm1", "p4.dyL_dwl", "p4.dyL_dbl"} <= ids


# ── wrong variants of the key steps ───────────────────────────────────────────────────────────


def _check(assumptions, definitions, lhs, rhs):
    d = Derivation("t.p4", assumptions)
    for name, meaning in definitions:
        d.define(name, meaning)
    step = d.step(lhs, "=", rhs)
    return check_steps(d.steps, jobs=1)[step.id]


LAYER_IK = p4.layer((I, 1, M), (K, 1, p4.n))
WITH_V = {"vectors": (RealVector(V, M),)}
Z = ((p4.z_name, p4.z_i),)
AY = ((p4.Ay_i, Sum(W[J] * Y[I + J - 1], (J, 1, F))),)
LINEAR = Sum(V[I] * p4.z_name, (I, 1, M))


def _transposed_entry():
    return p4.band(W[I - K + 1], I - K + 1, F)


WRONG = {
    "entry transposed": (LAYER_IK, AY, Derivative(p4.Ay_i, Y[K]), _transposed_entry()),
    "last layer: filter flipped": (LAYER_IK, Z, Derivative(p4.z_name, Y[K]), p4.band(W[F - (K - I)], K - I + 1, F)),
    "inner: sigma' dropped": (LAYER_IK, Z, Derivative(p4.Sigma(p4.z_name), Y[K]), p4.entry(I, K)),
    "inner: sigma for sigma'": (LAYER_IK, Z, Derivative(p4.Sigma(p4.z_name), Y[K]),
                                p4.Sigma(p4.z_name) * p4.entry(I, K)),
    "v: sigma for sigma'": (assume(Integer(M, 1, 4), Integer(p4.q, 1, M), RealVector(p4.g, M), RealVector(p4.z, M)),
                            (), Derivative(Sum(p4.g[I] * p4.Sigma(p4.z[I]), (I, 1, M)), p4.z[p4.q]),
                            p4.g[p4.q] * p4.Sigma(p4.z[p4.q])),
    "filter gradient: one term short": (p4.layer((P, 1, F), **WITH_V), Z, Derivative(LINEAR, W[P]),
                                        Sum(V[I] * Y[I + P - 1], (I, 1, M - 1))),
    "filter gradient: v reversed": (p4.layer((P, 1, F), **WITH_V), Z, Derivative(LINEAR, W[P]),
                                    Sum(V[M - I + 1] * Y[I + P - 1], (I, 1, M))),
    "bias gradient: counts the entries": (p4.layer(**WITH_V), Z, Derivative(LINEAR, BIAS), M),
    "backward: A instead of its transpose": (p4.layer((K, 1, p4.n), **WITH_V), Z, Derivative(LINEAR, Y[K]),
                                             Sum(V[I] * _transposed_entry(), (I, 1, M))),
    "backward: no sum over the outputs": (p4.layer((K, 1, p4.n), **WITH_V), Z, Derivative(LINEAR, Y[K]),
                                          V[1] * p4.entry(1, K)),
    "transpose conv: filter flipped": (p4.layer((K, 1, p4.n), **WITH_V), (),
                                       Sum(V[I] * p4.entry(I, K), (I, 1, M)),
                                       Sum(W[F - J + 1] * p4.band(V[K - J + 1], K - J + 1, M), (J, 1, F))),
    "cost: the convolution counted as dense": (assume(Integer(F, 1, 3), Integer(M, 1, 4)), (),
                                               Sum(Sum(1, (J, 1, F)), (I, 1, M)), M * (F + M - 1)),
    "forward: columns shifted": (p4.layer((I, 1, M)), (), Sum(p4.entry(I, K) * Y[K], (K, 1, p4.n)),
                                 Sum(W[J] * Y[I + J - 1], (J, 1, F - 1))),
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
def test_wrong_variant_is_rejected(case):
    result = _check(*WRONG[case])
    assert result.status == FAILED
    assert "lhs = " in result.message, result.message  # a counterexample, not an undeclared symbol


RIGHT = {
    "entry": (LAYER_IK, AY, Derivative(p4.Ay_i, Y[K]), p4.entry(I, K)),
    "filter gradient": (p4.layer((P, 1, F), **WITH_V), Z, Derivative(LINEAR, W[P]), Sum(V[I] * Y[I + P - 1], (I, 1, M))),
    "transpose conv": (p4.layer((K, 1, p4.n), **WITH_V), (), Sum(V[I] * p4.entry(I, K), (I, 1, M)),
                       Sum(W[J] * p4.band(V[K - J + 1], K - J + 1, M), (J, 1, F))),
}


@pytest.mark.parametrize("case", RIGHT, ids=list(RIGHT))
def test_the_same_harness_passes_the_right_step(case):
    assert _check(*RIGHT[case]).status in (VERIFIED, NUMERIC_ONLY)


def test_the_displayed_band_is_conv_matrix_and_a_flipped_one_fails():
    taps, length = 3, 6
    name = sp.Symbol("p4_test_A")
    formula = sp.Matrix(length - taps + 1, length, lambda r, c: p4.entry(r + 1, c + 1).subs(F, taps))
    flipped = conv_matrix([W[t] for t in range(taps, 0, -1)], length)
    right = conv_matrix([W[t] for t in range(1, taps + 1)], length)
    for meaning, status in ((right, VERIFIED), (flipped, FAILED)):
        d = Derivation("t.p4band", assume(RealVector(W, taps)))
        d.definitions.append((name, meaning))
        step = d.step(name, "=", formula)
        assert check_steps(d.steps, jobs=1)[step.id].status == status


# ── sigma ─────────────────────────────────────────────────────────────────────────────────────


def test_sigma_is_any_differentiable_function_not_tanh():
    """σ is arbitrary: unknown to SymPy, and the numeric samples try several stand-ins, so an
    identity that holds only for tanh (σ' = 1 − σ²) fails instead of passing as numeric-only."""
    t = sp.Symbol("t", real=True)
    assert sp.diff(p4.Sigma(t), t) == p4.SigmaPrime(t)
    assert is_arbitrary(p4.Sigma)
    tanh_only = _check(assume(Real(t)), (), p4.SigmaPrime(t), 1 - p4.Sigma(t) ** 2)
    assert tanh_only.status == FAILED, tanh_only.message


# ── the measured parts ────────────────────────────────────────────────────────────────────────


def test_whole_network_checks_are_reported_in_a_sentence_without_times(checked):
    problem, _ = checked
    assert not [t for t in _blocks(problem, "a", Table) if t.header[0] == "identity"]
    said = " ".join(str(p) for b in _blocks(problem, "a", Prose) for p in b.parts)
    assert f"comparisons with the right-hand sides agree exactly" in said
    assert "seconds" not in said


def test_a_failing_whole_network_check_fails_the_build(monkeypatch):
    last = lambda net: net.layer(net.L)
    wrong = dataclasses.replace(SHEET_CLAIMS, d_out_d_last_input=lambda net: conv_matrix(last(net).weights,
                                                                                         last(net).n_in).T)
    monkeypatch.setattr(p4, "check_identities", functools.partial(p4.check_identities, claims=wrong))
    monkeypatch.setattr(p4, "CONCRETE_NETS", ((3, (4, 3, 2, 1)),))
    measurements.use_cache(None)
    with pytest.raises(CheckFailed, match=r"^problem 4: the symbolic check of the whole network failed at "
                                          r"sizes \(4, 3, 2, 1\): layer 3: shape \(2, 1\) claimed, true shape \(1, 2\)$"):
        p4.concrete_checks(Problem(4, "t").part("a", "t"))


def _notes(problem: Problem) -> list[tuple]:
    return [b.parts for part in problem.parts for b in part.blocks
            if isinstance(b, Prose) and b.parts and str(b.parts[0]).startswith(("Not measured", "Times not"))]


def test_without_torch_the_tables_become_notes(checked):
    problem, _ = checked
    assert _notes(problem) == [
        ("Not measured in this build: ", CANNOT_IMPORT, "."),
        ("Not measured in this build: ", CANNOT_IMPORT, "."),
        ("Times not measured in this build: ", CANNOT_IMPORT, "."),
    ]
    captions = [t.caption for part in problem.parts for t in part.blocks if isinstance(t, Table)]
    assert not any("autograd" in c or "torch" in c or "times" in c for c in captions)
    counts = next(t for t in _blocks(problem, "b", Table) if t.header == ("n", "f", "dense", "convolution"))
    assert [row[2:] for row in counts.rows] == [((n - f + 1) * n, (n - f + 1) * f)
                                                for n in p4.COST_NS for f in p4.COST_FS]


def test_without_torch_installed_the_note_says_so(monkeypatch):
    def not_installed() -> str:
        raise Unavailable(NOT_INSTALLED)

    monkeypatch.setattr(p4, "torch_version", not_installed)
    measurements.use_cache(None)
    part = Problem(4, "t").part("a", "t")
    p4.autograd_checks(part)
    assert part.blocks[-1] == Prose(("Not measured in this build: ", NOT_INSTALLED, "."))


def test_renders_to_latex(checked):
    problem, results = checked
    tex = render(Checked([problem], results), "t", "a")
    assert r"\sigma'" in tex and "??" not in tex
    assert r"p4.dyL\_dwl" not in tex  # result ids are for derive grade, not captions
    assert "conv_matrix" not in tex and "conv_operator" not in tex  # no code names in the text


# ── with torch, at tiny sizes ─────────────────────────────────────────────────────────────────


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(p4, "AUTOGRAD_NETS", ((8, 3, 0), (20, 4, 1)))
    monkeypatch.setattr(p4, "PRODUCT_SIZES", ((6, 3), (9, 4)))
    monkeypatch.setattr(p4, "COST_NS", (16,))
    monkeypatch.setattr(p4, "COST_FS", (3, 5))
    monkeypatch.setattr(p4, "COST_REPEATS", (1, 1))
    measurements.use_cache(None)


@pytest.mark.torch
def test_torch_tables(tiny):
    pytest.importorskip("torch")
    problem = p4.problem()
    assert _notes(problem) == []
    # measured, reported in sentences; no timing table in the solution
    assert not _blocks(problem, "a", Table) and not _blocks(problem, "b", Table)
    said = " ".join(str(p) for part in problem.parts for b in part.blocks if isinstance(b, Prose) for p in b.parts)
    assert "on 2 random float64 networks with $\\tanh$ as $σ$ (input lengths 8, 20)" in said
    assert "At 2 sizes the three convolutions agree with the matrix products" in said
    assert "microseconds" not in said
    numbers = [p for part in problem.parts for b in part.blocks if isinstance(b, Prose) for p in b.parts]
    assert sp.Integer(12 * 16) in numbers and sp.Integer(12 * 5) in numbers  # n = 16, f = 5


@pytest.mark.torch
def test_a_wrong_backward_pass_fails_the_build(tiny, monkeypatch):
    pytest.importorskip("torch")
    from derive.documents.hw7 import conv_torch

    wrong = conv_torch.BackpropRules(backward=lambda v, w: conv_torch._backward_transpose(v, w.flip(0)),
                                     filter_grad=conv_torch.SHEET_RULES.filter_grad)
    monkeypatch.setattr(conv_torch, "check_backprop", functools.partial(conv_torch.check_backprop, rules=wrong))
    with pytest.raises(CheckFailed, match=r"^problem 4: backpropagation against autograd failed at input "
                                          r"length 8, filters \(\d+, \d+, \d+\): largest difference \S+ > 1e-09$"):
        p4.autograd_checks(Problem(4, "t").part("a", "t"))
