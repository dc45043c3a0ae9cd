"""Problem 5: fully-connected layers as convolutions, and Net2 as Net1 slid over every window.

(a) A linear layer reading a flattened C × H × W map is a convolution whose kernel covers the
whole map: flatten's index t = τ(c, r, s) is a bijection, so the single sum over t is the triple
sum over (c, r, s) that an H × W kernel computes at its one output position. With H = W = 1 the
same reshape turns a linear layer on a vector into a 1 × 1 convolution.
(b) A stride-1 unpadded convolution commutes with cropping (and so does ReLU), so Net2 on a
larger input computes Net1 on every 32 × 32 window; the output sizes follow from n − k + 1.

Arrays are SymPy functions printed with subscripts (``K_{c,r,s}``) and defined as maps
(``K ≔ (c, r, s) ↦ a_{τ(c,r,s)}``): the checker substitutes the map, so a shifted entry such as
``X_{c, i+r−1, j+s−1}`` is evaluated correctly. Figures measured with torch and the cost table
come from :mod:`derive.documents.hw7.p5_figures`.
"""

from __future__ import annotations

import sympy as sp
from sympy import Lambda, Max, Sum
from sympy.core.function import FunctionClass

from derive import Integer, Part, Problem, Real, RealVector, assume, named
from derive.documents.hw7 import p5_figures

C, H, W, n, k = sp.symbols("C H W n k", integer=True, positive=True)
m_, n_ = sp.symbols("m n", integer=True, positive=True)  # the window's height and width
h, w = sp.symbols("h w", integer=True, positive=True)
c, r, s, t, i, j, p, q, u, v = sp.symbols("c r s t i j p q u v", integer=True, positive=True)
# Window corners start at 0: a positive index there would let SymPy assume i ≥ 1 in the sum.
i0, j0 = sp.symbols("i j", integer=True, nonnegative=True)
a = sp.IndexedBase("a", real=True)  # row o of the linear layer's weight
x = sp.IndexedBase("x", real=True)  # the flattened feature map
kappa = sp.IndexedBase("kappa", real=True)  # the entries of a k × k kernel, in flatten's order
xi = sp.IndexedBase("xi", real=True)  # the entries of an h × w map, in flatten's order
bias = named("p5_b_o", "b_{o}", real=True)
y_o = named("p5_y_o", "y_{o}")
positions = named("p5_positions", r"N(h,w)")


class _EntryClass(FunctionClass):
    """Metaclass of array-like functions: the bare class prints as its display name."""

    def __repr__(cls) -> str:
        return getattr(cls, "display", cls.__name__)


def array(class_name: str, display: str, *, brackets: bool = False) -> type[sp.Function]:
    """A SymPy function printed like an array entry: ``display_{args}`` (``display(args)`` with
    ``brackets``). It stays unevaluated until a definition replaces it by a Lambda.

    ``display`` must start with a backslash (``\\tau``, ``\\mathrm{K}``) or be one letter, so that
    SymPy prints the bare class, in a definition's left-hand side, exactly as written.
    """

    def _latex(self: sp.Function, printer) -> str:
        arguments = ",".join(printer._print(arg) for arg in self.args)
        return f"{display}({arguments})" if brackets else f"{display}_{{{arguments}}}"

    namespace = {"display": display, "_latex": _latex, "__module__": __name__,
                 "__doc__": f"The array {display} of Problem 5, defined by a map."}
    return _EntryClass(class_name, (sp.Function,), namespace)


# (a): flatten's index, the kernel, the map and the convolution at one position.
tau = array("P5Tau", r"\tau", brackets=True)
K = array("P5Kernel", "K")
X = array("P5Map", "X")
K_star_X = array("P5Corr", r"\left(K \star X\right)")
# (b): a k × k kernel, an h × w map, its window at (i, j), and ReLU of the map.
Kb = array("P5KernelB", "K")
Xb = array("P5MapB", "X")
window = array("P5Window", r"\tilde{X}")
Kb_star_X = array("P5CorrB", r"\left(K \star X\right)")
Kb_star_window = array("P5CorrWindow", r"\left(K \star \tilde{X}\right)")
relu_X = array("P5Relu", r"\mathrm{ReLU}(X)")
out = array("P5Out", r"\lambda", brackets=True)  # not o: o is an output of (a)
side = array("P5Side", r"\ell", brackets=True)

#: Net1's layers as (name, kernel size) on the way from the input to one logit position.
LAYER_KERNELS: tuple[tuple[str, int], ...] = (
    ("conv1", 7), ("conv2", 3), ("conv3", 3), ("conv4", 3), ("conv5", 3),
    ("fc1 as a convolution", 18), ("fc2 as a convolution", 1), ("fc3 as a convolution", 1),
)


def flat_index(height: sp.Expr, width: sp.Expr) -> Lambda:
    """Flatten's position of entry (c, r, s) of a map with rows of ``width`` (1-based)."""
    return Lambda((c, r, s), (c - 1) * height * width + (r - 1) * width + s)


def triple_sum(body: sp.Expr, channels: sp.Expr, height: sp.Expr, width: sp.Expr) -> Sum:
    """Σ_c Σ_r Σ_s body over a kernel's channels, rows and columns, as nested sums (so the sum
    over c is outermost, as displayed, and a sum over a single row or column collapses)."""
    return Sum(Sum(Sum(body, (s, 1, width)), (r, 1, height)), (c, 1, channels))


def problem() -> Problem:
    pr = Problem(5, "A larger network in network", ((
        "Net1 classifies 3 × 32 × 32 images: five unpadded stride-1 convolutions with kernels "
        "7, 3, 3, 3, 3 (ReLU between them) take the map from 32 to 18 pixels a side; flatten and "
        "the classifier Linear(256 · 18 · 18 → 4096), ReLU, Linear(4096 → 4096), ReLU, "
        "Linear(4096 → 10) follow. Net2 keeps the features and replaces the classifier with "
        "Conv2d(256 → 4096, kernel 18), ReLU, Conv2d(4096 → 4096, kernel 1), ReLU, "
        "Conv2d(4096 → 10, kernel 1). Show that Net2 with Net1's weights reshaped computes Net1 "
        "(a), and that on an $h × w$ input it computes Net1 on every 32 × 32 window (b)."
    ),))
    linear_as_convolution(pr.part("a", "A linear layer is a convolution with a whole-map kernel"))
    sliding_windows(pr.part("b", "On larger inputs Net2 is Net1 slid over every window"))
    return pr


def linear_as_convolution(part: Part) -> None:
    part.say(
        "Each output $o$ of a linear layer is computed by its own row of the weight matrix, so it "
        "is enough to treat one: let ", a[t], " be the entries of row $o$, ", bias, " its bias, "
        "and ", x[t], " the input, the flattened $C × H × W$ feature map $X$. Flatten reads $X$ channel "
        "by channel, each channel row by row, so entry $(c, r, s)$ lands at position ", tau(c, r, s),
        ". First, this position runs through $1, …, CHW$ exactly once:",
    )
    sizes = (Integer(C, 1, 3), Integer(H, 1, 3), Integer(W, 1, 3))
    bijection = part.derivation(assume(*sizes, Integer(c, 1, C), Integer(r, 1, H), Integer(s, 1, W)),
                                "flatten")
    bijection.define(tau, flat_index(H, W), "flatten's position of entry $(c, r, s)$")
    bijection.step(tau(1, 1, 1), "=", sp.Integer(1), "the first entry comes first")
    bijection.step(tau(C, H, W), "=", C * H * W, "the last entry comes last")
    bijection.step(tau(c, r, s + 1), "=", tau(c, r, s) + 1, "the next column is the next position")
    bijection.step(tau(c, r + 1, 1), "=", tau(c, r, W) + 1, "the next row follows the end of a row")
    bijection.step(tau(c + 1, 1, 1), "=", tau(c, H, W) + 1,
                             "the next channel follows the end of a channel")
    part.argue(
        "Listing the triples $(c, r, s)$ in flatten's order ($s$ fastest, then $r$, then $c$), the last "
        "three steps say that each position is one more than the last, and the first two that they "
        "start at 1 and end at $CHW$. "
        "So the $CHW$ triples take the $CHW$ positions $1, …, CHW$ once each: $τ$ is a bijection, and "
        "a sum over $t$ is the same sum over $(c, r, s)$. Reshaping row $o$ into an $H × W$ kernel and "
        "un-flattening $x$ into $X$ are the definitions below.",
    )
    d = part.derivation(assume(
        *sizes, RealVector(a, C * H * W), RealVector(x, C * H * W), Real(bias),
        "$a$ is row $o$ of the weight matrix and $x$ the flattened map",
    ))
    d.define(tau, flat_index(H, W), "flatten's position of entry $(c, r, s)$")
    d.define(K, Lambda((c, r, s), a[tau(c, r, s)]), "row $o$ reshaped into an $H × W$ kernel")
    d.define(X, Lambda((c, r, s), x[tau(c, r, s)]), "the feature map before flatten")
    d.define(K_star_X, Lambda((u, v), triple_sum(K(c, r, s) * X(c, u + r - 1, v + s - 1), C, H, W)),
             "the convolution (cross-correlation, as Conv2d computes it) at output position $(u, v)$")
    d.define(y_o, Sum(a[t] * x[t], (t, 1, C * H * W)) + bias, "output $o$ of the linear layer")
    d.step(y_o, "=", triple_sum(a[tau(c, r, s)] * x[tau(c, r, s)], C, H, W) + bias,
           "sum over $τ(c, r, s)$ instead of $t$: $τ$ is a bijection onto $1, …, CHW$")
    d.then("=", triple_sum(K(c, r, s) * X(c, r, s), C, H, W) + bias, "the definitions of $K$ and $X$")
    linear = d.then("=", K_star_X(1, 1) + bias,
                    "the kernel is as large as the map, so $(1, 1)$ is its only output position")
    part.result("p5.a.linear_is_conv", "output o of the linear layer on the flattened map is the "
                "convolution with the reshaped kernel at its single output position", linear, lhs=y_o)
    part.say(
        "The only position follows from the size rule of part (b): an ", H, " × ", W, " kernel fits ",
        sp.Add(H, -H, 1, evaluate=False), " = 1 times down and across. A linear layer on a vector of ",
        C, " entries is the case ", sp.Eq(H, 1), ", ", sp.Eq(W, 1), " of the same statement: the vector is a ",
        C, " × 1 × 1 map and the kernel 1 × 1.",
    )
    vector = part.derivation(d.assumptions, "vector")
    vector.supplement = "the same steps with $H = W = 1$: a 1 × 1 convolution on a $C × 1 × 1$ map"
    vector.define(tau, flat_index(H, W), "flatten's position of entry $(c, r, s)$")
    vector.define(K, Lambda((c, r, s), a[tau(c, r, s)]), "row $o$ reshaped into a kernel")
    vector.define(X, Lambda((c, r, s), x[tau(c, r, s)]), "the map before flatten")
    vector.define(K_star_X, Lambda((u, v), triple_sum(K(c, r, s) * X(c, u + r - 1, v + s - 1), C, H, W)),
                  "the convolution at output position $(u, v)$")
    vector.step(sp.Subs(tau(c, r, s), (H, W, r, s), (1, 1, 1, 1)), "=", c,
                "on a $C × 1 × 1$ map flatten keeps the order of the channels",
                assumptions=assume(Integer(c, 1, C)))
    one_by_one = vector.step(sp.Subs(K_star_X(1, 1), (H, W), (1, 1)), "=", Sum(a[c] * x[c], (c, 1, C)),
                             "so a 1 × 1 convolution is the linear layer on the vector")
    part.result("p5.a.one_by_one", "a 1 × 1 convolution on a C × 1 × 1 map is the linear layer "
                "on the vector of its C entries", one_by_one)
    part.argue(
        "ReLU acts entry by entry, and a vector of 4096 entries and a 4096 × 1 × 1 map hold the "
        "same entries, so taking the maximum with 0 gives the same numbers either way. Hence, with "
        "the features copied, the first linear weight reshaped to 4096 × 256 × 18 × 18 (the boxed "
        "result with ", C, " = 256, ", H, " = ", W, " = 18), the other two reshaped to 1 × 1 kernels "
        "and the biases copied, every layer of Net2 computes what the matching layer of Net1 "
        "computes: Net2 equals Net1 on 3 × 32 × 32 inputs, its $B × 10 × 1 × 1$ output holding Net1's "
        "$B × 10$ logits. In code (the functions this build runs for its checks; each linear weight is "
        "reshaped in one call, in flatten's order):",
    )
    net2_code(part)
    p5_figures.show_same_output(part)


TORCH_HELPERS = "derive.documents.hw7.net_in_net_torch"


def net2_code(part: Part) -> None:
    """Net2's classifier and the weight copy, as the build runs them (imported when rendered)."""
    part.listing("Net2's classifier and the copy of Net1's weights",
                 f"{TORCH_HELPERS}:_classifier", f"{TORCH_HELPERS}:net2_from_net1")


def sliding_code(part: Part) -> None:
    part.listing("The comparison with Net1 on every window", f"{TORCH_HELPERS}:check_sliding_windows")


def windows_figure(part: Part, height: int, width: int, rows: int, cols: int) -> None:
    """32 × 32 windows at three corners of an h × w input and their cells of the output grid."""
    size = 32
    corners = ((0, 0, "blue"), (rows - 1, cols - 1, "red"), (rows // 2, cols // 2, "orange!80!black"))
    part.figure("windows", (f"Net2 on a {height} × {width} input: the window with corner $(i, j)$ "
                            f"gives output $(i, j)$ of the $(h − 31) × (w − 31) = {rows} × {cols}$ grid."),
                unit=0.07, height=height, width=width, size=size, width_mid=width / 2,
                grid_shift=width * 0.085 + 1.5, grid_scale=3.2, rows=rows, cols=cols, cols_mid=cols / 2,
                windows=[{"left": j, "bottom": height - i - size, "row": rows - 1 - i, "col": j,
                          "colour": colour} for i, j, colour in corners])


def sliding_windows(part: Part) -> None:
    part.say(
        "A stride-1 unpadded convolution of an ", h, " × ", w, " map with a ", k, " × ", k,
        " kernel has an output entry for every placement of the kernel inside the map. Along one "
        "axis of length ", h, " the kernel's first row can sit at ", sp.Tuple(1, sp.Symbol("…"), h - k + 1), ":",
    )
    rule = part.derivation(assume(Integer(h, 1, 40), Integer(k, 1, h)), "size")
    rule.step(Sum(1, (i, 1, h - k + 1)), "=", h - k + 1, "one output per placement")
    part.say("Through Net2's layers, then, an input side of $h$ pixels shrinks as follows (the same holds "
             "for the width $w$):")
    chain = part.derivation(assume(Integer(h, 32, 64), Integer(w, 32, 64)), "sizes")
    chain.supplement = ("the side through each of Net2's eight layers, composed: an input side $h$ "
                        "leaves $h − 31$ positions; the sheet's 36 × 38 input leaves 5 × 7 = 35")
    chain.define(out, Lambda((h, k), h - k + 1), "the output length by the size rule above")
    length = h
    for name, kernel in LAYER_KERNELS:
        chain.step(out(length, kernel), "=", length - kernel + 1, name)
        length = length - kernel + 1
    composed = h
    for _, kernel in LAYER_KERNELS:
        composed = out(composed, kernel)
    chain.define(side, Lambda(h, composed), "the output length of Net2 for an input length $h$")
    side_step = chain.step(side(h), "=", h - 31, "the steps above, one after another")
    chain.step(side(32), "=", sp.Integer(1), "Net1's own 32 × 32 input gives one output position")
    chain.define(positions, side(h) * side(w), "the number of output positions of Net2 on an $h × w$ input")
    count = chain.step(positions, "=", (h - 31) * (w - 31), "rows times columns")
    part.result("p5.out_size", "the number of output positions of Net2 on an h × w input "
                "(an (h − 31) × (w − 31) grid)", count)
    windows = chain.step(Sum(1, (i0, 0, h - 32), (j0, 0, w - 32)), "=", positions,
                         "one output per 32 × 32 window with corner $(i, j)$")
    chain.step(side(36), "=", sp.Integer(5), "the sheet's 36 × 38 input: 5 rows …")
    chain.step(side(38), "=", sp.Integer(7), "… and 7 columns")
    chain.step(sp.Subs(positions, (h, w), (36, 38)), "=", sp.Integer(35), "35 outputs, one per window")
    part.say(
        "There is one output per 32 × 32 window. That the output at $(i, j)$ is Net1's output on the "
        "window with corner $(i, j)$ is translation equivariance: convolving a window of ",
        "the map gives the matching window of the convolution of the map. Write the ", m_, " × ", n_,
        " window with corner $(i, j)$, 1-based, as below:",
    )
    equivariance(part)
    sheet = {h: 36, w: 38}
    windows_figure(part, 36, 38, int(side_step.rhs.subs(h, 36)), int(side_step.rhs.subs(h, 38)))
    p5_figures.show_costs(part, 36, 38, int(count.rhs.subs(sheet)))


def equivariance(part: Part) -> None:
    shapes = assume(
        Integer(C, 1, 2), Integer(k, 1, 3), Integer(m_, k, 5), Integer(n_, k, 5),
        Integer(h, m_, 7), Integer(w, n_, 7),
        Integer(i, 1, h - m_ + 1), Integer(j, 1, w - n_ + 1),
        Integer(p, 1, m_ - k + 1), Integer(q, 1, n_ - k + 1),
        RealVector(kappa, C * k * k), RealVector(xi, C * h * w),
        "the kernel and the map are arbitrary: their entries, in flatten's order, are any reals",
    )
    d = part.derivation(shapes, "shift")
    d.define(Kb, Lambda((c, r, s), kappa[flat_index(k, k)(c, r, s)]), "a $C × k × k$ kernel")
    d.define(Xb, Lambda((c, r, s), xi[flat_index(h, w)(c, r, s)]), "a $C × h × w$ map")
    d.define(window, Lambda((c, r, s), Xb(c, i + r - 1, j + s - 1)),
             "the $m × n$ window of $X$ with corner $(i, j)$")
    d.define(Kb_star_X, Lambda((u, v), triple_sum(Kb(c, r, s) * Xb(c, u + r - 1, v + s - 1), C, k, k)),
             "the convolution of the map")
    d.define(Kb_star_window,
             Lambda((u, v), triple_sum(Kb(c, r, s) * window(c, u + r - 1, v + s - 1), C, k, k)),
             "the convolution of the window")
    d.step(Kb_star_X(i + p - 1, j + q - 1), "=",
           triple_sum(Kb(c, r, s) * Xb(c, i + p + r - 2, j + q + s - 2), C, k, k),
           "the convolution of $X$ at the shifted position")
    d.then("=", triple_sum(Kb(c, r, s) * window(c, p + r - 1, q + s - 1), C, k, k),
           "the entries of $X$ that the kernel meets lie in the window")
    shift = d.then("=", Kb_star_window(p, q), "the convolution of the window at $(p, q)$")
    part.result("p5.b.shift", "a stride-1 unpadded convolution commutes with cropping: the output "
                "of the window at (p, q) is the output of the map at (i + p - 1, j + q - 1)", shift,
                lhs=Kb_star_X(i + p - 1, j + q - 1))
    relu = part.derivation(assume(
        Integer(C, 1, 2), Integer(m_, 1, 3), Integer(n_, 1, 3), Integer(h, m_, 5), Integer(w, n_, 5),
        Integer(i, 1, h - m_ + 1), Integer(j, 1, w - n_ + 1),
        Integer(c, 1, C), Integer(r, 1, m_), Integer(s, 1, n_), RealVector(xi, C * h * w),
    ), "relu")
    relu.supplement = "ReLU commutes with cropping: the window of ReLU of the map is ReLU of the window"
    relu.define(Xb, Lambda((c, r, s), xi[flat_index(h, w)(c, r, s)]), "a $C × h × w$ map")
    relu.define(window, Lambda((c, r, s), Xb(c, i + r - 1, j + s - 1)), "its window with corner $(i, j)$")
    relu.define(relu_X, Lambda((c, r, s), Max(0, Xb(c, r, s))), "ReLU of the map, entry by entry")
    commutes = relu.step(relu_X(c, i + r - 1, j + s - 1), "=", Max(0, window(c, r, s)),
                         "the window of $\\mathrm{ReLU}(X)$ is ReLU of the window")
    part.argue(
        "A bias adds the same number at every position, so it commutes with cropping too. Now follow "
        "a 32 × 32 window with corner $(i, j)$ through Net2. By the boxed result (for every $p$ and $q$) "
        "and ReLU's cropping (checked in the companion), each layer's output on the window is the window with the "
        "same corner $(i, j)$ of that layer's output on the whole input; a ", k, " × ", k,
        " kernel makes it ", k - 1, " rows and ", k - 1, " columns smaller in total, until the "
        "kernel-18 layer leaves a single position: $(i, j)$. So Net2 at $(i, j)$ is Net2 on the window, "
        "which is Net1 on the window by part (a). In the sheet's 0-based slicing (corner $(i + 1, j + 1)$ above), "
        "Net2(X)[:, :, i, j] = Net1(X[:, :, i:i+32, j:j+32]) for ", sp.Le(0, i, evaluate=False), " ≤ ",
        h - 32, " and ", sp.Le(0, j, evaluate=False), " ≤ ", w - 32, "; the build checks it window "
        "by window:",
    )
    sliding_code(part)
    p5_figures.show_sliding_windows(part)
