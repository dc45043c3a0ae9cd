"""A listing's caption says in words what the code does; no module path (a raw identifier) in it."""

from __future__ import annotations

from derive.core.document import Listing
from derive.render.view import Viewer


def _example() -> int:
    return 1


def test_the_caption_is_the_authors_words_only() -> None:
    block = Viewer({}, {}).block(Listing("Folding the network, in $n$ lines", (_example,)))
    assert block["kind"] == "listing"
    assert block["caption"] == "Folding the network, in $n$ lines"
    assert "test_listing_captions" not in block["caption"] and "def _example" in block["code"]
