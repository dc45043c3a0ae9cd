"""Display names for symbols that stand for defined quantities (ν_β(x), μ_k(βx), …).

A name is notation, not a result: the renderer prints it for the symbol, and the checker
replaces the symbol by its definition before anything is checked.
"""

from __future__ import annotations

import sympy as sp

DISPLAY_NAMES: dict[sp.Symbol, str] = {}


def named(name: str, latex: str, **assumptions) -> sp.Symbol:
    """A symbol shown as ``latex`` in the document."""
    symbol = sp.Symbol(name, **assumptions)
    DISPLAY_NAMES[symbol] = latex
    return symbol
