"""Refuse a malformed step where the author writes it, with one line naming the step.

Why: a step that cannot be checked (a string, sides of different shapes, a symbol no assumption
declares, a relation typo) used to surface as a traceback from a checker worker, far from the
line that caused it. Here it is refused at ``d.step(...)``, and the message names the file and
line of the author's call, the step id and the problem.
"""

from __future__ import annotations

import numbers
import os
import sys
from typing import Any, Iterable

import sympy as sp
from sympy.core.function import FunctionClass

from derive.core.assumptions import Assumptions, Integer, Real, RealMatrix, RealVector
from derive.core.checks import matrices
from derive.core.checks.prepare import expand_definitions
from derive.core.functions import undefined_in
from derive.errors import AuthoringError

_ENGINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # derive/


def author_line() -> str:
    """'file:line' of the innermost caller outside derive's engine (the author's own code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        inside = filename.startswith(_ENGINE + os.sep) and not filename.startswith(
            os.path.join(_ENGINE, "documents") + os.sep)
        if not inside:
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def refuse(where: str, message: str) -> AuthoringError:
    return AuthoringError(f"{author_line()}: {where}: {message}")


def as_expression(value: Any, side: str, where: str) -> Any:
    """A SymPy object for a step's side: plain Python numbers are converted, text is refused."""
    if isinstance(value, bool):
        raise refuse(where, f"the {side} is a bool ({value}); write a SymPy relation or number")
    if isinstance(value, (sp.Basic, sp.MatrixBase, FunctionClass)):  # a function name may be defined
        return value
    if isinstance(value, numbers.Number):
        # Exact where the author wrote an exact number; a float stays a Float as written.
        return sp.Integer(value) if isinstance(value, numbers.Integral) else sp.sympify(value)
    if isinstance(value, str):
        raise refuse(where, f"the {side} is a string ({value[:40]!r}); derive never parses text, "
                            "build the expression with SymPy")
    raise refuse(where, f"the {side} is a {type(value).__name__}, not a SymPy expression or number")


def declared_symbols(assumptions: Assumptions, definitions: Iterable[tuple[Any, Any]]) -> set:
    declared: set = set()
    for variable in assumptions.variables:
        if isinstance(variable, (Real, Integer)):
            declared.add(variable.symbol)
        elif isinstance(variable, RealVector):
            declared.add(variable.base)
            declared.add(variable.base.label)
        elif isinstance(variable, RealMatrix):
            declared.add(variable.symbol)
    for name, _ in definitions:
        declared.add(name)
        if isinstance(name, sp.Indexed):
            declared.add(name.base.label)
    return declared


def _free(expr: Any) -> set:
    items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    free: set = set()
    for item in items:
        if isinstance(item, sp.Basic):
            free |= item.free_symbols
    return free


def undeclared(exprs: Iterable[Any], declared: set) -> list[str]:
    missing = set()
    for expr in exprs:
        for symbol in _free(expr):
            if symbol in declared:
                continue
            if isinstance(symbol, sp.Indexed) and (symbol.base in declared or symbol.base.label in declared):
                continue
            if isinstance(symbol, sp.Symbol) and not isinstance(symbol, sp.Dummy):
                missing.add(str(symbol))
            elif isinstance(symbol, sp.MatrixSymbol):
                missing.add(str(symbol))
    return sorted(missing)


def check_shapes(lhs: Any, rhs: Any, where: str, definitions: Iterable[tuple[Any, Any]] = ()) -> None:
    for side, expr in (("lhs", lhs), ("rhs", rhs)):
        for m in _matrix_symbols(expr):
            if not all(isinstance(n, (int, sp.Integer)) for n in m.shape):
                raise refuse(where, f"the matrix {m} in the {side} has the symbolic shape {m.shape}; "
                                    "matrices are checked entry by entry and need concrete shapes")
    try:
        left, right = matrices.shape(lhs), matrices.shape(rhs)
    except (ValueError, TypeError) as error:  # SymPy refuses a product of mismatched shapes
        raise refuse(where, f"shape mismatch: {error}") from None
    if left != right and not ({left, right} <= {None, (1, 1)}):
        # A defined name (a symbol standing for a matrix) has the shape of what it stands for.
        definitions = list(definitions)
        if definitions:
            left = matrices.shape(expand_definitions(lhs, definitions))
            right = matrices.shape(expand_definitions(rhs, definitions))
    if left != right and not ({left, right} <= {None, (1, 1)}):
        raise refuse(where, f"shape mismatch: the lhs is {_shape_text(left)} but the rhs is {_shape_text(right)}")
    for side, expr in (("lhs", lhs), ("rhs", rhs)):
        if matrices.has_matrices(expr):
            try:
                matrices.explicit(expr)
            except (ValueError, TypeError, AttributeError) as error:
                raise refuse(where, f"the {side} cannot be checked entry by entry: {error}") from None


def _matrix_symbols(expr: Any) -> set:
    if isinstance(expr, sp.MatrixBase):
        return {m for e in expr if isinstance(e, sp.Basic) for m in e.atoms(sp.MatrixSymbol)}
    return expr.atoms(sp.MatrixSymbol) if isinstance(expr, sp.Basic) else set()


def _shape_text(shape: tuple[int, int] | None) -> str:
    return "a scalar" if shape is None else f"a {shape[0]} × {shape[1]} matrix"


def validate(where: str, lhs: Any, rel: str, rhs: Any, assumptions: Assumptions,
             definitions: Iterable[tuple[Any, Any]], relations: tuple[str, ...]) -> tuple[Any, Any]:
    """Converted (lhs, rhs), or AuthoringError naming the author's line and the step."""
    if rel not in relations:
        raise refuse(where, f"unknown relation {rel!r}; use one of {', '.join(relations)}")
    lhs, rhs = as_expression(lhs, "lhs", where), as_expression(rhs, "rhs", where)
    if rel in ("<=", "<", ">=", ">") and {matrices.shape(lhs), matrices.shape(rhs)} - {None, (1, 1)}:
        raise refuse(where, f"an inequality {rel} between matrices has no meaning here; compare entries")
    definitions = list(definitions)
    if rel != "def":
        check_shapes(lhs, rhs, where, definitions)
        missing = undeclared((lhs, rhs), declared_symbols(assumptions, definitions))
        if missing:
            raise refuse(where, f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not declared; "
                                "add it to the derivation's assume(...) or define it first")
    else:
        check_shapes(lhs, rhs, where)
    for expr in (lhs, rhs):
        names = undefined_in(expr)
        if names:
            raise refuse(where, f"the function {names[0]} is undefined; declare it with "
                                f"derive.arbitrary({names[0]!r}) to mean any smooth function")
    return lhs, rhs

