"""Plain text reaches TeX escaped; only derive's own markup goes in raw."""

from __future__ import annotations

import pytest

from derive.render.environment import environment
from derive.render.escape import Tex, escape

CASES = [
    ("plain", "Ada Lovelace", "Ada Lovelace"),
    ("backslash once", r"C:\tmp", r"C:\textbackslash{}tmp"),
    ("input command", r"\input{/etc/hostname}", r"\textbackslash{}input\{/etc/hostname\}"),
    ("specials", "50% & $5 #1 a_b", r"50\% \& \$5 \#1 a\_b"),
    ("tilde and caret", "~^", r"\textasciitilde{}\textasciicircum{}"),
    ("newline cannot end a command", "a\n\\end{document}", r"a \textbackslash{}end\{document\}"),
    ("control characters dropped", "a\x00b\x1bc", "abc"),
    ("maths symbols get their LaTeX spelling", "lhs − rhs ≤ β·Δ", r"lhs \ensuremath{-} rhs \ensuremath{\le} \ensuremath{\beta}\ensuremath{\cdot}\ensuremath{\Delta}"),
    ("no glyph becomes a question mark", "Wang 王", "Wang ?"),
    ("Latin-1 and Latin Extended-A letters pass", "Gödel, Lovász? Erdős Łukasz Dvořák", "Gödel, Lovász? Erdős Łukasz Dvořák"),
    ("ligatures broken", "a--b a---b ?`` ``q''", "a-{}-{}b a-{}-{}-b ?{}`{}` `{}`{}q'{}'{}"),
    ("write18", r"\immediate\write18{rm -rf /}", r"\textbackslash{}immediate\textbackslash{}write18\{rm -rf /\}"),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_escape_turns_text_into_literal_tex(text, expected):
    assert escape(text) == expected


def test_trusted_markup_passes_unchanged():
    assert escape(Tex(r"\frac{1}{2}")) == r"\frac{1}{2}"


def test_templates_escape_every_value_without_a_filter():
    template = environment().from_string(r"\title{((( title )))} ((( math )))")
    rendered = template.render(title=r"\input{/etc/passwd}", math=Tex(r"\alpha"))
    assert rendered == r"\title{\textbackslash{}input\{/etc/passwd\}} \alpha"


def test_templates_refuse_missing_values():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("((( nothing )))").render()
