"""The whole flow in one place: select problems → check every step → render → TeX → files.

    problems = document.select(parts)
    results  = check_steps(steps of problems, cache)     # symbolic + numeric, cached by content
    tex      = render(problems, results)                 # Jinja2 templates, escaped text
    checks   = render_checks(problems, results)          # the companion: every check in full
                                                         # (both from one view: render_both)
    files    = NAME.tex, NAME-checks.tex, verification.json, NAME.pdf, NAME-checks.pdf
                                                         # published together (derive.publish)

The document comes from the caller (``derive.loading``); with none, the built-in one is loaded.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import sympy as sp

from derive import loading, publish, uptodate
from derive.measurer import Measurer
from derive.measurer import start as start_measurer
from derive.build import content_hash, typeset
from derive.build import allow as allow_tex
from derive.build import stop_all as stop_all_tex
from derive.core.notation import DISPLAY_NAMES
from derive.core.checks.result import FAILED, UNDECIDED, CheckResult
from derive.core.checks.runner import CHECKER_VERSION, CheckCache, check_steps
from derive.core import measurements
from derive.core.document import Document, Problem
from derive.core.step import Step
from derive.errors import CheckFailed, InputError, TexFailed, TexMissing
from derive.core.selection import parse_part_name
from derive.outlock import folder_lock
from derive.render import view
from derive.render.environment import environment

CHECKS_SUFFIX = "-checks"  # NAME.pdf's check log is NAME-checks.pdf

Progress = Callable[[Step, CheckResult], None]
#: Seconds per build phase, filled when a caller passes one (bench/build_speed.py does).
Timings = dict[str, float]


@contextmanager
def _phase(timings: Timings | None, name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


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
    # The command line's inputs: a build that succeeds records its fingerprint under them, so the
    # next identical `derive build` can answer "up to date" without SymPy (derive.uptodate).
    record: uptodate.Inputs | None = None


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
          document: Document | None = None, timings: Timings | None = None) -> Checked:
    measured_at = cache_path.parent / "measurements.json" if cache_path else None
    measurements.use_cache(measured_at)
    measured_before = measurements.seconds_measuring()
    measurer, frozen = None, False
    try:
        with _phase(timings, "problems"):
            document = document if document is not None else loading.load().document
            if measured_at is not None and measurements.nothing_measured_yet(measured_at):
                # A cold build: the measurer starts before the problems are built, while this
                # process builds them on one core and the other is idle (importing torch alone
                # takes it about 1.5 s). It measures every selected problem: one without figures
                # costs it a build, nothing else.
                measurer = start_measurer(document, parts, measured_at)
            problems, missing = _problems_from_cache(document, parts, measured_at)
        frozen = _keep_out_of_collections()
        # Figures not in the cache are measured in another process while the steps are checked.
        measurer = _measurer_for(missing, measurer, document, measured_at)
        steps = [s for p in problems for s in p.steps()]
        plan = getattr(progress, "plan", None)
        if plan is not None:  # a progress display that wants to know the work ahead (bars per problem)
            plan(problems)
        with _phase(timings, "checks"):
            cache = CheckCache(cache_path)
            results = check_steps(steps, cache, progress=progress)
            cache.save()
        if missing:
            with _phase(timings, "measurements"):
                if measurer is not None:
                    measurer.wait()
            with _phase(timings, "problems"):  # with every figure; one the measurer missed is measured here
                measurements.use_cache(measured_at)
                rebuilt = {p.number: p for p in document.select(_names(missing))}
                problems = [rebuilt.get(p.number, p) for p in problems]
            if _content(problems) != _content_of(steps):  # the figures changed a step: check what changed
                with _phase(timings, "checks"):
                    results = check_steps([s for p in problems for s in p.steps()], cache)
                    cache.save()
    finally:
        if measurer is not None:
            measurer.stop()
        if frozen:
            gc.unfreeze()
    if timings is not None:  # measuring done in this process happened while building problems
        measuring = measurements.seconds_measuring() - measured_before
        timings["measurements"] = timings.get("measurements", 0.0) + measuring
        timings["problems"] -= measuring
    return Checked(problems, results)


def _measurer_for(missing: dict[int, tuple[str, ...]], early: Measurer | None, document: Document,
                  measured_at: Path | None) -> Measurer | None:
    """The measurer the missing figures need: the one started early, else one that builds only
    the problems that missed a figure; none when nothing is missing (an early one is stopped,
    and the cache notes that this code measured nothing, so the next build starts none early)."""
    if missing:
        return early if early is not None else start_measurer(document, _names(missing), measured_at)
    if early is not None:
        early.stop()
        measurements.measured(measurements.NOTHING_TO_MEASURE, lambda: True)
    return None


def _keep_out_of_collections() -> bool:
    """Keep every object made so far out of this process's garbage collections while processes
    forked from it run (the measurer, the check workers), and say whether it did (not where a
    caller froze objects already: theirs to undo). Why: a collection writes to each object it
    visits, which copies every page a child shares with this process; a cold build's processes
    held about 60 MB less together (summed PSS, 460 → 400 MB)."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def _problems_from_cache(document: Document, parts: Sequence[str],
                         measured_at: Path | None) -> tuple[list[Problem], dict[int, tuple[str, ...]]]:
    """The problems built from cached figures only, and the selection of each one that missed a
    figure, by problem number (it shows "not measured" where the figure goes). Without a cache
    file, or for a problem that does not take a missing figure in its stride, a problem is built
    the ordinary way, measuring here."""
    if measured_at is None:
        return document.select(parts), {}
    problems, missing = [], {}
    for names in _by_problem(document, parts):
        with measurements.cached_only() as missed:
            try:
                (problem,) = document.select(names)
            except Exception:  # noqa: BLE001 - built again below, where a real error is raised as usual
                if not missed.any:
                    raise
                problem = None
        if problem is None:
            (problem,) = document.select(names)
        elif missed.any:
            missing[problem.number] = names
        problems.append(problem)
    return problems, missing


def _by_problem(document: Document, parts: Sequence[str]) -> list[tuple[str, ...]]:
    """The selection ``parts`` split into one selection per problem, in the order ``select``
    returns the problems; a name of no problem is refused first, as ``select`` refuses it."""
    if not parts:
        return [(str(number),) for number in document.numbers]
    groups: dict[int, list[str]] = {}
    for name in parts:
        number, _ = parse_part_name(name)
        if number not in document.numbers:
            document.select([name])  # raises its InputError, before any problem is built
        groups.setdefault(number, []).append(name)
    return [tuple(groups[number]) for number in sorted(groups)]


def _names(selections: dict[int, tuple[str, ...]]) -> list[str]:
    return [name for names in selections.values() for name in names]


def _content_of(steps: Sequence[Step]) -> dict[str, str]:
    return {s.id: s.content_hash(CHECKER_VERSION) for s in steps}


def _content(problems: Sequence[Problem]) -> dict[str, str]:
    return _content_of([s for p in problems for s in p.steps()])


def first_failure(checked: Checked) -> CheckFailed | None:
    for step in checked.steps():
        result = checked.results[step.id]
        if result.status == FAILED:
            claim = f"{sp.sstr(step.lhs)} {step.rel} {sp.sstr(step.rhs)}"
            return CheckFailed(f"step {step.id} failed: {claim[:200]} — {result.message}")
    for step in checked.steps():
        result = checked.results[step.id]
        if result.status == UNDECIDED:  # no verdict is not a pass: it may never be shown as ✓ or ≈
            return CheckFailed(f"step {step.id} is undecided: its check timed out ({result.message}); "
                               "no counterexample was found — rerun on a less loaded machine or with "
                               "DERIVE_TIME_SCALE=4")
    return None


def render(checked: Checked, title: str, author: str, name: str = "hw7") -> str:
    """The model solution's .tex."""
    return render_both(checked, title, author, name)[0]


def render_checks(checked: Checked, title: str, author: str, name: str = "hw7") -> str:
    """The companion .tex: every step's methods, times and residuals, in full."""
    return render_both(checked, title, author, name)[1]


def render_both(checked: Checked, title: str, author: str, name: str = "hw7") -> tuple[str, str]:
    """The model solution's .tex and its companion's, from one view of the document (the view
    is most of the rendering time, and both templates read the same one)."""
    context = view.document(checked.problems, checked.results, DISPLAY_NAMES, title, author or "",
                            main_name=f"{name}.pdf", checks_name=f"{name}{CHECKS_SUFFIX}.pdf")
    templates = environment()
    return (templates.get_template("document.tex.j2").render(**context),
            templates.get_template("checks.tex.j2").render(**context))


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


def preflight(out: Path) -> None:
    """Before any check runs: the output folder and its cache can be written. One line if not."""
    shown = str(out)[:200]
    parent = out.absolute().parent
    if not out.exists() and not parent.is_dir():
        raise InputError(f"cannot write to {shown}: its parent folder {str(parent)[:200]} does not exist; "
                         "create it or choose another folder with --out")
    if out.exists() and not out.is_dir():
        raise InputError(f"cannot write to {shown}: it is a file, not a folder; choose another folder with --out")
    cache = out / ".cache"
    if cache.exists() and not cache.is_dir():
        raise InputError(f"cannot use {str(cache)[:200]}: it is a file, not a folder; move it away")
    for folder in (out, cache):
        if folder.exists() and not writable(folder):
            raise InputError(f"cannot write to {str(folder)[:200]}: permission denied; "
                             "fix its permissions or choose another folder with --out")


def writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried, not guessed: root ignores mode bits)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def output_name(options: BuildOptions) -> str:
    """NAME for the whole document; a partial build is named apart (hw7-p1, hw7-p1a-p2) so that it
    never replaces the whole document's PDF."""
    if not options.parts:
        return options.name
    labels = sorted({f"p{n}{label or ''}" for n, label in map(parse_part_name, options.parts)})
    suffix = "-".join(labels)
    if len(suffix) > 40:
        suffix = suffix[:30] + "-" + content_hash(suffix)[:8]
    return f"{options.name}-{suffix}"


def build(options: BuildOptions, progress: Progress | None = None,
          on_tex: Callable[[], None] | None = None, timings: Timings | None = None) -> BuildReport:
    out = options.out_dir
    name = output_name(options)
    preflight(out)
    out.mkdir(exist_ok=True)
    with folder_lock(out):
        publish.remove_stale_staging(out)
        return _build_locked(options, name, progress, on_tex, timings)


def _build_locked(options: BuildOptions, name: str, progress: Progress | None,
                  on_tex: Callable[[], None] | None, timings: Timings | None = None) -> BuildReport:
    out = options.out_dir
    document = options.document if options.document is not None else loading.load().document
    checked = check(options.parts, out / ".cache" / "checks.json", progress, document, timings)
    failure = first_failure(checked)
    undecided = any(r.status == UNDECIDED for r in checked.results.values())
    if failure is not None and (not options.keep_going or undecided):
        raise failure  # the previous outputs stay as they were (an undecided step has no mark to show)
    title = options.title if options.title is not None else document.title
    author = options.author if options.author is not None else document.author
    with _phase(timings, "render"):
        tex, checks_tex = render_both(checked, title, author, name)
    with _phase(timings, "tex"):
        report = _write(options, name, checked, tex, checks_tex, on_tex)
    if failure is not None:
        raise failure  # --keep-going: the PDF shows the failures, the exit code still says so
    if options.record is not None:  # still under the folder's lock: the hashes are of our files
        _record(options, name, report)
    return report


def _record(options: BuildOptions, name: str, report: BuildReport) -> None:
    out = options.out_dir
    names = [report.tex_path.name, report.json_path.name, f"{name}{CHECKS_SUFFIX}.tex"]
    if report.pdf_path is not None:
        names += [report.pdf_path.name, f"{name}{CHECKS_SUFFIX}.pdf"]
    manifest = publish.read_manifest(out)
    outputs = {n: manifest.get(n, {}).get("sha256") for n in names}
    paths = {"tex": report.tex_path.name, "json": report.json_path.name,
             "pdf": report.pdf_path.name if report.pdf_path else None}
    uptodate.save(out, options.record, outputs, view.summary(report.checked.results), paths)


def json_name(name: str) -> str:
    """The verification file beside NAME.pdf; the built-in document keeps its historical name."""
    return "verification.json" if name == "hw7" else f"{name}.verification.json"


def _typeset_both(tex: str, name: str, checks_tex: str, checks_name: str, scratch: Path) -> tuple[bytes, bytes]:
    """Both PDFs at once, each in its own thread: TeX is one process per document, so on two cores
    this takes the longer of the two instead of their sum. If either fails or the build is
    interrupted, the other's TeX is killed rather than waited for.

    The main thread only waits: Python runs signal handlers there, and a SIGTERM handled while
    that thread was starting TeX (inside fork's handlers) was lost and left a lock held."""
    from concurrent.futures import ThreadPoolExecutor

    allow_tex()
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="derive-tex") as pool:
            solution = pool.submit(typeset, tex, name, scratch)
            companion = pool.submit(typeset, checks_tex, checks_name, scratch)
            try:
                return solution.result(), companion.result()
            except BaseException:
                stop_all_tex()
                raise
    finally:  # both threads have ended here: TeX may run again in this process
        allow_tex()


def _write(options: BuildOptions, name: str, checked: Checked, tex: str, checks_tex: str,
           on_tex: Callable[[], None] | None) -> BuildReport:
    out = options.out_dir
    checks_name = f"{name}{CHECKS_SUFFIX}"
    tex_path, pdf_path, json_path = out / f"{name}.tex", out / f"{name}.pdf", out / json_name(name)
    checks_pdf = out / f"{checks_name}.pdf"
    files = {json_path.name: (json.dumps(verification_json(checked), indent=2) + "\n").encode(),
             tex_path.name: tex.encode(), f"{checks_name}.tex": checks_tex.encode()}
    if options.tex_only:
        publish.publish(out, files)
        return BuildReport(checked, tex_path, json_path, None)
    source = tex + checks_tex  # both PDFs are made from the pair, and published as one set
    if publish.pdf_is_current(out, pdf_path.name, source) and publish.pdf_is_current(out, checks_pdf.name, source):
        publish.publish(out, files)
        return BuildReport(checked, tex_path, json_path, pdf_path, tex_skipped=True)
    if on_tex:
        on_tex()
    try:
        with publish.scratch_folder(out) as scratch:
            pdf, checks = _typeset_both(tex, name, checks_tex, checks_name, scratch)
    except (TexFailed, TexMissing):
        publish.publish(out, files)  # documented: the .tex and JSON are still written (exit 3)
        raise
    publish.publish(out, {pdf_path.name: pdf, checks_pdf.name: checks, **files}, tex_source=source)
    return BuildReport(checked, tex_path, json_path, pdf_path)
