"""The gradient of the softmax cross-entropy by the logits, for any number n of classes."""

import sympy as sp

import derive as dv

n, k, c, i = sp.symbols("n k c i", integer=True, positive=True)
z = sp.IndexedBase("z", real=True)
L = dv.named("L_ce", r"L(z)")
p_k = dv.named("p_k", r"p_{k}(z)")


def partition() -> sp.Expr:
    return sp.Sum(sp.exp(z[i]), (i, 1, n))


def document() -> dv.Document:
    doc = dv.Document("Softmax cross-entropy", author="derive examples")
    p = doc.problem("The gradient by the logits", (
        "For logits z in R^n and the true class c, the loss is the negative log of the softmax "
        "probability of c. Its gradient by z_k is the softmax minus the one-hot label."))
    part = p.part("a", "The gradient for general n")
    d = part.derivation(dv.assume(dv.Integer(n, 1, 6), dv.Integer(c, 1, n), dv.Integer(k, 1, n), dv.RealVector(z, n)))
    d.define(L, -sp.log(sp.exp(z[c]) / partition()), "the cross-entropy of the softmax and the label c")
    d.define(p_k, sp.exp(z[k]) / partition(), "the softmax probability of class k")
    d.step(L, "=", -z[c] + sp.log(partition()), "the log of a quotient, and log(exp(z_c)) = z_c")
    d.step(sp.Derivative(L, z[k]), "=", -sp.KroneckerDelta(c, k) + sp.Derivative(partition(), z[k]) / partition(),
           "differentiate term by term; the chain rule for the log")
    d.then("=", -sp.KroneckerDelta(c, k) + sp.Sum(sp.KroneckerDelta(i, k) * sp.exp(z[i]), (i, 1, n)) / partition(),
           ("the derivative of ", sp.exp(z[i]), " by ", z[k]))
    grad = d.then("=", sp.exp(z[k]) / partition() - sp.KroneckerDelta(c, k), "only the term i = k survives")
    d.then("=", p_k - sp.KroneckerDelta(c, k), "the softmax minus the one-hot label")
    part.result("ce.grad", "the k-th entry of the gradient of the cross-entropy by the logits", grad,
                lhs=sp.Derivative(L, z[k]))
    return doc
