"""The whole flow in one place: select content → check every step → render → TeX → files.

    problems = registry.select(parts)
    results  = check_steps(steps of problems, cache)     # symbolic + numeric, cached by content
    tex      = render(problems, results)                 # Jinja2 templates, escaped text
    files    = hw7.tex, verification.json, hw7.pdf       # each replaced atomically
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import sympy as sp

from derive.build import compile_pdf, content_hash, write_atomically
from derive.content import registry
from derive.content.notation import DISPLAY_NAMES
from derive.core.checks.result import FAILED, CheckResult
from derive.core.checks.runner import CheckCache, check_steps
from derive.core import measurements
from derive.core.document import Problem
from derive.core.step import Step
from derive.errors import CheckFailed
from derive.render import view
from derive.render.environment import environment

DEFAULT_TITLE = "Homework 7: Mathematical Foundations of Deep Neural Networks"
DEFAULT_AUTHOR = "Derived and checked by derive"

CHECKS_SUFFIX = "-checks"  # hw7.pdf's check log is hw7-checks.pdf

Progress = Callable[[Step, CheckResult], None]


@dataclass(frozen=True)
class BuildOptions:
    parts: tuple[str, ...] = ()
    out_dir: Path = Path("output")
    title: str = DEFAULT_TITLE
    author: str = DEFAULT_AUTHOR
    tex_only: bool = False
    name: str = "hw7"


@dataclass(frozen=True)
class Checked:
    problems: list[Problem]
    results: dict[str, CheckResult]

    def steps(self) -> list[Step]:
        return [s for p in self.problems for s in p.steps()]


@dataclass(frozen=True)
class BuildReport:
    checked: Checked
    tex_path: Path
    json_path: Path
    pdf_path: Path | None
    tex_skipped: bool = False


def check(parts: Sequence[str] = (), cache_path: Path | None = None, progress: Progress | None = None) -> Checked:
    measurements.use_cache(cache_path.parent / "measurements.json" if cache_path else None)
    problems = registry.select(parts)
    steps = [s for p in problems for s in p.steps()]
    cache = CheckCache(cache_path)
    results = check_steps(steps, cache, progress=progress)
    cache.save()
    return Checked(problems, results)


def first_failure(checked: Checked) -> CheckFailed | None:
    for step in checked.steps():
        result = checked.results[step.id]
        if result.status == FAILED:
            claim = f"{sp.sstr(step.lhs)} {step.rel} {sp.sstr(step.rhs)}"
            return CheckFailed(f"step {step.id} failed: {claim[:200]} — {result.message}")
    return None


def render(checked: Checked, title: str, author: str, name: str = "hw7") -> str:
    """The model solution's .tex."""
    return _render("document.tex.j2", checked, title, author, name)


def render_checks(checked: Checked, title: str, author: str, name: str = "hw7") -> str:
    """The companion .tex: every step's methods, times and residuals, in full."""
    return _render("checks.tex.j2", checked, title, author, name)


def _render(template: str, checked: Checked, title: str, author: str, name: str) -> str:
    context = view.document(checked.problems, checked.results, DISPLAY_NAMES, title, author,
                            main_name=f"{name}.pdf", checks_name=f"{name}{CHECKS_SUFFIX}.pdf")
    return environment().get_template(template).render(**context)


def verification_json(checked: Checked) -> dict:
    steps = []
    for problem in checked.problems:
        for part in problem.parts:
            for step in part.steps():
                result = checked.results[step.id]
                steps.append({
                    "id": step.id, "problem": problem.number, "part": part.label, "relation": step.rel,
                    "status": result.status, "cached": result.cached, "message": result.message,
                    "methods": [{"method": m.method, "outcome": m.outcome, "seconds": round(m.seconds, 4),
                                 "detail": m.detail} for m in result.methods],
                })
    return {"steps": steps, "summary": view.summary(checked.results)}


def build(options: BuildOptions, progress: Progress | None = None,
          on_tex: Callable[[], None] | None = None) -> BuildReport:
    out = options.out_dir
    checked = check(options.parts, out / ".cache" / "checks.json", progress)
    failure = first_failure(checked)
    if failure is not None:
        raise failure  # the previous outputs stay as they were
    tex = render(checked, options.title, options.author, options.name)
    checks_tex = render_checks(checked, options.title, options.author, options.name)
    checks_name = f"{options.name}{CHECKS_SUFFIX}"
    tex_path, pdf_path = out / f"{options.name}.tex", out / f"{options.name}.pdf"
    json_path = out / "verification.json"
    write_atomically(json_path, json.dumps(verification_json(checked), indent=2) + "\n")
    write_atomically(tex_path, tex)
    write_atomically(out / f"{checks_name}.tex", checks_tex)
    if options.tex_only:
        return BuildReport(checked, tex_path, json_path, None)
    state = out / ".cache" / "pdf-source.sha256"
    digest = content_hash(tex + checks_tex)
    checks_pdf = out / f"{checks_name}.pdf"
    if pdf_path.is_file() and checks_pdf.is_file() and state.is_file() and state.read_text().strip() == digest:
        return BuildReport(checked, tex_path, json_path, pdf_path, tex_skipped=True)
    if on_tex:
        on_tex()
    compile_pdf(tex, pdf_path, options.name)
    compile_pdf(checks_tex, checks_pdf, checks_name)
    write_atomically(state, digest + "\n")
    return BuildReport(checked, tex_path, json_path, pdf_path)
