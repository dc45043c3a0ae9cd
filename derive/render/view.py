"""Turn problems and check results into what the templates lay out: strings and Tex only.

Templates hold layout, not logic; every decision about what to show is made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy as sp

from derive.core.assumptions import Constraint, Integer, Positive, Real, RealMatrix, RealVector
from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, STATUSES, VERIFIED, CheckResult
from derive.core.document import Derivation, Problem, Prose, Result, Table
from derive.core.step import Step
from derive.render.escape import Tex, escape
from derive.render.printer import RELATION_TEX, to_latex

STATUS_MARK = {
    VERIFIED: Tex(r"\statusverified"),
    NUMERIC_ONLY: Tex(r"\statusnumeric"),
    FAILED: Tex(r"\statusfailed"),
    DEFINITION: Tex(r"\statusdefinition"),
}


@dataclass
class Viewer:
    names: Mapping[sp.Symbol, str]
    results: Mapping[str, CheckResult]

    def math(self, expr: Any) -> Tex:
        return to_latex(expr, self.names)

    def prose(self, parts: Sequence[Any]) -> Tex:
        """Plain strings escaped; SymPy objects printed inline as maths."""
        out = []
        for part in parts:
            if isinstance(part, sp.Basic) or isinstance(part, sp.MatrixBase):
                out.append(f"${self.math(part)}$")
            else:
                out.append(escape(part))
        return Tex("".join(out))

    def step(self, step: Step) -> dict:
        result = self.results[step.id]
        shown_lhs, shown_rhs = step.display if step.display is not None else (None, None)
        return {
            "id": escape(step.id),
            "short_id": escape(step.id.split(".", 2)[-1]),
            "lhs": Tex("") if step.continued else self.math(step.lhs if shown_lhs is None else shown_lhs),
            "rel": Tex(RELATION_TEX[step.rel]),
            "rhs": self.math(step.rhs if shown_rhs is None else shown_rhs),
            "why": self.prose(step.why),
            "status": result.status,
            "mark": STATUS_MARK[result.status],
            # Only failed steps reach the PDF with a message (derive build --keep-going).
            "failure": escape(_short_failure(result.message)) if result.status == FAILED else Tex(""),
        }

    def assumption_lines(self, derivation: Derivation) -> list[Tex]:
        lines = []
        for variable in derivation.assumptions.variables:
            lines.append(self._variable(variable))
        for constraint in derivation.assumptions.constraints:
            lines.append(self._constraint(constraint))
        lines.extend(escape(note) for note in derivation.assumptions.notes)
        return lines

    def _variable(self, v) -> Tex:
        if isinstance(v, Integer):
            # A numeric upper bound is only the range sampled for the numeric check (shown in the
            # appendix); the claim is for every integer from the lower bound on.
            if isinstance(v.hi, int) or (isinstance(v.hi, sp.Basic) and v.hi.is_number):
                return Tex(f"${self.math(v.symbol)} \\ge {self.math(v.lo)}$ an integer")
            return Tex(f"${self.math(v.lo)} \\le {self.math(v.symbol)} \\le {self.math(v.hi)}$")
        if isinstance(v, Positive):
            return Tex(f"${self.math(v.symbol)} > 0$")
        if isinstance(v, Real):
            return Tex(f"${self.math(v.symbol)} \\in \\mathbb{{R}}$")
        if isinstance(v, RealVector):
            return Tex(f"${self.math(v.base)} \\in \\mathbb{{R}}^{{{self.math(v.length)}}}$")
        if isinstance(v, RealMatrix):
            rows, cols = v.symbol.shape
            return Tex(f"${self.math(v.symbol)} \\in \\mathbb{{R}}^{{{rows} \\times {cols}}}$")
        raise TypeError(f"no display for {v!r}")

    def _constraint(self, c: Constraint) -> Tex:
        text = f"${self.math(c.relation)}$"
        if c.forall:
            ranges = ", ".join(f"{self.math(lo)} \\le {self.math(idx)} \\le {self.math(hi)}" for idx, lo, hi in c.forall)
            text += f" for all ${ranges}$"
            if c.where is not sp.true:
                text += f" with ${self.math(c.where)}$"
        return Tex(text)

    def block(self, block) -> dict:
        if isinstance(block, Derivation):
            return {"kind": "derivation", "steps": [self.step(s) for s in block.steps],
                    "assumptions": self.assumption_lines(block)}
        if isinstance(block, Prose):
            return {"kind": "prose", "text": self.prose(block.parts), "argued": block.argued}
        if isinstance(block, Result):
            lhs = block.lhs if block.lhs is not None else block.step.lhs
            return {"kind": "result", "id": escape(block.result_id), "meaning": escape(block.meaning),
                    "lhs": self.math(lhs), "rel": Tex(RELATION_TEX[block.step.rel]),
                    "rhs": self.math(block.value), "step": escape(block.step.id),
                    "mark": STATUS_MARK[self.results[block.step.id].status]}
        if isinstance(block, Table):
            return {"kind": "table", "caption": escape(block.caption),
                    "header": [escape(h) for h in block.header],
                    "rows": [[self.cell(c) for c in row] for row in block.rows],
                    "align": Tex(block.align or "l" + "r" * (len(block.header) - 1)),
                    "note": escape(block.note)}
        raise TypeError(f"no view for block {block!r}")

    def cell(self, value: Any) -> Tex:
        if isinstance(value, bool):
            return escape("yes" if value else "no")
        if isinstance(value, int):
            return Tex(f"{value:,}".replace(",", r"\,"))
        if isinstance(value, (sp.Basic, sp.MatrixBase)):
            return Tex(f"${self.math(value)}$")
        return escape(value)

    def problem(self, problem: Problem) -> dict:
        return {
            "number": problem.number,
            "title": escape(problem.title),
            "statement": self.prose(problem.statement),
            "parts": [{"label": escape(p.label), "title": escape(p.title),
                       "blocks": [self.block(b) for b in p.blocks]} for p in problem.parts],
        }


def appendix(problems: Sequence[Problem], results: Mapping[str, CheckResult]) -> list[dict]:
    rows = []
    for problem in problems:
        for step in problem.steps():
            result = results[step.id]
            methods = ", ".join(f"{m.method} {m.outcome}" for m in result.methods) or "none needed"
            rows.append({
                "id": escape(step.id),
                "rel": Tex(f"${RELATION_TEX[step.rel]}$"),
                "status": escape(result.status),
                "mark": STATUS_MARK[result.status],
                "methods": escape(methods),
                "seconds": escape(f"{result.seconds:.2f}"),
                "note": escape(_first_reason(result, step)),
            })
    return rows


def _short_failure(message: str, limit: int = 300) -> str:
    """The counterexample of a failed step, short enough for a line under it in the PDF."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_reason(result: CheckResult, step: Step | None = None) -> str:
    if result.status == NUMERIC_ONLY:
        if step is not None and step.unproved:  # the author's reason, then SymPy's
            return f"{step.unproved} ({result.message.split('; ')[0].removeprefix('symbolic: ')})"
        return result.message.split("; ")[0].removeprefix("symbolic: ")
    return ""


def summary(results: Mapping[str, CheckResult]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for result in results.values():
        counts[result.status] += 1
    return counts


def document(problems: Sequence[Problem], results: Mapping[str, CheckResult],
             names: Mapping[sp.Symbol, str], title: str, author: str) -> dict:
    viewer = Viewer(names, results)
    return {
        "title": escape(title),
        "author": escape(author),
        "problems": [viewer.problem(p) for p in problems],
        "appendix": appendix(problems, results),
        "summary": {escape(k): v for k, v in summary(results).items()},
    }
