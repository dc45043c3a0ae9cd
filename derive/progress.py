"""What long commands show while they work: a bar per problem, every step with -v, nothing with -q."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # only for hints: `derive build` with nothing changed must not import SymPy
    from derive.core.checks.result import CheckResult
    from derive.core.step import Step

MARKS = {"verified": "ok", "numeric-only": "~ ", "failed": "XX", "definition": "  ", "undecided": "??"}
QUIET, NORMAL, VERBOSE = 0, 1, 2


class StepProgress:
    """The ``progress`` callback of ``pipeline.check``/``build``, printing to stderr."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.totals: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.done: dict[str, int] = {}
        self.bars: dict[str, Any] = {}

    def plan(self, problems) -> None:
        for problem in problems:
            key = f"p{problem.number}"
            self.totals[key] = sum(1 for _ in problem.steps())
            self.titles[key] = f"Problem {problem.number}"

    def __call__(self, step: Step, result: CheckResult) -> None:
        if self.level >= VERBOSE:
            cached = " (cached)" if result.cached else ""
            click.echo(f"  {MARKS.get(result.status, '  ')} {step.id:<16} {result.status}{cached}", err=True)
            return
        if self.level <= QUIET:
            return
        key = step.id.split(".", 1)[0]
        if key not in self.totals:
            return
        bar = self.bars.get(key)
        if bar is None:
            bar = click.progressbar(length=self.totals[key], label=self.titles[key], file=sys.stderr,
                                    show_pos=True, width=30)
            bar.__enter__()
            self.bars[key] = bar
        bar.update(1)
        self.done[key] = self.done.get(key, 0) + 1
        if self.done[key] >= self.totals[key]:
            bar.__exit__(None, None, None)

    def close(self) -> None:
        for key, bar in self.bars.items():
            if self.done.get(key, 0) < self.totals[key]:
                bar.__exit__(None, None, None)
