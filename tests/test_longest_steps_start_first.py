"""Parallel checking starts the steps that took longest last time first, so no core idles at the end."""

from __future__ import annotations

import sympy as sp

from derive.core.checks.runner import CheckCache, check_steps, start_order
from derive.core.step import Step

x = sp.Symbol("x", positive=True)


def steps(count: int) -> list[Step]:
    return [Step(f"s{i}", x + i, "=", i + x) for i in range(count)]


def test_longest_last_time_starts_first_and_unknown_steps_before_known_ones():
    todo = steps(4)
    seconds = {"s0": 0.1, "s1": 5.0, "s3": 2.0}  # s2 never timed
    assert start_order(todo, seconds) == [2, 1, 3, 0]


def test_without_timings_the_document_order_is_kept():
    assert start_order(steps(5), {}) == [0, 1, 2, 3, 4]


def test_the_cache_remembers_each_steps_seconds_across_runs(tmp_path):
    path = tmp_path / ".cache" / "checks.json"
    cache = CheckCache(path)
    results = check_steps(steps(3), cache, jobs=1)
    cache.save()
    again = CheckCache(path)
    assert set(again.seconds) == {"s0", "s1", "s2"}
    assert again.seconds["s1"] == round(sum(m.seconds for m in results["s1"].methods), 3)


def test_steps_start_longest_first_in_the_runner(tmp_path):
    cache = CheckCache(tmp_path / "checks.json")
    cache.seconds = {"s0": 0.1, "s1": 0.2, "s2": 9.0}
    seen = []
    # one worker: steps finish in the order they start
    check_steps(steps(3), cache, jobs=1, progress=lambda step, result: seen.append(step.id))
    assert seen == ["s2", "s1", "s0"]


def test_a_damaged_timings_file_costs_only_the_order(tmp_path):
    path = tmp_path / "checks.json"
    path.with_name("checks.seconds.json").write_text("[not a mapping")
    assert CheckCache(path).seconds == {}
    path.with_name("checks.seconds.json").write_text('["a list"]')
    assert CheckCache(path).seconds == {}


def test_simplifys_units_import_happens_once_before_the_workers_fork():
    import subprocess
    import sys

    code = ("import sys, sympy as sp\n"
            "from derive.core.checks.runner import check_steps\n"
            "from derive.core.step import Step\n"
            "x = sp.Symbol('x', positive=True)\n"
            "check_steps([Step(f's{i}', x + i, '=', i + x) for i in range(2)], jobs=2)\n"
            "print('sympy.physics.units' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "True"


def test_a_cold_start_begins_with_the_steps_that_look_costliest():
    from derive.core.checks.runner import static_cost

    k = sp.Symbol("k", integer=True, positive=True)
    plain = Step("plain", x + 1, "=", 1 + x)
    summed = Step("summed", sp.Sum(x * k, (k, 1, 5)), "=", 15 * x)
    bounded = Step("bounded", sp.Sum(x * k, (k, 1, 5)), "<=", 16 * x)
    assert static_cost(plain) < static_cost(summed) < static_cost(bounded)
    assert start_order([plain, summed, bounded], {}) == [2, 1, 0]
    # A step timed last time still starts after every untimed one, by its seconds.
    assert start_order([plain, summed, bounded], {"bounded": 3.0}) == [1, 0, 2]


def test_definitions_are_settled_without_a_worker(monkeypatch):
    from derive.core.checks import runner

    definition = Step("d", sp.Symbol("y"), "def", x + 1)
    started = []
    real = runner._run_limited
    monkeypatch.setattr(runner, "_run_limited", lambda todo, *a, **k: (started.extend(todo), real(todo, *a, **k)))
    results = check_steps([definition, *steps(1)], jobs=1)
    assert results["d"].status == "definition"
    assert [s.id for s in started] == ["s0"]
