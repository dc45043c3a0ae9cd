"""The results the document proves, by stable id: what ``derive results`` lists and what
``derive grade`` compares students' answers with.

A result is a boxed restatement of a checked step; its value is that step's right-hand side,
with names the document defined replaced by what they stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import sympy as sp

from derive.core.checks.prepare import expand_definitions
from derive.core.checks.result import CheckResult
from derive.core.document import Document, Problem
from derive.core.notation import DISPLAY_NAMES
from derive.core.support import support, support_status
from derive.render.printer import to_latex


@dataclass(frozen=True)
class ResultEntry:
    id: str
    meaning: str
    value: sp.Basic
    step_id: str
    # (vector, index) pairs the result's step assumes: entry ``index`` is the vector's largest,
    # so a grader may read an answer's max(x) as x[index].
    maxima: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    support: tuple[str, ...] = ()  # the steps it rests on (core.support); its mark is their weakest
    # vector name → its length's name, so a grader reads max{x_1, …, x_n} as max(x) only for the whole x
    lengths: tuple[tuple[str, str], ...] = ()

    def status(self, results: Mapping[str, CheckResult]) -> str:
        """The result's mark: the weakest status among the steps it rests on."""
        return support_status(self.support or (self.step_id,), results)

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, sp.Basic) and self.value.is_number

    def to_json(self) -> dict:
        data = {"id": self.id, "meaning": self.meaning, "step": self.step_id,
                "sympy": sp.sstr(self.value), "latex": str(to_latex(self.value, DISPLAY_NAMES))}
        if self.is_number:
            if self.value.is_Integer:
                data["exact"] = int(self.value)
            else:
                data["exact"] = str(self.value)
                data["decimal"] = str(sp.N(self.value, 12))
        return data


def load(ids: Sequence[str] | None = None, document: Document | None = None) -> list[ResultEntry]:
    """Results of the whole document, or of just the problems that ``ids`` (p2.conv.macs, …) name.

    ``document`` defaults to the built-in one.
    """
    if document is None:
        from derive import loading

        document = loading.load().document
    parts: tuple[str, ...] = ()
    if ids is not None:
        # At most 6 ASCII digits: a 5000-digit id is no problem of ours, and int() would refuse it.
        numbers = {int(m.group(1)) for i in ids if (m := re.match(r"p([0-9]{1,6})\.", i))}
        parts = tuple(str(n) for n in sorted(numbers & set(document.numbers))) or ("1",)
    return collect(document.select(parts))


def _maxima(step) -> tuple[tuple[sp.Basic, sp.Basic], ...]:
    variables = getattr(getattr(step, "assumptions", None), "variables", ())
    return tuple((v.base, sp.sympify(v.max_at)) for v in variables
                 if getattr(v, "max_at", None) is not None)


def _lengths(step) -> tuple[tuple[str, str], ...]:
    variables = getattr(getattr(step, "assumptions", None), "variables", ())
    return tuple((str(v.base.label), str(v.length)) for v in variables
                 if isinstance(getattr(v, "base", None), sp.IndexedBase) and getattr(v, "length", None) is not None)


def collect(problems: Sequence[Problem]) -> list[ResultEntry]:
    entries = []
    for problem in problems:
        for result in problem.results():
            value = expand_definitions(result.value, result.step.definitions)
            entries.append(ResultEntry(result.result_id, result.meaning, value, result.step.id,
                                       _maxima(result.step), support(problems, result.step.id),
                                       _lengths(result.step)))
    return entries
