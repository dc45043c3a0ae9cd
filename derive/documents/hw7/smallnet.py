"""The sheet's small CIFAR-10 network, its BN-free twin, and how closely folding reproduces it.

Problem 3 claims that a network with its batch norms folded away "produces exactly the same
outputs". It does in real arithmetic; in floating point the two networks round at different
places. This module measures by how much, for three ways of folding:

* ``"float32"``          fold in float32, run both networks in float32 (what students do);
* ``"float64-rounded"``  fold in float64, round each folded parameter once to float32;
* ``"float64"``          both networks and the folding in float64 throughout.

The trained save file and CIFAR-10 are not available offline, so ``synthetic_trained`` builds
a deterministic stand-in and ``cifar_like_batch`` makes CIFAR-shaped, CIFAR-normalised inputs.
This module imports torch; ``derive.nn`` imports it only when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_weights, fuse_linear_bn_weights

from derive.nn import fold_bn

FOLD_MODES = ("float32", "float64-rounded", "float64")
# The starter code's test: the largest over test batches of torch.norm(model(images) -
# model_test(images))**2, the SUM of the batch's squared differences, called right below 1e-8.
SUM_CRITERION = 1e-8
FLOAT32_EPS = torch.finfo(torch.float32).eps
#: fc1's width (and BN3's) in the sheet's network; measurements may use a narrower one, since
#: the rounding of one fc1 output depends on fc1's input length (16384), not on how many there are.
SHEET_HIDDEN = 1024


def dot_lengths(hidden: int = SHEET_HIDDEN) -> tuple[int, ...]:
    """Length K of the dot product behind one output of conv1 (3·3·3), conv2 (16·3·3), fc1, fc2."""
    return (27, 144, 16 * 32 * 32, hidden)


DOT_LENGTHS = dot_lengths()
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)

FoldFn = Callable[..., tuple[torch.Tensor, torch.Tensor]]
ModuleT = TypeVar("ModuleT", bound=nn.Module)


class SmallNet(nn.Module):
    """conv(3→16,k3,p1)+BN+ReLU, conv(16→16,k3,p1)+BN+ReLU, fc(16384→1024)+BN+ReLU, fc(1024→10)+ReLU.

    ``hidden`` replaces the 1024 (the sheet's value by default).
    """

    def __init__(self, hidden: int = SHEET_HIDDEN) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 32 * 32, hidden)
        self.bn3 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.fc1(x.flatten(1))))
        return F.relu(self.fc2(x))  # the sheet's network ends in a ReLU too


class SmallNetNoBN(nn.Module):
    """The same network with every batch norm removed: the target of the folding."""

    def __init__(self, hidden: int = SHEET_HIDDEN) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 32 * 32, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.fc1(x.flatten(1)))
        return F.relu(self.fc2(x))


# each layer with weights and the BN after it; the twin's layer of the same name gets the fold
_FOLDED_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("fc1", "bn3"))
_MODE_DTYPE = {"float32": torch.float32, "float64-rounded": torch.float32, "float64": torch.float64}


def _blank(cls: type[ModuleT], dtype: torch.dtype = torch.float32, hidden: int = SHEET_HIDDEN) -> ModuleT:
    """``cls()`` in ``dtype`` with every parameter and buffer zero, skipping the random init.

    The default init of fc1 (16.7 M weights) costs as much as a forward pass and is always
    overwritten here; zeros rather than uninitialised memory keep every build deterministic.
    """
    with torch.device("meta"):
        module = cls(hidden).to(dtype)
    module = module.to_empty(device="cpu")
    with torch.no_grad():
        for tensor in (*module.parameters(), *module.buffers()):
            tensor.zero_()
    return module


def _in_dtype(net: ModuleT, dtype: torch.dtype) -> ModuleT:
    """``net`` itself if already in ``dtype``, else an eval-mode copy converted to it."""
    if next(net.parameters()).dtype == dtype:
        return net
    converted = _blank(type(net), dtype, _hidden(net))
    converted.load_state_dict(net.state_dict())
    return converted.eval()


def cifar_like_batch(generator: torch.Generator, batch_size: int) -> torch.Tensor:
    """A float32 batch shaped and normalised like CIFAR-10 test images.

    Pixels are smooth random colour fields (8×8 noise upsampled, plus a little grain) quantised
    to 8 bits like ``ToTensor`` output, then normalised with CIFAR-10's channel means and
    standard deviations, so the inputs have the range and spatial correlation of real ones.
    """
    coarse = torch.rand(batch_size, 3, 8, 8, generator=generator)
    image = F.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)
    image = image + 0.05 * torch.randn(image.shape, generator=generator)
    image = torch.round(image.clamp(0.0, 1.0) * 255.0) / 255.0
    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    return (image - mean) / std


def _hidden(net: nn.Module) -> int:
    return int(net.fc1.out_features)


def synthetic_trained(seed: int = 0, hidden: int = SHEET_HIDDEN) -> SmallNet:
    """A deterministic stand-in for the trained save file, in eval mode.

    Weights are He-scaled Gaussians (activations keep their size through the layers, as in a
    trained network), biases are non-zero (uniform in [−0.5, 0.5]) so that a fold which
    forgets to scale b is caught, γ ∈ [0.5, 1.5] and β ∈ [−0.3, 0.3]. Running statistics are
    measured layer by layer on a calibration batch, as training would, then perturbed (mean
    shifted by up to ~0.1 standard deviations, variance scaled by [0.7, 1.4]) so they are not
    exactly the statistics of any input: the running variances land roughly in [0.2, 3].
    """
    generator = torch.Generator().manual_seed(seed)

    def uniform(shape: Sequence[int], low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(tuple(shape), generator=generator)

    net = _blank(SmallNet, hidden=hidden)
    with torch.no_grad():
        for name in ("conv1", "conv2", "fc1", "fc2"):
            layer = getattr(net, name)
            fan_in = layer.weight[0].numel()
            layer.weight.copy_(
                torch.randn(layer.weight.shape, generator=generator) * math.sqrt(2.0 / fan_in)
            )
            layer.bias.copy_(uniform(layer.bias.shape, -0.5, 0.5))

        x = cifar_like_batch(generator, 128)
        for layer_name, bn_name in _FOLDED_PAIRS:
            layer, bn = getattr(net, layer_name), getattr(net, bn_name)
            pre = _in_chunks(layer, x if layer_name != "fc1" else x.flatten(1))
            dims = (0, 2, 3) if pre.ndim == 4 else (0,)
            mean, var = pre.mean(dims), pre.var(dims)
            channels = mean.numel()
            bn.running_mean.copy_(
                mean + 0.1 * var.sqrt() * torch.randn(channels, generator=generator)
            )
            bn.running_var.copy_(var * uniform((channels,), 0.7, 1.4))
            bn.weight.copy_(uniform((channels,), 0.5, 1.5))
            bn.bias.copy_(uniform((channels,), -0.3, 0.3))
            bn.eval()
            x = F.relu(bn(pre))
    return net.eval()


def fold_smallnet(net: SmallNet, mode: str, *, fold: FoldFn = fold_bn) -> SmallNetNoBN:
    """The BN-free twin of ``net``: each BN folded into the layer before it, fc2 copied.

    ``mode``: one of ``FOLD_MODES``; ``fold`` is a parameter so a wrong fold can be run too.
    """
    _check_mode(mode)
    net.eval()  # BN must use its running statistics, not the batch's: only then is it affine
    source = _in_dtype(net, _MODE_DTYPE[mode])
    compute_dtype = "float64" if mode == "float64-rounded" else None
    twin = _blank(SmallNetNoBN, _MODE_DTYPE[mode], _hidden(source)).eval()
    with torch.no_grad():
        for layer_name, bn_name in _FOLDED_PAIRS:
            layer, bn = getattr(source, layer_name), getattr(source, bn_name)
            weight, bias = fold(layer.weight, layer.bias, bn.weight, bn.bias, bn.running_mean,
                                bn.running_var, bn.eps, compute_dtype=compute_dtype)
            getattr(twin, layer_name).weight.copy_(weight)
            getattr(twin, layer_name).bias.copy_(bias)
        twin.fc2.load_state_dict(source.fc2.state_dict())
    return twin


def reference_for(net: SmallNet, mode: str) -> SmallNet:
    """The BN network a folded twin of ``mode`` is compared with: ``net`` in the mode's dtype."""
    _check_mode(mode)
    return _in_dtype(net, _MODE_DTYPE[mode]).eval()


@dataclass(frozen=True)
class PrecisionRow:
    """How far a folded network's outputs are from the BN network's, for one mode.

    ``max_batch_sum`` is the sheet's test: the squared Euclidean norm of a batch's output
    difference (the sum, not the mean, of its squared differences), largest over batches;
    ``passes_1e8`` says whether it is below 1e-8. ``max_batch_mse`` is the same per entry. ``output_scale`` is the largest
    |output| of the BN network, and ``diff_in_eps`` is ``max_abs_diff`` in units of float32
    epsilon at that scale, the unit of ``folding_tolerance_eps``. ``max_rel_diff`` is the
    largest elementwise relative difference over outputs of at least 1e-3·output_scale (the
    final ReLU makes many outputs exactly 0, where a relative difference means nothing).
    """

    mode: str
    max_abs_diff: float
    max_rel_diff: float
    max_batch_sum: float
    max_batch_mse: float
    passes_1e8: bool
    output_scale: float
    diff_in_eps: float


def compare(
    reference: nn.Module, candidate: nn.Module, batches: Sequence[torch.Tensor], mode: str
) -> PrecisionRow:
    """Run both networks on ``batches`` (cast to the candidate's dtype) and summarise the gap."""
    dtype = next(candidate.parameters()).dtype
    return summarise(
        mode, outputs(reference, batches, dtype), outputs(candidate, batches, dtype)
    )


def measure_precision(
    batches: int = 4,
    batch_size: int = 64,
    seed: int = 0,
    *,
    net: SmallNet | None = None,
    inputs: Sequence[torch.Tensor] | None = None,
    references: dict[torch.dtype, list[torch.Tensor]] | None = None,
) -> list[PrecisionRow]:
    """One ``PrecisionRow`` per mode in ``FOLD_MODES``, on the same synthetic net and inputs.

    Deterministic for a given seed, machine and torch thread count (a BLAS may block sums
    differently with another thread count, which moves the last bits). The defaults, 4 batches
    of 64 images (256 images), take about 3 s of wall time for the whole process on 2 idle
    cores, imports and building the net included (``bench/bn_precision.py --timing`` measures
    it; it also runs more batches). The figures are maxima, so more batches can only raise
    them, and slowly: the table moves little between 4 and 32 batches.

    A caller measuring more on the same state passes ``net`` (``synthetic_trained(seed)``),
    ``inputs`` (the batches drawn here) and a ``references`` dict, which is filled with the BN
    network's outputs per dtype so the caller can reuse them instead of running it again.
    """
    if net is None:
        net = synthetic_trained(seed)
    if inputs is None:
        generator = torch.Generator().manual_seed(seed + 1)
        inputs = [cifar_like_batch(generator, batch_size) for _ in range(batches)]
    # the BN network's outputs depend only on the dtype: run it once per dtype, not per mode
    references = {} if references is None else references
    for dtype in dict.fromkeys(_MODE_DTYPE.values()):
        if dtype not in references:
            references[dtype] = outputs(_in_dtype(net, dtype), inputs, dtype)
    return [
        summarise(
            mode,
            references[_MODE_DTYPE[mode]],
            outputs(fold_smallnet(net, mode), inputs, _MODE_DTYPE[mode]),
        )
        for mode in FOLD_MODES
    ]


#: Images per forward call. Each image's outputs do not depend on the others in eval mode, but a
#: convolution's working buffer grows with the images in one call: conv2 on 100 float64 images
#: took about 150 MB at once, 10 take a tenth of that (a build's peak memory is a target).
CHUNK = 10


def _in_chunks(layer: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` computed CHUNK images at a time and put back together in order."""
    if x.shape[0] <= CHUNK:
        return layer(x)
    return torch.cat([layer(x[start:start + CHUNK]) for start in range(0, x.shape[0], CHUNK)])


def outputs(
    net: nn.Module, batches: Sequence[torch.Tensor], dtype: torch.dtype
) -> list[torch.Tensor]:
    """``net``'s outputs on each batch cast to ``dtype``, widened to float64 for comparison.

    Widening is exact, so taking differences afterwards adds no rounding of the size measured.
    Each batch runs CHUNK images at a time; the batch's outputs (and so its batch sum) are
    those of all its images, as the sheet's test takes them.
    """
    with torch.no_grad():
        return [_in_chunks(net, x.to(dtype)).double() for x in batches]


def summarise(
    mode: str, references: Sequence[torch.Tensor], outputs: Sequence[torch.Tensor]
) -> PrecisionRow:
    """The ``PrecisionRow`` of ``outputs`` against the BN network's ``references``, batch by batch."""
    scale = max(float(ref.abs().max()) for ref in references)
    max_abs = max_rel = max_sum = max_mse = 0.0
    for ref, out in zip(references, outputs, strict=True):
        diff = (out - ref).abs()
        max_abs = max(max_abs, float(diff.max()))
        max_sum = max(max_sum, float(torch.norm(out - ref) ** 2))  # the starter code's figure
        max_mse = max(max_mse, float((diff**2).mean()))
        significant = ref.abs() >= 1e-3 * scale
        if significant.any():
            max_rel = max(max_rel, float((diff[significant] / ref[significant].abs()).max()))
    return PrecisionRow(
        mode=mode,
        max_abs_diff=max_abs,
        max_rel_diff=max_rel,
        max_batch_sum=max_sum,
        max_batch_mse=max_mse,
        passes_1e8=max_sum < SUM_CRITERION,
        output_scale=scale,
        diff_in_eps=max_abs / (FLOAT32_EPS * scale) if scale > 0 else math.inf,
    )


def folding_tolerance_eps(
    dot_lengths: Sequence[int] = DOT_LENGTHS, *, worst_case: bool = False
) -> float:
    """How far a folded network may drift, in units of epsilon at the output's scale.

    Why this bound. Folding changes only *where* rounding happens: the BN network computes
    γ(fl(Σ wᵢxᵢ) + b − μ)/√(σ²+ε) + β, the folded one fl(Σ fl(s·wᵢ)xᵢ) + b'. Both are exact
    in real arithmetic, so their gap is the difference of two rounding errors. The dominant
    one is the accumulation of a dot product of length K: each of the K partial sums is
    rounded with relative error ≤ u = eps/2, which bounds the error by about K·u·Σ|wᵢxᵢ|
    (Higham's γ_K, the worst case, when every rounding goes the same way). Rounding errors
    behave like independent random signs in practice, so they add like a random walk and
    the typical error is about √K·u relative to the result. The two networks' errors are
    (nearly) independent, so their difference is at most twice one of them: √K·eps typical,
    K·eps worst (rounding the folded weights and the per-channel affine adds O(eps)).

    Errors made in one layer are carried through the later ones. Here every layer keeps its
    activations at the same scale (He-scaled weights, normalised by BN), so a relative error
    stays the same size while it travels, and the layers' contributions add:
    Σ_ℓ √K_ℓ (typical) or Σ_ℓ K_ℓ (worst). Finally the figure compared is the *largest* error
    over thousands of outputs, and the maximum of many roughly Gaussian errors lies within
    about 4 standard deviations, hence the factor 4 on the typical bound.

    For the sheet's net (K = 27, 144, 16384, 1024): typical bound 4·177.2 ≈ 709 eps, worst
    case 17579 eps. The same count applies in float64 with float64's eps.

    What the bound does not promise: BLAS and oneDNN sum in short blocks and SIMD lanes,
    which errs less than one long recursive sum, so measured gaps sit well below it. A fold
    that is wrong by about 1e-5 relative (one that drops ε) therefore still passes in
    float32; only the float64 mode, with a bound 2⁻²⁹ times smaller, exposes it.
    """
    if worst_case:
        return float(sum(dot_lengths))
    return 4.0 * sum(math.sqrt(k) for k in dot_lengths)


def fusion_crosscheck(net: SmallNet, dtype: torch.dtype = torch.float32) -> dict[str, float]:
    """Largest |derive − torch| of each folded parameter, relative to its largest entry.

    Compares ``fold_bn`` with ``torch.nn.utils.fusion.fuse_conv_bn_weights`` (conv1, conv2)
    and ``fuse_linear_bn_weights`` (fc1) on ``net`` cast to ``dtype``. The two implement the
    same formula with the operations in a different order (torch multiplies by rsqrt), so they
    agree to a few units of ``dtype``'s epsilon, not bit for bit.
    """
    source = _in_dtype(net, dtype)
    result: dict[str, float] = {}
    with torch.no_grad():
        for layer_name, bn_name in _FOLDED_PAIRS:
            layer, bn = getattr(source, layer_name), getattr(source, bn_name)
            stats = (bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
            fuse: Any = fuse_linear_bn_weights if layer_name == "fc1" else fuse_conv_bn_weights
            theirs = fuse(layer.weight, layer.bias, *stats)
            ours = fold_bn(
                layer.weight, layer.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                bn.eps,
            )
            for part, mine, other in zip(("weight", "bias"), ours, theirs, strict=True):
                gap = float((mine - other).abs().max() / other.abs().max())
                result[f"{layer_name}.{part}"] = gap
    return result


def _check_mode(mode: str) -> None:
    if mode not in FOLD_MODES:
        raise ValueError(
            f"mode: must be one of 'float32', 'float64-rounded', 'float64'; got {mode!r}"
        )
