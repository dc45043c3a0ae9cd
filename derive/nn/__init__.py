"""Numeric helpers users call directly: folding batch norm, convolutions as matrices, nets in nets.

Why lazy: ``import derive`` must stay cheap and must work without numpy or torch installed
(they are optional extras). Each public name is resolved on first access by importing only
the submodule that defines it, so ``from derive.nn import fold_bn`` on numpy arrays never
imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule of derive.nn that defines it
_LAZY: dict[str, str] = {
    "fold_bn": "bn",
    "fold_formula": "bn",
    "linear_to_conv": "net_in_net",
    "conv_matrix": "conv",
    "conv_operator": "conv",
    "multiplication_counts": "conv",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first access (PEP 562)."""
    submodule = _LAZY.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{submodule}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
