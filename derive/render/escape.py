"""Escaping plain text for LaTeX, and the one type that is trusted to go in raw.

One table, applied in a single regex pass, so an escape's own backslash is never escaped again
(a chain of .replace() calls turns ``C:\\tmp`` into ``C:\\textbackslash\\{\\}tmp``).
"""

from __future__ import annotations

import re

from derive.render.glyphs import has_glyph

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
# Maths and Greek that messages and titles use: pdflatex's default input encoding has no glyph
# for them, so each gets its LaTeX spelling.
_GREEK = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho varsigma sigma tau upsilon phi chi psi omega".split()
CHAR_ESCAPE.update({chr(0x3B1 + i): f"\\ensuremath{{\\{name}}}" for i, name in enumerate(_GREEK) if name != "omicron"})
CHAR_ESCAPE.update({
    "\u03c2": r"\ensuremath{\varsigma}", "\u0394": r"\ensuremath{\Delta}", "\u0393": r"\ensuremath{\Gamma}", "\u0398": r"\ensuremath{\Theta}",
    "\u039b": r"\ensuremath{\Lambda}", "\u03a3": r"\ensuremath{\Sigma}", "\u03a6": r"\ensuremath{\Phi}", "\u03a8": r"\ensuremath{\Psi}", "\u03a9": r"\ensuremath{\Omega}",
    "\u2212": r"\ensuremath{-}", "\u2264": r"\ensuremath{\le}", "\u2265": r"\ensuremath{\ge}", "\u2248": r"\ensuremath{\approx}", "\u2260": r"\ensuremath{\ne}",
    "\u00d7": r"\ensuremath{\times}", "\u00b7": r"\ensuremath{\cdot}", "\u2192": r"\ensuremath{\to}", "\u2190": r"\ensuremath{\leftarrow}", "\u2032": r"\ensuremath{'}",
    "\u221e": r"\ensuremath{\infty}", "\u2208": r"\ensuremath{\in}", "\u2211": r"\ensuremath{\sum}", "\u221a": r"\ensuremath{\surd}", "\u2202": r"\ensuremath{\partial}",
    "\u2013": "--", "\u2014": "---", "\u2026": r"\ldots{}", "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''",
    "\u00a0": "~",
    # T1 fonts turn these pairs into other characters (en dash, inverted marks, quotes).
    # Each replacement ends in {} so that a third character cannot pair with it again ("---").
    "--": "-{}-{}", "?`": "?{}`{}", "!`": "!{}`{}", "``": "`{}`{}", "''": "'{}'{}", ",,": ",{},{}",
})
_PATTERN = re.compile("|".join(re.escape(c) for c in sorted(CHAR_ESCAPE, key=len, reverse=True)))
# Control characters are dropped; characters the T1/TS1 fonts have no glyph for (they would stop
# TeX) become '?' — titles and authors are checked up front instead (check_typesettable).
# C1 controls (U+0080–U+009F) and Unicode format characters (bidi overrides, zero-width) too.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Tex(str):
    """LaTeX markup produced by derive itself (printed from checked expressions or templates)."""

    __slots__ = ()


def escape(text: object) -> Tex:
    """Plain text → LaTeX that typesets exactly that text. Tex passes through unchanged."""
    if isinstance(text, Tex):
        return text
    plain = _UNPRINTABLE.sub("", str(text))
    escaped = _PATTERN.sub(lambda m: "\x00" + CHAR_ESCAPE[m.group()] + "\x01", plain)
    # Text outside the escapes that still has no glyph becomes '?'; the escapes themselves stay.
    parts = re.split("(\x00[^\x01]*\x01)", escaped)
    return Tex("".join(p[1:-1] if p.startswith("\x00") else _with_glyphs(p) for p in parts))


def _with_glyphs(text: str) -> str:
    return "".join(c if c in " \t" or has_glyph(c) else "?" for c in text)


def untypesettable(text: str) -> list[str]:
    """The characters of ``text`` that ``escape`` cannot typeset (it would print '?')."""
    plain = _PATTERN.sub("", _UNPRINTABLE.sub("", text))
    return sorted({c for c in plain if not (c in " \t" or has_glyph(c))})


def check_typesettable(option: str, text: str) -> None:
    """One clear line (InputError, exit 2) when a title or author has characters the PDF cannot show."""
    from derive.errors import InputError

    missing = untypesettable(text)
    if missing:
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise InputError(f"{option}: the PDF's fonts (Latin, T1 encoding) cannot typeset {listed}; "
                         "write it in Latin script")
