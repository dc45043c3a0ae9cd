"""The whole flow in one place: select problems → check every step → render → TeX → files.

    problems = document.select(parts)
    results  = check_steps(steps of problems, cache)     # symbolic + numeric, cached by content
    tex      = render(problems, results)                 # Jinja2 templates, escaped text
    files    = NAME.tex, verification.json, NAME.pdf     # each replaced atomically

The document comes from the caller (``derive.loading``); with none, the built-in one is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import sympy as sp

from derive.build import compile_pdf, content_hash, write_atomically
from derive import loading
from derive.core.notation import DISPLAY_NAMES
from derive.core.checks.result import FAILED, CheckResult
from derive.core.checks.runner import CheckCache, check_steps
from derive.core import measurements
from derive.core.document import Document, Problem
from derive.core.step import Step
from derive.errors import CheckFailed
from derive.render import view
from derive.render.environment import environment

Progress = Callable[[Step, CheckResult], None]


@dataclass(frozen=True)
class BuildOptions:
    parts: tuple[str, ...] = ()
    out_dir: Path = Path("output")
    title: str | None = None  # None: the document's own
    author: str | None = None
    tex_only: bool = False
    name: str = "hw7"
    document: Document | None = None  # None: the built-in document
    keep_going: bool = False  # render failed steps (marked ×) instead of stopping; still exit 1


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


def check(parts: Sequence[str] = (), cache_path: Path | None = None, progress: Progress | None = None,
          document: Document | None = None) -> Checked:
    measurements.use_cache(cache_path.parent / "measurements.json" if cache_path else None)
    document = document if document is not None else loading.load().document
    problems = document.select(parts)
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


def render(checked: Checked, title: str, author: str) -> str:
    context = view.document(checked.problems, checked.results, DISPLAY_NAMES, title, author or "")
    return environment().get_template("document.tex.j2").render(**context)


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
    document = options.document if options.document is not None else loading.load().document
    checked = check(options.parts, out / ".cache" / "checks.json", progress, document)
    failure = first_failure(checked)
    if failure is not None and not options.keep_going:
        raise failure  # the previous outputs stay as they were
    title = options.title if options.title is not None else document.title
    author = options.author if options.author is not None else document.author
    report = _write(options, checked, render(checked, title, author), on_tex)
    if failure is not None:
        raise failure  # --keep-going: the PDF shows the failures, the exit code still says so
    return report


def json_name(name: str) -> str:
    """The verification file beside NAME.pdf; the built-in document keeps its historical name."""
    return "verification.json" if name == "hw7" else f"{name}.verification.json"


def _write(options: BuildOptions, checked: Checked, tex: str, on_tex: Callable[[], None] | None) -> BuildReport:
    out = options.out_dir
    tex_path, pdf_path = out / f"{options.name}.tex", out / f"{options.name}.pdf"
    json_path = out / json_name(options.name)
    write_atomically(json_path, json.dumps(verification_json(checked), indent=2) + "\n")
    write_atomically(tex_path, tex)
    if options.tex_only:
        return BuildReport(checked, tex_path, json_path, None)
    state = out / ".cache" / f"{options.name}.pdf-source.sha256"
    digest = content_hash(tex)
    if pdf_path.is_file() and state.is_file() and state.read_text().strip() == digest:
        return BuildReport(checked, tex_path, json_path, pdf_path, tex_skipped=True)
    if on_tex:
        on_tex()
    compile_pdf(tex, pdf_path, options.name)
    write_atomically(state, digest + "\n")
    return BuildReport(checked, tex_path, json_path, pdf_path)
