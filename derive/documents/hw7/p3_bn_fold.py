"""Problem 3: folding an eval-mode batch norm into the convolution or linear layer before it.

(a) and (b) derive, with indices and every step checked, that a conv (a linear layer) followed
by BN in eval mode is one conv (linear layer) with W' = γ/√(σ²+ε)·W and b' = γ(b − μ)/√(σ²+ε) + β.
(c) measures how closely that holds in floating point on the sheet's network and justifies a
tolerance; (d) shows with checked steps and measurements what two common wrong folds do.
The measurements come from :mod:`derive.documents.hw7.p3_figures` (torch, cached); without torch the
PDF says so in place of the tables, and the derivations are unaffected.
"""

from __future__ import annotations

import math
from typing import Any

import sympy as sp
from sympy import Lambda, Sum, sqrt
from sympy.core.function import FunctionClass

from derive import Integer, Part, Positive, Problem, Real, RealArray, RealVector, Step, Unavailable, assume, named, require
from derive.documents.hw7 import p3_figures

# Settings of the measurements shown in (c) and (d); tests swap in smaller ones.
SETTINGS = p3_figures.PrecisionSettings()


class _ArrayClass(FunctionClass):
    """Metaclass of the folded weights: the bare class prints as its display name."""

    def __repr__(cls) -> str:
        return getattr(cls, "display", cls.__name__)


def folded_array(class_name: str, display: str, bare: str) -> type[sp.Function]:
    """A weight array defined by a map, printed ``display_{indices}``, and ``bare`` alone.

    A SymPy function rather than an IndexedBase because its definition must reach entries
    inside sums: substituting the function by a Lambda replaces every application, while an
    Indexed entry whose indices are a sum's bound variables is left alone by ``subs``.
    ``bare`` must start with a backslash: SymPy prints a bare function class by its name, as
    an operator name unless it is one letter or starts with one.
    """

    def _latex(self: sp.Function, printer: Any) -> str:
        return f"{display}_{{{','.join(printer._print(a) for a in self.args)}}}"

    namespace = {"display": bare, "_latex": _latex, "__module__": __name__, "__doc__": f"The folded weight {display} of Problem 3."}
    return _ArrayClass(class_name, (sp.Function,), namespace)


# ── symbols ─────────────────────────────────────────────────────────────────────────────────
C_in = named("p3_C_in", r"C_{\mathrm{in}}", integer=True, positive=True)
k, n = sp.symbols("k n", integer=True, positive=True)
c, i, j = sp.symbols("c i j", integer=True, positive=True)
c_in = sp.Symbol("c'", integer=True, positive=True)  # input channel
u, v = sp.symbols("u v", integer=True, nonnegative=True)  # kernel offsets
W = sp.IndexedBase("W", real=True)
X = sp.IndexedBase("X", real=True)
x = sp.IndexedBase("x", real=True)
gamma, beta, mu, b = sp.symbols("gamma_c beta_c mu_c b_c", real=True)
sigma = sp.Symbol("sigma_c", positive=True)  # the running variance is sigma_c**2
epsilon = sp.Symbol("epsilon", positive=True)

Y = named("p3_Y", "Y_{c,i,j}")
BN_Y = named("p3_BN_Y", r"\mathrm{BN}(Y)_{c,i,j}")
y = named("p3_y", "y_{c}")
BN_y = named("p3_BN_y", r"\mathrm{BN}(y)_{c}")
b_folded = named("p3_b_folded", "b'_{c}")
W_prime = named("p3_W_prime", "W'")  # the folded weight as a whole, in prose
b_bug = named("p3_b_bug", r"\tilde{b}_{c}")
W_conv = folded_array("P3FoldedConvWeight", "W'", r"\mathnormal{W}'")
W_lin = folded_array("P3FoldedLinearWeight", "W'", r"\mathnormal{W}'")
CONV_SHAPE = named("p3_conv_shape", r"C_{\mathrm{out}} \times C_{\mathrm{in}} \times k \times k")
MAP_SHAPE = named("p3_map_shape", r"C_{\mathrm{in}} \times P \times Q")
LINEAR_SHAPE = named("p3_linear_shape", r"C_{\mathrm{out}} \times n")

def in_order(*terms: Any) -> sp.Expr:
    """A sum kept in the order an author writes it (SymPy would sort it: ε + σ², β + γ…)."""
    return sp.Add(*terms, evaluate=False)


STD = sqrt(in_order(sigma**2, epsilon))  # √(σ_c² + ε)
SCALE = gamma / STD  # the BN's multiplier of channel c
FOLDED_BIAS = in_order(gamma * (b - mu) / STD, beta)

BN_PARAMETERS = (Real(gamma), Real(beta), Real(mu), Real(b), Positive(sigma), Positive(epsilon))
CONV = assume(
    Integer(C_in, 1, 2), Integer(k, 1, 2), Integer(c, 1, 2), Integer(i, 1, 2), Integer(j, 1, 2),
    RealArray(W, CONV_SHAPE, axes=((c, c), (1, C_in), (0, k - 1), (0, k - 1))),
    RealArray(X, MAP_SHAPE, axes=((1, C_in), (i, i + k - 1), (j, j + k - 1))),
    *BN_PARAMETERS,
    "BN in eval mode: running mean and variance are fixed numbers",
)
CONV_INDICES = assume(Integer(c_in, 1, C_in), Integer(u, 0, k - 1), Integer(v, 0, k - 1))
LINEAR = assume(
    Integer(n, 1, 3), Integer(c, 1, 2), RealArray(W, LINEAR_SHAPE, axes=((c, c), (1, n))),
    RealVector(x, n), *BN_PARAMETERS,
    "BN in eval mode: running mean and variance are fixed numbers",
)
KERNEL = ((c_in, 1, C_in), (u, 0, k - 1), (v, 0, k - 1))


def conv_sum(weight: Any) -> sp.Expr:
    """Σ_{c', u, v} weight(c, c', u, v) · X[c', i + u, j + v]: output (c, i, j), stride 1."""
    return Sum(weight(c, c_in, u, v) * X[c_in, i + u, j + v], *KERNEL)


def linear_sum(weight: Any) -> sp.Expr:
    """Σ_j weight(c, j) · x[j]: output c of a linear layer."""
    return Sum(weight(c, j) * x[j], (j, 1, n))


def entry(base: sp.IndexedBase) -> Any:
    return lambda *indices: base[indices]


def problem() -> Problem:
    p = Problem(3, "Removing batch norm after training", (
        ("A batch norm that follows a convolution or a linear layer can be folded into that "
         "layer for inference. Show that the layer with weight "), W, " and bias ", sp.Symbol("b"),
        (" followed by BN is one layer with the weight and bias below, and find out how exactly "
         "the folded network reproduces the original one in floating point."),
    ))
    fold_into_conv(p.part("a", "Folding BN into a convolution"))
    fold_into_linear(p.part("b", "Folding BN1d into a linear layer"))
    try:
        figures = p3_figures.collect(SETTINGS)
    except Unavailable as missing:
        figures = None
        reason = str(missing)
    precision = p.part("c", "Exactly the same outputs? Folding in floating point")
    wrong = p.part("d", "Two wrong folds, and which test catches them")
    if figures is None:
        precision.say(f"The measurements of this part need PyTorch, which is not available here: "
                      f"{reason}. The derivations above do not depend on it.")
        wrong_folds(wrong, None)
        return p
    precision_in_floating_point(precision, figures)
    wrong_folds(wrong, figures)
    return p


# ── (a) and (b): the identities ─────────────────────────────────────────────────────────────
def assumptions_prose(part: Part) -> None:
    part.say(
        "Assumptions. The BN is in eval mode: it uses its running mean ", mu, " and running "
        "variance ", sigma**2, " (written as the square of ", sigma, "), which are fixed numbers "
        "after training, not the statistics of the current batch; in training mode BN is not "
        "an affine map of its input and cannot be folded. The steps below are checked for ",
        sp.StrictGreaterThan(sigma, 0, evaluate=False), "; the formulas need only ",
        sp.StrictGreaterThan(STD**2, 0, evaluate=False), ", which ",
        sp.StrictGreaterThan(epsilon, 0, evaluate=False), " (", figure(1e-5), " by default) guarantees, so they also serve a channel whose "
        "running variance is 0, with ", sqrt(epsilon), " in place of ", STD,
        " (that case is not among the checked ones). The index ", c, " is the output channel throughout; ", gamma, ", ", beta,
        ", ", mu, ", ", sigma**2, " and the layer's bias ", b, " are that channel's."
    )


def fold_into_conv(part: Part) -> None:
    assumptions_prose(part)
    part.say("Output channel ", c, " of a stride-1 convolution at position ", sp.Tuple(i, j),
             " is a sum over input channels ", c_in, " and kernel offsets ", u, " and ", v,
             " (padding only adds zero entries to ", X, ", which does not change the algebra):")
    d = part.derivation(CONV)
    d.define(Y, in_order(conv_sum(entry(W)), b), "the convolution, with its bias")
    d.define(BN_Y, in_order(gamma * in_order(Y, -mu) / STD, beta), ("BN in eval mode, channel ", c))
    d.step(BN_Y, "=", in_order(SCALE * in_order(conv_sum(entry(W)), b, -mu), beta), ("substitute ", Y))
    d.then("=", in_order(SCALE * conv_sum(entry(W)), *FOLDED_BIAS.args), ("distribute the factor ", SCALE))
    d.then("=", in_order(conv_sum(lambda *idx: SCALE * W[idx]), *FOLDED_BIAS.args),
           ("the factor does not depend on ", c_in, ", ", u, ", ", v, ": it moves into the sum"))
    d.define(W_conv, Lambda((c, c_in, u, v), SCALE * W[c, c_in, u, v]),
             ("name the weight in the sum: filter ", c, " scaled"))
    d.define(b_folded, FOLDED_BIAS, "name the constant term")
    d.step(BN_Y, "=", in_order(conv_sum(W_conv), b_folded),
           ("one convolution with weight ", W_prime, " and bias ", b_folded))
    weight = d.step(W_conv(c, c_in, u, v), "=", SCALE * W[c, c_in, u, v],
                    ("the coefficient of ", X[c_in, i + u, j + v], " in the sum above, for every input ", X),
                    assumptions=CONV_INDICES)
    bias = d.step(b_folded, "=", FOLDED_BIAS, ("the constant term of that sum: the output for ",
                                               sp.Eq(X.label, 0, evaluate=False)))
    part.result("p3.weight", "the folded weight: filter c of the conv scaled by the BN's factor "
                "of channel c", weight)
    part.result("p3.bias", "the folded bias: the conv bias goes through the BN like any output",
                bias)


def fold_into_linear(part: Part) -> None:
    part.say("A linear layer is the case of one position: output ", c, " is a sum over the ", n,
             " inputs. BatchNorm1d after it normalises each output feature ", c, " with its own "
             "statistics, under the same assumptions as in (a).")
    d = part.derivation(LINEAR)
    d.define(y, in_order(linear_sum(entry(W)), b), ("the linear layer, output ", c))
    d.define(BN_y, in_order(gamma * in_order(y, -mu) / STD, beta), ("BN1d in eval mode, feature ", c))
    d.define(W_lin, Lambda((c, j), SCALE * W[c, j]), ("the folded weight: row ", c, " scaled"))
    d.define(b_folded, FOLDED_BIAS, "the folded bias")
    d.step(BN_y, "=", in_order(SCALE * in_order(linear_sum(entry(W)), b, -mu), beta), ("substitute ", y))
    d.then("=", in_order(SCALE * linear_sum(entry(W)), *FOLDED_BIAS.args), ("distribute the factor ", SCALE))
    d.then("=", in_order(linear_sum(lambda *idx: SCALE * W[idx]), *FOLDED_BIAS.args),
           ("the factor does not depend on ", j, ": it moves into the sum"))
    d.then("=", in_order(linear_sum(W_lin), b_folded), ("one linear layer with weight ", W_prime, " and bias ", b_folded))
    part.say("So the same two formulas fold BatchNorm1d into a linear layer: row ", c, " of the "
             "weight matrix is scaled by ", SCALE, " and the bias is ", b_folded, " as in (a).")


# ── (c): the measurements ───────────────────────────────────────────────────────────────────
MODE_NAMES = {
    "float32": "float32",
    "float64-rounded": "float64 fold, rounded",
    "float64": "float64 throughout",
}
FLOAT32_EPS = 2.0**-23
FLOAT64_EPS = 2.0**-52
S = sp.Symbol("S")  # the output's scale: the largest |output| of the BN network


def figure(value: float, digits: int = 3) -> sp.Basic:
    """A measured number for the PDF: ``digits`` significant digits, without trailing zeros,
    as a decimal from 0.001 to 99999 and as mantissa · 10^e beyond (1e-8 shows as 10^-8)."""
    if value == 0:
        return sp.Integer(0)
    if not math.isfinite(value):
        raise ValueError(f"figure: cannot show {value!r} as a measured number")
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    power = int(exponent)
    if -3 <= power < 5:
        return _decimal(f"{float(mantissa) * 10.0**power:.{max(digits - 1 - power, 0)}f}")
    # UnevaluatedExpr keeps 10^-8 a power: SymPy would print a negative power as a fraction
    scale = sp.Pow(10, sp.UnevaluatedExpr(power), evaluate=False)
    head = _decimal(mantissa)
    return scale if head == 1 else sp.Mul(head, scale, evaluate=False)


def _decimal(text: str) -> sp.Basic:
    """A decimal string as a SymPy number printed as written, less trailing zeros."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if "." not in text:
        return sp.Integer(text)
    significant = len(text.lstrip("-").replace(".", "").lstrip("0"))
    return sp.Float(text, max(significant, 1))


def criterion_text(value: float) -> str:
    """1e-08 → "1e-8", as the sheet writes it."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def fold_code(part: Part) -> None:
    """The fold as code: the very functions the measurements below run, read from their source."""
    part.say("In code (the functions this build runs for the figures below): the sheet's network "
             "in eval mode, each of conv1, conv2 and fc1 folded with its BN, fc2 copied unchanged; "
             "the formula itself, for a weight of any shape, is the last lines.")
    part.listing("Folding the sheet's network",
                 "derive.documents.hw7.smallnet:fold_smallnet", "derive.nn.bn:_fold")


def short_network_text(hidden: int) -> str:
    """The measured network in a few words: the sheet's, or with fc1 narrowed (the PDF says so)."""
    if hidden == 1024:
        return "the sheet's network"
    return f"the sheet's network with fc1 narrowed to {hidden} outputs (each still a sum of 16384 products)"


def network_text(hidden: int) -> str:
    """The measured network: the sheet's, or the sheet's with fc1 narrowed (measured at that width)."""
    layers = (f"conv 3 to 16, conv 16 to 16, linear 16384 to {hidden}, each followed by BN and ReLU, "
              f"then linear {hidden} to 10 and ReLU")
    if hidden == 1024:
        return f"the sheet's network ({layers})"
    return (f"the sheet's network with fc1 narrowed from 1024 to {hidden} outputs ({layers}; each fc1 "
            "output is still a sum of 16384 products, the rounding this table is about)")


def precision_in_floating_point(part: Part, figures: dict) -> None:
    precision = figures["precision"]
    by_mode = {row["mode"]: row for row in precision["rows"]}
    settings = figures["settings"]
    tolerance = precision["tolerance_eps"]
    scale = by_mode["float32"]["output_scale"]
    entries = settings["batch_size"] * 10
    fold_code(part)
    part.say(
        "In real arithmetic (a) and (b) are exact; in floating point the folded network rounds "
        "other numbers at other places (each entry of ", W_prime, " is a rounded product), so "
        "no float32 fold can promise bit-identical outputs. The sheet's test is a sum: for each test "
        "batch of ", sp.Integer(settings["batch_size"]), " images it prints the squared norm of the "
        "output difference, the sum of the ", sp.Mul(settings["batch_size"], 10, evaluate=False),
        " squared differences, and calls a largest value below ", figure(precision["criterion"]),
        " right. The sum is ", sp.Integer(entries), " times the mean over entries."
    )
    part.say(
        f"Measured on {short_network_text(settings.get('hidden', 1024))}, with a synthetic trained state "
        "(the trained file and CIFAR-10 are not available offline), on ", sp.Integer(settings["batches"]),
        " batches of ", sp.Integer(settings["batch_size"]), " CIFAR-like images, the BN network run in "
        "the fold's precision; ", S, " is its largest output, ", sp.Eq(S, figure(scale, 3), evaluate=False), "."
    )
    part.table(
        "Folded network against the BN network",
        ("fold", "largest batch sum (the test)", "passes", "max abs diff", "in eps32 $S$"),
        [(MODE_NAMES[row["mode"]], figure(row["max_batch_sum"]), row["passes_1e8"],
          figure(row["max_abs_diff"]), figure(row["diff_in_eps"]))
         for row in precision["rows"]],
        align="lrcrr",
        note="float64 fold, rounded: folded in float64, each parameter rounded once to float32, "
             "float32 networks. Last column: max abs diff in units of float32's eps times $S$.",
    )
    crosscheck(part, figures["fusion"])
    float32_row = by_mode["float32"]
    for mode in ("float32", "float64-rounded"):
        require(by_mode[mode]["diff_in_eps"] <= tolerance,
                f"problem 3: the {mode} fold differs by {by_mode[mode]['diff_in_eps']:.3g} eps, "
                f"outside the heuristic tolerance of {tolerance:.3g} eps")
    tolerance_prose(part, precision, scale)
    students(part, float32_row, precision["criterion"], entries)


def students(part: Part, row: dict, criterion: float, entries: int) -> None:
    """What the batch sums students report (7e-9 to 1e-7 in float32) mean."""
    rms_in_eps = math.sqrt(row["max_batch_mse"]) / (FLOAT32_EPS * row["output_scale"])
    low, high = 7e-9, 1e-7  # the sheet: what students see with the trained network in float32

    def scale_for(batch_sum: float) -> float:
        return math.sqrt(batch_sum / entries) / (rms_in_eps * FLOAT32_EPS)

    part.say(
        "What the students' values mean. Here a right float32 fold differs from the BN network by a "
        "root mean square of ", figure(rms_in_eps, 2), " eps32 of ", S, " per output. The same "
        "relative rounding gives a batch sum of ", figure(low), " at ",
        sp.Eq(S, figure(scale_for(low), 2), evaluate=False), " and ", figure(high), " at ",
        sp.Eq(S, figure(scale_for(high), 2), evaluate=False), ", sizes a trained network's largest "
        "logits can well have, and the test's ", figure(criterion), " is met only below ",
        sp.Eq(S, figure(scale_for(criterion), 2), evaluate=False), ". So values from ", figure(low),
        " to ", figure(high), " are what rounding alone produces: the fold is right, and the "
        "failures of the test say only that a fixed threshold on a sum of squares is not scale-free. "
        "A fold is judged by its difference in units of eps at the output's scale, or in float64."
    )


# Two orders of evaluating one formula: each of the few operations rounds once, so a handful of
# eps covers them; a real difference in the formula shows as thousands.
CROSSCHECK_EPS = 4


def crosscheck(part: Part, fusion: dict) -> None:
    """derive's fold against torch.nn.utils.fusion, largest gap per torch function and dtype."""
    functions = (("fuse_conv_bn_weights", "conv1, conv2"), ("fuse_linear_bn_weights", "fc1"))

    def largest(dtype: str, layers: str) -> sp.Basic:
        names = [f"{layer.strip()}.{part}" for layer in layers.split(",") for part in ("weight", "bias")]
        gap = max(fusion[dtype][name] for name in names)
        require(gap <= CROSSCHECK_EPS, f"problem 3: fold_bn differs from torch's fusion by {gap:.3g} eps "
                                       f"({dtype}, {layers}); the same formula allows {CROSSCHECK_EPS}")
        return figure(gap)

    gaps = {dtype: max(float(largest(dtype, layers)) for _, layers in functions)
            for dtype in ("float32", "float64")}
    part.say("The folded weights and biases agree with PyTorch's own fusion functions "
             "(torch.nn.utils.fusion) to within ", figure(gaps["float32"]), " eps in float32 and ",
             figure(gaps["float64"]), " eps in float64 (the same formula, operations in another order).")


def tolerance_prose(part: Part, precision: dict, scale: float) -> None:
    K = sp.Symbol("K")
    u = sp.Symbol("delta")  # the unit roundoff (Higham's u; u is a kernel offset in (a))
    a_, x_ = sp.IndexedBase("a"), sp.IndexedBase("x")
    lengths = ", ".join(str(length) for length in precision["dot_lengths"])
    part.say(
        "A proven bound and a heuristic tolerance. For a dot product of length ", K,
        " summed in floating point with unit roundoff ", sp.Eq(u, sp.Symbol("eps") / 2, evaluate=False),
        ", the error is at most ", K * u / (1 - K * u), " times ",
        sp.Sum(sp.Abs(a_[i] * x_[i]), (i, 1, K)), " (Higham): relative to the sum of absolute "
        "values, not to the result, which cancellation can make much smaller. Turning this into "
        "a bound on the network's outputs needs those sums at every output of every layer and "
        f"how later layers amplify errors; this solution does not compute it (here $K = {lengths}$). "
        "What it uses instead is a heuristic: independent roundings add like a random walk, about ",
        sqrt(K), " eps per layer, and the largest of thousands of outputs lies within about 4 "
        "standard deviations, so a tolerance of ", 4 * sp.Sum(sqrt(sp.Indexed("K", sp.Symbol("l"))),
                                                             (sp.Symbol("l"), 1, 4)),
        " = ", figure(precision["tolerance_eps"]), " eps at the output's scale. The right folds "
        "stay far inside it; it is a heuristic, not a guarantee."
    )


def _count(value: float) -> sp.Basic:
    """An exact count (a sum of dot-product lengths) in full, any other figure rounded."""
    return sp.Integer(int(value)) if float(value).is_integer() else figure(value)


def _within(value: float, bound: float) -> str:
    return "within" if value <= bound else "outside"


def _below(value: float, bound: float) -> str:
    return "below" if value < bound else "not below"


# ── (d): wrong folds ────────────────────────────────────────────────────────────────────────
def wrong_folds(part: Part, figures: dict | None) -> None:
    part.say("A common slip adds the conv bias unscaled, ",
             sp.Eq(b_bug, b + beta - gamma * mu / STD, evaluate=False), ". Its error, checked:")
    d = part.derivation(assume(*BN_PARAMETERS), "bug")
    d.define(b_folded, FOLDED_BIAS, "the right folded bias, from (a)")
    d.define(b_bug, b + beta - gamma * mu / STD, "the bias with the slip")
    d.step(b_bug - b_folded, "=", b * (1 - SCALE), ("the terms in ", beta, " and ", mu, " cancel"))
    part.say("So the slip is invisible exactly when the layer's bias ", b, " is 0 (or the BN's "
             "factor is 1): a test on layers without bias, or with zero-initialised biases, "
             "cannot catch it.")
    part.say("Dropping ", epsilon, " (dividing by ", sigma, " instead of ", STD,
             ") makes the BN's factor too large by the relative amount below, checked:")
    e = part.derivation(assume(Positive(sigma), Positive(epsilon)), "eps")
    gap = e.step(STD / sigma - 1, "=", epsilon / (sigma * (sigma + STD)),
                 ("the ratio of ", gamma / sigma, " to ", SCALE, ", less 1; multiply by the conjugate"))
    e.step(epsilon / (2 * sigma**2) - gap.rhs, "=", epsilon**2 / (2 * sigma**2 * (sigma + STD) ** 2),
           "bring to one denominator")
    e.step(epsilon**2 / (2 * sigma**2 * (sigma + STD) ** 2), ">", sp.Integer(0),
           ("so the relative error is below ", epsilon / (2 * sigma**2)))
    if figures is None:
        part.say("What these folds do to the sheet's network is measured with PyTorch, which is "
                 "not available here.")
        return
    measured_wrong_folds(part, figures)


WRONG_FOLD_NAMES = {"unscaled bias": "bias unscaled", "epsilon forgotten": "epsilon dropped"}


def measured_wrong_folds(part: Part, figures: dict) -> None:
    wrong = figures["wrong_folds"]
    tolerance = figures["precision"]["tolerance_eps"]
    smallest, eps_value = wrong["smallest_running_var"], wrong["bn_eps"]
    part.say(
        "With the BN's ", sp.Eq(epsilon, figure(eps_value), evaluate=False), " and the smallest "
        "running variance of the synthetic state, ", figure(smallest), ", that bound is ",
        figure(eps_value / (2 * smallest)), " per BN. Both wrong folds were run through the same "
        "pipeline as the right one, on the same inputs; the last column is in units of the eps "
        "of the arithmetic used."
    )
    part.table(
        "Wrong folds against the BN network",
        ("wrong fold", "biases", "arithmetic", "largest batch sum", "passes", "max abs diff", "in eps $S$"),
        [(WRONG_FOLD_NAMES[row["fold"]], "non-zero" if row["biases"] else "zero", row["mode"],
          figure(row["max_batch_sum"]), row["passes_1e8"], figure(row["max_abs_diff"]),
          figure(row["diff_in_mode_eps"])) for row in wrong["rows"]],
        align="lllrcrr",
        note="Biases: those of conv1, conv2 and fc1. Last column: max abs diff in units of the eps "
             "of the arithmetic used times $S$.",
    )
    runs = {(row["fold"], row["biases"], row["mode"]): row for row in wrong["rows"]}
    unscaled, unscaled_zero = runs[("unscaled bias", True, "float32")], runs[("unscaled bias", False, "float32")]
    no_eps32, no_eps64 = runs[("epsilon forgotten", True, "float32")], runs[("epsilon forgotten", True, "float64")]
    part.say("The unscaled bias with the state's non-zero biases ", *_verdict(unscaled, tolerance),
             "; with every conv and linear bias set to 0 the same fold ", *_verdict(unscaled_zero, tolerance),
             ", as the checked difference ", b * (1 - SCALE), " predicts.")
    part.say("Dropping ", epsilon, " in float32 ", *_verdict(no_eps32, tolerance),
             "; in float64 it ", *_verdict(no_eps64, tolerance), ". Its error is about ",
             figure(no_eps32["max_abs_diff"] / max(1e-300, _right_abs(figures))), " times a right fold's: "
             "on the per-entry mean (", figure(no_eps32["max_batch_mse"]), ") it would pass, on the "
             "sheet's batch sum, ", sp.Integer(figures["settings"]["batch_size"] * 10),
             " times larger, it fails. In float64, whose eps is ", figure(FLOAT32_EPS / FLOAT64_EPS),
             " times smaller, it is unmistakable.")


def _right_abs(figures: dict) -> float:
    """The right float32 fold's largest absolute difference, the scale of rounding."""
    return next(r["max_abs_diff"] for r in figures["precision"]["rows"] if r["mode"] == "float32")


def _verdict(row: dict, tolerance: float) -> tuple[str | sp.Basic, ...]:
    """What the sheet's test and the heuristic tolerance say about one measured wrong fold."""
    criterion = "passes" if row["passes_1e8"] else "fails"
    bound = "within" if row["diff_in_mode_eps"] <= tolerance else "outside"
    return (f"{criterion} the sheet's test (batch sum ", figure(row["max_batch_sum"]),
            f") and is {bound} the heuristic tolerance (", figure(row["diff_in_mode_eps"]), " eps)")
