"""derive: machine-checked derivations, typeset to PDF.

Everything an author needs is importable from here (``import derive as dv``)::

    doc = dv.Document("Backprop identities", author="A TA")
    part = doc.problem("Softmax", "statement …").part("a", "The gradient")
    d = part.derivation(dv.assume(dv.Integer(n, 1), dv.RealVector(z, n)))

Names are resolved on first use (PEP 562), so ``import derive`` stays cheap and the command
line's SymPy-free commands never import SymPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC: dict[str, str] = {
    # documents
    "Document": "derive.core.document",
    "Problem": "derive.core.document",
    "Part": "derive.core.document",
    "Derivation": "derive.core.document",
    "Step": "derive.core.step",
    "Squeeze": "derive.core.step",
    # assumptions
    "assume": "derive.core.assumptions",
    "Assumptions": "derive.core.assumptions",
    "Integer": "derive.core.assumptions",
    "Real": "derive.core.assumptions",
    "Positive": "derive.core.assumptions",
    "RealVector": "derive.core.assumptions",
    "RealArray": "derive.core.assumptions",
    "RealMatrix": "derive.core.assumptions",
    "Constraint": "derive.core.assumptions",
    # notation and functions
    "named": "derive.core.notation",
    "arbitrary": "derive.core.functions",
    # checking outside a document (tests, notebooks)
    "check": "derive.notebook",
    "CheckResult": "derive.core.checks.result",
    # figures measured by running code, cached between builds
    "measured": "derive.core.measurements",
    "require": "derive.core.measurements",
    "Unavailable": "derive.core.measurements",
    "torch_version": "derive.core.measurements",
    "single_threaded": "derive.core.measurements",
    # errors an author may see or raise
    "InputError": "derive.errors",
    "AuthoringError": "derive.errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first access."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
