"""Escaping plain text for LaTeX, and the one type that is trusted to go in raw.

One table, applied in a single regex pass, so an escape's own backslash is never escaped again
(a chain of .replace() calls turns ``C:\\tmp`` into ``C:\\textbackslash\\{\\}tmp``).
"""

from __future__ import annotations

import re

CHAR_ESCAPE = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
    "\n": " ",
    "\r": " ",
}
_PATTERN = re.compile("|".join(re.escape(c) for c in CHAR_ESCAPE))
# Characters TeX's default fonts cannot show, or control characters: dropped, never passed on.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Tex(str):
    """LaTeX markup produced by derive itself (printed from checked expressions or templates)."""

    __slots__ = ()


def escape(text: object) -> Tex:
    """Plain text → LaTeX that typesets exactly that text. Tex passes through unchanged."""
    if isinstance(text, Tex):
        return text
    plain = _UNPRINTABLE.sub("", str(text))
    return Tex(_PATTERN.sub(lambda m: CHAR_ESCAPE[m.group()], plain))
