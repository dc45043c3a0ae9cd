"""Problem 2: how many multiplications and additions AlexNet's conv and linear layers perform.

Part (a) derives the counting formulas as sums of ones (so the checker counts by enumeration at
small sizes); part (b) instantiates them with AlexNet's sizes and ties every total to the
counting engine's integer (``derive.counting``), so SymPy proves the arithmetic; part (c) lays
the same network out under each counting convention in use, which is why published figures
differ.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import sympy as sp
from sympy import And, Eq, Mod, Piecewise, Sum, floor

from derive import Constraint, Derivation, Integer, Part, Problem, Step, assume, named
from derive.counting import Conv2d, Convention, Layer, Linear, MaxPool2d, Network, NetworkCount, count_network, load_network

# ── symbols ─────────────────────────────────────────────────────────────────────────────────
_size = {"integer": True, "positive": True}
c_in, c_out, g, k_h, k_w, h_out, w_out = sp.symbols("c_in c_out g k_h k_w h_out w_out", **_size)
n_in, n_out = sp.symbols("n_in n_out", **_size)
h_in, k, s, d, n = sp.symbols("h_in k s d n", **_size)
p = sp.Symbol("p", integer=True, nonnegative=True)
# Summation indices: output channel, row, column; input channel of the group; kernel taps.
o, i, j, c, u, v = sp.symbols("o i j c u v", integer=True)
t = sp.Symbol("t", integer=True)
q = sp.Symbol("q", integer=True)  # a window (output position) along one axis; o is an output channel

P = named("p2_P", r"P")  # products per conv output element
M = named("p2_M", r"M")  # multiply-adds of a conv layer
A_hw = named("p2_A_hw", r"A_{\mathrm{hw}}")
A_strict = named("p2_A_strict", r"A_{\mathrm{strict}}")
A_bias = named("p2_A_bias", r"A_{\mathrm{bias}}")
W = named("p2_W", r"W")  # parameters of a conv layer
P_lin = named("p2_P_lin", r"P_{\mathrm{lin}}")
M_lin = named("p2_M_lin", r"M_{\mathrm{lin}}")
A_lin_strict = named("p2_A_lin_strict", r"A_{\mathrm{lin,strict}}")
H_out = named("p2_H_out", r"h_{\mathrm{out}}")
N_out = named("p2_N_out", r"n_{\mathrm{out}}")
V = named("p2_V", r"V")  # (output position, tap) pairs inside the input, one axis
L_pad = named("p2_L_pad", r"L")  # pairs reading the left padding
R_pad = named("p2_R_pad", r"R")  # pairs reading the right padding

M_CONV = named("p2_M_conv", r"M_{\mathrm{conv}}")
M_LINEAR = named("p2_M_linear", r"M_{\mathrm{linear}}")
M_TOTAL = named("p2_M_total", r"M_{\mathrm{total}}")
F_CONV = named("p2_F_conv", r"F_{\mathrm{conv}}")
F_LINEAR = named("p2_F_linear", r"F_{\mathrm{linear}}")
W_CONV = named("p2_W_conv", r"W_{\mathrm{conv}}")
W_LINEAR = named("p2_W_linear", r"W_{\mathrm{linear}}")
W_TOTAL = named("p2_W_total", r"W_{\mathrm{total}}")
O_CONV = named("p2_O_conv", r"O_{\mathrm{conv}}")
O_LINEAR = named("p2_O_linear", r"O_{\mathrm{linear}}")
E_CONV = named("p2_E_conv", r"E_{\mathrm{conv}}")
A_CONV_STRICT = named("p2_A_conv_strict", r"A^{\mathrm{strict}}_{\mathrm{conv}}")
A_CONV_BIAS = named("p2_A_conv_bias", r"A^{\mathrm{bias}}_{\mathrm{conv}}")
A_LINEAR_BIAS = named("p2_A_linear_bias", r"A^{\mathrm{bias}}_{\mathrm{linear}}")
V_h, V_w = sp.symbols("V_h V_w", integer=True, positive=True)

# ── assumptions (small ranges, so the numeric check enumerates every sum) ───────────────────
CONV = assume(
    Integer(g, 1, 3), Integer(c_in, g, 6), Constraint(Eq(Mod(c_in, g), 0)),
    Integer(c_out, 1, 3), Integer(k_h, 1, 3), Integer(k_w, 1, 3),
    Integer(h_out, 1, 3), Integer(w_out, 1, 3),
    "the $g$ groups split the input channels evenly",
)
LINEAR = assume(Integer(n_in, 1, 6), Integer(n_out, 1, 6))
SIZE = assume(
    Integer(s, 1, 3), Integer(d, 1, 2), Integer(k, 1, 3), Integer(p, 0, 2), Integer(h_in, 1, 7),
    Constraint(d * (k - 1) <= h_in + 2 * p - 1),
    "the dilated kernel fits in the padded input",
)
PADDING = assume(
    Integer(k, 1, 4), Integer(p, 0, k), Integer(n, 1, 6),
    Constraint(sp.Le(k, n + 2 * p)), Constraint(sp.Le(k, n + p + 1)),
    "stride and dilation 1; the padding $p$ is at most $k$ and at most the output size",
)
NUMBERS = assume("AlexNet's sizes: every quantity is a number")

OUTPUTS = ((o, 1, c_out), (i, 1, h_out), (j, 1, w_out))


# ── small builders ──────────────────────────────────────────────────────────────────────────
def product(*factors: int | sp.Expr) -> sp.Expr:
    """An unevaluated product, so the reader sees every factor (SymPy would multiply them out)."""
    return sp.Mul(*(sp.sympify(f) for f in factors), evaluate=False)


def total(*terms: int | sp.Expr) -> sp.Expr:
    """An unevaluated sum of the given terms."""
    return sp.Add(*(sp.sympify(term) for term in terms), evaluate=False)


def output_size(size: sp.Expr, kernel: sp.Expr, stride: sp.Expr, padding: sp.Expr,
                dilation: sp.Expr = 1) -> sp.Expr:
    """PyTorch's output length of a convolution or pooling along one axis."""
    return floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def size_with_numbers(size: int, kernel: int, stride: int, padding: int) -> sp.Expr:
    """``output_size`` at dilation 1 with the numbers left in view: ⌊(h + 2p − k)/s⌋ + 1."""
    numerator = total(size, product(2, padding), -sp.Integer(kernel))
    quotient = sp.Mul(numerator, sp.Pow(sp.Integer(stride), -1, evaluate=False), evaluate=False)
    return total(floor(quotient, evaluate=False), 1)


def indicator(low: sp.Expr | int | None, middle: sp.Expr, high: sp.Expr | int | None
              ) -> tuple[sp.Symbol, sp.Expr]:
    """The Iverson bracket [low <= middle <= high] (either bound may be None): a name shown as the
    bracket, and its meaning, 1 when the condition holds and 0 otherwise.

    The display is printed by SymPy from the same expressions as the meaning, so the two cannot
    drift apart; the checker replaces the name by the Piecewise.
    """
    conditions, shown = [], []
    if low is not None:
        conditions.append(middle >= low)
        shown.append(rf"{sp.latex(low)} \le ")
    shown.append(sp.latex(middle))
    if high is not None:
        conditions.append(middle <= high)
        shown.append(rf" \le {sp.latex(high)}")
    key = hashlib.sha256(sp.srepr((low, middle, high)).encode()).hexdigest()[:12]
    name = named(f"p2_iverson_{key}", r"\left[" + "".join(shown) + r"\right]")
    return name, Piecewise((1, And(*conditions)), (0, True))


def padding_pairs(size: int, kernel: int, padding: int, out: int) -> tuple[sp.Expr, sp.Symbol, sp.Expr]:
    """Σ over output positions o and taps t of [0 <= o + t − p <= n − 1] at given sizes, with the
    bracket's name and meaning (stride and dilation 1)."""
    reads, meaning = indicator(0, q + t - padding, size - 1)
    return Sum(reads, (q, 0, out - 1), (t, 0, kernel - 1)), reads, meaning


def output_elements(convs: list[Layer]) -> sp.Expr:
    """Σ c_out h_out w_out over conv layers, channels of equal map sizes gathered:
    (384 + 256 + 256) · 13² rather than three terms, so the sum fits on a line."""
    channels: dict[tuple[int, int], list[int]] = {}
    for layer in convs:
        channels.setdefault(layer.out_shape[1:], []).append(layer.out_shape[0])
    terms = []
    for (height, width), counts in channels.items():
        area = sp.Pow(height, 2, evaluate=False) if height == width else product(height, width)
        terms.append(product(total(*counts) if len(counts) > 1 else counts[0], area))
    return total(*terms)


def layer_symbol(prefix: str, layer: Layer) -> sp.Symbol:
    """A display name such as M_conv1 for a layer's quantity (names come from a built-in spec)."""
    if not layer.name.isalnum():
        raise ValueError(f"layer name {layer.name!r} is not alphanumeric; rename it in the spec")
    return named(f"p2_{prefix}_{layer.name}", rf"{prefix}_{{\mathrm{{{short_name(layer.name)}}}}}")


def short_name(name: str) -> str:
    """conv3 → c3, fc1 → f1: short subscripts keep a sum over five layers on one line."""
    digits = name.lstrip("abcdefghijklmnopqrstuvwxyz")
    return name[0] + digits if digits and digits.isdigit() and digits != name else name


def conv_macs(layer: Layer) -> sp.Expr:
    """c_out · h_out · w_out · (c_in/g) · k_h · k_w with the layer's numbers."""
    op = layer.op
    assert isinstance(op, Conv2d) and op.in_channels is not None
    per_group = op.in_channels if op.groups == 1 else sp.Rational(op.in_channels, op.groups)
    return product(*layer.out_shape, per_group, *op.kernel_size)


def conv_params(layer: Layer) -> sp.Expr:
    """c_out · (c_in/g) · k_h · k_w weights, plus c_out biases when the layer has them."""
    op = layer.op
    assert isinstance(op, Conv2d) and op.in_channels is not None
    per_group = op.in_channels if op.groups == 1 else sp.Rational(op.in_channels, op.groups)
    weights = product(op.out_channels, per_group, *op.kernel_size)
    return total(weights, op.out_channels) if op.bias else weights


def linear_macs(layer: Layer) -> sp.Expr:
    op = layer.op
    assert isinstance(op, Linear) and op.in_features is not None
    return product(op.in_features, op.out_features)


def linear_params(layer: Layer) -> sp.Expr:
    op = layer.op
    assert isinstance(op, Linear) and op.in_features is not None
    weights = product(op.in_features, op.out_features)
    return total(weights, op.out_features) if op.bias else weights


def percent(share: Fraction) -> str:
    """An exact share as a percentage with two decimals, e.g. '91.79 %'."""
    return f"{float(round(share * 100, 2)):.2f} %"


def rounding_bounds(derivation: Derivation, quantity: sp.Expr, value: Fraction) -> tuple[Step, Step]:
    """Two checked steps: x − 0.005 <= quantity < x + 0.005, x = value rounded to 0.01.

    The bounds are shown as decimals (91.785, not 18357/200): 40-digit Floats of three-decimal
    numbers, so they equal the exact bounds to the checker's precision.
    """
    centre = round(value, 2)
    low, high = centre - Fraction(1, 200), centre + Fraction(1, 200)
    lower = derivation.step(_decimal(low), "<=", quantity, f"so it is {float(centre):.2f} to two decimals")
    upper = derivation.step(quantity, "<", _decimal(high), "")
    return lower, upper


def mac_definitions(network: Network) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The names of (b): M of each conv and linear layer with its numbers, and their totals."""
    convs, linears = _convs(network), _linears(network)
    named_macs = [(layer_symbol("M", layer), conv_macs(layer)) for layer in convs]
    named_macs += [(layer_symbol("M", layer), linear_macs(layer)) for layer in linears]
    return named_macs + [
        (M_CONV, sum(layer_symbol("M", layer) for layer in convs)),
        (M_LINEAR, sum(layer_symbol("M", layer) for layer in linears)),
        (M_TOTAL, M_CONV + M_LINEAR),
    ]


def recall(derivation: Derivation, definitions: list[tuple[sp.Symbol, sp.Expr]]) -> None:
    """Let a derivation's checks use names it does not show: those defined in an earlier
    derivation, and Iverson brackets (explained in the prose, their display printed from the same
    expressions). Call before adding steps: a step keeps the definitions in force when it was made.
    """
    derivation.definitions.extend(definitions)


# ── the problem ─────────────────────────────────────────────────────────────────────────────
def problem() -> Problem:
    network = load_network("alexnet")
    counts = {
        "course": count_network(network),
        "bias": count_network(network, Convention(bias=True)),
        "strict": count_network(network, Convention(strict=True)),
        "strict+bias": count_network(network, Convention(strict=True, bias=True)),
        "padding": count_network(network, Convention(exclude_padding=True)),
        "literal": count_network(network, Convention(strict=True, bias=True, exclude_padding=True)),
    }
    h, w = network.input_shape[1:]
    statement = (
        "In AlexNet about 96 % of the trainable parameters sit in the three linear layers. Count the "
        "multiplications and additions of its five convolutions and three linear layers in one "
        f"forward pass of a 3 × {h} × {w} image (activations, pooling, dropout and softmax are not "
        "counted), and see where the work is."
    )
    p2 = Problem(2, "Are linear layers compute-heavy?", (statement,))
    general_formulas(p2.part("a", "Counting formulas for one layer"))
    alexnet(p2.part("b", "AlexNet, layer by layer"), counts["course"])
    conventions(p2.part("c", "Why published figures differ"), counts)
    return p2


def general_formulas(part: Part) -> None:
    part.say(
        "A conv layer with ", c_in, " input and ", c_out, " output channels in ", g, " groups, a ",
        product(k_h, k_w), " kernel and an output of ", product(c_out, h_out, w_out), " elements "
        "computes each output element as its bias plus one product (a weight times an input value) "
        "for every input channel of its group, ", sp.Le(1, c, evaluate=False), ", ",
        sp.Le(c, c_in / g, evaluate=False), ", and every kernel tap (", u, ", ", v, "). Counting the "
        "products is summing ones:")
    conv = part.derivation(CONV, "conv")
    conv.define(P, Sum(1, (c, 1, c_in / g), (u, 1, k_h), (v, 1, k_w)), "products for one output element")
    conv.then("=", c_in * k_h * k_w / g, "a sum of ones counts its terms")
    conv.define(M, Sum(P, *OUTPUTS), ("products of the layer: one ", P, " per output element"))
    macs = conv.then("=", c_out * h_out * w_out * c_in * k_h * k_w / g,
                     "the summand does not depend on the output position")
    part.result("p2.a.conv.macs", "multiply-add pairs (MACs) of one conv layer", macs, lhs=M)

    part.say(
        "Each product is followed by an addition into its output element. The course counts a "
        "multiply-add as one operation and ignores biases; a strict count notes that adding ", P,
        " numbers takes ", P - 1, " additions; a count with biases adds one more per output element. "
        "So the additions are ", M, ", ", M - c_out * h_out * w_out, " and ", M + c_out * h_out * w_out,
        "; the parameters, one weight per (", o, ", ", c, ", ", u, ", ", v, ") and one bias per ", o,
        ", number ", c_out * (c_in * k_h * k_w / g + 1), ".")
    adds = part.derivation(CONV, "adds")
    adds.supplement = "the additions under each convention and the parameters, as sums of ones"
    recall(adds, conv.definitions)
    adds.define(A_hw, Sum(P, *OUTPUTS), "the course: one addition per product")
    adds.then("=", M, "the additions equal the multiply-adds")
    adds.define(A_strict, Sum(P - 1, *OUTPUTS), ("strict: ", P - 1, " additions per output"))
    adds.then("=", M - c_out * h_out * w_out, "one fewer per output element")
    adds.define(A_bias, Sum(P + 1, *OUTPUTS), "with one bias addition per output")
    adds.then("=", M + c_out * h_out * w_out, "one more per output element")
    adds.define(W, Sum(1, (o, 1, c_out), (c, 1, c_in / g), (u, 1, k_h), (v, 1, k_w)) + Sum(1, (o, 1, c_out)),
                "weights and biases")
    adds.then("=", c_out * (c_in * k_h * k_w / g + 1), "")

    part.say("A linear layer from ", n_in, " to ", n_out, " features is the case of a 1 × 1 image and "
             "kernel: each output sums one product per input feature.")
    lin = part.derivation(LINEAR, "linear")
    lin.define(P_lin, Sum(1, (j, 1, n_in)), "products for one output feature")
    lin.then("=", n_in, "")
    lin.define(M_lin, Sum(P_lin, (i, 1, n_out)), "products of the layer")
    lin_macs = lin.then("=", n_in * n_out, "")
    lin.define(A_lin_strict, Sum(P_lin - 1, (i, 1, n_out)), "strict additions")
    lin.then("=", n_out * (n_in - 1), "")
    part.result("p2.a.linear.macs", "multiply-add pairs of one linear layer", lin_macs, lhs=M_lin)

    part.say(
        "The output size along an axis of length ", h_in, " with kernel size ", k, ", stride ", s,
        ", padding ", p, " and dilation ", d, " is PyTorch's formula below. It counts the windows: "
        "window ", q, " starts at ", q * s, " in the padded input, spans ", d * (k - 1) + 1,
        " positions, and fits when it ends by ", h_in + 2 * p - 1, ". An Iverson bracket [.] is 1 "
        "when its condition holds and 0 otherwise:")
    size = part.derivation(SIZE, "size")
    size.define(H_out, output_size(h_in, k, s, p, d), "PyTorch's output size")
    fits, fits_meaning = indicator(None, q * s + d * (k - 1), h_in + 2 * p - 1)
    recall(size, [(fits, fits_meaning)])
    size.step(H_out, "=", Sum(fits, (q, 0, h_in + 2 * p - 1)), ("count the windows ", q, " that fit, one by one"))

    part.say(
        "Some products multiply a weight by a padding zero. To exclude them, count per axis the pairs "
        "(output position ", q, ", tap ", t, ") whose input position ", q * s - p + t * d, " lies inside "
        "the input of length ", n, ". For stride and dilation 1 (all of AlexNet's padded layers) that "
        "position is ", q + t - p, ", and the pairs that miss the input form two triangles, one per side:")
    pad = part.derivation(PADDING, "padding")
    pad.supplement = "the pairs that read the left and the right padding, two triangles, counted"
    pad.define(N_out, n + 2 * p - k + 1, ("the output size for ", sp.Eq(s, 1), " and ", sp.Eq(d, 1)))
    pairs = ((q, 0, N_out - 1), (t, 0, k - 1))
    left, left_meaning = indicator(None, q + t - p, -1)
    right, right_meaning = indicator(n, q + t - p, None)
    reads, reads_meaning = indicator(0, q + t - p, n - 1)
    recall(pad, [(left, left_meaning), (right, right_meaning), (reads, reads_meaning)])
    pad.define(L_pad, Sum(left, *pairs), "pairs that read the left padding")
    pad.then("=", p * (p + 1) / 2, ("the pairs with ", q + t <= p - 1, ": a triangle with sides ", p,
                                    ", as ", sp.Le(p, k), " and ", sp.Le(p, N_out)))
    pad.define(R_pad, Sum(right, *pairs), "pairs that read the right padding")
    pad.then("=", p * (p + 1) / 2, ("the mirror image, under ", q, " to ", N_out - 1 - q, " and ", t,
                                    " to ", k - 1 - t))
    pad.define(V, Sum(reads, *pairs), "pairs that read the input")
    pairs_step = pad.then("=", N_out * k - p * (p + 1),
                          ("all ", N_out * k, " pairs but the two triangles ", L_pad, " and ", R_pad),
                          unproved="the bracket is two-sided, so which bound limits the taps depends on "
                                   "whether n >= k; derive's bracket sums do not split cases on the sizes")
    part.result("p2.a.padding.pairs", "per axis, (output, tap) pairs that read the input (stride and dilation 1)",
                pairs_step, lhs=V)
    part.say(
        "Without padding every pair reads the input, at any stride: ", sp.Eq(V, N_out * k), ". With "
        "padding excluded a conv layer performs ", c_out * c_in * V_h * V_w / g, " multiply-adds, with ",
        "one count ", V, " per axis.")


def alexnet(part: Part, count: NetworkCount) -> None:
    network = count.network
    convs, linears = _convs(network), _linears(network)
    conv, linear = count.by_kind["conv"], count.by_kind["linear"]
    macs_of = {row.name: row.macs for row in count.layers}

    part.say("The course's convention: one operation per multiply-add pair, biases ignored, products "
             "with padding zeros included. The shapes follow from the size formula of (a) with "
             "dilation 1 (conv4 and conv5 repeat conv3's):")
    shapes = part.derivation(NUMBERS, "shape")
    shapes.supplement = "the output sizes of every conv and pooling layer from the size formula of (a)"
    seen = set()
    for layer in network.layers:
        if not isinstance(layer.op, (Conv2d, MaxPool2d)):
            continue
        op = layer.op
        key = (layer.in_shape[1], op.kernel_size[0], op.stride[0], op.padding[0])
        if key in seen:
            continue
        seen.add(key)
        shapes.step(size_with_numbers(*key), "=", sp.Integer(layer.out_shape[1]),
                    f"{layer.name}: the height (and width) of its output")
    flat = next(layer for layer in network.layers if layer.type == "flatten")
    shapes.step(product(*flat.in_shape), "=", sp.Integer(flat.out_shape[0]),
                "the features entering fc1")

    rows = []
    for row in count.layers:
        if row.kind in ("conv", "linear"):
            rows.append((row.name, " × ".join(str(x) for x in row.out_shape), row.params, row.macs,
                         percent(Fraction(row.macs, count.totals.macs))))
    rows.append(("five convolutions", "", conv.params, conv.macs, percent(count.share("conv", "macs"))))
    rows.append(("three linear layers", "", linear.params, linear.macs, percent(count.share("linear", "macs"))))
    rows.append(("total", "", count.totals.params, count.totals.macs, percent(Fraction(1))))
    part.table("AlexNet: parameters and multiply-adds per layer (counting engine)",
               ("layer", "output", "parameters", "MACs", "share of MACs"), rows, align="llrrr")
    part.figure("shares", "Each layer's share of the parameters and of the multiply-adds, in percent "
                "(from the counting engine's figures in the table above).", **share_figure(count))

    part.say("Each layer's multiply-adds, ", c_out * h_out * w_out * c_in * k_h * k_w / g, " (",
             sp.Eq(g, 1), " throughout) or ", n_in * n_out, ", multiplied out and compared with the "
             "counting engine's integers:")
    chain = part.derivation(NUMBERS, "macs")
    chain.supplement = ("each layer's multiply-adds multiplied out and summed; the totals are "
                        "the three boxes below")
    for layer in convs:
        chain.define(layer_symbol("M", layer), conv_macs(layer),
                 f"{layer.name}: {layer.in_shape[0]} channels in, kernel {layer.op.kernel_size[0]}")
        chain.then("=", sp.Integer(macs_of[layer.name]))
    for layer in linears:
        chain.define(layer_symbol("M", layer), linear_macs(layer), f"{layer.name}")
        chain.then("=", sp.Integer(macs_of[layer.name]))
    names = dict(mac_definitions(network))
    chain.define(M_CONV, names[M_CONV], "the five convolutions")
    conv_total = chain.then("=", sp.Integer(conv.macs))
    chain.define(M_LINEAR, names[M_LINEAR], "the three linear layers")
    linear_total = chain.then("=", sp.Integer(linear.macs))
    chain.define(M_TOTAL, names[M_TOTAL], "the whole forward pass")
    grand = chain.then("=", sp.Integer(count.totals.macs))
    part.result("p2.conv.macs", "multiply-adds of the five conv layers", conv_total, lhs=M_CONV)
    part.result("p2.linear.macs", "multiply-adds of the three linear layers", linear_total, lhs=M_LINEAR)
    part.result("p2.total.macs", "multiply-adds of the forward pass", grand, lhs=M_TOTAL)

    part.say("Counting a multiplication and an addition separately (two floating-point operations per "
             "multiply-add, as PyTorch's FlopCounterMode does) doubles every figure:")
    f = part.derivation(NUMBERS, "flops")
    recall(f, mac_definitions(network))
    f.define(F_CONV, 2 * M_CONV, "a multiplication and an addition per multiply-add")
    conv_flops = f.then("=", sp.Integer(2 * conv.macs))
    f.define(F_LINEAR, 2 * M_LINEAR, "likewise")
    linear_flops = f.then("=", sp.Integer(2 * linear.macs))
    part.result("p2.conv.flops", "operations of the conv layers, two per multiply-add", conv_flops, lhs=F_CONV)
    part.result("p2.linear.flops", "operations of the linear layers, two per multiply-add", linear_flops,
                lhs=F_LINEAR)

    part.say("The shares of the work, as exact fractions. Counting two operations per multiply-add "
             "doubles every layer's figure, so these shares hold for that convention too; counting "
             "biases, counting strictly or excluding padding changes the layers by different amounts, "
             "and the shares move a little, as (c) shows:")
    share = part.derivation(NUMBERS, "share")
    recall(share, mac_definitions(network))
    conv_share, linear_share = count.share("conv", "macs"), count.share("linear", "macs")
    conv_percent = share.step(100 * M_CONV / M_TOTAL, "=", _as_rational(100 * conv_share),
                              "the conv layers' share of the multiply-adds, in percent")
    rounding_bounds(share, 100 * M_CONV / M_TOTAL, 100 * conv_share)
    rounding_bounds(share, 100 * M_LINEAR / M_TOTAL, 100 * linear_share)
    part.result("p2.conv.percent", "percentage of the multiply-adds done by the conv layers", conv_percent,
                lhs=100 * M_CONV / M_TOTAL)

    part.say("The parameters, with ", c_out * (c_in * k_h * k_w / g + 1), " per conv layer, as in (a), "
             "and ", n_in * n_out + n_out, " per linear layer:")
    wd = part.derivation(NUMBERS, "params")
    wd.supplement = "each layer's parameters multiplied out, summed, and the shares in percent"
    for layer in convs:
        wd.define(layer_symbol("W", layer), conv_params(layer), layer.name)
    for layer in linears:
        wd.define(layer_symbol("W", layer), linear_params(layer), layer.name)
    wd.define(W_CONV, sum(layer_symbol("W", layer) for layer in convs), "the five convolutions")
    wd.then("=", sp.Integer(conv.params))
    wd.define(W_LINEAR, sum(layer_symbol("W", layer) for layer in linears), "the three linear layers")
    wd.then("=", sp.Integer(linear.params))
    wd.define(W_TOTAL, W_CONV + W_LINEAR, "every trainable parameter")
    wd.then("=", sp.Integer(count.totals.params), "the course's figure")
    params_conv_share, params_linear_share = count.share("conv", "params"), count.share("linear", "params")
    params_conv = wd.step(100 * W_CONV / W_TOTAL, "=", _as_rational(100 * params_conv_share), "in percent")
    rounding_bounds(wd, 100 * W_CONV / W_TOTAL, 100 * params_conv_share)
    params_linear = wd.step(100 * W_LINEAR / W_TOTAL, "=", _as_rational(100 * params_linear_share), "in percent")
    rounding_bounds(wd, 100 * W_LINEAR / W_TOTAL, 100 * params_linear_share)
    part.result("p2.params.conv", "percentage of the trainable parameters in the conv layers", params_conv,
                lhs=100 * W_CONV / W_TOTAL)
    part.result("p2.params.linear", "percentage of the trainable parameters in the linear layers",
                params_linear, lhs=100 * W_LINEAR / W_TOTAL)

    reuse = {layer.name: _elements(layer.out_shape[1:]) for layer in convs}
    part.say(
        f"So the linear layers hold {percent(params_linear_share)} of the parameters but do only "
        f"{percent(linear_share)} of the operations, while the convolutions, with "
        f"{percent(params_conv_share)} of the parameters, do {percent(conv_share)} of them. A weight "
        f"of a linear layer is used once per image; a conv weight is used at every output position "
        f"({reuse['conv1']} times in conv1, {reuse['conv5']} in conv5). The linear layers are "
        f"parameter-heavy, not compute-heavy.")


def conventions(part: Part, counts: dict[str, NetworkCount]) -> None:
    course = counts["course"]
    network = course.network
    convs, linears = _convs(network), _linears(network)

    def operations(count: NetworkCount, kind: str | None, separate: bool) -> int:
        totals = count.totals if kind is None else count.by_kind[kind]
        return totals.mults + totals.adds if separate else totals.macs

    variants = (
        ("multiply-adds, biases ignored (course)", counts["course"], False),
        ("2 × MAC (PyTorch FlopCounterMode)", counts["course"], True),
        ("mults + adds, with bias additions", counts["bias"], True),
        ("mults + adds, strict ($P − 1$ adds)", counts["strict"], True),
        ("mults + adds, strict, with bias", counts["strict+bias"], True),
        ("multiply-adds, padding excluded", counts["padding"], False),
        ("mults + adds, strict, bias, no padding", counts["literal"], True),
    )
    rows = []
    for name, count, separate in variants:
        conv_ops, all_ops = operations(count, "conv", separate), operations(count, None, separate)
        rows.append((name, conv_ops, operations(count, "linear", separate), all_ops,
                     percent(Fraction(conv_ops, all_ops))))
    shares = [Fraction(row[1], row[3]) for row in rows]
    part.say("The same network under each convention in use. Every row is exact; the rows differ only "
             "in what is counted as an operation, so a published figure means little without its "
             f"convention. The convolutions' share moves between {percent(min(shares))} and "
             f"{percent(max(shares))}: the conclusion does not depend on the convention.")
    part.table("AlexNet's forward pass: operations under each convention (counting engine)",
               ("convention", "conv", "linear", "total", "conv share"), rows, align="lrrrr")

    part.say("The rows follow from the formulas of (a). With ", O_CONV, " and ", O_LINEAR, " the numbers "
             "of output elements, the strict count has one addition fewer per output element and the "
             "count with biases one more:")
    chain = part.derivation(NUMBERS, "outputs")
    chain.supplement = "the output elements of the conv and linear layers, and the additions they add or remove"
    recall(chain, mac_definitions(network))
    chain.define(O_CONV, output_elements(convs), "outputs of the convolutions, by map size")
    chain.then("=", sp.Integer(sum(_elements(layer.out_shape) for layer in convs)))
    chain.define(A_CONV_STRICT, M_CONV - O_CONV, "strict additions of the conv layers")
    chain.then("=", sp.Integer(counts["strict"].by_kind["conv"].adds))
    chain.define(A_CONV_BIAS, M_CONV + O_CONV, "additions of the conv layers with biases")
    chain.then("=", sp.Integer(counts["bias"].by_kind["conv"].adds))
    chain.define(O_LINEAR, total(*(layer.op.out_features for layer in linears)), "outputs of the linear layers")
    chain.then("=", sp.Integer(sum(layer.op.out_features for layer in linears)))
    chain.define(A_LINEAR_BIAS, M_LINEAR + O_LINEAR, "additions of the linear layers with biases")
    chain.then("=", sp.Integer(counts["bias"].by_kind["linear"].adds))

    unpadded = [layer for layer in convs if not _axis(layer)[3]]
    kept = [f"{layer.name} keeps all {_axis(layer)[1]} × {_axis(layer)[2]} pairs per axis" for layer in unpadded]
    part.say("Excluding padding: ", "; ".join(kept), " (it has no padding). For the padded layers the "
             "count ", V, " of (a) is enumerated here at the true sizes, and the sum over the layers of ",
             c_out * c_in * V_h * V_w / g, " is compared with the engine:")
    e = part.derivation(NUMBERS, "padding")
    e.supplement = "the products with padding zeros removed, layer by layer, against the counting engine"
    axes: dict[tuple[int, int, int], sp.Expr] = {}
    for layer in convs:
        size, out, kernel, pad = _axis(layer)
        if pad and (size, kernel, pad) not in axes:
            pairs = named(f"p2_V_{size}_{kernel}_{pad}", rf"V({size},{kernel},{pad})")
            enumeration, bracket, meaning = padding_pairs(size, kernel, pad, out)
            recall(e, [(bracket, meaning)])
            e.define(pairs, enumeration, ("n = ", size, ", k = ", kernel, ", p = ", pad))
            e.then("=", sp.Integer(out * kernel - pad * (pad + 1)),
                   ("as ", N_out * k - p * (p + 1), " = ", product(out, kernel), " - ", product(pad, pad + 1)))
            axes[(size, kernel, pad)] = pairs
    excluded = []
    for layer in convs:
        size, out, kernel, pad = _axis(layer)
        pairs = axes[(size, kernel, pad)] if pad else sp.Integer(out * kernel)
        term = layer_symbol("E", layer)
        e.define(term, product(layer.op.out_channels, layer.op.in_channels // layer.op.groups,
                               sp.Pow(pairs, 2, evaluate=False)), layer.name)
        excluded.append(term)
    e.define(E_CONV, sum(excluded), "the five convolutions, padding excluded")
    e.then("=", sp.Integer(counts["padding"].by_kind["conv"].macs))


def share_figure(count: NetworkCount) -> dict:
    """Per conv and linear layer, its percentage of the parameters and of the multiply-adds."""
    layers = [row for row in count.layers if row.kind in ("conv", "linear")]
    return {
        "labels": [row.name for row in layers],
        "params": [(index, 100 * row.params / count.totals.params) for index, row in enumerate(layers, 1)],
        "macs": [(index, 100 * row.macs / count.totals.macs) for index, row in enumerate(layers, 1)],
    }


def _convs(network: Network) -> list[Layer]:
    return [layer for layer in network.layers if isinstance(layer.op, Conv2d)]


def _linears(network: Network) -> list[Layer]:
    return [layer for layer in network.layers if isinstance(layer.op, Linear)]


def _axis(layer: Layer) -> tuple[int, int, int, int]:
    """Input size, output size, kernel and padding along the height (AlexNet is square)."""
    op = layer.op
    assert isinstance(op, Conv2d)
    return layer.in_shape[1], layer.out_shape[1], op.kernel_size[0], op.padding[0]


def _decimal(bound: Fraction) -> sp.Float:
    """A bound with three decimals as a 40-digit Float, shown as 91.785."""
    return sp.Float(f"{float(bound):.3f}", 40)


def _as_rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _elements(shape: tuple[int, ...]) -> int:
    result = 1
    for size in shape:
        result *= size
    return result
