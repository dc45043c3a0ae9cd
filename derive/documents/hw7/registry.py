"""Homework 7's problems by number, for code that selects them without the command line."""

from __future__ import annotations

from typing import Sequence

import derive as dv
from derive.documents.hw7 import PROBLEM_MODULES, document

PROBLEMS: dict[int, str] = {n: f"derive.documents.hw7.{m}" for n, m in enumerate(PROBLEM_MODULES, start=1)}


def load_problem(number: int) -> dv.Problem:
    return document().load(number)


def select(names: Sequence[str]) -> list[dv.Problem]:
    """Problems (with only the named parts) for names such as '1', '1a', 'p1.a' or '2'."""
    return document().select(names)
