"""Problem 3's measured figures: how closely folded networks reproduce the sheet's BN network.

Everything here runs torch (through :mod:`derive.documents.hw7.smallnet`) and is cached with
:func:`derive.core.measurements.measured`, so a build with an unchanged key neither imports
torch nor runs a network. Each figure group's key names the code version, the torch version and
every setting it depends on. Without torch, :func:`collect` raises ``Unavailable`` and the
content prints a note instead of the tables.

Two deliberately wrong folds live here (not in the tests) because the PDF reports what they do:
the classic unscaled-bias fold and a fold that forgets ε. Both go through the same pipeline as
the right one (``fold_smallnet(net, mode, fold=...)``), so only the formula differs.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

from derive import Unavailable, measured, single_threaded, torch_version
from derive.nn import fold_bn

# Bump when what a figure means or how it is computed changes, so old cached figures go.
FIGURES_VERSION = "p3-figures-3"  # 2: the sheet's test is a batch sum, batches of 100; 3: 2 batches

# The fold modes and wrong folds the PDF reports, in table order.
WRONG_FOLD_RUNS: tuple[tuple[str, bool, str], ...] = (
    # (wrong fold, conv/linear biases kept non-zero, fold mode)
    ("unscaled bias", True, "float32"),
    ("unscaled bias", False, "float32"),
    ("epsilon forgotten", True, "float32"),
    ("epsilon forgotten", True, "float64"),
)


@dataclass(frozen=True)
class PrecisionSettings:
    """What the measured figures depend on besides the code and torch: inputs and the state.

    2 batches of 100 synthetic CIFAR-like images (100: the sheet's batch size, which its batch-sum
    test depends on; the figures are maxima over batches and moved by under 10 % from 4 batches to
    2, which halved Problem 3's measuring time) on the synthetic trained state of seed 0, with
    fc1 narrowed from the sheet's 1024 outputs to ``hidden``: each fc1 output is still a dot
    product of length 16384, the rounding this table is about, while the weights shrink from
    67 MB to 4 MB (the full width took 1 GB and about 25 s of a cold build, 128 outputs 60 MB
    more of the measuring process's peak than 64 and a third more time; only fc2's sum, of
    ``hidden`` products, gets shorter; the PDF says which width was measured).
    """

    batches: int = 2
    batch_size: int = 100  # the sheet's test batches
    seed: int = 0
    hidden: int = 64

    def key(self) -> str:
        return f"batches={self.batches} batch_size={self.batch_size} seed={self.seed} hidden={self.hidden}"


def fold_with_unscaled_bias(weight: Any, bias: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                            eps: float = 1e-5, *, compute_dtype: str | None = None) -> tuple[Any, Any]:
    """The classic bug: b' = b + β − γμ/√(σ²+ε), the conv bias added without the BN scale.

    Written through ``fold_bn`` with no bias, which gives β − γμ/√(σ²+ε) exactly as the right
    fold would for b = 0, so the only difference from the right fold is the bug itself.
    """
    folded_weight, folded_bias = fold_bn(weight, None, gamma, beta, mean, var, eps,
                                         compute_dtype=compute_dtype)
    return folded_weight, folded_bias + bias


def fold_without_eps(weight: Any, bias: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                     eps: float = 1e-5, *, compute_dtype: str | None = None) -> tuple[Any, Any]:
    """Divides by √σ² instead of √(σ²+ε): the scale is off by about ε/(2σ²) relative.

    ``fold_bn`` refuses ε = 0, so the smallest positive double stands in: σ² + 5e-324 rounds
    to σ² in float32 and float64 alike for every σ² the state holds.
    """
    return fold_bn(weight, bias, gamma, beta, mean, var, 5e-324, compute_dtype=compute_dtype)


_WRONG_FOLDS = {"unscaled bias": fold_with_unscaled_bias, "epsilon forgotten": fold_without_eps}


def collect(settings: PrecisionSettings) -> dict[str, Any]:
    """All figures of Problem 3 (cached), or Unavailable when torch is not installed."""
    tag = f"{FIGURES_VERSION} torch={torch_version()} {settings.key()}"
    try:
        return {
            "torch": torch_version(),
            "settings": asdict(settings),
            "precision": measured(f"p3.precision {tag}", single_threaded(lambda: _precision(settings))),
            "fusion": measured(f"p3.fusion {tag}", single_threaded(lambda: _fusion(settings))),
            "wrong_folds": measured(f"p3.wrong-folds {tag}",
                                    single_threaded(lambda: _wrong_folds(settings))),
        }
    finally:
        _shared.clear()  # the net's 17 M weights must not outlive the measuring (forked workers)


# What the three figure groups of one ``collect`` share, built at most once: the synthetic net,
# the input batches and the BN network's outputs on them. Building the net and running the BN
# network once instead of per group cut Problem 3's measuring time by about half.
_shared: dict[Any, Any] = {}


def _net(sn: Any, settings: PrecisionSettings) -> Any:
    if ("net", settings) not in _shared:
        _shared[("net", settings)] = sn.synthetic_trained(settings.seed, settings.hidden)
    return _shared[("net", settings)]


def _references(settings: PrecisionSettings) -> dict[Any, Any]:
    """The BN network's outputs on ``_inputs`` per dtype, filled by whoever runs it first."""
    return _shared.setdefault(("references", settings), {})


def _smallnet() -> Any:
    """``derive.documents.hw7.smallnet``, or Unavailable when torch cannot be imported."""
    try:
        from derive.documents.hw7 import smallnet
    except ImportError as error:
        raise Unavailable(f"PyTorch cannot be imported ({error}); pip install 'derive[torch]'") from None
    return smallnet


def _precision(settings: PrecisionSettings) -> dict[str, Any]:
    """The three fold modes' rows, and the tolerance they are judged by."""
    sn = _smallnet()
    rows = sn.measure_precision(settings.batches, settings.batch_size, settings.seed,
                                net=_net(sn, settings), inputs=_inputs(sn, settings),
                                references=_references(settings))
    return {
        "rows": [asdict(row) for row in rows],
        "criterion": sn.SUM_CRITERION,
        "tolerance_eps": sn.folding_tolerance_eps(sn.dot_lengths(settings.hidden)),
        "tolerance_worst_eps": sn.folding_tolerance_eps(sn.dot_lengths(settings.hidden), worst_case=True),
        "dot_lengths": list(sn.dot_lengths(settings.hidden)),
    }


def _fusion(settings: PrecisionSettings) -> dict[str, Any]:
    """derive's fold against torch's fusion functions, per dtype, in units of that dtype's eps."""
    sn = _smallnet()
    import torch

    net = _net(sn, settings)
    figures = {}
    for dtype in (torch.float32, torch.float64):
        eps = torch.finfo(dtype).eps
        gaps = sn.fusion_crosscheck(net, dtype)
        figures[str(dtype).removeprefix("torch.")] = {name: gap / eps for name, gap in gaps.items()}
    return figures


def _inputs(sn: Any, settings: PrecisionSettings) -> list[Any]:
    """The same batches ``measure_precision`` draws for these settings (drawn once per collect)."""
    import torch

    if ("inputs", settings) not in _shared:
        generator = torch.Generator().manual_seed(settings.seed + 1)
        _shared[("inputs", settings)] = [sn.cifar_like_batch(generator, settings.batch_size)
                                         for _ in range(settings.batches)]
    return _shared[("inputs", settings)]


def _wrong_folds(settings: PrecisionSettings) -> dict[str, Any]:
    """Each wrong fold of ``WRONG_FOLD_RUNS`` compared like the right one, plus the smallest σ²."""
    sn = _smallnet()
    import torch

    net = _net(sn, settings)
    without_biases = copy.deepcopy(net)
    with torch.no_grad():
        for layer in ("conv1", "conv2", "fc1"):
            getattr(without_biases, layer).bias.zero_()
    inputs = _inputs(sn, settings)
    rows = []
    for name, with_biases, mode in WRONG_FOLD_RUNS:
        source = net if with_biases else without_biases
        folded = sn.fold_smallnet(source, mode, fold=_WRONG_FOLDS[name])
        if with_biases:  # the BN network's outputs are those the precision table computed
            dtype = next(folded.parameters()).dtype
            references = _references(settings)
            if dtype not in references:
                references[dtype] = sn.outputs(sn.reference_for(net, mode), inputs, dtype)
            row = sn.summarise(mode, references[dtype], sn.outputs(folded, inputs, dtype))
        else:
            row = sn.compare(sn.reference_for(source, mode), folded, inputs, mode)
        del folded
        mode_eps = torch.finfo(torch.float64 if mode == "float64" else torch.float32).eps
        rows.append({"fold": name, "biases": with_biases, **asdict(row),
                     "diff_in_mode_eps": row.max_abs_diff / (mode_eps * row.output_scale)})
    smallest_var = min(float(bn.running_var.min()) for bn in (net.bn1, net.bn2, net.bn3))
    return {"rows": rows, "smallest_running_var": smallest_var, "bn_eps": net.bn1.eps}
