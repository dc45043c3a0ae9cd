"""The LaTeX printer for checked expressions: SymPy's, with the document's notation."""

from __future__ import annotations

import importlib
from typing import Any, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.simplify.radsimp import fraction as _sympy_fraction

from derive.render.escape import Tex

# The package, not sympy.simplify the function: LatexPrinter imports fraction from it per call.
simplify_package = importlib.import_module("sympy.simplify")


class DerivePrinter(LatexPrinter):
    """SymPy's LatexPrinter with display names for defined symbols and ∂ for every derivative."""

    def __init__(self, display_names: Mapping[sp.Symbol, str] | None = None) -> None:
        super().__init__({"symbol_names": dict(display_names or {}), "ln_notation": False})

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        primed = _primed(expr)
        if primed is not None:
            return self._print_primed(*primed)
        function, *variables = expr.args
        denominator = " ".join(
            rf"\partial {self._print(v)}" + (f"^{{{c}}}" if c != 1 else "") for v, c in variables
        )
        order = sum(c for _, c in variables)
        numerator = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        body = self._print(function)
        if isinstance(function, (sp.Add, sp.Mul)) or function.is_Pow:
            body = rf"\left({body}\right)"
        return rf"\frac{{{numerator}}}{{{denominator}}} {body}"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """Terms as an author writes them: n − k + 1, x_m − Δ, never a leading minus when a term
        without one exists. A sum built unevaluated (227 + 2·0 − 11) keeps the order it was built in."""
        if _built_unevaluated(expr):
            terms = list(expr.args)
        else:
            terms = list(self._as_ordered_terms(expr, order=order))
            lead = next((t for t in terms if not t.could_extract_minus_sign()), None)
            if lead is not None and terms[0].could_extract_minus_sign():
                terms.remove(lead)
                terms.insert(0, lead)
            # 1 + (n − 1)e^{−Δβ}, 1 + e^{h}: beside an exponential an author puts the constant
            # first (but n − k + 1, h − 31: beside plain symbols it stays last)
            constant = terms[-1]
            if (len(terms) > 1 and constant.is_Number and constant.is_positive
                    and any(t.has(sp.exp) for t in terms[:-1])):
                terms = [constant, *terms[:-1]]
        tex = ""
        for index, term in enumerate(terms):
            if index and term.could_extract_minus_sign():
                tex += " - "
                term = -term
            elif index:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = rf"\left({term_tex}\right)"
            tex += term_tex
        return tex

    def _print_Subs(self, expr: sp.Subs) -> str:
        """σ'(y + b) for the derivative of an undefined σ taken at a point (SymPy's Subs)."""
        primed = _primed(expr.expr)
        if primed is not None and len(expr.variables) == 1 and expr.variables[0] == primed[1]:
            return self._print_primed(primed[0], expr.point[0])
        return super()._print_Subs(expr)

    def _print_primed(self, function: Any, argument: Any) -> str:
        return rf"{self._print(sp.Symbol(function.__name__))}'\left({self._print(argument)}\right)"

    def _print_Sum(self, expr: sp.Sum) -> str:
        """A sum over several indices as nested sums, each with its own limits, as a textbook
        writes it (SymPy stacks all the ranges under one sign, three lines high)."""
        if len(expr.limits) == 1:
            return super()._print_Sum(expr)
        indices = {limit[0] for limit in expr.limits}
        dependent = any((low.free_symbols | high.free_symbols) & indices for _, low, high in expr.limits)
        # SymPy's first range is the innermost sum; with independent ranges the order does not
        # matter and the ranges read as written (c, then u, then v)
        limits = reversed(expr.limits) if dependent else expr.limits
        signs = "".join(
            rf"\sum_{{{self._print(index)}={self._print(low)}}}^{{{self._print(high)}}} "
            for index, low, high in limits
        )
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return signs + body

    def _print_And(self, expr: sp.And) -> str:
        """1 ≤ k − i + 1 ∧ k − i + 1 ≤ f as the chain 1 ≤ k − i + 1 ≤ f."""
        args = expr.args
        if len(args) == 2 and all(isinstance(a, (sp.LessThan, sp.StrictLessThan)) for a in args):
            first, second = args
            if first.rhs != second.lhs and second.rhs == first.lhs:
                first, second = second, first
            if first.rhs == second.lhs:
                return " ".join([self._print(first.lhs), self._relation(first), self._print(first.rhs),
                                 self._relation(second), self._print(second.rhs)])
        return super()._print_And(expr)

    def _relation(self, relation: sp.Basic) -> str:
        return r"\leq" if isinstance(relation, sp.LessThan) else "<"

    def _print_Integer(self, expr: sp.Integer) -> str:
        """Digits grouped by thin spaces from five digits on (61 100 840), as in the tables."""
        return group_digits(int(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        if expr.q == 1:
            return group_digits(int(expr.p))
        sign = "- " if expr.p < 0 else ""
        return rf"{sign}\frac{{{group_digits(abs(int(expr.p)))}}}{{{group_digits(int(expr.q))}}}"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # SymPy's _print_Mul splits a product with fraction(exact=True), which asks is_constant()
        # of every symbolic negative exponent (e^{-Δβ}); is_constant() runs simplify(), and the
        # first simplify() of a process imports sympy.physics.units: about 1 s of a rebuild with
        # everything cached, for one factor. _fraction decides the same without simplify().
        derivative_last = self._derivative_last(expr)
        if derivative_last is not None:
            return derivative_last
        if simplify_package.fraction is _fraction:  # already swapped by an enclosing product
            return super()._print_Mul(expr)
        original = simplify_package.fraction
        simplify_package.fraction = _fraction
        try:
            return super()._print_Mul(expr)
        finally:
            simplify_package.fraction = original

    def _derivative_last(self, expr: sp.Mul) -> str | None:
        """σ'(z) ∂z/∂y with the derivative last, as an author writes it: printed first, ∂/∂y z σ'(z)
        reads as the derivative of the whole product. Only for products without a denominator
        or a numeric coefficient, where moving a factor cannot change how the rest reads."""
        derivatives = [f for f in expr.args if isinstance(f, sp.Derivative) and _primed(f) is None]
        others = [f for f in expr.args if f not in derivatives]
        if (not derivatives or not others or any(f.is_Number for f in others)
                or any(f.is_Pow and f.exp.could_extract_minus_sign() for f in others)):
            return None
        rest = [rf"\left({self._print(f)}\right)" if isinstance(f, sp.Add) else self._print(f)
                for f in sp.Mul(*others).as_ordered_factors()]
        return " ".join(rest + [self._print(d) for d in derivatives])

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base)
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{base}_{{{indices}}}"


def _primed(expr: sp.Basic) -> tuple[Any, sp.Basic] | None:
    """(f, x) when ``expr`` is f'(x): the first derivative of an undefined function of one
    argument by that argument, which an author writes with a prime."""
    if not isinstance(expr, sp.Derivative) or len(expr.variable_count) != 1:
        return None
    (variable, count), function = expr.variable_count[0], expr.expr
    if count != 1 or not isinstance(function, AppliedUndef) or function.args != (variable,):
        return None
    return function.func, variable


def _built_unevaluated(expr: sp.Add) -> bool:
    """True when SymPy would have combined or reordered the terms had it evaluated the sum."""
    return sp.Add(*expr.args).args != expr.args


def group_digits(value: int) -> str:
    """An integer in LaTeX with thin-space groups of three from five digits on: the one
    digit-grouping style of the document (tables and displays alike)."""
    text = str(abs(value))
    if len(text) >= 5:
        text = r"\,".join(text[max(i - 3, 0):i] for i in range(len(text), 0, -3)[::-1])
    return ("-" if value < 0 else "") + text

def _fraction(expr: Any, exact: bool = False) -> tuple[sp.Expr, sp.Expr]:
    """sympy.simplify.fraction without simplify() for factors with a symbolic negative exponent.

    Such a factor goes to the numerator (what SymPy decides for a non-constant exponent); an
    exponent that might be constant is left to SymPy. Only where a factor is printed could
    ever differ, never the value printed.
    """
    expr = sp.sympify(expr)
    if not exact:
        return _sympy_fraction(expr, exact)
    placeholders: dict[sp.Dummy, sp.Expr] = {}
    terms = []
    for term in sp.Mul.make_args(expr):
        if term.is_commutative and (term.is_Pow or isinstance(term, sp.exp)):
            exponent = term.as_base_exp()[1]
            if exponent.is_negative and not exponent.is_number:
                if exponent.is_constant(simplify=False) is not False:
                    return _sympy_fraction(expr, exact)  # maybe constant: SymPy decides, slowly
                placeholder = sp.Dummy()
                placeholders[placeholder] = term
                term = placeholder
        terms.append(term)
    if not placeholders:
        return _sympy_fraction(expr, exact)
    numer, denom = _sympy_fraction(sp.Mul(*terms, evaluate=False), exact)
    back = [placeholders.get(factor, factor) for factor in sp.Mul.make_args(numer)]
    return sp.Mul(*back, evaluate=False), denom


RELATION_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">", "def": r"\coloneqq"}


def to_latex(expr: Any, display_names: Mapping[sp.Symbol, str] | None = None) -> Tex:
    """LaTeX for a SymPy object (or a plain number) — the only way maths enters the document."""
    return Tex(DerivePrinter(display_names).doprint(sp.sympify(expr)))
