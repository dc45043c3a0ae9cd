"""Inline maths in an author's prose: ``$...$`` spans, typeset as maths from a closed vocabulary.

An author writes "the other $n - 1$ terms" or "for layers 1 to $L - 1$" so that a variable in a
sentence is set in italic like the displays, not upright as escaped text would set it. The span is
not passed to TeX as written: it is read character by character and only these reach TeX —
ASCII letters, digits, spaces and harmless punctuation, ``_ ^ { }`` (braces balanced, no ``^^``,
which TeX reads as a character code), the control words of ``CONTROL_WORDS`` and the Unicode maths
characters of ``UNICODE_MATH`` (σ, ℓ, ×, ≤, …). Anything else (another control word such as
``\\input``, ``%``, ``#``, ``&``, ``~``) is refused with an AuthoringError, so a span can never
run TeX code. ``\\$`` outside a span is a literal dollar. Titles and other untrusted text never
pass through here: they are escaped (derive.render.escape).
"""

from __future__ import annotations

import re

from derive.errors import AuthoringError, shown
from derive.render.escape import Tex, escape

# Control words an author may use inside a span: symbols, fonts and spacing, nothing that defines,
# reads or writes.
CONTROL_WORDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega "
    "ell partial nabla infty times cdot le leq ge geq ne neq approx ll gg to mapsto in notin subset "
    "ldots cdots dots vdots sum prod log exp tanh max min lim sqrt frac mathrm mathbf mathbb mathcal "
    "operatorname text star circ pm mp quad qquad left right lfloor rfloor lceil rceil top tilde hat "
    "bar".split()
)
# \, \; \! (spacing) and \{ \} \| (delimiters) are the only control symbols allowed.
CONTROL_SYMBOLS = frozenset(",;!{}|")
UNICODE_MATH = {
    **{chr(0x3B1 + i): f"\\{name} " for i, name in enumerate(
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
        "varsigma sigma tau upsilon phi chi psi omega".split()) if name not in ("omicron", "varsigma")},
    "Δ": r"\Delta ", "Γ": r"\Gamma ", "Θ": r"\Theta ", "Λ": r"\Lambda ", "Σ": r"\Sigma ",
    "Φ": r"\Phi ", "Ψ": r"\Psi ", "Ω": r"\Omega ",
    "ℓ": r"\ell ", "∂": r"\partial ", "∇": r"\nabla ", "∞": r"\infty ", "−": "-", "×": r"\times ",
    "·": r"\cdot ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "≈": r"\approx ", "≪": r"\ll ",
    "→": r"\to ", "↦": r"\mapsto ", "∈": r"\in ", "…": r"\ldots ", "⋆": r"\star ", "′": "'",
    "ℝ": r"\mathbb{R}", "√": r"\surd ", "∑": r"\sum ", "⊤": r"\top ",
}
_PLAIN = re.compile(r"[A-Za-z0-9 +\-=()\[\],.;:/'|<>*!?]")
_SPAN = re.compile(r"(?<!\\)\$([^$]*)(?<!\\)\$")


def prose_tex(text: str) -> Tex:
    """An author's sentence as LaTeX: plain text escaped, each ``$...$`` span typeset as maths."""
    out: list[str] = []
    position = 0
    for match in _SPAN.finditer(text):
        out.append(_text(text[position:match.start()], text))
        out.append(f"${math_span(match.group(1), text)}$")
        position = match.end()
    out.append(_text(text[position:], text))
    return Tex("".join(out))


def _text(plain: str, sentence: str) -> str:
    if "$" in plain.replace("\\$", ""):
        raise AuthoringError(f"prose {shown(sentence)}: a '$' opens a maths span that is never closed "
                             "(write \\$ for a dollar sign)")
    return escape(plain.replace("\\$", "$"))


def _word(tex: str, following: str) -> str:
    """A control word, with the space that ends it only where a letter follows (\\sigma x)."""
    return tex + " " if following.isascii() and following.isalpha() else tex


def math_span(span: str, sentence: str = "") -> str:
    """The LaTeX of one span's content, or an AuthoringError naming what is not allowed."""
    where = f"prose {shown(sentence or span)}"
    out: list[str] = []
    depth = 0
    index = 0
    while index < len(span):
        char = span[index]
        if char == "\\":
            word = re.match(r"[A-Za-z]+", span[index + 1:])
            if word:
                if word.group() not in CONTROL_WORDS:
                    raise AuthoringError(f"{where}: \\{word.group()} is not allowed in a maths span")
                index += 1 + len(word.group())
                out.append(_word(f"\\{word.group()}", span[index:index + 1]))
                continue
            symbol = span[index + 1:index + 2]
            if symbol not in CONTROL_SYMBOLS or not symbol:
                raise AuthoringError(f"{where}: '\\{symbol}' is not allowed in a maths span")
            out.append(f"\\{symbol}")
            index += 2
            continue
        if char in "_^":
            following = span[index + 1:index + 2]
            if following in ("", "_", "^", "}", " "):
                raise AuthoringError(f"{where}: '{char}' must be followed by what it raises or lowers")
            out.append(char)
        elif char == "{":
            depth += 1
            out.append(char)
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise AuthoringError(f"{where}: a '}}' closes nothing in a maths span")
            out.append(char)
        elif char in UNICODE_MATH:
            out.append(_word(UNICODE_MATH[char].rstrip(), span[index + 1:index + 2]))
        elif _PLAIN.fullmatch(char):
            out.append(char)
        else:
            raise AuthoringError(f"{where}: {char!r} is not allowed in a maths span")
        index += 1
    if depth:
        raise AuthoringError(f"{where}: a '{{' is never closed in a maths span")
    return "".join(out).strip()
