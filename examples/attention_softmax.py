"""The Jacobian of the softmax (attention weights by their scores), for any number n of keys."""

import sympy as sp

import derive as dv

n, j, k, i = sp.symbols("n j k i", integer=True, positive=True)
s = sp.IndexedBase("s", real=True)
a_j = dv.named("a_j", r"a_{j}(s)")
a_k = dv.named("a_k", r"a_{k}(s)")


def softmax(index: sp.Symbol) -> sp.Expr:
    return sp.exp(s[index]) / sp.Sum(sp.exp(s[i]), (i, 1, n))


def document() -> dv.Document:
    doc = dv.Document("The attention softmax", author="derive examples")
    p = doc.problem("The Jacobian of attention weights", (
        "Attention weights are the softmax of the scores s in R^n. Their Jacobian is "
        "diag(a) - a a^T, entry by entry a_j (delta_jk - a_k), and each row of it sums to zero."))
    part = p.part("a", "The Jacobian entry by entry")
    d = part.derivation(dv.assume(dv.Integer(n, 1, 6), dv.Integer(j, 1, n), dv.Integer(k, 1, n), dv.RealVector(s, n)))
    d.define(a_j, softmax(j), "the j-th attention weight")
    d.define(a_k, softmax(k), "the k-th attention weight")
    d.step(sp.Derivative(a_j, s[k]), "=",
           sp.KroneckerDelta(j, k) * softmax(j) - softmax(j) * softmax(k), "the quotient rule")
    jac = d.then("=", a_j * (sp.KroneckerDelta(j, k) - a_k), "factor out the j-th weight")
    part.result("attn.jacobian", "entry (j, k) of the Jacobian of the softmax", jac, lhs=sp.Derivative(a_j, s[k]))
    rows = p.part("b", "Each row sums to zero")
    e = rows.derivation(dv.assume(dv.Integer(n, 1, 6), dv.Integer(j, 1, n), dv.RealVector(s, n)))
    e.step(sp.Sum(sp.KroneckerDelta(j, k) * softmax(j) - softmax(j) * softmax(k), (k, 1, n)), "=",
           softmax(j) - softmax(j) * sp.Sum(softmax(k), (k, 1, n)), "the delta picks k = j")
    e.then("=", 0, "the weights sum to one")
    return doc
