"""How counting errors name things: one place, so every message reads the same way.

A layer error starts with ``<source>: layer <index> "<name>" (<type>)`` — the index counts
``[[layers]]`` tables from 1 and the name appears only when the user gave one.
"""

from __future__ import annotations


def show(value: object) -> str:
    """Render a user's value the way they wrote it in TOML (strings quoted, true/false)."""
    import json  # only on the error path: keeps `derive count` start-up lean

    from derive.errors import clean

    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # a 5000-digit integer, a deeply nested array
        text = f"a {type(value).__name__} too large to show"
    # Cut to a readable length, without terminal escapes (C1 controls pass through json.dumps).
    return clean(text, 80)


def suggest(word: str, choices: tuple[str, ...]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or an empty string when none is close."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def layer_where(
    source: str, index: int, name: str | None, type_name: str | None
) -> str:
    """The location prefix of a layer error: ``src: layer 3 "conv2" (conv2d)``."""
    where = f"{source}: layer {index}"
    if name is not None:
        where += f' "{name}"'
    if type_name is not None:
        where += f" ({type_name})"
    return where
