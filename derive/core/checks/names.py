"""Names the checker makes for itself, kept apart from the names an author writes.

While checking, derive renames symbols: bound variables to ``_bound_j`` (prepare), arguments and
sum indices of compiled code to ``_a0``, ``_b0``, ``_s0`` (compiled), stand-in functions to
``_fn0``; and compiled code calls each function class by its name. An author's symbol that
already bears such a name is the same SymPy symbol as the one made, so a sum captured it and
false claims were marked (Σ_j k·y_j = Σ_j j·y_j with k named ``_s0`` got ≈; with ``_bound_j``,
✓). Two function classes of one name shared one value in compiled code. A step that uses such
names is therefore refused, with the name to change, before anything is checked.
"""

from __future__ import annotations

from typing import Any, Iterable

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

RESERVED_PREFIX = "_"  # every name the checker makes starts with it


def naming_problem(exprs: Iterable[Any]) -> str:
    """Why the names in ``exprs`` cannot be checked safely, or ''."""
    symbols: set = set()
    classes: dict[str, set] = {}
    for expr in exprs:
        if not isinstance(expr, sp.Basic):
            continue
        for atom in expr.atoms(sp.Symbol, sp.MatrixSymbol):
            symbols.add(atom)
        for applied in expr.atoms(sp.Function):
            classes.setdefault(type(applied).__name__, set()).add(type(applied))
    for symbol in sorted(symbols, key=str):  # an IndexedBase's label is a Symbol among them
        name = str(symbol.name)
        if name.startswith(RESERVED_PREFIX):
            return (f"the symbol name {name!r} starts with {RESERVED_PREFIX!r}, which derive keeps for the "
                    "names it makes while checking; rename the symbol")
    for name, kinds in sorted(classes.items()):
        if name.startswith(RESERVED_PREFIX):
            return (f"the function name {name!r} starts with {RESERVED_PREFIX!r}, which derive keeps for the "
                    "names it makes while checking; rename the function")
        if len(kinds) > 1:
            return f"two different functions are named {name!r}; give each its own name"
        (kind,) = kinds
        own = issubclass(kind, AppliedUndef) or not kind.__module__.startswith("sympy.")
        if own and (hasattr(sp, name) or hasattr(mpmath, name)):
            # Compiled code calls functions by name: the author's would stand in for SymPy's.
            return (f"the function name {name!r} is also a function of SymPy or mpmath; "
                    "give the author's function another name")
    return ""
