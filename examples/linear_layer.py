"""The gradient of a linear layer's least-squares loss by its weight W and bias b, with matrices."""

import sympy as sp

import derive as dv

W = sp.MatrixSymbol("W", 2, 3)
b = sp.MatrixSymbol("b", 2, 1)
x = sp.MatrixSymbol("x", 3, 1)
y = sp.MatrixSymbol("y", 2, 1)
L = dv.named("L_ls", r"L(W, b)")


def document() -> dv.Document:
    doc = dv.Document("A linear layer", author="derive examples")
    p = doc.problem("Least squares through a linear layer", (
        "A linear layer maps x in R^3 to Wx + b in R^2; the loss is half the squared distance to a "
        "target y. The gradients by W and b are the residual times the input, and the residual."))
    r = W * x + b - y
    a = p.part("a", "The gradients by the weight and the bias")
    d = a.derivation(dv.assume(dv.RealMatrix(W), dv.RealMatrix(b), dv.RealMatrix(x), dv.RealMatrix(y)))
    half = sp.MatMul(sp.Rational(1, 2), sp.Transpose(r), r, evaluate=False)  # printed as written
    d.define(L, half, "half the squared residual")
    dW = d.step(sp.Derivative(L, W), "=", r * x.T,
                "the residual times the input, transposed: checked entry by entry for this 2 × 3 W")
    a.result("linear.dW", "the gradient of the loss by the weight", dW)
    db = d.step(sp.Derivative(L, b), "=", r, "the residual itself")
    a.result("linear.db", "the gradient of the loss by the bias", db)
    d.step(L, ">=", 0, "a sum of squares: the loss is never negative")
    return doc
