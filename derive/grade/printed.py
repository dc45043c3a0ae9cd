"""Results as students see and write them: the document's printed names, not internal symbols.

Why: content names symbols uniquely (``p4_w``, ``p4_f``, ``p5_b_o``) and prints them as the sheet
does (``w``, ``f``, ``b_o``); a student answers in the sheet's names, and ``derive results``
must show those, never ``p4_w``. The same table tells the answer parser that a student's ``w_j``
is the expected answer's ``p4_w[j]``, and that ``sigma'(z)`` is the document's σ'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.grade.parser import symbols_of
from derive.grade.student_form import student_form
from derive.results import ResultEntry

__all__ = ["answer_functions", "answer_names", "entry_json", "plain", "student"]

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUBSCRIPTED = re.compile(r"([A-Za-z][A-Za-z0-9]*)_\{?([A-Za-z0-9]+)\}?")


def _display_names() -> Mapping[sp.Symbol, str]:
    from derive.core.notation import DISPLAY_NAMES

    return DISPLAY_NAMES


def _plain_name(latex: str) -> str | None:
    """``w`` → w, ``b_{o}`` → b_o; None for anything an answer cannot spell (``\\ell``)."""
    if _IDENT.fullmatch(latex):
        return latex
    match = _SUBSCRIPTED.fullmatch(latex)
    return f"{match.group(1)}_{match.group(2)}" if match else None


def _function_name(function: type) -> str:
    """How an answer writes a document's own function: SigmaPrime → sigma', Sigma → sigma."""
    name = function.__name__
    if name.endswith("Prime") and len(name) > 5:
        return name[:-5].lower() + "'"
    return name.lower()


def _own_functions(expr: sp.Basic) -> set[type]:
    """Function classes the document defined (not SymPy's), applied in ``expr``."""
    return {type(f) for f in expr.atoms(sp.Function)
            if not isinstance(f, AppliedUndef) and not type(f).__module__.startswith("sympy.")}


def _renaming(expr: sp.Basic) -> dict[sp.Basic, sp.Basic]:
    """Internal symbol (or indexed base) → the same with its printed name, where that name is
    plain and does not clash with another name of ``expr``."""
    display = _display_names()
    taken = {s.name for s in expr.atoms(sp.Symbol)}
    mapping: dict[sp.Basic, sp.Basic] = {}
    for symbol in sorted(expr.atoms(sp.Symbol), key=str):
        printed = _plain_name(display.get(symbol, ""))
        if printed is None or printed == symbol.name or printed in taken:
            continue
        taken.add(printed)
        mapping[symbol] = sp.Symbol(printed, **symbol.assumptions0)
    for base in expr.atoms(sp.IndexedBase):
        if base.label in mapping:
            mapping[base] = sp.IndexedBase(mapping[base.label])
    return mapping


def plain(expr: sp.Basic) -> str:
    """``expr`` in SymPy's plain syntax with printed names: ``w[j]`` for ``p4_w[j]``,
    ``sigma'(z)`` for the document's SigmaPrime(z)."""
    return sp.sstr(_with_printed_names(expr))


def student(expr: sp.Basic) -> str:
    """``expr`` as a student writes it, with printed names: ``w_j``, ``sum_{i=1}^{n} (…)``
    (see :mod:`derive.grade.student_form`); the answer parser reads it back."""
    return student_form(_with_printed_names(expr))


def _with_printed_names(expr: sp.Basic) -> sp.Basic:
    mapping = _renaming(expr)
    bases = {old: new for old, new in mapping.items() if isinstance(old, sp.IndexedBase)}
    symbols = {old: new for old, new in mapping.items() if isinstance(old, sp.Symbol)}
    # Indexed bases first: their labels are symbols too.
    renamed = expr.xreplace(bases).xreplace(symbols) if mapping else expr
    for function in _own_functions(renamed):
        renamed = renamed.replace(function, sp.Function(_function_name(function)))
    # the derivative of an arbitrary σ at a point is written sigma'(point), as the sheet writes it
    # (the Subs first: their inner Derivative must not be rewritten before them)
    for kind in (sp.Subs, sp.Derivative):
        renamed = renamed.replace(lambda e: isinstance(e, kind) and _primed(e) is not None,
                                  lambda e: sp.Function(f"{_primed(e)[0]}'")(_primed(e)[1]))
    return renamed


def _primed(expr: sp.Basic) -> tuple[sp.Basic, sp.Basic] | None:
    """(σ, x) when ``expr`` is σ'(x) for an arbitrary σ of one argument: SymPy's Derivative
    σ(x) by x, or its Subs at a point that is not a symbol."""
    from derive.core.functions import is_arbitrary

    point = None
    if isinstance(expr, sp.Subs) and len(expr.variables) == 1:
        point, expr = expr.point[0], expr.expr
    if not isinstance(expr, sp.Derivative):
        return None
    function = expr.expr
    if not (isinstance(function, AppliedUndef) and is_arbitrary(function.func) and len(function.args) == 1
            and expr.variable_count == ((function.args[0], 1),)):
        return None
    return function.func, function.args[0] if point is None else point


def _primed_builder(function: sp.Basic):
    """What an answer's ``sigma'(x)`` means for an arbitrary σ: the derivative of σ at x."""
    def build(argument: sp.Basic, evaluate: bool = True) -> sp.Basic:
        t = sp.Dummy("t")
        return sp.Derivative(function(t), t).subs(t, argument)
    return build


def answer_names(expr: sp.Basic) -> dict[str, sp.Basic]:
    """Names an answer may use → the expected answer's objects: the internal names (as
    :func:`symbols_of` gives them) and the printed ones (``w`` → ``p4_w``)."""
    table = symbols_of(expr)
    renaming = _renaming(expr)
    # Bases first: an indexed base's label is a symbol of the same name, and x_k must index x.
    for old, new in sorted(renaming.items(), key=lambda item: not isinstance(item[0], sp.IndexedBase)):
        name = str(new.label) if isinstance(new, sp.IndexedBase) else str(new)
        table.setdefault(name, old)
    return table


def answer_functions(expr: sp.Basic) -> dict[str, type]:
    """The document's own functions in ``expr`` by the name an answer writes: sigma' → SigmaPrime."""
    from derive.core.functions import arbitrary_in

    functions: dict = {_function_name(function): function for function in _own_functions(expr)}
    for function in arbitrary_in(expr):  # σ itself and σ', as an answer writes them
        functions.setdefault(str(function), function)
        functions.setdefault(f"{function}'", _primed_builder(function))
    return functions


def entry_json(entry: ResultEntry) -> dict:
    """What ``derive results --json`` prints for a result: the JSON of the entry, with
    ``answer``, the value as an answer would write it."""
    data = entry.to_json()
    data["answer"] = plain(entry.value)
    return data
