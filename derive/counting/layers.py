"""What a network is, as plain data: one frozen dataclass per layer kind, plus the resolved network.

The parser (``spec.py``) builds these, the shape resolver (``shapes.py``) fills in every inferred
size, and the counter (``counts.py``), the brute-force counter (``brute.py``) and the torch builder
(``torch_build.py``) only read them. Keeping the hyperparameters in one place means a new layer kind
touches the parser, the shapes and the counts once each.

Two-dimensional hyperparameters are stored as ``(height, width)`` pairs even when the spec gave a
single int, so the formulas never branch on the spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[int, int]
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Conv2d:
    """``torch.nn.Conv2d``; ``in_channels`` is None until the resolver infers it."""

    in_channels: int | None
    out_channels: int
    kernel_size: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True


@dataclass(frozen=True)
class Linear:
    """``torch.nn.Linear``; ``in_features`` is None until the resolver infers it."""

    in_features: int | None
    out_features: int
    bias: bool = True


@dataclass(frozen=True)
class MaxPool2d:
    """``torch.nn.MaxPool2d``; the stride defaults to the kernel size, as in PyTorch."""

    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil_mode: bool = False


@dataclass(frozen=True)
class AvgPool2d:
    """``torch.nn.AvgPool2d``; the stride defaults to the kernel size, as in PyTorch."""

    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)
    ceil_mode: bool = False


@dataclass(frozen=True)
class AdaptiveAvgPool2d:
    """``torch.nn.AdaptiveAvgPool2d``: any H x W in, ``output_size`` out."""

    output_size: Pair


@dataclass(frozen=True)
class BatchNorm2d:
    """``torch.nn.BatchNorm2d``; with ``affine`` it has 2 parameters per channel (γ and β)."""

    num_features: int | None
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True


@dataclass(frozen=True)
class BatchNorm1d:
    """``torch.nn.BatchNorm1d`` on a flat input; 2 parameters per feature with ``affine``."""

    num_features: int | None
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True


@dataclass(frozen=True)
class ReLU:
    """``torch.nn.ReLU``: shape-preserving, no parameters, not counted."""

    inplace: bool = False


@dataclass(frozen=True)
class Dropout:
    """``torch.nn.Dropout``: shape-preserving, no parameters, not counted."""

    p: float = 0.5


@dataclass(frozen=True)
class Flatten:
    """``torch.nn.Flatten`` (batch dimension kept): C x H x W becomes C*H*W features."""


Op = (
    Conv2d
    | Linear
    | MaxPool2d
    | AvgPool2d
    | AdaptiveAvgPool2d
    | BatchNorm2d
    | BatchNorm1d
    | ReLU
    | Dropout
    | Flatten
)

#: The spec's ``type`` value for each layer class (the names the user writes).
TYPE_NAMES: dict[type, str] = {
    Conv2d: "conv2d",
    Linear: "linear",
    MaxPool2d: "maxpool2d",
    AvgPool2d: "avgpool2d",
    AdaptiveAvgPool2d: "adaptive_avgpool2d",
    BatchNorm2d: "batchnorm2d",
    BatchNorm1d: "batchnorm1d",
    ReLU: "relu",
    Dropout: "dropout",
    Flatten: "flatten",
}


@dataclass(frozen=True)
class Layer:
    """One layer of a resolved network: its position, name, shapes and hyperparameters.

    ``index`` counts from 1 in spec order, the way a user reading the TOML file counts tables.
    Shapes exclude the batch dimension: ``(C, H, W)`` or ``(features,)``.
    """

    index: int
    name: str
    op: Op
    in_shape: Shape
    out_shape: Shape

    @property
    def type(self) -> str:
        """The spec's type name (``"conv2d"``, ``"linear"``, ...)."""
        return TYPE_NAMES[type(self.op)]


@dataclass(frozen=True)
class Network:
    """A network whose every size is known: what ``load_network`` returns."""

    name: str
    description: str
    input_shape: Shape
    layers: tuple[Layer, ...]
    source: str

    @property
    def output_shape(self) -> Shape:
        """The shape after the last layer (the input shape for an empty network)."""
        return self.layers[-1].out_shape if self.layers else self.input_shape


def format_shape(shape: Shape) -> str:
    """``(64, 55, 55)`` → ``"64x55x55"``: ASCII, so it reads the same in every terminal."""
    return "x".join(str(n) for n in shape)


@dataclass(frozen=True)
class RawLayer:
    """A parsed layer before shape resolution; ``named`` says whether the user named it."""

    index: int
    name: str
    named: bool
    op: Op

    @property
    def type(self) -> str:
        """The spec's type name (``"conv2d"``, ``"linear"``, ...)."""
        return TYPE_NAMES[type(self.op)]
