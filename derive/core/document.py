"""The document a problem's content builds: problems, parts and their blocks (data only).

Content modules describe the mathematics with these objects; the checker walks the steps; the
renderer lays the blocks out with templates. A block is one of: a Derivation (checked steps),
Prose (text and inline maths), a Result (a boxed restatement of a checked step), a Table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import sympy as sp

from derive.core import authoring
from derive.core.assumptions import Assumptions
from derive.core.selection import parse_part_name
from derive.core.step import RELATIONS, Squeeze, Step
from derive.core.step import Prose as ProseParts
from derive.errors import AuthoringError, InputError, shown


class _Notebook:
    """Jupyter shows these objects checked and typeset (the work is in :mod:`derive.notebook`;
    imported only when a notebook asks, so the data classes stay free of the renderer)."""

    def _repr_latex_(self) -> str:
        from derive import notebook

        return notebook.latex(self)

    def _repr_html_(self) -> str:
        from derive import notebook

        return notebook.html(self)


@dataclass
class Derivation(_Notebook):
    """A chain of steps under shared assumptions and definitions.

    Made by :meth:`Part.derivation`. Each step is checked on its own (symbolically, and
    numerically at random points that satisfy the assumptions), with every name introduced
    by :meth:`define` replaced by its meaning. A malformed step is refused here, where it is
    written, with an :class:`~derive.errors.AuthoringError` naming the file and line.
    """

    id_prefix: str
    assumptions: Assumptions
    definitions: list[tuple[sp.Basic, sp.Basic]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    counter: list[int] = field(default_factory=lambda: [0])
    where: str = ""  # "Problem 1 'Title', part a", for messages
    # Non-empty: the main text shows only this one-line summary (with the steps' marks) and the
    # companion check log shows the derivation in full. For arithmetic a reader need not follow.
    supplement: str = ""

    def _next_id(self) -> str:
        self.counter[0] += 1
        return f"{self.id_prefix}.{self.counter[0]}"

    def _validated(self, step_id: str, lhs: Any, rel: str, rhs: Any, assumptions: Assumptions) -> tuple[Any, Any]:
        where = f"step {step_id}" + (f" ({self.where})" if self.where else "")
        return authoring.validate(where, lhs, rel, rhs, assumptions, self.definitions, RELATIONS)

    def define(self, name: sp.Basic, meaning: Any, why: ProseParts | str = ()) -> Step:
        """Introduce a name; later steps are checked with the name replaced by its meaning."""
        step_id = self._next_id()
        name, meaning = self._validated(step_id, name, "def", meaning, self.assumptions)
        step = Step(step_id, name, "def", meaning, _prose(why), self.assumptions,
                    definitions=tuple(self.definitions))
        self.definitions.append((name, meaning))
        self.steps.append(step)
        return step

    def step(self, lhs: Any, rel: str, rhs: Any, why: ProseParts | str = (),
             assumptions: Assumptions | None = None, rule: Squeeze | None = None,
             display: tuple[Any, Any] | None = None, unproved: str = "") -> Step:
        """A new line: lhs rel rhs, where rel is one of =, <=, <, >=, >.

        ``display=(shown_lhs, shown_rhs)`` prints those forms in the PDF instead; they are
        checked to equal lhs and rhs, so what is shown is still what is proved. ``unproved``: why
        no proof is expected, shown in the appendix if the step ends numeric-only.
        """
        step_id = self._next_id()
        merged = self.assumptions + assumptions if assumptions else self.assumptions
        lhs, rhs = self._validated(step_id, lhs, rel, rhs, merged)
        shown = self._display(step_id, display, merged, pair=True)
        step = Step(step_id, lhs, rel, rhs, _prose(why), merged, rule=rule,
                    definitions=tuple(self.definitions), display=shown, unproved=unproved)
        self.steps.append(step)
        return step

    def then(self, rel: str, rhs: Any, why: ProseParts | str = (),
             assumptions: Assumptions | None = None, display: Any = None, unproved: str = "") -> Step:
        """Continue the chain: the previous right-hand side rel rhs (shown as '= rhs').

        ``display=shown_rhs`` prints that form of rhs instead (checked to equal rhs).
        """
        if not self.steps:
            raise authoring.refuse(f"derivation {self.id_prefix}", "then() needs a step before it; start with step()")
        previous = self.steps[-1]
        step_id = self._next_id()
        merged = self.assumptions + assumptions if assumptions else self.assumptions
        lhs, rhs = self._validated(step_id, previous.rhs, rel, rhs, merged)
        shown = self._display(step_id, display, merged, pair=False)
        step = Step(step_id, lhs, rel, rhs, _prose(why), merged, continued=True,
                    definitions=tuple(self.definitions), display=shown, unproved=unproved)
        self.steps.append(step)
        return step

    def _display(self, step_id: str, display: Any, assumptions: Assumptions, pair: bool) -> tuple[Any, Any] | None:
        if display is None:
            return None
        if pair:
            if not (isinstance(display, tuple) and len(display) == 2):
                raise authoring.refuse(f"step {step_id}", "display= takes a pair (shown lhs, shown rhs)")
            shown_lhs, shown_rhs = display
        else:
            shown_lhs, shown_rhs = None, display
        checked = [authoring.as_expression(e, "display", f"step {step_id}") if e is not None else None
                   for e in (shown_lhs, shown_rhs)]
        return (checked[0], checked[1])


@dataclass(frozen=True)
class Prose:
    """A paragraph: plain strings (escaped) and SymPy expressions (printed inline).

    ``argued`` marks a paragraph that links checked steps by an argument in words, which derive
    does not check; the PDF shows it as "argued, not checked".
    """

    parts: ProseParts
    argued: bool = False


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
    functions: tuple[Callable[..., Any] | str, ...]

    def sources(self) -> list[tuple[str, str]]:
        """(module, source) of each function, as ``inspect.getsource`` gives it. A function named
        by path is read from its module's file without importing it, so a rebuild whose PDF is
        unchanged never pays for importing torch just to list code."""
        import ast
        import importlib.util
        import inspect

        found = []
        for item in self.functions:
            if not isinstance(item, str):
                found.append((item.__module__, inspect.getsource(item)))
                continue
            module, _, name = item.partition(":")
            spec = importlib.util.find_spec(module)
            if spec is None or not spec.origin:
                raise ImportError(f"no module named {module!r}")
            with open(spec.origin, encoding="utf-8") as file:
                text = file.read()
            lines = text.splitlines(keepends=True)
            for node in ast.parse(text).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    found.append((module, "".join(lines[first - 1:node.end_lineno])))
                    break
            else:
                raise ImportError(f"{module} defines no top-level {name!r}")
        return found

    def resolved(self) -> tuple[Callable[..., Any], ...]:
        """The functions; one named as ``"package.module:name"`` is imported only now, when the
        listing is rendered (so building a document for grading never imports, say, torch)."""
        import importlib

        found = []
        for item in self.functions:
            if isinstance(item, str):
                module, _, name = item.partition(":")
                item = getattr(importlib.import_module(module), name)
            found.append(item)
        return tuple(found)


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
class Part(_Notebook):
    """A part (a), (b), … of a problem: derivations, prose, results and tables, in order."""

    label: str
    title: str
    problem: int = 0
    blocks: list[Block] = field(default_factory=list)
    problem_title: str = ""

    @property
    def id(self) -> str:
        return f"p{self.problem}.{self.label}"

    def derivation(self, assumptions: Assumptions, name: str = "") -> Derivation:
        """A new chain of steps; every symbol its steps use must be declared in ``assumptions``."""
        if not isinstance(assumptions, Assumptions):
            raise authoring.refuse(f"part {self.id}", "derivation() takes assume(...) of the variables its steps use")
        prefix = f"{self.id}.{name}" if name else self.id
        existing = [b for b in self.blocks if isinstance(b, Derivation) and b.id_prefix == prefix]
        where = f"problem {self.problem}" + (f" {self.problem_title!r}" if self.problem_title else "") + f", part {self.label}"
        block = Derivation(prefix, assumptions, counter=existing[-1].counter if existing else [0], where=where)
        self.blocks.append(block)
        return block

    def say(self, *parts: str | sp.Basic) -> None:
        """A paragraph: strings are typeset literally (escaped), SymPy objects as inline maths."""
        self.blocks.append(Prose(tuple(parts)))

    def argue(self, *parts: str | sp.Basic) -> None:
        """A link between checked steps argued in words, shown plainly as not checked."""
        self.blocks.append(Prose(tuple(parts), argued=True))

    def result(self, result_id: str, meaning: str, step: Step, lhs: Any = None, rhs: Any = None) -> Result:
        """Box a checked step as a result with a stable id (what ``derive results``/``grade`` use).

        ``rhs`` optionally shows a name the derivation defined instead of the step's right side."""
        if not isinstance(step, Step):
            raise authoring.refuse(f"result {result_id!r}", "result() takes the Step returned by step() or then()")
        # A box is shown as checked, so what it displays must be what the chain established.
        # Names the derivation defined after the step (the box shows them) count as defined.
        named = next((tuple(b.definitions) for b in self.blocks if isinstance(b, Derivation) and step in b.steps), ())
        checked = dataclasses.replace(step, definitions=named) if len(named) > len(step.definitions) else step
        for shown_side, sides, left in ((lhs, self._chain_lefts(step), True), (rhs, [step.rhs], False)):
            if shown_side is not None and not _same_quantity(shown_side, sides, checked, label=left):
                raise authoring.refuse(
                    f"result {result_id!r}",
                    f"the boxed side {sp.sstr(shown_side)[:80]} is not what step {step.id} established; "
                    "box a step that states it, or name it with a label that is not defined")
        block = Result(result_id, meaning, step, lhs, rhs)
        self.blocks.append(block)
        return block

    def _chain_lefts(self, step: Step) -> list[Any]:
        """Left sides that ``step``'s right side is equal to: its own, and those of the "=" chain
        it continues (a boxed chain ``a = b = c`` may be shown as ``a = c``)."""
        lefts = [step.lhs]
        for block in self.blocks:
            if isinstance(block, Derivation) and step in block.steps:
                position = block.steps.index(step)
                while block.steps[position].continued and block.steps[position].rel == "=" and position > 0:
                    position -= 1
                    if block.steps[position].rel != "=":
                        break
                    lefts.append(block.steps[position].lhs)
        return lefts

    def table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
              align: str = "", note: str = "") -> None:
        """A table: cells are strings (escaped), ints (grouped) or SymPy expressions."""
        # ``align`` goes into \begin{tabular}{...} as written: only column letters and rules, so
        # that it cannot carry TeX code (\input, \write, a brace that closes the argument).
        if not isinstance(align, str) or not all(c in "lcr|" for c in align):
            raise AuthoringError(f"table {shown(caption)}: align {shown(align)} may hold only the "
                                 "column letters l, c, r and rules |")
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
class Problem(_Notebook):
    """A numbered problem: a title, a statement and its parts."""

    number: int
    title: str
    statement: ProseParts = ()
    parts: list[Part] = field(default_factory=list)

    def part(self, label: str, title: str) -> Part:
        """A new part; ``label`` is a short lowercase name such as 'a' (ids become p1.a.…)."""
        if not (isinstance(label, str) and label.isalpha() and label.islower()):
            raise authoring.refuse(f"problem {self.number}", f"part label {label!r} must be lowercase letters, like 'a'")
        if any(p.label == label for p in self.parts):
            raise authoring.refuse(f"problem {self.number}", f"there is already a part {label!r}")
        part = Part(label, title, self.number, problem_title=self.title)
        self.parts.append(part)
        return part

    def steps(self) -> Iterator[Step]:
        for part in self.parts:
            yield from part.steps()

    def results(self) -> Iterator[Result]:
        for part in self.parts:
            yield from (b for b in part.blocks if isinstance(b, Result))


Builder = Callable[[], Problem]


class Document(_Notebook):
    """A document: a title, an author and numbered problems, checked and typeset by derive.

    A document file defines ``document()`` returning one of these::

        doc = Document("Backprop identities", author="A TA")
        p = doc.problem("Softmax cross-entropy", "statement …")

    Problems are numbered by their order. :meth:`include` adds a problem built only when it is
    needed (so ``derive check FILE 2`` builds problem 2 alone).
    """

    def __init__(self, title: str, author: str = "", name: str = "") -> None:
        if not isinstance(title, str) or not title.strip():
            raise AuthoringError("Document(title): the title must be a non-empty string")
        self.title = title
        self.author = author
        self.name = name  # file name of the outputs; derive uses the document file's name if empty
        self._entries: list[Problem | Builder] = []

    def problem(self, title: str, statement: ProseParts | str = ()) -> Problem:
        """Add the next problem (numbered 1, 2, … in order) and return it to add parts to."""
        problem = Problem(len(self._entries) + 1, title, _prose(statement))
        self._entries.append(problem)
        return problem

    def include(self, builder: Builder) -> None:
        """Add the next problem as a function that builds it, called only when it is selected.

        The builder must return a Problem numbered as its position (``Problem(n, …)``).
        """
        if not callable(builder):
            raise AuthoringError(f"Document.include takes a function returning a Problem, not {builder!r}")
        self._entries.append(builder)

    @property
    def numbers(self) -> list[int]:
        return list(range(1, len(self._entries) + 1))

    def load(self, number: int) -> Problem:
        """Problem ``number`` (1-based), built now if it was included as a builder."""
        entry = self._entries[number - 1]
        if isinstance(entry, Problem):
            return entry
        problem = entry()
        if not isinstance(problem, Problem):
            raise AuthoringError(f"problem {number}: its builder returned {type(problem).__name__}, not a Problem")
        if problem.number != number:
            raise AuthoringError(f"problem {number}: its builder numbered it {problem.number}; number it {number}")
        return problem

    @property
    def problems(self) -> list[Problem]:
        """Every problem, built."""
        return [self.load(n) for n in self.numbers]

    def select(self, names: Sequence[str] = ()) -> list[Problem]:
        """Problems (with only the named parts) for names such as '1', '1a', 'p1.a' or '2'.

        No names means the whole document.
        """
        wanted: dict[int, set[str] | None] = {}
        for name in names:
            number, label = parse_part_name(name)
            if number not in self.numbers:
                known = ", ".join(str(n) for n in self.numbers)
                raise InputError(f"no problem {number} in the document (part {shown(name)}); known problems: {known}")
            if label is None:
                wanted[number] = None
            elif wanted.get(number, set()) is not None:
                wanted.setdefault(number, set()).add(label)
        problems = []
        for number in sorted(wanted) if names else self.numbers:
            problem = self.load(number)
            labels = wanted.get(number)
            if labels is not None:
                missing = labels - {p.label for p in problem.parts}
                if missing:
                    have = ", ".join(p.label for p in problem.parts)
                    raise InputError(f"problem {number} has no part {sorted(missing)[0]!r}; its parts are {have}")
                # A copy: a document built once (not by a builder) keeps all its parts.
                problem = dataclasses.replace(problem, parts=[p for p in problem.parts if p.label in labels])
            problems.append(problem)
        return problems


def _prose(why: ProseParts | str) -> ProseParts:
    return (why,) if isinstance(why, str) else tuple(why)


def _only_names(label: sp.Symbol, step: Step) -> bool:
    """A label claims nothing only if it cannot be read as something else: not printed like a
    symbol of the step or of its declarations (a bare Symbol('x') prints as the real x), and not
    like a number (Symbol('0'), or a named symbol shown as 0)."""
    import re

    from derive.core.notation import DISPLAY_NAMES

    shown = lambda s: DISPLAY_NAMES.get(s, s.name)  # noqa: E731
    used = set()
    for side in (step.lhs, step.rhs):
        used |= set(getattr(side, "free_symbols", ()))
    for variable in step.assumptions.variables:
        used |= {v for v in (getattr(variable, "symbol", None), getattr(variable, "base", None)) if v is not None}
    names = {str(s) for s in used} | {shown(s) for s in used if isinstance(s, sp.Symbol)}
    core = re.sub(r"\\(mathrm|mathit|mathbf|mathsf|text|operatorname)|[{}\s]", "", shown(label))
    return label.name not in names and shown(label) not in names and not re.fullmatch(r"[-+0-9.,]*", core)


def _same_quantity(shown_side: Any, sides: Sequence[Any], step: Step, label: bool = True) -> bool:
    """True when a box's displayed side is a pure label (``label``: on the left only), or equals
    one of ``sides`` once the derivation's definitions are substituted (structurally, or by
    SymPy's simplification)."""
    from derive.core.checks.prepare import expand_definitions

    defined = {name for name, _ in step.definitions}
    if label and isinstance(shown_side, sp.Symbol) and shown_side not in defined and all(
            shown_side not in getattr(side, "free_symbols", ()) for side in sides) and _only_names(shown_side, step):
        return True  # a label such as M_conv: it names the boxed value and claims nothing more
    shown_expanded = expand_definitions(shown_side, step.definitions)
    expanded_sides = [expand_definitions(side, step.definitions) for side in sides]
    if any(shown_expanded == side for side in expanded_sides):
        return True  # the usual case, decided without SymPy's (slow) simplification
    from derive.core.checks import ranges

    facts = ranges.declared_facts(step.assumptions)
    for side_expanded in expanded_sides:
        try:
            difference = sp.sympify(shown_expanded - side_expanded)
            if ranges.trusted(difference, facts):
                continue  # SymPy would compare Karr's sums (a backwards range), not the shown ones
            if sp.simplify(difference.doit()) == 0:
                return True
        except Exception:  # noqa: BLE001 - SymPy failing to decide means "not shown to be equal"
            continue
    return False
