"""Matrix steps (MatrixSymbol, MatMul, Transpose, Inverse, d loss / d W) are checked entry by entry."""

from __future__ import annotations

import sympy as sp

import derive as dv
from derive.core.checks.matrices import explicit
from derive.core.checks.runner import check_step
from derive.pipeline import Checked, render

W = sp.MatrixSymbol("W", 2, 3)
b = sp.MatrixSymbol("b", 2, 1)
x = sp.MatrixSymbol("x", 3, 1)
y = sp.MatrixSymbol("y", 2, 1)
A = sp.MatrixSymbol("A", 2, 2)
r = W * x + b - y
loss = (r.T * r)[0, 0] / 2


def _derivation(*variables):
    doc = dv.Document("matrices")
    part = doc.problem("P").part("a", "A")
    return doc, part.derivation(dv.assume(*(dv.RealMatrix(v) for v in variables)))


def test_the_gradient_by_a_matrix_is_verified_and_a_wrong_one_fails():
    _, d = _derivation(W, b, x, y)
    right = check_step(d.step(sp.Derivative(loss, W), "=", r * x.T))
    assert right.status == "verified", right.message
    for wrong in (2 * r * x.T, (W * x - y) * x.T, r * x.T + sp.ones(2, 3) / 10**6):
        result = check_step(d.step(sp.Derivative(loss, W), "=", wrong))
        assert result.status == "failed", (wrong, result)


def test_sympy_alone_would_say_the_gradient_is_zero():
    """Why the checker differentiates entry by entry: SymPy's own diff by W gives 0 here."""
    scalar = explicit(loss)
    assert str(sp.diff(scalar, W)) == "0"  # a ZeroMatrix: wrong, every entry depends on W
    assert explicit(sp.Derivative(loss, W)).shape == (2, 3)
    assert explicit(sp.Derivative(loss, W)) != sp.zeros(2, 3)


def test_transpose_and_inverse_identities():
    _, d = _derivation(A, W)
    assert check_step(d.step((A * W).T, "=", W.T * A.T)).status == "verified"
    assert check_step(d.step((A * W).T, "=", W.T * A)).status == "failed"  # A not transposed
    # An inverse: numerically, A drawn at random is invertible with probability 1.
    e = dv.Document("inv").problem("P").part("a", "A").derivation(
        dv.assume(dv.RealMatrix(A, 1, 3)))
    assert check_step(e.step(A.I * A, "=", sp.Identity(2))).status in ("verified", "numeric-only")
    assert check_step(e.step(A.I * A, "=", A)).status == "failed"


def test_matrices_are_printed_as_matrices():
    doc, d = _derivation(W, b, x, y)
    step = d.step(sp.Derivative(loss, W), "=", r * x.T)
    tex = render(Checked(doc.problems, {step.id: check_step(step)}), "t", "a")
    assert r"\frac{\partial}{\partial W}" in tex and "x^{T}" in tex
    _, e = _derivation(W)
    explicit_step = e.step(W, "=", sp.Matrix(2, 3, lambda i, j: W[i, j]))
    assert check_step(explicit_step).status == "verified"
    tex = render(Checked([e_problem(e)], {explicit_step.id: check_step(explicit_step)}), "t", "a")
    assert r"\left[\begin{matrix}" in tex


def e_problem(derivation):
    problem = dv.Problem(1, "P")
    problem.part("a", "A").blocks.append(derivation)
    return problem


def test_a_quadratic_form_compares_with_a_scalar():
    """rᵀr is a 1 × 1 matrix: an inequality with 0 is about its one entry (it used to crash)."""
    doc = dv.Document("q")
    d = doc.problem("P").part("a", "A").derivation(dv.assume(*(dv.RealMatrix(v) for v in (W, b, x, y))))
    loss = dv.named("L_q", "L")
    d.define(loss, sp.Transpose(r) * r / 2)
    assert check_step(d.step(loss, ">=", 0)).status in ("verified", "numeric-only")
    assert check_step(d.step(loss, "<", 0)).status == "failed"
    assert check_step(d.step(sp.Transpose(r) * r, ">=", 0)).status in ("verified", "numeric-only")
    assert check_step(d.step(sp.Derivative(loss, b), "=", r)).status == "verified"
    assert check_step(d.step(sp.Derivative(loss, b), "=", 2 * r)).status == "failed"
