"""What a boxed result rests on, so its mark is never stronger than its weakest support.

A result restates one step, but that step is the end of a chain: the steps of its derivation
before it (a derivation is one argument under shared assumptions) and, for a rule such as the
squeeze, the premise steps it names, with their own chains.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from derive.core.checks.result import CheckResult, weakest
from derive.core.document import Derivation, Problem, Result


def _derivations(problems: Iterable[Problem]) -> list[Derivation]:
    return [b for p in problems for part in p.parts for b in part.blocks if isinstance(b, Derivation)]


def support(problems: Iterable[Problem], step_id: str) -> tuple[str, ...]:
    """Ids of the steps the step ``step_id`` rests on, itself included (definitions left out)."""
    where = {}
    for derivation in _derivations(problems):
        for index, step in enumerate(derivation.steps):
            where[step.id] = (derivation, index)
    seen: dict[str, None] = {}
    todo = [step_id]
    while todo:
        current = todo.pop()
        if current in seen or current not in where:
            continue
        derivation, index = where[current]
        for step in derivation.steps[: index + 1]:
            if step.id in seen:
                continue
            seen[step.id] = None
            if step.rule is not None:
                todo.extend((step.rule.lower_step, step.rule.upper_step))
        seen[current] = None
    return tuple(sorted(seen))


def support_status(ids: Iterable[str], results: Mapping[str, CheckResult]) -> str:
    """The weakest status among the supporting steps: all a conclusion from them may claim."""
    return weakest(results[i].status for i in ids if i in results)


def result_status(problems: Iterable[Problem], result: Result, results: Mapping[str, CheckResult]) -> str:
    return support_status(support(problems, result.step.id), results)
