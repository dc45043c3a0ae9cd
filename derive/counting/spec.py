"""TOML network spec → validated layer hyperparameters, with one-line errors naming the layer.

The spec format (all sizes exclude the batch dimension)::

    name = "alexnet"
    description = "one line shown by `derive count --list`"
    input = [3, 227, 227]          # or [features]

    [[layers]]
    name = "conv1"                 # optional; letters, digits, underscores
    type = "conv2d"
    out_channels = 64              # in_channels may be omitted: it is inferred
    kernel_size = 11               # an int or [height, width]
    stride = 4

Field names are PyTorch's, so a spec reads like the ``nn.Sequential`` it describes. Everything here
is user input: each problem becomes ``InputError`` with one line that says where (the source and
the layer's index, name and type), what is wrong and how to fix it. Sizes that depend on the
previous layer (channels, kernel fitting) are checked by ``shapes.resolve``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from derive.counting import layers as L
from derive.counting.messages import layer_where, show, suggest
from derive.counting.shapes import resolve
from derive.errors import InputError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: No real layer comes near it; it keeps every count a readable integer (and every loop short).
MAX_SIZE = 10**12
_TOP_LEVEL = ("name", "description", "input", "layers")


# --- field kinds: each checks one value and returns it normalised, or a description of what it
# --- should have been (the caller adds the location and the value).


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive_int(value: object) -> int | None:
    return value if _is_int(value) and value > 0 else None  # type: ignore[return-value]


def _pair(minimum: int) -> Callable[[object], L.Pair | None]:
    def check(value: object) -> L.Pair | None:
        if _is_int(value) and value >= minimum:  # type: ignore[operator]
            return (value, value)  # type: ignore[return-value]
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_int(v) and v >= minimum for v in value)
        ):
            return (value[0], value[1])
        return None

    return check


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _probability(value: object) -> float | None:
    return float(value) if _is_number(value) and 0 <= value <= 1 else None  # type: ignore[operator]


def _positive_number(value: object) -> float | None:
    return float(value) if _is_number(value) and value > 0 else None  # type: ignore[operator]


@dataclass(frozen=True)
class _Kind:
    check: Callable[[object], Any]
    expected: str


_POS_INT = _Kind(_positive_int, "a positive integer")
_POS_PAIR = _Kind(
    _pair(1), "a positive integer or [height, width] of positive integers"
)
_PADDING = _Kind(
    _pair(0), "a non-negative integer or [height, width] of non-negative integers"
)
_BOOL = _Kind(_bool, "true or false")
_PROB = _Kind(_probability, "a number from 0 to 1")
_POS_NUM = _Kind(_positive_number, "a positive number")

_REQUIRED = object()


@dataclass(frozen=True)
class _Schema:
    op: type
    fields: Mapping[str, tuple[_Kind, object]]  # field → (kind, default or _REQUIRED)


_SCHEMAS: dict[str, _Schema] = {
    "conv2d": _Schema(
        L.Conv2d,
        {
            "in_channels": (_POS_INT, None),
            "out_channels": (_POS_INT, _REQUIRED),
            "kernel_size": (_POS_PAIR, _REQUIRED),
            "stride": (_POS_PAIR, (1, 1)),
            "padding": (_PADDING, (0, 0)),
            "dilation": (_POS_PAIR, (1, 1)),
            "groups": (_POS_INT, 1),
            "bias": (_BOOL, True),
        },
    ),
    "linear": _Schema(
        L.Linear,
        {
            "in_features": (_POS_INT, None),
            "out_features": (_POS_INT, _REQUIRED),
            "bias": (_BOOL, True),
        },
    ),
    "maxpool2d": _Schema(
        L.MaxPool2d,
        {
            "kernel_size": (_POS_PAIR, _REQUIRED),
            "stride": (_POS_PAIR, None),  # None: PyTorch's default, the kernel size
            "padding": (_PADDING, (0, 0)),
            "dilation": (_POS_PAIR, (1, 1)),
            "ceil_mode": (_BOOL, False),
        },
    ),
    "avgpool2d": _Schema(
        L.AvgPool2d,
        {
            "kernel_size": (_POS_PAIR, _REQUIRED),
            "stride": (_POS_PAIR, None),
            "padding": (_PADDING, (0, 0)),
            "ceil_mode": (_BOOL, False),
        },
    ),
    "adaptive_avgpool2d": _Schema(
        L.AdaptiveAvgPool2d, {"output_size": (_POS_PAIR, _REQUIRED)}
    ),
    "batchnorm2d": _Schema(
        L.BatchNorm2d,
        {
            "num_features": (_POS_INT, None),
            "eps": (_POS_NUM, 1e-5),
            "momentum": (_PROB, 0.1),
            "affine": (_BOOL, True),
        },
    ),
    "batchnorm1d": _Schema(
        L.BatchNorm1d,
        {
            "num_features": (_POS_INT, None),
            "eps": (_POS_NUM, 1e-5),
            "momentum": (_PROB, 0.1),
            "affine": (_BOOL, True),
        },
    ),
    "relu": _Schema(L.ReLU, {"inplace": (_BOOL, False)}),
    "dropout": _Schema(L.Dropout, {"p": (_PROB, 0.5)}),
    "flatten": _Schema(L.Flatten, {}),
}

#: The layer types a spec may use, sorted for messages and ``--help``.
LAYER_TYPES: tuple[str, ...] = tuple(sorted(_SCHEMAS))


def parse_spec(text: str, source: str) -> L.Network:
    """Parse and resolve a spec's TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: arrays or tables nested too deeply to read; a spec needs two levels") from None
    except ValueError as exc:  # an integer literal beyond Python's 4300-digit conversion limit
        raise InputError(f"{source}: a number has too many digits to read ({str(exc)[:40]}…); "
                         "sizes are at most 10^12") from None
    try:
        return build_network(data, source)
    except RecursionError:
        raise InputError(f"{source}: values nested too deeply; sizes are integers or [height, width]") from None


def build_network(data: Mapping[str, Any], source: str) -> L.Network:
    """Validate a spec's decoded TOML and resolve every size (see the module docstring)."""
    for key in data:
        if key not in _TOP_LEVEL:
            raise InputError(
                f'{source}: unknown top-level field "{key}"{suggest(key, _TOP_LEVEL)}; '
                f"allowed: {', '.join(_TOP_LEVEL)}"
            )
    name = data.get("name", source)
    if not isinstance(name, str) or not name:
        raise InputError(f"{source}: name must be a non-empty string, got {show(name)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError(
            f"{source}: description must be a string, got {show(description)}"
        )
    if "input" not in data:
        raise InputError(
            f'{source}: missing top-level field "input"; add e.g. input = [3, 32, 32]'
        )
    input_shape = _input_shape(data["input"], source)
    raw = data.get("layers")
    if raw is None or raw == []:
        raise InputError(f"{source}: no layers; add at least one [[layers]] table")
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise InputError(
            f"{source}: layers must be an array of tables written [[layers]], got {show(raw)}"
        )
    parsed = _parse_layers(raw, source)
    return L.Network(
        name=name,
        description=description,
        input_shape=input_shape,
        layers=resolve(input_shape, parsed, source),
        source=source,
    )


def _input_shape(value: object, source: str) -> L.Shape:
    if (
        isinstance(value, list)
        and len(value) in (1, 3)
        and all(_is_int(v) and v > 0 for v in value)
    ):
        _not_too_large(tuple(value), f"{source}: input")
        return tuple(value)
    raise InputError(
        f"{source}: input must be [channels, height, width] or [features] "
        f"of positive integers, got {show(value)}"
    )


def _not_too_large(value: object, where: str) -> None:
    values = value if isinstance(value, tuple) else (value,)
    if any(_is_int(v) and v > MAX_SIZE for v in values):
        raise InputError(f"{where} is too large ({show(value)}); sizes are at most 10^12")


def _parse_layers(tables: list[dict[str, Any]], source: str) -> list[L.RawLayer]:
    parsed: list[L.RawLayer] = []
    used: dict[str, int] = {}
    for index, table in enumerate(tables, start=1):
        layer = _parse_layer(index, table, source)
        if layer.name in used:
            where = layer_where(source, index, layer.name, layer.type)
            raise InputError(
                f'{where}: name "{layer.name}" is already used by layer {used[layer.name]}; '
                "give each layer its own name"
            )
        used[layer.name] = index
        parsed.append(layer)
    return parsed


def _parse_layer(index: int, table: dict[str, Any], source: str) -> L.RawLayer:
    name = table.get("name")
    if name is not None and not (isinstance(name, str) and _NAME.match(name)):
        raise InputError(
            f"{layer_where(source, index, None, None)}: name must be letters, digits and "
            f"underscores, not starting with a digit, got {show(name)}"
        )
    type_name = table.get("type")
    where = layer_where(source, index, name, None)
    if type_name is None:
        raise InputError(
            f'{where}: missing field "type"; set it to one of {", ".join(LAYER_TYPES)}'
        )
    if not isinstance(type_name, str):
        raise InputError(f"{where}: type must be a string, got {show(type_name)}")
    if type_name not in _SCHEMAS:
        hint = (
            suggest(type_name, LAYER_TYPES)
            or f"; known types: {', '.join(LAYER_TYPES)}"
        )
        raise InputError(f'{where}: unknown type "{type_name}"{hint}')
    schema = _SCHEMAS[type_name]
    where = layer_where(source, index, name, type_name)
    allowed = ("name", "type", *schema.fields)
    for key in table:
        if key not in allowed:
            hint = suggest(key, allowed) or f"; allowed fields: {', '.join(allowed)}"
            raise InputError(f'{where}: unknown field "{key}"{hint}')
    values: dict[str, Any] = {}
    for field, (kind, default) in schema.fields.items():
        if field not in table:
            if default is _REQUIRED:
                raise InputError(f'{where}: missing required field "{field}"')
            values[field] = default
            continue
        checked = kind.check(table[field])
        if checked is None:
            raise InputError(
                f"{where}: {field} must be {kind.expected}, got {show(table[field])}"
            )
        _not_too_large(checked, f"{where}: {field}")
        values[field] = checked
    if values.get("stride", ()) is None:
        values["stride"] = values["kernel_size"]
    return L.RawLayer(
        index=index,
        name=name if name is not None else f"{type_name}_{index}",
        named=name is not None,
        op=schema.op(**values),
    )
