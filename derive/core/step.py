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


_DEFINITION_TEXT: dict[int, tuple[tuple, str]] = {}


def _definition_text(pair: tuple[sp.Basic, sp.Basic]) -> str:
    """srepr of a definition, once per definition: every later step of a derivation carries it."""
    known = _DEFINITION_TEXT.get(id(pair))
    if known is None or known[0] is not pair:  # the pair is kept alive, so its id is not reused
        known = (pair, f"{sp.srepr(pair[0])}:={sp.srepr(pair[1])}")
        _DEFINITION_TEXT[id(pair)] = known
    return known[1]


_MODULE_HASH: dict[str, str] = {}


def _module_hash(cls: type) -> str:
    """A hash of the source file a class was defined in (its methods and the helpers they call)."""
    import sys

    path = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not isinstance(path, str):  # a module loaded without registering it: its methods know their file
        codes = (getattr(v, "__code__", None) for v in vars(cls).values())
        path = next((c.co_filename for c in codes if c is not None), None)
    if not isinstance(path, str):
        return "no-file"
    if path not in _MODULE_HASH:
        try:
            with open(path, "rb") as handle:
                _MODULE_HASH[path] = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            _MODULE_HASH[path] = "unreadable"
    return _MODULE_HASH[path]


def _function_classes_text(*exprs: Any) -> list[str]:
    """What srepr leaves out of a function: a function's assumptions (Function('f', positive=True)
    prints as Function('f')) and, for a class defined outside SymPy, its code (an edited fdiff or
    evalf prints the same). Without them a cached ✓ outlives a change that makes the step false."""
    texts: set[str] = set()
    for expr in exprs:
        if not isinstance(expr, sp.Basic):
            continue
        for node in sp.preorder_traversal(expr):
            cls = type(node)
            module = getattr(cls, "__module__", "") or ""
            foreign = not module.startswith("sympy")
            if not (isinstance(node, sp.Function) or foreign):
                continue
            facts = getattr(cls, "default_assumptions", {}) or {}
            text = f"{module}.{getattr(cls, '__qualname__', cls.__name__)}:{sorted(facts.items())}"
            if foreign:
                text += ":" + _module_hash(cls)
            texts.add(text)
    return sorted(texts)


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
    # What the PDF prints instead of (lhs, rhs), when the author gave display=; never checked,
    # so it is not part of the content hash.
    display: tuple[Any, Any] | None = field(default=None, compare=False)
    # Why no proof is expected, for the appendix when the step ends numeric-only (display only,
    # so not part of the content hash: it changes no check).
    unproved: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.rel not in RELATIONS:
            from derive.errors import AuthoringError  # a ValueError too, as before

            raise AuthoringError(f"step {self.id}: unknown relation {self.rel!r}; use one of {RELATIONS}")

    @property
    def is_definition(self) -> bool:
        return self.rel == "def"

    def content_hash(self, checker_version: str) -> str:
        """A hash of everything the check depends on: a changed step is checked again."""
        memo = self.__dict__.setdefault("_hashes", {})  # the step is immutable, so is its hash
        if checker_version not in memo:
            memo[checker_version] = self._hash(checker_version)
        return memo[checker_version]

    def _hash(self, checker_version: str) -> str:
        parts = [
            checker_version,
            self.id,  # the numeric samples are seeded by the id, so the result depends on it
            self.rel,
            sp.srepr(self.lhs),
            sp.srepr(self.rhs),
            repr(self.assumptions),
            repr(self.rule),
            *(_definition_text(pair) for pair in self.definitions),
            *_function_classes_text(self.lhs, self.rhs, *(e for pair in self.definitions for e in pair)),
        ]
        if self.display is not None:  # the shown form is checked against the canonical one
            parts.append("display:" + sp.srepr(self.display))
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
