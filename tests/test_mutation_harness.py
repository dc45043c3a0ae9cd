"""The mutation harness (bench/mutate.py, issue 10 §5): slips made on purpose in checked claims
are rejected by the checker, or recognised as equivalent — never accepted as true when false.

A sample of a few steps runs here for several seeds (fast); the whole document is the benchmark
``bench/mutate.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sympy as sp
from sympy import Limit, Sum, exp, oo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import mutants as ops  # noqa: E402
import mutate  # noqa: E402

from derive.core.assumptions import Integer, Positive, Real, RealVector, assume  # noqa: E402
from derive.core.checks.result import NUMERIC_ONLY, CheckResult  # noqa: E402
from derive.core.step import Step  # noqa: E402

a, b, c = sp.symbols("a b c", real=True)
t = sp.Symbol("t", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
x = sp.IndexedBase("x")
REALS = assume(Real(a), Real(b))

SAMPLE = [
    Step("mut.square", (a + b) ** 2, "=", a**2 + 2 * a * b + b**2, (), REALS),
    Step("mut.sum", Sum(x[i], (i, 1, n)), "=", Sum(x[i], (i, 1, n - 1)) + x[n], (),
         assume(Integer(n, 2, 6), RealVector(x, n))),
    Step("mut.limit", Limit(c + 1 / t, t, oo), "=", c, (), assume(Real(c), Positive(t))),
    Step("mut.exp", exp(a + b), "=", exp(a) * exp(b), (), REALS),
    Step("mut.positive", exp(a), ">", 0, (), REALS),
]


def judged(steps, seed):
    jobs = [mutate.Job(0, m, ()) for step in steps for m in ops.mutants(step, seed)]
    return jobs, mutate.run(jobs, seed)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_non_equivalent_mutant_of_the_sample_is_killed(seed):
    jobs, tally = judged(SAMPLE, seed)
    assert {job.mutant.operator for job in jobs} == set(ops.OPERATORS)
    assert not tally.errors, mutate.report({0: tally})
    assert not tally.survivors, mutate.report({0: tally})
    assert tally.killed >= 15 and tally.killed + tally.equivalent == tally.mutants


def test_a_checker_that_accepts_everything_leaves_false_survivors(monkeypatch):
    # The harness must be able to fail: with a checker that says "numeric-only" to anything, every
    # false mutant survives and the brute evaluation names a point where it is false.
    monkeypatch.setattr(mutate, "check_step", lambda step: CheckResult(step.id, NUMERIC_ONLY))
    _, tally = judged(SAMPLE[:1], 0)
    assert tally.killed == 0
    false = [s for s in tally.survivors if s.kind == "false"]
    assert len(false) == tally.mutants - tally.equivalent > 0
    assert all("brute evaluation: false at" in s.why and s.claim != s.original for s in false)
    assert "FALSE" in mutate.report({0: tally})


def test_a_checker_that_raises_is_reported_not_fatal(monkeypatch):
    def broken(step):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(mutate, "check_step", broken)
    _, tally = judged(SAMPLE[:1], 0)
    assert tally.errors and all(e.why == "the checker raised RuntimeError: boom second line" for e in tally.errors)
    assert tally.kill_rate < 1


def test_a_mutant_that_simplifies_to_the_original_is_equivalent():
    step = Step("mut.even", (a - b) ** 2, "=", a**2 - 2 * a * b + b**2, (), REALS)
    mutant = ops.Mutant(step, Step("mut.even", (b - a) ** 2, "=", step.rhs, (), REALS), "sign-flip", "lhs")
    assert mutate.same_as_original(mutant) == "the mutated lhs simplifies to the original lhs"
    assert mutate.judge(0, mutant, (), 0).verdict == mutate.EQUIVALENT


def test_a_true_mutant_the_checker_proves_is_equivalent_with_its_reason():
    weaker = ops.bound_halved(SAMPLE[4], None)  # exp(a)/2 > 0 is still true
    outcome = mutate.judge(0, weaker, (), 0)
    assert outcome.verdict == mutate.EQUIVALENT
    assert outcome.why == "proved by the checker, and 40 brute points agree"


def test_a_strict_claim_false_only_at_a_tie_is_not_called_equivalent():
    # (a - b)^2 + 1 > 1 fails only where a = b, which uniform random points never hit; the brute
    # evaluation's edge points (a variable equal to an earlier one) do.
    step = Step("mut.tie", (a - b) ** 2 + 1, ">=", 1, (), REALS)
    strict = ops.relation_strict(step, None).step
    counterexample, _ = mutate.brute_counterexample(strict, 0)
    assert counterexample.startswith("false at")
    point = dict(part.split("=") for part in counterexample.removeprefix("false at ").split(":")[0].split(", "))
    assert point["a"] == point["b"]
    outcome = mutate.judge(0, ops.relation_strict(step, None), (), 0)
    assert outcome.verdict in (mutate.KILLED, mutate.SURVIVOR)
    assert outcome.verdict == mutate.KILLED or outcome.kind == "false"


def test_edge_points_stay_inside_the_declared_ranges():
    import random

    k = sp.Symbol("k", integer=True, positive=True)
    assumptions = assume(Integer(n, 2, 5), Integer(k, 1, n), Positive(t, sp.Rational(1, 10), 2), Real(c, -1, 1))
    rng = random.Random(1)
    for _ in range(200):
        point = mutate.edge_sample(assumptions, rng)
        assert 2 <= point[n] <= 5 and 1 <= point[k] <= point[n] and point[k].is_integer
        assert sp.Rational(1, 10) <= point[t] <= 2 and -1 <= point[c] <= 1


def test_the_brute_evaluation_finds_a_false_limit_and_passes_a_true_one():
    wrong = Step("mut.limit.wrong", Limit(c + 1 / t, t, oo), "=", c + 1, (), assume(Real(c), Positive(t)))
    assert mutate.brute_counterexample(wrong, 0)[0].startswith("false at")
    assert mutate.brute_counterexample(SAMPLE[2], 0) == ("", mutate.BRUTE_POINTS)


def test_operators_act_where_they_say():
    square, total, positive = SAMPLE[0], SAMPLE[1], SAMPLE[4]
    assert ops.relation_flipped(positive, None).step.rel == "<"
    assert ops.relation_flipped(square, None) is None  # an equality has no mirror image
    assert ops.relation_strict(square, None).step.rel == "<"
    assert ops.bound_halved(positive, None).step.lhs == exp(a) / 2
    shifted = ops.index_shift(total, __import__("random").Random(3))
    assert shifted.step.rel == "=" and shifted.where.startswith(("lhs", "rhs"))
    changed = [s for s in (shifted.step.lhs, shifted.step.rhs)
               if s not in (total.lhs, total.rhs)]
    assert changed and any(isinstance(e, (sp.Indexed, Sum)) for node in changed for e in sp.preorder_traversal(node))


def test_sum_limits_and_indices_shift_by_one():
    import random

    shifted = {ops._shift(Sum(x[i], (i, 1, n)), random.Random(s)) for s in range(20)}
    assert shifted == {Sum(x[i], (i, 2, n + 1)), Sum(x[i], (i, 0, n - 1))}
    assert {ops._shift(x[i], random.Random(s)) for s in range(20)} == {x[i + 1], x[i - 1]}


def test_definitions_are_not_mutated_and_the_seed_decides():
    definition = Step("mut.def", sp.Symbol("S"), "def", a + b, (), REALS)
    assert ops.mutants(definition, 0) == []
    assert [m.where for m in ops.mutants(SAMPLE[0], 5)] == [m.where for m in ops.mutants(SAMPLE[0], 5)]
    wheres = {tuple(m.where for m in ops.mutants(SAMPLE[0], seed)) for seed in range(6)}
    assert len(wheres) > 1


def test_the_command_reports_a_sample_of_problem_1_as_json(capsys):
    code = mutate.main(["--problem", "1", "--sample", "3", "--seed", "4", "--json", "-q"])
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 4 and list(data["problems"]) == ["1"]
    tally = data["problems"]["1"]
    assert tally["mutants"] == 3
    assert tally["killed"] + tally["equivalent"] + len(tally["survivors"]) + len(tally["errors"]) == 3
    assert code == (0 if not tally["survivors"] and not tally["errors"] else 1)


def test_edge_points_move_a_vector_with_a_given_maximum_down():
    # The sampler always puts such a vector's maximum at the top of its range (3 here); a claim
    # false only for a negative maximum, like -x_j <= x_j, must still be caught.
    import random

    j = sp.Symbol("j", integer=True, positive=True)
    assumptions = assume(Integer(n, 1, 3), Integer(j, 1, n), RealVector(x, n, max_at=j))
    rng = random.Random(2)
    points = [mutate.edge_sample(assumptions, rng) for _ in range(300)]
    maxima = {point[x[point[j]]] for point in points}
    assert min(maxima) < 0 and max(maxima) == 3
    assert all(point[x[point[j]]] == max(point[x[i]] for i in range(1, point[n] + 1)) for point in points)
    wrong = Step("mut.negative", -x[j], "<=", x[j], (), assumptions)
    assert mutate.brute_counterexample(wrong, 0)[0].startswith("false at")
