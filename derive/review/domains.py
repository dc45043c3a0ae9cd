"""What each name in the workings ranges over: declared in front matter, else by default.

Front matter (TOML between ``+++`` lines at the top of the file)::

    +++
    [assume]
    n = "integer >= 1"
    beta = "real > 0"
    x = "real vector of length n, maximum at j"
    +++

Domains (the whole syntax): ``integer``, ``integer >= K`` (K a whole number), ``real``,
``real > 0``, ``real >= 0``, ``real vector of length N`` and ``real vector of length N, maximum
at J`` (N and J names or whole numbers). Keys are names as the parser reads them: ``n``, ``beta``,
``C_in`` (for ``C_{in}``), ``x`` for a vector whose entries are ``x_i``.

Defaults without front matter:

* a *vector* is a letter written with a subscript that is the index of a sum in the same formula
  (``\\sum_{i=1}^n e^{x_i}`` makes x a vector) and never written bare (``\\underline{x}`` is the
  vector itself and does not count); its length is that sum's upper bound, else 6;
* names used as sum bounds or as indices of a vector are integers >= 1 (an index runs over its
  vector's positions);
* every other *variable* is real. A variable is a single letter, Latin or Greek, with or without
  a subscript (``x``, ``\\beta``, ``C_{in}``, ``h_{out}``) — or a name declared in [assume].
  Any other name (``conv1``, ``bias``) must be defined before it is used (``:=``, ``let``,
  or the table rows described in :mod:`derive.review.tables`); if it is not, the link that uses
  it is "not checked: undefined name", never treated as an unknown number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from derive.core.assumptions import Assumptions, Integer, NonNegative, Positive, Real, RealVector
from derive.errors import InputError

GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron rho sigma tau"
    " upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
INTEGER_HI = 6  # integers are drawn from lo .. lo + 5: small sizes exercise every formula
DEFAULT_LENGTH = 6

_INTEGER = re.compile(r"integer(?:\s*>=\s*(-?\d+))?")
_REAL = re.compile(r"real(?:\s*(>|>=)\s*0)?")
_VECTOR = re.compile(r"real vector of length ([A-Za-z][A-Za-z0-9_]*|\d+)(?:\s*,\s*maximum at ([A-Za-z][A-Za-z0-9_]*|\d+))?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Domain:
    kind: str  # "integer", "real", "positive", "nonnegative", "vector"
    lo: int = 1
    length: str = ""
    maximum_at: str = ""


def parse_domain(name: str, text: str) -> Domain:
    """One [assume] entry, or InputError quoting the documented syntax."""
    if not _NAME.fullmatch(name):
        raise InputError(f"[assume] {name!r}: not a name; write names as the parser reads them, e.g. C_in, beta, x")
    spec = " ".join(text.split())
    if match := _INTEGER.fullmatch(spec):
        return Domain("integer", int(match.group(1)) if match.group(1) else -10**6)
    if match := _REAL.fullmatch(spec):
        return Domain({None: "real", ">": "positive", ">=": "nonnegative"}[match.group(1)])
    if match := _VECTOR.fullmatch(spec):
        return Domain("vector", length=match.group(1), maximum_at=match.group(2) or "")
    raise InputError(
        f"[assume] {name} = {text!r}: unknown domain; use integer, integer >= K, real, real > 0, "
        "real >= 0, real vector of length N, or real vector of length N, maximum at J"
    )


def is_variable_name(name: str, declared: set[str]) -> bool:
    """Single letters (Latin or Greek), subscripted or not, and declared names."""
    base = name.split("_", 1)[0]
    return name in declared or base in declared or len(base) == 1 or base in GREEK


@dataclass
class Domains:
    """Every name's domain: declarations first, then the defaults (see the module docstring)."""

    declared: dict[str, Domain] = field(default_factory=dict)
    vectors: dict[str, str] = field(default_factory=dict)  # base → length name or number
    integers: set[str] = field(default_factory=set)
    index_of: dict[str, str] = field(default_factory=dict)  # index name → its vector's length
    # Names the workings show to be numbers, so that \beta(x_i - x_j) or C_{out}(C_{in} - 1) is a
    # product: variables of a limit (\lim_{\beta \to \infty}) and the columns of a table.
    scalars: set[str] = field(default_factory=set)
    # Where a vector is largest, as the workings define it (x_j := \max\{x_1, \dots, x_n\}),
    # from that line on; a declared "maximum at" comes first.
    maxima: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_front_matter(cls, assume: dict[str, str]) -> "Domains":
        declared = {name: parse_domain(name, text) for name, text in assume.items()}
        domains = cls(declared)
        for name, domain in declared.items():
            if domain.kind == "vector":
                domains.vectors[name] = domain.length
                if not domain.length.isdigit() and domain.length not in declared:
                    domains.integers.add(domain.length)  # a length is a size: an integer >= 1
                for size in (domain.length, domain.maximum_at):
                    if size in declared and declared[size].kind != "integer":
                        raise InputError(f"[assume] {name}: {size} is declared {declared[size].kind}; "
                                         "a vector's length and the index of its maximum are integers")
                if domain.maximum_at and not domain.maximum_at.isdigit():
                    domains.index_of.setdefault(domain.maximum_at, domain.length)
        return domains

    def symbol(self, name: str) -> sp.Symbol:
        """The SymPy symbol for a variable, with the assumptions its domain gives SymPy."""
        kind = self.kind(name)
        if kind == "integer":
            lo = self.declared[name].lo if name in self.declared else 1
            return sp.Symbol(name, integer=True, positive=True) if lo >= 1 else (
                sp.Symbol(name, integer=True, nonnegative=True) if lo >= 0 else sp.Symbol(name, integer=True))
        if kind == "positive":
            return sp.Symbol(name, positive=True)
        if kind == "nonnegative":
            return sp.Symbol(name, nonnegative=True)
        return sp.Symbol(name, real=True)

    def maximum_at(self, vector: str) -> str:
        """The index where ``vector`` is largest, declared or defined so far; "" if unknown."""
        domain = self.declared.get(vector)
        if domain is not None and domain.maximum_at:
            return domain.maximum_at
        return self.maxima.get(vector, "")

    def known_maxima(self, expr: sp.Basic) -> sp.Basic:
        """max(x) → x_j where x is known to be largest at j; other maxima stay as they are."""
        from derive.grade.parser import EntryMax

        if not expr.has(EntryMax):
            return expr
        mapping = {}
        for entry in expr.atoms(EntryMax):
            where = self.maximum_at(str(entry.args[0].label))
            if where:
                index = sp.Integer(int(where)) if where.isdigit() else self.symbol(where)
                mapping[entry] = entry.args[0][index]
        return expr.xreplace(mapping)

    def base(self, name: str) -> sp.IndexedBase:
        return sp.IndexedBase(name, real=True)

    def kind(self, name: str) -> str:
        if name in self.declared:
            return self.declared[name].kind
        if name in self.integers or name in self.index_of:
            return "integer"
        return "real"

    def assumptions(self, symbols: set[sp.Symbol], bases: set[sp.IndexedBase]) -> Assumptions:
        """Samplers for exactly the names a link uses, in an order where bounds come first."""
        names = {s.name for s in symbols}
        needed = set(names)
        for base in bases:  # a vector needs its length; an index needs its vector's length
            length = self.vectors.get(str(base.label), str(DEFAULT_LENGTH))
            if not length.isdigit():
                needed.add(length)
            top = self.maximum_at(str(base.label))
            if top and not top.isdigit():
                needed.add(top)
        for name in list(needed):
            bound = self.index_of.get(name)
            if bound and not bound.isdigit():
                needed.add(bound)
        sizes = sorted(n for n in needed if self.kind(n) == "integer" and n not in self.index_of)
        indices = sorted(n for n in needed if n in self.index_of and n not in sizes)
        variables: list = []
        for name in sizes:
            lo = self.declared[name].lo if name in self.declared else 1
            lo = lo if lo > -10**6 else -3  # a plain "integer" is drawn from -3 .. 2
            variables.append(Integer(self.symbol(name), lo, lo + INTEGER_HI - 1))
        for name in indices:
            bound = self.index_of[name]
            hi = int(bound) if bound.isdigit() else self.symbol(bound)
            variables.append(Integer(self.symbol(name), 1, hi))
        for base in sorted(bases, key=str):
            label = str(base.label)
            length = self.vectors.get(label, str(DEFAULT_LENGTH))
            size = int(length) if length.isdigit() else self.symbol(length)
            where = self.maximum_at(label)
            top = None
            if where:
                top = int(where) if where.isdigit() else self.symbol(where)
            variables.append(RealVector(base, size, max_at=top))
        for name in sorted(needed - set(sizes) - set(indices)):
            kind = self.kind(name)
            symbol = self.symbol(name)
            if kind == "positive":
                variables.append(Positive(symbol))
            elif kind == "nonnegative":
                variables.append(NonNegative(symbol, 0, 3))
            else:
                variables.append(Real(symbol))
        return Assumptions(tuple(variables))
