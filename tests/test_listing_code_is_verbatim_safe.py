"""Code shown verbatim cannot end its listing early, and every character it has can be printed."""

from __future__ import annotations

import pytest

from derive.render.view import LISTING_LITERATE, listing_code


def test_plain_code_passes_unchanged():
    def sample() -> int:
        return 3 * 32  # 3 × 32
    assert listing_code((sample,)).endswith("return 3 * 32  # 3 × 32")  # × has a replacement


def test_the_end_of_the_environment_is_refused(monkeypatch):
    import inspect

    monkeypatch.setattr(inspect, "getsource", lambda f: "x = 1\n\\end{lstlisting}\n\\input{/etc/passwd}\n")
    with pytest.raises(ValueError, match=r"^a listed function contains the end of a listing environment$"):
        listing_code((len,))


@pytest.mark.parametrize("char", ["\u2603", "\u00e9", "\x07"], ids=["snowman", "e-acute", "bell"])
def test_characters_the_listing_cannot_print_are_refused(monkeypatch, char):
    import inspect

    monkeypatch.setattr(inspect, "getsource", lambda f: f"x = '{char}'\n")
    with pytest.raises(ValueError, match=r"^a listed function contains characters the listing cannot print"):
        listing_code((len,))


def test_every_printable_extra_character_has_a_replacement():
    assert all(ord(c) > 126 for c in LISTING_LITERATE)
