"""Each Greek letter in plain text typesets as itself (σ used to print as τ: the table skipped ς)."""

from __future__ import annotations

import unicodedata

import pytest

from derive.render.escape import escape

LETTERS = [chr(c) for c in range(0x3B1, 0x3CA) if c != 0x3BF]  # α … ω, omicron is a Latin o


@pytest.mark.parametrize("letter", LETTERS, ids=[unicodedata.name(c) for c in LETTERS])
def test_letter_escapes_to_its_own_name(letter):
    name = unicodedata.name(letter).removeprefix("GREEK SMALL LETTER ").lower()
    expected = {"final sigma": "varsigma", "lamda": "lambda"}.get(name, name)
    assert escape(letter) == rf"\ensuremath{{\{expected}}}"
