"""Network specs (TOML) → shapes and exact parameter and operation counts. No SymPy, no torch.

The pipeline, one module per stage::

    spec text ──spec.parse_spec──▶ layers ──shapes.resolve──▶ Network
    Network ──counts.count_network(convention)──▶ NetworkCount ──report──▶ table / JSON

``load_network`` finds a built-in spec (``specs/*.toml``) or reads a file; ``brute`` recounts
small layers by enumeration and ``torch_build`` builds the network in PyTorch, both for tests.
"""

from __future__ import annotations

from derive.counting.convention import Convention
from derive.counting.counts import (
    LayerCount,
    NetworkCount,
    Totals,
    count_layer,
    count_network,
)
from derive.counting.layers import Conv2d, Layer, Linear, MaxPool2d, Network
from derive.counting.loading import builtin_spec_text, builtin_specs, load_network
from derive.counting.spec import LAYER_TYPES, build_network, parse_spec

__all__ = [
    "LAYER_TYPES",
    "Conv2d",
    "Convention",
    "Layer",
    "LayerCount",
    "Linear",
    "MaxPool2d",
    "Network",
    "NetworkCount",
    "Totals",
    "build_network",
    "builtin_spec_text",
    "builtin_specs",
    "count_layer",
    "count_network",
    "load_network",
    "parse_spec",
]
