"""The document a problem's content builds: problems, parts and their blocks (data only).

Content modules describe the mathematics with these objects; the checker walks the steps; the
renderer lays the blocks out with templates. A block is one of: a Derivation (checked steps),
Prose (text and inline maths), a Result (a boxed restatement of a checked step), a Table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import sympy as sp

from derive.core.assumptions import Assumptions
from derive.core.step import Prose as ProseParts
from derive.core.step import Squeeze, Step


@dataclass
class Derivation:
    """A chain of steps under shared assumptions and definitions."""

    id_prefix: str
    assumptions: Assumptions
    definitions: list[tuple[sp.Basic, sp.Basic]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    counter: list[int] = field(default_factory=lambda: [0])
    # Non-empty: the main text shows only this one-line summary (with the steps' marks) and the
    # companion check log shows the derivation in full. For arithmetic a reader need not follow.
    supplement: str = ""

    def _next_id(self) -> str:
        self.counter[0] += 1
        return f"{self.id_prefix}.{self.counter[0]}"

    def define(self, name: sp.Basic, meaning: sp.Basic, why: ProseParts | str = ()) -> Step:
        """Introduce a name; later steps are checked with the name replaced by its meaning."""
        step = Step(self._next_id(), name, "def", meaning, _prose(why), self.assumptions,
                    definitions=tuple(self.definitions))
        self.definitions.append((name, meaning))
        self.steps.append(step)
        return step

    def step(self, lhs: Any, rel: str, rhs: Any, why: ProseParts | str = (),
             assumptions: Assumptions | None = None, rule: Squeeze | None = None) -> Step:
        """A new line: lhs rel rhs."""
        step = Step(self._next_id(), lhs, rel, rhs, _prose(why),
                    self.assumptions + assumptions if assumptions else self.assumptions,
                    rule=rule, definitions=tuple(self.definitions))
        self.steps.append(step)
        return step

    def then(self, rel: str, rhs: Any, why: ProseParts | str = (),
             assumptions: Assumptions | None = None) -> Step:
        """Continue the chain: the previous right-hand side rel rhs (shown as '= rhs')."""
        previous = self.steps[-1]
        step = Step(self._next_id(), previous.rhs, rel, rhs, _prose(why),
                    self.assumptions + assumptions if assumptions else self.assumptions,
                    continued=True, definitions=tuple(self.definitions))
        self.steps.append(step)
        return step


@dataclass(frozen=True)
class Prose:
    """A paragraph: plain strings (escaped) and SymPy expressions (printed inline)."""

    parts: ProseParts


@dataclass(frozen=True)
class Result:
    """A boxed result that restates a checked step (its lhs, relation and rhs).

    ``result_id`` is the stable id by which users and ``derive grade`` refer to it.
    """

    result_id: str
    meaning: str
    step: Step
    lhs: Any = None  # optionally a shorter left-hand side to display, e.g. a named quantity
    rhs: Any = None  # optionally a right-hand side to display: a name the derivation defined

    @property
    def value(self) -> Any:
        return self.step.rhs


@dataclass(frozen=True)
class Table:
    """A table of figures; cells are strings (escaped), ints (grouped) or SymPy expressions."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    align: str = ""
    note: str = ""


@dataclass(frozen=True)
class Listing:
    """Program code shown verbatim: the source of the very functions the build runs.

    Holds the function objects, not their text, so the listing can only show code that exists
    and is imported; the renderer reads each one's source with ``inspect.getsource``.
    """

    caption: str
    functions: tuple[Callable[..., Any], ...]


@dataclass(frozen=True)
class Figure:
    """A picture drawn by the template ``figures/<template>.tex.j2`` from computed data.

    ``data`` maps names to numbers, strings, or sequences of (x, y) points; the renderer turns
    them into TeX, the template only lays them out.
    """

    template: str
    caption: str
    data: Mapping[str, Any]


Block = Union[Derivation, Prose, Result, Table, Listing, Figure]


@dataclass
class Part:
    label: str
    title: str
    problem: int = 0
    blocks: list[Block] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"p{self.problem}.{self.label}"

    def derivation(self, assumptions: Assumptions, name: str = "") -> Derivation:
        prefix = f"{self.id}.{name}" if name else self.id
        existing = [b for b in self.blocks if isinstance(b, Derivation) and b.id_prefix == prefix]
        block = Derivation(prefix, assumptions, counter=existing[-1].counter if existing else [0])
        self.blocks.append(block)
        return block

    def say(self, *parts: str | sp.Basic) -> None:
        self.blocks.append(Prose(tuple(parts)))

    def result(self, result_id: str, meaning: str, step: Step, lhs: Any = None, rhs: Any = None) -> Result:
        block = Result(result_id, meaning, step, lhs, rhs)
        self.blocks.append(block)
        return block

    def table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
              align: str = "", note: str = "") -> None:
        self.blocks.append(Table(caption, tuple(header), tuple(tuple(r) for r in rows), align, note))

    def listing(self, caption: str, *functions: Callable[..., Any]) -> None:
        self.blocks.append(Listing(caption, functions))

    def figure(self, template: str, caption: str, **data: Any) -> None:
        self.blocks.append(Figure(template, caption, data))

    def steps(self) -> Iterator[Step]:
        for block in self.blocks:
            if isinstance(block, Derivation):
                yield from block.steps


@dataclass
class Problem:
    number: int
    title: str
    statement: ProseParts = ()
    parts: list[Part] = field(default_factory=list)

    def part(self, label: str, title: str) -> Part:
        part = Part(label, title, self.number)
        self.parts.append(part)
        return part

    def steps(self) -> Iterator[Step]:
        for part in self.parts:
            yield from part.steps()

    def results(self) -> Iterator[Result]:
        for part in self.parts:
            yield from (b for b in part.blocks if isinstance(b, Result))


def _prose(why: ProseParts | str) -> ProseParts:
    return (why,) if isinstance(why, str) else tuple(why)
