"""Matrix expressions with concrete shapes, made explicit so every check works entry by entry.

Why: SymPy's checks subtract and simplify; a MatrixSymbol beside a scalar, or a Derivative of a
scalar by a MatrixSymbol, either crashes them ('Mix of Matrix and Scalar symbols') or, worse,
differentiates to 0 (``diff(W[0, 0]*…, W)`` is 0 in SymPy 1.12). Here every matrix expression
becomes an explicit Matrix of its entries ``W[i, j]``, and ``Derivative(loss, W)`` becomes the
matrix of the partial derivatives by each entry — the definition, not a matrix-calculus rule.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr


def has_matrices(expr: Any) -> bool:
    """True when ``expr`` holds a matrix expression anywhere (not just explicit numbers)."""
    if isinstance(expr, MatrixExpr):
        return True
    if isinstance(expr, sp.MatrixBase):
        return any(has_matrices(e) for e in expr)
    return isinstance(expr, sp.Basic) and expr.has(MatrixExpr)


def explicit(expr: Any) -> Any:
    """The explicit form of ``expr``: a Matrix of scalar entries, or a scalar without matrix
    operations (entries ``W[i, j]`` of matrix symbols stay as the variables they are)."""
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.applyfunc(explicit))
    if isinstance(expr, sp.Derivative) and any(isinstance(v, MatrixExpr) for v, _ in expr.variable_count):
        return _matrix_derivative(expr)
    if isinstance(expr, MatrixExpr):
        if isinstance(expr, sp.MatrixSymbol):
            return sp.ImmutableMatrix(expr.as_explicit())
        # Rebuild from explicit arguments: as_explicit alone would keep Derivatives inside.
        rebuilt = expr.func(*[explicit(a) for a in expr.args]) if expr.args else expr
        if isinstance(rebuilt, MatrixExpr):
            rebuilt = rebuilt.as_explicit()
        return sp.ImmutableMatrix(rebuilt).applyfunc(explicit)
    if not isinstance(expr, sp.Basic) or not expr.has(MatrixExpr):
        return expr
    # A scalar built from matrices: an entry of a product, a trace, a determinant.
    return expr.replace(_is_matrix_scalar, _scalar_value)


def explicit_pair(lhs: Any, rhs: Any) -> tuple[Any, Any]:
    """Both sides made explicit; a 1 × 1 matrix (a quadratic form rᵀr) counts as the scalar it is."""
    return _scalar_if_1x1(explicit(lhs)), _scalar_if_1x1(explicit(rhs))


def _scalar_if_1x1(value: Any) -> Any:
    return value[0, 0] if isinstance(value, sp.MatrixBase) and value.shape == (1, 1) else value


def _is_matrix_scalar(e: Any) -> bool:
    if isinstance(e, MatrixElement):
        return not isinstance(e.parent, sp.MatrixSymbol)
    return isinstance(e, (sp.Trace, sp.Determinant))


def _scalar_value(e: Any) -> sp.Expr:
    if isinstance(e, MatrixElement):
        return explicit(e.parent)[e.i, e.j]
    inner = explicit(e.arg)
    return inner.trace() if isinstance(e, sp.Trace) else inner.det()


def _matrix_derivative(expr: sp.Derivative) -> sp.ImmutableMatrix:
    (variable, count), *rest = expr.variable_count
    if rest or count != 1 or not isinstance(variable, sp.MatrixSymbol):
        raise ValueError("only a first derivative by one matrix symbol can be checked (d f / d W)")
    function = explicit(expr.expr)
    if isinstance(function, sp.MatrixBase):
        if function.shape != (1, 1):
            raise ValueError(f"the derivative by a matrix needs a scalar, not a {function.shape} matrix")
        function = function[0, 0]
    rows, cols = variable.shape
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.diff(function, variable[i, j]))


def shape(expr: Any) -> tuple[int, int] | None:
    """The shape of a matrix-valued ``expr``, or None for a scalar (a 1 × 1 matrix is a matrix)."""
    if isinstance(expr, (sp.MatrixBase, MatrixExpr)):
        return tuple(expr.shape)  # type: ignore[return-value]
    if isinstance(expr, sp.Derivative) and any(isinstance(v, MatrixExpr) for v, _ in expr.variable_count):
        return tuple(expr.variable_count[0][0].shape)  # type: ignore[return-value]
    return None
