"""Selecting problems and parts by name ('1', '1a', 'p1.a') from an ordered list of problems."""

from __future__ import annotations

from derive.errors import InputError, shown


def parse_part_name(name: str) -> tuple[int, str | None]:
    """(problem number, part label or None) for '1', '1a', 'p1.a'; InputError otherwise."""
    text = name.strip().lower().removeprefix("p").replace(".", "")
    # ASCII only: str.isdigit() accepts '²' and other digits int() cannot read.
    digits = "".join(c for c in text if c in "0123456789")
    label = text[len(digits):] or None
    if (not digits or len(digits) > 6 or text[: len(digits)] != digits
            or (label is not None and not (label.isascii() and label.isalpha() and len(label) <= 6))):
        raise InputError(f"cannot read part {shown(name)}: write a problem number and an optional part, like 1, 1a or p1.a")
    return int(digits), label
