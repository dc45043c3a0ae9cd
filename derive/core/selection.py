"""Selecting problems and parts by name ('1', '1a', 'p1.a') from an ordered list of problems."""

from __future__ import annotations

from derive.errors import InputError


def parse_part_name(name: str) -> tuple[int, str | None]:
    """(problem number, part label or None) for '1', '1a', 'p1.a'; InputError otherwise."""
    text = name.strip().lower().removeprefix("p").replace(".", "")
    digits = "".join(c for c in text if c.isdigit())
    label = text[len(digits):] or None
    if not digits or (label is not None and not label.isalpha()) or text[: len(digits)] != digits:
        raise InputError(f"cannot read part {name!r}: write a problem number and an optional part, like 1, 1a or p1.a")
    return int(digits), label
