"""Net1, Net2 and the numeric proof that Net2 is Net1 slid over every 32 × 32 window (Problem 5).

Net1 is the sheet's CIFAR-10 network (five convolutions, flatten, three linear layers); Net2 keeps
its features and replaces each linear layer by the convolution :func:`linear_to_conv` builds.
Two checks return reports rather than booleans, so a caller sees how close the outputs are:

* :func:`check_same_output` — (a): on 32 × 32 inputs Net2's B × 10 × 1 × 1 output is Net1's;
* :func:`check_sliding_windows` — (b): on h × w inputs ``Net2(X)[:, :, i, j]`` is
  ``Net1(X[:, :, i:i+32, j:j+32])`` for every window, found by an explicit loop over windows.

:func:`verify_net_in_net` runs both on a freshly seeded pair. This module imports torch; the
torch-free parts (the reshape, the widths, the cost table) are in :mod:`derive.nn.net_in_net`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from derive.nn.net_in_net import (
    FEATURE_SIZE,
    INPUT_SIZE,
    KERNELS,
    SHEET_WIDTHS,
    Widths,
    linear_to_conv,
)


def _features(widths: Widths, dtype: torch.dtype) -> nn.Sequential:
    """The shared convolutions, built on the meta device (no memory until to_empty)."""
    layers: list[nn.Module] = []
    c_in = widths.in_channels
    for c_out, kernel in zip(widths.channels, KERNELS):
        if layers:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(c_in, c_out, kernel, device="meta", dtype=dtype))
        c_in = c_out
    return nn.Sequential(*layers)


def _classifier(widths: Widths, dtype: torch.dtype, *, as_conv: bool) -> nn.Sequential:
    """Linear layers (Net1) or their convolution form (Net2): 18 × 18 kernel first, then 1 × 1."""
    layers: list[nn.Module] = []
    for index, (n_in, n_out) in enumerate(widths.linear_sizes):
        if layers:
            layers.append(nn.ReLU())
        if not as_conv:
            layers.append(nn.Linear(n_in, n_out, device="meta", dtype=dtype))
        elif index == 0:
            layers.append(
                nn.Conv2d(widths.channels[-1], n_out, FEATURE_SIZE, device="meta", dtype=dtype)
            )
        else:
            layers.append(nn.Conv2d(n_in, n_out, 1, device="meta", dtype=dtype))
    return nn.Sequential(*layers)


def _seeded_init(module: nn.Module, seed: int) -> None:
    """Fill every weight and bias from U(−1/√fan_in, 1/√fan_in), PyTorch's default law.

    Values are drawn in float32 from a private generator and then cast, so a float64 network
    built with the same seed holds exactly the float32 network's weights, and the global RNG
    is left alone.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if not isinstance(layer, (nn.Conv2d, nn.Linear)):
                continue
            fan_in = math.prod(layer.weight.shape[1:])
            bound = 1.0 / math.sqrt(fan_in)
            for param in (layer.weight, layer.bias):
                draw = torch.empty(param.shape, dtype=torch.float32)
                draw.uniform_(-bound, bound, generator=generator)
                param.copy_(draw)


def _check_dtype(dtype: torch.dtype) -> None:
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch dtype, got {dtype}")


class Net1(nn.Module):
    """The sheet's network: it takes only B × 3 × 32 × 32 inputs because of the flatten."""

    def __init__(
        self, widths: Widths = SHEET_WIDTHS, *, seed: int = 0, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        _check_dtype(dtype)
        self.widths = widths
        self.features = _features(widths, dtype)
        self.classifier = _classifier(widths, dtype, as_conv=False)
        self.to_empty(device="cpu")
        _seeded_init(self, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.widths, "Net1", exact=True)
        return self.classifier(torch.flatten(self.features(x), 1))


class Net2(nn.Module):
    """Net1 with a convolutional classifier: any h, w ≥ 32 in, B × 10 × (h−31) × (w−31) out.

    ``seed=None`` leaves the parameters uninitialised; only :func:`net2_from_net1`, which
    overwrites all of them, should ask for that (it spares initialising 340 M weights twice).
    """

    def __init__(
        self,
        widths: Widths = SHEET_WIDTHS,
        *,
        seed: int | None = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        _check_dtype(dtype)
        self.widths = widths
        self.features = _features(widths, dtype)
        self.classifier = _classifier(widths, dtype, as_conv=True)
        self.to_empty(device="cpu")
        if seed is not None:
            _seeded_init(self, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.widths, "Net2", exact=False)
        return self.classifier(self.features(x))


def _check_input(x: torch.Tensor, widths: Widths, name: str, *, exact: bool) -> None:
    """One clear line instead of a shape error from deep inside torch."""
    shape = tuple(x.shape)
    ok = len(shape) == 4 and shape[1] == widths.in_channels
    if exact:
        ok = ok and shape[2:] == (INPUT_SIZE, INPUT_SIZE)
        want = f"B × {widths.in_channels} × {INPUT_SIZE} × {INPUT_SIZE}"
    else:
        ok = ok and min(shape[2:]) >= INPUT_SIZE
        want = f"B × {widths.in_channels} × h × w with h, w ≥ {INPUT_SIZE}"
    if not ok:
        raise ValueError(f"{name} takes inputs of shape {want}, got {shape}")


def _dtype_of(net: nn.Module) -> torch.dtype:
    return next(net.parameters()).dtype


def net2_from_net1(net1: Net1) -> Net2:
    """Build the Net2 that computes Net1's function: features copied, classifier reshaped.

    The first linear layer reads a channels[-1] × 18 × 18 map, so its weight becomes an 18 × 18
    kernel; the later ones read vectors, i.e. 1 × 1 maps, so they become 1 × 1 kernels.
    """
    if not isinstance(net1, Net1):
        raise TypeError(f"net1 must be a Net1, got {type(net1).__name__}")
    widths = net1.widths
    net2 = Net2(widths, seed=None, dtype=_dtype_of(net1))
    linears = [m for m in net1.classifier if isinstance(m, nn.Linear)]
    convs = [m for m in net2.classifier if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net2.features.load_state_dict(net1.features.state_dict())
        in_shape: tuple[int, ...] = (widths.channels[-1], FEATURE_SIZE, FEATURE_SIZE)
        for linear, conv in zip(linears, convs, strict=True):
            weight, bias = linear_to_conv(linear.weight, linear.bias, in_shape)
            conv.weight.copy_(weight)
            conv.bias.copy_(bias)
            del weight, bias
            in_shape = (linear.out_features,)
    return net2


class _Comparison:
    """What both reports derive from their shapes and differences (it adds no fields)."""

    net2_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    max_abs_diff: float
    max_abs_output: float

    @property
    def shapes_match(self) -> bool:
        return self.net2_shape == self.expected_shape

    @property
    def max_rel_diff(self) -> float:
        """Worst difference relative to the largest Net1 output (the scale of the logits)."""
        return _relative(self.max_abs_diff, self.max_abs_output)

    def within(self, rel_tol: float) -> bool:
        """True when the shapes agree and no logit differs by more than rel_tol of the scale."""
        return self.shapes_match and self.max_rel_diff <= rel_tol


@dataclass(frozen=True)
class SameOutputReport(_Comparison):
    """Check (a): Net2 and Net1 on one batch of 32 × 32 inputs."""

    dtype: str
    input_shape: tuple[int, ...]
    net2_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    max_abs_diff: float
    max_abs_output: float


@dataclass(frozen=True)
class SlidingReport(_Comparison):
    """Check (b): each pixel of Net2's output grid against Net1 on the matching window."""

    dtype: str
    input_shape: tuple[int, ...]
    net2_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    windows: int
    max_abs_diff: float
    max_abs_output: float
    worst_window: tuple[int, int]


def _relative(diff: float, scale: float) -> float:
    if scale > 0:
        return diff / scale
    return 0.0 if diff == 0 else math.inf


def _check_pair(net1: nn.Module, net2: nn.Module, x: torch.Tensor) -> None:
    """Both nets and x must share a dtype: a silent cast would hide float32 effects in float64."""
    if not isinstance(x, torch.Tensor) or not x.dtype.is_floating_point:
        raise ValueError("x must be a floating-point torch tensor")
    for name, net in (("net1", net1), ("net2", net2)):
        if _dtype_of(net) != x.dtype:
            raise ValueError(
                f"{name} has {_dtype_of(net)} parameters but x is {x.dtype}; "
                f"convert both to one dtype"
            )


def check_same_output(net1: nn.Module, net2: nn.Module, x: torch.Tensor) -> SameOutputReport:
    """Run both nets on x (B × 3 × 32 × 32) and report how far Net2's output is from Net1's."""
    _check_pair(net1, net2, x)
    with torch.no_grad():
        out1 = net1(x)
        out2 = net2(x)
    expected = (*out1.shape, 1, 1)
    if tuple(out2.shape) == expected:
        diff = (out2.reshape(out1.shape) - out1).abs().max().item()
    else:
        diff = math.inf
    return SameOutputReport(
        dtype=str(x.dtype).removeprefix("torch."),
        input_shape=tuple(x.shape),
        net2_shape=tuple(out2.shape),
        expected_shape=expected,
        max_abs_diff=diff,
        max_abs_output=out1.abs().max().item(),
    )


def check_sliding_windows(net1: nn.Module, net2: nn.Module, x: torch.Tensor) -> SlidingReport:
    """Net2(x)[:, :, i, j] against Net1 itself on each window, one by one in a loop."""
    _check_pair(net1, net2, x)
    height, width = int(x.shape[-2]), int(x.shape[-1])
    rows, cols = height - INPUT_SIZE + 1, width - INPUT_SIZE + 1
    worst, worst_at, scale = -1.0, (0, 0), 0.0
    with torch.no_grad():
        out2 = net2(x)
        for i in range(rows):
            for j in range(cols):
                out1 = net1(x[:, :, i : i + INPUT_SIZE, j : j + INPUT_SIZE])
                expected = (*out1.shape, rows, cols)
                shapes_match = tuple(out2.shape) == expected
                scale = max(scale, out1.abs().max().item())
                if not shapes_match:
                    continue
                diff = (out2[:, :, i, j] - out1).abs().max().item()
                if diff > worst:
                    worst, worst_at = diff, (i, j)
    return SlidingReport(dtype=str(x.dtype).removeprefix("torch."), input_shape=tuple(x.shape),
                         net2_shape=tuple(out2.shape), expected_shape=expected, windows=rows * cols,
                         max_abs_diff=worst if shapes_match else math.inf, max_abs_output=scale,
                         worst_window=worst_at)


def random_inputs(
    batch: int,
    height: int,
    width: int,
    *,
    channels: int = 3,
    seed: int = 1,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Standard-normal inputs drawn in float32 and cast, so every dtype sees the same numbers."""
    generator = torch.Generator().manual_seed(seed)
    draw = torch.randn(batch, channels, height, width, generator=generator)
    return draw.to(dtype)


@dataclass(frozen=True)
class NetInNetReport:
    """Both checks for one network pair in one dtype."""

    widths: Widths
    same: SameOutputReport
    sliding: SlidingReport


def verify_net_in_net(
    widths: Widths = SHEET_WIDTHS,
    *,
    dtype: torch.dtype = torch.float64,
    batch: int = 2,
    size: tuple[int, int] = (36, 38),
    seed: int = 0,
) -> NetInNetReport:
    """Seed a Net1, convert it to Net2, and run checks (a) and (b) (the sheet's 36 × 38)."""
    net1 = Net1(widths, seed=seed, dtype=dtype)
    net2 = net2_from_net1(net1)
    channels = widths.in_channels
    windows = random_inputs(
        batch, INPUT_SIZE, INPUT_SIZE, channels=channels, seed=seed + 1, dtype=dtype
    )
    big = random_inputs(batch, *size, channels=channels, seed=seed + 2, dtype=dtype)
    same = check_same_output(net1, net2, windows)
    sliding = check_sliding_windows(net1, net2, big)
    return NetInNetReport(widths, same, sliding)
