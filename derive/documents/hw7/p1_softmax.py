"""Problem 1: the log-sum-exp ν_β, its limit as β → ∞, and its gradient (the softmax)."""

from __future__ import annotations

import sympy as sp
from sympy import Limit, Ne, exp, log, oo

from derive import Constraint, Derivation, Integer, Positive, Problem, RealVector, Squeeze, assume, named

beta = sp.Symbol("beta", positive=True)
Delta = sp.Symbol("Delta", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
i, j, k, m, q = sp.symbols("i j k m q", integer=True, positive=True)
x = sp.IndexedBase("x", real=True)

nu = named("nu_beta", r"\nu_{\beta}(x)")
nu_1 = named("nu_1", r"\nu_{1}(x)")
S = named("S_beta", r"S_{\beta}")
mu_k = named("mu_k", r"\mu_{k}(x)")
mu_k_beta = named("mu_k_beta", r"\mu_{k}(\beta x)")
mu_m_beta = named("mu_m_beta", r"\mu_{m}(\beta x)")
max_x = named("max_x", r"\max_{i} x_{i}")
grad_nu_1 = named("grad_nu_1", r"\nabla \nu_{1}(x)")
mu_vec = named("mu_vec", r"\mu(x)")
e_m = named("e_m", r"e_{m}")
e_i = named("e_i", r"e_{i}")
VDOTS = named("p1_vdots", r"\vdots")


def positive(symbol: sp.Symbol) -> sp.Basic:
    """The relation symbol > 0, kept unevaluated for display (SymPy would print True)."""
    return sp.StrictGreaterThan(symbol, 0, evaluate=False)


def partition_sum(scale: sp.Expr = 1) -> sp.Expr:
    """Σ_i exp(scale · x_i): the partition function at inverse temperature ``scale``."""
    return sp.Sum(exp(scale * x[i]), (i, 1, n))


def log_sum_exp(scale: sp.Expr) -> sp.Expr:
    return log(partition_sum(scale)) / scale


def softmax(index: sp.Symbol, scale: sp.Expr = 1) -> sp.Expr:
    return exp(scale * x[index]) / partition_sum(scale)


def problem() -> Problem:
    p = Problem(1, "The true softmax", (
        "For ", positive(beta), " and a vector $x$ of $n$ real entries let ",
        sp.Eq(nu, log_sum_exp(beta), evaluate=False), ". Show that it tends to the largest entry as the "
        "inverse temperature ", beta, " grows, that its gradient at ", sp.Eq(beta, 1, evaluate=False),
        " is the softmax, and that its gradient tends to the basis vector of the maximum.",
    ))
    limit_of_log_sum_exp(p.part("a", "The limit as the inverse temperature grows"))
    gradient_is_softmax(p.part("b", "The gradient at inverse temperature 1 is the softmax"))
    gradient_tends_to_argmax(p.part("c", "The gradient tends to the indicator of the maximum"))
    return p


def limit_of_log_sum_exp(part) -> None:
    maximum_at_j = assume(
        Positive(beta), Integer(n, 1, 6), Integer(j, 1, n), RealVector(x, n, max_at=j),
        Constraint(x[i] <= x[j], forall=((i, 1, n),)),
    )
    part.say("Let ", x[j], " be a maximum of the entries of $x$ (any one, if several are equal). "
             "Factoring out its exponential leaves a sum between 1 and $n$, whatever ", beta, " is.")
    d = part.derivation(maximum_at_j)
    d.define(nu, log_sum_exp(beta), ("the log-sum-exp at inverse temperature ", beta))
    d.step(partition_sum(beta), "=", exp(beta * x[j]) * sp.Sum(exp(beta * (x[i] - x[j])), (i, 1, n)),
           ("factor out ", exp(beta * x[j])))
    d.define(S, sp.Sum(exp(beta * (x[i] - x[j])), (i, 1, n)), "the sum that remains")
    d.step(nu, "=", x[j] + log(S) / beta, ("log of a product, and ", sp.Eq(log(exp(beta * x[j]), evaluate=False), beta * x[j], evaluate=False)))
    d.step(sp.Integer(1), "<=", S, ("the term ", sp.Eq(i, j, evaluate=False), " equals 1 and every term is positive"))
    d.step(S, "<=", n, ("each of the ", n, " terms is at most 1, as ", sp.Le(x[i] - x[j], 0, evaluate=False), " and ", positive(beta)))
    lower = d.step(x[j], "<=", nu, ("log is increasing and ", sp.Eq(log(1, evaluate=False), 0, evaluate=False)))
    upper = d.step(nu, "<=", x[j] + log(n) / beta, ("log is increasing, with ", sp.Le(S, n, evaluate=False)))
    d.step(Limit(x[j] + log(n) / beta, beta, oo), "=", x[j], (log(n), " is fixed while ", beta, " grows"))
    limit = d.step(Limit(nu, beta, oo), "=", x[j],
                   "squeeze between the two bounds above",
                   rule=Squeeze(x[j], x[j] + log(n) / beta, lower.id, upper.id))
    d.define(max_x, x[j], ("the largest entry, attained at ", j))
    # the box shows the sheet's max_i x_i, the name just defined as x_j; graded as x_j
    part.result("p1.a.limit", "the limit of the log-sum-exp as the inverse temperature grows: the largest entry",
                limit, rhs=max_x)
    softmax_figure(part)


def gradient_is_softmax(part) -> None:
    d = part.derivation(assume(Integer(n, 1, 6), Integer(k, 1, n), RealVector(x, n)))
    d.define(nu_1, log(partition_sum()), ("the log-sum-exp at ", sp.Eq(beta, 1, evaluate=False)))
    d.define(mu_k, softmax(k), "the $k$-th entry of the softmax")
    d.step(sp.Derivative(nu_1, x[k]), "=", sp.Derivative(partition_sum(), x[k]) / partition_sum(),
           ("chain rule: the derivative of ", log(sp.Symbol("u")), " is ", sp.Derivative(sp.Symbol("u"), x[k]) / sp.Symbol("u")))
    d.then("=", sp.Sum(sp.KroneckerDelta(i, k) * exp(x[i]), (i, 1, n)) / partition_sum(),
           ("the derivative of ", exp(x[i]), " by ", x[k], " is ", sp.KroneckerDelta(i, k) * exp(x[i])))
    grad = d.then("=", softmax(k), ("only the term ", sp.Eq(i, k, evaluate=False), " survives, as ", sp.Le(1, k, evaluate=False), " and ", sp.Le(k, n, evaluate=False)))
    d.then("=", mu_k, "the definition of the softmax")
    part.result("p1.b.grad", "the k-th entry of the gradient of the log-sum-exp at inverse temperature 1: the softmax", grad,
                lhs=sp.Derivative(nu_1, x[k]))
    part.say("As a vector, entry by entry for ", sp.Eq(k, 1, evaluate=False), ", …, ", n, ": ",
             sp.Eq(grad_nu_1, sp.Matrix([sp.Derivative(nu_1, x[1]), VDOTS, sp.Derivative(nu_1, x[n])]),
                   evaluate=False), " = ",
             sp.Eq(sp.Matrix([named("mu_1_x", r"\mu_{1}(x)"), VDOTS, named("mu_n_x", r"\mu_{n}(x)")]), mu_vec, evaluate=False),
             ", the softmax.")


def gradient_tends_to_argmax(part) -> None:
    unique_max = assume(
        Positive(beta), Integer(n, 2, 6), Integer(m, 1, n), Positive(Delta, sp.Rational(1, 10), 2),
        RealVector(x, n, max_at=m, gap=Delta), Integer(k, 1, n),
        Constraint(x[i] <= x[m] - Delta, forall=((i, 1, n),), where=Ne(i, m)),
        "the maximum is unique, so every other entry lies at least $Δ > 0$ below it",
    )
    d = part.derivation(unique_max)
    d.define(nu, log_sum_exp(beta), ("the log-sum-exp at inverse temperature ", beta))
    d.define(mu_k_beta, softmax(k, beta), ("the softmax evaluated at ", beta * sp.Symbol("x")))
    d.step(sp.Derivative(nu, x[k]), "=", softmax(k, beta),
           ("chain rule: the factor ", beta, " from the exponent cancels ", 1 / beta))
    d.then("=", mu_k_beta, ("so the gradient of ", nu, " is the softmax at ", beta * sp.Symbol("x")))
    part.say("At the maximum, ", sp.Eq(k, m, evaluate=False), ", the other ", n - 1, " terms of the sum vanish as ",
             beta, " grows:")
    top = part.derivation(unique_max, "top")
    top.define(mu_m_beta, softmax(m, beta), "the softmax entry at the maximum")
    top.step(mu_m_beta, "=", 1 / sp.Sum(exp(beta * (x[i] - x[m])), (i, 1, n)), "divide by the numerator")
    low = top.step(1 / (1 + (n - 1) * exp(-beta * Delta)), "<=", mu_m_beta,
                   ("the term ", sp.Eq(i, m, evaluate=False), " is 1 and each other term is at most ", exp(-beta * Delta)))
    high = top.step(mu_m_beta, "<=", sp.Integer(1), ("the sum is at least its term ", sp.Eq(i, m, evaluate=False), ", which is 1"))
    top_limit = top.step(Limit(mu_m_beta, beta, oo), "=", sp.Integer(1), ("squeeze: ", exp(-beta * Delta), " tends to 0"),
                         rule=Squeeze(low.lhs, high.rhs, low.id, high.id))
    part.say("Away from the maximum, ", sp.Ne(k, m, evaluate=False), ", the entry is crushed by the larger term ",
             sp.Eq(i, m, evaluate=False), ":")
    other = part.derivation(unique_max + assume(Constraint(Ne(k, m))), "rest")
    other.define(mu_k_beta, softmax(k, beta), ("the softmax entry at ", sp.Ne(k, m, evaluate=False)))
    low = other.step(sp.Integer(0), "<=", mu_k_beta, "a ratio of positive numbers")
    high = other.step(mu_k_beta, "<=", exp(-beta * Delta),
                      ("the denominator exceeds its term ", exp(beta * x[m]), ", and ", sp.Le(x[k] - x[m], -Delta, evaluate=False)))
    rest_limit = other.step(Limit(mu_k_beta, beta, oo), "=", sp.Integer(0), "squeeze",
                            rule=Squeeze(low.lhs, high.rhs, low.id, high.id))
    whole = part.derivation(unique_max, "both")
    whole.define(nu, log_sum_exp(beta), "the log-sum-exp")
    limit = whole.step(Limit(sp.Derivative(nu, x[k]), beta, oo), "=", sp.KroneckerDelta(k, m),
                       ("the two cases above: 1 at ", sp.Eq(k, m, evaluate=False), " and 0 elsewhere, the $k$-th entry of ", e_m),
                       unproved=f"SymPy cannot take the limit of a ratio over a sum of n terms; the cases "
                                f"k = m and k != m are the squeezes {top_limit.id} and {rest_limit.id}")
    part.result("p1.c.limit", "the limit of the k-th entry of the gradient: the k-th entry of e_m, m the unique argmax",
                limit)
    tie_case(part)


def tie_case(part) -> None:
    part.argue("Remark (ties). If the maximum is attained at ", q, " indices, relabel them ",
               sp.Tuple(1, sp.Symbol("…"), q), ". The same squeezes give ", 1 / q, " at each of them and 0 "
               "at every other entry, so the gradient tends to the average of their basis vectors, ",
               sp.Mul(1 / q, sp.Sum(e_i, (i, 1, q)), evaluate=False), ":")
    ties = assume(
        Positive(beta), Integer(n, 2, 6), Integer(q, 1, n), Integer(k, 1, q),
        Positive(Delta, sp.Rational(1, 10), 2), RealVector(x, n, max_at=1, ties=q, gap=Delta),
        Constraint(sp.Eq(x[i], x[1]), forall=((i, 1, q),)),
        Constraint(x[i] <= x[1] - Delta, forall=((i, 1, n),), where=i > q),
    )
    d = part.derivation(ties, "ties")
    d.define(mu_k_beta, softmax(k, beta), ("the softmax entry at a maximum, ", sp.Le(k, q, evaluate=False)))
    low = d.step(1 / (q + (n - q) * exp(-beta * Delta)), "<=", mu_k_beta,
                 (q, " terms equal 1 and the other ", n - q, " are at most ", exp(-beta * Delta)))
    high = d.step(mu_k_beta, "<=", 1 / q, ("the sum is at least its ", q, " terms equal to 1"))
    d.step(Limit(mu_k_beta, beta, oo), "=", 1 / q, "squeeze",
           rule=Squeeze(low.lhs, high.rhs, low.id, high.id))
    rest = assume(
        Positive(beta), Integer(n, 2, 6), Integer(q, 1, n - 1), Integer(k, q + 1, n),
        Positive(Delta, sp.Rational(1, 10), 2), RealVector(x, n, max_at=1, ties=q, gap=Delta),
        Constraint(sp.Eq(x[i], x[1]), forall=((i, 1, q),)),
        Constraint(x[i] <= x[1] - Delta, forall=((i, 1, n),), where=i > q),
    )
    o = part.derivation(rest, "below")
    o.define(mu_k_beta, softmax(k, beta), ("an entry below the maximum, ", sp.StrictGreaterThan(k, q, evaluate=False)))
    low = o.step(sp.Integer(0), "<=", mu_k_beta, "a ratio of positive numbers")
    high = o.step(mu_k_beta, "<=", exp(-beta * Delta),
                  ("the denominator exceeds its term ", exp(beta * x[1]), ", and ",
                   sp.Le(x[k] - x[1], -Delta, evaluate=False)))
    o.step(Limit(mu_k_beta, beta, oo), "=", sp.Integer(0), "squeeze",
           rule=Squeeze(low.lhs, high.rhs, low.id, high.id))


FIGURE_X = (1.0, 0.6, -0.5, 0.2)  # the vector the figure of (a) plots ν_β for


def softmax_figure(part) -> None:
    """ν_β(x) against β for one x, inside the band [max x, max x + log(n)/β] of the squeeze.

    Evaluated from the same SymPy expression the steps check (log_sum_exp), at n = 4.
    """
    size = len(FIGURE_X)
    values = {x[index]: sp.Float(value) for index, value in enumerate(FIGURE_X, 1)}
    curve = sp.lambdify(beta, log_sum_exp(beta).subs(n, size).doit().subs(values), "math")
    upper_bound = sp.lambdify(beta, (max_x + log(n) / beta).subs({max_x: max(FIGURE_X), n: size}), "math")
    betas = [0.5 + 0.25 * step for step in range(79)]  # 0.5 … 20
    top = max(FIGURE_X)
    part.figure("softmax", ("The log-sum-exp of $x = (" + ", ".join(f"{v:g}" for v in FIGURE_X) +
                            r")$ against $β$: it stays in the band of (a), whose width $\log(4)/β$ shrinks to 0."),
                beta_min=betas[0], beta_max=betas[-1], max=top,
                nu=[(b, curve(b)) for b in betas], upper=[(b, upper_bound(b)) for b in betas],
                lower=[(b, top) for b in betas])
