"""Check every step: symbolic, numeric, rules; cache by content; run in parallel with limits."""

from __future__ import annotations

import importlib
import json
import os
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import sympy as sp

from derive.core import functions
from derive.core.assumptions import Positive, Real
from derive.core.checks import matrices, names, numeric, overclaim, ranges, rules, slack, sums, symbolic, timelimit
from derive.core.checks.prepare import declared_view, expand_definitions
from derive.core.checks.result import (DEFINITION, FAILED, NUMERIC_ONLY, STATUSES, UNDECIDED, VERIFIED, CheckResult,
                                       MethodResult, combine, weakest)
from derive.core.step import Step

def _checker_version() -> str:
    """A cached verdict is reused only by the checker that gave it: the key holds a hash of the
    engine's own source (derive/core, whose every module can change what a check decides) and the
    versions of SymPy and mpmath. A number bumped by hand was forgotten once, and an old checker's
    false ✓ outlived its fix in every cache."""
    import hashlib
    import mpmath

    digest = hashlib.sha256(f"derive-checks-7 sympy {sp.__version__} mpmath {mpmath.__version__}".encode())
    core = Path(__file__).resolve().parents[1]
    for source in sorted(core.rglob("*.py")):
        digest.update(str(source.relative_to(core)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


CHECKER_VERSION = _checker_version()
# An undecided step is tried once more, alone, with limits this many times longer.
RETRY_SCALE = 4.0


def check_step(step: Step) -> CheckResult:
    """Check one step on its own (premises of rules are settled by ``check_steps``)."""
    if step.is_definition:
        return CheckResult(step.id, DEFINITION)
    misnamed = names.naming_problem([step.lhs, step.rhs, *(step.display or ()),
                                     *(part for pair in step.definitions for part in pair)])
    if misnamed:  # a name the checker also makes would be captured by it (derive.core.checks.names)
        return CheckResult(step.id, FAILED, (MethodResult("names", "failed", 0.0, misnamed),), misnamed)
    expand = lambda e: expand_definitions(e, step.definitions)  # noqa: E731
    lhs, rhs = expand(step.lhs), expand(step.rhs)
    if matrices.has_matrices(lhs) or matrices.has_matrices(rhs):
        lhs, rhs = matrices.explicit_pair(lhs, rhs)  # checked entry by entry
    # SymPy learns the declared facts and nothing else (not the sampling ranges, not the
    # assumptions the symbols happen to be created with).
    declared = declared_view(step.assumptions)
    # The declared facts that tell whether a sum runs forwards (Karr's convention, ranges.py).
    facts = ranges.declared_facts(step.assumptions, declared.mapping)
    methods: list[MethodResult] = []
    if step.rule is not None:
        # That the bounds hold is checked by the premise steps the rule names (_settle_premises).
        methods.append(rules.check_squeeze(lhs, rhs, step.rule, expand, step.assumptions, declared))
    elif step.rel == "=":
        methods.extend(_prove_equal(lhs, rhs, step.assumptions, declared, facts))
    else:
        methods.extend(_prove_order(lhs, step.rel, rhs, step.assumptions, declared, facts))
    methods.append(functions.numeric_with_stand_ins(_numeric_check, step.id, lhs, step.rel, rhs, step.assumptions))
    methods.extend(_check_display(step, lhs, rhs, expand, declared, facts))
    overclaims = overclaim.free_overclaims(step.assumptions) + overclaim.bound_overclaims(
        [lhs, rhs, *(step.display or ())], step.assumptions)
    if overclaims:  # a proof from assumptions the PDF does not show proves nothing it shows
        methods = [_distrusted(m, overclaims[0]) for m in methods]
    result = combine(step.id, methods)
    if result.status == VERIFIED and any(m.method == "display" and m.outcome == "inconclusive" for m in methods):
        return CheckResult(step.id, NUMERIC_ONLY, result.methods, "display: the shown form is equal only numerically")
    return result


def _prove_equal(lhs, rhs, assumptions, declared, facts=None) -> list[MethodResult]:
    """Prove lhs = rhs: the sum technique first where both sides hold sums (it decides an index
    shift or an Iverson bracket in milliseconds, where SymPy's summation of bracketed sums takes
    seconds and usually gives up), SymPy's reductions otherwise or when it cannot decide."""
    early = None
    if sums.worth_trying_first(lhs, rhs):
        early = sums.prove_equal(lhs, rhs, assumptions)
        # The same invariant as the symbolic check: no free symbol the step does not declare.
        if early.outcome == "proved":
            if symbolic.undeclared(declared.apply(lhs), declared.apply(rhs), declared) is None:
                return [early]
            early = MethodResult("sums", "inconclusive", early.seconds,
                                 "not used: the step has a free symbol it does not declare")
    # An early attempt that did not prove the step stays listed (its time was spent), after the
    # symbolic check, as before.
    methods = [symbolic.check_equal(lhs, rhs, declared, symbolic.SYMBOLIC_SECONDS * timelimit.scale(), facts)]
    if early is not None:
        methods.append(early)
    elif methods[-1].outcome in ("inconclusive", "timeout"):  # try index shifts and Iverson sums
        methods.append(sums.prove_equal(lhs, rhs, assumptions))
    return methods


def _prove_order(lhs, rel: str, rhs, assumptions, declared, facts=None) -> list[MethodResult]:
    """Prove an inequality: the sign of the evaluated gap, then the declared order constraints
    (slack), and only then the sign of the simplified gap (simplify is the slow part, and slack
    settles the steps it cannot)."""
    seconds = symbolic.SYMBOLIC_SECONDS * timelimit.scale()
    quick = symbolic.check_order(lhs, rel, rhs, declared, seconds, thorough=False, facts=facts)
    if quick.outcome not in ("inconclusive", "timeout"):
        return [quick]
    by_slack = slack.prove_order(lhs, rel, rhs, assumptions)
    if by_slack.outcome == "proved":
        return [quick, by_slack]
    return [symbolic.check_order(lhs, rel, rhs, declared, seconds, facts=facts), by_slack]


def _distrusted(method: MethodResult, why: str) -> MethodResult:
    """A proof (or a display proved equal) demoted to inconclusive, saying why."""
    if method.outcome == "proved" or (method.method == "display" and method.outcome == "passed"):
        return MethodResult(method.method, "inconclusive", method.seconds, f"not a proof of what is shown: {why}")
    return method


def _numeric_check(*args: Any, **options: Any) -> MethodResult:
    """The numeric check with its limit scaled like every other (a retry gets a longer one)."""
    return numeric.check(*args, seconds=numeric.NUMERIC_SECONDS * timelimit.scale(), **options)


def _check_display(step: Step, lhs, rhs, expand, declared, facts=None) -> list[MethodResult]:
    """A shown form (display=) must equal the checked one, so the PDF never shows an unchecked claim."""
    if step.display is None:
        return []
    shown = [(s, c) for s, c in zip(step.display, (lhs, rhs)) if s is not None]
    methods = []
    for form, checked in shown:
        form = expand(form)
        if matrices.has_matrices(form):
            form = matrices.explicit(form)
        proof = symbolic.check_equal(form, checked, declared,
                                      symbolic.SYMBOLIC_SECONDS * timelimit.scale(), facts)
        sample = functions.numeric_with_stand_ins(_numeric_check, step.id + "/display", form, "=", checked,
                                                  step.assumptions)
        method = "display"
        if proof.outcome == "failed" or sample.outcome == "failed":
            methods.append(MethodResult(method, "failed", proof.seconds + sample.seconds,
                                        f"the shown form differs from the checked one: {proof.detail or sample.detail}"))
        elif proof.outcome == "proved":
            # "passed", not "proved": a proof about the shown form must never stand in for a
            # proof of the step itself when combine() weighs the methods.
            methods.append(MethodResult(method, "passed", proof.seconds + sample.seconds, "the shown form is proved equal to the checked one"))
        else:
            # Not proved equal to what is checked: the step can be no better than numeric-only.
            methods.append(MethodResult(method, "inconclusive", proof.seconds + sample.seconds,
                                        "the shown form agrees with the checked one only numerically"))
    return methods


class CheckCache:
    """Results keyed by a hash of each step's content, kept in one JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict] = {}
        # Seconds each step id took when last checked (whatever its content then): only the order
        # in which steps are started depends on it, never a result, so it lives in its own file.
        self.seconds: dict[str, float] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError, RecursionError):
                loaded = {}  # a damaged cache costs time, never correctness
            # Valid JSON of the wrong shape ([], null, "x", string entries) is damage too.
            if isinstance(loaded, dict):
                self.entries = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, dict)}
        seconds_path = self._seconds_path()
        if seconds_path is not None and seconds_path.is_file():
            try:
                loaded = json.loads(seconds_path.read_text())
                self.seconds = {k: float(v) for k, v in loaded.items() if isinstance(v, (int, float))}
            except (OSError, ValueError, AttributeError, RecursionError):
                self.seconds = {}

    def _seconds_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.stem + ".seconds.json")

    def get(self, step: Step) -> CheckResult | None:
        if not self.entries:  # an empty cache (a cold build): no hash to work out before the workers start
            return None
        data = self.entries.get(step.content_hash(CHECKER_VERSION))
        if data is None:
            return None
        try:
            result = CheckResult.from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # an entry of the wrong shape is checked again, never trusted
        if result.status not in STATUSES or result.status in (FAILED, UNDECIDED):
            return None
        return CheckResult(result.step_id, result.status, result.methods, result.message, cached=True)

    def put(self, step: Step, result: CheckResult) -> None:
        self.seconds[step.id] = round(sum(m.seconds for m in result.methods), 3)
        if result.status not in (FAILED, UNDECIDED):  # a failure or a timeout is always checked again
            self.entries[step.content_hash(CHECKER_VERSION)] = result.to_json()

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.entries, indent=0, sort_keys=True))
            os.replace(temporary, self.path)
            seconds_path = self._seconds_path()
            temporary = seconds_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.seconds, indent=0, sort_keys=True))
            os.replace(temporary, seconds_path)
        except OSError:
            pass  # an unwritable cache makes the next run slower, never this one wrong


_PENDING: Sequence[Step] = ()


def _check_pending(index: int) -> CheckResult:
    return check_step(_PENDING[index])


def step_seconds() -> float:
    """The hard limit (CPU time) of one step's check: a backstop for work the methods' own soft
    limits cannot interrupt, so it allows every method its limit several times over (numeric
    checks run once per stand-in function and again for a displayed form)."""
    methods = (symbolic.SYMBOLIC_SECONDS + sums.SUMS_SECONDS + slack.SLACK_SECONDS + rules.RULE_SECONDS
               + numeric.NUMERIC_SECONDS)
    return 4 * methods * timelimit.scale()


def _timed_out(step: Step, seconds: float, used: float) -> CheckResult:
    detail = f"the check did not finish within its {seconds:.0f} s limit (used {used:.1f} s of CPU time)"
    return combine(step.id, [MethodResult("limit", "timeout", used, detail)])


# How far down the waiting list a worker looks for a step of a derivation it has already
# checked. Small, so the longest steps still start first and no core idles at the end.
AFFINITY_WINDOW = 6


def _next_for(worker: timelimit.Worker, waiting: list[int], todo: Sequence[Step], seen: dict[int, set]) -> int:
    """Take the worker's next step from ``waiting``: among the next few, the first one under
    assumptions the worker has already checked a step under (its caches hold that derivation's
    declared view, compiled constraints and SymPy results: two workers sharing every derivation
    paid for them twice, about a fifth of the check phase's CPU), else simply the next one."""
    mine = seen.setdefault(id(worker), set())
    position = next((k for k, index in enumerate(waiting[:AFFINITY_WINDOW])
                     if _affinity_key(todo[index]) in mine), 0)
    index = waiting.pop(position)
    mine.add(_affinity_key(todo[index]))
    return index


def _affinity_key(step: Step) -> int:
    # The steps of one derivation share one Assumptions object.
    return id(step.assumptions)


def _run_limited(todo: Sequence[Step], jobs: int,
                 report: Callable[[Step, CheckResult], None], order: Sequence[int] | None = None) -> None:
    """Check the steps in ``jobs`` worker processes, each step killed at its deadline.

    A killed step is undecided (a timeout, never a counterexample) and its worker is replaced.
    Workers die with this process, and any still running when this function leaves (an error,
    Ctrl-C, SIGTERM) are killed here. Steps start in ``order`` (indexes of ``todo``; default:
    as given).
    """
    global _PENDING
    forked = timelimit._context().get_start_method() == "fork"
    if forked and todo:
        # simplify() imports sympy.physics.units on its first call (about 1 s): once here, not
        # once in every worker.
        importlib.import_module("sympy.physics.units")
    _PENDING = todo  # fork: workers inherit the steps, no pickling of SymPy trees
    waiting = list(order) if order is not None else list(range(len(todo)))
    workers: list[timelimit.Worker] = []
    seen: dict[int, set] = {}  # per worker (by id): the assumption sets of the steps it has checked
    try:
        while waiting or any(w.busy for w in workers):
            for worker in workers:
                if waiting and not worker.busy:
                    index = _next_for(worker, waiting, todo, seen)
                    worker.submit(index, (index,) if forked else (todo[index],), step_seconds())
            while waiting and len(workers) < jobs:
                worker = timelimit.Worker(_check_pending if forked else check_step)
                workers.append(worker)
                index = _next_for(worker, waiting, todo, seen)
                worker.submit(index, (index,) if forked else (todo[index],), step_seconds())
            busy = [w for w in workers if w.busy]
            wait([w.connection for w in busy], timeout=0.5)  # wake to look at the CPU time used
            for worker in busy:
                index = worker.task
                if worker.ready():
                    try:
                        result = worker.take()
                    except RuntimeError as exc:  # the worker died: no verdict on this step
                        result = combine(todo[index].id, [MethodResult("limit", "timeout", worker.seconds, str(exc))])
                elif worker.expired():
                    used = worker.used()
                    worker.kill()
                    result = _timed_out(todo[index], worker.seconds, used)
                else:
                    continue
                report(todo[index], result)
            workers = [w for w in workers if w.process.is_alive()]
    finally:
        for worker in workers:
            worker.stop()
        _PENDING = ()


def check_steps(steps: Sequence[Step], cache: CheckCache | None = None, jobs: int | None = None,
                progress: Callable[[Step, CheckResult], None] | None = None) -> dict[str, CheckResult]:
    """Check all steps, reusing cached results; then settle the premises of rule steps."""
    cache = cache or CheckCache(None)
    results: dict[str, CheckResult] = {}
    # A rule step's status is final only once its premises are settled: report it then.
    final_progress = progress
    progress = (lambda step, result: final_progress(step, result) if step.rule is None else None) if progress else None
    todo = []
    for step in steps:
        hit = cache.get(step)
        if hit is not None:
            results[step.id] = hit
            if progress:
                progress(step, hit)
        elif step.is_definition:  # claims nothing: no worker round trip for it
            results[step.id] = check_step(step)
            cache.put(step, results[step.id])
            if progress:
                progress(step, results[step.id])
        else:
            todo.append(step)
    jobs = jobs or min(len(todo), os.cpu_count() or 1) or 1

    def report(step: Step, result: CheckResult) -> None:
        results[step.id] = result
        if progress and result.status != UNDECIDED:
            progress(step, result)

    _run_limited(todo, jobs, report, start_order(todo, cache.seconds))
    retry = [s for s in todo if results[s.id].status == UNDECIDED]
    if retry:
        # Out of time is not a verdict: a loaded or slow machine gets a second, longer try, alone.
        previous = timelimit.scale()
        timelimit.set_scale(previous * RETRY_SCALE)
        try:
            _run_limited(retry, 1, report)
        finally:
            timelimit.set_scale(previous)
        for step in retry:
            if results[step.id].status == UNDECIDED and progress:
                progress(step, results[step.id])
    # Cached before premises are settled: a premise's status is applied afresh on every run.
    for step in todo:
        cache.put(step, results[step.id])
    _settle_premises(steps, results)
    if final_progress:
        for step in steps:
            if step.rule is not None:
                final_progress(step, results[step.id])
    return results


def start_order(todo: Sequence[Step], seconds: dict[str, float]) -> list[int]:
    """Indexes of ``todo``, the longest steps first, so no core idles at the end.

    A step timed in the last run counts by its seconds. A step never timed (new, or a cold
    build) counts as long: better started early than last; among such steps the ones that
    ``static_cost`` rates costlier start first. Ties keep document order.
    """
    def key(i: int) -> tuple:
        known = seconds.get(todo[i].id)
        return (0, -static_cost(todo[i])) if known is None else (1, -known)

    return sorted(range(len(todo)), key=key)


# Rough relative costs, from profiles of Homework 7: an inequality is sampled twice as often and
# searched, a sum or a limit is evaluated term by term and tried by SymPy's summation.
_COSTLY = ((sp.Sum, 2), (sp.Product, 2), (sp.Limit, 3), (sp.Derivative, 1), (sp.Piecewise, 1))


def static_cost(step: Step) -> int:
    """A cost estimate of a step's check from its shape alone (for a cold start's order)."""
    if step.is_definition:
        return 0
    meanings = dict(step.definitions)
    exprs = [e for e in (step.lhs, step.rhs, *(step.display or ())) if isinstance(e, sp.Basic)]
    # One level of definitions: a name that stands for a sum costs what the sum costs.
    exprs += [meanings[s] for e in exprs for s in e.free_symbols if s in meanings and isinstance(meanings[s], sp.Basic)]
    cost = 1 + (4 if step.rel != "=" else 0) + (1 if step.rule is not None else 0)
    for expr in exprs:
        cost += sum(weight * len(expr.atoms(kind)) for kind, weight in _COSTLY)
    return cost


def _settle_premises(steps: Iterable[Step], results: dict[str, CheckResult]) -> None:
    """A rule step fails when a premise it names is missing, different or failed, and is never
    stronger than its premises: over a numeric-only premise it is numeric-only."""
    by_id = {s.id: s for s in steps}
    for step in by_id.values():
        if step.rule is None:
            continue
        inner = step.lhs.args[0] if isinstance(step.lhs, sp.Limit) else step.lhs
        wanted = {step.rule.lower_step: (step.rule.lower, inner), step.rule.upper_step: (inner, step.rule.upper)}
        for premise_id, (small, large) in wanted.items():
            problem = (_premise_problem(by_id.get(premise_id), small, large, results, step.definitions)
                       or _narrower_premise(by_id.get(premise_id), step))
            if problem:
                old = results[step.id]
                results[step.id] = CheckResult(
                    step.id, FAILED,
                    old.methods + (MethodResult("premise", "failed", 0.0, f"{premise_id}: {problem}"),),
                    f"premise {premise_id}: {problem}")
                continue
            premise_status = results[premise_id].status
            if weakest([results[step.id].status, premise_status]) != results[step.id].status:
                old = results[step.id]
                why = f"premise {premise_id} is {premise_status}"
                results[step.id] = CheckResult(step.id, premise_status, old.methods,
                                               "; ".join(m for m in (old.message, why) if m))


def _narrower_premise(premise: Step, step: Step) -> str:
    """A premise must hold wherever the rule step uses it: it may not rest on a constraint the
    step does not state, nor declare a variable more narrowly (positive where the step says real)."""
    ours = {getattr(v, "symbol", getattr(v, "base", None)): v for v in step.assumptions.variables}
    for constraint in premise.assumptions.constraints:
        if constraint not in step.assumptions.constraints:
            return f"it assumes {sp.sstr(constraint.relation)}, which the limit step does not"
    for variable in premise.assumptions.variables:
        name = getattr(variable, "symbol", getattr(variable, "base", None))
        mine = ours.get(name)
        if mine is None or mine == variable:
            continue
        if type(variable) is Real and isinstance(mine, Positive):
            continue  # proved for every real, used for positive ones
        return f"it declares {name} as {variable!r}, the limit step as {mine!r}"
    return ""


def _premise_problem(premise: Step | None, small, large, results, definitions=()) -> str:
    if premise is None:
        return "no such step"
    if results[premise.id].status == FAILED:
        return "that step failed"
    if premise.rel in ("<=", "<"):
        stated = (premise.lhs, premise.rhs)
    elif premise.rel in (">=", ">"):
        stated = (premise.rhs, premise.lhs)
    else:
        return "it is not an inequality"
    if stated != (small, large):
        return f"it states {sp.sstr(stated[0])} ≤ {sp.sstr(stated[1])}, not {sp.sstr(small)} ≤ {sp.sstr(large)}"
    # The same names may be defined differently in the premise's derivation (g := 0 there,
    # g := sin(πT) here): what the premise proved must be what the rule uses.
    meant = tuple(expand_definitions(e, premise.definitions) for e in stated)
    used = tuple(expand_definitions(e, definitions) for e in (small, large))
    if meant != used:
        return (f"its names mean {sp.sstr(meant[0])} ≤ {sp.sstr(meant[1])} there, "
                f"but {sp.sstr(used[0])} ≤ {sp.sstr(used[1])} here")
    return ""
