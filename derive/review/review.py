"""Review a student's workings: every link gets a verdict from the derive engine.

Each link ``A rel B`` becomes a :class:`derive.core.step.Step` (with the names defined before
it as the step's definitions, and samplers for its variables from the front matter or the
defaults) and is checked by :func:`derive.core.checks.runner.check_step`: symbolically, and by
the numeric search for a counterexample, each under the engine's time limits. Verdicts:

* ``verified`` / ``numeric-only``: as in a derive build (proved and sampled / only sampled);
* ``wrong``: a counterexample (or a symbolic disproof), with a diagnosis where one fits;
* ``definition``: it names something (``:=``, "let", a quantity named in words); claims nothing;
* ``not checked``: with the reason — prose, unparsed notation, undefined name, a relation that
  is read but not checked (→, ⇒, ∈, ≈), an index range, the time limit, or a check that could
  not evaluate. Never a silent skip.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from derive.core.checks import numeric
from derive.core.checks.prepare import expand_definitions
from derive.core.checks.result import FAILED, NUMERIC_ONLY, UNDECIDED, VERIFIED
from derive.core.checks.runner import check_step
from derive.core.step import Step
from derive.errors import InputError
from derive.grade.parser import EntryMax, EntryMin
from derive.review import diagnosis as D
from derive.review import sides as S
from derive.review import tables as T
from derive.review.chain import relation_of
from derive.review.domains import Domains
from derive.review.extract import Workings, read_workings
from derive.review.links import RawLink, build_links

WRONG, DEFINITION, NOT_CHECKED = "wrong", "definition", "not checked"
REVIEW_SECONDS = 300.0  # all links together; each check also has the engine's own limits
MAX_LINKS = 2000  # a long homework has a few hundred
MORE_SAMPLES = 40  # points of the longer numeric search before a line without proof gets ≈
MORE_SECONDS = 10.0
# "where j = i_max" is as often a condition as a definition, so only these words define.
_DEFINING_WORDS = frozenset(("let", "define", "denote"))
_SHOW = 160


@dataclass
class LinkVerdict:
    line: int
    relation: str  # as written
    verdict: str
    note: str = ""
    reason: str = ""  # the category of a "not checked"
    lhs: sp.Basic | None = None
    rhs: sp.Basic | None = None
    rel: str = ""  # the engine's relation for a checked link
    lhs_text: str = ""
    rhs_text: str = ""
    continued: bool = False
    written_rel: str = ""  # the relation as written (\\le, =, \\Rightarrow)

    def to_json(self) -> dict:
        data = {"line": self.line, "relation": self.relation, "verdict": self.verdict, "note": self.note}
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class Review:
    path: str
    kind: str
    links: list[LinkVerdict] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    display_names: dict[sp.Symbol, str] = field(default_factory=dict)  # placeholder → as written

    @property
    def first_wrong(self) -> LinkVerdict | None:
        return next((link for link in self.links if link.verdict == WRONG), None)

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in ("verified", "numeric-only", WRONG, DEFINITION, NOT_CHECKED)}
        for link in self.links:
            out[link.verdict] += 1
        return out

    def not_checked_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for link in self.links:
            if link.verdict == NOT_CHECKED:
                out[link.reason] = out.get(link.reason, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def review_file(path: Path, seconds: float = REVIEW_SECONDS) -> Review:
    return review_workings(read_workings(path), seconds)


def review_workings(workings: Workings, seconds: float = REVIEW_SECONDS) -> Review:
    domains = Domains.from_front_matter(workings.assume)
    tables = T.find_tables(workings.pieces)
    review = Review(workings.path, workings.kind)
    review.notes.extend(T.add_each_formulas(workings.raw_lines, tables))
    table_lines = {t.line for t in tables} | {t.line + k for t in tables for k in range(1, len(t.rows) + 2)}
    raw_links = build_links(workings.pieces, table_lines)
    if len(raw_links) > MAX_LINKS:
        raise InputError(f"{workings.path}: {len(raw_links)} relations; the limit for one review is {MAX_LINKS}")
    functions = S.FunctionNames()
    for link in raw_links:  # "Let $\mu_k(\underline{x}) = …$": the application becomes a name
        if link.lhs is not None and not link.lhs.prose and _defining(link):
            functions.register(link.lhs.text)
    review.display_names = functions.display_names()
    formulas = [p.text for p in workings.pieces if p.kind != "prose"]
    for base, length in S.find_vectors(formulas).items():
        if base not in domains.declared:
            domains.vectors[base] = length or "6"
    for text in formulas:
        domains.scalars |= set(S.LIMIT_VARIABLE.findall(text))
    domains.scalars |= {column.name for table in tables for column in table.columns}  # whole numbers
    parsed: dict[str, S.Parsed] = {}

    def parse(side) -> S.Parsed:
        if side is None or side.prose:
            return S.Parsed(None, S.PROSE, "words")
        text = side.text.strip()
        if not text:
            return S.Parsed(None, S.NO_SIDE, "nothing on this side")
        if text not in parsed:
            parsed[text] = S.parse_side(functions.substitute(text), domains)
        return parsed[text]

    for link in raw_links:
        for side in (link.lhs, link.rhs):
            parse(side)
    _infer_integers(domains, [p.expr for p in parsed.values() if p.expr is not None])
    for link in raw_links:  # "\text{Num linear layer multiplications} = C_{out} C_{in}"
        if link.lhs is not None and link.lhs.prose and not link.prose and relation_of(link.rel) in ("=", "def"):
            result = parse(link.rhs)
            if result.expr is not None:
                T.add_named_formula(link.lhs.text, result.expr, tables)
    columns = _column_formulas(raw_links, parse, tables)
    checker = _Checker(domains, tables, time.monotonic() + seconds, functions)
    for number, link in enumerate(raw_links):
        review.links.append(checker.verdict(number, link, parse(link.lhs), parse(link.rhs)))
        if number in columns:
            review.links.extend(checker.table_rows(number, link, *columns[number]))
    review.links.sort(key=lambda verdict: verdict.line)  # a table's rows sit at their own lines
    return review


def _column_formulas(raw_links: list[RawLink], parse, tables: list[T.Table]) -> dict[int, tuple]:
    """Links that end a column formula (tables.py, rule 4) → (table, column, formula):
    ``h_{out} = FORMULA``, or ``h_{out} = \\text{words}`` continued by ``= FORMULA``."""
    found: dict[int, tuple] = {}
    for number, link in enumerate(raw_links):
        if link.prose or link.conditional or relation_of(link.rel) not in ("=", "def") or link.lhs is None or link.lhs.prose:
            continue
        end = number
        if link.rhs.prose and number + 1 < len(raw_links):
            after = raw_links[number + 1]
            if not (after.line == link.line and after.lhs is not None and after.lhs.prose
                    and after.lhs.text.strip() == link.rhs.text.strip() and relation_of(after.rel) in ("=", "def")):
                continue
            end = number + 1
        formula = parse(raw_links[end].rhs).expr
        column = parse(link.lhs).expr
        table = T.column_table(column, formula, tables) if formula is not None else None
        if table is not None:
            found[end] = (table, column, formula)
    return found


def _defining(link: RawLink) -> bool:
    """:=, "let s = …", or a quantity named in words: a definition, not a claim."""
    rel = relation_of(link.rel)
    if rel == "def":
        return True
    if rel != "=":
        return False
    words = link.lead.split()
    return bool(words and words[-1].lower() in _DEFINING_WORDS) or (link.lhs is not None and link.lhs.prose)


def _infer_integers(domains: Domains, exprs: list[sp.Basic]) -> None:
    """Sum bounds and indices are integers; an index runs over its vector's positions."""
    for expr in exprs:
        for total in expr.atoms(sp.Sum):
            for index, low, high in total.limits:
                domains.integers.add(index.name)
                domains.integers |= {s.name for s in (low.free_symbols | high.free_symbols) if isinstance(s, sp.Symbol)}
        for entry in expr.atoms(sp.Indexed):
            length = domains.vectors.get(str(entry.base.label), str(6)) or "6"
            for index in entry.indices:
                for symbol in index.free_symbols:
                    if isinstance(symbol, sp.Symbol) and symbol.name not in domains.declared:
                        domains.index_of.setdefault(symbol.name, length)
    for name in list(domains.integers):
        if name in domains.declared:
            domains.integers.discard(name)


class _Checker:
    def __init__(self, domains: Domains, tables: list[T.Table], deadline: float,
                 functions: S.FunctionNames) -> None:
        self.functions = functions
        self.domains = domains
        self.tables = tables
        self.deadline = deadline
        self.defined: dict[sp.Symbol, sp.Expr] = {}  # in the order the workings define them
        self.unread: dict[sp.Basic, int] = {}  # defined, but in a form not read → its line
        self.seen: set[str] = set()  # names used by the links so far

    def _first_use(self, link: RawLink, left: S.Parsed, right: S.Parsed, rel: str | None) -> bool:
        """``$$y = A x + b$$`` where y appears for the first time introduces y: students
        define names this way without "let", and checking it as a claim would call it wrong.
        Not under a condition ("for $i = j$"), nor naming another name ("j = i_max")."""
        if not (rel == "=" and link.first and not link.continued and not link.conditional
                and isinstance(left.expr, sp.Symbol) and left.expr.name not in self.seen):
            return False
        if right.expr is None:  # "A = \begin{pmatrix}…": defined, in a form not read
            self.unread[S.with_domains(left.expr, self.domains)] = link.line
            return False
        return not isinstance(right.expr, sp.Symbol)

    def verdict(self, number: int, link: RawLink, left: S.Parsed, right: S.Parsed) -> LinkVerdict:
        lhs_text = link.lhs.text.strip() if link.lhs is not None else "…"
        rhs_text = link.rhs.text.strip()
        written = f"{_short(lhs_text)} {link.rel} {_short(rhs_text)}"
        out = LinkVerdict(link.line, written, NOT_CHECKED, lhs_text=lhs_text, rhs_text=rhs_text,
                          continued=link.continued, written_rel=link.rel)
        if link.prose:
            out.relation = _short(rhs_text)
            return _not_checked(out, S.PROSE, "a relation written in words")
        if link.index_range:
            return _not_checked(out, S.INDEX_RANGE, "the range of an index, not a claim")
        rel = relation_of(link.rel)
        first_use = self._first_use(link, left, right, rel)
        for side in (left, right):
            if side.expr is not None:
                self.seen |= {str(s) for s in side.expr.free_symbols}
        if _defining(link) or first_use:
            return self._definition(out, link, left, right)
        if rel is None:
            return _not_checked(out, S.NOT_CHECKED_RELATION, f"'{link.rel}' is read but not checked")
        if link.lhs is None or link.lhs.prose or link.rhs.prose:
            return _not_checked(out, S.PROSE, "a side in words")
        for name, side in (("left", left), ("right", right)):
            if side.expr is None:
                where = "the previous side" if name == "left" and link.continued else f"the {name} side"
                return _not_checked(out, side.reason, f"{where}: {side.detail}")
        lhs, rhs = S.with_domains(left.expr, self.domains), S.with_domains(right.expr, self.domains)
        lhs, rhs = self.domains.known_maxima(lhs), self.domains.known_maxima(rhs)
        out.lhs, out.rhs, out.rel = lhs, rhs, rel
        if lhs.has(EntryMax, EntryMin) or rhs.has(EntryMax, EntryMin):
            return _not_checked(out, S.UNDEFINED, "which entry is the largest (smallest) is not said before this line")
        if rel == "=" and all(isinstance(e, sp.Symbol) for e in (lhs, rhs)) and (lhs.is_integer or rhs.is_integer):
            # "j = i_max", "i = j": which index is meant, not a claim about values
            return _not_checked(out, S.INDEX_RANGE, "a choice of index, not a claim")
        definitions, missing = self._definitions_for(lhs, rhs)
        if missing:
            shown = ", ".join(self.functions.shown(name) for name in missing)
            return _not_checked(out, S.UNDEFINED, f"{shown} is not defined before this line")
        if time.monotonic() > self.deadline:
            return _not_checked(out, S.TIME, "the review's time budget was spent on earlier links")
        checked = self._check(out, number, lhs, rel, rhs, definitions)
        if checked.verdict == WRONG and link.conditional:
            # False in general; the words around it state a condition this check cannot see.
            return _not_checked(checked, S.CONDITION, f"stated under a condition in words; false without it ({checked.note})")
        unread = [(thing, line) for thing, line in self.unread.items() if lhs.has(thing) or rhs.has(thing)]
        if checked.verdict == WRONG and unread:
            # False for some values of x_j — but the student defined x_j (as a maximum, say)
            # in a form derive could not read, so it may hold for the value meant.
            thing, line = unread[0]
            return _not_checked(checked, S.UNDEFINED, f"uses {sp.sstr(thing)}, defined on line {line} in a form "
                                f"not read; false for other values ({checked.note})")
        return checked

    def table_rows(self, number: int, link: RawLink, table: T.Table, column: sp.Symbol,
                   formula: sp.Expr) -> list[LinkVerdict]:
        """Each row of ``table`` against the column formula on ``link``'s line (tables.py, rule 4)."""
        verdicts = []
        for row, stated, computed in T.column_claims(table, column, formula):
            line = table.row_lines.get(row, table.line)
            out = LinkVerdict(line, f"row {row}: {column} = {sp.sstr(formula)}", NOT_CHECKED,
                              lhs_text=str(column), rhs_text=sp.sstr(formula), written_rel="=")
            if not computed.is_number:
                verdicts.append(_not_checked(out, S.UNDEFINED, f"row {row} lacks a number the formula on line {link.line} uses"))
                continue
            checked = self._check(out, f"{number}.row{row}", stated, "=", computed, ())
            checked.lhs, checked.rhs, checked.rel = column, formula, "="
            checked.note = (f"row {row}: {stated} in the table, {sp.sstr(computed)} by the formula on line {link.line}; "
                            + checked.note)
            verdicts.append(checked)
        return verdicts

    def _definition(self, out: LinkVerdict, link: RawLink, left: S.Parsed, right: S.Parsed) -> LinkVerdict:
        out.verdict = DEFINITION
        if link.lhs is not None and link.lhs.prose:
            out.note = "names a quantity in words"
            if right.expr is not None:
                out.rhs, out.rel = S.with_domains(right.expr, self.domains), "def"
            return out
        largest = _names_a_largest_entry(left.expr, right.expr)
        if largest:
            base, index = largest
            self.domains.maxima.setdefault(base, index)
            self.domains.index_of.setdefault(index, self.domains.vectors.get(base, "") or str(6))
            out.note = f"{base}_{index} is the largest entry of {base} for later lines"
            return out
        if left.expr is not None and (right.expr is None or not isinstance(left.expr, sp.Symbol)):
            self.unread[S.with_domains(left.expr, self.domains)] = link.line
        if left.expr is None or not isinstance(left.expr, sp.Symbol):
            out.note = "defines something that is not a plain name; not used later"
            return out
        if right.expr is None:
            out.note = f"not bound: {right.detail}"
            return out
        name = S.with_domains(left.expr, self.domains)
        value = S.with_domains(right.expr, self.domains)
        definitions, _ = self._definitions_for(value)
        expanded = expand_definitions(value, definitions)
        if expanded.has(name) or expanded.has(sp.Symbol(left.expr.name)):  # s := t + 1 after t := s + 1
            self.unread[name] = link.line
            out.note = f"not bound: defines {left.expr.name} by itself"
            return out
        _, missing = self._definitions_for(value, sp.Integer(0))
        if missing:
            out.note = f"not bound: uses {', '.join(self.functions.shown(n) for n in missing)}, not defined before this line"
            return out
        self.defined[sp.Symbol(left.expr.name)] = value
        self.defined[name] = value
        out.lhs, out.rhs, out.rel = name, value, "def"
        shown = self.functions.shown(left.expr.name)
        out.note = f"binds {shown} for later lines" + ("" if _defining(link) else f" (the first appearance of {shown})")
        return out

    def _definitions_for(self, *exprs: sp.Basic) -> tuple[tuple, list[str]]:
        """The definitions a link uses (in definition order) and names nothing defines."""
        used: dict[sp.Symbol, sp.Expr] = {}
        missing: list[str] = []
        pending = list(exprs)
        while pending:
            expr = pending.pop()
            for name in S.undefined_names(expr, self.domains, {s.name for s in self.defined} | {s.name for s in used}):
                value = T.row_value(name, self.tables)
                if value is None:
                    missing.append(name)
                else:
                    for symbol in expr.free_symbols:
                        if getattr(symbol, "name", None) == name:
                            used[symbol] = value
            for symbol, value in self.defined.items():
                if symbol in expr.free_symbols and symbol not in used:
                    used[symbol] = value
                    pending.append(value)
        order = [s for s in self.defined if s in used] + [s for s in used if s not in self.defined]
        return tuple((s, used[s]) for s in order), sorted(set(missing))

    def _check(self, out: LinkVerdict, number: int, lhs, rel: str, rhs, definitions: tuple) -> LinkVerdict:
        if lhs.has(sp.Derivative) or rhs.has(sp.Derivative):
            differentiated = _defined_variables(definitions, lhs, rhs)
            if differentiated:
                return _not_checked(out, S.UNDEFINED, f"differentiates by {differentiated}, which is defined earlier")
            lhs, rhs = _expand_in_derivatives(lhs, definitions), _expand_in_derivatives(rhs, definitions)
        full_lhs, full_rhs = expand_definitions(lhs, definitions), expand_definitions(rhs, definitions)
        assumptions = self.domains.assumptions(*_names(full_lhs, full_rhs))
        step = Step(f"review.{out.line}.{number}", lhs, rel, rhs, (), assumptions, definitions=definitions)
        try:
            result = check_step(step)
        except Exception as error:  # noqa: BLE001 - the engine's failure is "not checked", never a verdict
            return _not_checked(out, S.CHECKER, f"{type(error).__name__} in the checker")
        methods = "; ".join(f"{m.method}: {m.outcome}" for m in result.methods)
        if result.status == VERIFIED:
            out.verdict, out.note = VERIFIED, _method_note(result, "proved")
            return out
        if result.status == UNDECIDED:  # out of time: no verdict either way
            return _not_checked(out, S.TIME, result.message or methods)
        if result.status == NUMERIC_ONLY:
            # Without a proof, a student's line earns ≈ only after a longer search: a claim
            # false on a small part of the domain (a < 0 < a + b, say) escapes a few points.
            more = numeric.check(step.id + ".more", full_lhs, rel, full_rhs, assumptions,
                                 samples=MORE_SAMPLES, seconds=MORE_SECONDS)
            if more.outcome == "passed":
                out.verdict, out.note = NUMERIC_ONLY, f"numeric: {more.detail} (no proof)"
                return out
            result = type(result)(result.step_id, FAILED, result.methods + (more,), more.detail)
        if result.status != FAILED:
            return _not_checked(out, S.CHECKER, methods)
        disproof = [m for m in result.methods if m.outcome == "failed" and _is_counterexample(m.detail)]
        proved = any(m.outcome == "proved" for m in result.methods)
        if not disproof or proved:
            detail = next((m.detail for m in result.methods if m.outcome in ("failed", "timeout")), methods)
            reason = S.TIME if "ran out" in detail else S.CHECKER
            return _not_checked(out, reason, detail)
        counterexample = next((m.detail for m in disproof if m.method.startswith("numeric")), disproof[0].detail)
        if _COMPLEX.search(counterexample.split(":", 1)[-1]):
            # log or sqrt of a negative sample: the link may hold where it is meant to (a > 0)
            return _not_checked(out, S.DOMAIN, f"a side is not real at the sample ({counterexample}); "
                                "declare the domain in the front matter, e.g. a = \"real > 0\"")
        out.verdict = WRONG
        if full_lhs.is_number and full_rhs.is_number and not full_lhs.free_symbols and not full_rhs.free_symbols:
            counterexample = f"the left side is {_exact(full_lhs)}, the right side {_exact(full_rhs)}"
        diagnosis = D.rounded(out.rhs_text, full_lhs, full_rhs) or D.diagnose(step.id, full_lhs, rel, full_rhs, assumptions)
        out.note = counterexample + (f"; {diagnosis}" if diagnosis else "")
        return out


def _names_a_largest_entry(left: sp.Basic | None, right: sp.Basic | None) -> tuple[str, str] | None:
    """``x_j := \\max\\{x_1, \\dots, x_n\\}``: (x, j) — j is where x is largest, for later lines."""
    if (isinstance(left, sp.Indexed) and len(left.indices) == 1 and isinstance(left.indices[0], sp.Symbol)
            and right == EntryMax(left.base)):
        return str(left.base.label), left.indices[0].name
    return None


def _defined_variables(definitions: tuple, *exprs: sp.Basic) -> str:
    """A variable of a derivative that a definition gives a value: ∂/∂x after "let x = 2"."""
    defined = {name for name, _ in definitions}
    for expr in exprs:
        for derivative in expr.atoms(sp.Derivative):
            for variable in derivative.variables:
                if variable in defined or variable.free_symbols & defined:
                    return sp.sstr(variable)
    return ""


def _expand_in_derivatives(expr: sp.Basic, definitions: tuple) -> sp.Basic:
    """Definitions put into what is differentiated by replacement, before the engine's own
    expansion: that uses ``subs``, and SymPy's ``subs`` holds a name fixed while differentiating
    (∂(s x)/∂x with s := x² becomes x², not 3x²), which would verify a wrong derivative."""
    if not definitions:
        return expr
    mapping = dict(definitions)

    def expand(derivative: sp.Derivative) -> sp.Basic:
        body = derivative.expr
        for _ in range(len(mapping) + 1):
            replaced = body.xreplace(mapping)
            if replaced == body:
                break
            body = replaced
        return sp.Derivative(body, *derivative.variable_count, evaluate=False)

    return expr.replace(lambda node: isinstance(node, sp.Derivative), expand)


def _names(*exprs: sp.Basic) -> tuple[set[sp.Symbol], set[sp.IndexedBase]]:
    symbols: set[sp.Symbol] = set()
    bases: set[sp.IndexedBase] = set()
    for expr in exprs:
        labels = {b.label for b in expr.atoms(sp.IndexedBase)}
        bases |= expr.atoms(sp.IndexedBase)
        free = set(expr.free_symbols)
        for derivative in expr.atoms(sp.Derivative):  # SymPy leaves out j of ∂/∂x_j: it picks the entry
            free |= {s for variable in derivative.variables for s in variable.free_symbols}
        symbols |= {s for s in free if isinstance(s, sp.Symbol) and s not in labels}
    return symbols, bases


def _is_counterexample(detail: str) -> bool:
    """A failure that shows the link false (a point, or an exact non-zero difference)."""
    return detail.startswith("at ") or "simplifies to" in detail or detail.startswith("the gap is")


def _method_note(result, outcome: str) -> str:
    parts = [f"{m.method}: {m.detail}" for m in result.methods if m.outcome == outcome and m.detail]
    return "; ".join(parts)


def _not_checked(out: LinkVerdict, reason: str, note: str) -> LinkVerdict:
    out.verdict, out.reason, out.note = NOT_CHECKED, reason, f"{reason}: {note}" if note else reason
    return out


_COMPLEX = re.compile(r"(?<![A-Za-z])I(?![A-Za-z])")
def _exact(value: sp.Expr) -> str:
    return sp.sstr(value) if value.is_Rational else f"{sp.sstr(value)} ≈ {sp.N(value, 12)}"


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"
