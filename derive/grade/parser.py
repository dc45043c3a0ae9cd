"""Turn a student's answer, untrusted text, into a SymPy expression without running any of it.

Why a parser of our own: ``sympify`` and ``parse_expr`` call ``eval``, so an answer such as
``__import__('os').system(...)`` would run. This module reads the text character by character
against a whitelist grammar and builds SymPy objects with SymPy's constructors only: nothing in
the text is ever executed, looked up as an attribute or imported. Every way out is either a
SymPy expression or one :class:`AnswerParseError` whose message names the column and what was
expected there.

Plain syntax (the grammar, lowest precedence first)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary | <juxtaposed> power)*
    unary  := ('+' | '-') unary | power
    power  := atom (('^' | '**') unary)?            right-associative: 2^3^2 = 2^9
    atom   := number | name | function | '(' expr ')' | '{' expr '}' | '|' expr '|'

* Numbers are exact: ``655,566,528``, ``655_566_528``, ``655{,}566{,}528`` (groups of three
  digits; LaTeX also ``655\\,566\\,528``), ``0.5``,
  ``1.2e9``, and a percent sign divides by 100, so ``91.79%`` is the number 9179/10000.
  Decimals become exact rationals, never floats, so ``0.1 + 0.2`` equals ``0.3``; how many
  decimals the student gave is read separately by :func:`stated_decimals`.
  Inside a function's argument list a comma separates arguments, so write ``max(1000, 2)``.
* Juxtaposition multiplies after a number or a parenthesised group: ``2x``, ``2(x+1)``,
  ``(a+b)(a-b)``. It has the precedence of ``*``, read left to right: ``1/2x`` is ``x/2``.
  ``x y`` is refused (write ``x*y``), and ``f(x)`` is an unknown function, not ``f*x``.
* Names are letters and digits (``x``, ``c2``, ``beta``); an underscore adds a subscript:
  ``x_k``, ``x_i_max`` = ``x_{i_max}``, ``x_{12}``. Greek letters are written out (``beta``) or
  as Unicode (``β``); ``e`` alone is Euler's number and ``pi`` is π, unless ``symbols`` says
  otherwise. Every other name becomes ``Symbol(name)``, ``x_k`` becoming ``Symbol('x_k')`` --
  unless the base is *indexed*: a base given as an ``IndexedBase`` in ``symbols`` or named in
  ``indexed`` turns ``x_k`` into ``Indexed(IndexedBase('x'), k)`` and ``x_{i+1}`` into
  ``x[i + 1]``. Names found in ``symbols`` (a subscripted name is looked up whole first, e.g.
  ``'x_k'``) give the object stored there, so the expected answer's symbols and their
  assumptions are used; :func:`symbols_of` makes such a table from an expected expression.
* Functions: ``exp``, ``log`` (natural; ``log(x, b)`` for base b), ``ln``, ``sqrt``, ``abs``,
  ``floor``, ``ceil``, ``max``, ``min``, ``KroneckerDelta(i, j)``, ``frac(a, b)`` and
  ``sum(expr, i, a, b)`` = Σ_{i=a}^{b} expr; also
  ``sum_{i=a}^{b} expr``. Any other name followed by ``(`` is an error.

LaTeX (chosen when the text contains a backslash or ``$``) reads the same grammar plus
``\\frac{a}{b}``, ``\\sqrt{x}``, ``\\sqrt[n]{x}``, ``\\exp``, ``\\log``, ``\\ln`` (these
four also without parentheses: ``\\log n``), ``\\max(..)``, ``\\min\\{..\\}``,
``\\sum_{i=1}^{n} body`` (the body is the product that follows, up to the next ``+`` or ``-``),
Greek macros (``\\varepsilon`` reads as ``epsilon``), ``\\cdot``, ``\\times``, ``\\div``,
``\\left( \\right)``, ``\\{ \\}``, ``\\lvert \\rvert``, ``e^{...}``, ``x_{k}``,
``\\text{..}``/``\\mathrm{..}``/``\\mathbf{..}``/``\\underline{..}`` around a name, ``\\%``
and spacing commands; ``\\lfloor x \\rfloor``, ``\\lceil x \\rceil`` (also ⌊x⌋, ⌈x⌉);
sums that leave terms out, ``\\sum_{\\substack{i=1 \\\\ i \\neq j}}^{n}`` and ``\\sum_{i=1, i \\neq j}^{n}``
(the body times 1 − δ_ij); ``\\max\\{x_1, \\dots, x_n\\}`` for a vector x (the largest entry);
partial derivatives ``\\frac{\\partial f}{\\partial x}``, ``\\frac{\\partial}{\\partial x} f`` (f the
product that follows, as for a sum) and ``\\frac{\\partial^2 f}{\\partial x \\partial y}``, also
with d (``\\frac{d}{dx} f``, ``\\frac{dy}{dx}``: never the fraction d/(d x)), left
unevaluated and refused where f does not contain the variable (a name such as y_L may stand
for a function of it: read as a constant its derivative would be a false 0). A ``\\partial``
anywhere else, and ``\\nabla`` (a vector), are refused. In LaTeX any two factors side by side
multiply (``\\beta x_i``, ``\\beta(x_i - x_j)``). A run of letters is one name in both modes: write ``a b`` for a·b.

Safety bounds (:class:`ParseLimits`): the text's length, the nesting depth (an error, never a
``RecursionError``), the digits of one literal, the digits of a power of a number and of all
numbers written or raised to a power together (so ``9**9**9**9`` is refused before SymPy
computes it), the numbers in a symbolic exponent, the roots of numbers (SymPy factors each
radicand) and the arguments of ``max``/``min`` (SymPy compares them pairwise).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import sympy

from derive.errors import InputError

__all__ = [
    "FUNCTIONS",
    "AnswerParseError",
    "ParseLimits",
    "parse_answer",
    "stated_decimals",
    "symbols_of",
]


class AnswerParseError(InputError):
    """A student's answer is not readable maths; the message gives the column and the fix.

    The student's (or the answer file's) fault, never a defect of derive: exit code 2.
    """


@dataclass(frozen=True)
class ParseLimits:
    """Bounds that keep parsing fast on hostile input; the defaults leave real answers alone."""

    max_length: int = 2000  # characters of the answer
    max_depth: int = 50  # nested brackets, signs, exponents, subscripts and sums
    max_digits: int = 100  # digits in one number literal
    max_power_digits: int = 300  # digits of a power of a number, and of the base of a root
    max_total_digits: int = 1000  # digits of every number written or raised to a power, together
    max_exponent: int = 1000  # |numerator| and denominator of numbers in a symbolic exponent
    max_args: int = 20  # arguments of max and min (SymPy compares them pairwise)
    max_roots: int = 10  # roots of whole numbers (SymPy factors each radicand; p/q counts 2)


DEFAULT_LIMITS = ParseLimits()

FUNCTIONS: tuple[str, ...] = (
    "KroneckerDelta", "abs", "ceil", "exp", "floor", "frac", "ln", "log", "max", "min", "sqrt",
    "sum",
)

_ARITY: dict[str, tuple[int, int | None, str]] = {
    "KroneckerDelta": (2, 2, "2 arguments (two indices)"),
    "abs": (1, 1, "1 argument"),
    "ceil": (1, 1, "1 argument"),
    "floor": (1, 1, "1 argument"),
    "exp": (1, 1, "1 argument"),
    "frac": (2, 2, "2 arguments (numerator, denominator)"),
    "ln": (1, 1, "1 argument"),
    "log": (1, 2, "1 or 2 arguments (value, base)"),
    "max": (1, None, "at least 1 argument"),
    "min": (1, None, "at least 1 argument"),
    "sqrt": (1, 1, "1 argument"),
    "sum": (4, 4, "4 arguments (expression, index, lower, upper)"),
}

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron rho sigma tau"
    " upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
_GREEK_VARIANTS = {
    "varepsilon": "epsilon",
    "vartheta": "theta",
    "varphi": "phi",
    "varrho": "rho",
    "varsigma": "sigma",
    "varpi": "pi",
}
_UNICODE_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon",
    "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta",
    "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi",
    "Ω": "Omega",
}  # fmt: skip
_UNICODE_OPERATORS = {"−": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"}
_LATEX_SKIP = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr"
    " displaystyle textstyle limits nolimits quad qquad".split()
)
_LATEX_OPERATORS = {"cdot": "*", "times": "*", "div": "/"}
_LATEX_FUNCTIONS = {name: name for name in FUNCTIONS if name not in ("frac", "abs", "ceil", "floor")}
_LATEX_FUNCTIONS.update(frac="frac", dfrac="frac", tfrac="frac")
_LATEX_BARS = frozenset(("lvert", "rvert", "vert"))
_LATEX_WRAPPERS = frozenset(
    "text mathrm mathit mathbf boldsymbol bm underline vec operatorname".split()
)
_CLOSERS = {"(": ")", "\\{": "\\}", "{": "}", "[": "]"}
_UNICODE_RELATIONS = {"≤": "<=", "≥": ">=", "⩽": "<=", "⩾": ">=", "≠": "!="}
# Brackets of their own kind: floor and ceiling, closed only by their partner.
_LATEX_FLOORS = {"lfloor": "lfloor", "rfloor": "rfloor", "lceil": "lceil", "rceil": "rceil"}
_UNICODE_FLOORS = {"⌊": "lfloor", "⌋": "rfloor", "⌈": "lceil", "⌉": "rceil"}
_FLOOR_CLOSERS = {"lfloor": "rfloor", "lceil": "rceil"}
_LATEX_RELATIONS = {
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "lt": "<", "gt": ">", "ne": "!=", "neq": "!=",
}  # fmt: skip
_ENVIRONMENT = re.compile(r"\{\s*([A-Za-z*]+)\s*\}")
# Words that structure a case distinction; never read as names there.
_KEYWORDS = frozenset(("if", "else", "otherwise", "and"))
_RELATIONS = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge, "!=": sympy.Ne}
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_MACRO = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_WORD_IN_BRACES = re.compile(r"\{\s*(\\?[A-Za-z][A-Za-z0-9]*)\s*\}")
_DIGITS = re.compile(r"[0-9]*")
_SIGNED_DIGITS = re.compile(r"[+-]?[0-9]+")
_OPERAND = "a number, a name or '('"
# A gradient is a vector, and an answer is one number: only its entries can be checked.
_GRADIENT = "a gradient is a vector; write its entries, as in \\frac{\\partial f}{\\partial x_k}"
_DERIVATIVE_FORMS = "write \\frac{\\partial f}{\\partial x} or \\frac{\\partial}{\\partial x} f"


_SHOWN_CHARS = 40  # of a piece of the answer quoted in a message


def _show(text: str) -> str:
    """Quote a piece of the answer for an error message, readably even for quotes and controls:
    cut to a readable length, control characters (terminal escapes) replaced by '?'."""
    if not text:
        return "end of answer"
    if len(text) == 1 and not text.isprintable():
        return f"U+{ord(text):04X}"
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return f'"{text}"' if "'" in text else f"'{text}'"


@dataclass(frozen=True, slots=True)
class _Token:
    """One lexical unit; ``col`` is 1-based, ``value`` the name, operator or exact number."""

    kind: str  # num name func op ( ) { } [ ] | , _ = end partial lfloor rfloor lceil rceil substack dots
    text: str
    col: int
    value: object = None
    decimals: int | None = None
    digits: int = 0


class _Lexer:
    """Cuts the answer into tokens on demand; the parser says whether ``,`` may group digits."""

    def __init__(self, text: str, latex: bool, limits: ParseLimits) -> None:
        self.text = text
        self.latex = latex
        self.limits = limits

    def error(self, message: str, pos: int, expected: str) -> AnswerParseError:
        return AnswerParseError(f"{message} at column {pos + 1}; {expected}")

    def next(self, pos: int, grouping: bool) -> tuple[_Token, int]:
        """The token starting at or after ``pos`` and the position after it."""
        text = self.text
        pos = self._skip_blanks(pos)
        if pos >= len(text):
            return _Token("end", "", pos + 1), pos
        ch = text[pos]
        if (ch.isascii() and ch.isdigit()) or (ch == "." and text[pos + 1 : pos + 2].isdigit()):
            return self._number(pos, grouping)
        if ch.isascii() and ch.isalpha():
            end = _IDENT.match(text, pos).end()  # type: ignore[union-attr]
            return self._primed(self._word(text[pos:end], text[pos:end], pos), end)
        if ch in _UNICODE_GREEK:
            return self._primed(_Token("name", ch, pos + 1, _UNICODE_GREEK[ch]), pos + 1)
        if ch == "*" and text.startswith("**", pos):
            return _Token("op", "**", pos + 1, "^"), pos + 2
        if ch in "+-*/^":
            return _Token("op", ch, pos + 1, ch), pos + 1
        if ch in _UNICODE_OPERATORS:
            return _Token("op", ch, pos + 1, _UNICODE_OPERATORS[ch]), pos + 1
        if ch in "<>":
            if text.startswith("=", pos + 1):
                return _Token("rel", ch + "=", pos + 1, ch + "="), pos + 2
            return _Token("rel", ch, pos + 1, ch), pos + 1
        if ch in _UNICODE_RELATIONS:
            return _Token("rel", ch, pos + 1, _UNICODE_RELATIONS[ch]), pos + 1
        if ch in _UNICODE_FLOORS:
            return _Token(_UNICODE_FLOORS[ch], ch, pos + 1), pos + 1
        if ch == "∂":
            return _Token("partial", ch, pos + 1), pos + 1
        if ch == "…":
            return _Token("dots", ch, pos + 1), pos + 1
        if ch == "∇":
            raise self.error("a gradient '∇'", pos, _GRADIENT)
        if ch == "&" and self.latex:
            return _Token("&", ch, pos + 1), pos + 1
        if ch in "(){}|,_=" or (self.latex and ch in "[]"):
            return _Token(ch, ch, pos + 1), pos + 1
        if ch == "\\":
            return self._macro(pos)
        if ch in "'\"":
            raise self.error(f"unexpected {_show(ch)}", pos, "strings are not part of maths")
        raise self.error(
            f"unexpected character {_show(ch)}",
            pos,
            "expected a number, a name, an operator or '('",
        )

    def _primed(self, tok: _Token, end: int) -> tuple[_Token, int]:
        """``sigma'`` (a derivative's name, as in ``sigma'(z)``) is one name token."""
        if self.text.startswith("'", end) and tok.kind == "name":
            value = f"{tok.value}'"
            return _Token("name", self.text[tok.col - 1 : end + 1], tok.col, value), end + 1
        return tok, end

    def _skip_blanks(self, pos: int) -> int:
        text = self.text
        while pos < len(text):
            ch = text[pos]
            if ch.isspace() or (self.latex and ch in "~$"):
                pos += 1
            elif self.latex and ch == "\\":
                match = _MACRO.match(text, pos)
                name = match.group(1) if match else ""
                if name in (",", ";", ":", "!", " ") or name in _LATEX_SKIP:
                    pos = match.end()  # type: ignore[union-attr]
                else:
                    break
            else:
                break
        return pos

    def _word(self, word: str, text: str, pos: int) -> _Token:
        if word in _ARITY:
            return _Token("func", text, pos + 1, word)
        return _Token("name", text, pos + 1, word)

    def _macro(self, pos: int) -> tuple[_Token, int]:
        match = _MACRO.match(self.text, pos)
        if match is None:  # a lone backslash at the very end
            raise self.error("unexpected '\\'", pos, "expected a LaTeX command after it")
        name, end = match.group(1), match.end()
        raw = match.group(0)
        if name in _GREEK or name in _GREEK_VARIANTS or name == "pi":
            return self._primed(_Token("name", raw, pos + 1, _GREEK_VARIANTS.get(name, name)), end)
        if name in _LATEX_OPERATORS:
            return _Token("op", raw, pos + 1, _LATEX_OPERATORS[name]), end
        if name in _LATEX_FUNCTIONS:
            return _Token("func", raw, pos + 1, _LATEX_FUNCTIONS[name]), end
        if name in _LATEX_RELATIONS:
            return _Token("rel", raw, pos + 1, _LATEX_RELATIONS[name]), end
        if name == "\\":
            return _Token("rowsep", raw, pos + 1), end
        if name in _LATEX_FLOORS:
            return _Token(_LATEX_FLOORS[name], raw, pos + 1), end
        if name in ("dots", "ldots", "cdots"):
            return _Token("dots", raw, pos + 1), end
        if name == "partial":
            return _Token("partial", raw, pos + 1), end
        if name == "substack":
            return _Token("substack", raw, pos + 1), end
        if name == "nabla":
            raise self.error("a gradient '\\nabla'", pos, _GRADIENT)
        if name in ("land", "wedge"):
            return _Token("name", raw, pos + 1, "and"), end
        if name in ("begin", "end"):
            env = _ENVIRONMENT.match(self.text, end)
            if env is None or env.group(1) != "cases":
                raise self.error(
                    f"unknown environment after '\\{name}'", end, "only {cases} is understood"
                )
            return _Token(f"{name}_cases", self.text[pos : env.end()], pos + 1), env.end()
        if name in _LATEX_BARS:
            return _Token("|", raw, pos + 1), end
        if name == "{":
            return _Token("(", raw, pos + 1), end
        if name == "}":
            return _Token(")", raw, pos + 1), end
        if name in _LATEX_WRAPPERS:
            inner = _WORD_IN_BRACES.match(self.text, end)
            if inner is None:
                raise self.error(
                    f"unexpected text after '\\{name}'", end, "expected a name in braces"
                )
            word = inner.group(1)
            if word.startswith("\\"):
                greek = word[1:]
                if greek not in _GREEK and greek not in _GREEK_VARIANTS and greek != "pi":
                    raise self.error(f"unknown LaTeX command '{word}'", end, "expected a name")
                word = _GREEK_VARIANTS.get(greek, greek)
            full = self.text[pos : inner.end()]
            if name == "operatorname" and word not in _ARITY:
                raise self.error(
                    f"unknown function {_show(word)}",
                    pos,
                    f"known functions: {', '.join(FUNCTIONS)}",
                )
            if word in _ARITY:
                return _Token("func", full, pos + 1, word), inner.end()
            return _Token("name", full, pos + 1, word), inner.end()
        raise self.error(
            f"unknown LaTeX command '\\{name}'",
            pos,
            "expected maths such as \\frac, \\sum or \\beta",
        )

    def _group_separator(self, pos: int, grouping: bool) -> int:
        """Length of a digit-group separator at ``pos`` that a digit follows, else 0."""
        text = self.text
        for sep, allowed in (
            ("_", True),
            (",", grouping),
            ("{,}", True),
            ("\\,", self.latex),
        ):
            if (
                allowed
                and text.startswith(sep, pos)
                and text[pos + len(sep) : pos + len(sep) + 1].isdigit()
            ):
                return len(sep)
        return 0

    def _number(self, start: int, grouping: bool) -> tuple[_Token, int]:
        text, limits = self.text, self.limits
        pos = _DIGITS.match(text, start).end()  # type: ignore[union-attr]
        groups = [text[start:pos]]
        while groups[0] and (sep := self._group_separator(pos, grouping)):
            group_end = _DIGITS.match(text, pos + sep).end()  # type: ignore[union-attr]
            if len(groups[0]) > 3 or group_end - (pos + sep) != 3:
                raise self.error(
                    "malformed digit grouping",
                    pos,
                    "write groups of three digits, as in 655,566,528",
                )
            groups.append(text[pos + sep : group_end])
            pos = group_end
        fraction = ""
        if text.startswith(".", pos):
            frac_end = _DIGITS.match(text, pos + 1).end()  # type: ignore[union-attr]
            if frac_end == pos + 1:
                raise self.error("unexpected '.'", pos, "expected a digit after the decimal point")
            fraction, pos = text[pos + 1 : frac_end], frac_end
        exponent, scientific = 0, False
        if text[pos : pos + 1] in ("e", "E") and (exp := _SIGNED_DIGITS.match(text, pos + 1)):
            if len(exp.group(0).lstrip("+-")) > 6:
                raise self.error(
                    "exponent too large", pos, f"the limit is {limits.max_power_digits}"
                )
            exponent, scientific, pos = int(exp.group(0)), True, exp.end()
        percent = 0
        if text.startswith("%", pos):
            percent = 1
        elif self.latex and text.startswith("\\%", pos):
            percent = 2
        mantissa = "".join(groups) + fraction
        significant = mantissa.lstrip("0") or "0"
        if len(mantissa) > limits.max_digits:
            raise self.error(
                f"number with more than {limits.max_digits} digits",
                start,
                "shorten it or use e-notation",
            )
        shift = exponent - len(fraction) - (2 if percent else 0)
        if abs(shift) > limits.max_power_digits:
            raise self.error(
                "number too large or too small",
                start,
                f"the limit is 10^±{limits.max_power_digits}",
            )
        value = sympy.Integer(int(mantissa)) * sympy.Integer(10) ** shift
        decimals = None
        if fraction or scientific or percent:
            decimals = len(fraction) - exponent + (2 if percent else 0)
        end = pos + percent
        return (
            _Token(
                "num", text[start:end], start + 1, value, decimals, len(significant) + abs(shift)
            ),
            end,
        )


class _Parser:
    """Recursive descent over :class:`_Lexer` tokens; builds SymPy objects bottom-up."""

    def __init__(
        self,
        text: str,
        table: Mapping[str, sympy.Basic],
        indexed: frozenset[str],
        latex: bool,
        limits: ParseLimits,
        functions: Mapping[str, type] | None = None,
    ) -> None:
        self.lexer = _Lexer(text, latex, limits)
        self.functions = dict(functions or {})
        self.table = table
        self.indexed = indexed
        self.latex = latex
        self.limits = limits
        self.depth = 0
        self.digit_budget = limits.max_total_digits
        self.roots_left = limits.max_roots
        self.grouping = [True]  # may ',' group digits here? False inside argument lists
        self.pos = 0
        self.prev: _Token | None = None
        self.call_closers: set[int] = set()  # columns of ')' that closed a function call
        self.tok = _Token("end", "", 0)
        self.advance()

    # -- token handling -------------------------------------------------------------------
    def advance(self) -> None:
        self.prev = self.tok
        self.tok, self.pos = self.lexer.next(self.pos, self.grouping[-1])

    def error(self, message: str, col: int, expected: str) -> AnswerParseError:
        return AnswerParseError(f"{message} at column {col}; {expected}")

    def unexpected(self, expected: str) -> AnswerParseError:
        if self.tok.kind == "end":
            return self.error("unexpected end of answer", self.tok.col, expected)
        return self.error(f"unexpected {_show(self.tok.text)}", self.tok.col, expected)

    def expect(self, kind: str, expected: str) -> _Token:
        tok = self.tok
        if tok.kind != kind:
            raise self.unexpected(expected)
        self.advance()
        return tok

    def open_group(self, grouping: bool) -> _Token:
        """Step over an opening bracket; the lexer reads what follows in the new mode."""
        opener = self.tok
        self.grouping.append(grouping)
        self.advance()
        return opener

    def close_group(self, opener: _Token, expected: str) -> _Token:
        tok = self.tok
        if opener.kind == "|":
            closed = tok.kind == "|"
        else:
            closed = tok.kind in (")", "}", "]") and tok.text == _CLOSERS[opener.text]
        if not closed:
            raise self.unexpected(expected)
        self.grouping.pop()
        self.advance()
        return tok

    @contextmanager
    def nested(self, col: int) -> Iterator[None]:
        """Count one level of nesting; refuse deep input before Python's stack would."""
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self.error(
                f"nesting deeper than {self.limits.max_depth} levels",
                col,
                "simplify the expression",
            )
        try:
            yield
        finally:
            self.depth -= 1

    def spend_digits(self, digits: float, col: int) -> None:
        self.digit_budget -= digits
        if self.digit_budget < 0:
            raise self.error(
                "numbers too large",
                col,
                f"all numbers together may have at most {self.limits.max_total_digits} digits",
            )

    # -- grammar ----------------------------------------------------------------------------
    def parse(self) -> sympy.Expr:
        if self.tok.kind == "end":
            raise self.error("empty answer", self.tok.col, "expected a number or an expression")
        result = self.expr()
        if self.tok.kind != "end":
            raise self.unexpected("expected an operator")
        return result

    def expr(self) -> sympy.Expr:
        """An arithmetic expression, or a case distinction ``a if 1 <= k <= f else b``."""
        value = self.arith()
        if self.at_keyword("if"):
            tok = self.tok
            with self.nested(tok.col):
                self.advance()
                condition = self.condition()
                if not self.at_keyword("else"):
                    raise self.unexpected("expected 'else' and the value otherwise")
                self.advance()
                otherwise = self.expr()
            return self.piecewise([(value, condition), (otherwise, sympy.true)], tok)
        return value

    def at_keyword(self, word: str | None = None) -> bool:
        tok = self.tok
        if tok.kind != "name" or tok.value not in _KEYWORDS or tok.value in self.table:
            return False
        return word is None or tok.value == word

    def condition(self) -> sympy.Basic:
        """Comparisons joined by 'and' or ',': ``1 <= k - i + 1 <= f``, ``i \\le k, k < n``."""
        parts = [self.comparison()]
        while self.at_keyword("and") or self.tok.kind == ",":
            self.advance()
            parts.append(self.comparison())
        return sympy.And(*parts)

    def comparison(self) -> sympy.Basic:
        left = self.arith()
        relations = []
        while self.tok.kind in ("rel", "="):
            tok = self.tok
            self.advance()
            right = self.arith()
            op = "==" if tok.kind == "=" else str(tok.value)
            try:
                relations.append(
                    sympy.Eq(left, right) if op == "==" else _RELATIONS[op](left, right)
                )
            except TypeError:
                raise self.error(
                    "these cannot be compared", tok.col, "compare real quantities"
                ) from None
            left = right
        if not relations:
            raise self.unexpected("expected a comparison such as 1 <= k <= f")
        return sympy.And(*relations)

    def cases(self, opener: _Token) -> sympy.Expr:
        """``\\begin{cases} a & 1 \\le k \\le f \\\\ 0 & \\text{otherwise} \\end{cases}``."""
        pieces: list[tuple[sympy.Expr, sympy.Basic]] = []
        with self.nested(opener.col):
            self.advance()
            while True:
                value = self.expr()
                self.expect("&", "expected '&' and a condition")
                if self.at_keyword("otherwise") or self.at_keyword("else"):
                    self.advance()
                    condition: sympy.Basic = sympy.true
                else:
                    if self.at_keyword("if"):
                        self.advance()
                    condition = self.condition()
                pieces.append((value, condition))
                if self.tok.kind == "rowsep":
                    self.advance()
                if self.tok.kind == "end_cases":
                    self.advance()
                    break
                if self.tok.kind == "end":
                    raise self.unexpected("expected '\\end{cases}'")
        return self.piecewise(pieces, opener)

    def piecewise(self, pieces: list[tuple[sympy.Expr, sympy.Basic]], tok: _Token) -> sympy.Expr:
        if pieces[-1][1] is not sympy.true:
            raise self.error(
                "a case distinction without a value otherwise",
                tok.col,
                "end with a row such as 0 & \\text{otherwise}, or '... else 0'",
            )
        return sympy.Piecewise(*pieces)

    def arith(self) -> sympy.Expr:
        terms = [self.term()]
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            negate = self.tok.value == "-"
            self.advance()
            term = self.term()
            terms.append(-term if negate else term)
        return sympy.Add(*terms)

    def term(self) -> sympy.Expr:
        factors = [self.unary()]
        while True:
            tok = self.tok
            if tok.kind == "op" and tok.value == "*":
                self.advance()
                factors.append(self.unary())
            elif tok.kind == "op" and tok.value == "/":
                self.advance()
                divisor = self.unary()
                if divisor == 0:
                    raise self.error("division by zero", tok.col, "check the denominator")
                factors.append(sympy.Pow(divisor, -1))
            elif (
                self.juxtaposition_allowed()
                and tok.kind in ("name", "func", "(", "{", "lfloor", "lceil", "partial")
                and not self.at_keyword()
            ):
                factors.append(self.power())
            else:
                return sympy.Mul(*factors)

    def juxtaposition_allowed(self) -> bool:
        """Plain text multiplies by juxtaposition only after a number or a bracketed group."""
        if self.latex:
            return True
        prev = self.prev
        if prev is None:
            return False
        return prev.kind == "num" or (prev.kind in (")", "}") and prev.col not in self.call_closers)

    def unary(self) -> sympy.Expr:
        tok = self.tok
        if tok.kind == "op" and tok.value in ("+", "-"):
            with self.nested(tok.col):
                self.advance()
                operand = self.unary()
            return -operand if tok.value == "-" else operand
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        tok = self.tok
        if tok.kind == "op" and tok.value == "^":
            with self.nested(tok.col):
                self.advance()
                exponent = self.unary()
            return self.make_power(base, exponent, tok.col)
        return base

    def atom(self) -> sympy.Expr:
        tok = self.tok
        if tok.kind == "num":
            self.spend_digits(tok.digits, tok.col)
            self.advance()
            return tok.value  # type: ignore[return-value]
        if tok.kind == "name":
            self.advance()
            return self.name(tok)
        if tok.kind == "func":
            self.advance()
            return self.call(tok)
        if tok.kind == "begin_cases":
            return self.cases(tok)
        if tok.kind in _FLOOR_CLOSERS:
            return self.floor_group(tok)
        if tok.kind == "partial":
            # ∂y/∂x read as a quotient of products would be a disaster: only the two \frac
            # forms are derivatives, and a stray ∂ is refused.
            raise self.error(f"unexpected {_show(tok.text)}", tok.col, _DERIVATIVE_FORMS)
        if tok.kind in ("(", "{", "|"):
            with self.nested(tok.col):
                opener = self.open_group(True)
                inner = self.expr()
                self.close_group(opener, f"expected an operator or {_show(_closer_text(opener))}")
            return _build(sympy.Abs, inner) if opener.kind == "|" else inner
        raise self.unexpected(f"expected {_OPERAND}")

    def floor_group(self, opener: _Token) -> sympy.Expr:
        """``\\lfloor x \\rfloor`` and ``\\lceil x \\rceil`` (also ⌊x⌋, ⌈x⌉, with \\left/\\right)."""
        closer = _FLOOR_CLOSERS[opener.kind]
        with self.nested(opener.col):
            self.grouping.append(True)
            self.advance()
            inner = self.expr()
            if self.tok.kind != closer:
                raise self.unexpected(f"expected an operator or '\\{closer}'")
            self.grouping.pop()
            self.advance()
        return _build(sympy.floor if opener.kind == "lfloor" else sympy.ceiling, inner)

    # -- derivatives --------------------------------------------------------------------------
    def derivative_style(self) -> str | None:
        """After ``\\frac``: "partial" for ``{\\partial …}{…}``, "d" for ``{d …}{d x …}`` (also
        ``\\frac{dy}{dx}``, ``\\mathrm{d}``), else None. Nothing is consumed. Why read the d form:
        as a fraction, d/(d x) · x² is x, so ``\\frac{d}{d x} x^2 = x`` would be verified."""
        if self.tok.kind != "{" or self.tok.text != "{":
            return None
        first, pos = self.lexer.next(self.pos, True)
        if first.kind == "partial":
            return "partial"
        if _differential(first) is None or not self.differential_follows(first, pos):
            return None
        depth = 1
        while depth and first.kind != "end":  # to the end of the numerator
            depth += (first.kind == "{" and first.text == "{") - (first.kind == "}" and first.text == "}")
            first, pos = self.lexer.next(pos, True)
        if first.kind != "{" or first.text != "{":
            return None
        second, pos = self.lexer.next(pos, True)
        if _differential(second) is None or not self.differential_follows(second, pos, variable=True):
            return None
        return "d"

    def differential_follows(self, tok: _Token, pos: int, variable: bool = False) -> bool:
        """A bare ``d`` is a differential only before what is differentiated (``d x^2``, ``d^2``,
        ``d}``) or, below the bar, before the variable (``d x``): ``d_1`` is a name, and so is
        the d of ``\\frac{d}{d}``."""
        if _differential(tok):
            return True
        after, _ = self.lexer.next(pos, True)
        if variable:
            return after.kind in ("name", "(")
        return after.kind in ("name", "(", "{", "}") or (after.kind == "op" and after.value == "^")

    def take_differential(self, style: str) -> str | None:
        """Step over ∂ or d; the letter a one-token ``dy`` carries ("" for none); None if the
        current token is no differential of this style."""
        tok = self.tok
        if style == "partial":
            if tok.kind != "partial":
                return None
            self.advance()
            return ""
        rest = _differential(tok)
        if rest is None:
            return None
        self.advance()
        return rest

    def differential_name(self, letter: str, col: int) -> sympy.Expr:
        """The name after d in ``dy`` or ``dx_j`` (the lexer read d and the letter as one name)."""
        return self.name(_Token("name", letter, col + 1, letter))

    def latex_derivative(self, tok: _Token, style: str) -> sympy.Expr:
        """``\\frac{\\partial f}{\\partial x}``, ``\\frac{\\partial}{\\partial x} f`` (f the product
        that follows, up to ``+`` or ``-``, as for a sum) and higher orders
        ``\\frac{\\partial^2 f}{\\partial x \\partial y}``, ``\\frac{\\partial^2 f}{\\partial x^2}``;
        the same with d (``\\frac{dy}{dx}``, ``\\frac{d}{d x} f``, ``\\frac{d^2 y}{dx^2}``)."""
        sign = "\\partial" if style == "partial" else "d"
        with self.nested(tok.col):
            opener = self.open_group(True)
            differential_col = self.tok.col
            letter = self.take_differential(style)
            order = self.derivative_order() if not letter and self.at_power() else 1
            body: sympy.Expr | None = None
            if letter:
                body = self.differential_name(letter, differential_col)
            elif not (self.tok.kind == "}" and self.tok.text == "}"):
                body = self.expr()
            self.close_group(opener, "expected an operator or '}'")
            if self.tok.kind != "{" or self.tok.text != "{":
                raise self.unexpected(f"expected '{{{sign}' and the variable, as in {{{sign} x}}")
            opener = self.open_group(True)
            variables: list[tuple[sympy.Expr, int]] = []
            while True:
                variable_tok = self.tok
                letter = self.take_differential(style)
                if letter is None:
                    break
                variable = self.differential_name(letter, variable_tok.col) if letter else self.atom()
                if not isinstance(variable, (sympy.Symbol, sympy.Indexed)):
                    raise self.error(
                        f"a derivative by {_show(variable_tok.text)}, which is not a variable",
                        variable_tok.col,
                        "differentiate by a name such as x or x_k",
                    )
                variables.append((variable, self.derivative_order() if self.at_power() else 1))
            if not variables:
                raise self.unexpected(f"expected '{sign}' and the variable, as in {{{sign} x}}")
            self.close_group(opener, f"expected '{sign}', another variable or '}}'")
            if sum(count for _, count in variables) != order:
                raise self.error(
                    "the orders of a derivative do not match",
                    tok.col,
                    f"the numerator says order {order}, the denominator "
                    f"{sum(count for _, count in variables)}",
                )
            if body is None:
                body_col = self.tok.col
                if self.tok.kind == "end" or (self.tok.kind == "op" and self.tok.value in "+-"):
                    raise self.unexpected("expected what is differentiated after the operator")
                body = self.term()
            else:
                body_col = tok.col
        return self.make_derivative(body, variables, body_col)

    def at_power(self) -> bool:
        return self.tok.kind == "op" and self.tok.value == "^"

    def derivative_order(self) -> int:
        """``^2`` or ``^{2}`` after ∂ or a variable: a whole number from 1 to 10."""
        self.advance()  # the '^'
        braced = self.tok.kind == "{" and self.tok.text == "{"
        if braced:
            opener = self.open_group(True)
        tok = self.tok
        if tok.kind != "num" or tok.decimals is not None or not 1 <= int(tok.value) <= 10:  # type: ignore[call-overload]
            raise self.unexpected("expected the order of the derivative, a whole number from 1 to 10")
        self.advance()
        if braced:
            self.close_group(opener, "expected '}'")
        return int(tok.value)  # type: ignore[call-overload]

    def make_derivative(
        self, body: sympy.Expr, variables: list[tuple[sympy.Expr, int]], col: int
    ) -> sympy.Expr:
        """The derivative, unevaluated: the checker evaluates it after the names it uses are
        replaced by their definitions.

        Refused when the expression does not show the variable (``\\partial y_L / \\partial
        y_{L-1}``, ``\\frac{\\partial}{\\partial x_j} \\gamma_i``): such a name stands for a function
        of the variable, and as a constant it would have derivative 0, a false proof."""
        if body.free_symbols:
            for variable, _ in variables:
                if not _depends_on(body, variable):
                    raise self.error(
                        f"{_show(_written(body))} does not contain {_show(_written(variable))}",
                        col,
                        "a name that stands for a function of the variable cannot be differentiated; "
                        "write out what it stands for",
                    )
        return sympy.Derivative(body, *variables, evaluate=False)

    # -- names and subscripts ---------------------------------------------------------------
    def name(self, tok: _Token) -> sympy.Expr:
        base = str(tok.value)
        if base in self.functions and self.tok.kind == "(":
            args = self.arguments(tok)
            if len(args) != 1:
                raise self.error(
                    f"wrong number of arguments to {base}", tok.col, f"expected 1, got {len(args)}"
                )
            return _build(self.functions[base], args[0])
        if base.endswith("'") and base not in self.table:
            called = self.tok.kind == "("
            raise self.error(
                f"unknown {'function' if called else 'name'} {_show(base)}",
                tok.col,
                f"no {'function' if called else 'name'} of that name appears in this answer"
                + (f"; known here: {', '.join(sorted(self.functions))}" if self.functions else ""),
            )
        label: str | None = None
        index: sympy.Expr | None = None
        if base == "delta" and base not in self.table and self.tok.kind == "_":
            pair = self.kronecker_pair()
            if pair is not None:
                return pair
        if self.tok.kind == "_":
            underscore = self.tok
            self.advance()
            with self.nested(underscore.col):
                label, index = self.subscript(underscore)
        if not self.latex and self.tok.kind == "(" and self.tok.text == "(":
            written = tok.text if label is None else f"{tok.text}_{label}"
            raise self.error(
                f"unknown function {_show(written)}",
                tok.col,
                f"write {written}*(...) for a product; known functions: {', '.join(FUNCTIONS)}",
            )
        if base == "delta" and label is not None and base not in self.table:
            delta = self.kronecker(label)
            if delta is not None:
                return delta
        return self.resolve(base, label, index, tok)

    def kronecker_pair(self) -> sympy.Expr | None:
        """``delta_{k,m}`` and ``\\delta_{k,m}``: Kronecker's delta of two indices (names or whole
        numbers) separated by a comma; anything else leaves the lexer where it was (None)."""
        saved = (self.pos, self.tok, self.prev, list(self.grouping))
        indices: list[sympy.Expr] = []
        self.advance()  # the "_"
        if self.tok.kind == "{":
            self.grouping.append(True)
            self.advance()
            while len(indices) < 2:
                tok = self.tok
                if tok.kind == "name" and str(tok.value).isalnum():
                    indices.append(self.symbol(str(tok.value)))
                elif tok.kind == "num" and tok.decimals is None and tok.text.isdigit():
                    indices.append(sympy.Integer(int(tok.text)))
                else:
                    break
                self.advance()
                if len(indices) == 1:
                    if self.tok.kind != ",":
                        break
                    self.advance()
            if len(indices) == 2 and self.tok.kind == "}" and self.tok.text == "}":
                self.grouping.pop()
                self.advance()
                return sympy.KroneckerDelta(indices[0], indices[1])
        self.pos, self.tok, self.prev, self.grouping = saved
        return None

    def kronecker(self, label: str) -> sympy.Expr | None:
        """``delta_{km}`` and ``\\delta_{km}``: Kronecker's delta of two one-character indices."""
        if len(label) == 2 and label.isalnum():
            first, second = (
                sympy.Integer(int(c)) if c.isdigit() else self.symbol(c) for c in label
            )
            return sympy.KroneckerDelta(first, second)
        return None

    def subscript(self, underscore: _Token) -> tuple[str | None, sympy.Expr | None]:
        """A subscript is a label (``k``, ``12``, ``i_max``, ``{i_{\\max}}``) or, for indexed
        bases only, an expression in braces (``{i+1}``)."""
        tok = self.tok
        if tok.kind in ("name", "func"):  # a function's name is a fine label: x_max, i_min
            self.advance()
            label = str(tok.value)
            if self.tok.kind == "_":
                inner = self.tok
                self.advance()
                with self.nested(inner.col):
                    sub, index = self.subscript(inner)
                if sub is None:
                    raise self.error(
                        "subscript in a subscript", inner.col, "expected a name or a number"
                    )
                label = f"{label}_{sub}"
            return label, None
        if tok.kind == "num" and tok.decimals is None:
            self.advance()
            return str(tok.value), None
        if tok.kind == "{":
            label = self.brace_label()
            if label is not None:
                return label, None
            opener = self.open_group(True)
            index = self.expr()
            indices = [index]
            while self.tok.kind == ",":  # W_{c,c',u,v}: an entry of a multi-indexed base
                self.advance()
                indices.append(self.expr())
            self.close_group(opener, "expected an operator, ',' or '}'")
            return None, index if len(indices) == 1 else sympy.Tuple(*indices)
        raise self.unexpected("expected a name, a whole number or '{' after '_'")

    def brace_label(self) -> str | None:
        """Read ``{...}`` as a label when it holds only names, digits, ``_`` and braces;
        otherwise leave the lexer where it was and return None (it is an expression)."""
        saved = (self.pos, self.tok, self.prev)
        parts: list[str] = []
        depth = 0
        while True:
            tok = self.tok
            if tok.kind == "{":
                depth += 1
            elif tok.kind == "}":
                depth -= 1
                if depth == 0:
                    self.advance()
                    label = "".join(parts)
                    if (
                        label
                        and not label.startswith("_")
                        and not label.endswith("_")
                        and "__" not in label
                    ):
                        return label
                    break
            elif tok.kind in ("name", "func"):
                parts.append(str(tok.value))
            elif tok.kind == "num" and tok.decimals is None and tok.text.isdigit():
                parts.append(tok.text)
            elif tok.kind == "_":
                parts.append("_")
            else:
                break
            self.advance()
        self.pos, self.tok, self.prev = saved
        return None

    def resolve(
        self, base: str, label: str | None, index: sympy.Expr | None, tok: _Token
    ) -> sympy.Expr:
        table = self.table
        if label is None and index is None:
            value = table.get(base)
            if isinstance(value, sympy.IndexedBase) or (value is None and base in self.indexed):
                if base == "e":
                    return sympy.E
                raise self.error(
                    f"{_show(tok.text)} is indexed", tok.col, f"give it a subscript, as in {base}_k"
                )
            if value is not None:
                return value  # type: ignore[return-value]
            if base == "e":
                return sympy.E
            if base == "pi":
                return sympy.pi
            return sympy.Symbol(base)
        if label is not None and f"{base}_{label}" in table:
            whole = table[f"{base}_{label}"]
            if not isinstance(whole, sympy.IndexedBase):
                return whole  # type: ignore[return-value]
        stem = table.get(base)
        if isinstance(stem, sympy.IndexedBase) or (stem is None and base in self.indexed):
            indexed_base = stem if isinstance(stem, sympy.IndexedBase) else sympy.IndexedBase(base)
            if index is None:
                assert label is not None
                index = sympy.Integer(int(label)) if label.isdigit() else self.symbol(label)
            return indexed_base[tuple(index) if isinstance(index, sympy.Tuple) else index]
        if index is not None:
            raise self.error(
                f"{_show(tok.text)} is not indexed",
                tok.col,
                "a subscript that is an expression needs an indexed name; write a plain subscript",
            )
        return sympy.Symbol(f"{base}_{label}")

    def symbol(self, name: str) -> sympy.Expr:
        value = self.table.get(name)
        if isinstance(value, sympy.Expr):
            return value
        return sympy.Symbol(name)

    # -- functions --------------------------------------------------------------------------
    def call(self, tok: _Token) -> sympy.Expr:
        name = str(tok.value)
        if name == "sum" and self.tok.kind == "_":
            return self.latex_sum(tok)
        style = self.derivative_style() if name == "frac" and self.latex else None
        if style is not None:
            return self.latex_derivative(tok, style)
        if name == "frac" and (self.tok.kind == "{" or tok.text.startswith("\\")):
            with self.nested(tok.col):
                numerator = self.brace_group(tok)
                denominator_col = self.tok.col
                denominator = self.brace_group(tok)
            return self.divide(numerator, denominator, denominator_col)
        if name == "sqrt" and self.tok.kind in ("{", "["):
            return self.latex_sqrt(tok)
        if name in ("max", "min") and self.tok.kind == "_":
            return self.entry_extremum(tok)
        if name in ("max", "min") and self.tok.kind == "(":
            vector = self.bare_vector()
            if vector is not None:
                return (EntryMax if name == "max" else EntryMin)(vector)
        if self.tok.kind == "(":
            args = self.arguments(tok)
            if None in args:
                return self.listed_extremum(tok, args)  # type: ignore[arg-type]
        elif self.latex and name in ("exp", "log", "ln", "sqrt"):
            with self.nested(tok.col):
                args = [self.power() if name != "sqrt" else self.atom()]
        else:
            raise self.unexpected(f"expected '(' after {_show(tok.text)}")
        return self.apply(tok, args)

    def is_vector(self, name: str) -> bool:
        value = self.table.get(name)
        return isinstance(value, sympy.IndexedBase) or (value is None and name in self.indexed)

    def bare_vector(self) -> sympy.IndexedBase | None:
        """``max(x)`` for an indexed ``x``: the vector itself, the brackets consumed; else None
        and nothing consumed (an ordinary argument list follows)."""
        first, after_first = self.lexer.next(self.pos, False)
        if first.kind != "name" or not self.is_vector(str(first.value)):
            return None
        closer, after_closer = self.lexer.next(after_first, False)
        if closer.kind != ")" or closer.text != ")":
            return None
        self.tok, self.pos = closer, after_closer
        self.call_closers.add(closer.col)
        self.advance()
        return self.vector(str(first.value))

    def vector(self, name: str) -> sympy.IndexedBase:
        value = self.table.get(name)
        return value if isinstance(value, sympy.IndexedBase) else sympy.IndexedBase(name)

    def entry_extremum(self, tok: _Token) -> sympy.Expr:
        """``max_i x_i``, ``\\max_{i} x_i``, ``max_{i=1}^{n} x_i``: the largest (smallest) entry
        of the vector x, whatever the bounds (the document's vectors are indexed from 1)."""
        with self.nested(tok.col):
            self.advance()  # the '_'
            braced = self.tok.kind == "{"
            if braced:
                opener = self.open_group(True)
            index_tok = self.expect("name", "expected the index, as in max_i x_i")
            if braced:
                if self.tok.kind == "=":
                    self.advance()
                    self.expr()
                self.close_group(opener, "expected '}'")
                if self.tok.kind == "op" and self.tok.value == "^":
                    self.advance()
                    self.atom()
            body_tok = self.tok
            body = self.power()
        index = self.symbol(str(index_tok.value))
        if isinstance(body, sympy.Indexed) and body.indices == (index,):
            return (EntryMax if tok.value == "max" else EntryMin)(body.base)
        if isinstance(body, sympy.Symbol) and body.name.endswith(f"_{index_tok.value}"):
            return (EntryMax if tok.value == "max" else EntryMin)(
                self.vector(body.name[: -len(str(index_tok.value)) - 1])
            )
        raise self.error(
            f"{_show(tok.text)} with an index needs an entry with that index",
            body_tok.col,
            f"write {tok.value}_{index_tok.value} x_{index_tok.value}, or {tok.value}(x)",
        )

    def arguments(self, tok: _Token) -> list[sympy.Expr]:
        with self.nested(self.tok.col):
            opener = self.open_group(False)
            args = [self.argument(tok)]
            while self.tok.kind == ",":
                if len(args) >= self.limits.max_args:
                    raise self.error(
                        f"more than {self.limits.max_args} arguments to {tok.value}",
                        self.tok.col,
                        "split the call",
                    )
                self.advance()
                args.append(self.argument(tok))
            closer = self.close_group(opener, f"expected ',' or {_show(_closer_text(opener))}")
        self.call_closers.add(closer.col)
        return args

    def argument(self, tok: _Token) -> sympy.Expr:
        """One argument; ``\\dots`` (None here) only among the entries of max and min."""
        if self.tok.kind == "dots" and tok.value in ("max", "min"):
            self.advance()
            return None  # type: ignore[return-value]
        return self.expr()

    def listed_extremum(self, tok: _Token, args: list[sympy.Expr | None]) -> sympy.Expr:
        """``\\max\\{x_1, \\dots, x_n\\}``: :class:`ListedMax` of x up to n. Only this form: the
        first entry x_1, the dots, the last entry with a plain index."""
        if len(args) == 3 and args[1] is None:
            first, last = args[0], args[2]
            if (
                isinstance(first, sympy.Indexed)
                and isinstance(last, sympy.Indexed)
                and first.base == last.base
                and first.indices == (sympy.Integer(1),)
                and len(last.indices) == 1
                and isinstance(last.indices[0], (sympy.Symbol, sympy.Integer))
            ):
                return (ListedMax if tok.value == "max" else ListedMin)(first.base, last.indices[0])
        raise self.error(
            f"{_show(tok.text)} of a list with dots",
            tok.col,
            f"write {tok.value}{{x_1, \\dots, x_n}} with x a vector, or {tok.value}_i x_i",
        )

    def brace_group(self, owner: _Token) -> sympy.Expr:
        if self.tok.kind != "{":
            raise self.unexpected(f"expected '{{' after {_show(owner.text)}")
        with self.nested(self.tok.col):
            opener = self.open_group(True)
            inner = self.expr()
            self.close_group(opener, "expected an operator or '}'")
        return inner

    def latex_sqrt(self, tok: _Token) -> sympy.Expr:
        degree: sympy.Expr = sympy.Integer(2)
        with self.nested(tok.col):
            if self.tok.kind == "[":
                opener = self.open_group(True)
                degree_col = self.tok.col
                degree = self.expr()
                self.close_group(opener, "expected an operator or ']'")
                if degree == 0:
                    raise self.error("root of degree 0", degree_col, "give a non-zero degree")
            radicand = self.brace_group(tok) if self.tok.kind == "{" else self.atom()
        return self.make_power(radicand, sympy.Pow(degree, -1), tok.col)

    def latex_sum(self, tok: _Token) -> sympy.Expr:
        """``sum_{i=a}^{b} body``: the body is the product that follows, up to ``+`` or ``-``.

        Terms may be left out: ``\\sum_{\\substack{i=1 \\\\ i \\neq j}}^{n}`` or
        ``\\sum_{i=1, i \\neq j}^{n}`` is the sum of body·(1 − δ_ij), which is right whether or
        not j lies between the bounds. No other condition under a sum is read."""
        with self.nested(tok.col):
            self.advance()  # the '_'
            if self.tok.kind != "{":
                raise self.unexpected("expected '{' and bounds, as in \\sum_{i=1}^{n}")
            opener = self.open_group(True)
            stack = None
            if self.tok.kind == "substack":
                self.advance()
                if self.tok.kind != "{" or self.tok.text != "{":
                    raise self.unexpected("expected '{' after '\\substack'")
                stack = self.open_group(True)
            index_tok = self.expect("name", "expected the summation index, as in \\sum_{i=1}^{n}")
            index = self.symbol(str(index_tok.value))
            self.expect("=", "expected '=' after the summation index")
            lower = self.expr()
            excluded = self.excluded_terms(index_tok)
            if stack is not None:
                self.close_group(stack, "expected an operator, ',' or '}'")
            self.close_group(opener, "expected an operator or '}'")
            if not (self.tok.kind == "op" and self.tok.value == "^"):
                raise self.unexpected("expected '^' and the upper bound, as in \\sum_{i=1}^{n}")
            self.advance()
            upper = self.atom()
            body = self.term()
        for value in excluded:
            if not isinstance(index, sympy.Symbol) or index in value.free_symbols:
                raise self.error(
                    "a left-out term that depends on the summation index",
                    index_tok.col,
                    "leave out one term, as in i \\neq j",
                )
            body = body * (1 - sympy.KroneckerDelta(index, value))
        return self.make_sum(body, index, lower, upper, index_tok)

    def excluded_terms(self, index_tok: _Token) -> list[sympy.Expr]:
        """``, i \\neq j`` and ``\\\\ i \\neq j`` after the lower bound: the values left out."""
        excluded: list[sympy.Expr] = []
        while self.tok.kind in (",", "rowsep"):
            while self.tok.kind in (",", "rowsep"):
                self.advance()
            name_tok = self.expect("name", "expected a condition such as i \\neq j")
            if name_tok.value != index_tok.value:
                raise self.error(
                    f"a condition on {_show(name_tok.text)} under a sum over {_show(index_tok.text)}",
                    name_tok.col,
                    "only terms of the summation index may be left out, as in i \\neq j",
                )
            if not (self.tok.kind == "rel" and self.tok.value == "!="):
                raise self.unexpected("expected '\\neq': only left-out terms (i \\neq j) are read")
            self.advance()
            if len(excluded) >= self.limits.max_args:
                raise self.error(
                    f"more than {self.limits.max_args} left-out terms", name_tok.col, "split the sum"
                )
            excluded.append(self.arith())
        return excluded

    def make_sum(
        self, body: sympy.Expr, index: sympy.Expr, lower: sympy.Expr, upper: sympy.Expr, tok: _Token
    ) -> sympy.Expr:
        if not isinstance(index, sympy.Symbol):
            raise self.error(
                "the summation index is not a plain name",
                tok.col,
                "use a name such as i as the index",
            )
        return sympy.Sum(body, (index, lower, upper))

    def apply(self, tok: _Token, args: list[sympy.Expr]) -> sympy.Expr:
        name = str(tok.value)
        low, high, description = _ARITY[name]
        if len(args) < low or (high is not None and len(args) > high):
            raise self.error(
                f"wrong number of arguments to {name}",
                tok.col,
                f"expected {description}, got {len(args)}",
            )
        if name == "exp":
            return _build(sympy.exp, args[0])
        if name in ("log", "ln"):
            if len(args) == 2 and args[1] in (0, 1):
                raise self.error(
                    "logarithm to base 0 or 1", tok.col, "give a base other than 0 and 1"
                )
            return _build(sympy.log, *args)
        if name == "sqrt":
            return self.make_power(args[0], sympy.S.Half, tok.col)
        if name == "abs":
            return _build(sympy.Abs, args[0])
        if name in ("max", "min"):
            if len(args) == 1:
                return args[0]
            function = sympy.Max if name == "max" else sympy.Min
            # Pairwise symbolic comparison is quadratic and slow; rationals compare cheaply.
            evaluate = all(isinstance(arg, sympy.Rational) for arg in args)
            return function(*args, evaluate=evaluate)
        if name == "frac":
            return self.divide(args[0], args[1], tok.col)
        if name == "sum":
            return self.make_sum(args[0], args[1], args[2], args[3], tok)
        if name in ("floor", "ceil"):
            return _build(sympy.floor if name == "floor" else sympy.ceiling, args[0])
        if name == "KroneckerDelta":  # 1 where the indices agree, else 0 (as `derive results` prints it)
            return sympy.KroneckerDelta(args[0], args[1])
        raise AssertionError(name)  # pragma: no cover - _ARITY and this list agree

    # -- arithmetic with bounds ---------------------------------------------------------------
    def divide(self, numerator: sympy.Expr, denominator: sympy.Expr, col: int) -> sympy.Expr:
        if denominator == 0:
            raise self.error("division by zero", col, "check the denominator")
        return numerator * sympy.Pow(denominator, -1)

    def make_power(self, base: sympy.Expr, exponent: sympy.Expr, col: int) -> sympy.Expr:
        """Build ``base**exponent`` only when SymPy can do so quickly: the digits a numeric
        power would have count against the budget, and numbers in symbolic exponents are small."""
        if isinstance(exponent, sympy.Rational):
            if base == 0 and exponent < 0:
                raise self.error("division by zero", col, "0 cannot be raised to a negative power")
            digits = (
                _digits(base)
                if isinstance(base, sympy.Rational)
                else max((_digits(number) for number in base.atoms(sympy.Rational)), default=0.0)
            )
            limit = self.limits.max_power_digits
            if digits > limit:
                raise self.error(
                    "power of a number too large", col, f"the base has more than {limit} digits"
                )
            if digits > 0:
                log_result = math.log10(digits) + _log10(abs(exponent.p)) - _log10(exponent.q)
                if log_result > math.log10(limit):
                    raise self.error(
                        "power too large", col, f"the result would have more than {limit} digits"
                    )
                # A root costs SymPy work on the whole base (it looks for perfect powers).
                self.spend_digits(digits * max(abs(float(exponent)), 1.0), col)
                if not exponent.is_Integer:
                    self.roots_left -= _radicands(base)
                    if self.roots_left < 0:
                        raise self.error(
                            f"more than {self.limits.max_roots} roots of numbers",
                            col,
                            "simplify the numbers first",
                        )
        else:
            for number in exponent.atoms(sympy.Rational):
                if max(abs(number.p), number.q) > self.limits.max_exponent:
                    raise self.error(
                        "exponent too large",
                        col,
                        f"numbers in an exponent are limited to {self.limits.max_exponent}",
                    )
        return _build(sympy.Pow, base, exponent)


class EntryMax(sympy.Function):
    """``max(x)``, ``max_i x_i``: the largest entry of the vector x (an IndexedBase).

    SymPy cannot evaluate it; a grader that knows which entry is the largest (the document
    assumes x_j is) replaces it by that entry."""

    nargs = 1


class EntryMin(sympy.Function):
    """``min(x)``, ``min_i x_i``: the smallest entry of the vector x."""

    nargs = 1


class ListedMax(sympy.Function):
    """``\\max\\{x_1, \\dots, x_m\\}``: the largest of x_1 … x_m, arguments (x, m). It is the
    largest entry of x, :class:`EntryMax`, only where m is x's length: the reader of the answer
    knows the length and decides (a prefix of x is not all of it)."""

    nargs = 2


class ListedMin(sympy.Function):
    """``\\min\\{x_1, \\dots, x_m\\}``: the smallest of x_1 … x_m (see :class:`ListedMax`)."""

    nargs = 2


def whole_vector_extrema(expr: sympy.Basic, length_of: Mapping[str, str]) -> sympy.Basic:
    """``ListedMax(x, m)`` → ``EntryMax(x)`` where ``m`` is x's length (by name, in
    ``length_of``: vector name → length name); other listed extrema stay as they are."""
    mapping = {}
    for listed in expr.atoms(ListedMax, ListedMin):
        base, last = listed.args
        if str(last) == length_of.get(str(base.label), None):
            mapping[listed] = (EntryMax if isinstance(listed, ListedMax) else EntryMin)(base)
    return expr.xreplace(mapping) if mapping else expr


def _build(function: type, *args: sympy.Expr) -> sympy.Expr:
    """``function(*args)``, left unevaluated when an argument is a compound constant (log(2), not 2 or e).

    Why: SymPy's automatic evaluation asks whether a constant argument is positive, zero, ...,
    and answers by evaluating it numerically, which for nested functions of constants
    (``log(log(...log(2)...))``) re-evaluates every inner level at every outer one: 12 levels
    took a minute. Left unevaluated, building is linear in the answer's length; the comparison
    (under its own time limit) decides what such a constant equals."""
    if any(arg.is_number and not arg.is_Atom for arg in args):
        return function(*args, evaluate=False)
    return function(*args)


_DIFFERENTIAL_WRAPPED = re.compile(r"\\(?:mathrm|mathit|text|operatorname)\{\s*d\s*\}")


def _differential(tok: _Token) -> str | None:
    """The letter after a differential d in a name token: "" for ``d`` or ``\\mathrm{d}``, "x"
    for ``dx`` (d and one letter, as written); None for any other token."""
    if tok.kind != "name":
        return None
    if tok.text == "d" or _DIFFERENTIAL_WRAPPED.fullmatch(tok.text):
        return ""
    if len(tok.text) == 2 and tok.text[0] == "d" and tok.text[1].isalpha():
        return tok.text[1]
    return None


def _written(expr: sympy.Basic) -> str:
    """An expression for a message, entries as written (x_j, not SymPy's x[j])."""
    return re.sub(r"\b([A-Za-z]\w*)\[([^\[\]]+)\]", lambda m: f"{m.group(1)}_{m.group(2).replace(' ', '')}",
                  sympy.sstr(expr))


def _depends_on(body: sympy.Expr, variable: sympy.Expr) -> bool:
    """Does ``body`` show ``variable``: the symbol itself, or for an entry ``x[j]`` any entry
    of ``x`` (``x[i]`` under a sum over i may be it)?"""
    if isinstance(variable, sympy.Indexed):
        return any(entry.base == variable.base for entry in body.atoms(sympy.Indexed))
    return variable in body.free_symbols


def _closer_text(opener: _Token) -> str:
    return "|" if opener.kind == "|" else _CLOSERS[opener.text]


def _log10(n: int) -> float:
    return math.log10(n) if n > 0 else -math.inf


def _digits(number: sympy.Rational) -> float:
    """log10 of a rational's larger part: a power to the e has about e times that many digits;
    0 for 0 and ±1, whose powers cost nothing."""
    if number in (0, 1, -1):
        return 0.0
    return max(_log10(abs(number.p)), _log10(number.q))


def _radicands(base: sympy.Expr) -> int:
    """How many whole numbers SymPy will factor to take a root of ``base``."""
    numbers = [base] if isinstance(base, sympy.Rational) else base.atoms(sympy.Rational)
    return sum((abs(n.p) > 1) + (n.q > 1) for n in numbers)  # type: ignore[union-attr]


def _is_latex(text: str) -> bool:
    return "\\" in text or "$" in text


def _table(
    symbols: Mapping[str, sympy.Basic] | None, indexed: Iterable[str]
) -> tuple[Mapping[str, sympy.Basic], frozenset[str]]:
    table = dict(symbols or {})
    for key, value in table.items():
        if not isinstance(key, str) or not isinstance(value, (sympy.Expr, sympy.IndexedBase)):
            raise TypeError(
                "symbols must map names to SymPy expressions or IndexedBase objects,"
                f" got {key!r}: {value!r}"
            )
    names = frozenset(indexed)
    for name in names:
        if not _IDENT.fullmatch(name):
            raise TypeError(f"indexed names must be plain identifiers, got {name!r}")
    return table, names


def parse_answer(
    text: str,
    symbols: Mapping[str, sympy.Basic] | None = None,
    *,
    indexed: Iterable[str] = (),
    limits: ParseLimits = DEFAULT_LIMITS,
    functions: Mapping[str, type] | None = None,
) -> sympy.Expr:
    """Read an answer (plain maths or a LaTeX subset) as an exact SymPy expression.

    ``symbols`` maps names to the objects to use for them -- typically ``symbols_of(expected)``
    so that the claim shares the expected answer's symbols, assumptions and indexed bases;
    ``indexed`` names further bases whose subscripts mean indexing (``x_k`` → ``x[k]``);
    ``functions`` maps names to the document's own one-argument functions (``"sigma'"`` →
    its class), so that ``sigma'(z)`` and ``σ'(z)`` are read as that function.
    Raises :class:`AnswerParseError` with the column and what was expected; nothing is executed.
    """
    if not isinstance(text, str):
        raise TypeError(f"an answer must be a str, got {type(text).__name__}")
    if len(text) > limits.max_length:
        raise AnswerParseError(
            f"answer too long: {len(text)} characters; the limit is {limits.max_length}"
        )
    table, names = _table(symbols, indexed)
    result = _Parser(text, table, names, _is_latex(text), limits, functions).parse()
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise AnswerParseError("the answer is undefined or infinite (a logarithm of 0?); check it")
    return result


def stated_decimals(text: str) -> int | None:
    """How many decimals a plain number answer states (``91.79`` → 2, ``91.79%`` → 4 as the
    value is 0.9179, ``1.2e9`` → -8), or None for a whole number without a point, exponent or
    percent sign, or for anything that is not a single number. Graders use it to accept an
    answer equal to the expected value rounded to the precision the student gave."""
    if not isinstance(text, str) or len(text) > DEFAULT_LIMITS.max_length:
        return None
    lexer = _Lexer(text, _is_latex(text), DEFAULT_LIMITS)
    try:
        tokens: list[_Token] = []
        pos = 0
        while len(tokens) < 4:
            tok, pos = lexer.next(pos, True)
            tokens.append(tok)
            if tok.kind == "end":
                break
    except AnswerParseError:
        return None
    kinds = [tok.kind for tok in tokens]
    if kinds == ["num", "end"]:
        return tokens[0].decimals
    if kinds == ["op", "num", "end"] and tokens[0].value in ("+", "-"):
        return tokens[1].decimals
    return None


def symbols_of(expr: sympy.Basic) -> dict[str, sympy.Basic]:
    """Name → object for the indexed bases and symbols of an expected answer, for
    :func:`parse_answer`: a student's ``x_k`` then becomes ``x[k]`` when the answer indexes
    ``x``, and ``n`` the expected answer's ``n`` with its assumptions. Bases win over symbols
    of the same name (an indexed base's label is itself a symbol)."""
    table: dict[str, sympy.Basic] = {}
    for base in sorted(expr.atoms(sympy.IndexedBase), key=str):
        table.setdefault(str(base.label), base)
    for symbol in sorted(expr.atoms(sympy.Symbol), key=str):
        if not isinstance(symbol, sympy.Dummy):
            table.setdefault(symbol.name, symbol)
    return table
