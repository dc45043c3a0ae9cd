"""Read one side of a relation into SymPy with the grading parser, or say honestly why not.

Everything is read by :func:`derive.grade.parser.parse_answer` (a whitelist parser that executes
nothing, with bounds on length, nesting and numbers). This module adds only what a side of a
chain needs around it:

* ``\\lim_{v \\to p} ( body )`` in front of a bracketed body that spans the rest of the side:
  the body is parsed, then wrapped in ``Limit`` (p a number or ``\\infty``);
* a name followed by a bracket holding one name, ``\\mu_k(\\underline{x})`` or ``f(x)``, is
  function notation for an undefined function: "not checked", never read as a product;
* names are given their domains (:mod:`derive.review.domains`), and a name that is neither a
  variable nor defined makes the side "undefined name".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from derive.grade.parser import (AnswerParseError, ListedMax, ListedMin, ParseLimits, parse_answer,
                                 whole_vector_extrema)
from derive.review.domains import GREEK, Domains, is_variable_name

UNPARSED = "unparsed notation"
UNDEFINED = "undefined name"
PROSE = "prose"
NOT_CHECKED_RELATION = "relation not checked"
NO_SIDE = "missing side"
TIME = "time limit"
CHECKER = "checker could not evaluate"
INDEX_RANGE = "index range or choice"
DOMAIN = "not real at a sample"
CONDITION = "condition in words"

LIMITS = ParseLimits(max_length=4000)

_KNOWN_FUNCTIONS = frozenset("exp log ln sqrt max min sin cos tan".split())
_APPLICATION = re.compile(
    r"(?<![A-Za-z\\])(?P<head>\\?[A-Za-z]+)(?P<sub>_(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?\s*(?:\\left)?\(\s*"
    r"(?:\\(?:underline|mathbf|boldsymbol|vec|bm)\{\s*\\?[A-Za-z]+\s*\}|\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?)"
    r"\s*(?:\\right)?\)"
)
LIMIT_VARIABLE = re.compile(r"\\lim_\{\s*\\?([A-Za-z]+)\s*(?:\\to|\\rightarrow|→)")
_LIMIT = re.compile(
    r"\A\s*\\lim_\{\s*(?P<var>\\?[A-Za-z]+)\s*(?:\\to|\\rightarrow|→)\s*(?P<point>[^{}]+?)\s*\}\s*"
)
_WRAPPED = re.compile(r"\\(?:underline|mathbf|boldsymbol|vec|bm)\{\s*(\\?[A-Za-z]+)\s*\}(?=_)")
_FORALL = re.compile(r"\\forall\s*\\?[A-Za-z]+(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*\Z")
_SUM_INDEX = re.compile(r"\\sum_\{?\s*(?:\\substack\{\s*)?(\\?[A-Za-z]+)\s*=")
_SUM_TOP = r"\\sum_\{{\s*(?:\\substack\{{\s*)?{index}\s*=[^{{}}]*\}}\}}?\^\{{?\s*(\\?[A-Za-z][A-Za-z0-9]*(?:_\{{?[A-Za-z0-9]+\}}?)?)"


@dataclass(frozen=True)
class Parsed:
    expr: sp.Expr | None
    reason: str = ""  # one of the reasons above when expr is None
    detail: str = ""


class FunctionNames:
    """Functions the student defines, ``Let $\\mu_k(\\underline{x}) = …$``: each written
    application gets a placeholder name, so that the same application later is that name and
    the definition's value is substituted like any other definition. Only the application
    exactly as defined (up to spaces) is recognised; any other is function notation, unread."""

    PREFIX = "fnapp"

    def __init__(self) -> None:
        self.patterns: list[tuple[re.Pattern[str], str, str]] = []  # (pattern, placeholder, as written)

    def register(self, text: str) -> None:
        written = text.strip()
        match = _APPLICATION.fullmatch(written)
        if not match or any(shown == written for _, _, shown in self.patterns):
            return
        head = match.group("head").lstrip("\\")
        if head in _KNOWN_FUNCTIONS:
            return
        placeholder = f"{self.PREFIX}{len(self.patterns) + 1}"
        pattern = r"\s*".join(re.escape(ch) for ch in written if not ch.isspace())
        self.patterns.append((re.compile(rf"(?<![A-Za-z\\]){pattern}"), placeholder, written))

    def substitute(self, text: str) -> str:
        for pattern, placeholder, _ in self.patterns:
            text = pattern.sub(f" {placeholder} ", text)
        return text

    def shown(self, name: str) -> str:
        return next((written for _, placeholder, written in self.patterns if placeholder == name), name)

    def display_names(self) -> dict[sp.Symbol, str]:
        return {sp.Symbol(placeholder): written for _, placeholder, written in self.patterns}


def find_vectors(formulas: list[str]) -> dict[str, str]:
    """Bases written with a summation index of a sum in the same formula → their length."""
    found: dict[str, str] = {}
    bare: set[str] = set()
    formulas = [_WRAPPED.sub(r"\1", text) for text in formulas]
    for text in formulas:
        for index in set(_SUM_INDEX.findall(text)):
            name = re.escape(index)
            for match in re.finditer(rf"(?<![A-Za-z\\])(\\?[A-Za-z]+)_(?:\{{\s*{name}\s*\}}|{name}(?![A-Za-z0-9]))", text):
                base = match.group(1).lstrip("\\")
                if base == "sum" or base == index.lstrip("\\"):
                    continue
                top = re.search(_SUM_TOP.format(index=name), text)
                length = _plain_name(top.group(1)) if top else ""
                if base not in found or (not found[base] and length):
                    found[base] = length
    for text in formulas:
        stripped = re.sub(r"(?<![A-Za-z\\])\\?[A-Za-z]+_(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)", " ", text)
        stripped = re.sub(r"\\(?:underline|mathbf|boldsymbol|vec|bm)\{[^{}]*\}", " ", stripped)
        for base in found:
            word = re.escape(base)
            if re.search(rf"(?<![A-Za-z\\]){word}(?![A-Za-z0-9_])|\\{word}(?![A-Za-z0-9_])", stripped):
                bare.add(base)
    return {base: length or "" for base, length in found.items() if base not in bare}


def _plain_name(latex: str) -> str:
    return re.sub(r"[{}\\\s]", "", latex)


def parse_side(text: str, domains: Domains) -> Parsed:
    """The side as SymPy (plain symbols; see :func:`with_domains`), or why it cannot be read."""
    if len(text) > LIMITS.max_length:
        return Parsed(None, UNPARSED, f"a side longer than {LIMITS.max_length} characters")
    # "… \\forall i" at the end: every free name is universally quantified anyway (the numeric
    # search draws them all), so the quantifier adds nothing to check
    text = _FORALL.sub("", text)
    application = _function_application(text)
    if application:
        return Parsed(None, UNPARSED, f"function notation {application} of an undefined function")
    ambiguous = _ambiguous_product(text, set(domains.declared), domains.scalars)
    if ambiguous:
        return Parsed(None, UNPARSED, f"{ambiguous}(…) may apply a function; write {ambiguous} \\cdot (…) "
                      "for a product, or declare it in [assume]")
    limit = _LIMIT.match(text)
    variable = point = None
    if limit:
        body = text[limit.end():].strip()
        if not _one_bracket(body):
            return Parsed(None, UNPARSED, "a limit whose body is not one bracketed group")
        point = _limit_point(limit.group("point"))
        if point is None:
            return Parsed(None, UNPARSED, f"limit point {limit.group('point').strip()}")
        variable, text = limit.group("var").lstrip("\\"), body
    try:
        # "$…$" makes the parser read LaTeX even without a backslash (C_{out} (C_{in} - 1)),
        # as it does for any answer written between dollars.
        expr = parse_answer(f"${text}$", {b: domains.base(b) for b in domains.vectors}, limits=LIMITS)
    except AnswerParseError as error:
        return Parsed(None, UNPARSED, error.message)
    except (RecursionError, ValueError, TypeError, ArithmeticError) as error:
        return Parsed(None, UNPARSED, f"SymPy refused it ({type(error).__name__})")
    if expr.has(ListedMax, ListedMin):
        expr = whole_vector_extrema(expr, domains.vectors)
        for listed in expr.atoms(ListedMax, ListedMin):
            base, last = listed.args
            return Parsed(None, UNPARSED, f"{base}_1, …, {base}_{last} may be only part of {base}"
                          + (f" (of length {domains.vectors[str(base)]})" if domains.vectors.get(str(base)) else ""))
    captured = _captured_name(expr)
    if captured:
        return Parsed(None, UNPARSED, f"{captured} inside a sum over its subscript; declare its base as a vector")
    if variable is not None:
        expr = sp.Limit(expr, sp.Symbol(variable), point)
    return Parsed(expr)


def _captured_name(expr: sp.Basic) -> str:
    """A plain name like e_j inside a sum over j: the parser read it as one constant, while the
    student means an entry that changes with j. Checking it as a constant could pass a false
    step, so such a side is not read at all."""
    for total in expr.atoms(sp.Sum):
        indices = {str(limit[0]) for limit in total.limits}
        for symbol in total.function.free_symbols:
            name = getattr(symbol, "name", "")
            if "_" in name and name.split("_", 1)[1].strip("{}") in indices:
                return name
    return ""


def undefined_names(expr: sp.Basic, domains: Domains, defined: set[str]) -> list[str]:
    """Names that are neither variables (see :mod:`derive.review.domains`) nor defined yet."""
    bound = {s.name for s in _bound_symbols(expr)}
    return sorted(
        s.name for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s.name not in defined and s.name not in bound
        and not is_variable_name(s.name, set(domains.declared))
    )


def _bound_symbols(expr: sp.Basic) -> set[sp.Symbol]:
    out: set[sp.Symbol] = set()
    for node in expr.atoms(sp.Sum, sp.Limit):
        if isinstance(node, sp.Sum):
            out |= {limit[0] for limit in node.limits}
        else:
            out.add(node.args[1])
    return out


def with_domains(expr: sp.Basic, domains: Domains) -> sp.Basic:
    """Replace the parser's plain symbols by symbols carrying their domain's assumptions."""
    mapping = {}
    labels = {base.label for base in expr.atoms(sp.IndexedBase)}
    for symbol in expr.atoms(sp.Symbol):
        if type(symbol) is sp.Symbol and symbol not in labels and is_variable_name(symbol.name, set(domains.declared)):
            wanted = domains.symbol(symbol.name)
            if wanted != symbol:
                mapping[symbol] = wanted
    return expr.xreplace(mapping) if mapping else expr


def _function_application(text: str) -> str:
    for match in _APPLICATION.finditer(text):
        head = match.group("head").lstrip("\\")
        if head in _KNOWN_FUNCTIONS or head in _NOT_NAMES:
            continue
        if match.group("head").startswith("\\") and head not in GREEK:
            continue  # another command (\\dots); the parser says what it makes of it
        return match.group(0).strip()
    return ""


_NAME_THEN_BRACKET = re.compile(
    r"(?<![A-Za-z\\])(?P<head>\\?[A-Za-z]+)(?P<sub>_(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?\s*(?:\\left\s*)?\("
)
_NOT_NAMES = frozenset(
    "left right frac dfrac tfrac sqrt text mathrm cdot times div sum prod lim big Big bigg Bigg"
    " quad qquad displaystyle operatorname".split()
)


def _ambiguous_product(text: str, declared: set[str], scalars: set[str] = frozenset()) -> str:
    """``\\sigma(z)`` or ``f(a + b)``: a function applied, or a product? Read as a product it
    could verify σ(a + b) = σ(a) + σ(b), so it is read only for names declared in [assume] and
    for ``scalars``, names the workings show to be numbers (as the parser names them: C_out)."""
    for match in _NAME_THEN_BRACKET.finditer(text):
        head = match.group("head").lstrip("\\")
        if head in _KNOWN_FUNCTIONS or head in _NOT_NAMES or head == "e":
            continue
        if match.group("head").startswith("\\") and head not in GREEK:
            continue  # another command; the parser says what it makes of it
        if head in declared or _parser_name(head, match.group("sub")) in scalars:
            continue
        return (match.group("head") + (match.group("sub") or "")).strip()
    return ""


_BRACES_AND_COMMANDS = re.compile(r"[{}\\\s]")


def _parser_name(head: str, sub: str | None) -> str:
    """``C`` and ``_{out}`` → ``C_out``; ``\\beta`` → ``beta``: the name the parser gives."""
    return head if not sub else head + "_" + _BRACES_AND_COMMANDS.sub("", sub[1:])


def _one_bracket(body: str) -> bool:
    """The body is one bracketed group: ( … ) or \\left( … \\right) spanning it all."""
    if body.startswith("\\left("):
        opener, closer, inner = "\\left(", "\\right)", body
    elif body.startswith("("):
        opener, closer, inner = "(", ")", body
    else:
        return False
    if not inner.rstrip().endswith(closer):
        return False
    depth = 0
    stripped = inner.rstrip()
    i = 0
    while i < len(stripped):
        if stripped.startswith(opener, i) if opener != "(" else stripped[i] == "(":
            depth += 1
            i += len(opener)
            continue
        if stripped.startswith(closer, i) if closer != ")" else stripped[i] == ")":
            depth -= 1
            i += len(closer)
            if depth == 0 and i < len(stripped):
                return False
            continue
        i += 1
    return depth == 0


def _limit_point(text: str) -> sp.Expr | None:
    point = text.strip().replace(" ", "")
    if point in ("\\infty", "+\\infty", "∞"):
        return sp.oo
    if point in ("-\\infty", "-∞"):
        return -sp.oo
    if re.fullmatch(r"-?\d+", point):
        return sp.Integer(point)
    return None
