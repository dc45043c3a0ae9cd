"""Check every step: symbolic, numeric, rules; cache by content; run in parallel with limits."""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Sequence

import sympy as sp

from derive.core import functions
from derive.core.checks import matrices, numeric, rules, symbolic
from derive.core.checks.prepare import expand_definitions
from derive.core.checks.result import DEFINITION, FAILED, NUMERIC_ONLY, VERIFIED, CheckResult, MethodResult, combine
from derive.core.step import Step

# Bump when a checker changes meaning, so cached results of the old checker are not reused.
CHECKER_VERSION = "derive-checks-2"


def check_step(step: Step) -> CheckResult:
    """Check one step on its own (premises of rules are settled by ``check_steps``)."""
    if step.is_definition:
        return CheckResult(step.id, DEFINITION)
    expand = lambda e: expand_definitions(e, step.definitions)  # noqa: E731
    lhs, rhs = expand(step.lhs), expand(step.rhs)
    if matrices.has_matrices(lhs) or matrices.has_matrices(rhs):
        lhs, rhs = matrices.explicit_pair(lhs, rhs)  # checked entry by entry
    ranges = step.assumptions.index_ranges()
    methods: list[MethodResult] = []
    if step.rule is not None:
        # That the bounds hold is checked by the premise steps the rule names (_settle_premises).
        methods.append(rules.check_squeeze(lhs, rhs, step.rule, expand))
    elif step.rel == "=":
        methods.append(symbolic.check_equal(lhs, rhs, ranges, symbolic.SYMBOLIC_SECONDS))
    else:
        methods.append(symbolic.check_order(lhs, step.rel, rhs, ranges, symbolic.SYMBOLIC_SECONDS))
    methods.append(functions.numeric_with_stand_ins(numeric.check, step.id, lhs, step.rel, rhs, step.assumptions))
    methods.extend(_check_display(step, lhs, rhs, expand))
    result = combine(step.id, methods)
    if result.status == VERIFIED and any(m.method == "display" and m.outcome == "inconclusive" for m in methods):
        return CheckResult(step.id, NUMERIC_ONLY, result.methods, "display: the shown form is equal only numerically")
    return result


def _check_display(step: Step, lhs, rhs, expand) -> list[MethodResult]:
    """A shown form (display=) must equal the checked one, so the PDF never shows an unchecked claim."""
    if step.display is None:
        return []
    shown = [(s, c) for s, c in zip(step.display, (lhs, rhs)) if s is not None]
    methods = []
    for form, checked in shown:
        form = expand(form)
        if matrices.has_matrices(form):
            form = matrices.explicit(form)
        proof = symbolic.check_equal(form, checked, step.assumptions.index_ranges(), symbolic.SYMBOLIC_SECONDS)
        sample = functions.numeric_with_stand_ins(numeric.check, step.id + "/display", form, "=", checked,
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
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache costs time, never correctness

    def get(self, step: Step) -> CheckResult | None:
        data = self.entries.get(step.content_hash(CHECKER_VERSION))
        if data is None:
            return None
        result = CheckResult.from_json(data)
        return CheckResult(result.step_id, result.status, result.methods, result.message, cached=True)

    def put(self, step: Step, result: CheckResult) -> None:
        if result.status != FAILED:  # a failure is always checked again
            self.entries[step.content_hash(CHECKER_VERSION)] = result.to_json()

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.entries, indent=0, sort_keys=True))
            os.replace(temporary, self.path)
        except OSError:
            pass  # an unwritable cache makes the next run slower, never this one wrong


_PENDING: Sequence[Step] = ()


def _check_pending(index: int) -> CheckResult:
    return check_step(_PENDING[index])


def check_steps(steps: Sequence[Step], cache: CheckCache | None = None, jobs: int | None = None,
                progress: Callable[[Step, CheckResult], None] | None = None) -> dict[str, CheckResult]:
    """Check all steps, reusing cached results; then settle the premises of rule steps."""
    global _PENDING
    cache = cache or CheckCache(None)
    results: dict[str, CheckResult] = {}
    todo = []
    for step in steps:
        hit = cache.get(step)
        if hit is not None:
            results[step.id] = hit
            if progress:
                progress(step, hit)
        else:
            todo.append(step)
    jobs = jobs or min(len(todo), os.cpu_count() or 1)
    if jobs > 1 and len(todo) > 1 and "fork" in multiprocessing.get_all_start_methods():
        # fork: workers inherit the steps (no pickling of SymPy trees) and SymPy already imported.
        _PENDING = todo
        try:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                for step, result in zip(todo, pool.map(_check_pending, range(len(todo)))):
                    results[step.id] = result
                    if progress:
                        progress(step, result)
        finally:
            _PENDING = ()
    else:
        for step in todo:
            results[step.id] = check_step(step)
            if progress:
                progress(step, results[step.id])
    _settle_premises(steps, results)
    for step in todo:
        cache.put(step, results[step.id])
    return results


def _settle_premises(steps: Iterable[Step], results: dict[str, CheckResult]) -> None:
    """A rule step fails when a premise it names is missing, different or failed."""
    by_id = {s.id: s for s in steps}
    for step in by_id.values():
        if step.rule is None:
            continue
        inner = step.lhs.args[0] if isinstance(step.lhs, sp.Limit) else step.lhs
        wanted = {step.rule.lower_step: (step.rule.lower, inner), step.rule.upper_step: (inner, step.rule.upper)}
        for premise_id, (small, large) in wanted.items():
            problem = _premise_problem(by_id.get(premise_id), small, large, results)
            if problem:
                old = results[step.id]
                results[step.id] = CheckResult(
                    step.id, FAILED,
                    old.methods + (MethodResult("premise", "failed", 0.0, f"{premise_id}: {problem}"),),
                    f"premise {premise_id}: {problem}")


def _premise_problem(premise: Step | None, small, large, results) -> str:
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
    return ""
