"""A numeric-only step shows the author's reason why no proof is expected in the check log (hw7-checks.pdf)."""

import sympy as sp

from derive.core.assumptions import assume
from derive.core.checks.result import NUMERIC_ONLY, VERIFIED, CheckResult, MethodResult
from derive.core.document import Problem
from derive.render.view import check_log


def _problem_with(unproved: str):
    problem = Problem(9, "t")
    part = problem.part("a", "t")
    d = part.derivation(assume(), "x")
    step = d.step(sp.Integer(1), "=", sp.Integer(1), "", unproved=unproved)
    return problem, step


def _note(problem, step, status):
    methods = (MethodResult("symbolic", "inconclusive", 0.0, "SymPy gave up"),
               MethodResult("numeric", "passed", 0.0, "6 points"))
    message = "symbolic: SymPy gave up" if status == NUMERIC_ONLY else ""
    return check_log([problem], {step.id: CheckResult(step.id, status, methods, message)})[0]["note"]


def test_the_authors_reason_comes_first_for_a_numeric_only_step():
    problem, step = _problem_with("the limit of a ratio over a sum of n terms")
    assert str(_note(problem, step, NUMERIC_ONLY)) == "the limit of a ratio over a sum of n terms (SymPy gave up)"


def test_a_verified_step_shows_no_reason():
    problem, step = _problem_with("the limit of a ratio over a sum of n terms")
    assert str(_note(problem, step, VERIFIED)) == ""


def test_the_reason_does_not_change_the_cache_key():
    _, with_reason = _problem_with("a reason")
    _, without = _problem_with("")
    assert with_reason.content_hash("v") == without.content_hash("v")
