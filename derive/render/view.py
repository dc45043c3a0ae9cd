"""Turn problems and check results into what the templates lay out: strings and Tex only.

Templates hold layout, not logic; every decision about what to show is made here.
"""

from __future__ import annotations

import inspect
import re
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import sympy as sp

from derive.core.assumptions import Constraint, Integer, NonNegative, Positive, Real, RealMatrix, RealVector
from derive.core.checks import numeric
from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, STATUSES, VERIFIED, CheckResult
from derive.core.document import Derivation, Figure, Listing, Problem, Prose, Result, Table
from derive.core.step import Step
from derive.core.support import result_status
from derive.render.escape import Tex, escape
from derive.render.inline_math import prose_tex
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
    shown_assumptions: list[Tex] = field(default_factory=list)  # printed earlier in this part
    full: bool = False  # True in the companion: supplementary derivations are shown in full
    problems: Sequence[Problem] = ()

    def math(self, expr: Any) -> Tex:
        return to_latex(expr, self.names)

    def prose(self, parts: Sequence[Any]) -> Tex:
        """Plain strings escaped, with their ``$...$`` spans as maths (derive.render.inline_math);
        SymPy objects printed inline as maths."""
        out = []
        for part in parts:
            if isinstance(part, sp.Basic) or isinstance(part, sp.MatrixBase):
                out.append(f"${self.math(part)}$")
            elif isinstance(part, str) and not isinstance(part, Tex):
                out.append(prose_tex(part))
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
            "continued": step.continued and step.rel == "=",
            # Only failed steps reach the PDF with a message (derive build --keep-going).
            "failure": escape(_short_failure(result.message)) if result.status == FAILED else Tex(""),
        }

    def assumption_lines(self, derivation: Derivation) -> list[Tex]:
        lines = []
        for variable in derivation.assumptions.variables:
            lines.append(self._variable(variable))
        for constraint in derivation.assumptions.constraints:
            lines.append(self._constraint(constraint))
        lines.extend(self.prose((note,)) for note in derivation.assumptions.notes)
        return lines

    def _variable(self, v) -> Tex:
        if isinstance(v, Integer):
            # A numeric upper bound only bounds the dense sampling (Integer.declared_hi is None):
            # the claim, and what the proof may use, is every integer from the lower bound on.
            if v.declared_hi is None:
                return Tex(f"${self.math(v.symbol)} \\ge {self.math(v.lo)}$ an integer")
            return Tex(f"${self.math(v.lo)} \\le {self.math(v.symbol)} \\le {self.math(v.hi)}$")
        if isinstance(v, Positive):
            return Tex(f"${self.math(v.symbol)} > 0$")
        if isinstance(v, NonNegative):
            return Tex(f"${self.math(v.symbol)} \\ge 0$")
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
        if isinstance(block, Derivation) and block.supplement and not self.full:
            marks = Tex("".join(STATUS_MARK[self.results[s.id].status] for s in block.steps
                                if self.results[s.id].status != DEFINITION))
            return {"kind": "supplement", "text": self.prose((block.supplement,)), "marks": marks,
                    "steps": len(block.steps)}
        if isinstance(block, Derivation):
            lines = self.assumption_lines(block)
            new = [line for line in lines if line not in self.shown_assumptions]
            # each assumption is printed once per part; later blocks refer to it
            referred = bool(self.shown_assumptions) and len(new) < len(lines)
            self.shown_assumptions.extend(new)
            return {"kind": "derivation", "steps": _merge_evaluations([self.step(s) for s in block.steps]),
                    "assumptions": new, "as_above": referred}
        if isinstance(block, Prose):
            return {"kind": "prose", "text": self.prose(block.parts), "argued": block.argued}
        if isinstance(block, Result):
            # A box is never stronger than the chain it restates (premises included).
            status = result_status(self.problems, block, self.results)
            lhs = block.lhs if block.lhs is not None else block.step.lhs
            return {"kind": "result", "lhs": self.math(lhs), "rel": Tex(RELATION_TEX[block.step.rel]),
                    "rhs": self.math(block.value if block.rhs is None else block.rhs),
                    "status": status, "mark": STATUS_MARK[status]}
        if isinstance(block, Listing):
            try:
                sources = block.sources()
            except ImportError as exc:  # the module is not there to read
                return {"kind": "prose", "text": escape(f"({block.caption}: the code cannot be shown, "
                                                        f"as it cannot be found here: {exc}.)"), "argued": False}
            # the caption says in words what the code does; module paths are for the source, not the reader
            return {"kind": "listing", "caption": self.prose((block.caption,)),
                    "code": listing_text("\n".join(code for _, code in sources))}
        if isinstance(block, Figure):
            return {"kind": "figure", "template": f"figures/{block.template}.tex.j2",
                    "caption": self.prose((block.caption,)) if isinstance(block.caption, str) else self.prose(block.caption),
                    "data": {key: figure_value(value) for key, value in block.data.items()}}
        if isinstance(block, Table):
            return {"kind": "table", "caption": self.prose((block.caption,)),
                    "header": [self.cell(h) for h in block.header],
                    "rows": [[self.cell(c) for c in row] for row in block.rows],
                    "align": Tex(block.align or "l" + "r" * (len(block.header) - 1)),
                    "note": self.prose((block.note,))}
        raise TypeError(f"no view for block {block!r}")

    def cell(self, value: Any) -> Tex:
        if isinstance(value, bool):
            return escape("yes" if value else "no")
        if isinstance(value, int):
            return Tex(f"{value:,}".replace(",", r"\,"))
        if isinstance(value, (sp.Basic, sp.MatrixBase)):
            return Tex(f"${self.math(value)}$")
        if isinstance(value, str):
            return prose_tex(value)
        return escape(value)

    def part(self, part) -> dict:
        self.shown_assumptions = []
        return {"label": escape(part.label), "title": escape(part.title),
                "blocks": _group_results([self.block(b) for b in part.blocks])}

    def problem(self, problem: Problem) -> dict:
        return {
            "number": problem.number,
            "title": escape(problem.title),
            "statement": self.prose(problem.statement),
            "parts": [self.part(p) for p in problem.parts],
        }


# A definition and its evaluation share one row when both sides together are this short (in
# characters of LaTeX, a rough measure of printed width).
MERGE_WIDTH = 110


def _merge_evaluations(rows: list[dict]) -> list[dict]:
    """``N := 64·55·55·3·11·11`` and ``= 70 276 800`` on one row, each with its own mark."""
    merged: list[dict] = []
    for row in rows:
        last = merged[-1] if merged else None
        if (last is not None and row["continued"] and last["status"] == DEFINITION and not last.get("merged")
                and not row["failure"]
                and not row["why"] and len(last["lhs"]) + len(last["rhs"]) + len(row["rhs"]) <= MERGE_WIDTH):
            last.update({
                "rhs": Tex(f"{last['rhs']} = {row['rhs']}"),
                "mark": Tex(f"{last['mark']}{row['mark']}"),
                "short_id": Tex(f"{last['short_id']}--{row['short_id'].rsplit('.', 1)[-1]}"),
                "merged": True,
            })
        else:
            merged.append(row)
    return merged


def _group_results(blocks: list[dict]) -> list[dict]:
    """Consecutive boxed results share one line (and break between boxes when they must)."""
    grouped: list[dict] = []
    for block in blocks:
        if block["kind"] == "result" and grouped and grouped[-1]["kind"] == "results":
            grouped[-1]["items"].append(block)
        elif block["kind"] == "result":
            grouped.append({"kind": "results", "items": [block]})
        else:
            grouped.append(block)
    return grouped


# Characters beyond ASCII that the code shown may contain, and how listings prints each one
# (pdflatex's listings reads bytes, so each multi-byte character needs a literate replacement).
LISTING_LITERATE: dict[str, str] = {
    "×": r"$\times$", "→": r"$\to$", "←": r"$\leftarrow$", "−": "-", "≥": r"$\ge$", "≤": r"$\le$",
    "≈": r"$\approx$", "√": r"$\surd$", "·": r"$\cdot$", "Σ": r"$\Sigma$", "σ": r"$\sigma$",
    "γ": r"$\gamma$", "β": r"$\beta$", "μ": r"$\mu$", "ε": r"$\varepsilon$", "ℓ": r"$\ell$",
    "²": r"$^2$", "’": "'", "…": "...", "—": "--", "–": "-",
}
LISTING_END = "\\end{lstlisting}"


def listing_code(functions: Sequence[Any]) -> Tex:
    """The source of each function, exactly as inspect.getsource reads it, for a verbatim block.

    Verbatim text is not escaped, so two things are refused instead: the closing line of the
    environment (it would end the listing early and let the rest through as TeX) and any
    character the listing cannot print (it would stop TeX).
    """
    return listing_text("\n".join(inspect.getsource(function) for function in functions))


def listing_text(code: str) -> Tex:
    """Source text for a verbatim block, refused if it could end the block or stop TeX."""
    code = code.rstrip("\n")
    if LISTING_END in code:
        raise ValueError("a listed function contains the end of a listing environment")
    unknown = sorted({ch for ch in code if ord(ch) > 126 and ch not in LISTING_LITERATE})
    if unknown or any(ord(ch) < 32 and ch not in "\n" for ch in code):
        raise ValueError(f"a listed function contains characters the listing cannot print: {unknown}")
    return Tex(code)


def figure_value(value: Any) -> Any:
    """Figure data for a template: numbers as plain decimals TeX reads, point lists as pgfplots
    coordinates, and anything else as escaped text."""
    if isinstance(value, bool):
        raise TypeError("figure data: a truth value is not a number")
    if isinstance(value, (int, float, sp.Integer, sp.Float, sp.Rational)):
        return _tex_number(float(value))
    if isinstance(value, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        return Tex(" ".join(f"({_tex_number(float(a))},{_tex_number(float(b))})" for a, b in value))
    if isinstance(value, (list, tuple)):
        return [figure_value(v) for v in value]
    if isinstance(value, dict):
        return {k: figure_value(v) for k, v in value.items()}
    return escape(value)


def _tex_number(value: float) -> Tex:
    if not math.isfinite(value):
        raise ValueError(f"figure data: {value!r} is not a finite number")
    return Tex(f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.6e}")


def supplements(problems: Sequence[Problem], results: Mapping[str, CheckResult],
                names: Mapping[sp.Symbol, str]) -> list[dict]:
    """The derivations the main text summarises in one line, in full, for the companion PDF."""
    viewer = Viewer(names, results, full=True, problems=problems)
    shown = []
    for problem in problems:
        for part in problem.parts:
            viewer.shown_assumptions = []
            for block in part.blocks:
                if isinstance(block, Derivation) and block.supplement:
                    shown.append({"where": escape(f"Problem {problem.number}({part.label})"),
                                  "summary": viewer.prose((block.supplement,)), "block": viewer.block(block)})
    return shown


def check_log(problems: Sequence[Problem], results: Mapping[str, CheckResult]) -> list[dict]:
    """Every step and every method that checked it, with its time and full detail (the residual
    of a failed or inconclusive check is never cut)."""
    steps = []
    for problem in problems:
        for step in problem.steps():
            result = results[step.id]
            steps.append({
                "id": escape(step.id),
                "rel": Tex(f"${RELATION_TEX[step.rel]}$"),
                "mark": STATUS_MARK[result.status],
                "status": escape(result.status),
                "methods": [{"method": escape(m.method), "outcome": escape(m.outcome),
                             "seconds": escape(f"{m.seconds:.3f}"), "detail": _breakable(escape(m.detail))}
                            for m in result.methods],
                "note": escape(_first_reason(result, step)),
            })
    return steps


_LONG_NUMBER = re.compile(r"[0-9.]{16,}")


def check_columns(problems: Sequence[Problem], results: Mapping[str, CheckResult]) -> dict[str, Tex]:
    """The widest entry of each narrow column of the check log (by characters), for TeX to
    measure: fixed column widths let longtable lay the log out in one pass, where natural widths
    made it ask for a second pass to settle them (a whole pdflatex run on every cold build)."""
    methods = [m for p in problems for s in p.steps() for m in results[s.id].methods]
    # The header's word is a candidate too: it heads the column on every page.
    return {"method": escape(max(["method", *(m.method for m in methods)], key=len)),
            "outcome": escape(max(["outcome", *(m.outcome for m in methods)], key=len)),
            "seconds": escape(max(["seconds", *(f"{m.seconds:.3f}" for m in methods)], key=len))}


def _breakable(text: Tex) -> Tex:
    """Allow line breaks inside the long digit strings of a residual: it is shown in full, and a
    40-digit number is wider than its column."""
    def split(match: re.Match) -> str:
        digits = match.group()
        return r"\allowbreak{}".join(digits[i:i + 12] for i in range(0, len(digits), 12))
    return Tex(_LONG_NUMBER.sub(split, text))


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
             names: Mapping[sp.Symbol, str], title: str, author: str,
             main_name: str = "hw7.pdf", checks_name: str = "hw7-checks.pdf") -> dict:
    viewer = Viewer(names, results, problems=problems)
    return {
        "main_name": escape(main_name),
        "checks_name": escape(checks_name),
        "literate": [(Tex(char), Tex(tex)) for char, tex in LISTING_LITERATE.items()],
        "title": escape(title),
        "author": escape(author),
        "problems": [viewer.problem(p) for p in problems],
        "check_log": check_log(problems, results),
        "check_columns": check_columns(problems, results),
        # What the companion says of the numeric search is read from the checker, never retyped.
        "numeric": {"digits": numeric.DIGITS, "tolerance_digits": numeric.TOLERANCE_DIGITS},
        "supplements": supplements(problems, results, names),
        "summary": {escape(k): v for k, v in summary(results).items()},
    }
