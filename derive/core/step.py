"""What a step of a derivation is: data only. How it is checked lives in ``checks``.

A step claims ``lhs rel rhs`` under declared assumptions, with a short justification. The
justification is a sequence of plain text (escaped when typeset) and SymPy expressions (printed
by the LaTeX printer), so maths in a justification also comes from objects, never typed LaTeX.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Union

import sympy as sp

from derive.core.assumptions import Assumptions

RELATIONS = ("=", "<=", "<", ">=", ">", "def")

Prose = tuple[Union[str, sp.Basic], ...]


@dataclass(frozen=True)
class Squeeze:
    """The squeeze rule: lower ≤ f ≤ upper (established by the steps named) and both bounds tend
    to the claimed limit. The step's lhs is ``Limit(f, var, point)``."""

    lower: sp.Expr
    upper: sp.Expr
    lower_step: str
    upper_step: str


@dataclass(frozen=True)
class Step:
    """One displayed relation of a derivation."""

    id: str
    lhs: Any
    rel: str
    rhs: Any
    why: Prose = ()
    assumptions: Assumptions = field(default_factory=Assumptions)
    continued: bool = False  # shown as "= rhs" under the previous line
    rule: Squeeze | None = None
    definitions: tuple[tuple[sp.Basic, sp.Basic], ...] = ()

    def __post_init__(self) -> None:
        if self.rel not in RELATIONS:
            raise ValueError(f"step {self.id}: unknown relation {self.rel!r}; use one of {RELATIONS}")

    @property
    def is_definition(self) -> bool:
        return self.rel == "def"

    def content_hash(self, checker_version: str) -> str:
        """A hash of everything the check depends on: a changed step is checked again."""
        parts = [
            checker_version,
            self.id,  # the numeric samples are seeded by the id, so the result depends on it
            self.rel,
            sp.srepr(self.lhs),
            sp.srepr(self.rhs),
            repr(self.assumptions),
            repr(self.rule),
            repr(self.definitions),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
