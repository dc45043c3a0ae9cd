"""Problem 1's checked results against independent numeric evaluation (mpmath), and its steps."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

from derive.documents.hw7 import p1_softmax as p1
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_steps
from derive.results import collect


@pytest.fixture(scope="module")
def problem():
    return p1.problem()


@pytest.fixture(scope="module")
def results(problem):
    return {r.id: r for r in collect([problem])}


def log_sum_exp(beta, xs):
    return mpmath.log(mpmath.fsum(mpmath.exp(beta * v) for v in xs)) / beta


def test_every_step_is_verified_or_numeric_only(problem):
    statuses = check_steps(list(problem.steps()), jobs=2)
    assert FAILED not in {r.status for r in statuses.values()}
    assert sum(r.status == VERIFIED for r in statuses.values()) >= 15
    # The bounds resting on "x_j is the maximum" are proved by slack substitution; only the
    # case-split limit stays numeric.
    numeric_only = [s.id for s in problem.steps() if statuses[s.id].status == NUMERIC_ONLY]
    assert numeric_only in ([], ["p1.c.both.2"])
    for bound in ("p1.a.5", "p1.a.6", "p1.a.7", "p1.a.8", "p1.c.top.3", "p1.c.top.4", "p1.c.rest.3",
                  "p1.c.ties.2", "p1.c.ties.3"):
        assert any(m.method == "slack" and m.outcome == "proved" for m in statuses[bound].methods), bound


def test_gradient_result_matches_finite_differences(results):
    value = results["p1.b.grad"].value
    rng = random.Random(7)
    with mpmath.workdps(40):
        for n in (1, 3, 6):
            xs = [mpmath.mpf(rng.uniform(-3, 3)) for _ in range(n)]
            for k in range(1, n + 1):
                numeric = mpmath.diff(lambda t: log_sum_exp(1, xs[: k - 1] + [t] + xs[k:]), xs[k - 1])
                symbolic = value.subs({p1.n: n, p1.k: k}).doit().subs({p1.x[i + 1]: xs[i] for i in range(n)})
                assert abs(sp.N(symbolic, 40) - numeric) < mpmath.mpf(10) ** -30


def test_limit_result_is_the_maximum_within_the_sandwich(results):
    assert results["p1.a.limit"].value == p1.x[p1.j]
    rng = random.Random(3)
    with mpmath.workdps(40):
        for n in (2, 5):
            xs = [mpmath.mpf(rng.uniform(-3, 3)) for _ in range(n)]
            for beta in (10, 1000, 10**6):
                gap = log_sum_exp(beta, xs) - max(xs)
                assert 0 <= gap <= mpmath.log(n) / beta


def test_gradient_tends_to_the_basis_vector_of_the_unique_maximum(results):
    assert results["p1.c.limit"].value == sp.KroneckerDelta(p1.k, p1.m)
    xs = [mpmath.mpf(v) for v in ("0.3", "1.7", "-2", "1.2")]
    with mpmath.workdps(40):
        beta = mpmath.mpf(10) ** 4
        total = mpmath.fsum(mpmath.exp(beta * v) for v in xs)
        softmax = [mpmath.exp(beta * v) / total for v in xs]
    assert abs(softmax[1] - 1) < mpmath.mpf(10) ** -30
    assert all(abs(s) < mpmath.mpf(10) ** -30 for i, s in enumerate(softmax) if i != 1)


def test_a_wrong_gradient_claim_is_rejected(problem):
    from derive.core.checks.runner import check_step
    from derive.core.step import Step

    step = next(s for s in problem.steps() if s.id == "p1.b.5")
    wrong = Step("p1.b.wrong", step.lhs, "=", sp.exp(p1.x[p1.k]) / p1.n, step.why, step.assumptions,
                 definitions=step.definitions)
    assert check_step(wrong).status == FAILED
