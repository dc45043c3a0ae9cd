"""Check results are cached by step content; a changed step is checked again."""

from __future__ import annotations

import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import symbolic
from derive.core.checks.result import FAILED, NUMERIC_ONLY
from derive.core.checks.runner import CheckCache, check_step, check_steps

a, b = sp.symbols("a b", real=True)
REALS = assume(Real(a), Real(b))


def test_second_run_is_served_from_the_cache(tmp_path, make_step):
    steps = [make_step((a + b) ** 2, "=", a**2 + 2 * a * b + b**2, REALS, step_id="c.1")]
    path = tmp_path / "checks.json"
    cache = CheckCache(path)
    first = check_steps(steps, cache, jobs=1)
    cache.save()
    second = check_steps(steps, CheckCache(path), jobs=1)
    assert not first["c.1"].cached and second["c.1"].cached
    assert second["c.1"].status == first["c.1"].status


def test_a_changed_step_is_checked_again(tmp_path, make_step):
    path = tmp_path / "checks.json"
    cache = CheckCache(path)
    check_steps([make_step(a * b, "=", b * a, REALS, step_id="c.2")], cache, jobs=1)
    cache.save()
    changed = check_steps([make_step(a * b, "=", b * a + 1, REALS, step_id="c.2")], CheckCache(path), jobs=1)
    assert not changed["c.2"].cached
    assert changed["c.2"].status == FAILED


def test_failures_are_never_cached(tmp_path, make_step):
    path = tmp_path / "checks.json"
    cache = CheckCache(path)
    check_steps([make_step(a, "=", b, REALS, step_id="c.3")], cache, jobs=1)
    cache.save()
    assert CheckCache(path).entries == {}


def test_a_damaged_cache_is_ignored(tmp_path, make_step):
    path = tmp_path / "checks.json"
    path.write_text("{not json")
    result = check_steps([make_step(a, "=", a, REALS, step_id="c.4")], CheckCache(path), jobs=1)
    assert not result["c.4"].cached


def test_parallel_workers_give_the_same_results(make_step):
    steps = [make_step(a + i, "=", i + a, REALS, step_id=f"p.{i}") for i in range(3)]
    steps.append(make_step(a, "<=", a - 1, REALS, step_id="p.wrong"))
    results = check_steps(steps, jobs=2)
    assert [results[s.id].status for s in steps[:3]] == ["verified"] * 3
    assert results["p.wrong"].status == FAILED


def test_a_slow_symbolic_check_falls_back_to_numeric(monkeypatch, make_step):
    monkeypatch.setattr(symbolic, "SYMBOLIC_SECONDS", 0.05)
    x = sp.symbols("x0:4", real=True)
    heavy = sp.prod([(xi + 1) ** 3 for xi in x])  # 256 terms once expanded: slow to simplify
    result = check_step(make_step(heavy, "=", sp.expand(heavy), assume(*[Real(xi, -1, 1) for xi in x]), step_id="slow"))
    assert result.status == NUMERIC_ONLY
    assert "ran out of its 0.05 s limit; fell back to numeric" in result.message


def test_two_steps_with_the_same_content_are_both_cached(tmp_path, make_step):
    steps = [make_step(a + b, "=", b + a, REALS, step_id=f"twin.{i}") for i in (1, 2)]
    path = tmp_path / "checks.json"
    cache = CheckCache(path)
    check_steps(steps, cache, jobs=1)
    cache.save()
    again = check_steps(steps, CheckCache(path), jobs=1)
    assert [again[s.id].cached for s in steps] == [True, True]
