"""Derivations in Jupyter: documents, problems, parts and derivations display checked, inline.

``_repr_latex_`` gives the maths with a mark per step (MathJax cannot colour reliably);
``_repr_html_`` adds the status colours and the prose. Steps are checked once per kernel: results
are kept in memory by content hash, so displaying a cell again costs nothing.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, VERIFIED, CheckResult
from derive.core.checks.runner import CheckCache, check_steps
from derive.core.document import Derivation, Document, Part, Problem, Prose, Result, Table
from derive.core.notation import DISPLAY_NAMES
from derive.core.step import Step
from derive.render.printer import RELATION_TEX, to_latex

_MEMORY = CheckCache(None)  # per kernel; failures are always checked again

LATEX_MARK = {VERIFIED: r"\checkmark", NUMERIC_ONLY: r"\approx", FAILED: r"\times", DEFINITION: r":="}
HTML_MARK = {VERIFIED: ("✓", "#1a7f37"), NUMERIC_ONLY: ("≈", "#b35900"), FAILED: ("×", "#d1242f"),
             DEFINITION: ("≔", "#6e7781")}


@dataclass(frozen=True)
class CheckReport:
    """The check results of a document, problem, part or derivation, shown as a table in Jupyter."""

    steps: tuple[Step, ...]
    results: Mapping[str, CheckResult]

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return all(r.status != FAILED for r in self.results.values())

    def failed(self) -> list[CheckResult]:
        return [self.results[s.id] for s in self.steps if self.results[s.id].status == FAILED]

    def _repr_latex_(self) -> str:
        return _aligned(self.steps, self.results)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html_lib.escape(s.id)}</code></td><td>{_html_mark(self.results[s.id].status)} "
            f"{html_lib.escape(self.results[s.id].status)}</td><td>{html_lib.escape(self.results[s.id].message)}</td></tr>"
            for s in self.steps)
        return f"<table><tr><th>step</th><th>status</th><th>why</th></tr>{rows}</table>"


def check(item: Any) -> CheckReport:
    """Check every step of a Document, Problem, Part or Derivation (or one Step) and report."""
    steps = tuple(_steps(item))
    results = check_steps(steps, _MEMORY, jobs=1)  # no worker processes inside a kernel
    return CheckReport(steps, results)


def _steps(item: Any) -> Iterable[Step]:
    if isinstance(item, Step):
        return [item]
    if isinstance(item, Derivation):
        return list(item.steps)
    if isinstance(item, (Part, Problem)):
        return list(item.steps())
    if isinstance(item, Document):
        return [s for p in item.problems for s in p.steps()]
    raise TypeError(f"derive.check takes a Document, Problem, Part, Derivation or Step, not {type(item).__name__}")


def _math(expr: Any) -> str:
    return str(to_latex(expr, DISPLAY_NAMES))


def _text(text: str) -> str:
    """Plain text inside MathJax's \\text{…}: braces and backslashes cannot escape it."""
    return re.sub(r"[\\{}$]", "", text)


def _shown(step: Step) -> tuple[Any, Any]:
    lhs, rhs = step.display if step.display is not None else (None, None)
    return (step.lhs if lhs is None else lhs), (step.rhs if rhs is None else rhs)


def _aligned(steps: Iterable[Step], results: Mapping[str, CheckResult]) -> str:
    rows = []
    for step in steps:
        lhs, rhs = _shown(step)
        status = results[step.id].status
        left = "" if step.continued else _math(lhs)
        rows.append(rf"{left} &{RELATION_TEX[step.rel]} {_math(rhs)} && {LATEX_MARK[status]}\ \text{{{_text(step.id)}}}")
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"


def _html_mark(status: str) -> str:
    symbol, colour = HTML_MARK[status]
    return f'<span style="color:{colour};font-weight:bold" title="{status}">{symbol}</span>'


def latex(item: Any) -> str:
    """LaTeX (for MathJax) of an item with every step checked and marked."""
    report = check(item)
    if isinstance(item, Derivation):
        return _aligned(item.steps, report.results)
    blocks = [_aligned(b.steps, report.results)[2:-2] for b in _blocks(item) if isinstance(b, Derivation)]
    if not blocks:
        return r"$\text{(no derivations)}$"
    return "$$\\begin{gathered}" + r" \\[1ex] ".join(blocks) + r"\end{gathered}$$"


def _blocks(item: Any) -> list:
    if isinstance(item, Part):
        return list(item.blocks)
    if isinstance(item, Problem):
        return [b for p in item.parts for b in p.blocks]
    if isinstance(item, Document):
        return [b for p in item.problems for part in p.parts for b in part.blocks]
    return []


def html(item: Any) -> str:
    """HTML with status colours: the steps as MathJax, prose, results and tables."""
    report = check(item)
    return _html_item(item, report.results)


def _html_item(item: Any, results: Mapping[str, CheckResult]) -> str:
    if isinstance(item, Document):
        head = f"<h2>{html_lib.escape(item.title)}</h2>"
        if item.author:
            head += f"<p><em>{html_lib.escape(item.author)}</em></p>"
        return head + "".join(_html_item(p, results) for p in item.problems)
    if isinstance(item, Problem):
        return (f"<h3>Problem {item.number}: {html_lib.escape(item.title)}</h3>"
                f"<p>{_html_prose(item.statement)}</p>" + "".join(_html_item(p, results) for p in item.parts))
    if isinstance(item, Part):
        return (f"<h4>{html_lib.escape(item.label)}) {html_lib.escape(item.title)}</h4>"
                + "".join(_html_block(b, results) for b in item.blocks))
    return _html_block(item, results)


def _html_block(block: Any, results: Mapping[str, CheckResult]) -> str:
    if isinstance(block, Derivation):
        rows = []
        for step in block.steps:
            lhs, rhs = _shown(step)
            result = results[step.id]
            left = "" if step.continued else f"\\({_math(lhs)}\\)"
            failure = (f'<br><span style="color:#d1242f">{html_lib.escape(result.message)}</span>'
                       if result.status == FAILED else "")
            rows.append(f"<tr><td style='text-align:right'>{left}</td><td>\\({RELATION_TEX[step.rel]} {_math(rhs)}\\)</td>"
                        f"<td>{_html_prose(step.why)}{failure}</td><td>{_html_mark(result.status)} "
                        f"<code>{html_lib.escape(step.id)}</code></td></tr>")
        return "<table>" + "".join(rows) + "</table>"
    if isinstance(block, Prose):
        return f"<p>{_html_prose(block.parts)}</p>"
    if isinstance(block, Result):
        lhs = block.lhs if block.lhs is not None else block.step.lhs
        return (f"<p style='border:1px solid #888;padding:4px'><b>{html_lib.escape(block.result_id)}</b>: "
                f"\\({_math(lhs)} {RELATION_TEX[block.step.rel]} {_math(block.value)}\\) "
                f"{_html_mark(results[block.step.id].status)} — {html_lib.escape(block.meaning)}</p>")
    if isinstance(block, Table):
        head = "".join(f"<th>{html_lib.escape(h)}</th>" for h in block.header)
        body = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<p>{html_lib.escape(block.caption)}</p><table><tr>{head}</tr>{body}</table>"
    return html_lib.escape(repr(block))


def _html_cell(value: Any) -> str:
    import sympy as sp

    if isinstance(value, (sp.Basic, sp.MatrixBase)):
        return f"\\({_math(value)}\\)"
    return html_lib.escape(str(value))


def _html_prose(parts: Iterable[Any]) -> str:
    import sympy as sp

    out = []
    for part in parts:
        if isinstance(part, (sp.Basic, sp.MatrixBase)):
            out.append(f"\\({_math(part)}\\)")
        else:
            out.append(html_lib.escape(str(part)))
    return "".join(out)


def result_html(result: CheckResult) -> str:
    """One check result for Jupyter: its mark, status, methods and message."""
    methods = ", ".join(f"{m.method} {m.outcome}" for m in result.methods) or "none needed"
    message = f" — {html_lib.escape(result.message)}" if result.message else ""
    return (f"{_html_mark(result.status)} <code>{html_lib.escape(result.step_id)}</code> "
            f"{html_lib.escape(result.status)} ({html_lib.escape(methods)}){message}")


def result_latex(result: CheckResult) -> str:
    """One check result as LaTeX: its mark and status."""
    return rf"${LATEX_MARK[result.status]}\ \text{{{_text(result.step_id)} {result.status}}}$"
