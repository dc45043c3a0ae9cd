"""The logistic sigmoid: its derivative in terms of itself, and its limits at ±∞."""

import sympy as sp

import derive as dv

t = sp.Symbol("t", real=True)
s = dv.named("sigma_t", r"\sigma(t)")
f = dv.arbitrary("f")


def sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def document() -> dv.Document:
    doc = dv.Document("The sigmoid", author="derive examples")
    p = doc.problem("Derivative and limits of the sigmoid", (
        "Let ", sp.Eq(s, sigmoid(t), evaluate=False), ". Show that its derivative is ", s * (1 - s),
        ", that it tends to 1 and 0 at the ends, and the chain rule for sigma of any smooth f."))
    a = p.part("a", "The derivative")
    d = a.derivation(dv.assume(dv.Real(t, -6, 6)))
    d.define(s, sigmoid(t), "the logistic sigmoid")
    d.step(sp.Derivative(s, t), "=", sp.exp(-t) / (1 + sp.exp(-t)) ** 2, "the quotient rule")
    # The named sigma keeps the split visible; SymPy would merge 1/(1+e^-t) back into the line above.
    d.then("=", s * (sp.exp(-t) / (1 + sp.exp(-t))), "split the square")
    grad = d.then("=", s * (1 - s), ("as ", sp.Eq(1 - sigmoid(t), sp.exp(-t) / (1 + sp.exp(-t)), evaluate=False)))
    a.result("sigmoid.grad", "the derivative of the sigmoid", grad, lhs=sp.Derivative(s, t))

    b = p.part("b", "The limits")
    e = b.derivation(dv.assume("the sigmoid at both ends of the real line"))
    top = e.step(sp.Limit(sigmoid(t), t, sp.oo), "=", 1, ("exp(-t) tends to 0 as ", t, " grows"))
    e.step(sp.Limit(sigmoid(t), t, -sp.oo), "=", 0, ("exp(-t) grows without bound as ", t, " falls"))
    b.result("sigmoid.top", "the limit of the sigmoid at +infinity", top)

    c = p.part("c", "Through any smooth function")
    g = c.derivation(dv.assume(dv.Real(t, -3, 3)))
    g.step(sp.Derivative(sigmoid(f(t)), t), "=",
           sigmoid(f(t)) * (1 - sigmoid(f(t))) * sp.Derivative(f(t), t),
           ("the chain rule, for any smooth ", f(t), ": checked with f undefined and with random stand-ins"))
    return doc
