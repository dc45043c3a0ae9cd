"""A check worker takes, among the next few waiting steps, one of a derivation it has already
checked (its caches are warm for it), else the next one; the order's head is never left behind
for long, and every step is taken exactly once."""

from __future__ import annotations

import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import runner
from derive.core.step import Step

x = sp.Symbol("x", real=True)


def _steps(groups: list[int]) -> list[Step]:
    """One step per entry; equal entries share one assumption set (one derivation)."""
    shared = {g: assume(Real(x, -1, 1)) for g in set(groups)}
    return [Step(f"s{k}", x, "=", x, "", assumptions=shared[g]) for k, g in enumerate(groups)]


class _Worker:  # only its identity matters to the choice
    pass


def test_a_worker_prefers_a_step_of_a_derivation_it_has_checked():
    todo = _steps([0, 1, 1, 0, 1])
    waiting, seen, worker = list(range(len(todo))), {}, _Worker()
    assert runner._next_for(worker, waiting, todo, seen) == 0  # nothing seen yet: the head
    assert runner._next_for(worker, waiting, todo, seen) == 3  # derivation 0 again, skipping 1, 2
    assert waiting == [1, 2, 4]


def test_two_workers_keep_to_their_own_derivations():
    todo = _steps([0, 1, 0, 1, 0, 1])
    waiting, seen, a, b = list(range(len(todo))), {}, _Worker(), _Worker()
    taken_a = [runner._next_for(a, waiting, todo, seen)]
    taken_b = [runner._next_for(b, waiting, todo, seen)]
    while waiting:
        taken_a.append(runner._next_for(a, waiting, todo, seen))
        taken_b.append(runner._next_for(b, waiting, todo, seen))
    assert taken_a == [0, 2, 4] and taken_b == [1, 3, 5]


def test_beyond_the_window_the_head_comes_first():
    # The longest steps come first in the order; a worker does not pass over more than the
    # window to stay with its derivation.
    todo = _steps([0] + [1] * runner.AFFINITY_WINDOW + [0])
    waiting, seen, worker = list(range(len(todo))), {}, _Worker()
    assert runner._next_for(worker, waiting, todo, seen) == 0
    assert runner._next_for(worker, waiting, todo, seen) == 1
