"""Variables in prose are maths: ``$...$`` spans typeset in italic from a closed vocabulary; no
control word outside it, no TeX comment or character code can get through; titles stay escaped."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.errors import AuthoringError
from derive.render.escape import escape
from derive.render.inline_math import prose_tex
from derive.render.view import Viewer


@pytest.mark.parametrize("text, tex", [
    ("the other $n - 1$ terms", "the other $n - 1$ terms"),
    ("layers 1 to $L − 1$", "layers 1 to $L - 1$"),
    ("with $σ'$ and $ℓ$", r"with $\sigma'$ and $\ell$"),
    ("a $C × H × W$ map", r"a $C \times H \times W$ map"),
    ("$x_{i+j-1}$ and $n^2$", "$x_{i+j-1}$ and $n^2$"),
    (r"width $\frac{1}{\beta}$", r"width $\frac{1}{\beta}$"),
    ("5 % of \\$3", r"5 \% of \$3"),
    ("no maths & no span", r"no maths \& no span"),
], ids=["minus", "unicode-minus", "greek", "times", "sub-sup", "control-word", "dollar", "plain"])
def test_spans_become_maths_and_text_is_escaped(text: str, tex: str) -> None:
    assert prose_tex(text) == tex


@pytest.mark.parametrize("text, message", [
    (r"$\input{/etc/passwd}$", r"\\input is not allowed"),
    (r"$\def\x{1}$", r"\\def is not allowed"),
    ("$x % comment$", "'%' is not allowed"),
    ("$x^^5c$", "must be followed"),
    ("$x_$", "must be followed"),
    ("$x_{1$", "never closed"),
    ("$x}$", "closes nothing"),
    ("$a & b$", "'&' is not allowed"),
    ("$#1$", "'#' is not allowed"),
    ("an open $n", "never closed"),
    (r"$\@$", "not allowed"),
], ids=["input", "def", "comment", "charcode", "dangling-sub", "open-brace", "close-brace", "ampersand",
        "hash", "unclosed-span", "control-symbol"])
def test_anything_outside_the_vocabulary_is_refused(text: str, message: str) -> None:
    with pytest.raises(AuthoringError, match=message):
        prose_tex(text)


def test_prose_blocks_and_why_texts_use_spans() -> None:
    viewer = Viewer({}, {})
    assert viewer.prose(("for every $n$ and ", sp.Symbol("k"), " items")) == "for every $n$ and $k$ items"


def test_titles_are_still_escaped_not_read_as_maths() -> None:
    assert escape(r"Title $\input{x}$") == r"Title \$\textbackslash{}input\{x\}\$"
